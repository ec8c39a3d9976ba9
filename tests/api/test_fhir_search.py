"""Search: type-level, system-level and compartment, with chains, _has, modifiers, _sort, _include/_revinclude,
_summary=count, _elements and paging; backed by the search index."""
import uuid

import requests

from conftest import assert_outcome, patient, post, put


def uniq():
    return "u" + uuid.uuid4().hex[:10]


def ids(bundle):
    return [e["resource"]["id"] for e in bundle["entry"] if e.get("search", {}).get("mode") == "match"]


def search(base, query, **kw):
    r = requests.get(f"{base}/{query}", **kw)
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["resourceType"] == "Bundle" and b["type"] == "searchset"
    return b


def make(base, rtype, body):
    r = post(base, rtype, body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def observation(subject, code="8867-4", system="http://loinc.org", value=72, unit="/min", when="2024-03-05", **extra):
    body = {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": system, "code": code}]},
            "subject": {"reference": subject}, "effectiveDateTime": when,
            "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}}
    body.update(extra)
    return body


def test_token_with_and_without_system(base):
    tag = uniq()
    pid = make(base, "Patient", patient(identifier=[{"system": "urn:test", "value": tag}]))
    b = search(base, f"Patient?identifier=urn:test|{tag}")
    assert ids(b) == [pid]
    assert b["entry"][0]["fullUrl"] == f"{base}/Patient/{pid}"
    assert b["entry"][0]["search"]["mode"] == "match"
    assert ids(search(base, f"Patient?identifier={tag}")) == [pid]
    assert ids(search(base, f"Patient?identifier=urn:other|{tag}")) == []
    assert ids(search(base, f"Patient?identifier=urn:test|{tag}&gender=male")) == [pid]
    assert ids(search(base, f"Patient?identifier=urn:test|{tag}&gender=female")) == []


def test_string_prefix_case_and_accents(base):
    fam = "Müller" + uniq()
    pid = make(base, "Patient", patient(family=fam))
    assert ids(search(base, f"Patient?family={fam[:10]}")) == [pid]
    assert ids(search(base, f"Patient?family={fam.upper()}")) == [pid]
    assert ids(search(base, f"Patient?family=muller{fam[6:]}")) == [pid]
    assert ids(search(base, f"Patient?name=muller{fam[6:]}")) == [pid]
    assert ids(search(base, f"Patient?family:exact={fam}")) == [pid]
    assert ids(search(base, f"Patient?family:exact={fam.lower()}")) == []


def test_date_with_prefixes(base):
    fam = uniq()
    old = make(base, "Patient", patient(family=fam, birthDate="1950-06-15"))
    young = make(base, "Patient", patient(family=fam, birthDate="2001-02-03"))
    assert ids(search(base, f"Patient?family={fam}&birthdate=1950")) == [old]
    assert ids(search(base, f"Patient?family={fam}&birthdate=1950-06-15")) == [old]
    assert ids(search(base, f"Patient?family={fam}&birthdate=gt2000-01-01")) == [young]
    assert ids(search(base, f"Patient?family={fam}&birthdate=lt2000")) == [old]
    assert sorted(ids(search(base, f"Patient?family={fam}&birthdate=ge1950-06-15"))) == sorted([old, young])
    assert ids(search(base, f"Patient?family={fam}&birthdate=ne1950-06-15")) == [young]
    assert ids(search(base, f"Patient?family={fam}&birthdate=ge1950&birthdate=le1960")) == [old]


def test_reference_number_quantity(base):
    pid = make(base, "Patient", patient(family=uniq()))
    other = make(base, "Patient", patient(family=uniq()))
    o1 = make(base, "Observation", observation(f"Patient/{pid}", value=72))
    o2 = make(base, "Observation", observation(f"Patient/{pid}", value=120))
    make(base, "Observation", observation(f"Patient/{other}", value=72))
    assert ids(search(base, f"Observation?subject=Patient/{pid}")) == [o1, o2]
    assert ids(search(base, f"Observation?patient={pid}")) == [o1, o2]
    assert ids(search(base, f"Observation?subject:Patient={pid}")) == [o1, o2]
    assert ids(search(base, f"Observation?subject={base}/Patient/{pid}")) == [o1, o2]
    assert ids(search(base, f"Observation?subject=Patient/{pid}&value-quantity=gt100")) == [o2]
    assert ids(search(base, f"Observation?subject=Patient/{pid}&value-quantity=72")) == [o1]
    assert ids(search(base, f"Observation?subject=Patient/{pid}&value-quantity=72|http://unitsofmeasure.org|/min")) == [o1]
    assert ids(search(base, f"Observation?subject=Patient/{pid}&value-quantity=72|http://unitsofmeasure.org|kg")) == []
    assert ids(search(base, f"Observation?subject=Patient/{pid}&code=http://loinc.org|8867-4&date=2024-03")) == [o1, o2]
    # number: RiskAssessment.prediction.probabilityDecimal
    ra = make(base, "RiskAssessment", {"resourceType": "RiskAssessment", "status": "final",
                                       "subject": {"reference": f"Patient/{pid}"},
                                       "prediction": [{"probabilityDecimal": 0.35}]})
    assert ids(search(base, f"RiskAssessment?subject=Patient/{pid}&probability=gt0.3")) == [ra]
    assert ids(search(base, f"RiskAssessment?subject=Patient/{pid}&probability=lt0.3")) == []
    assert ids(search(base, f"RiskAssessment?subject=Patient/{pid}&probability=0.35")) == [ra]


def test_id_and_or(base):
    fam = uniq()
    a = make(base, "Patient", patient(family=fam, gender="female"))
    b = make(base, "Patient", patient(family=fam, gender="male"))
    c = make(base, "Patient", patient(family=fam, gender="other"))
    assert ids(search(base, f"Patient?_id={a}")) == [a]
    assert ids(search(base, f"Patient?_id={a},{c}")) == [a, c]
    assert ids(search(base, f"Patient?family={fam}&gender=female,other")) == [a, c]
    assert ids(search(base, f"Patient?family={fam}&gender=female,other&_id={b},{c}")) == [c]
    assert ids(search(base, f"Patient?_id={a}&_lastUpdated=gt2000-01-01")) == [a]
    assert ids(search(base, f"Patient?_id={a}&_lastUpdated=lt2000-01-01")) == []


def test_count_and_paging_through_next_links(base):
    fam = uniq()
    made = [make(base, "Patient", patient(family=fam)) for _ in range(7)]
    url = f"{base}/Patient?family={fam}&_count=3&_total=accurate"
    seen, pages = [], 0
    while url:
        b = search(base, url[len(base) + 1:])
        pages += 1
        assert pages <= 3, "the next links do not end"
        assert b["total"] == 7
        assert len(ids(b)) <= 3
        seen += ids(b)
        links = {l["relation"]: l["url"] for l in b["link"]}
        assert links["first"] == f"{base}/Patient?family={fam}&_count=3&_total=accurate"
        url = links.get("next")
    assert pages == 3 and seen == made
    assert "total" not in search(base, f"Patient?family={fam}")


def test_count_above_max_is_capped_with_a_warning(base):
    b = search(base, "Patient?_count=100000")
    oo = [e for e in b["entry"] if e.get("search", {}).get("mode") == "outcome"]
    assert oo and "exceeds the maximum" in oo[0]["resource"]["issue"][0]["diagnostics"]


def test_updates_reindex_and_deletes_disappear(base):
    fam, fam2 = uniq(), uniq()
    pid = make(base, "Patient", patient(family=fam))
    assert ids(search(base, f"Patient?family={fam}")) == [pid]
    assert put(base, "Patient", pid, patient(id=pid, family=fam2)).status_code == 200
    assert ids(search(base, f"Patient?family={fam}")) == []
    assert ids(search(base, f"Patient?family={fam2}")) == [pid]
    r = requests.patch(f"{base}/Patient/{pid}", json=[{"op": "replace", "path": "/gender", "value": "female"}],
                       headers={"Content-Type": "application/json-patch+json"})
    assert r.status_code == 200, r.text
    assert ids(search(base, f"Patient?family={fam2}&gender=female")) == [pid]
    assert ids(search(base, f"Patient?family={fam2}&gender=male")) == []
    assert requests.delete(f"{base}/Patient/{pid}").status_code == 204
    assert ids(search(base, f"Patient?family={fam2}")) == []
    assert ids(search(base, f"Patient?_id={pid}")) == []


def test_unknown_parameter_lenient_and_strict(base):
    fam = uniq()
    pid = make(base, "Patient", patient(family=fam))
    b = search(base, f"Patient?family={fam}&nonsense=1")
    assert ids(b) == [pid]
    oo = [e for e in b["entry"] if e.get("search", {}).get("mode") == "outcome"]
    assert oo and "nonsense" in oo[0]["resource"]["issue"][0]["diagnostics"]
    assert "nonsense" not in b["link"][0]["url"]
    r = requests.get(f"{base}/Patient?family={fam}&nonsense=1", headers={"Prefer": "handling=strict"})
    assert_outcome(r, 400, "not-supported")
    r = requests.get(f"{base}/Patient?birthdate=notadate", headers={"Prefer": "handling=strict"})
    assert_outcome(r, 400)
    assert requests.get(f"{base}/Patient?_cursor=garbage").status_code == 400


def test_post_search_with_form_body(base):
    fam = uniq()
    pid = make(base, "Patient", patient(family=fam))
    r = requests.post(f"{base}/Patient/_search", data={"family": fam},
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200, r.text
    assert ids(r.json()) == [pid]
    r = requests.post(f"{base}/Patient/_search?gender=female", data={"family": fam},
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert ids(r.json()) == []


def test_missing_modifier(base):
    fam = uniq()
    with_bd = make(base, "Patient", patient(family=fam))
    no_bd = patient(family=fam)
    del no_bd["birthDate"]
    without = make(base, "Patient", no_bd)
    assert ids(search(base, f"Patient?family={fam}&birthdate:missing=true")) == [without]
    assert ids(search(base, f"Patient?family={fam}&birthdate:missing=false")) == [with_bd]


def test_system_search_over_types(base):
    tag = uniq()
    pid = make(base, "Patient", patient(identifier=[{"system": "urn:sys", "value": tag}]))
    oid = make(base, "Observation", observation(f"Patient/{pid}", identifier=[{"system": "urn:sys", "value": tag}]))
    b = search(base, f"?_type=Patient,Observation&identifier=urn:sys|{tag}")
    assert sorted(ids(b)) == sorted([pid, oid])
    assert ids(search(base, f"?_type=Observation&identifier=urn:sys|{tag}")) == [oid]
    b = search(base, f"?_id={pid},{oid}")  # every type: parameters common to all
    assert sorted(ids(b)) == sorted([pid, oid])
    # identifier is not a parameter of every type: lenient ignores it (with a warning), strict refuses.
    b = requests.get(f"{base}?_id={pid}&identifier=x").json()
    assert ids(b) == [pid] and b["entry"][0]["search"]["mode"] == "outcome"
    assert_outcome(requests.get(f"{base}?identifier=x", headers={"Prefer": "handling=strict"}), 400, "not-supported")
    b = search(base, f"?_type=Patient,Observation&_id={pid},{oid}")
    assert sorted(ids(b)) == sorted([pid, oid])
    r = requests.post(f"{base}/_search", data={"_type": "Patient", "identifier": f"urn:sys|{tag}"})
    assert r.status_code == 200 and ids(r.json()) == [pid]
    assert_outcome(requests.get(f"{base}?_type=NotAType"), 400, "invalid")


def test_chained_parameters(base):
    fam = uniq()
    p1 = make(base, "Patient", patient(family=fam, gender="female"))
    p2 = make(base, "Patient", patient(family=fam + "x", gender="male"))
    o1 = make(base, "Observation", observation(f"Patient/{p1}"))
    o2 = make(base, "Observation", observation(f"Patient/{p2}"))
    assert ids(search(base, f"Observation?subject:Patient.family={fam}")) == [o1, o2]  # prefix match
    assert ids(search(base, f"Observation?subject:Patient.family:exact={fam}x")) == [o2]
    assert ids(search(base, f"Observation?subject.gender=female&subject.family={fam}")) == [o1]
    assert ids(search(base, f"Observation?patient.gender=male&patient.family={fam}")) == [o2]
    # Two levels: Observation -> Patient -> Organization.
    org = make(base, "Organization", {"resourceType": "Organization", "name": "Org" + fam})
    p3 = make(base, "Patient", patient(family=fam + "y", managingOrganization={"reference": f"Organization/{org}"}))
    o3 = make(base, "Observation", observation(f"Patient/{p3}"))
    assert ids(search(base, f"Observation?subject:Patient.organization.name=org{fam}")) == [o3]
    r = requests.get(f"{base}/Observation?code.display=x", headers={"Prefer": "handling=strict"})
    assert_outcome(r, 400, "not-supported")


def test_reverse_chains_has(base):
    fam = uniq()
    p1 = make(base, "Patient", patient(family=fam))
    p2 = make(base, "Patient", patient(family=fam))
    make(base, "Observation", observation(f"Patient/{p1}", code="1234-5"))
    make(base, "Observation", observation(f"Patient/{p2}", code="9999-9"))
    assert ids(search(base, f"Patient?family={fam}&_has:Observation:patient:code=1234-5")) == [p1]
    assert ids(search(base, f"Patient?family={fam}&_has:Observation:subject:code=9999-9")) == [p2]
    assert ids(search(base, f"Patient?family={fam}&_has:Observation:patient:code=0000-0")) == []
    # Nested: patients with an observation that a final DiagnosticReport lists as a result.
    o = make(base, "Observation", observation(f"Patient/{p2}", code="5555-5"))
    make(base, "DiagnosticReport", {"resourceType": "DiagnosticReport", "status": "final",
                                    "code": {"text": "panel"}, "result": [{"reference": f"Observation/{o}"}]})
    q = f"Patient?family={fam}&_has:Observation:patient:_has:DiagnosticReport:result:status=final"
    assert ids(search(base, q)) == [p2]
    r = requests.get(f"{base}/Patient?_has:Observation:nope:code=1", headers={"Prefer": "handling=strict"})
    assert_outcome(r, 400, "not-supported")


def test_not_modifier_on_tokens(base):
    fam = uniq()
    a = make(base, "Patient", patient(family=fam, gender="female"))
    b = make(base, "Patient", patient(family=fam, gender="male"))
    c = make(base, "Patient", {"resourceType": "Patient", "name": [{"family": fam}]})
    assert ids(search(base, f"Patient?family={fam}&gender:not=male")) == [a, c]
    assert ids(search(base, f"Patient?family={fam}&gender:not=male,female")) == [c]


def test_sort_by_parameters(base):
    fam = uniq()
    a = make(base, "Patient", patient(family=fam + "b", birthDate="1990-01-01"))
    b = make(base, "Patient", patient(family=fam + "a", birthDate="1980-01-01"))
    c = make(base, "Patient", {"resourceType": "Patient", "name": [{"family": fam + "c"}]})
    assert ids(search(base, f"Patient?family={fam}&_sort=birthdate")) == [b, a, c]  # missing last
    assert ids(search(base, f"Patient?family={fam}&_sort=-birthdate")) == [a, b, c]
    assert ids(search(base, f"Patient?family={fam}&_sort=family")) == [b, a, c]
    assert ids(search(base, f"Patient?family={fam}&_sort=-_lastUpdated")) == [c, b, a]
    # Paging a sorted search.
    page1 = search(base, f"Patient?family={fam}&_sort=family&_count=2")
    assert ids(page1) == [b, a]
    nxt = [l["url"] for l in page1["link"] if l["relation"] == "next"][0]
    page2 = search(base, nxt[len(base) + 1:])
    assert ids(page2) == [c]
    r = requests.get(f"{base}/Patient?_sort=nope", headers={"Prefer": "handling=strict"})
    assert_outcome(r, 400, "not-supported")


def test_include_and_revinclude(base):
    fam = uniq()
    org = make(base, "Organization", {"resourceType": "Organization", "name": "O" + fam})
    pid = make(base, "Patient", patient(family=fam, managingOrganization={"reference": f"Organization/{org}"}))
    o1 = make(base, "Observation", observation(f"Patient/{pid}"))
    o2 = make(base, "Observation", observation(f"Patient/{pid}"))

    def included(b):
        return sorted(e["resource"]["id"] for e in b["entry"] if e["search"]["mode"] == "include")

    b = search(base, f"Observation?subject={pid}&_include=Observation:subject")
    assert ids(b) == [o1, o2] and included(b) == [pid]
    b = search(base, f"Observation?subject={pid}&_include=Observation:subject&_include:iterate=Patient:organization")
    assert included(b) == sorted([pid, org])
    b = search(base, f"Patient?_id={pid}&_revinclude=Observation:subject")
    assert ids(b) == [pid] and included(b) == sorted([o1, o2])
    b = search(base, f"Observation?subject={pid}&_include=Observation:*")
    assert pid in included(b)
    b = search(base, f"Observation?subject={pid}&_include=Observation:subject:Group")
    assert included(b) == []


def test_summary_count_and_elements(base):
    fam = uniq()
    for _ in range(3):
        make(base, "Patient", patient(family=fam))
    b = search(base, f"Patient?family={fam}&_summary=count")
    assert b["total"] == 3 and b.get("entry", []) == []
    b = search(base, f"Patient?family={fam}&_elements=gender")
    res = b["entry"][0]["resource"]
    assert "gender" in res and "name" not in res and "birthDate" not in res
    assert any(t["code"] == "SUBSETTED" for t in res["meta"]["tag"])


def test_patient_compartment_search(base):
    p1 = make(base, "Patient", patient(family=uniq()))
    p2 = make(base, "Patient", patient(family=uniq()))
    o1 = make(base, "Observation", observation(f"Patient/{p1}"))
    make(base, "Observation", observation(f"Patient/{p2}"))
    o3 = make(base, "Observation", observation(f"Patient/{p2}", performer=[{"reference": f"Patient/{p1}"}]))
    b = search(base, f"Patient/{p1}/Observation")
    assert ids(b) == [o1, o3]
    assert ids(search(base, f"Patient/{p1}/Observation?code=8867-4&_count=1")) == [o1]
    assert ids(search(base, f"Patient/{p1}/Patient")) == [p1]
    assert_outcome(requests.get(f"{base}/Patient/{p1}/Organization"), 400, "not-supported")
    assert_outcome(requests.get(f"{base}/Patient/{p1}/NotAType"), 404, "not-found")


def test_capability_lists_search_params(base):
    cs = requests.get(f"{base}/metadata").json()
    types = {res["type"]: res for res in cs["rest"][0]["resource"]}
    assert {"code": "search-type"} in types["Patient"]["interaction"]
    params = {p["name"]: p for p in types["Patient"]["searchParam"]}
    assert params["name"]["type"] == "string"
    assert params["birthdate"]["type"] == "date"
    assert params["_id"]["type"] == "token"
    assert params["name"]["definition"] == "http://hl7.org/fhir/SearchParameter/Patient-name"


def test_text_of_type_identifier_above_below_modifiers(base):
    tag = uniq()
    pid = make(base, "Patient", patient(identifier=[{
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
        "system": "urn:mrn", "value": tag}]))
    body = observation(f"Patient/{pid}")
    body["code"] = {"coding": [{"system": "http://loinc.org", "code": "8867-4", "display": f"Heart rate {tag}"}],
                    "text": "Pulse"}
    o = make(base, "Observation", body)
    assert ids(search(base, f"Observation?code:text=heart rate {tag}")) == [o]
    assert ids(search(base, f"Observation?code:text=pulse&subject={pid}")) == [o]
    assert ids(search(base, f"Observation?code:text=nothing{tag}")) == []
    q = f"Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|{tag}"
    assert ids(search(base, q)) == [pid]
    assert ids(search(base, q.replace("|MR|", "|SS|"))) == []
    # A logical reference (identifier only) is found by :identifier.
    body = observation(f"Patient/{pid}")
    body["subject"] = {"identifier": {"system": "urn:mrn", "value": tag}}
    lo = make(base, "Observation", body)
    assert ids(search(base, f"Observation?subject:identifier=urn:mrn|{tag}")) == [lo]
    assert ids(search(base, f"Observation?subject:identifier={tag}")) == [lo]
    # uri :below / :above on ValueSet.url
    url = f"http://example.org/fhir/ValueSet/{tag}/v2"
    vs = make(base, "ValueSet", {"resourceType": "ValueSet", "status": "active", "url": url})
    assert ids(search(base, f"ValueSet?url:below=http://example.org/fhir/ValueSet/{tag}")) == [vs]
    assert ids(search(base, f"ValueSet?url:above={url}/more/parts")) == [vs]
    assert ids(search(base, f"ValueSet?url:above=http://example.org/fhir/ValueSet/{tag}")) == []
    assert ids(search(base, f"ValueSet?url={url}")) == [vs]


def test_reindex_resource_preview_and_job(base):
    fam = uniq()
    pid = make(base, "Patient", patient(family=fam))
    r = requests.get(f"{base}/Patient/{pid}/$reindex")
    assert r.status_code == 200, r.text
    values = {p["name"]: p["valueString"] for p in r.json()["parameter"]}
    assert values["family"] == fam.lower()
    assert requests.post(f"{base}/Patient/{pid}/$reindex").status_code == 200
    assert_outcome(requests.get(f"{base}/Patient/nope-{fam}/$reindex"), 404, "not-found")
    r = requests.post(f"{base}/$reindex")
    assert r.status_code in (202, 409), r.text
    import time
    for _ in range(200):
        status = {p["name"]: p for p in requests.get(f"{base}/$reindex").json()["parameter"]}
        if status["status"]["valueCode"] != "running":
            break
        time.sleep(0.05)
    assert status["status"]["valueCode"] == "completed", status
    assert status["processed"]["valueInteger"] >= 1
    assert ids(search(base, f"Patient?family={fam}")) == [pid]


def test_conditional_create_if_none_exist(base):
    tag = uniq()
    body = patient(identifier=[{"system": "urn:cc", "value": tag}])
    hdr = {"If-None-Exist": f"identifier=urn:cc|{tag}"}
    r1 = requests.post(f"{base}/Patient", json=body, headers=hdr)
    assert r1.status_code == 201, r1.text
    r2 = requests.post(f"{base}/Patient", json=body, headers=hdr)
    assert r2.status_code == 200 and r2.json()["id"] == r1.json()["id"]
    make(base, "Patient", body)  # a second match, made unconditionally
    assert_outcome(requests.post(f"{base}/Patient", json=body, headers=hdr), 412, "duplicate")
    r = requests.post(f"{base}/Patient", json=body, headers={"If-None-Exist": "nope=1"})
    assert_outcome(r, 400, "not-supported")


def test_fifty_concurrent_identical_conditional_creates_make_one_resource(base):
    from concurrent.futures import ThreadPoolExecutor
    tag = uniq()
    body = patient(identifier=[{"system": "urn:cc", "value": tag}])

    def create(_):
        r = requests.post(f"{base}/Patient", json=body, headers={"If-None-Exist": f"identifier=urn:cc|{tag}"})
        return r.status_code, r.json()["id"]

    with ThreadPoolExecutor(50) as ex:
        results = list(ex.map(create, range(50)))
    assert sorted({s for s, _ in results}) in ([200, 201], [201])
    assert [s for s, _ in results].count(201) == 1
    assert len({i for _, i in results}) == 1
    assert ids(search(base, f"Patient?identifier=urn:cc|{tag}")) == [results[0][1]]


def test_conditional_update_delete_and_patch(base):
    tag = uniq()
    ident = {"system": "urn:cu", "value": tag}
    body = patient(identifier=[ident], gender="female")
    # PUT with no match and no id: created.
    r = requests.put(f"{base}/Patient?identifier=urn:cu|{tag}", json=body)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    # One match: updated (the id comes from the match).
    r = requests.put(f"{base}/Patient?identifier=urn:cu|{tag}", json=dict(body, gender="male"))
    assert r.status_code == 200 and r.json()["id"] == pid and r.json()["gender"] == "male"
    assert r.json()["meta"]["versionId"] == "2"
    # A body id that is not the match's: 400.
    r = requests.put(f"{base}/Patient?identifier=urn:cu|{tag}", json=dict(body, id="other-id"))
    assert_outcome(r, 400, "invalid")
    # Conditional PATCH on the one match.
    r = requests.patch(f"{base}/Patient?identifier=urn:cu|{tag}",
                       data='[{"op":"replace","path":"/gender","value":"other"}]',
                       headers={"Content-Type": "application/json-patch+json"})
    assert r.status_code == 200 and r.json()["gender"] == "other", r.text
    # Two matches: 412 for PUT and for a single DELETE; _count deletes up to that many.
    make(base, "Patient", body)
    assert_outcome(requests.put(f"{base}/Patient?identifier=urn:cu|{tag}", json=body), 412, "multiple-matches")
    assert_outcome(requests.delete(f"{base}/Patient?identifier=urn:cu|{tag}"), 412, "multiple-matches")
    assert requests.delete(f"{base}/Patient?identifier=urn:cu|{tag}&_count=10").status_code == 204
    assert ids(search(base, f"Patient?identifier=urn:cu|{tag}")) == []
    assert requests.delete(f"{base}/Patient?identifier=urn:cu|{tag}").status_code == 204  # none left
    # A condition the server does not understand is refused, never taken as "everything".
    assert_outcome(requests.delete(f"{base}/Patient?nonsense=1"), 400, "not-supported")
    assert_outcome(requests.delete(f"{base}/Patient"), 400, "invalid")


def test_concurrent_identical_conditional_updates_make_one_resource(base):
    from concurrent.futures import ThreadPoolExecutor
    tag = uniq()
    body = patient(identifier=[{"system": "urn:cu2", "value": tag}])

    def put(_):
        r = requests.put(f"{base}/Patient?identifier=urn:cu2|{tag}", json=body)
        return r.status_code, r.json().get("id")

    with ThreadPoolExecutor(20) as ex:
        results = list(ex.map(put, range(20)))
    assert all(s in (200, 201) for s, _ in results), results
    assert len({i for _, i in results}) == 1
    assert len(ids(search(base, f"Patient?identifier=urn:cu2|{tag}"))) == 1


def subsetted(res):
    return any(t.get("code") == "SUBSETTED" for t in res.get("meta", {}).get("tag", []))


def test_summary_true_text_data_on_search_and_read(base):
    code = uniq()
    narrative = {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">BP</div>"}
    oid = make(base, "Observation", {
        "resourceType": "Observation", "status": "final", "text": narrative,
        "code": {"coding": [{"system": "urn:test", "code": code}]},
        "note": [{"text": "not a summary element"}],
        "component": [{"code": {"text": "systolic"}, "valueQuantity": {"value": 120},
                       "interpretation": [{"text": "not in the summary either"}]}]})
    full = requests.get(f"{base}/Observation/{oid}").json()

    def one(query):
        b = search(base, f"Observation?code=urn:test|{code}&{query}")
        assert ids(b) == [oid]
        return b["entry"][0]["resource"]

    s = one("_summary=true")  # isSummary elements, within backbone elements too
    assert s["status"] == "final" and s["code"] == full["code"] and s["id"] == oid
    assert "note" not in s and "text" not in s
    assert s["component"] == [{"code": {"text": "systolic"}, "valueQuantity": {"value": 120}}]
    assert subsetted(s)
    t = one("_summary=text")  # text, id, meta and the mandatory elements (status, code)
    assert set(t) == {"resourceType", "id", "meta", "text", "status", "code"} and subsetted(t)
    d = one("_summary=data")  # all but text
    assert "text" not in d and d["note"] == full["note"] and d["component"] == full["component"] and subsetted(d)
    f = one("_summary=false")
    assert f == full
    # The same on read; the stored resource is unchanged.
    r = requests.get(f"{base}/Observation/{oid}?_summary=true")
    assert r.status_code == 200 and r.json() == s
    r = requests.get(f"{base}/Observation/{oid}?_elements=status")
    assert set(r.json()) == {"resourceType", "id", "meta", "status"} and subsetted(r.json())
    assert requests.get(f"{base}/Observation/{oid}").json() == full
    assert_outcome(requests.get(f"{base}/Observation/{oid}?_summary=count"), 400, "invalid")
    assert_outcome(requests.get(f"{base}/Observation?_summary=maybe"), 400, "invalid")


def test_in_modifier_with_unknown_or_unexpandable_value_sets(base):
    strict = {"Prefer": "handling=strict"}
    r = requests.get(f"{base}/Observation?code:in=http://example.org/no-such-vs", headers=strict)
    assert_outcome(r, 400, "not-supported")
    assert "unknown" in r.text
    b = search(base, "Observation?code:in=http://example.org/no-such-vs&_count=1")
    warnings = [e for e in b["entry"] if e.get("search", {}).get("mode") == "outcome"]
    assert warnings and "no-such-vs" in str(warnings[0]["resource"])
    assert "code%3Ain" not in b["link"][0]["url"] and "code:in" not in b["link"][0]["url"]
    # A stored ValueSet filtering a code system this server does not hold cannot be expanded.
    url = f"http://example.org/fhir/ValueSet/{uniq()}"
    make(base, "ValueSet", {"resourceType": "ValueSet", "status": "active", "url": url,
                            "compose": {"include": [{"system": "http://snomed.info/sct",
                                                     "filter": [{"property": "concept", "op": "is-a",
                                                                 "value": "404684003"}]}]}})
    r = requests.get(f"{base}/Condition?code:in={url}", headers=strict)
    assert_outcome(r, 400, "not-supported")
    assert "does not hold" in r.text
    # A ValueSet stored later is found (expansions of stored ValueSets follow their versions).
    url2 = f"http://example.org/fhir/ValueSet/{uniq()}"
    code = uniq()
    oid = make(base, "Observation", observation("Patient/x", code=code, system="urn:vs-test"))
    assert requests.get(f"{base}/Observation?code:in={url2}", headers=strict).status_code == 400
    vs = {"resourceType": "ValueSet", "status": "active", "url": url2,
          "compose": {"include": [{"system": "urn:vs-test", "concept": [{"code": "other"}]}]}}
    vid = make(base, "ValueSet", vs)
    assert ids(search(base, f"Observation?code:in={url2}", headers=strict)) == []
    vs["id"] = vid
    vs["compose"]["include"][0]["concept"].append({"code": code})
    assert put(base, "ValueSet", vid, vs).status_code == 200
    assert ids(search(base, f"Observation?code:in={url2}", headers=strict)) == [oid]
    # :above/:below need system|code and a code system this server holds.
    assert_outcome(requests.get(f"{base}/Observation?code:below=8867-4"), 400, "invalid")
    r = requests.get(f"{base}/Observation?code:below=http://loinc.org|8867-4", headers=strict)
    assert_outcome(r, 400, "not-supported")


def test_list_and_contained_parameters(base):
    strict = {"Prefer": "handling=strict"}
    assert_outcome(requests.get(f"{base}/Patient?_list=$current-allergies", headers=strict), 400, "not-supported")
    fam = uniq()
    a = make(base, "Patient", patient(family=fam))
    make(base, "Patient", patient(family=fam))
    lid = make(base, "List", {"resourceType": "List", "status": "current", "mode": "working",
                              "entry": [{"item": {"reference": f"Patient/{a}"}}]})
    assert ids(search(base, f"Patient?family={fam}&_list={lid}", headers=strict)) == [a]
    assert len(ids(search(base, f"Patient?family={fam}&_contained=false&_containedType=container",
                          headers=strict))) == 2
    # _contained=true works (search_cases/contained.txt); what it cannot be combined with is refused.
    assert_outcome(requests.get(f"{base}/Patient?_contained=maybe", headers=strict), 400, "invalid")
    assert_outcome(requests.get(f"{base}/Patient?_contained=true&_sort=family", headers=strict), 400, "not-supported")
    assert_outcome(requests.get(f"{base}/Patient?_contained=true&general-practitioner.name=x", headers=strict), 400,
                   "not-supported")


def test_sorted_paging_neither_repeats_nor_skips_while_writing(base):
    fam = uniq()
    # Two per birth year: ties are ordered by creation.
    made = [make(base, "Patient", patient(family=fam, birthDate=f"19{50 + i // 2}-01-01")) for i in range(8)]
    for sort, expect in (("birthdate", made), ("-birthdate", [made[i ^ 1] for i in range(7, -1, -1)])):
        page = search(base, f"Patient?family={fam}&_sort={sort}&_count=3")
        seen = ids(page)
        # Written between pages: a patient sorting before every one seen (offset paging would
        # repeat one), and a deletion of one seen (offset paging would skip one).
        extra = make(base, "Patient", patient(family=fam, birthDate="1900-01-01" if sort == "birthdate" else "2099-01-01"))
        assert requests.delete(f"{base}/Patient/{seen[0]}").status_code in (200, 204)
        while True:
            nxt = [l["url"] for l in page["link"] if l["relation"] == "next"]
            if not nxt:
                break
            assert "_cursor=" in nxt[0] and "_offset" not in nxt[0]
            page = search(base, nxt[0][len(base) + 1:])
            seen += ids(page)
        assert seen == expect, sort
        # Restore for the next round.
        assert requests.delete(f"{base}/Patient/{extra}").status_code in (200, 204)
        body = patient(family=fam, birthDate=requests.get(f"{base}/Patient/{seen[0]}/_history/1").json()["birthDate"],
                       id=seen[0])
        assert put(base, "Patient", seen[0], body).status_code in (200, 201)
    r = requests.get(f"{base}/Patient?family={fam}&_sort=birthdate&_cursor=12")
    assert_outcome(r, 400, "invalid")
