"""FHIR R4 PATCH with JSON Patch (RFC 6902): versions, If-Match, failures, validation, policies, SMART."""
import requests

from conftest import FHIR_JSON, assert_outcome, patient, post

JSON_PATCH = "application/json-patch+json"


def patch(base, rtype, rid, ops, content_type=JSON_PATCH, **kw):
    headers = {"Content-Type": content_type, **kw.pop("headers", {})}
    return requests.patch(f"{base}/{rtype}/{rid}", json=ops, headers=headers, **kw)


def create(base, body=None):
    r = post(base, "Patient", body or patient())
    assert r.status_code == 201, r.text
    return r.json()


def current(base, pid, rtype="Patient"):
    r = requests.get(f"{base}/{rtype}/{pid}")
    assert r.status_code == 200, r.text
    return r.json()


def test_add_replace_remove_make_new_versions(base):
    created = create(base, patient(family="Before", telecom=[{"system": "phone", "value": "1"}]))
    pid = created["id"]
    r = patch(base, "Patient", pid, [
        {"op": "replace", "path": "/name/0/family", "value": "After"},
        {"op": "add", "path": "/name/0/given/-", "value": "James"},
        {"op": "add", "path": "/active", "value": True},
        {"op": "remove", "path": "/telecom"},
    ])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == pid and body["resourceType"] == "Patient"
    assert body["name"][0] == {"family": "After", "given": ["Peter", "James"]}
    assert body["active"] is True
    assert "telecom" not in body
    assert body["gender"] == "male" and body["birthDate"] == "1974-12-25"  # untouched
    assert body["meta"]["versionId"] == "2"
    assert body["meta"]["lastUpdated"] > created["meta"]["lastUpdated"]
    assert r.headers["ETag"] == 'W/"2"'
    assert "GMT" in r.headers["Last-Modified"]
    assert r.headers["Location"] == f"{base}/Patient/{pid}/_history/2"
    assert r.headers["Content-Type"].startswith(FHIR_JSON)
    assert current(base, pid) == body
    # the previous version is kept in history
    v1 = requests.get(f"{base}/Patient/{pid}/_history/1").json()
    assert v1["name"][0]["family"] == "Before" and "telecom" in v1
    r = patch(base, "Patient", pid, [{"op": "replace", "path": "/gender", "value": "female"}])
    assert r.status_code == 200 and r.json()["meta"]["versionId"] == "3", r.text
    hist = requests.get(f"{base}/Patient/{pid}/_history").json()
    assert hist["total"] == 3
    # a patch is recorded as an update
    assert hist["entry"][0]["request"]["method"] == "PUT"


def test_move_copy_test_and_escaped_pointers(base):
    pid = create(base, patient(extension=[{"url": "http://example.org/a/b", "valueString": "x"}]))["id"]
    r = patch(base, "Patient", pid, [
        {"op": "test", "path": "/extension/0/url", "value": "http://example.org/a/b"},
        {"op": "copy", "from": "/name/0", "path": "/name/-"},
        {"op": "move", "from": "/name/1/given", "path": "/name/0/prefix"},
        {"op": "test", "path": "/meta/versionId", "value": "1"},  # a version check inside the patch
    ])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == [{"family": "Chalmers", "given": ["Peter"], "prefix": ["Peter"]}, {"family": "Chalmers"}]


def test_prefer_is_honoured(base):
    pid = create(base)["id"]
    r = patch(base, "Patient", pid, [{"op": "replace", "path": "/gender", "value": "other"}],
              headers={"Prefer": "return=minimal"})
    assert r.status_code == 200 and r.text == "", r.text
    assert r.headers["ETag"] == 'W/"2"' and r.headers["Location"].endswith("/_history/2")
    r = patch(base, "Patient", pid, [{"op": "replace", "path": "/gender", "value": "male"}],
              headers={"Prefer": "return=OperationOutcome"})
    assert r.status_code == 200 and r.json()["resourceType"] == "OperationOutcome"


def test_if_match(base):
    pid = create(base)["id"]
    ops = [{"op": "replace", "path": "/gender", "value": "female"}]
    assert_outcome(patch(base, "Patient", pid, ops, headers={"If-Match": 'W/"7"'}), 412, "conflict")
    assert current(base, pid)["meta"]["versionId"] == "1"
    r = patch(base, "Patient", pid, ops, headers={"If-Match": 'W/"1"'})
    assert r.status_code == 200 and r.headers["ETag"] == 'W/"2"', r.text
    assert_outcome(patch(base, "Patient", pid, ops, headers={"If-Match": 'W/"1"'}), 412)
    assert_outcome(patch(base, "Patient", pid, ops, headers={"If-Match": "garbage"}), 400, "invalid")


def test_failing_test_op_is_422_and_changes_nothing(base):
    pid = create(base)["id"]
    r = patch(base, "Patient", pid, [
        {"op": "replace", "path": "/name/0/family", "value": "Changed"},
        {"op": "test", "path": "/gender", "value": "female"},
    ])
    body = assert_outcome(r, 422, "processing")
    diag = body["issue"][0]["diagnostics"]
    assert "operation 1" in diag and "test" in diag and "/gender" in diag, diag
    got = current(base, pid)
    assert got["meta"]["versionId"] == "1" and got["name"][0]["family"] == "Chalmers"


def test_inapplicable_operations_are_422(base):
    pid = create(base)["id"]
    for ops in ([{"op": "remove", "path": "/telecom"}],                            # no such member
                [{"op": "replace", "path": "/name/5/family", "value": "X"}],       # index out of range
                [{"op": "add", "path": "/contact/0/name", "value": {"family": "X"}}],  # no recursive creation
                [{"op": "move", "from": "/name/0", "path": "/name/0/given"}],     # into its own child
                [{"op": "remove", "path": ""}]):                                   # the whole resource
        body = assert_outcome(patch(base, "Patient", pid, ops), 422, "processing")
        assert "operation 0" in body["issue"][0]["diagnostics"], body
    assert current(base, pid)["meta"]["versionId"] == "1"


def test_malformed_patch_documents_are_400(base):
    pid = create(base)["id"]
    for ops in ({"op": "replace", "path": "/gender", "value": "female"},  # not an array
                [{"op": "replace", "path": "/gender"}],                      # no value
                [{"op": "frobnicate", "path": "/gender"}],                   # unknown op
                [{"op": "remove", "path": "gender"}],                        # not a JSON Pointer
                [{"op": "copy", "path": "/x"}]):                             # no from
        assert_outcome(patch(base, "Patient", pid, ops), 400, "invalid")
    body = assert_outcome(patch(base, "Patient", pid, [{"op": "test", "path": "/gender", "value": "male"},
                                                       {"op": "nope", "path": "/x"}]), 400)
    assert "operation 1" in body["issue"][0]["diagnostics"]
    r = requests.patch(f"{base}/Patient/{pid}", data="[{", headers={"Content-Type": JSON_PATCH})
    assert_outcome(r, 400, "structure")
    r = requests.patch(f"{base}/Patient/{pid}", data="", headers={"Content-Type": JSON_PATCH})
    assert_outcome(r, 400)
    assert current(base, pid)["meta"]["versionId"] == "1"


def test_id_and_resource_type_cannot_change(base):
    pid = create(base)["id"]
    for ops in ([{"op": "replace", "path": "/id", "value": "other-id"}],
                [{"op": "remove", "path": "/id"}],
                [{"op": "replace", "path": "/resourceType", "value": "Group"}],
                [{"op": "replace", "path": "", "value": {"resourceType": "Patient", "id": "zzz"}}]):
        body = assert_outcome(patch(base, "Patient", pid, ops), 400, "invalid")
        assert body["issue"][0].get("expression"), body
    assert current(base, pid)["meta"]["versionId"] == "1"
    assert requests.get(f"{base}/Patient/other-id").status_code == 404


def test_server_owns_meta_version_and_last_updated(base):
    created = create(base, patient(meta={"tag": [{"code": "t1"}]}))
    pid = created["id"]
    r = patch(base, "Patient", pid, [
        {"op": "replace", "path": "/meta/versionId", "value": "99"},
        {"op": "replace", "path": "/meta/lastUpdated", "value": "not-a-date"},
        {"op": "add", "path": "/meta/tag/-", "value": {"code": "t2"}},
    ])
    assert r.status_code == 200, r.text
    meta = r.json()["meta"]
    assert meta["versionId"] == "2" and meta["lastUpdated"].endswith("Z")
    assert meta["tag"] == [{"code": "t1"}, {"code": "t2"}]
    r = patch(base, "Patient", pid, [{"op": "remove", "path": "/meta"}])
    assert r.status_code == 200 and r.json()["meta"]["versionId"] == "3", r.text


def test_invalid_result_is_400_with_expression(base):
    pid = create(base)["id"]
    body = assert_outcome(patch(base, "Patient", pid, [{"op": "replace", "path": "/birthDate", "value": "garbage"}]),
                          400)
    assert any("Patient.birthDate" in e for i in body["issue"] for e in i.get("expression", [])), body
    body = assert_outcome(patch(base, "Patient", pid, [{"op": "add", "path": "/nickname", "value": "Pete"}]), 400,
                          "structure")
    assert any("Patient.nickname" in e for i in body["issue"] for e in i.get("expression", [])), body
    assert_outcome(patch(base, "Patient", pid, [{"op": "replace", "path": "/name", "value": {"family": "x"}}]), 400)
    assert current(base, pid)["meta"]["versionId"] == "1"


def test_unknown_and_deleted(base):
    ops = [{"op": "replace", "path": "/gender", "value": "female"}]
    assert_outcome(patch(base, "Patient", "no-such-patient", ops), 404, "not-found")
    pid = create(base)["id"]
    assert requests.delete(f"{base}/Patient/{pid}").status_code == 204
    r = patch(base, "Patient", pid, ops)
    assert_outcome(r, 410, "deleted")
    assert r.headers["ETag"] == 'W/"2"'
    assert_outcome(patch(base, "NotAType", pid, ops), 404, "not-found")
    assert_outcome(patch(base, "Patient", "bad_id!", ops), 400, "invalid")


def test_content_types(base):
    pid = create(base)["id"]
    ops = [{"op": "replace", "path": "/gender", "value": "female"}]
    body = assert_outcome(patch(base, "Patient", pid, ops, content_type="application/json"), 415, "not-supported")
    assert JSON_PATCH in body["issue"][0]["diagnostics"]
    assert_outcome(patch(base, "Patient", pid, ops, content_type="text/plain"), 415, "not-supported")
    r = requests.patch(f"{base}/Patient/{pid}", data='[]', headers={"Content-Type": ""})
    assert_outcome(r, 415, "not-supported")
    # application/fhir+json means FHIRPath Patch: a JSON Patch array sent that way is malformed Parameters
    assert_outcome(patch(base, "Patient", pid, ops, content_type=FHIR_JSON), 400)
    # parameters and case of the media type do not matter
    r = patch(base, "Patient", pid, ops, content_type="Application/JSON-Patch+JSON; charset=utf-8")
    assert r.status_code == 200, r.text
    assert current(base, pid)["meta"]["versionId"] == "2"


def test_version_update_policy_requires_if_match(server):
    mgmt = f"{server.origin}/management/workspaces"
    assert requests.put(f"{mgmt}/patchpol", json={}).status_code in (200, 201)
    r = requests.put(f"{mgmt}/patchpol/fhirservices/strictpatch", json={"properties": {"versioning": "version-update"}})
    assert r.status_code in (200, 201), r.text
    base = r.json()["properties"]["serviceUrl"]
    pid = create(base)["id"]
    ops = [{"op": "replace", "path": "/gender", "value": "female"}]
    body = assert_outcome(patch(base, "Patient", pid, ops), 412, "business-rule")
    assert "If-Match" in body["issue"][0]["diagnostics"]
    assert_outcome(patch(base, "Patient", pid, ops, headers={"If-Match": 'W/"2"'}), 412)
    r = patch(base, "Patient", pid, ops, headers={"If-Match": 'W/"1"'})
    assert r.status_code == 200 and r.headers["ETag"] == 'W/"2"', r.text


def test_no_version_policy_keeps_only_the_patched_version(server):
    mgmt = f"{server.origin}/management/workspaces"
    requests.put(f"{mgmt}/patchpol", json={})
    r = requests.put(f"{mgmt}/patchpol/fhirservices/noverpatch", json={"properties": {"versioning": "no-version"}})
    assert r.status_code in (200, 201), r.text
    base = r.json()["properties"]["serviceUrl"]
    pid = create(base)["id"]
    r = patch(base, "Patient", pid, [{"op": "replace", "path": "/gender", "value": "female"}])
    assert r.status_code == 200, r.text
    h = requests.get(f"{base}/Patient/{pid}/_history").json()
    assert [e["resource"]["meta"]["versionId"] for e in h["entry"]] == ["2"]


def test_concurrent_patches_all_apply(base):
    """Patches without If-Match that race are retried on the new current version: none is lost."""
    from concurrent.futures import ThreadPoolExecutor
    pid = create(base, patient(identifier=[{"system": "urn:test", "value": "seed"}]))["id"]
    n = 12

    def one(i):
        return patch(base, "Patient", pid, [{"op": "add", "path": "/identifier/-",
                                             "value": {"system": "urn:test", "value": str(i)}}])

    with ThreadPoolExecutor(max_workers=6) as ex:
        results = list(ex.map(one, range(n)))
    assert all(r.status_code == 200 for r in results), [r.text for r in results if r.status_code != 200]
    got = current(base, pid)
    assert sorted(int(i["value"]) for i in got["identifier"][1:]) == list(range(n))
    assert got["meta"]["versionId"] == str(n + 1)


def test_smart_patient_scope_confines_patches(server, base):
    a = create(base, patient("Alpha", "Ann"))["id"]
    b = create(base, patient("Beta", "Bob"))["id"]

    def obs(subject):
        return {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                "subject": {"reference": subject}}
    mine = post(base, "Observation", obs(f"Patient/{a}")).json()["id"]
    theirs = post(base, "Observation", obs(f"Patient/{b}")).json()["id"]
    h = {"Authorization": "Bearer " + server.token(roles="FHIR SMART User", scope="patient/*.cruds",
                                                   fhir_user=f"Patient/{a}")}
    ok = patch(base, "Observation", mine, [{"op": "replace", "path": "/status", "value": "amended"}], headers=h)
    assert ok.status_code == 200, ok.text
    # another patient's resource, and moving my resource out of my compartment, are refused
    r = patch(base, "Observation", theirs, [{"op": "replace", "path": "/status", "value": "amended"}], headers=h)
    assert r.status_code == 403, r.text
    r = patch(base, "Observation", mine, [{"op": "replace", "path": "/subject/reference", "value": f"Patient/{b}"}],
              headers=h)
    assert r.status_code == 403, r.text
    assert current(base, mine, "Observation")["subject"]["reference"] == f"Patient/{a}"
    read_only = {"Authorization": "Bearer " + server.token(roles="FHIR SMART User", scope="patient/*.rs",
                                                           fhir_user=f"Patient/{a}")}
    r = patch(base, "Observation", mine, [{"op": "replace", "path": "/status", "value": "final"}], headers=read_only)
    assert r.status_code == 403, r.text
