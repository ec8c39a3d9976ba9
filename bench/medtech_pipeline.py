#!/usr/bin/env python3
"""MedTech pipeline figures for bench/medtech.sh (one line of output per measurement).

  e2e ORIGIN DATA N PERIOD   N heart-rate messages queued while the destination FHIR service is
                             away, then the service comes back: time until the queue is empty
                             and the Observations are there (normalize + group + transform + persist).
                             -> "e2e-<PERIOD> <messages/s> <seconds> <observations>"
  latency ORIGIN DATA SECONDS RATE
                             RATE heart-rate messages/s over HTTP (10 per request, paced) for
                             SECONDS, periodInterval 0, each message with its own timestamp, so
                             each becomes its own Observation. A poller follows the FHIR search
                             Observation?_lastUpdated=ge{last seen}&_sort=_lastUpdated (every
                             page) back to back; a message's latency runs from the 202 of its
                             request to the answer of the first search that returned its
                             Observation (an upper bound: it includes up to one poll round).
                             -> "latency <messages> <p50 ms> <p99 ms> <max ms> <poll ms> <sent msg/s>"
  mqtt ORIGIN DATA N PORT    N messages published with `mosquitto_pub -l -q 1` from a file to the
                             broker on PORT: time until the service has read them all.
                             -> "mqtt <messages/s> <seconds> <publisher seconds>"
Env: HEALTHD_BIN (for `healthd token`), BENCH_DIR, WS_SUFFIX (appended to the e2e workspace name,
to run e2e again against the same server).
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone

import requests

BIN = os.environ.get("HEALTHD_BIN", "build/healthd")
BENCH_DIR = os.environ.get("BENCH_DIR", os.path.dirname(os.path.abspath(__file__)))
TOKENS = {}


def token(data, audience):
    if audience not in TOKENS:
        out = subprocess.run([BIN, "token", "--data", data, "--audience", audience], capture_output=True, text=True,
                             check=True)
        TOKENS[audience] = out.stdout.strip()
    return {"Authorization": "Bearer " + TOKENS[audience]}


def check(r, *ok):
    if r.status_code not in ok:
        sys.exit(f"{r.request.method} {r.url}: {r.status_code} {r.text[:500]}")
    return r


def mappings(period):
    with open(os.path.join(BENCH_DIR, "medtech", "devicecontent.json")) as f:
        device = json.load(f)
    with open(os.path.join(BENCH_DIR, "medtech", "fhirmapping.json")) as f:
        fhir = json.loads(f.read().replace("@PERIOD@", str(period)))
    return device, fhir


def messages(n, devices=100):
    """n heart-rate messages, `devices` devices, 5 s apart per device (one hour holds 720 per device)."""
    for i in range(n):
        d, k = i % devices, i // devices
        yield json.dumps({"heartRate": 55 + i % 50, "deviceId": f"bench-dev-{d}", "patientId": f"bench-pat-{d}",
                          "endDate": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1704067200 + 5 * k))})


class Workspace:
    """A workspace with a FHIR service `store` and a MedTech service `devices` writing to it."""

    def __init__(self, origin, data, name, period, queue_limit, mqtt=None):
        self.origin, self.data, self.name = origin, data, name
        self.mgmt = f"{origin}/management/workspaces/{name}"
        self.auth = token(data, origin)
        check(requests.put(self.mgmt, json={}, headers=self.auth), 201)
        self.put_store()
        device, fhir = mappings(period)
        props = {"deviceMapping": {"content": device}, "queueLimit": queue_limit}
        if mqtt:
            props["ingestionEndpointConfiguration"] = {"mqtt": mqtt}
        check(requests.put(f"{self.mgmt}/iotconnectors/devices", json={"properties": props}, headers=self.auth), 201)
        check(requests.put(f"{self.mgmt}/iotconnectors/devices/fhirdestinations/out", json={"properties": {
            "resourceIdentityResolutionType": "Create", "fhirServiceResourceId": "store",
            "fhirMapping": {"content": fhir}}}, headers=self.auth), 201)
        self.medtech = f"{origin}/{name}/medtech/devices"
        self.fhir = f"{origin}/{name}/fhir/store"

    def put_store(self):
        check(requests.put(f"{self.mgmt}/fhirservices/store", headers=self.auth), 201)

    def delete_store(self):
        check(requests.delete(f"{self.mgmt}/fhirservices/store", headers=self.auth), 200)

    def connector(self):
        return check(requests.get(f"{self.mgmt}/iotconnectors/devices", headers=self.auth), 200).json()["properties"]

    def observations(self):
        r = check(requests.get(f"{self.fhir}/Observation", params={"_summary": "count"},
                               headers=token(self.data, self.fhir)), 200)
        return r.json()["total"]

    def wait(self, done, timeout=600):
        deadline = time.time() + timeout
        while not done():
            if time.time() > deadline:
                sys.exit(f"{self.name}: not done within {timeout} s: {self.connector()}")
            time.sleep(0.05)
        return time.time()


def e2e(origin, data, n, period):
    ws = Workspace(origin, data, f"benche2e{period}" + os.environ.get("WS_SUFFIX", ""), period, queue_limit=n + 1)
    ws.delete_store()  # the worker cannot write: everything stays queued
    auth = token(data, ws.medtech)
    chunk = []
    for m in messages(n):
        chunk.append(m)
        if len(chunk) == 1000:
            check(requests.post(f"{ws.medtech}/messages", data="\n".join(chunk), headers=auth), 202)
            chunk = []
    if chunk:
        check(requests.post(f"{ws.medtech}/messages", data="\n".join(chunk), headers=auth), 202)
    assert ws.connector()["queueDepth"] == n
    start = time.time()
    ws.put_store()
    end = ws.wait(lambda: ws.connector()["queueDepth"] == 0)
    errors = check(requests.get(f"{ws.medtech}/errors", headers=auth), 200).json()["total"]
    if errors:
        sys.exit(f"e2e: {errors} dead letters")
    observations = ws.observations()
    print(f"e2e-{period} {n / (end - start):.0f} {end - start:.2f} {observations}")


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def latency(origin, data, seconds, rate):
    ws = Workspace(origin, data, "benchlatency", 0, queue_limit=10 * seconds * rate)
    auth = token(data, ws.medtech)
    fhir_auth = token(data, ws.fhir)
    base = 1704067200  # message i is at base + i seconds: its own Observation, found by its time
    per_request = 10
    total = seconds * rate
    accepted = [None] * total
    seen = {}
    done = threading.Event()
    poll_rounds = []

    def effective_index(resource):
        when = resource.get("effectiveDateTime") or resource.get("effectivePeriod", {}).get("start")
        t = datetime.fromisoformat(when.replace("Z", "+00:00")).replace(tzinfo=timezone.utc)
        return int(t.timestamp()) - base

    def poll():
        session = requests.Session()
        cursor = "2000-01-01T00:00:00Z"
        while not done.is_set():
            started = time.time()
            url, params = f"{ws.fhir}/Observation", {"_lastUpdated": f"ge{cursor}", "_sort": "_lastUpdated",
                                                   "_count": "1000"}
            while url:
                bundle = check(session.get(url, params=params, headers=fhir_auth), 200).json()
                arrived = time.time()
                for e in bundle.get("entry", []):
                    r = e["resource"]
                    seen.setdefault(effective_index(r), arrived)
                    cursor = max(cursor, r["meta"]["lastUpdated"])
                url = next((link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), None)
                params = None
            poll_rounds.append(time.time() - started)
            if len(seen) >= total:
                done.set()
            time.sleep(0.005)

    poller = threading.Thread(target=poll)
    poller.start()
    session = requests.Session()
    start = time.time()
    for first in range(0, total, per_request):
        due = start + first / rate
        if due > time.time():
            time.sleep(due - time.time())
        chunk = [json.dumps({"heartRate": 55 + i % 50, "deviceId": f"lat-dev-{i % 100}", "patientId": f"lat-pat-{i % 100}",
                             "endDate": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base + i))})
                 for i in range(first, min(total, first + per_request))]
        check(session.post(f"{ws.medtech}/messages", data="\n".join(chunk), headers=auth), 202)
        now = time.time()
        for i in range(first, first + len(chunk)):
            accepted[i] = now
    sent_rate = total / (time.time() - start)
    done.wait(timeout=300)
    done.set()
    poller.join()
    errors = check(requests.get(f"{ws.medtech}/errors", headers=auth), 200).json()["total"]
    if errors or len(seen) < total:
        sys.exit(f"latency: {errors} dead letters, {len(seen)} of {total} Observations seen")
    lat = [(seen[i] - accepted[i]) * 1000 for i in range(total)]
    print(f"latency {total} {percentile(lat, 50):.0f} {percentile(lat, 99):.0f} {max(lat):.0f} "
          f"{1000 * sum(poll_rounds) / len(poll_rounds):.0f} {sent_rate:.0f}")


def metric(origin, name, connector):
    for line in requests.get(f"{origin}/metrics").text.splitlines():
        if line.startswith(f'{name}{{connector="{connector}"}} '):
            return float(line.split()[-1])
    return 0.0


def mqtt(origin, data, n, port):
    ws = Workspace(origin, data, "benchmqtt", 60, queue_limit=n + 1,
                   mqtt={"host": "127.0.0.1", "port": port, "topics": ["bench/heart"]})
    ws.delete_store()  # measure the ingest alone
    connector = "benchmqtt/devices"
    deadline = time.time() + 30
    while metric(origin, "healthd_medtech_mqtt_connected", connector) != 1:
        if time.time() > deadline:
            sys.exit("mqtt: the MedTech service did not connect to the broker")
        time.sleep(0.05)
    with tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False) as f:
        f.write("\n".join(messages(n)) + "\n")
    start = time.time()
    with open(f.name) as lines:
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-t", "bench/heart", "-q", "1", "-l"],
                       stdin=lines, check=True)
    published = time.time()
    end = ws.wait(lambda: metric(origin, "healthd_medtech_mqtt_messages_received_total", connector) >= n)
    os.unlink(f.name)
    assert ws.connector()["queueDepth"] == n
    print(f"mqtt {n / (end - start):.0f} {end - start:.2f} {published - start:.2f}")


if __name__ == "__main__":
    what, origin, data, n, arg = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    {"e2e": e2e, "mqtt": mqtt, "latency": latency}[what](origin, data, n, arg)
