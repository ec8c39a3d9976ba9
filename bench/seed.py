#!/usr/bin/python3
"""Seeds N Observations (the bench template) into a FHIR base and prints their ids, one per line."""
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests

base, n = sys.argv[1].rstrip("/"), int(sys.argv[2])
tmpl = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fhir", "observation.json")).read().strip()
headers = {"Content-Type": "application/fhir+json"}
if os.environ.get("TOKEN"):
    headers["Authorization"] = "Bearer " + os.environ["TOKEN"]


def make(chunk):
    s = requests.Session()
    out = []
    for i in chunk:
        body = (tmpl.replace("@ID@", f"seed-{i}").replace("@PATIENT@", f"bench-patient-{i % 200}")
                .replace("@TIME@", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())).replace("@VALUE@", str(55 + i % 50)))
        r = s.post(f"{base}/Observation", data=body, headers=headers)
        r.raise_for_status()
        out.append(r.json()["id"])
    return out


chunks = [range(k, n, 4) for k in range(4)]
with ThreadPoolExecutor(4) as ex:
    for ids in ex.map(make, chunks):
        print("\n".join(ids))
