"""MedTech identity resolution Lookup: the Device is found with the FHIR service's search by
identifier (any system, server-assigned ids), its patient becomes the Observation's subject;
an Encounter (encounterIdExpression) is found by identifier the same way and linked; an unknown
device or encounter, a device without patient and an ambiguous identifier are dead letters,
counted by kind; failures are not cached, successes are until the settings change."""
import re

import requests

from conftest import FHIR_JSON, medtech_file, medtech_observation_ids, medtech_setup, wait_for


def created_id(fhir, resource):
    r = requests.post(f"{fhir}/{resource['resourceType']}", json=resource, headers={"Content-Type": FHIR_JSON})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def device(identifier, patient_id=None, system="urn:example:serial"):
    d = {"resourceType": "Device", "identifier": [{"system": system, "value": identifier}]}
    if patient_id:
        d["patient"] = {"reference": f"Patient/{patient_id}"}
    return d


def heart(device_id, value, when):
    return {"heartrate": value, "deviceid": device_id, "patientid": "ignored-in-lookup", "measurementdatetime": when}


def error_count(origin, connector, kind):
    text = requests.get(f"{origin}/metrics").text
    m = re.search(r'^healthd_medtech_errors_total\{connector="%s",kind="%s"\} (\S+)$' % (connector, kind), text, re.M)
    return float(m.group(1)) if m else 0.0


def dead_letters(base, kind):
    return [e for e in requests.get(f"{base}/errors").json()["value"] if e["kind"] == kind]


def lookup_connector(server, name):
    return medtech_setup(server.origin, name=name, resolution="Lookup")


def test_lookup_links_the_observation_to_the_device_and_its_patient(server):
    fhir = server.fhir()
    base = lookup_connector(server, "lookup1")
    patient_id = created_id(fhir, {"resourceType": "Patient", "name": [{"family": "Lookup"}]})
    device_id = created_id(fhir, device("lk-serial-1", patient_id))
    message = heart("lk-serial-1", 72, "2023-12-01T07:00:00+00:00")
    debug = requests.post(f"{base}/$debug", json={"message": message}).json()
    assert debug["errors"] == [], debug
    oid = debug["observations"][0]["id"]
    assert requests.post(f"{base}/messages", json=message).status_code == 202

    obs = wait_for(lambda: (lambda r: r.json() if r.status_code == 200 else None)(
        requests.get(f"{fhir}/Observation/{oid}")))
    assert obs["subject"]["reference"] == f"Patient/{patient_id}"
    assert obs["device"]["reference"] == f"Device/{device_id}"
    # Lookup creates nothing: still one Device with that identifier, no Patient from the message.
    devices = requests.get(f"{fhir}/Device", params={"identifier": "lk-serial-1"}).json()
    assert len(devices.get("entry", [])) == 1
    assert requests.get(f"{fhir}/Patient", params={"identifier": "ignored-in-lookup"}).json().get("entry", []) == []


def test_unknown_device_is_dropped_counted_and_kept_as_dead_letter(server):
    fhir = server.fhir()
    base = lookup_connector(server, "lookup2")
    before = error_count(server.origin, "default/lookup2", "DeviceNotFound")
    message = heart("lk-unknown", 60, "2023-12-01T08:00:00+00:00")
    assert requests.post(f"{base}/messages", json=message).status_code == 202
    letters = wait_for(lambda: dead_letters(base, "DeviceNotFound"))
    assert letters[0]["stage"] == "identity"
    assert letters[0]["payload"] == message
    assert "lk-unknown" in letters[0]["reason"]
    assert error_count(server.origin, "default/lookup2", "DeviceNotFound") == before + 1
    assert requests.get(f"{fhir}/Device", params={"identifier": "lk-unknown"}).json().get("entry", []) == []

    # Failures are not cached: once the Device exists, the replayed message is linked.
    patient_id = created_id(fhir, {"resourceType": "Patient"})
    created_id(fhir, device("lk-unknown", patient_id))
    assert requests.post(f"{base}/errors/$replay").json()["replayed"] == 1
    oid = medtech_observation_ids(base, message)[0]
    obs = wait_for(lambda: (lambda r: r.json() if r.status_code == 200 else None)(
        requests.get(f"{fhir}/Observation/{oid}")))
    assert obs["subject"]["reference"] == f"Patient/{patient_id}"


def test_device_without_patient_and_ambiguous_identifier_are_errors(server):
    fhir = server.fhir()
    base = lookup_connector(server, "lookup3")
    created_id(fhir, device("lk-orphan"))
    patient_id = created_id(fhir, {"resourceType": "Patient"})
    created_id(fhir, device("lk-twice", patient_id, system="urn:a"))
    created_id(fhir, device("lk-twice", patient_id, system="urn:b"))
    assert requests.post(f"{base}/messages", json=[heart("lk-orphan", 61, "2023-12-01T09:00:00+00:00"),
                                                   heart("lk-twice", 62, "2023-12-01T09:00:00+00:00")]).status_code == 202
    assert wait_for(lambda: dead_letters(base, "PatientNotFound"))[0]["stage"] == "identity"
    assert "lk-twice" in wait_for(lambda: dead_letters(base, "MultipleResourcesFound"))[0]["reason"]
    assert error_count(server.origin, "default/lookup3", "PatientNotFound") == 1
    assert error_count(server.origin, "default/lookup3", "MultipleResourcesFound") == 1


def test_cached_device_is_refreshed_when_the_settings_change(server):
    fhir = server.fhir()
    base = lookup_connector(server, "lookup4")
    first = created_id(fhir, {"resourceType": "Patient"})
    second = created_id(fhir, {"resourceType": "Patient"})
    d = device("lk-moved", first)
    device_id = created_id(fhir, d)

    def observations_of(patient):
        bundle = requests.get(f"{fhir}/Observation", params={"subject": f"Patient/{patient}"}).json()
        return len(bundle.get("entry", []))

    def send(message):
        assert requests.post(f"{base}/messages", json=message).status_code == 202

    send(heart("lk-moved", 70, "2023-12-02T01:00:00+00:00"))
    wait_for(lambda: observations_of(first) == 1)
    # The Device moves to another patient: the cached resolution holds until the settings change.
    d.update(id=device_id, patient={"reference": f"Patient/{second}"})
    assert requests.put(f"{fhir}/Device/{device_id}", json=d, headers={"Content-Type": FHIR_JSON}).status_code == 200
    send(heart("lk-moved", 71, "2023-12-02T02:00:00+00:00"))
    wait_for(lambda: observations_of(first) == 2)
    medtech_setup(server.origin, name="lookup4", resolution="Lookup")  # same settings, new version: cache cleared
    send(heart("lk-moved", 72, "2023-12-02T03:00:00+00:00"))
    wait_for(lambda: observations_of(second) == 1)
    assert observations_of(first) == 2


def encounter_mapping():
    """The basic heart-rate template with an encounterIdExpression."""
    mapping = medtech_file("templates", "basic_devicecontent.json")
    heart_template = next(t for t in mapping["template"] if t["template"]["typeName"] == "heartrate")
    heart_template["template"]["encounterIdExpression"] = "$.encounterid"
    return {"templateType": "CollectionContent", "template": [heart_template]}


def test_lookup_links_the_encounter_found_by_identifier(server):
    fhir = server.fhir()
    base = medtech_setup(server.origin, name="lookup5", resolution="Lookup", device_mapping=encounter_mapping())
    patient_id = created_id(fhir, {"resourceType": "Patient"})
    device_id = created_id(fhir, device("lk-enc-dev", patient_id))
    encounter_id = created_id(fhir, {"resourceType": "Encounter", "status": "in-progress",
                                     "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                               "code": "IMP"},
                                     "identifier": [{"system": "urn:example:visit", "value": "visit-42"}],
                                     "subject": {"reference": f"Patient/{patient_id}"}})
    message = dict(heart("lk-enc-dev", 77, "2023-12-03T10:00:00+00:00"), encounterid="visit-42")
    assert requests.post(f"{base}/messages", json=message).status_code == 202
    oid = medtech_observation_ids(base, message)[0]
    obs = wait_for(lambda: (lambda r: r.json() if r.status_code == 200 else None)(
        requests.get(f"{fhir}/Observation/{oid}")))
    assert obs["encounter"]["reference"] == f"Encounter/{encounter_id}"
    assert obs["subject"]["reference"] == f"Patient/{patient_id}"
    assert obs["device"]["reference"] == f"Device/{device_id}"
    # Searchable by encounter through the FHIR service.
    found = requests.get(f"{fhir}/Observation", params={"encounter": f"Encounter/{encounter_id}"}).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [oid]


def test_lookup_of_an_unknown_encounter_is_a_dead_letter(server):
    fhir = server.fhir()
    base = medtech_setup(server.origin, name="lookup6", resolution="Lookup", device_mapping=encounter_mapping())
    patient_id = created_id(fhir, {"resourceType": "Patient"})
    created_id(fhir, device("lk-enc-dev2", patient_id))
    before = error_count(server.origin, "default/lookup6", "EncounterNotFound")
    message = dict(heart("lk-enc-dev2", 78, "2023-12-03T11:00:00+00:00"), encounterid="visit-missing")
    assert requests.post(f"{base}/messages", json=message).status_code == 202
    letters = wait_for(lambda: dead_letters(base, "EncounterNotFound"))
    assert letters[0]["stage"] == "identity"
    assert letters[0]["payload"] == message
    assert "visit-missing" in letters[0]["reason"]
    assert error_count(server.origin, "default/lookup6", "EncounterNotFound") == before + 1
    # Nothing was written for it.
    assert requests.get(f"{fhir}/Observation", params={"subject": f"Patient/{patient_id}"}).json().get(
        "entry", []) == []
