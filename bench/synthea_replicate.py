#!/usr/bin/python3
"""Writes copies of the Synthea transaction bundles until they hold at least N resources: copy k of
a bundle gets fresh urn:uuid fullUrls (and every reference to them) and fresh identifier values,
so each copy loads as a separate patient with its own records.

    bench/synthea_replicate.py BUNDLE_DIR OUT_DIR N
Prints "<files> <resources>".
"""
import os
import re
import sys
import uuid

src, out, target = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(out, exist_ok=True)
UUID = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
# Each bundle split once around its uuids (odd parts), so a copy is one join with fresh values
# instead of a regex pass per copy (a million resources are ~6,500 copies).
bundles = []
for name in sorted(os.listdir(src)):
    if name.endswith(".json"):
        with open(os.path.join(src, name)) as f:
            text = f.read()
        parts = UUID.split(text)
        uuids = sorted(set(parts[1::2]))
        slot = {u: i for i, u in enumerate(uuids)}
        bundles.append((name, parts, [slot[u] for u in parts[1::2]], len(uuids), text.count('"request"')))
files = resources = 0
k = 0
while resources < target:
    for name, parts, slots, distinct, entries in bundles:
        if resources >= target:
            break
        fresh = [str(uuid.uuid4()) for _ in range(distinct)]
        copy = parts[:]
        copy[1::2] = [fresh[s] for s in slots]
        with open(os.path.join(out, f"{k:04d}-{name}"), "w") as f:
            f.write("".join(copy))
        files += 1
        resources += entries
    k += 1
print(files, resources)
