"""MedTech service: management of IoT connectors, ingest, pipeline into FHIR Observations,
dead letters and replay, back-pressure, $debug and metrics (default configuration)."""
import copy
import json

import requests

from conftest import medtech_file, medtech_observation_ids, medtech_setup, wait_for

READMES = ["heartrate.json", "bloodpressure.json", "steps.json"]


def mgmt(server, *parts):
    return "/".join([server.origin, "management", "workspaces", *parts])


def read_when_there(fhir, rtype, rid, timeout=20):
    def attempt():
        r = requests.get(f"{fhir}/{rtype}/{rid}")
        return r if r.status_code == 200 else None
    return wait_for(attempt, timeout=timeout).json()


def test_default_connector_and_destination(server):
    r = requests.get(mgmt(server, "default", "iotconnectors", "default"))
    assert r.status_code == 200, r.text
    props = r.json()["properties"]
    assert props["deviceMapping"]["content"] == {"templateType": "CollectionContent", "template": []}
    assert props["fhirDestinations"] == ["default"]
    assert props["serviceUrl"] == f"{server.origin}/default/medtech/default"
    d = requests.get(mgmt(server, "default", "iotconnectors", "default", "fhirdestinations", "default")).json()
    assert d["properties"]["fhirServiceResourceId"] == "default"
    assert d["properties"]["resourceIdentityResolutionType"] == "Create"
    ws = requests.get(mgmt(server, "default")).json()
    assert ws["properties"]["iotConnectors"] == ["default"]


def test_invalid_device_mapping_is_rejected_with_line_and_column(server):
    bad = medtech_file("templates", "basic_devicecontent.json")
    del bad["template"][0]["template"]["typeName"]
    r = requests.put(mgmt(server, "default", "iotconnectors", "bad1"),
                     json={"properties": {"deviceMapping": {"content": bad}}})
    assert r.status_code == 400, r.text
    diag = r.json()["issue"][0]["diagnostics"]
    assert "line " in diag and "column " in diag and "typeName" in diag, diag
    assert requests.get(mgmt(server, "default", "iotconnectors", "bad1")).status_code == 404
    # Given as text, line and column are those of the text.
    text = '{\n  "templateType": "CollectionContent",\n  "template": [ {"templateType": "Nope", "template": {}} ]\n}'
    r = requests.put(mgmt(server, "default", "iotconnectors", "bad1"),
                     json={"properties": {"deviceMapping": {"content": text}}})
    assert r.status_code == 400 and "line 3" in r.json()["issue"][0]["diagnostics"], r.text


def test_invalid_fhir_mapping_and_unknown_fhir_service_are_rejected(server):
    medtech_setup(server.origin, name="checks")
    bad = medtech_file("templates", "basic_fhirmapping.json")
    del bad["template"][0]["template"]["typeName"]
    url = mgmt(server, "default", "iotconnectors", "checks", "fhirdestinations", "dest1")
    r = requests.put(url, json={"properties": {"resourceIdentityResolutionType": "Create",
                                               "fhirServiceResourceId": "default", "fhirMapping": {"content": bad}}})
    assert r.status_code == 400 and "line " in r.text, r.text
    r = requests.put(url, json={"properties": {"resourceIdentityResolutionType": "Create",
                                               "fhirServiceResourceId": "nosuch",
                                               "fhirMapping": {"content": medtech_file("templates", "basic_fhirmapping.json")}}})
    assert r.status_code == 400 and "nosuch" in r.text, r.text
    r = requests.put(url, json={"properties": {"resourceIdentityResolutionType": "Sometimes",
                                               "fhirServiceResourceId": "default"}})
    assert r.status_code == 400
    assert requests.delete(mgmt(server, "default", "iotconnectors", "checks")).status_code == 200
    assert requests.get(mgmt(server, "default", "iotconnectors", "checks")).status_code == 404


def test_readme_messages_become_observations(server):
    base = medtech_setup(server.origin)
    fhir = server.fhir()
    for name in READMES:
        message = medtech_file("readme-messages", name)
        ids = medtech_observation_ids(base, message)
        assert len(ids) == 1, (name, ids)
        r = requests.post(f"{base}/messages", json=message)
        assert r.status_code == 202, r.text
        assert r.json() == {"accepted": 1}
        obs = read_when_there(fhir, "Observation", ids[0])
        assert obs["status"] in ("final", "amended")
        assert obs["subject"]["reference"].startswith("Patient/")
        assert obs["device"]["reference"].startswith("Device/")
        patient = requests.get(f"{fhir}/{obs['subject']['reference']}").json()
        assert patient["identifier"][0]["value"] == "patient1"
        device = requests.get(f"{fhir}/{obs['device']['reference']}").json()
        assert device["identifier"][0]["value"] == "device1"
        assert device["patient"]["reference"] == obs["subject"]["reference"]
    hr = read_when_there(fhir, "Observation", medtech_observation_ids(base, medtech_file("readme-messages", "heartrate.json"))[0])
    assert hr["code"]["coding"][0]["code"] == "8867-4"
    assert "valueSampledData" in hr


def test_array_ndjson_and_envelope_merge_into_one_observation(server):
    base = medtech_setup(server.origin)
    fhir = server.fhir()
    first = {"heartrate": 70, "deviceid": "dev-merge", "patientid": "pat-merge",
             "measurementdatetime": "2023-10-09T10:00:00+00:00"}
    others = [dict(first, heartrate=71 + i, measurementdatetime=f"2023-10-09T10:00:0{i + 1}+00:00") for i in range(3)]
    oid = medtech_observation_ids(base, first)[0]
    assert requests.post(f"{base}/messages", json=first).status_code == 202
    read_when_there(fhir, "Observation", oid)
    assert requests.post(f"{base}/messages", json=others[:2]).status_code == 202
    envelope = {"Body": others[2], "Properties": {}, "SystemProperties": {}}
    ndjson = json.dumps(envelope) + "\n"
    r = requests.post(f"{base}/messages", data=ndjson, headers={"Content-Type": "application/x-ndjson"})
    assert r.status_code == 202, r.text

    def merged():
        obs = requests.get(f"{fhir}/Observation/{oid}").json()
        data = obs.get("valueSampledData", {}).get("data", "")
        return obs if all(str(v) in data.split() for v in (70, 71, 72, 73)) else None
    obs = wait_for(merged)
    assert obs["status"] == "amended"


def test_bad_message_lands_in_dead_letters_and_replays_after_fix(server):
    r = requests.put(mgmt(server, "replayws"), json={})
    assert r.status_code in (200, 201)
    assert requests.put(mgmt(server, "replayws", "fhirservices", "fsvc")).status_code in (200, 201)
    only_steps = medtech_file("templates", "basic_devicecontent.json")
    only_steps["template"] = [t for t in only_steps["template"] if t["template"]["typeName"] == "steps"]
    base = medtech_setup(server.origin, ws="replayws", name="conn", fhir_service="fsvc", device_mapping=only_steps)
    hr = medtech_file("readme-messages", "heartrate.json")
    assert requests.post(f"{base}/messages", data="{not json").status_code == 400
    assert requests.post(f"{base}/messages", json=hr).status_code == 202
    errors = wait_for(lambda: requests.get(f"{base}/errors").json()["value"])
    assert errors[0]["stage"] == "normalize"
    assert errors[0]["kind"] == "NoTemplateMatched"
    assert errors[0]["payload"] == hr
    # Fix the mapping, replay: the Observation appears and the dead letters are gone.
    medtech_setup(server.origin, ws="replayws", name="conn", fhir_service="fsvc")
    r = requests.post(f"{base}/errors/$replay")
    assert r.status_code == 200 and r.json()["replayed"] == 1, r.text
    oid = medtech_observation_ids(base, hr)[0]
    read_when_there(f"{server.origin}/replayws/fhir/fsvc", "Observation", oid)
    assert requests.get(f"{base}/errors").json()["total"] == 0
    # A message without patient id under Create: an identity error with its reason.
    no_patient = {k: v for k, v in hr.items() if k != "patientid"}
    assert requests.post(f"{base}/messages", json=no_patient).status_code == 202
    errors = wait_for(lambda: requests.get(f"{base}/errors").json()["value"])
    assert errors[0]["kind"] == "PatientIdMissing", errors


def test_back_pressure_answers_429_with_retry_after(server):
    base = medtech_setup(server.origin, name="tiny", queue_limit=2)
    hr = medtech_file("readme-messages", "heartrate.json")
    r = requests.post(f"{base}/messages", json=[hr, hr, hr])
    assert r.status_code == 429, r.text
    assert r.headers["Retry-After"] == "1"
    assert requests.post(f"{base}/messages", json=hr).status_code == 202


def test_debug_shows_measurements_observations_and_errors(server):
    base = medtech_setup(server.origin)
    hr = medtech_file("readme-messages", "heartrate.json")
    r = requests.post(f"{base}/$debug", json={"message": hr})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [m["type"] for m in body["measurements"]] == ["heartrate"]
    assert len(body["observations"]) == 1 and body["errors"] == []
    assert body["observations"][0]["resourceType"] == "Observation"
    bad = medtech_file("templates", "basic_devicecontent.json")
    del bad["template"][1]["template"]["typeName"]
    body = requests.post(f"{base}/$debug", json={"message": hr, "deviceMapping": bad}).json()
    mapping_errors = [e for e in body["errors"] if e["stage"] == "deviceMapping"]
    assert mapping_errors and mapping_errors[0]["line"] > 0, body
    assert len(body["measurements"]) == 1  # the valid templates still run
    # Nothing was written by $debug.
    assert requests.post(f"{base}/$debug", data="nope").status_code == 400


def test_metrics_count_the_pipeline(server):
    base = medtech_setup(server.origin)
    hr = medtech_file("readme-messages", "heartrate.json")
    assert requests.post(f"{base}/messages", json=hr).status_code == 202

    def counted():
        text = requests.get(f"{server.origin}/metrics").text
        lines = [l for l in text.splitlines() if 'connector="default/default"' in l]
        names = {l.split("{")[0] for l in lines}
        wanted = {"healthd_medtech_messages_incoming_total", "healthd_medtech_measurements_total",
                  "healthd_medtech_resources_saved_total", "healthd_medtech_groups_total"}
        return lines if wanted <= names else None
    lines = wait_for(counted)
    assert any(l.startswith("healthd_medtech_resources_saved_total") and 'action="noop"' in l for l in lines)
