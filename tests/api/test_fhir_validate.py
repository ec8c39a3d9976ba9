"""$validate (type and instance level, modes, profile parameter, meta.profile, stored
StructureDefinitions with slicing) and opt-in validation on writes (setting, x-ms-profile-validation)."""
import json
import os

import pytest
import requests

from conftest import FHIR_JSON, assert_outcome, patient, post, put

HERE = os.path.dirname(__file__)
CASES = os.path.join(HERE, "..", "unit", "fhir", "validate_cases")
SYNTHEA = os.path.join(HERE, "..", "..", "..", "shared", "testdata", "synthea")
CORE_PATIENT = "http://example.org/fhir/StructureDefinition/core-patient"
HEART_RATE = "http://example.org/fhir/StructureDefinition/heart-rate"
NARRATIVE = {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}


def profile_file(name):
    with open(os.path.join(CASES, "profiles", name)) as f:
        return json.load(f)


def validate(base, rtype, body, rid=None, **kw):
    url = f"{base}/{rtype}/{rid}/$validate" if rid else f"{base}/{rtype}/$validate"
    return requests.post(url, json=body, headers={"Content-Type": FHIR_JSON}, **kw)


def issues(resp, severity=None):
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["resourceType"] == "OperationOutcome"
    return [i for i in body["issue"] if severity is None or i["severity"] == severity]


def errors(resp):
    return issues(resp, "error")


def conforming_patient(**extra):
    body = {"resourceType": "Patient", "text": NARRATIVE,
            "identifier": [{"system": "http://hospital.example.org/mrn", "value": "12345"}],
            "name": [{"family": "Doe", "given": ["Jane"]}], "gender": "female"}
    body.update(extra)
    return body


@pytest.fixture(scope="module")
def profiles(base):
    """The US Core-like profiles of the unit cases, stored in the service."""
    for name in ("core-patient.json", "heart-rate.json"):
        sd = profile_file(name)
        r = put(base, "StructureDefinition", sd["id"], sd)
        assert r.status_code in (200, 201), r.text
    return base


def test_type_level_valid_answers_all_ok(base):
    r = validate(base, "Patient", conforming_patient())
    found = issues(r)
    assert found == [{"severity": "information", "code": "informational", "diagnostics": "All OK"}]


def test_errors_carry_expressions(base):
    body = {"resourceType": "Patient", "text": NARRATIVE, "name": [{"given": ["A", 7]}], "birthDate": "1970-13-01",
            "contact": [{"gender": "male"}]}
    found = {(i["code"], i["expression"][0]) for i in errors(validate(base, "Patient", body))}
    assert ("structure", "Patient.name[0].given[1]") in found
    assert ("value", "Patient.birthDate") in found
    assert ("invariant", "Patient.contact[0]") in found  # pat-1


def test_warning_invariant_and_nothing_is_stored(base):
    r = validate(base, "Patient", {"resourceType": "Patient", "active": True})
    warnings = issues(r, "warning")
    assert any("dom-6" in i["diagnostics"] for i in warnings), warnings
    assert not errors(r)
    assert not requests.get(f"{base}/Patient", params={"active": "true"}).json().get("entry")


def test_parameters_body_with_resource_and_profile(profiles):
    body = {"resourceType": "Parameters", "parameter": [
        {"name": "resource", "resource": {"resourceType": "Patient", "text": NARRATIVE, "name": [{"family": "X"}]}},
        {"name": "profile", "valueUri": CORE_PATIENT}]}
    found = {i["expression"][0] for i in errors(validate(profiles, "Patient", body))}
    assert {"Patient.identifier", "Patient.gender"} <= found


def test_profile_url_parameter(profiles):
    bad = {"resourceType": "Patient", "text": NARRATIVE, "name": [{"family": "X"}], "gender": "male"}
    found = {i["expression"][0] for i in errors(validate(profiles, "Patient", bad, params={"profile": CORE_PATIENT}))}
    assert found == {"Patient.identifier"}
    assert not errors(validate(profiles, "Patient", conforming_patient(), params={"profile": CORE_PATIENT}))
    # Without the profile the same resource is valid.
    assert not errors(validate(profiles, "Patient", bad))


def test_meta_profile_applies(profiles):
    claimed = {"resourceType": "Patient", "text": NARRATIVE, "meta": {"profile": [CORE_PATIENT]},
               "name": [{"family": "X"}]}
    found = {i["expression"][0] for i in errors(validate(profiles, "Patient", claimed))}
    assert {"Patient.identifier", "Patient.gender"} <= found


def test_unknown_profile_is_an_error_not_a_500(base):
    r = validate(base, "Patient", conforming_patient(), params={"profile": "http://example.org/nope"})
    errs = errors(r)
    assert len(errs) == 1 and errs[0]["code"] == "processing" and "nope" in errs[0]["diagnostics"]
    # Only claimed in meta.profile: a warning.
    r = validate(base, "Patient", conforming_patient(meta={"profile": ["http://example.org/also-nope"]}))
    assert not errors(r) and any("also-nope" in i["diagnostics"] for i in issues(r, "warning"))


def test_stored_differential_with_slicing(profiles):
    ok = {"resourceType": "Observation", "text": NARRATIVE, "status": "final", "subject": {"reference": "Patient/1"},
          "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
          "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                    "code": "vital-signs"}]}],
          "valueQuantity": {"value": 60, "system": "http://unitsofmeasure.org", "code": "/min"},
          "component": [{"code": {"coding": [{"system": "http://loinc.org", "code": "8884-9"}]}, "valueString": "x"}]}
    assert not errors(validate(profiles, "Observation", ok, params={"profile": HEART_RATE}))
    bad = dict(ok, category=[{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                          "code": "laboratory"}]}],
               component=[{"code": {"coding": [{"system": "http://loinc.org", "code": "1-1"}]}, "valueString": "x"}])
    found = {(i["code"], i["expression"][0]) for i in errors(validate(profiles, "Observation", bad,
                                                                       params={"profile": HEART_RATE}))}
    assert found == {("required", "Observation.category"), ("structure", "Observation.component[0]")}


def test_profile_changes_take_effect(profiles):
    """A StructureDefinition write clears the compiled profile cache."""
    sd = profile_file("core-patient.json")
    sd["id"] = "changing"
    sd["url"] = "http://example.org/fhir/StructureDefinition/changing"
    assert put(profiles, "StructureDefinition", "changing", sd).status_code in (200, 201)
    body = conforming_patient()
    assert not errors(validate(profiles, "Patient", body, params={"profile": sd["url"]}))
    sd["differential"]["element"].append({"id": "Patient.birthDate", "path": "Patient.birthDate", "min": 1})
    assert put(profiles, "StructureDefinition", "changing", sd).status_code == 200
    found = {i["expression"][0] for i in errors(validate(profiles, "Patient", body, params={"profile": sd["url"]}))}
    assert found == {"Patient.birthDate"}
    assert requests.delete(f"{profiles}/StructureDefinition/changing").status_code == 204
    assert errors(validate(profiles, "Patient", body, params={"profile": sd["url"]}))[0]["code"] == "processing"


def test_instance_level_get_and_post(base):
    created = post(base, "Patient", conforming_patient()).json()
    pid = created["id"]
    r = requests.get(f"{base}/Patient/{pid}/$validate")
    assert issues(r)[0]["diagnostics"] == "All OK"
    r = validate(base, "Patient", dict(created, gender="nope"), rid=pid)
    assert any(i["expression"][0] == "Patient.gender" for i in errors(r))
    assert requests.get(f"{base}/Patient/does-not-exist/$validate").status_code == 404


def test_modes(base):
    created = post(base, "Patient", conforming_patient()).json()
    pid = created["id"]
    # update: the resource needs its id, and it must be the URL's
    r = validate(base, "Patient", conforming_patient(), rid=pid, params={"mode": "update"})
    assert any(i["code"] == "required" for i in errors(r))
    r = validate(base, "Patient", dict(created, id="other"), rid=pid, params={"mode": "update"})
    assert any("does not match" in i["diagnostics"] for i in errors(r))
    assert not errors(validate(base, "Patient", created, rid=pid, params={"mode": "update"}))
    # create: an id in the body is allowed (the server assigns its own)
    assert not errors(validate(base, "Patient", created, params={"mode": "create"}))
    # delete: the resource must exist
    r = requests.post(f"{base}/Patient/{pid}/$validate", params={"mode": "delete"})
    assert issues(r)[0]["diagnostics"] == "All OK"
    r = requests.post(f"{base}/Patient/missing/$validate", params={"mode": "delete"})
    assert errors(r)[0]["code"] == "not-found"
    # mode as a Parameters parameter
    body = {"resourceType": "Parameters", "parameter": [{"name": "mode", "valueCode": "delete"}]}
    assert issues(validate(base, "Patient", body, rid=pid))[0]["diagnostics"] == "All OK"
    assert_outcome(validate(base, "Patient", created, params={"mode": "nonsense"}), 400, "invalid")


def test_bad_bodies_are_4xx(base):
    r = requests.post(f"{base}/Patient/$validate", data="{not json", headers={"Content-Type": FHIR_JSON})
    assert_outcome(r, 400, "structure")
    r = requests.post(f"{base}/Patient/$validate", headers={"Content-Type": FHIR_JSON})
    assert_outcome(r, 400, "invalid")
    r = validate(base, "Patient", {"resourceType": "Observation", "status": "final", "code": {"text": "x"}})
    assert any(i["expression"][0] == "resourceType" for i in errors(r))


def test_header_opt_in_on_create_and_update(profiles):
    claimed = {"resourceType": "Patient", "text": NARRATIVE, "meta": {"profile": [CORE_PATIENT]},
               "name": [{"family": "X"}]}
    # Without the header the base validation alone decides: stored.
    assert post(profiles, "Patient", claimed).status_code == 201
    r = post(profiles, "Patient", claimed, headers={"x-ms-profile-validation": "true"})
    body = assert_outcome(r, 400)
    assert {i["expression"][0] for i in body["issue"]} >= {"Patient.identifier", "Patient.gender"}
    assert all(i["severity"] == "error" for i in body["issue"])
    good = conforming_patient(meta={"profile": [CORE_PATIENT]})
    created = post(profiles, "Patient", good, headers={"x-ms-profile-validation": "true"})
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    r = put(profiles, "Patient", pid, dict(claimed, id=pid), headers={"x-ms-profile-validation": "true"})
    assert_outcome(r, 400)
    # Invariants too, not only profiles.
    r = post(profiles, "Patient", {"resourceType": "Patient", "contact": [{"gender": "male"}]},
             headers={"x-ms-profile-validation": "true"})
    assert_outcome(r, 400, "invariant")


def test_service_setting_turns_it_on(new_server):
    s = new_server("validate-setting", """workspaces:
  - name: default
    services:
      - kind: fhir
        name: default
        settings:
          profile_validation: true
""").start()
    base = s.fhir()
    r = post(base, "Patient", {"resourceType": "Patient", "contact": [{"gender": "male"}]})
    assert_outcome(r, 400, "invariant")
    # the header turns it off for one request
    r = post(base, "Patient", {"resourceType": "Patient", "contact": [{"gender": "male"}]},
             headers={"x-ms-profile-validation": "false"})
    assert r.status_code == 201, r.text
    assert post(base, "Patient", patient(text=NARRATIVE)).status_code == 201


def synthea_resources():
    bundles = os.path.join(SYNTHEA, "bundles")
    for name in sorted(os.listdir(bundles)):
        with open(os.path.join(bundles, name)) as f:
            for e in json.load(f)["entry"]:
                yield e["resource"]
    ndjson = os.path.join(SYNTHEA, "ndjson")
    for name in sorted(os.listdir(ndjson)):
        if name == "log.ndjson":
            continue
        with open(os.path.join(ndjson, name)) as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)


@pytest.mark.skipif(not os.path.isdir(SYNTHEA), reason="no Synthea test data")
def test_every_synthea_resource_validates_without_errors(base):
    """False positives are defects: real data must not get error issues from the base spec."""
    session = requests.Session()
    count = 0
    failures = []
    for r in synthea_resources():
        resp = session.post(f"{base}/{r['resourceType']}/$validate", data=json.dumps(r),
                            headers={"Content-Type": FHIR_JSON})
        errs = errors(resp)
        if errs:
            failures.append((r["resourceType"], r.get("id"), errs[:3]))
        count += 1
    assert count > 3000
    assert not failures, failures[:5]
