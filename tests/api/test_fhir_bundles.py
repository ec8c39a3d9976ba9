"""FHIR batch and transaction Bundles: references, all-or-nothing, order, conditional entries, limits."""
import base64
import concurrent.futures
import json
import os
import uuid

import pytest
import requests

from conftest import FHIR_JSON, assert_outcome, patient, post

H = {"Content-Type": FHIR_JSON}


def send(base, bundle, **kw):
    headers = {**H, **kw.pop("headers", {})}
    return requests.post(base, data=json.dumps(bundle), headers=headers, timeout=120, **kw)


def tx(*entries, kind="transaction"):
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def post_entry(resource, full_url=None, **request):
    e = {"resource": resource, "request": {"method": "POST", "url": resource["resourceType"], **request}}
    if full_url:
        e["fullUrl"] = full_url
    return e


def urn():
    return "urn:uuid:" + str(uuid.uuid4())


def observation(subject, **extra):
    body = {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
            "subject": {"reference": subject}, "valueQuantity": {"value": 70, "unit": "/min"}}
    body.update(extra)
    return body


def count(base, query):
    r = requests.get(f"{base}/{query}{'&' if '?' in query else '?'}_summary=count")
    assert r.status_code == 200, r.text
    return r.json()["total"]


def ref_of(entry):
    """'Type/id' from a response entry's location."""
    parts = entry["response"]["location"].split("/")
    i = parts.index("_history")
    return f"{parts[i - 2]}/{parts[i - 1]}"


def get(base, ref):
    r = requests.get(f"{base}/{ref}")
    assert r.status_code == 200, r.text
    return r.json()


def ident(system="urn:test:bundles"):
    return {"system": system, "value": str(uuid.uuid4())}


# ---- transactions ----

def test_transaction_creates_and_rewrites_urn_uuid_references(base):
    p_url, o_url = urn(), urn()
    bundle = tx(post_entry(observation(p_url), o_url), post_entry(patient(), p_url))
    r = send(base, bundle)
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["resourceType"] == "Bundle" and b["type"] == "transaction-response"
    obs_entry, pat_entry = b["entry"]
    for e in b["entry"]:
        assert e["response"]["status"].startswith("201")
        assert e["response"]["etag"] == 'W/"1"'
        assert e["response"]["lastModified"].endswith("Z")
        assert e["response"]["location"].startswith(base + "/")
    pref, oref = ref_of(pat_entry), ref_of(obs_entry)
    assert pref.startswith("Patient/") and oref.startswith("Observation/")
    assert get(base, oref)["subject"]["reference"] == pref


def test_references_in_extensions_contained_and_nested_are_rewritten(base):
    p_url, org_url = urn(), "urn:oid:1.2.840.99." + str(uuid.uuid4().int % 10**9)
    obs = observation(p_url,
                      extension=[{"url": "http://example.org/x",
                                  "extension": [{"url": "who", "valueReference": {"reference": p_url}}]}],
                      contained=[{"resourceType": "Provenance", "id": "prov", "recorded": "2020-01-01T00:00:00Z",
                                  "target": [{"reference": p_url}],
                                  "agent": [{"who": {"reference": org_url}}]}],
                      performer=[{"reference": org_url}],
                      component=[{"code": {"text": "c"}, "valueString": p_url}])
    org = {"resourceType": "Organization", "name": "Acme"}
    r = send(base, tx(post_entry(obs), post_entry(patient(), p_url), post_entry(org, org_url)))
    assert r.status_code == 200, r.text
    refs = [ref_of(e) for e in r.json()["entry"]]
    stored = get(base, refs[0])
    pref, oref = refs[1], refs[2]
    assert stored["extension"][0]["extension"][0]["valueReference"]["reference"] == pref
    assert stored["contained"][0]["target"][0]["reference"] == pref
    assert stored["contained"][0]["agent"][0]["who"]["reference"] == oref
    assert stored["performer"][0]["reference"] == oref
    assert stored["component"][0]["valueString"] == p_url  # a string is not a reference


def test_failure_rolls_back_everything_and_names_the_entry(base):
    family = "Rollback" + uuid.uuid4().hex[:8]
    bad = observation("Patient/x", issued="yesterday")
    r = send(base, tx(post_entry(patient(family=family)), post_entry(patient(family=family)), post_entry(bad)))
    body = assert_outcome(r, 400)
    assert "Bundle.entry[2]" in json.dumps(body)
    assert count(base, f"Patient?family={family}") == 0


def test_failing_delete_precondition_rolls_back_creates(base):
    family = "Rollback2" + uuid.uuid4().hex[:8]
    pid = post(base, "Patient", patient()).json()["id"]
    r = send(base, tx(post_entry(patient(family=family)),
                      {"request": {"method": "DELETE", "url": f"Patient/{pid}", "ifMatch": 'W/"7"'}}))
    body = assert_outcome(r, 412)
    assert "Bundle.entry[1]" in json.dumps(body)
    assert count(base, f"Patient?family={family}") == 0
    assert requests.get(f"{base}/Patient/{pid}").status_code == 200


def test_processing_order_delete_post_put_get(base):
    old = post(base, "Patient", patient(family="Old")).json()["id"]
    upd = post(base, "Patient", patient(family="Upd")).json()["id"]
    p_url = urn()
    bundle = tx(
        {"request": {"method": "GET", "url": f"Patient/{upd}"}},
        {"resource": patient(id=upd, family="Updated"), "request": {"method": "PUT", "url": f"Patient/{upd}"}},
        post_entry(patient(family="New"), p_url),
        {"request": {"method": "DELETE", "url": f"Patient/{old}"}},
        {"request": {"method": "GET", "url": f"Patient/{old}"}},
    )
    r = send(base, bundle)
    assert r.status_code == 200, r.text
    e = r.json()["entry"]
    # GETs run after every write: they see the update and the delete.
    assert e[0]["response"]["status"].startswith("200") and e[0]["resource"]["name"][0]["family"] == "Updated"
    assert e[1]["response"]["status"].startswith("200") and e[1]["response"]["etag"] == 'W/"2"'
    assert e[2]["response"]["status"].startswith("201")
    assert e[3]["response"]["status"].startswith("204")
    assert e[4]["response"]["status"].startswith("410")


def test_two_entries_writing_one_resource_fail(base):
    pid = post(base, "Patient", patient()).json()["id"]
    r = send(base, tx({"resource": patient(id=pid), "request": {"method": "PUT", "url": f"Patient/{pid}"}},
                      {"request": {"method": "DELETE", "url": f"Patient/{pid}"}}))
    assert_outcome(r, 400)


def test_conditional_references_zero_one_many(base):
    one = ident()
    pid = post(base, "Patient", patient(identifier=[one])).json()["id"]
    cond = f"Patient?identifier={one['system']}|{one['value']}"
    r = send(base, tx(post_entry(observation(cond))))
    assert r.status_code == 200, r.text
    assert get(base, ref_of(r.json()["entry"][0]))["subject"]["reference"] == f"Patient/{pid}"

    r = send(base, tx(post_entry(observation(f"Patient?identifier=urn:none|{uuid.uuid4()}"))))
    assert_outcome(r, 400)

    many = ident()
    for _ in range(2):
        post(base, "Patient", patient(identifier=[many]))
    r = send(base, tx(post_entry(observation(f"Patient?identifier={many['system']}|{many['value']}"))))
    assert_outcome(r, 412)


def test_if_none_exist_in_a_transaction(base):
    i = ident()
    existing = post(base, "Patient", patient(identifier=[i])).json()["id"]
    p_url = urn()
    cond = f"identifier={i['system']}|{i['value']}"
    r = send(base, tx(post_entry(patient(identifier=[i]), p_url, ifNoneExist=cond), post_entry(observation(p_url))))
    assert r.status_code == 200, r.text
    e = r.json()["entry"]
    assert e[0]["response"]["status"].startswith("200")
    assert ref_of(e[0]) == f"Patient/{existing}"
    assert get(base, ref_of(e[1]))["subject"]["reference"] == f"Patient/{existing}"
    assert count(base, f"Patient?identifier={i['system']}|{i['value']}") == 1


def test_duplicate_conditional_creates_in_one_transaction_make_one_resource(base):
    i = ident()
    cond = f"identifier={i['system']}|{i['value']}"
    u1, u2 = urn(), urn()
    r = send(base, tx(post_entry(patient(identifier=[i]), u1, ifNoneExist=cond),
                      post_entry(patient(identifier=[i]), u2, ifNoneExist=cond),
                      post_entry(observation(u1)), post_entry(observation(u2))))
    assert r.status_code == 200, r.text
    e = r.json()["entry"]
    assert ref_of(e[0]) == ref_of(e[1])
    assert count(base, f"Patient?identifier={i['system']}|{i['value']}") == 1
    assert get(base, ref_of(e[2]))["subject"]["reference"] == get(base, ref_of(e[3]))["subject"]["reference"]


def test_overlapping_conditional_creates_in_one_transaction_make_one_resource(base):
    """Different conditions that both match the first entry's resource: the store sees it."""
    i = ident()
    u1, u2 = urn(), urn()
    r = send(base, tx(post_entry(patient(identifier=[i]), u1, ifNoneExist=f"identifier={i['system']}|{i['value']}"),
                      post_entry(patient(identifier=[i]), u2,
                                 ifNoneExist=f"identifier={i['system']}|{i['value']}&gender=male"),
                      post_entry(observation(u2))))
    assert r.status_code == 200, r.text
    e = r.json()["entry"]
    assert ref_of(e[0]) == ref_of(e[1])
    assert count(base, f"Patient?identifier={i['system']}|{i['value']}") == 1
    assert get(base, ref_of(e[2]))["subject"]["reference"] == ref_of(e[0])


def test_concurrent_identical_transactions_make_one_resource(base):
    i = ident()
    cond = f"identifier={i['system']}|{i['value']}"

    def one(_):
        p_url = urn()
        return send(base, tx(post_entry(patient(identifier=[i]), p_url, ifNoneExist=cond),
                             post_entry(observation(p_url))))

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(one, range(20)))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers if a.status_code != 200]
    assert count(base, f"Patient?identifier={i['system']}|{i['value']}") == 1
    pids = {ref_of(a.json()["entry"][0]) for a in answers}
    assert len(pids) == 1
    subjects = {get(base, ref_of(a.json()["entry"][1]))["subject"]["reference"] for a in answers}
    assert subjects == pids


def test_conditional_update_and_delete_entries(base):
    i = ident()
    cond = f"Patient?identifier={i['system']}|{i['value']}"
    r = send(base, tx({"resource": patient(identifier=[i], family="Cond"), "request": {"method": "PUT", "url": cond}}))
    assert r.status_code == 200, r.text
    assert r.json()["entry"][0]["response"]["status"].startswith("201")
    pref = ref_of(r.json()["entry"][0])
    r = send(base, tx({"resource": patient(identifier=[i], family="Cond2"), "request": {"method": "PUT", "url": cond}}))
    assert r.status_code == 200, r.text
    assert ref_of(r.json()["entry"][0]) == pref and r.json()["entry"][0]["response"]["etag"] == 'W/"2"'
    r = send(base, tx({"request": {"method": "DELETE", "url": cond}}))
    assert r.status_code == 200, r.text
    assert requests.get(f"{base}/{pref}").status_code == 410


def test_patch_entries_json_patch_binary_and_fhirpath_parameters(base):
    pid = post(base, "Patient", patient(family="Before")).json()["id"]
    ops = [{"op": "replace", "path": "/name/0/family", "value": "After"}]
    binary = {"resourceType": "Binary", "contentType": "application/json-patch+json",
              "data": base64.b64encode(json.dumps(ops).encode()).decode()}
    r = send(base, tx({"resource": binary, "request": {"method": "PATCH", "url": f"Patient/{pid}"}}))
    assert r.status_code == 200, r.text
    assert r.json()["entry"][0]["response"]["etag"] == 'W/"2"'
    assert get(base, f"Patient/{pid}")["name"][0]["family"] == "After"

    params = {"resourceType": "Parameters", "parameter": [{"name": "operation", "part": [
        {"name": "type", "valueCode": "replace"}, {"name": "path", "valueString": "Patient.gender"},
        {"name": "value", "valueCode": "female"}]}]}
    r = send(base, tx({"resource": params, "request": {"method": "PATCH", "url": f"Patient/{pid}", "ifMatch": 'W/"2"'}}))
    assert r.status_code == 200, r.text
    assert get(base, f"Patient/{pid}")["gender"] == "female"

    # A patch that cannot apply fails the transaction.
    bad = {**binary, "data": base64.b64encode(json.dumps([{"op": "remove", "path": "/nothing"}]).encode()).decode()}
    assert send(base, tx({"resource": bad, "request": {"method": "PATCH", "url": f"Patient/{pid}"}})).status_code == 422


def test_json_patch_binary_values_naming_entries_are_rewritten(base):
    first = post(base, "Observation", observation("Patient/x")).json()["id"]
    second = post(base, "Observation", observation("Patient/x")).json()["id"]
    p_url = urn()

    def patch_entry(oid, ops):
        binary = {"resourceType": "Binary", "contentType": "application/json-patch+json",
                  "data": base64.b64encode(json.dumps(ops).encode()).decode()}
        return {"resource": binary, "request": {"method": "PATCH", "url": f"Observation/{oid}"}}

    r = send(base, tx(
        patch_entry(first, [{"op": "replace", "path": "/subject", "value": {"reference": p_url}}]),
        patch_entry(second, [{"op": "replace", "path": "/subject/reference", "value": p_url},
                             {"op": "add", "path": "/focus", "value": [{"reference": p_url}]}]),
        post_entry(patient(), p_url)))
    assert r.status_code == 200, r.text
    pref = ref_of(r.json()["entry"][2])
    assert pref.startswith("Patient/")
    assert get(base, f"Observation/{first}")["subject"]["reference"] == pref
    second_obs = get(base, f"Observation/{second}")
    assert second_obs["subject"]["reference"] == pref and second_obs["focus"][0]["reference"] == pref
    assert count(base, f"Observation?subject={pref}") == 2


def test_if_match_and_if_none_match_in_entries(base):
    pid = post(base, "Patient", patient()).json()["id"]
    r = send(base, tx({"resource": patient(id=pid), "request": {"method": "PUT", "url": f"Patient/{pid}", "ifMatch": 'W/"3"'}}))
    assert_outcome(r, 412)
    r = send(base, tx({"request": {"method": "GET", "url": f"Patient/{pid}", "ifNoneMatch": 'W/"1"'}}))
    assert r.status_code == 200 and r.json()["entry"][0]["response"]["status"].startswith("304")
    r = send(base, tx({"request": {"method": "GET", "url": f"Patient/{pid}",
                                   "ifModifiedSince": "2100-01-01T00:00:00Z"}}))
    assert r.json()["entry"][0]["response"]["status"].startswith("304")


@pytest.mark.parametrize("bundle,status", [
    ({"resourceType": "Bundle", "type": "collection", "entry": []}, 400),
    ({"resourceType": "Patient"}, 400),
    ({"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": {"resourceType": "Patient"}}]}, 400),
    ({"resourceType": "Bundle", "type": "transaction", "entry": [{"request": {"method": "FLY", "url": "Patient"}}]}, 400),
    ({"resourceType": "Bundle", "type": "transaction", "entry": [{"request": {"method": "POST"}}]}, 400),
    ({"resourceType": "Bundle", "type": "transaction", "entry": [{"request": {"method": "GET", "url": "NoSuchType/1"}}]}, 404),
    ({"resourceType": "Bundle", "type": "transaction",
      "entry": [{"request": {"method": "POST", "url": "http://elsewhere.example/fhir/Patient"}, "resource": {"resourceType": "Patient"}}]}, 400),
    ({"resourceType": "Bundle", "type": "transaction",
      "entry": [{"request": {"method": "POST", "url": "Observation"}, "resource": {"resourceType": "Patient"}}]}, 400),
    ({"resourceType": "Bundle", "type": "transaction", "entry": {}}, 400),
])
def test_malformed_bundles_are_4xx(base, bundle, status):
    assert_outcome(send(base, bundle), status)


def test_not_json_is_400(base):
    assert_outcome(requests.post(base, data="{nope", headers=H), 400)


# ---- batches ----

def test_batch_entries_are_independent(base):
    pid = post(base, "Patient", patient()).json()["id"]
    family = "Batch" + uuid.uuid4().hex[:8]
    b = tx(post_entry(patient(family=family)),
           post_entry(observation("Patient/x", issued="yesterday")),
           {"request": {"method": "GET", "url": f"Patient/{pid}"}},
           {"request": {"method": "GET", "url": "Patient/does-not-exist"}},
           {"request": {"method": "FLY", "url": "Patient"}},
           {"request": {"method": "GET", "url": f"Patient?family={family}"}},
           kind="batch")
    r = send(base, b)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["type"] == "batch-response"
    e = body["entry"]
    assert e[0]["response"]["status"].startswith("201")
    assert e[1]["response"]["status"].startswith("400") and e[1]["response"]["outcome"]["resourceType"] == "OperationOutcome"
    assert e[2]["response"]["status"].startswith("200") and e[2]["resource"]["id"] == pid
    assert e[3]["response"]["status"].startswith("404")
    assert e[4]["response"]["status"].startswith("400")
    assert e[5]["resource"]["type"] == "searchset"
    assert count(base, f"Patient?family={family}") == 1


def test_batch_with_representation(base):
    r = send(base, tx(post_entry(patient()), kind="batch"), headers={"Prefer": "return=representation"})
    assert r.json()["entry"][0]["resource"]["resourceType"] == "Patient"


# ---- limits and permissions ----

def test_entry_limit_is_configurable(new_server):
    s = new_server("bundle-limit", "workspaces:\n  - name: default\n    services:\n      - kind: fhir\n"
                                   "        name: default\n        settings:\n          max_bundle_entries: 3\n").start()
    base = s.fhir()
    assert send(base, tx(*[post_entry(patient()) for _ in range(3)])).status_code == 200
    assert_outcome(send(base, tx(*[post_entry(patient()) for _ in range(4)])), 413)
    assert_outcome(send(base, tx(*[post_entry(patient()) for _ in range(4)], kind="batch")), 413)
    assert s.stop() == 0


def test_entries_need_their_own_data_actions(new_server, workdir):
    roles_path = os.path.join(workdir, "bundle-roles.json")
    with open(roles_path, "w") as f:
        json.dump({"roles": [
            {"name": "reader", "dataActions": ["read"], "notDataActions": [], "scopes": ["/"]},
            {"name": "noDelete", "dataActions": ["*"], "notDataActions": ["delete", "hardDelete"], "scopes": ["/"]},
        ]}, f)
    s = new_server("bundle-roles", f"auth:\n  roles_file: {roles_path}\n").start()
    base = s.fhir()
    pid = post(base, "Patient", patient()).json()["id"]
    writer = {"Authorization": "Bearer " + s.token(audience=base, roles="noDelete")}
    family = "Perm" + uuid.uuid4().hex[:8]
    r = send(base, tx(post_entry(patient(family=family)), {"request": {"method": "DELETE", "url": f"Patient/{pid}"}}),
             headers=writer)
    body = assert_outcome(r, 403, "forbidden")
    assert "Bundle.entry[1]" in json.dumps(body)
    assert count(base, f"Patient?family={family}") == 0
    r = send(base, tx({"request": {"method": "DELETE", "url": f"Patient/{pid}"}}, kind="batch"), headers=writer)
    assert r.status_code == 200 and r.json()["entry"][0]["response"]["status"].startswith("403")
    reader = {"Authorization": "Bearer " + s.token(audience=base, roles="reader")}
    r = send(base, tx({"request": {"method": "GET", "url": f"Patient/{pid}"}},
                      post_entry(patient()), kind="batch"), headers=reader)
    assert r.status_code == 200, r.text
    e = r.json()["entry"]
    assert e[0]["response"]["status"].startswith("200") and e[1]["response"]["status"].startswith("403")
    assert s.stop() == 0


def test_large_transaction(base):
    """2,000 entries with references to each other: one commit, linear work."""
    p_url = urn()
    entries = [post_entry(patient(family="Large"), p_url)]
    entries += [post_entry(observation(p_url)) for _ in range(1999)]
    r = send(base, tx(*entries))
    assert r.status_code == 200, r.text
    e = r.json()["entry"]
    assert len(e) == 2000
    pref = ref_of(e[0])
    assert count(base, f"Observation?subject={pref}") == 1999


def test_synthea_bundle_loads(base):
    path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "testdata", "synthea", "bundles")
    if not os.path.isdir(path):
        pytest.skip("no Synthea test data")
    name = sorted(os.listdir(path))[0]
    with open(os.path.join(path, name)) as f:
        bundle = json.load(f)
    r = send(base, bundle)
    assert r.status_code == 200, r.text[:2000]
    e = r.json()["entry"]
    assert len(e) == len(bundle["entry"]) and all(x["response"]["status"].startswith("201") for x in e)
    pref = next(ref_of(x) for x in e if "/Patient/" in x["response"]["location"])
    assert count(base, f"Encounter?subject={pref}") == sum(
        1 for x in bundle["entry"] if x["resource"]["resourceType"] == "Encounter")
