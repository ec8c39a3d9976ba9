"""Batch entries run in parallel when independent (bundle_lanes.h): answers stay in entry order, a
failing entry affects no other, entries touching the same resource keep the Bundle's order, and
the metric healthd_fhir_batch_parallel_entries shows how many ran at once."""
import json
import re
import uuid

import requests

from conftest import FHIR_JSON, patient

H = {"Content-Type": FHIR_JSON}
METRIC = "healthd_fhir_batch_parallel_entries"


def batch(*entries):
    return {"resourceType": "Bundle", "type": "batch", "entry": list(entries)}


def send(base, bundle):
    r = requests.post(base, data=json.dumps(bundle), headers=H, timeout=120)
    assert r.status_code == 200, r.text
    assert r.json()["type"] == "batch-response"
    return r.json()["entry"]


def create(resource):
    return {"resource": resource, "request": {"method": "POST", "url": resource["resourceType"]}}


def status(entry):
    return int(entry["response"]["status"].split()[0])


def concurrency_buckets(server):
    """{le: cumulative count} of the histogram of entries running at once per batch."""
    text = requests.get(f"{server.origin}/metrics").text
    return {float(le) if le != "+Inf" else float("inf"): int(v)
            for le, v in re.findall(METRIC + r'_bucket\{le="([^"]+)"\} (\d+)', text)}


def batches_with_overlap(server):
    b = concurrency_buckets(server)
    return b[float("inf")] - b[1.0] if b else 0  # the histogram appears with the first batch


def test_independent_entries_run_in_parallel_and_answer_in_entry_order(server, base):
    before = batches_with_overlap(server)
    for _ in range(5):  # a loaded machine may leave the helpers unscheduled for a whole batch
        tag = uuid.uuid4().hex[:8]
        entries = []
        for i in range(60):
            if i % 7 == 3:  # fails alone: not a valid Patient
                entries.append(create({"resourceType": "Patient", "birthDate": "yesterday"}))
            else:
                entries.append(create(patient(family=f"P{tag}n{i}")))
        answers = send(base, batch(*entries))
        assert len(answers) == 60
        for i, a in enumerate(answers):
            if i % 7 == 3:
                assert status(a) == 400 and a["response"]["outcome"]["resourceType"] == "OperationOutcome", a
                continue
            assert status(a) == 201, a
            # the answer at position i is the resource of entry i
            stored = requests.get(f"{base}/{a['response']['location'].split('/_history')[0].split('/fhir/default/')[1]}")
            assert stored.json()["name"][0]["family"] == f"P{tag}n{i}"
        found = requests.get(f"{base}/Patient?family:contains=P{tag}n&_summary=count").json()["total"]
        assert found == 60 - len(range(3, 60, 7))
        if batches_with_overlap(server) > before:
            break
    assert batches_with_overlap(server) > before, concurrency_buckets(server)


def test_entries_on_one_resource_keep_bundle_order(base):
    pid = "ord-" + uuid.uuid4().hex[:12]
    ident = {"system": "urn:test:parallel", "value": uuid.uuid4().hex}
    noise = [create(patient(family="Noise")) for _ in range(20)]
    on_one = [
        {"resource": patient(id=pid, family="First"), "request": {"method": "PUT", "url": f"Patient/{pid}"}},
        {"request": {"method": "GET", "url": f"Patient/{pid}"}},
        {"resource": patient(id=pid, family="Second"), "request": {"method": "PUT", "url": f"Patient/{pid}"}},
        {"request": {"method": "GET", "url": f"Patient/{pid}/_history/2"}},
        {"request": {"method": "DELETE", "url": f"Patient/{pid}"}},
        {"request": {"method": "GET", "url": f"Patient/{pid}"}},
    ]
    conditional = [  # the second finds what the first created: one lane for conditions on a type
        {"resource": patient(identifier=[ident]),
         "request": {"method": "POST", "url": "Patient", "ifNoneExist": f"identifier={ident['system']}|{ident['value']}"}},
        {"resource": patient(identifier=[ident]),
         "request": {"method": "POST", "url": "Patient", "ifNoneExist": f"identifier={ident['system']}|{ident['value']}"}},
    ]
    # interleaved with independent entries, so the lanes really run side by side
    entries = []
    for k, e in enumerate(on_one + conditional):
        entries += noise[2 * k:2 * k + 2] + [e]
    answers = send(base, batch(*entries))
    mine = [a for a, e in zip(answers, entries) if e not in noise]
    assert [status(a) for a in mine] == [201, 200, 200, 200, 204, 410, 201, 200], mine
    assert mine[1]["resource"]["name"][0]["family"] == "First"
    assert mine[3]["resource"]["name"][0]["family"] == "Second"
    same = requests.get(f"{base}/Patient?identifier={ident['system']}|{ident['value']}&_summary=count").json()
    assert same["total"] == 1
    assert all(status(a) == 201 for a, e in zip(answers, entries) if e in noise)


def test_batch_parallelism_one_runs_entries_one_by_one(new_server):
    s = new_server("batch-serial", "workspaces:\n  - name: default\n    services:\n      - kind: fhir\n"
                                   "        name: default\n        settings:\n          batch_parallelism: 1\n").start()
    answers = send(s.fhir(), batch(*[create(patient(family=f"S{i}")) for i in range(30)]))
    assert [status(a) for a in answers] == [201] * 30
    b = concurrency_buckets(s)
    assert b[float("inf")] >= 1 and b[1.0] == b[float("inf")], b
    assert s.stop() == 0
