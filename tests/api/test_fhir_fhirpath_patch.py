"""FHIR R4 PATCH with FHIRPath Patch (a Parameters resource): operations, versions, If-Match, errors, SMART."""
import requests

from conftest import FHIR_JSON, assert_outcome, patient, post


def op(type_, path, **parts):
    """One `operation` parameter; parts are name=(valueX, value) or name=[sub-parts] for a complex value."""
    out = [{"name": "type", "valueCode": type_}, {"name": "path", "valueString": path}]
    for name, v in parts.items():
        if isinstance(v, tuple):
            out.append({"name": name, v[0]: v[1]})
        else:
            out.append({"name": name, "part": v})
    return {"name": "operation", "part": out}


def params(*ops):
    return {"resourceType": "Parameters", "parameter": list(ops)}


def fp_patch(base, rtype, rid, body, content_type=FHIR_JSON, **kw):
    headers = {"Content-Type": content_type, **kw.pop("headers", {})}
    return requests.patch(f"{base}/{rtype}/{rid}", json=body, headers=headers, **kw)


def create(base, body=None, rtype="Patient"):
    r = post(base, rtype, body or patient())
    assert r.status_code == 201, r.text
    return r.json()


def current(base, pid, rtype="Patient"):
    r = requests.get(f"{base}/{rtype}/{pid}")
    assert r.status_code == 200, r.text
    return r.json()


def test_add_insert_delete_replace_move_make_new_versions(base):
    created = create(base, patient(telecom=[{"system": "phone", "value": "1"}]))
    pid = created["id"]
    r = fp_patch(base, "Patient", pid, params(
        op("replace", "Patient.name[0].family", value=("valueString", "After")),
        op("add", "Patient.name[0]", name=("valueString", "given"), value=("valueString", "James")),
        op("insert", "Patient.name[0].given", index=("valueInteger", 0), value=("valueString", "First")),
        op("move", "Patient.name[0].given", source=("valueInteger", 2), destination=("valueInteger", 1)),
        op("add", "Patient", name=("valueString", "active"), value=("valueBoolean", True)),
        op("add", "Patient", name=("valueString", "contact"),
           value=[{"name": "gender", "valueCode": "female"}, {"name": "name", "valueHumanName": {"text": "Jo"}}]),
        op("delete", "Patient.telecom"),
        op("delete", "Patient.photo"),  # nothing there: a no-op
    ))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == pid and body["resourceType"] == "Patient"
    assert body["name"][0] == {"family": "After", "given": ["First", "James", "Peter"]}
    assert body["active"] is True
    assert body["contact"] == [{"gender": "female", "name": {"text": "Jo"}}]
    assert "telecom" not in body
    assert body["gender"] == "male" and body["birthDate"] == "1974-12-25"
    assert body["meta"]["versionId"] == "2"
    assert r.headers["ETag"] == 'W/"2"'
    assert r.headers["Location"] == f"{base}/Patient/{pid}/_history/2"
    assert current(base, pid) == body
    v1 = requests.get(f"{base}/Patient/{pid}/_history/1").json()
    assert v1["name"][0]["family"] == "Chalmers" and "telecom" in v1
    # a choice element changes type on replace; version 3
    r = fp_patch(base, "Patient", pid, params(
        op("add", "Patient", name=("valueString", "deceased"), value=("valueBoolean", False))))
    assert r.status_code == 200 and r.json()["deceasedBoolean"] is False, r.text
    r = fp_patch(base, "Patient", pid, params(
        op("replace", "Patient.deceased", value=("valueDateTime", "2020-01-02"))))
    assert r.status_code == 200, r.text
    assert r.json()["deceasedDateTime"] == "2020-01-02" and "deceasedBoolean" not in r.json()
    assert r.json()["meta"]["versionId"] == "4"
    hist = requests.get(f"{base}/Patient/{pid}/_history").json()
    assert hist["total"] == 4


def test_media_type_variants_and_if_match(base):
    pid = create(base)["id"]
    body = params(op("replace", "Patient.gender", value=("valueCode", "female")))
    r = fp_patch(base, "Patient", pid, body, content_type="application/json+fhir; charset=utf-8")
    assert r.status_code == 200, r.text
    r = fp_patch(base, "Patient", pid, body, headers={"If-Match": 'W/"1"'})
    assert_outcome(r, 412, "conflict")
    r = fp_patch(base, "Patient", pid, params(op("replace", "Patient.gender", value=("valueCode", "other"))),
                 headers={"If-Match": 'W/"2"'})
    assert r.status_code == 200 and r.json()["meta"]["versionId"] == "3", r.text


def test_inapplicable_operations_are_422_and_change_nothing(base):
    pid = create(base)["id"]
    for bad in (
        op("replace", "Patient.active", value=("valueBoolean", True)),                       # nothing to replace
        op("add", "Patient", name=("valueString", "gender"), value=("valueCode", "other")),  # exists, single
        op("add", "Patient.contact", name=("valueString", "gender"), value=("valueCode", "other")),  # no container
        op("insert", "Patient.name", index=("valueInteger", 5), value=("valueHumanName", {"text": "x"})),
        op("move", "Patient.name", source=("valueInteger", 0), destination=("valueInteger", 3)),
        op("delete", "Patient.name.given.first() | Patient.name.family"),                   # two elements
        op("add", "Patient", name=("valueString", "nonsense"), value=("valueString", "x")),
    ):
        r = fp_patch(base, "Patient", pid, params(op("replace", "Patient.gender", value=("valueCode", "female")), bad))
        body = assert_outcome(r, 422, "processing")
        assert "operation 1" in body["issue"][0]["diagnostics"], body
    got = current(base, pid)
    assert got["meta"]["versionId"] == "1" and got["gender"] == "male"


def test_malformed_parameters_are_400(base):
    pid = create(base)["id"]
    for bad in (
        {"resourceType": "Patient"},
        [],
        params(op("frobnicate", "Patient")),
        params(op("delete", "Patient.(")),
        params(op("replace", "Patient.gender")),                       # no value
        params(op("add", "Patient", value=("valueString", "x"))),      # no name
        {"resourceType": "Parameters", "parameter": [{"name": "other", "valueString": "x"}]},
    ):
        assert_outcome(fp_patch(base, "Patient", pid, bad), 400, "invalid")
    r = requests.patch(f"{base}/Patient/{pid}", data="{not json", headers={"Content-Type": FHIR_JSON})
    assert_outcome(r, 400, "structure")
    assert current(base, pid)["meta"]["versionId"] == "1"


def test_invalid_result_is_400_and_id_cannot_change(base):
    pid = create(base)["id"]
    r = fp_patch(base, "Patient", pid, params(op("replace", "Patient.gender", value=("valueString", 12))))
    assert r.status_code == 400, r.text
    r = fp_patch(base, "Patient", pid, params(op("replace", "Patient.id", value=("valueId", "other"))))
    assert_outcome(r, 400, "invalid")
    r = fp_patch(base, "Patient", pid, params(op("add", "Patient", name=("valueString", "birthDate"),
                                                 value=("valueDate", "not-a-date"))))
    assert r.status_code in (400, 422), r.text
    assert current(base, pid)["meta"]["versionId"] == "1"


def test_unknown_resource_is_404_and_empty_patch_makes_a_version(base):
    r = fp_patch(base, "Patient", "does-not-exist", params(op("delete", "Patient.gender")))
    assert_outcome(r, 404, "not-found")
    pid = create(base)["id"]
    r = fp_patch(base, "Patient", pid, params())
    assert r.status_code == 200 and r.json()["meta"]["versionId"] == "2", r.text


def test_smart_patient_scope_confines_fhirpath_patches(server, base):
    a = create(base, patient("Alpha", "Ann"))["id"]
    b = create(base, patient("Beta", "Bob"))["id"]
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
           "subject": {"reference": f"Patient/{a}"}}
    mine = create(base, obs, "Observation")["id"]
    h = {"Authorization": "Bearer " + server.token(roles="FHIR SMART User", scope="patient/*.cruds",
                                                   fhir_user=f"Patient/{a}")}
    r = fp_patch(base, "Observation", mine, params(op("replace", "Observation.status", value=("valueCode", "amended"))),
                 headers=h)
    assert r.status_code == 200, r.text
    r = fp_patch(base, "Observation", mine,
                 params(op("replace", "Observation.subject.reference", value=("valueString", f"Patient/{b}"))), headers=h)
    assert r.status_code == 403, r.text
    assert current(base, mine, "Observation")["subject"]["reference"] == f"Patient/{a}"
