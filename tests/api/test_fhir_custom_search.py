"""Custom search parameters (SearchParameter resources + $reindex), ICU string normalization and
UCUM canonical units, against real servers. The data-driven cases are custom_search_cases/*.txt
(same format as search_cases/, see its README) over custom_search_cases/dataset.json."""
import json
import os
import sqlite3
import time

import pytest
import requests

from conftest import FHIR_JSON, assert_outcome, post, put
from search_case_files import load_cases, load_dataset

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "custom_search_cases")
STRICT = {"Prefer": "handling=strict"}
EYE_URL = "http://example.org/fhir/SearchParameter/patient-eye-colour"
EYE_EXT = "http://example.org/fhir/StructureDefinition/eye-colour"


def eye_param(**over):
    sp = {"resourceType": "SearchParameter", "url": EYE_URL, "name": "EyeColour", "status": "active",
          "description": "Eye colour of a patient", "code": "eye-colour", "base": ["Patient"], "type": "token",
          "expression": f"Patient.extension('{EYE_EXT}').value"}
    sp.update(over)
    return sp


def eyed_patient(colour, family="Doe"):
    return {"resourceType": "Patient", "name": [{"family": family}],
            "extension": [{"url": EYE_EXT, "valueCode": colour}]}


def ids(bundle, mode="match"):
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e.get("search", {}).get("mode") == mode]


def reindex_and_wait(base, timeout=30):
    r = requests.post(f"{base}/$reindex")
    assert r.status_code == 202, r.text
    return wait_job(base, timeout)


def job_status(base):
    r = requests.get(f"{base}/$reindex")
    assert r.status_code == 200, r.text
    params = {}
    for p in r.json()["parameter"]:
        value = next(v for k, v in p.items() if k.startswith("value"))
        params.setdefault(p["name"], []).append(value)
    return {k: v[0] if len(v) == 1 and k != "enables" else v for k, v in params.items()}


def wait_job(base, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = job_status(base)
        if st["status"] != "running":
            return st
        time.sleep(0.05)
    raise AssertionError("the reindex job did not finish")


def store_path(server):
    return os.path.join(server.data_dir, "workspaces", "default", "fhirservices", "default", "fhir.db")


# ---- custom search parameters ----

def test_invalid_search_parameters_are_refused_with_400(base):
    bad = [
        eye_param(expression="Patient.extension('x').value.where("),              # does not compile
        eye_param(code="name", url="http://example.org/sp/name"),                   # redefines an R4 code
        eye_param(code="_secret", url="http://example.org/sp/secret"),              # result-parameter prefix
        eye_param(type="special", url="http://example.org/sp/special"),             # unsupported type
        eye_param(type="composite", url="http://example.org/sp/comp"),              # composite without components
        eye_param(type="composite", url="http://example.org/sp/comp2", code="comp2",  # unknown component
                  component=[{"definition": "http://example.org/sp/none", "expression": "code"},
                             {"definition": "http://example.org/sp/none2", "expression": "value"}]),
        eye_param(type="composite", url="http://example.org/sp/comp3", code="comp3",  # date first: not indexable
                  base=["Observation"], expression="Observation",
                  component=[{"definition": "http://hl7.org/fhir/SearchParameter/clinical-date", "expression": "effective"},
                             {"definition": "http://hl7.org/fhir/SearchParameter/clinical-code", "expression": "code"}]),
        eye_param(base=["NoSuchType"], url="http://example.org/sp/nosuch"),         # unknown base
        eye_param(url="http://hl7.org/fhir/SearchParameter/Patient-name", code="x-name"),  # an R4 url
    ]
    for sp in bad:
        r = post(base, "SearchParameter", sp)
        body = assert_outcome(r, 400, "invalid")
        assert "cannot be registered" in body["issue"][0]["diagnostics"], body
    # A draft is only stored: nothing is registered, so nothing is checked beyond validation.
    draft = post(base, "SearchParameter", eye_param(status="draft", url="http://example.org/sp/draft",
                                                    expression="Patient.where("))
    assert draft.status_code == 201, draft.text


def test_a_custom_parameter_is_usable_after_reindex_and_survives_restarts(new_server):
    srv = new_server("custom-sp-lifecycle").start()
    base = srv.fhir()
    blue = post(base, "Patient", eyed_patient("blue", "Before")).json()["id"]

    sp = post(base, "SearchParameter", eye_param())
    assert sp.status_code == 201, sp.text
    sp_id = sp.json()["id"]
    # Another parameter with the same code on the same type is refused.
    dup = post(base, "SearchParameter", eye_param(url="http://example.org/sp/eye2"))
    assert_outcome(dup, 400, "invalid")
    green = post(base, "Patient", eyed_patient("green", "After")).json()["id"]

    # Registered but not enabled: unknown in strict mode, ignored with a warning in lenient mode.
    r = requests.get(f"{base}/Patient?eye-colour=blue", headers=STRICT)
    assert_outcome(r, 400, "not-supported")
    r = requests.get(f"{base}/Patient?eye-colour=blue")
    assert r.status_code == 200
    assert sorted(ids(r.json())) == sorted([blue, green])
    outcome = [e for e in r.json()["entry"] if e["search"]["mode"] == "outcome"]
    assert outcome and "eye-colour" in json.dumps(outcome)
    cap = requests.get(f"{base}/metadata").json()
    pat = next(x for x in cap["rest"][0]["resource"] if x["type"] == "Patient")
    assert "eye-colour" not in [p["name"] for p in pat["searchParam"]]
    # Writes index it already: the preview of a resource written after registration shows it.
    preview = requests.get(f"{base}/Patient/{green}/$reindex").json()
    assert {"name": "eye-colour", "valueString": "green"} in preview["parameter"]

    st = reindex_and_wait(base)
    assert st["status"] == "completed", st
    assert st["processed"] >= 3 and st["failed"] == 0
    assert st["enables"] == [EYE_URL]
    job_id = st["id"]

    r = requests.get(f"{base}/Patient?eye-colour=blue", headers=STRICT)
    assert r.status_code == 200, r.text
    assert ids(r.json()) == [blue]
    assert ids(requests.get(f"{base}/Patient?eye-colour=green,blue", headers=STRICT).json()) == [blue, green]
    assert ids(requests.get(f"{base}/Patient?eye-colour:not=blue", headers=STRICT).json()) == [green]
    assert ids(requests.get(f"{base}/Patient?_sort=eye-colour", headers=STRICT).json())[:2] == [blue, green]
    cap = requests.get(f"{base}/metadata").json()
    pat = next(x for x in cap["rest"][0]["resource"] if x["type"] == "Patient")
    listed = [p for p in pat["searchParam"] if p["name"] == "eye-colour"]
    assert len(listed) == 1 and listed[0]["definition"] == EYE_URL and listed[0]["type"] == "token"
    # New writes are indexed from now on.
    brown = post(base, "Patient", eyed_patient("brown")).json()["id"]
    assert ids(requests.get(f"{base}/Patient?eye-colour=brown", headers=STRICT).json()) == [brown]

    # A restart keeps the parameter enabled and the job's status.
    assert srv.stop() == 0
    srv.start()
    r = requests.get(f"{base}/Patient?eye-colour=blue", headers=STRICT)
    assert r.status_code == 200, r.text
    assert ids(r.json()) == [blue]
    st = job_status(base)
    assert st["id"] == job_id and st["status"] == "completed"

    # A changed expression disables it again until the next reindex.
    sp_body = requests.get(f"{base}/SearchParameter/{sp_id}").json()
    sp_body["expression"] = f"Patient.extension('{EYE_EXT}').value.ofType(code)"
    assert put(base, "SearchParameter", sp_id, sp_body).status_code == 200
    assert_outcome(requests.get(f"{base}/Patient?eye-colour=blue", headers=STRICT), 400)
    assert reindex_and_wait(base)["status"] == "completed"
    assert ids(requests.get(f"{base}/Patient?eye-colour=blue", headers=STRICT).json()) == [blue]
    # A description-only change keeps it enabled.
    sp_body = requests.get(f"{base}/SearchParameter/{sp_id}").json()
    sp_body["description"] = "Colour of the iris"
    assert put(base, "SearchParameter", sp_id, sp_body).status_code == 200
    assert requests.get(f"{base}/Patient?eye-colour=blue", headers=STRICT).status_code == 200

    # Deleting the SearchParameter unregisters it.
    assert requests.delete(f"{base}/SearchParameter/{sp_id}").status_code == 204
    assert_outcome(requests.get(f"{base}/Patient?eye-colour=blue", headers=STRICT), 400)
    # Created again, it needs a reindex again (resources written meanwhile were not indexed).
    assert post(base, "SearchParameter", eye_param()).status_code == 201
    assert_outcome(requests.get(f"{base}/Patient?eye-colour=blue", headers=STRICT), 400)


def test_a_custom_composite_parameter_is_usable_after_reindex(new_server):
    srv = new_server("custom-sp-composite").start()
    base = srv.fhir()
    loinc = "http://loinc.org"

    def blood_pressure(systolic):
        return {"resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": loinc, "code": "85354-9"}]},
                "component": [{"code": {"coding": [{"system": loinc, "code": "8480-6"}]},
                               "valueQuantity": {"value": systolic, "unit": "mmHg",
                                                 "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}]}

    high = post(base, "Observation", blood_pressure(150)).json()["id"]
    normal = post(base, "Observation", blood_pressure(120)).json()["id"]
    # The components are R4 parameters named by url, as in the R4 composites.
    sp = {"resourceType": "SearchParameter", "url": "http://example.org/sp/reading", "name": "Reading",
          "status": "active", "description": "A component's code and quantity", "code": "reading",
          "base": ["Observation"], "type": "composite", "expression": "Observation.component",
          "component": [
              {"definition": "http://hl7.org/fhir/SearchParameter/Observation-component-code", "expression": "code"},
              {"definition": "http://hl7.org/fhir/SearchParameter/Observation-component-value-quantity",
               "expression": "value.ofType(Quantity)"}]}
    r = post(base, "SearchParameter", sp)
    assert r.status_code == 201, r.text
    assert reindex_and_wait(base)["status"] == "completed"
    q = f"{base}/Observation?reading={loinc}|8480-6$"
    assert ids(requests.get(q + "gt140", headers=STRICT).json()) == [high]
    assert ids(requests.get(q + "lt130", headers=STRICT).json()) == [normal]
    assert ids(requests.get(q + "150|http://unitsofmeasure.org|mm[Hg]", headers=STRICT).json()) == [high]
    assert ids(requests.get(f"{base}/Observation?reading={loinc}|8462-4$gt0", headers=STRICT).json()) == []
    # A value without both parts is malformed.
    assert_outcome(requests.get(f"{base}/Observation?reading={loinc}|8480-6", headers=STRICT), 400)


def test_an_interrupted_job_resumes_at_start(new_server):
    srv = new_server("custom-sp-resume").start()
    base = srv.fhir()
    made = [post(base, "Patient", eyed_patient("grey", f"P{i}")).json()["id"] for i in range(30)]
    assert post(base, "SearchParameter", eye_param()).status_code == 201
    assert srv.stop() == 0
    # The job as a crash would leave it: running, part-way (its state is what the server wrote
    # after each page; here, one that never got past the start).
    job = {"id": "interrupted-job", "status": "running", "resources": 31, "processed": 0,
           "changedMeanwhile": 0, "failed": 0, "startedUs": 1, "finishedUs": 0, "after": 0,
           "baseUrl": base, "error": "", "covers": {EYE_URL: 1}}
    db = sqlite3.connect(store_path(srv))
    db.execute("INSERT INTO service_state (key, value) VALUES ('reindex_job', ?)"
               " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (json.dumps(job),))
    db.commit()
    db.close()
    srv.start()
    st = wait_job(base)
    assert st["id"] == "interrupted-job" and st["status"] == "completed", st
    assert st["processed"] == 31
    r = requests.get(f"{base}/Patient?eye-colour=grey&_count=100", headers=STRICT)
    assert r.status_code == 200, r.text
    assert ids(r.json()) == made


# ---- ICU strings and UCUM quantities: data-driven cases ----

@pytest.fixture(scope="module")
def loaded(base):
    return load_dataset(base, HERE)


@pytest.mark.parametrize("query,expect", load_cases(HERE))
def test_case(loaded, query, expect):
    r = requests.get(f"{loaded}/{query}", headers=STRICT)
    assert r.status_code == 200, r.text
    want = [x.strip() for x in expect.split(",") if x.strip()]
    assert ids(r.json()) == want


def test_a_store_indexed_with_the_old_normalization_is_reindexed(new_server):
    srv = new_server("custom-sp-upgrade").start()
    base = srv.fhir()
    pid = post(base, "Patient", {"resourceType": "Patient", "name": [{"family": "Ελλάδα"}]}).json()["id"]
    assert srv.stop() == 0
    # As an older healthd left it: no normalization recorded, the value folded by the old rule
    # (which kept the Greek accent).
    db = sqlite3.connect(store_path(srv))
    db.execute("DELETE FROM service_state WHERE key = 'string_normalization'")
    n = db.execute("UPDATE ix_string SET value = 'ελλάδα' WHERE value = 'ελλαδα'").rowcount
    assert n >= 1  # name, family, phonetic
    db.commit()
    assert db.execute("SELECT count(*) FROM ix_string WHERE value = 'ελλαδα'").fetchone()[0] == 0
    db.close()
    srv.start()
    # The first request starts the reindex; once it completes the new rule finds the name.
    requests.get(f"{base}/metadata")
    st = wait_job(base)
    assert st["status"] == "completed", st
    assert ids(requests.get(f"{base}/Patient?name=ελλαδα", headers=STRICT).json()) == [pid]
    db = sqlite3.connect(store_path(srv))
    assert db.execute("SELECT value FROM service_state WHERE key = 'string_normalization'").fetchone()[0]
    db.close()
