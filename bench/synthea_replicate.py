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
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
texts = []
for name in sorted(os.listdir(src)):
    if name.endswith(".json"):
        with open(os.path.join(src, name)) as f:
            text = f.read()
        texts.append((name, text, text.count('"request"')))
files = resources = 0
k = 0
while resources < target:
    for name, text, entries in texts:
        if resources >= target:
            break
        fresh = {}
        copy = UUID.sub(lambda m: fresh.setdefault(m.group(0), str(uuid.uuid4())), text)
        with open(os.path.join(out, f"{k:04d}-{name}"), "w") as f:
            f.write(copy)
        files += 1
        resources += entries
    k += 1
print(files, resources)
