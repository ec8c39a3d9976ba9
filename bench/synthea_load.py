#!/usr/bin/python3
"""Loads the Synthea transaction bundles into a FHIR base, replicated until at least N resources
are stored: copy k of a bundle gives every resource a new id (the bundle's urn:uuid with its last
8 hex digits replaced by k) and rewrites the urn:uuid references to Type/id, so each copy is a
separate patient with its own records. Resources are PUT (update as create) from several threads.

    bench/synthea_load.py BASE BUNDLE_DIR N [THREADS]   (env TOKEN: bearer token)
Prints progress to stderr and, at the end, one line: "<resources> <seconds>".
"""
import http.client
import json
import os
import queue
import re
import sys
import threading
import time
import urllib.parse

base, bundle_dir, target = sys.argv[1].rstrip("/"), sys.argv[2], int(sys.argv[3])
threads = int(sys.argv[4]) if len(sys.argv) > 4 else 8
url = urllib.parse.urlparse(base)
headers = {"Content-Type": "application/fhir+json"}
if os.environ.get("TOKEN"):
    headers["Authorization"] = "Bearer " + os.environ["TOKEN"]

# Each bundle: its entries as (type, uuid, json text) with references still urn:uuid.
bundles = []
for name in sorted(os.listdir(bundle_dir)):
    if not name.endswith(".json"):
        continue
    b = json.load(open(os.path.join(bundle_dir, name)))
    entries = []
    for e in b.get("entry", []):
        r = e["resource"]
        uid = e["fullUrl"].removeprefix("urn:uuid:")
        entries.append((r["resourceType"], uid, json.dumps(r, separators=(",", ":"))))
    bundles.append(entries)
per_round = sum(len(e) for e in bundles)


URN = re.compile(r"urn:uuid:([0-9a-fA-F-]{36})")


def copy_of(entries, k):
    """The bundle's resources for copy k: new ids, references rewritten."""
    suffix = f"{k:08x}"
    ids = {uid: (t, uid[:-8] + suffix) for t, uid, _ in entries}

    def ref(m):
        hit = ids.get(m.group(1))
        return f"{hit[0]}/{hit[1]}" if hit else m.group(0)

    out = []
    for t, uid, text in entries:
        new_id = ids[uid][1]
        text = URN.sub(ref, text)
        # The resource's own id (Synthea's resources carry their uuid as id).
        if f'"id":"{uid}"' in text:
            text = text.replace(f'"id":"{uid}"', f'"id":"{new_id}"', 1)
        else:
            text = '{"id":"' + new_id + '",' + text[1:]
        out.append((t, new_id, text))
    return out


work = queue.Queue(maxsize=4096)
done = [0]
errors = []
lock = threading.Lock()


def worker():
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    while True:
        item = work.get()
        if item is None:
            return
        t, rid, body = item
        for attempt in range(5):
            try:
                conn.request("PUT", f"{url.path}/{t}/{rid}", body=body.encode(), headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                if resp.status in (200, 201):
                    break
                if resp.status == 503:
                    time.sleep(0.05)
                    continue
                with lock:
                    errors.append(f"{t}/{rid}: {resp.status} {data[:200]!r}")
                break
            except (ConnectionError, http.client.HTTPException, OSError):
                conn.close()
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        with lock:
            done[0] += 1


pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
for th in pool:
    th.start()
start = time.time()
k = 0
queued = 0
while queued < target:
    for entries in bundles:
        for item in copy_of(entries, k):
            work.put(item)
            queued += 1
    k += 1
    el = time.time() - start
    print(f"\r{done[0]:>9} resources, {done[0] / max(el, 1e-9):7.0f}/s", end="", file=sys.stderr)
for _ in pool:
    work.put(None)
for th in pool:
    th.join()
elapsed = time.time() - start
print(file=sys.stderr)
for e in errors[:20]:
    print("failed:", e, file=sys.stderr)
if errors:
    sys.exit(f"{len(errors)} resources failed")
print(done[0], f"{elapsed:.1f}")
