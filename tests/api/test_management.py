"""Workspaces and services through the management API; isolation; persistence; versioning policies."""
import requests

from conftest import assert_outcome, patient, post, put


def mgmt(server, path=""):
    return f"{server.origin}/management/workspaces{path}"


def test_default_workspace_and_service(server):
    r = requests.get(mgmt(server, "/default"))
    assert r.status_code == 200, r.text
    ws = r.json()
    assert ws["name"] == "default" and ws["properties"]["provisioningState"] == "Succeeded"
    svc = requests.get(mgmt(server, "/default/fhirservices/default")).json()
    assert svc["properties"]["serviceUrl"] == server.fhir()
    assert svc["properties"]["provisioningState"] == "Succeeded"
    names = [w["name"] for w in requests.get(mgmt(server)).json()["value"]]
    assert "default" in names


def test_workspace_lifecycle_and_isolation(server):
    assert requests.put(mgmt(server, "/team1"), json={"properties": {}}).status_code in (200, 201)
    r = requests.put(mgmt(server, "/team1/fhirservices/svc1"), json={"properties": {}})
    assert r.status_code in (200, 201), r.text
    base = r.json()["properties"]["serviceUrl"]
    assert base == f"{server.origin}/team1/fhir/svc1"
    pid = post(base, "Patient", patient()).json()["id"]
    assert requests.get(f"{base}/Patient/{pid}").status_code == 200
    # another service does not see it
    assert requests.get(f"{server.fhir()}/Patient/{pid}").status_code == 404
    # a workspace with services cannot be deleted
    assert_outcome(requests.delete(mgmt(server, "/team1")), 409)
    assert requests.delete(mgmt(server, "/team1/fhirservices/svc1")).status_code in (200, 202, 204)
    assert_outcome(requests.get(f"{base}/Patient/{pid}"), 404, "not-found")
    assert requests.get(mgmt(server, "/team1/fhirservices/svc1")).status_code == 404
    assert requests.delete(mgmt(server, "/team1")).status_code in (200, 202, 204)
    assert requests.get(mgmt(server, "/team1")).status_code == 404


def test_names_follow_the_cloud_rules(server):
    for bad in ("ab", "Bad1", "has-dash", "a" * 25, "under_score"):
        assert_outcome(requests.put(mgmt(server, f"/{bad}"), json={"properties": {}}), 400)
    assert requests.put(mgmt(server, "/abc"), json={}).status_code in (200, 201)
    assert requests.put(mgmt(server, "/" + "a" * 24), json={}).status_code in (200, 201)
    assert_outcome(requests.put(mgmt(server, "/abc/fhirservices/X"), json={}), 400)


def test_bad_bodies_and_reserved_kinds(server):
    requests.put(mgmt(server, "/kinds"), json={})
    r = requests.put(mgmt(server, "/kinds/fhirservices/svc"), data="{not json",
                     headers={"Content-Type": "application/json"})
    assert_outcome(r, 400)
    assert_outcome(requests.put(mgmt(server, "/kinds/fhirservices/svc"), json={"properties": {"nope": 1}}), 400)
    assert_outcome(requests.put(mgmt(server, "/kinds/fhirservices/svc"),
                                json={"properties": {"versioning": "sometimes"}}), 400)
    assert requests.put(mgmt(server, "/kinds/dicomservices/dcm"), json={}).status_code == 201  # see test_dicom_*
    # IoT connectors are MedTech services (tests/api/test_medtech_*.py): bad properties are a 400.
    assert_outcome(requests.put(mgmt(server, "/kinds/iotconnectors/iot"), json={"properties": {"nope": 1}}), 400)
    assert_outcome(requests.put(mgmt(server, "/missing1/fhirservices/svc"), json={}), 404)


def test_versioning_policies(server):
    requests.put(mgmt(server, "/policies"), json={})
    r = requests.put(mgmt(server, "/policies/fhirservices/nover"), json={"properties": {"versioning": "no-version"}})
    assert r.status_code in (200, 201), r.text
    base = r.json()["properties"]["serviceUrl"]
    pid = post(base, "Patient", patient()).json()["id"]
    for fam in ("A", "B"):
        assert put(base, "Patient", pid, patient(id=pid, name=[{"family": fam}])).status_code == 200
    h = requests.get(f"{base}/Patient/{pid}/_history").json()
    assert [e["resource"]["meta"]["versionId"] for e in h["entry"]] == ["3"]

    r = requests.put(mgmt(server, "/policies/fhirservices/strict"),
                     json={"properties": {"versioning": "versioned", "versioningByType": {"Patient": "version-update"}}})
    assert r.status_code in (200, 201), r.text
    base = r.json()["properties"]["serviceUrl"]
    pid = post(base, "Patient", patient()).json()["id"]
    assert_outcome(put(base, "Patient", pid, patient(id=pid)), 412)
    assert put(base, "Patient", pid, patient(id=pid), headers={"If-Match": 'W/"1"'}).status_code == 200
    cs = requests.get(f"{base}/metadata").json()
    types = {res["type"]: res for res in cs["rest"][0]["resource"]}
    assert types["Patient"]["versioning"] == "versioned-update"
    assert types["Observation"]["versioning"] == "versioned"


def test_management_changes_survive_restart(new_server):
    s = new_server("mgmt-restart").start()
    requests.put(f"{s.origin}/management/workspaces/keep1", json={})
    r = requests.put(f"{s.origin}/management/workspaces/keep1/fhirservices/keepsvc", json={"properties": {}})
    base = r.json()["properties"]["serviceUrl"]
    pid = post(base, "Patient", patient(family="Kept")).json()["id"]
    assert s.stop() == 0
    s.start()
    assert requests.get(f"{s.origin}/management/workspaces/keep1/fhirservices/keepsvc").status_code == 200
    got = requests.get(f"{base}/Patient/{pid}")
    assert got.status_code == 200 and got.json()["name"][0]["family"] == "Kept"


def test_unknown_routes(server):
    assert_outcome(requests.get(f"{server.origin}/nosuchws/fhir/default/metadata"), 404, "not-found")
    assert_outcome(requests.get(f"{server.origin}/default/fhir/nosuchsvc/metadata"), 404, "not-found")
    assert_outcome(requests.get(f"{server.origin}/default/dicom/nosuchsvc/v2/studies"), 404)
    assert_outcome(requests.get(f"{server.origin}/nothing/here"), 404)
