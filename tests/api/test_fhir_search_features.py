"""Search features beyond the URL parameters: _filter's errors and handling modes (its matches are
conformance cases in search_cases/filter.txt), snapshot paging while others write, and the
configurable value set expansion limit."""
import requests

from conftest import assert_outcome, patient
from test_fhir_search import ids, make, search, uniq

STRICT = {"Prefer": "handling=strict"}


def outcome_texts(bundle):
    return [i.get("diagnostics", "") for e in bundle["entry"] if e["resource"]["resourceType"] == "OperationOutcome"
            for i in e["resource"]["issue"]]


def test_filter_syntax_errors_are_400_in_any_mode(base):
    for headers in ({}, STRICT):
        r = requests.get(f"{base}/Patient", params={"_filter": "family eq"}, headers=headers)
        body = assert_outcome(r, 400, "invalid")
        assert "Invalid _filter" in body["issue"][0]["diagnostics"] and "value" in body["issue"][0]["diagnostics"]
        r = requests.get(f"{base}/Patient", params={"_filter": "(family eq x"}, headers=headers)
        assert_outcome(r, 400, "invalid")
        r = requests.get(f"{base}/Patient", params={"_filter": "birthdate ge yesterday"}, headers=headers)
        assert "not a FHIR date" in assert_outcome(r, 400, "invalid")["issue"][0]["diagnostics"]


def test_filter_unsupported_operators_strict_and_lenient(base):
    fam = uniq()
    a = make(base, "Patient", patient(family=fam))
    b = make(base, "Patient", patient(family=fam + "x"))
    # A string has no order: gt is refused (strict) or the _filter ignored and reported (lenient).
    r = requests.get(f"{base}/Patient", params={"_filter": "family gt a", "family": fam}, headers=STRICT)
    body = assert_outcome(r, 400, "not-supported")
    assert "'gt' is not supported on 'family'" in body["issue"][0]["diagnostics"]
    lenient = search(base, f"Patient?family={fam}&_filter=family gt a")
    assert ids(lenient) == [a, b]
    assert any("'gt' is not supported" in t and "ignored" in t for t in outcome_texts(lenient))
    assert "_filter" not in [l for l in lenient["link"] if l["relation"] == "self"][0]["url"]
    # Unknown parameters inside the filter, and a [filter] on a parameter that is not a reference.
    r = requests.get(f"{base}/Patient", params={"_filter": "nosuch eq 1"}, headers=STRICT)
    assert "nosuch" in assert_outcome(r, 400, "not-supported")["issue"][0]["diagnostics"]
    r = requests.get(f"{base}/Patient", params={"_filter": "family[given eq x] pr true"}, headers=STRICT)
    assert "not a reference parameter" in assert_outcome(r, 400, "not-supported")["issue"][0]["diagnostics"]


def test_filter_by_post_and_in_links(base):
    fam = uniq()
    a = make(base, "Patient", patient(family=fam, gender="female"))
    make(base, "Patient", patient(family=fam, gender="male"))
    r = requests.post(f"{base}/Patient/_search", data={"_filter": f"family eq {fam} and gender eq female"},
                      headers=STRICT)
    assert r.status_code == 200, r.text
    assert ids(r.json()) == [a]
    self_link = [l["url"] for l in r.json()["link"] if l["relation"] == "self"][0]
    assert ids(search(base, self_link[len(base) + 1:])) == [a]


def follow(base, bundle):
    """Every match of bundle and the pages its next links lead to."""
    out = ids(bundle)
    while True:
        nxt = [l["url"] for l in bundle["link"] if l["relation"] == "next"]
        if not nxt:
            return out
        bundle = search(base, nxt[0][len(base) + 1:])
        out += ids(bundle)


def test_paging_is_bounded_to_the_first_page_snapshot(base):
    fam = uniq()
    made = [make(base, "Patient", patient(family=fam, given=g)) for g in "abcde"]
    for query in (f"Patient?family={fam}&_count=2", f"Patient?family={fam}&_count=2&_sort=given"):
        page1 = search(base, query + "&_total=accurate")
        assert ids(page1) == made[:2] and page1["total"] == 5
        # While the client pages: one new match that sorts last, one listed resource updated, one deleted.
        late = make(base, "Patient", patient(family=fam, given="z"))
        r = requests.put(f"{base}/Patient/{made[2]}", json={**patient(family=fam, given="c2"), "id": made[2]},
                         headers={"Content-Type": "application/fhir+json"})
        assert r.status_code == 200, r.text
        assert requests.delete(f"{base}/Patient/{made[3]}").status_code in (200, 204)
        nxt = [l["url"] for l in page1["link"] if l["relation"] == "next"][0]
        page2 = search(base, nxt[len(base) + 1:])
        assert page2["total"] == 4  # the snapshot's matches still there: the deleted one is gone
        assert follow(base, page1) == [made[0], made[1], made[2], made[4]]
        # A new search (the first link) sees the new resource.
        assert late in follow(base, search(base, query))
        # Restore for the next round.
        requests.delete(f"{base}/Patient/{late}")
        r = requests.put(f"{base}/Patient/{made[3]}", json={**patient(family=fam, given="d"), "id": made[3]},
                         headers={"Content-Type": "application/fhir+json"})
        assert r.status_code in (200, 201), r.text


def test_previous_links_page_back_through_the_same_pages(base):
    fam = uniq()
    # Eleven Patients, two without a birth date (sorted last in either direction of _sort).
    dates = ["1980-01-05", "1975-03-01", None, "1990-07-07", "1980-01-05", "1962-12-31", "2001-02-03",
             None, "1999-09-09", "1970-01-01", "1985-05-05"]
    for i, d in enumerate(dates):
        body = patient(family=fam, given=f"g{i:02d}")
        if d:
            body["birthDate"] = d
        make(base, "Patient", body)

    def link(bundle, relation):
        found = [l["url"] for l in bundle["link"] if l["relation"] == relation]
        return found[0][len(base) + 1:] if found else None

    for query in (f"Patient?family={fam}&_count=3", f"Patient?family={fam}&_count=3&_sort=birthdate,-given",
                  f"Patient?family={fam}&_count=4&_sort=-birthdate"):
        forward = [search(base, query)]
        assert link(forward[0], "previous") is None  # the first page has none
        while link(forward[-1], "next"):
            forward.append(search(base, link(forward[-1], "next")))
        assert len(forward) >= 3 and sum(len(ids(p)) for p in forward) == 11
        # From the last page, previous links lead back through exactly the same pages.
        page, back = forward[-1], [ids(forward[-1])]
        while link(page, "previous"):
            page = search(base, link(page, "previous"))
            back.append(ids(page))
        assert back == [ids(p) for p in reversed(forward)], query
        # A page reached backwards pages forward again.
        again = search(base, link(page, "next"))
        assert ids(again) == ids(forward[1]), query


def test_snapshot_cursor_is_checked(base):
    for bad in ("12.", "12.x", "12.-4", "s.5", "12", "12.5"):
        r = requests.get(f"{base}/Patient", params={"_cursor": bad})
        assert_outcome(r, 400, "invalid")
    # Cursors are signed: the server's own works, the same with another position does not.
    fam = uniq()
    for g in "ab":
        make(base, "Patient", patient(family=fam, given=g))
    page1 = search(base, f"Patient?family={fam}&_count=1")
    cursor = [l["url"] for l in page1["link"] if l["relation"] == "next"][0].split("_cursor=")[1]
    cursor = requests.utils.unquote(cursor)
    r = requests.get(f"{base}/Patient", params={"family": fam, "_count": 1, "_cursor": cursor})
    assert r.status_code == 200, r.text
    position, rest = cursor.split(".", 1)
    forged = str(int(position) - 1) + "." + rest
    r = requests.get(f"{base}/Patient", params={"family": fam, "_count": 1, "_cursor": forged})
    assert_outcome(r, 400, "invalid")


def test_value_set_expansion_limit_is_configurable(new_server):
    s = new_server("vs-limit", "search:\n  max_value_set_codes: 3\n").start()
    base = s.fhir()
    # observation-status has 8 codes, administrative-gender 4: more than the configured 3.
    for path, params in (("Observation", {"status:in": "http://hl7.org/fhir/ValueSet/observation-status"}),
                         ("Patient", {"gender:in": "http://hl7.org/fhir/ValueSet/administrative-gender"}),
                         ("Observation", {"_filter": "status in http://hl7.org/fhir/ValueSet/observation-status"})):
        r = requests.get(f"{base}/{path}", params=params, headers=STRICT)
        assert "more than 3 codes" in assert_outcome(r, 400)["issue"][0]["diagnostics"]
    # A value set within the limit still expands (search-entry-mode: 3 codes).
    r = requests.get(f"{base}/Patient", params={"gender:in": "http://hl7.org/fhir/ValueSet/search-entry-mode"},
                     headers=STRICT)
    assert r.status_code == 200, r.text
    # Required bindings use the same expansions and limit: administrative-gender (4 codes) is too
    # large to check here, so an unknown gender is not reported, while a code of a value set within
    # the limit still is (Bundle.entry.search.mode, search-entry-mode: 3 codes).
    r = requests.post(f"{base}/Patient/$validate", json={"resourceType": "Patient", "gender": "bogus"})
    assert r.status_code == 200, r.text
    assert not [i for i in r.json()["issue"] if "bogus" in i.get("diagnostics", "")], r.text
    bundle = {"resourceType": "Bundle", "type": "searchset",
              "entry": [{"fullUrl": "urn:uuid:8d1c2f5e-9a51-4c38-9c0e-0f4f2b7a6b11",
                         "resource": {"resourceType": "Basic", "code": {"text": "x"}},
                         "search": {"mode": "bogus"}}]}
    r = requests.post(f"{base}/Bundle/$validate", json=bundle)
    assert [i for i in r.json()["issue"] if "bogus" in i.get("diagnostics", "")], r.text


def test_contained_resources_are_found_through_their_container(base):
    tag = uniq()
    rx = "http://www.nlm.nih.gov/research/umls/rxnorm"
    mr = make(base, "MedicationRequest", {
        "resourceType": "MedicationRequest", "status": "active", "intent": "order",
        "subject": {"reference": "Patient/x"},
        "contained": [{"resourceType": "Medication", "id": "a", "code": {"coding": [{"system": rx, "code": tag}]}}],
        "medicationReference": {"reference": "#a"}})
    b = search(base, f"Medication?code={rx}|{tag}&_contained=true&_containedType=contained", headers=STRICT)
    assert [e["fullUrl"] for e in b["entry"]] == [f"{base}/MedicationRequest/{mr}#a"]
    assert b["entry"][0]["resource"]["id"] == "a" and b["entry"][0]["search"]["mode"] == "match"
    # An update replaces the contained rows; a deletion removes them.
    r = requests.put(f"{base}/MedicationRequest/{mr}", json={
        "resourceType": "MedicationRequest", "id": mr, "status": "active", "intent": "order",
        "subject": {"reference": "Patient/x"},
        "contained": [{"resourceType": "Medication", "id": "a", "code": {"coding": [{"system": rx, "code": tag + "x"}]}}],
        "medicationReference": {"reference": "#a"}}, headers={"Content-Type": "application/fhir+json"})
    assert r.status_code == 200, r.text
    assert ids(search(base, f"Medication?code={tag}&_contained=true")) == []
    assert ids(search(base, f"Medication?code={tag}x&_contained=true")) == [mr]
    assert requests.delete(f"{base}/MedicationRequest/{mr}").status_code in (200, 204)
    assert ids(search(base, f"Medication?code={tag}x&_contained=true")) == []
