"""An acknowledged write survives kill -9 of the server in the middle of a concurrent write load."""
import threading
import time

import requests

from conftest import FHIR_JSON, patient


def writer(base, stop, acked, errors):
    session = requests.Session()
    mine = []
    while not stop.is_set():
        try:
            if mine and len(mine) % 3 == 0:
                pid = mine[-1]
                r = session.put(f"{base}/Patient/{pid}", json=patient(id=pid, gender="female"),
                                headers={"Content-Type": FHIR_JSON}, timeout=5)
            else:
                r = session.post(f"{base}/Patient", json=patient(), headers={"Content-Type": FHIR_JSON}, timeout=5)
        except requests.RequestException:
            continue  # the server died under us: that write was never acknowledged
        if r.status_code in (200, 201):
            body = r.json()
            acked.append((body["id"], body["meta"]["versionId"], body["meta"]["lastUpdated"]))
            mine.append(body["id"])
        else:
            errors.append(r.status_code)


def test_acknowledged_writes_survive_sigkill(new_server):
    s = new_server("durability").start()
    base = s.fhir()
    stop = threading.Event()
    acked, errors = [], []
    threads = [threading.Thread(target=writer, args=(base, stop, acked, errors)) for _ in range(16)]
    for t in threads:
        t.start()
    deadline = time.time() + 20
    while len(acked) < 400 and time.time() < deadline:
        time.sleep(0.05)
    s.kill9()  # mid-load: requests are in flight
    stop.set()
    for t in threads:
        t.join()
    assert len(acked) >= 400, f"only {len(acked)} writes acknowledged before the kill"
    assert errors == [], f"unexpected statuses under load: {set(errors)}"

    s.start()
    session = requests.Session()
    missing = []
    for rid, version, last_updated in acked:
        r = session.get(f"{base}/Patient/{rid}/_history/{version}")
        if r.status_code != 200 or r.json()["meta"]["lastUpdated"] != last_updated:
            missing.append((rid, version, r.status_code))
    assert missing == [], f"{len(missing)} of {len(acked)} acknowledged writes lost: {missing[:5]}"
