"""FHIR R4 create, read, vread, update, delete and their headers."""
import time
from email.utils import formatdate

import requests

from conftest import FHIR_JSON, assert_outcome, patient, post, put


def test_create_assigns_id_version_and_headers(base):
    r = post(base, "Patient", patient(id="client-chosen", meta={"versionId": "99", "tag": [{"code": "t1"}]}))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["resourceType"] == "Patient"
    assert body["id"] != "client-chosen"  # the server owns the id on create
    assert body["meta"]["versionId"] == "1"
    assert body["meta"]["lastUpdated"].endswith("Z")
    assert body["meta"]["tag"] == [{"code": "t1"}]  # client meta kept
    assert r.headers["ETag"] == 'W/"1"'
    assert r.headers["Location"] == f"{base}/Patient/{body['id']}/_history/1"
    assert "GMT" in r.headers["Last-Modified"]
    assert r.headers["Content-Type"].startswith(FHIR_JSON)


def test_read_returns_what_was_created(base):
    created = post(base, "Patient", patient(family="Reader")).json()
    r = requests.get(f"{base}/Patient/{created['id']}")
    assert r.status_code == 200
    assert r.json() == created
    assert r.headers["ETag"] == 'W/"1"'


def test_read_unknown_is_404_outcome(base):
    assert_outcome(requests.get(f"{base}/Patient/does-not-exist"), 404, "not-found")


def test_unknown_type_is_404(base):
    assert_outcome(requests.get(f"{base}/Patientz/1"), 404, "not-found")
    assert_outcome(post(base, "NotAType", {"resourceType": "NotAType"}), 404, "not-found")


def test_invalid_id_is_400(base):
    assert_outcome(requests.get(f"{base}/Patient/bad_id!"), 400, "invalid")


def test_update_creates_new_versions_and_vread(base):
    created = post(base, "Patient", patient(family="V1")).json()
    pid = created["id"]
    upd = dict(created, name=[{"family": "V2"}])
    r = put(base, "Patient", pid, upd)
    assert r.status_code == 200, r.text
    assert r.json()["meta"]["versionId"] == "2"
    assert r.headers["ETag"] == 'W/"2"'
    assert r.headers["Location"].endswith(f"/Patient/{pid}/_history/2")
    v1 = requests.get(f"{base}/Patient/{pid}/_history/1")
    assert v1.status_code == 200 and v1.json()["name"][0]["family"] == "V1"
    v2 = requests.get(f"{base}/Patient/{pid}/_history/2")
    assert v2.json()["name"][0]["family"] == "V2"
    assert_outcome(requests.get(f"{base}/Patient/{pid}/_history/3"), 404, "not-found")
    assert requests.get(f"{base}/Patient/{pid}").json()["meta"]["versionId"] == "2"


def test_update_as_create(base):
    r = put(base, "Patient", "chosen-by-client-1", patient(id="chosen-by-client-1"))
    assert r.status_code == 201, r.text
    assert r.json()["id"] == "chosen-by-client-1"
    assert r.json()["meta"]["versionId"] == "1"
    assert requests.get(f"{base}/Patient/chosen-by-client-1").status_code == 200


def test_update_id_rules(base):
    assert_outcome(put(base, "Patient", "abc", patient(id="xyz")), 400, "invalid")
    assert_outcome(put(base, "Patient", "abc", patient()), 400, "required")


def test_if_match(base):
    pid = post(base, "Patient", patient()).json()["id"]
    body = patient(id=pid)
    assert_outcome(put(base, "Patient", pid, body, headers={"If-Match": 'W/"7"'}), 412)
    r = put(base, "Patient", pid, body, headers={"If-Match": 'W/"1"'})
    assert r.status_code == 200 and r.headers["ETag"] == 'W/"2"'
    assert_outcome(put(base, "Patient", pid, body, headers={"If-Match": 'W/"1"'}), 412)
    assert_outcome(requests.delete(f"{base}/Patient/{pid}", headers={"If-Match": 'W/"1"'}), 412)


def test_conditional_read_304(base):
    created = post(base, "Patient", patient())
    pid = created.json()["id"]
    r = requests.get(f"{base}/Patient/{pid}", headers={"If-None-Match": 'W/"1"'})
    assert r.status_code == 304 and r.text == ""
    assert requests.get(f"{base}/Patient/{pid}", headers={"If-None-Match": 'W/"0"'}).status_code == 200
    later = formatdate(time.time() + 60, usegmt=True)
    assert requests.get(f"{base}/Patient/{pid}", headers={"If-Modified-Since": later}).status_code == 304
    earlier = formatdate(time.time() - 3600, usegmt=True)
    assert requests.get(f"{base}/Patient/{pid}", headers={"If-Modified-Since": earlier}).status_code == 200


def test_delete_is_soft_then_gone(base):
    pid = post(base, "Patient", patient()).json()["id"]
    r = requests.delete(f"{base}/Patient/{pid}")
    assert r.status_code == 204
    assert r.headers["ETag"] == 'W/"2"'
    assert_outcome(requests.get(f"{base}/Patient/{pid}"), 410, "deleted")
    # the old version is still in history
    assert requests.get(f"{base}/Patient/{pid}/_history/1").status_code == 200
    assert_outcome(requests.get(f"{base}/Patient/{pid}/_history/2"), 410, "deleted")
    # deleting again is idempotent and makes no new version
    assert requests.delete(f"{base}/Patient/{pid}").status_code == 204
    hist = requests.get(f"{base}/Patient/{pid}/_history").json()
    assert hist["total"] == 2
    assert [e["request"]["method"] for e in hist["entry"]] == ["DELETE", "POST"]
    # update after delete revives the resource with the next version
    r = put(base, "Patient", pid, patient(id=pid))
    assert r.status_code == 201 and r.json()["meta"]["versionId"] == "3"


def test_hard_delete_removes_history(base):
    pid = post(base, "Patient", patient()).json()["id"]
    put(base, "Patient", pid, patient(id=pid, gender="female"))
    assert requests.delete(f"{base}/Patient/{pid}?hardDelete=true").status_code == 204
    assert_outcome(requests.get(f"{base}/Patient/{pid}"), 404, "not-found")
    assert_outcome(requests.get(f"{base}/Patient/{pid}/_history/1"), 404, "not-found")
    assert requests.get(f"{base}/Patient/{pid}/_history").json().get("entry", []) == []


def test_prefer_return(base):
    r = post(base, "Patient", patient(), headers={"Prefer": "return=minimal"})
    assert r.status_code == 201 and r.text == "" and "Location" in r.headers
    r = post(base, "Patient", patient(), headers={"Prefer": "return=OperationOutcome"})
    assert r.status_code == 201
    assert r.json()["resourceType"] == "OperationOutcome"
    assert r.json()["issue"][0]["severity"] == "information"


def test_pretty(base):
    pid = post(base, "Patient", patient()).json()["id"]
    compact = requests.get(f"{base}/Patient/{pid}").text
    pretty = requests.get(f"{base}/Patient/{pid}?_pretty=true").text
    assert "\n" not in compact and "\n  " in pretty


def test_xml_is_refused(base):
    pid = post(base, "Patient", patient()).json()["id"]
    assert_outcome(requests.get(f"{base}/Patient/{pid}?_format=xml"), 406, "not-supported")
    assert_outcome(requests.get(f"{base}/Patient/{pid}", headers={"Accept": "application/fhir+xml"}), 406)
    assert requests.get(f"{base}/Patient/{pid}?_format=json").status_code == 200
    r = requests.post(f"{base}/Patient", data="<Patient xmlns='http://hl7.org/fhir'/>",
                      headers={"Content-Type": "application/fhir+xml"})
    assert_outcome(r, 415, "not-supported")


def test_bad_json_and_type_mismatch(base):
    r = requests.post(f"{base}/Patient", data='{"resourceType": "Patient", ', headers={"Content-Type": FHIR_JSON})
    body = assert_outcome(r, 400, "structure")
    assert "line" in body["issue"][0]["diagnostics"]
    assert_outcome(post(base, "Patient", {"resourceType": "Observation", "status": "final",
                                          "code": {"text": "x"}}), 400, "invalid")
    assert_outcome(requests.post(f"{base}/Patient", data="[1,2]", headers={"Content-Type": FHIR_JSON}), 400)
    assert_outcome(requests.post(f"{base}/Patient", data="", headers={"Content-Type": FHIR_JSON}), 400)


def test_validation_names_the_element(base):
    body = assert_outcome(post(base, "Patient", patient(birthDate="1974-13-45")), 400, "value")
    assert any("Patient.birthDate" in e for i in body["issue"] for e in i.get("expression", []))
    body = assert_outcome(post(base, "Patient", patient(nickname="Pete")), 400, "structure")
    assert any("Patient.nickname" in e for i in body["issue"] for e in i.get("expression", []))
    body = assert_outcome(post(base, "Observation", {"resourceType": "Observation", "code": {"text": "x"}}), 400,
                          "required")
    assert any("Observation.status" in e for i in body["issue"] for e in i.get("expression", []))
    assert_outcome(post(base, "Patient", patient(name={"family": "not-an-array"})), 400, "structure")
    assert_outcome(post(base, "Patient", patient(active="yes")), 400)


def test_valid_complex_resource_round_trips(base):
    obs = {
        "resourceType": "Observation", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}]},
        "subject": {"reference": "Patient/123"},
        "effectiveDateTime": "2026-11-26T10:00:00+01:00",
        "valueQuantity": {"value": 72.5, "unit": "beats/minute", "system": "http://unitsofmeasure.org",
                          "code": "/min"},
        "contained": [{"resourceType": "Practitioner", "id": "p1", "name": [{"family": "Who"}]}],
        "_status": {"extension": [{"url": "http://example.org/ext", "valueString": "note"}]},
    }
    r = post(base, "Observation", obs)
    assert r.status_code == 201, r.text
    got = requests.get(f"{base}/Observation/{r.json()['id']}").json()
    for k in ("status", "code", "valueQuantity", "contained", "_status", "effectiveDateTime"):
        assert got[k] == obs[k]


def test_methods_not_allowed(base):
    pid = post(base, "Patient", patient()).json()["id"]
    r = requests.post(f"{base}/Patient/{pid}", json=patient(), headers={"Content-Type": FHIR_JSON})
    assert_outcome(r, 405)
    assert "Allow" in r.headers


def test_meta_at_type_and_system_level_is_the_union_in_use(base):
    import uuid
    tag, sec = "t" + uuid.uuid4().hex[:10], "s" + uuid.uuid4().hex[:10]
    profile = "http://example.org/StructureDefinition/union-" + uuid.uuid4().hex[:8]
    post(base, "Patient", patient(meta={"tag": [{"system": "urn:tags", "code": tag}], "profile": [profile]}))
    post(base, "Patient", patient(meta={"tag": [{"system": "urn:tags", "code": tag}],
                                        "security": [{"system": "urn:sec", "code": sec}]}))
    post(base, "Observation", {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                               "meta": {"tag": [{"system": "urn:obs-tags", "code": tag}]}})

    def meta_of(url):
        r = requests.get(url)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["resourceType"] == "Parameters" and body["parameter"][0]["name"] == "return"
        return body["parameter"][0]["valueMeta"]

    patients = meta_of(f"{base}/Patient/$meta")
    assert patients["tag"].count({"system": "urn:tags", "code": tag}) == 1  # two resources, one entry
    assert {"system": "urn:obs-tags", "code": tag} not in patients["tag"]
    assert profile in patients["profile"]
    assert {"system": "urn:sec", "code": sec} in patients["security"]
    everything = meta_of(f"{base}/$meta")
    assert {"system": "urn:tags", "code": tag} in everything["tag"]
    assert {"system": "urn:obs-tags", "code": tag} in everything["tag"]
    assert profile in everything["profile"]
    assert requests.get(f"{base}/NoSuchType/$meta").status_code == 404


def test_head_read(base):
    pid = post(base, "Patient", patient()).json()["id"]
    r = requests.head(f"{base}/Patient/{pid}")
    assert r.status_code == 200 and r.text == "" and r.headers["ETag"] == 'W/"1"'


def test_meta_operations_change_meta_in_place_and_purge_history(base):
    import uuid
    tag = "t" + uuid.uuid4().hex[:10]
    r = post(base, "Patient", patient())
    pid = r.json()["id"]
    put(base, "Patient", pid, dict(patient(), id=pid, gender="female"))  # version 2
    change = {"resourceType": "Parameters", "parameter": [{"name": "meta", "valueMeta": {
        "tag": [{"system": "urn:tags", "code": tag}], "profile": ["http://example.org/StructureDefinition/p"]}}]}
    r = requests.post(f"{base}/Patient/{pid}/$meta-add", json=change)
    assert r.status_code == 200, r.text
    meta = r.json()["parameter"][0]["valueMeta"]
    assert {"system": "urn:tags", "code": tag} in meta["tag"]
    assert meta["profile"] == ["http://example.org/StructureDefinition/p"]
    cur = requests.get(f"{base}/Patient/{pid}").json()
    assert cur["meta"]["versionId"] == "2" and cur["meta"]["tag"][0]["code"] == tag  # no new version
    # The tag is searchable at once.
    b = requests.get(f"{base}/Patient?_tag=urn:tags|{tag}").json()
    assert [e["resource"]["id"] for e in b.get("entry", [])] == [pid]
    r = requests.get(f"{base}/Patient/{pid}/$meta")
    assert r.status_code == 200 and r.json()["parameter"][0]["valueMeta"]["tag"][0]["code"] == tag
    r = requests.post(f"{base}/Patient/{pid}/$meta-delete", json=change)
    assert r.status_code == 200 and "tag" not in r.json()["parameter"][0]["valueMeta"]
    b = requests.get(f"{base}/Patient?_tag=urn:tags|{tag}").json()
    assert b.get("entry", []) == []
    assert requests.post(f"{base}/Patient/{pid}/$meta-add", json={"resourceType": "Parameters"}).status_code == 400
    # $purge-history keeps only the current version.
    assert requests.get(f"{base}/Patient/{pid}/_history/1").status_code == 200
    r = requests.post(f"{base}/Patient/{pid}/$purge-history")
    assert r.status_code == 200, r.text
    assert requests.get(f"{base}/Patient/{pid}/_history/1").status_code == 404
    assert requests.get(f"{base}/Patient/{pid}").json()["meta"]["versionId"] == "2"
    h = requests.get(f"{base}/Patient/{pid}/_history").json()
    assert [e["resource"]["meta"]["versionId"] for e in h["entry"]] == ["2"]
