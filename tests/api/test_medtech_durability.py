"""MedTech service: accepted messages survive kill -9 and are processed after the restart;
connectors and destinations created through the management API persist."""
import requests

from conftest import medtech_file, medtech_observation_ids, medtech_setup, wait_for


def test_accepted_messages_survive_kill_9(new_server):
    s = new_server("medtech-durable").start()
    mgmt = f"{s.origin}/management/workspaces/mtws"
    assert requests.put(mgmt, json={}).status_code == 201
    assert requests.put(f"{mgmt}/fhirservices/fsvc1").status_code == 201
    base = medtech_setup(s.origin, ws="mtws", name="conn1", fhir_service="fsvc1")
    template = medtech_file("readme-messages", "heartrate.json")
    messages = [dict(template, heartrate=60 + i, deviceid="dur-dev", patientid="dur-pat",
                     measurementdatetime=f"2023-10-09T1{i}:00:00+00:00") for i in range(5)]
    ids = [medtech_observation_ids(base, m)[0] for m in messages]
    assert len(set(ids)) == 5
    # Without its FHIR service the worker cannot write: messages stay queued.
    assert requests.delete(f"{mgmt}/fhirservices/fsvc1").status_code == 200
    r = requests.post(f"{base}/messages", json=messages)
    assert r.status_code == 202, r.text
    assert requests.get(f"{mgmt}/iotconnectors/conn1").json()["properties"]["queueDepth"] == 5

    s.kill9()
    s.start()
    connector = requests.get(f"{mgmt}/iotconnectors/conn1")
    assert connector.status_code == 200, connector.text
    assert connector.json()["properties"]["queueDepth"] == 5
    assert connector.json()["properties"]["fhirDestinations"] == ["default"]
    # The FHIR service comes back: the queued messages are written.
    assert requests.put(f"{mgmt}/fhirservices/fsvc1").status_code == 201
    fhir = f"{s.origin}/mtws/fhir/fsvc1"
    for oid in ids:
        wait_for(lambda: requests.get(f"{fhir}/Observation/{oid}").status_code == 200, timeout=30)
    wait_for(lambda: requests.get(f"{mgmt}/iotconnectors/conn1").json()["properties"]["queueDepth"] == 0)
    assert requests.get(f"{base}/errors").json()["total"] == 0


def test_medtech_service_declared_in_the_config_file(new_server):
    from conftest import MEDTECH_DATA
    import os
    t = os.path.join(MEDTECH_DATA, "templates")
    config = f"""
workspaces:
  - name: cfgws
    services:
      - {{ kind: fhir, name: store }}
      - kind: medtech
        name: devices
        settings:
          device_mapping_file: {t}/basic_devicecontent.json
          destinations:
            - {{ name: out, fhir_service: store, resolution: Create, fhir_mapping_file: {t}/basic_fhirmapping.json }}
"""
    s = new_server("medtech-config", config).start()
    base = f"{s.origin}/cfgws/medtech/devices"
    steps = medtech_file("readme-messages", "steps.json")
    oid = medtech_observation_ids(base, steps)[0]
    assert requests.post(f"{base}/messages", json=steps).status_code == 202
    wait_for(lambda: requests.get(f"{s.origin}/cfgws/fhir/store/Observation/{oid}").status_code == 200)
