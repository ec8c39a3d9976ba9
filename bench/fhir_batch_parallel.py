#!/usr/bin/python3
"""Batch Bundles of independent entries (N Observation creates) on two FHIR services of one server,
batch_parallelism 1 and 4, alternating ROUNDS times: the wall time ratio within one run, and the
histogram healthd_fhir_batch_parallel_entries. Prints a Markdown table.

    bench/fhir_batch_parallel.py BIN      (env: N=500 ROUNDS=4 PORT=19160)
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import requests

BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "build", "healthd")
N, ROUNDS, PORT = int(os.environ.get("N", 500)), int(os.environ.get("ROUNDS", 4)), int(os.environ.get("PORT", 19160))
ORIGIN = f"http://127.0.0.1:{PORT}"
CONFIG = """workspaces:
  - name: default
    services:
      - {kind: fhir, name: serial, settings: {batch_parallelism: 1}}
      - {kind: fhir, name: parallel, settings: {batch_parallelism: 4}}
"""


def batch(n):
    return {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": {"resourceType": "Observation", "status": "final",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
                      "subject": {"reference": f"Patient/p{i}"}, "valueQuantity": {"value": i, "unit": "/min"}},
         "request": {"method": "POST", "url": "Observation"}} for i in range(n)]}


with tempfile.TemporaryDirectory(prefix="healthd-batch-") as work:
    config = os.path.join(work, "healthd.yaml")
    with open(config, "w") as f:
        f.write(CONFIG)
    data = os.path.join(work, "data")
    server = subprocess.Popen([BIN, "serve", "--config", config, "--port", str(PORT), "--data", data],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                if requests.get(f"{ORIGIN}/health/ready").status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        services = {}
        for name in ("serial", "parallel"):
            base = f"{ORIGIN}/default/fhir/{name}"
            token = subprocess.check_output([BIN, "token", "--data", data, "--audience", base]).decode().strip()
            services[name] = (base, token)
        body = json.dumps(batch(N))
        times = {name: [] for name in services}
        load = open("/proc/loadavg").read().split()[0]
        for _ in range(ROUNDS):
            for name, (base, token) in services.items():
                t0 = time.monotonic()
                r = requests.post(base, data=body, headers={"Content-Type": "application/fhir+json",
                                                            "Authorization": "Bearer " + token})
                assert r.status_code == 200, r.text
                assert all(e["response"]["status"].startswith("201") for e in r.json()["entry"])
                times[name].append(time.monotonic() - t0)
        metrics = [l for l in requests.get(f"{ORIGIN}/metrics").text.splitlines()
                   if l.startswith("healthd_fhir_batch_parallel_entries_")]
    finally:
        server.terminate()
        server.wait()

best = {name: min(t) for name, t in times.items()}
print(f"Batch of {N} independent Observation creates, {ROUNDS} rounds alternating, load average {load}.\n")
print("| batch_parallelism | best s | all runs s |\n|---|---|---|")
for name, p in (("serial", 1), ("parallel", 4)):
    print(f"| {p} | {best[name]:.3f} | {', '.join(f'{t:.3f}' for t in times[name])} |")
print(f"\nSpeed-up (best serial / best parallel): {best['serial'] / best['parallel']:.2f}x\n")
print("```\n" + "\n".join(metrics) + "\n```")
