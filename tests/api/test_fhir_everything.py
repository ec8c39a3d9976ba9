"""Patient/[id]/$everything and Patient/$everything: the patient, its compartment, the resources they
refer to outside it, start/end/_since/_type/_count and paging through every page."""
import uuid

import requests

from conftest import assert_outcome, patient, post


def make(base, rtype, body):
    r = post(base, rtype, body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def keys(bundle, mode=None):
    return [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle.get("entry", [])
            if e.get("search", {}).get("mode") != "outcome" and (mode is None or e["search"]["mode"] == mode)]


def everything(url, **kw):
    r = requests.get(url, **kw)
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["resourceType"] == "Bundle" and b["type"] == "searchset"
    return b


def all_pages(url):
    seen, pages = [], 0
    while url:
        b = everything(url)
        seen += keys(b)
        pages += 1
        url = next((l["url"] for l in b["link"] if l["relation"] == "next"), None)
    return seen, pages


def record(base):
    """A patient with a GP, an encounter, observations in 2019 and 2023, a medication request."""
    org = make(base, "Organization", {"resourceType": "Organization", "name": "Clinic " + uuid.uuid4().hex[:6]})
    gp = make(base, "Practitioner", {"resourceType": "Practitioner", "name": [{"family": "Gp"}]})
    med = make(base, "Medication", {"resourceType": "Medication", "code": {"text": "aspirin"}})
    pid = make(base, "Patient", patient(generalPractitioner=[{"reference": f"Practitioner/{gp}"}],
                                        managingOrganization={"reference": f"Organization/{org}"}))
    enc = make(base, "Encounter", {"resourceType": "Encounter", "status": "finished",
                                   "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                                   "subject": {"reference": f"Patient/{pid}"},
                                   "period": {"start": "2023-02-01", "end": "2023-02-01"}})
    obs = [make(base, "Observation", {"resourceType": "Observation", "status": "final", "code": {"text": "hr"},
                                      "subject": {"reference": f"Patient/{pid}"}, "effectiveDateTime": when})
           for when in ("2019-05-01", "2023-02-01")]
    cond = make(base, "Condition", {"resourceType": "Condition", "subject": {"reference": f"Patient/{pid}"},
                                    "onsetDateTime": "2019-05-01"})
    mr = make(base, "MedicationRequest", {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
                                          "medicationReference": {"reference": f"Medication/{med}"},
                                          "subject": {"reference": f"Patient/{pid}"}})
    other = make(base, "Patient", patient(family="Other"))
    make(base, "Observation", {"resourceType": "Observation", "status": "final", "code": {"text": "hr"},
                               "subject": {"reference": f"Patient/{other}"}})
    return dict(pid=pid, org=org, gp=gp, med=med, enc=enc, obs=obs, mr=mr, cond=cond, other=other)


def test_everything_returns_compartment_and_referenced(base):
    r = record(base)
    b = everything(f"{base}/Patient/{r['pid']}/$everything?_count=100")
    matches = keys(b, "match")
    assert matches[0] == f"Patient/{r['pid']}"
    assert sorted(matches[1:]) == sorted([f"Encounter/{r['enc']}", f"MedicationRequest/{r['mr']}",
                                          f"Condition/{r['cond']}"] +
                                         [f"Observation/{o}" for o in r["obs"]])
    assert sorted(keys(b, "include")) == sorted([f"Organization/{r['org']}", f"Practitioner/{r['gp']}",
                                                 f"Medication/{r['med']}"])
    assert f"Patient/{r['other']}" not in keys(b)
    assert b["link"][0]["relation"] == "self" and not [l for l in b["link"] if l["relation"] == "next"]


def test_everything_start_end_since_type(base):
    r = record(base)
    url = f"{base}/Patient/{r['pid']}/$everything"
    # start/end filter by the type's `date` parameter where it has one (Observation, Encounter, and
    # MedicationRequest: dosage dates, none here); types without one (Condition) are not narrowed.
    m = keys(everything(url + "?start=2022-01-01&_count=100"), "match")
    assert f"Observation/{r['obs'][1]}" in m and f"Observation/{r['obs'][0]}" not in m
    assert f"Encounter/{r['enc']}" in m and f"Condition/{r['cond']}" in m
    assert f"MedicationRequest/{r['mr']}" not in m
    m = keys(everything(url + "?end=2020-01-01&_count=100"), "match")
    assert f"Observation/{r['obs'][0]}" in m and f"Observation/{r['obs'][1]}" not in m
    # _type narrows every resource type, referenced ones too.
    b = everything(url + "?_type=Observation,Practitioner&_count=100")
    assert sorted(keys(b, "match")) == sorted(f"Observation/{o}" for o in r["obs"])
    # _since: only resources changed since then (the patient too).
    late = make(base, "Observation", {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                                      "subject": {"reference": f"Patient/{r['pid']}"}})
    since = requests.get(f"{base}/Observation/{late}").json()["meta"]["lastUpdated"]
    assert keys(everything(url, params={"_since": since, "_count": 100}), "match") == [f"Observation/{late}"]


def test_everything_pages_through_everything(base):
    r = record(base)
    extra = [make(base, "Observation", {"resourceType": "Observation", "status": "final", "code": {"text": "p"},
                                        "subject": {"reference": f"Patient/{r['pid']}"}}) for _ in range(7)]
    whole = keys(everything(f"{base}/Patient/{r['pid']}/$everything?_count=1000"), "match")
    assert len(whole) == 1 + 1 + 1 + 1 + 2 + 7
    seen, pages = all_pages(f"{base}/Patient/{r['pid']}/$everything?_count=3")
    matches = [k for k in seen if not k.split("/")[0] in ("Organization", "Practitioner", "Medication")]
    # 13 matches by 3: five pages (a page that ends exactly at the end may be followed by an empty one).
    assert matches == whole and pages in (5, 6)
    assert all(f"Observation/{o}" in matches for o in extra)


def test_everything_post_parameters(base):
    r = record(base)
    body = {"resourceType": "Parameters", "parameter": [{"name": "start", "valueDate": "2022-01-01"},
                                                         {"name": "_count", "valueInteger": 100}]}
    resp = requests.post(f"{base}/Patient/{r['pid']}/$everything", json=body,
                         headers={"Content-Type": "application/fhir+json"})
    assert resp.status_code == 200, resp.text
    m = keys(resp.json(), "match")
    assert f"Observation/{r['obs'][1]}" in m and f"Observation/{r['obs'][0]}" not in m


def test_everything_errors(base):
    assert_outcome(requests.get(f"{base}/Patient/nope-{uuid.uuid4().hex[:8]}/$everything"), 404, "not-found")
    r = record(base)
    url = f"{base}/Patient/{r['pid']}/$everything"
    assert_outcome(requests.get(url + "?start=notadate"), 400)
    assert_outcome(requests.get(url + "?_type=NotAType"), 400, "invalid")
    assert_outcome(requests.get(url + "?_count=0"), 400, "invalid")
    assert_outcome(requests.get(url + "?_cursor=x.y"), 400, "invalid")
    assert_outcome(requests.get(url + "?bogus=1", headers={"Prefer": "handling=strict"}), 400)
    lenient = everything(url + "?bogus=1")
    assert lenient["entry"][0]["search"]["mode"] == "outcome"


def test_type_level_everything_covers_every_patient(base):
    a, b_ = record(base), record(base)
    seen, _ = all_pages(f"{base}/Patient/$everything?_count=50")
    for r in (a, b_):
        assert f"Patient/{r['pid']}" in seen and f"Observation/{r['obs'][0]}" in seen
        assert f"MedicationRequest/{r['mr']}" in seen
    # Each patient's own resources follow it, before the next patient.
    i = seen.index(f"Patient/{a['pid']}")
    assert seen.index(f"Observation/{a['obs'][0]}") > i
