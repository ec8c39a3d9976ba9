"""SMART on FHIR scopes: patient compartment, user/system scopes, invalid scopes, smart-configuration."""
import pytest
import requests

from conftest import FHIR_JSON, patient
import jwt_util

SMART = "FHIR SMART User"


def obs(subject, **extra):
    body = {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
            "subject": {"reference": subject}}
    body.update(extra)
    return body


@pytest.fixture(scope="module")
def data(server, base):
    """Patients A and B, an Observation of each (created with the full-access token)."""
    def create(rtype, body):
        r = requests.post(f"{base}/{rtype}", json=body, headers={"Content-Type": FHIR_JSON})
        assert r.status_code == 201, r.text
        return r.json()["id"]
    a = create("Patient", patient("Alpha", "Ann"))
    b = create("Patient", patient("Beta", "Bob"))
    return {"a": a, "b": b, "oa": create("Observation", obs(f"Patient/{a}")),
            "ob": create("Observation", obs(f"Patient/{b}"))}


def auth(server, scope, fhir_user=None, roles=SMART):
    return {"Authorization": "Bearer " + server.token(roles=roles, scope=scope, fhir_user=fhir_user)}


def get(url, h):
    return requests.get(url, headers=h)


def write(method, url, body, h):
    return requests.request(method, url, json=body, headers={**h, "Content-Type": FHIR_JSON})


def history_entries(url, h, limit=50):
    """All entries of a history, following next links (bounded)."""
    entries, pages = [], 0
    while url and pages < limit:
        r = get(url, h)
        assert r.status_code == 200, r.text
        b = r.json()
        assert b["resourceType"] == "Bundle" and b["type"] == "history"
        entries += b.get("entry", [])
        url = next((l["url"] for l in b.get("link", []) if l["relation"] == "next"), None)
        pages += 1
    assert pages < limit
    return entries


def in_compartment_of(entry, pid):
    res = entry.get("resource")
    if res is None:
        return False
    if res["resourceType"] == "Patient":
        return res["id"] == pid
    if res["resourceType"] == "Observation":
        refs = [res.get("subject", {}).get("reference")] + [p.get("reference") for p in res.get("performer", [])]
        return f"Patient/{pid}" in refs
    return False


def test_patient_scope_read_vread_confined(server, base, data):
    h = auth(server, "patient/*.rs", f"Patient/{data['a']}")
    a, b, oa, ob = data["a"], data["b"], data["oa"], data["ob"]
    assert get(f"{base}/Patient/{a}", h).status_code == 200
    assert get(f"{base}/Observation/{oa}", h).status_code == 200
    assert get(f"{base}/Observation/{oa}/_history/1", h).status_code == 200
    assert get(f"{base}/Patient/{a}/_history/1", h).status_code == 200
    for url in (f"{base}/Patient/{b}", f"{base}/Observation/{ob}", f"{base}/Patient/{b}/_history/1",
                f"{base}/Observation/{ob}/_history/1"):
        r = get(url, h)
        assert r.status_code == 403, (url, r.status_code, r.text)
        assert any(i["code"] == "forbidden" for i in r.json()["issue"])
        assert "Beta" not in r.text and '"subject"' not in r.text, r.text  # no body of the resource


def test_patient_scope_conditional_and_head_reads_do_not_leak(server, base, data):
    """HEAD and a matching If-None-Match on another patient's resource must not answer as if allowed."""
    h = auth(server, "patient/*.rs", f"Patient/{data['a']}")
    url = f"{base}/Patient/{data['b']}"
    etag = get(url, {}).headers["ETag"]  # full-access token
    last_modified = get(url, {}).headers["Last-Modified"]
    answers = {
        "HEAD": requests.head(url, headers=h),
        "If-None-Match": get(url, {**h, "If-None-Match": etag}),
        "If-Modified-Since": get(url, {**h, "If-Modified-Since": last_modified}),
        "vread If-None-Match": get(f"{url}/_history/1", {**h, "If-None-Match": etag}),
    }
    wrong = {k: (r.status_code, r.headers.get("ETag")) for k, r in answers.items()
             if r.status_code != 403 or "ETag" in r.headers}
    assert wrong == {}, f"GET {url} with a patient/ token for another patient: {wrong}"


def test_patient_scope_instance_history_confined(server, base, data):
    h = auth(server, "patient/*.rs", f"Patient/{data['a']}")
    assert get(f"{base}/Observation/{data['oa']}/_history", h).status_code == 200
    assert get(f"{base}/Patient/{data['a']}/_history", h).status_code == 200
    for url in (f"{base}/Observation/{data['ob']}/_history", f"{base}/Patient/{data['b']}/_history"):
        r = get(url, h)
        assert r.status_code == 403, (url, r.status_code, r.text)


def test_patient_scope_type_and_system_history_filtered(server, base, data):
    a = data["a"]
    h = auth(server, "patient/*.rs", f"Patient/{a}")
    obs_entries = history_entries(f"{base}/Observation/_history?_count=5", h)
    ids = {e["resource"]["id"] for e in obs_entries if "resource" in e}
    assert data["oa"] in ids and data["ob"] not in ids
    assert all(in_compartment_of(e, a) for e in obs_entries), obs_entries
    pat_entries = history_entries(f"{base}/Patient/_history", h)
    assert {e["resource"]["id"] for e in pat_entries} == {a}
    sys_entries = history_entries(f"{base}/_history?_count=3", h)
    assert all(in_compartment_of(e, a) for e in sys_entries), sys_entries
    keys = {(e["resource"]["resourceType"], e["resource"]["id"]) for e in sys_entries}
    assert ("Patient", a) in keys and ("Observation", data["oa"]) in keys
    assert ("Patient", data["b"]) not in keys and ("Observation", data["ob"]) not in keys
    for bundle_url in (f"{base}/Observation/_history", f"{base}/_history"):
        txt = get(bundle_url, h).text
        assert data["ob"] not in txt and data["b"] not in txt


def test_patient_scope_search_filtered(server, base, data):
    a = data["a"]
    h = auth(server, "patient/*.rs", f"Patient/{a}")
    ids, url, pages = set(), f"{base}/Observation?_count=1", 0
    while url and pages < 50:
        r = get(url, h)
        assert r.status_code == 200, r.text
        b = r.json()
        assert b["type"] == "searchset" and "total" not in b
        ids |= {e["resource"]["id"] for e in b["entry"] if e["search"]["mode"] == "match"}
        url = next((l["url"] for l in b["link"] if l["relation"] == "next"), None)
        pages += 1
    assert data["oa"] in ids and data["ob"] not in ids
    r = get(f"{base}/Patient?_id={data['b']}&_total=accurate", h)
    assert r.status_code == 200 and r.json()["entry"] == [] and "total" not in r.json()
    assert get(f"{base}/Patient?_id={a}", h).json()["entry"][0]["resource"]["id"] == a


def test_patient_scope_type_restricts_history(server, base, data):
    h = auth(server, "patient/Observation.rs", f"Patient/{data['a']}")
    assert get(f"{base}/Patient/_history", h).status_code == 403
    assert get(f"{base}/Patient/{data['a']}", h).status_code == 403
    sys_entries = history_entries(f"{base}/_history", h)
    assert sys_entries and all(e["resource"]["resourceType"] == "Observation" for e in sys_entries)
    # v2 'r' without 's': read by id, no type history (a search)
    h = auth(server, "patient/Observation.r", f"Patient/{data['a']}")
    assert get(f"{base}/Observation/{data['oa']}", h).status_code == 200
    assert get(f"{base}/Observation/_history", h).status_code == 403


def test_patient_scope_read_only_cannot_write(server, base, data):
    h = auth(server, "patient/*.rs", f"Patient/{data['a']}")
    a, oa = data["a"], data["oa"]
    assert write("POST", f"{base}/Observation", obs(f"Patient/{a}"), h).status_code == 403
    assert write("PUT", f"{base}/Observation/{oa}", obs(f"Patient/{a}", id=oa), h).status_code == 403
    assert requests.delete(f"{base}/Observation/{oa}", headers=h).status_code == 403
    assert get(f"{base}/Observation/{oa}", {}).status_code == 200  # untouched


def test_patient_scope_writes_confined(server, base, data):
    a, b = data["a"], data["b"]
    h = auth(server, "patient/*.cruds", f"Patient/{a}")
    # create
    r = write("POST", f"{base}/Observation", obs(f"Patient/{a}"), h)
    assert r.status_code == 201, r.text
    mine = r.json()["id"]
    r = write("POST", f"{base}/Observation", obs(f"Patient/{b}"), h)
    assert r.status_code == 403, r.text
    # update: own ok; another patient's (even re-pointed to me) no; own moved to another patient no
    r = write("PUT", f"{base}/Observation/{mine}", obs(f"Patient/{a}", id=mine, status="amended"), h)
    assert r.status_code == 200, r.text
    r = write("PUT", f"{base}/Observation/{data['ob']}", obs(f"Patient/{a}", id=data["ob"]), h)
    assert r.status_code == 403, r.text
    r = write("PUT", f"{base}/Observation/{mine}", obs(f"Patient/{b}", id=mine), h)
    assert r.status_code == 403, r.text
    r = write("PUT", f"{base}/Patient/{b}", patient("Beta", "Hacked", id=b), h)
    assert r.status_code == 403, r.text
    assert get(f"{base}/Patient/{b}", {}).json()["name"][0]["given"] == ["Bob"]
    # delete
    assert requests.delete(f"{base}/Observation/{data['ob']}", headers=h).status_code == 403
    assert requests.delete(f"{base}/Patient/{b}", headers=h).status_code == 403
    assert get(f"{base}/Observation/{data['ob']}", {}).status_code == 200
    assert requests.delete(f"{base}/Observation/{mine}", headers=h).status_code == 204
    # hard delete is never granted by scopes
    r = write("POST", f"{base}/Observation", obs(f"Patient/{a}"), h)
    mine2 = r.json()["id"]
    assert requests.delete(f"{base}/Observation/{mine2}?hardDelete=true", headers=h).status_code == 403
    # reads stay confined
    assert get(f"{base}/Patient/{b}", h).status_code == 403


def test_patient_claim_names_the_patient(server, base, data):
    key = jwt_util.ServerKey(server.data_dir)
    tok = key.token(jwt_util.claims(server.origin, server.fhir(), roles=[SMART], scp="patient/*.rs",
                                    patient=data["a"], fhirUser=f"{server.origin}/Practitioner/doc1"))
    h = {"Authorization": "Bearer " + tok}
    assert get(f"{base}/Patient/{data['a']}", h).status_code == 200
    assert get(f"{base}/Observation/{data['ob']}", h).status_code == 403
    # fhirUser given as an absolute URL naming a Patient
    tok = key.token(jwt_util.claims(server.origin, server.fhir(), roles=[SMART], scp="patient/*.rs",
                                    fhirUser=f"{server.fhir()}/Patient/{data['a']}"))
    h = {"Authorization": "Bearer " + tok}
    assert get(f"{base}/Patient/{data['a']}", h).status_code == 200
    assert get(f"{base}/Patient/{data['b']}", h).status_code == 403


def test_patient_scope_without_a_patient_is_refused(server, base, data):
    h = auth(server, "patient/*.rs", "Practitioner/doc1")
    assert get(f"{base}/Patient/{data['a']}", h).status_code == 403
    assert get(f"{base}/Observation/_history", h).status_code == 403
    h = auth(server, "patient/*.rs")
    assert get(f"{base}/Patient/{data['a']}", h).status_code == 403


def test_system_scopes(server, base, data):
    h = auth(server, "system/*.rs")
    for url in (f"{base}/Patient/{data['a']}", f"{base}/Patient/{data['b']}", f"{base}/Observation/{data['ob']}"):
        assert get(url, h).status_code == 200, url
    ids = {e["resource"]["id"] for e in history_entries(f"{base}/Observation/_history?_count=100", h) if "resource" in e}
    assert {data["oa"], data["ob"]} <= ids
    assert write("POST", f"{base}/Observation", obs(f"Patient/{data['b']}"), h).status_code == 403
    assert write("PUT", f"{base}/Patient/{data['b']}", patient("Beta", "Bob", id=data["b"]), h).status_code == 403
    assert requests.delete(f"{base}/Observation/{data['ob']}", headers=h).status_code == 403
    h = auth(server, "system/Observation.cruds")
    assert write("POST", f"{base}/Observation", obs(f"Patient/{data['b']}"), h).status_code == 201
    assert write("POST", f"{base}/Patient", patient(), h).status_code == 403
    assert get(f"{base}/Patient/{data['a']}", h).status_code == 403


def test_user_scopes(server, base, data):
    h = auth(server, "user/*.rs", "Practitioner/doc1")
    assert get(f"{base}/Patient/{data['b']}", h).status_code == 200
    assert get(f"{base}/Observation/{data['ob']}", h).status_code == 200
    assert write("POST", f"{base}/Observation", obs(f"Patient/{data['b']}"), h).status_code == 403
    h = auth(server, "user/Observation.cruds", "Practitioner/doc1")
    assert write("POST", f"{base}/Observation", obs(f"Patient/{data['b']}"), h).status_code == 201
    assert get(f"{base}/Patient/{data['a']}", h).status_code == 403
    assert write("POST", f"{base}/Patient", patient(), h).status_code == 403
    # v1
    h = auth(server, "user/*.read", "Practitioner/doc1")
    assert get(f"{base}/Patient/{data['b']}", h).status_code == 200
    assert write("POST", f"{base}/Observation", obs(f"Patient/{data['b']}"), h).status_code == 403
    h = auth(server, "user/Observation.write", "Practitioner/doc1")
    assert write("POST", f"{base}/Observation", obs(f"Patient/{data['b']}"), h).status_code == 201
    assert get(f"{base}/Observation/{data['ob']}", h).status_code == 403
    h = auth(server, "user/Observation.*", "Practitioner/doc1")
    assert get(f"{base}/Observation/{data['ob']}", h).status_code == 200


def test_scopes_narrow_even_a_broad_role(server, base, data):
    """With the SMART role and clinical scopes, the scopes decide, whatever the other roles."""
    h = auth(server, "patient/*.rs", f"Patient/{data['a']}", roles=f"{SMART},FHIR Data Contributor")
    assert get(f"{base}/Patient/{data['b']}", h).status_code == 403
    assert write("POST", f"{base}/Observation", obs(f"Patient/{data['a']}"), h).status_code == 403


def test_smart_role_without_clinical_scopes_is_a_reader(server, base, data):
    h = auth(server, "openid fhirUser launch/patient offline_access", f"Patient/{data['a']}")
    assert get(f"{base}/Patient/{data['b']}", h).status_code == 200
    assert write("POST", f"{base}/Observation", obs(f"Patient/{data['a']}"), h).status_code == 403


def test_scopes_without_the_smart_role_do_not_grant(server, base, data):
    h = auth(server, "system/*.cruds", roles="FHIR Data Reader")
    assert write("POST", f"{base}/Observation", obs(f"Patient/{data['a']}"), h).status_code == 403
    h = auth(server, "patient/*.cruds", f"Patient/{data['a']}", roles="FHIR Data Converter")
    assert get(f"{base}/Patient/{data['a']}", h).status_code == 403


@pytest.mark.parametrize("scope", [
    "patient/*.read patient/Observation.rs",          # v1 + v2
    "patient/*.rs system/*.rs",                       # two contexts
    "patient/*.rs user/*.rs",
    "patient/Observation.rrs",                        # repeated letter
    "patient/Observation.sr",                         # out of cruds order
    "patient/Observation.rx",                         # unknown letter
    "patient/Foo.rs",                                 # unknown type
    "patient/Observation.read?category=laboratory",   # restriction on v1
    "patient/Observation.rs?subject.name=peter",      # chain
    "patient/Observation.rs?code:text=x",             # modifier
    "patient/Observation.rs?_has:Patient:link:id=x",  # _has
    "patient/Observation.rs?_include=Observation:subject",
])
def test_invalid_scopes_are_400(server, base, data, scope):
    h = auth(server, scope, f"Patient/{data['a']}")
    r = get(f"{base}/Observation/{data['oa']}", h)
    assert r.status_code == 400, (scope, r.status_code, r.text)
    assert r.json()["resourceType"] == "OperationOutcome"


CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def test_v2_restrictions_admit_only_matching_resources(server, base, data):
    """patient/Observation.rs?category=...|laboratory reaches the patient's laboratory Observations only."""
    lab = {"category": [{"coding": [{"system": CATEGORY, "code": "laboratory"}]}]}
    vital = {"category": [{"coding": [{"system": CATEGORY, "code": "vital-signs"}]}]}
    made = {}
    for name, subject, extra in (("lab_a", data["a"], lab), ("vital_a", data["a"], vital), ("lab_b", data["b"], lab)):
        r = requests.post(f"{base}/Observation", json=obs(f"Patient/{subject}", **extra),
                          headers={"Content-Type": FHIR_JSON})
        assert r.status_code == 201, r.text
        made[name] = r.json()["id"]
    restricted = f"patient/Observation.rs?category={CATEGORY}|laboratory"
    h = auth(server, restricted, f"Patient/{data['a']}")
    assert get(f"{base}/Observation/{made['lab_a']}", h).status_code == 200
    assert get(f"{base}/Observation/{made['lab_a']}/_history/1", h).status_code == 200
    assert get(f"{base}/Observation/{made['vital_a']}", h).status_code == 403   # wrong category
    assert get(f"{base}/Observation/{data['oa']}", h).status_code == 403       # no category at all
    assert get(f"{base}/Observation/{made['lab_b']}", h).status_code == 403    # another patient's
    # type history shows exactly the matching ones
    ids = {e["resource"]["id"] for e in history_entries(f"{base}/Observation/_history?_count=100", h)}
    assert made["lab_a"] in ids and made["vital_a"] not in ids and made["lab_b"] not in ids and data["oa"] not in ids
    # a code-only restriction value matches too; a parameter the type does not have admits nothing
    h = auth(server, "patient/Observation.rs?category=laboratory", f"Patient/{data['a']}")
    assert get(f"{base}/Observation/{made['lab_a']}", h).status_code == 200
    h = auth(server, "patient/Observation.rs?nosuchparam=x", f"Patient/{data['a']}")
    assert get(f"{base}/Observation/{made['lab_a']}", h).status_code == 403
    # an unrestricted scope next to a restricted one reaches everything of the patient
    h = auth(server, restricted + " patient/Observation.rs", f"Patient/{data['a']}")
    assert get(f"{base}/Observation/{made['vital_a']}", h).status_code == 200
    # writes: only resources matching the restriction may be created
    h = auth(server, f"patient/Observation.cruds?category={CATEGORY}|laboratory", f"Patient/{data['a']}")
    assert write("POST", f"{base}/Observation", obs(f"Patient/{data['a']}", **lab), h).status_code == 201
    assert write("POST", f"{base}/Observation", obs(f"Patient/{data['a']}", **vital), h).status_code == 403


def test_smart_configuration_document(server, base):
    r = requests.get(f"{base}/.well-known/smart-configuration", headers={"Authorization": None})
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    doc = r.json()
    assert doc["issuer"] == server.origin
    assert doc["jwks_uri"] == f"{server.origin}/.well-known/jwks.json"
    assert doc["token_endpoint"] == f"{server.origin}/oauth2/token"
    assert "client_credentials" in doc["grant_types_supported"]
    assert "S256" in doc["code_challenge_methods_supported"]
    caps = set(doc["capabilities"])
    assert {"client-confidential-symmetric", "client-confidential-asymmetric", "permission-v2"} <= caps
    assert {"private_key_jwt", "client_secret_basic"} <= set(doc["token_endpoint_auth_methods_supported"])
    # the JWKS it names serves the server's key
    jwks = requests.get(doc["jwks_uri"], headers={"Authorization": None}).json()
    assert jwt_util.ServerKey(server.data_dir).kid in {k["kid"] for k in jwks["keys"]}


def test_smart_configuration_lists_the_scope_contexts_it_enforces(server, base):
    """The server enforces patient/ and user/ scopes (tokens from external issuers): SMART discovery
    advertises that with permission-patient and permission-user."""
    caps = set(requests.get(f"{base}/.well-known/smart-configuration", headers={"Authorization": None}).json()[
        "capabilities"])
    assert {"permission-patient", "permission-user"} <= caps, caps


def test_patient_scope_everything_confined(server, base, data):
    a, b = data["a"], data["b"]
    h = auth(server, "patient/*.rs", f"Patient/{a}")
    r = get(f"{base}/Patient/{a}/$everything", h)
    assert r.status_code == 200, r.text
    got = {e["resource"]["id"] for e in r.json()["entry"]}
    assert {a, data["oa"]} <= got and data["ob"] not in got
    assert get(f"{base}/Patient/{b}/$everything", h).status_code == 403
    # Type level: only the token's patient and its compartment.
    r = get(f"{base}/Patient/$everything?_count=1000", h)
    assert r.status_code == 200, r.text
    got = {e["resource"]["id"] for e in r.json()["entry"]}
    assert {a, data["oa"]} <= got and b not in got and data["ob"] not in got
