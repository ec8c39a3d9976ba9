"""History at instance, type and system level; CapabilityStatement."""
import time
from datetime import datetime, timezone

import requests

from conftest import assert_outcome, patient, post, put


def iso_now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def test_instance_history_newest_first_with_entries(base):
    pid = post(base, "Patient", patient(family="H1")).json()["id"]
    for fam in ("H2", "H3"):
        assert put(base, "Patient", pid, patient(id=pid, name=[{"family": fam}])).status_code == 200
    b = requests.get(f"{base}/Patient/{pid}/_history").json()
    assert b["resourceType"] == "Bundle" and b["type"] == "history" and b["total"] == 3
    assert [e["resource"]["meta"]["versionId"] for e in b["entry"]] == ["3", "2", "1"]
    assert [e["request"]["method"] for e in b["entry"]] == ["PUT", "PUT", "POST"]
    assert b["entry"][2]["request"]["url"] == "Patient"
    assert b["entry"][0]["request"]["url"] == f"Patient/{pid}"
    assert b["entry"][0]["response"]["etag"] == 'W/"3"'
    assert b["entry"][2]["response"]["status"].startswith("201")
    assert all(e["fullUrl"] == f"{base}/Patient/{pid}" for e in b["entry"])
    assert b["link"][0]["relation"] == "self"


def test_paging_walks_every_version_once(base):
    pid = post(base, "Patient", patient()).json()["id"]
    for i in range(6):
        put(base, "Patient", pid, patient(id=pid, name=[{"family": f"P{i}"}]))
    seen = []
    url = f"{base}/Patient/{pid}/_history?_count=3"
    pages = 0
    while url:
        b = requests.get(url).json()
        pages += 1
        seen += [e["resource"]["meta"]["versionId"] for e in b["entry"]]
        url = next((l["url"] for l in b["link"] if l["relation"] == "next"), None)
    assert seen == [str(v) for v in range(7, 0, -1)]
    assert pages == 3


def test_count_capped_with_warning(base):
    b = requests.get(f"{base}/_history?_count=100000").json()
    oo = [e for e in b["entry"] if e.get("search", {}).get("mode") == "outcome"]
    assert oo and oo[0]["resource"]["issue"][0]["severity"] == "warning"
    assert_outcome(requests.get(f"{base}/_history?_count=abc"), 400, "invalid")


def test_since_and_type_and_system_history(base):
    time.sleep(0.01)
    since = iso_now()
    time.sleep(0.01)
    oid = post(base, "Observation", {"resourceType": "Observation", "status": "final",
                                     "code": {"text": "since-test"}}).json()["id"]
    pid = post(base, "Patient", patient(family="Since")).json()["id"]
    t = requests.get(f"{base}/Observation/_history", params={"_since": since}).json()
    assert [e["resource"]["id"] for e in t["entry"]] == [oid]
    s = requests.get(f"{base}/_history", params={"_since": since}).json()
    assert [e["resource"]["id"] for e in s["entry"]] == [pid, oid]
    assert_outcome(requests.get(f"{base}/_history?_since=yesterday"), 400, "invalid")


def test_at_gives_the_version_current_then(base):
    pid = post(base, "Patient", patient(family="At1")).json()["id"]
    time.sleep(0.05)
    between = iso_now()
    time.sleep(0.05)
    put(base, "Patient", pid, patient(id=pid, name=[{"family": "At2"}]))
    b = requests.get(f"{base}/Patient/{pid}/_history", params={"_at": between}).json()
    assert [e["resource"]["name"][0]["family"] for e in b["entry"]] == ["At1"]


def test_history_shows_deletes(base):
    pid = post(base, "Patient", patient()).json()["id"]
    requests.delete(f"{base}/Patient/{pid}")
    b = requests.get(f"{base}/Patient/{pid}/_history").json()
    first = b["entry"][0]
    assert first["request"]["method"] == "DELETE" and "resource" not in first
    assert first["response"]["etag"] == 'W/"2"'


def test_capability_statement(base):
    r = requests.get(f"{base}/metadata")
    assert r.status_code == 200
    cs = r.json()
    assert cs["resourceType"] == "CapabilityStatement" and cs["fhirVersion"] == "4.0.1"
    assert cs["implementation"]["url"] == base
    types = {res["type"]: res for res in cs["rest"][0]["resource"]}
    assert len(types) >= 140 and "Patient" in types and "Observation" in types
    codes = {i["code"] for i in types["Patient"]["interaction"]}
    assert codes == {"read", "vread", "update", "patch", "delete", "create", "history-instance", "history-type",
                     "search-type"}
    assert types["Patient"]["versioning"] == "versioned"
    assert {"code": "history-system"} in cs["rest"][0]["interaction"]
