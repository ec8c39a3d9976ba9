"""DICOM service: management, security gate, CORS, versions, restarts."""
import requests

from conftest import dicom_base, make_instance, stow

ROOT = "1.2.826.0.1.3680043.10.997"
OWNER = "DICOM Data Owner"
READER = "DICOM Data Reader"


def test_default_service_and_management(server):
    mgmt = f"{server.origin}/management/workspaces/default/dicomservices"
    listed = requests.get(mgmt).json()["value"]
    assert [s["name"] for s in listed] == ["default"]
    assert listed[0]["properties"]["serviceUrl"] == f"{server.origin}/default/dicom/default"
    ws = requests.get(f"{server.origin}/management/workspaces/default").json()
    assert ws["properties"]["dicomServices"] == ["default"]

    r = requests.put(f"{mgmt}/imaging", json={"properties": {"corsConfiguration": {"origins": ["*"]}}})
    assert r.status_code == 201, r.text
    assert r.json()["type"] == "workspaces/dicomservices"
    assert requests.put(f"{mgmt}/imaging", json={"properties": {}}).status_code == 200
    assert requests.get(f"{mgmt}/imaging").status_code == 200
    assert requests.put(f"{mgmt}/imaging", json={"properties": {"nope": 1}}).status_code == 400
    assert requests.put(f"{mgmt}/Bad-Name", json={}).status_code == 400
    assert requests.put(f"{server.origin}/management/workspaces/missing1/dicomservices/x1x", json={}).status_code == 404
    # a workspace with a DICOM service cannot be deleted
    requests.put(f"{server.origin}/management/workspaces/imgws", json={})
    assert requests.put(f"{server.origin}/management/workspaces/imgws/dicomservices/pacs", json={}).status_code == 201
    r = requests.delete(f"{server.origin}/management/workspaces/imgws")
    assert r.status_code == 409 and "dicomservices: pacs" in r.text
    assert requests.delete(f"{server.origin}/management/workspaces/imgws/dicomservices/pacs").status_code == 200
    assert requests.get(f"{server.origin}/management/workspaces/imgws/dicomservices/pacs").status_code == 404
    assert requests.get(f"{server.origin}/imgws/dicom/pacs/v2/studies").status_code == 404
    assert requests.delete(f"{server.origin}/management/workspaces/imgws").status_code == 200
    assert requests.delete(f"{mgmt}/imaging").status_code == 200


def test_version_prefix_and_unknown_routes(server):
    svc = f"{server.origin}/default/dicom/default"
    r = requests.get(f"{svc}/studies")
    assert r.status_code == 404 and "/v2/" in r.json()["detail"]
    assert requests.get(f"{svc}/v3/studies").status_code == 404
    assert requests.get(f"{svc}/v2/nothing").status_code == 404
    r = requests.put(f"{svc}/v2/studies")
    assert r.status_code == 405 and "GET" in r.headers["Allow"]
    assert requests.get(f"{svc}/v1/studies").headers["api-supported-versions"]
    assert requests.get(f"{server.origin}/default/dicom/nosuch/v2/studies").status_code == 404
    r = requests.get(f"{svc}/v2/studies/1.2.3/series/4.5/instances/6.7/rendered")
    assert r.status_code == 404


def test_security(server):
    base = dicom_base(server)
    aud = f"{server.origin}/default/dicom/default"
    data = make_instance(f"{ROOT}.1", f"{ROOT}.1.1", f"{ROOT}.1.1.1")
    r = requests.get(f"{base}/studies", headers={"Authorization": None})
    assert r.status_code == 401 and "WWW-Authenticate" in r.headers
    reader = {"Authorization": "Bearer " + server.token(audience=aud, roles=READER)}
    owner = {"Authorization": "Bearer " + server.token(audience=aud, roles=OWNER)}
    fhir_only = {"Authorization": "Bearer " + server.token(audience=aud, roles="FHIR Data Contributor")}
    wrong_aud = {"Authorization": "Bearer " + server.token(audience=f"{server.origin}/default/fhir/default", roles=OWNER)}
    assert stow(base, [data], headers=reader).status_code == 403
    assert stow(base, [data], headers=wrong_aud).status_code == 401
    assert requests.get(f"{base}/studies", headers=fhir_only).status_code == 403
    assert stow(base, [data], headers=owner).status_code == 200
    assert requests.get(f"{base}/studies", headers=reader).status_code == 200
    assert requests.get(f"{base}/changefeed", headers=reader).status_code == 200
    assert requests.delete(f"{base}/studies/{ROOT}.1", headers=reader).status_code == 403
    assert requests.delete(f"{base}/studies/{ROOT}.1", headers=owner).status_code == 204


def test_cors_on_every_answer(new_server):
    s = new_server("dicom-cors", """
workspaces:
  - name: default
    services:
      - kind: dicom
        name: pacs
        settings:
          overwrite: true
          cors: { origins: ["https://viewer.example.org"], headers: ["*"], methods: ["*"] }
""").start()
    base = dicom_base(s, service="pacs")
    origin = {"Origin": "https://viewer.example.org"}
    r = requests.options(f"{base}/studies", headers={**origin, "Access-Control-Request-Method": "GET",
                                                      "Access-Control-Request-Headers": "authorization"})
    assert r.status_code == 204 and r.headers["Access-Control-Allow-Origin"] == "https://viewer.example.org"
    for resp in (requests.get(f"{base}/studies", headers=origin),
                 requests.get(f"{base}/studies", headers={**origin, "Authorization": None}),
                 requests.get(f"{base}/studies/1.2.3", headers=origin)):
        assert resp.headers["Access-Control-Allow-Origin"] == "https://viewer.example.org", resp.status_code
    # declared in the config: overwrite on; there is no FHIR service in this config
    assert requests.get(f"{s.origin}/management/workspaces/default/dicomservices/pacs").json()["properties"]["overwrite"]
    assert s.stop() == 0


def test_data_survives_restart(new_server):
    s = new_server("dicom-restart").start()
    base = dicom_base(s)
    assert stow(base, [make_instance(f"{ROOT}.2", f"{ROOT}.2.1", f"{ROOT}.2.1.1")]).status_code == 200
    requests.put(f"{s.origin}/management/workspaces/default/dicomservices/second", json={})
    assert s.stop() == 0
    s.start()
    assert len(requests.get(f"{base}/studies", params={"StudyInstanceUID": f"{ROOT}.2"}).json()) == 1
    assert requests.get(f"{s.origin}/default/dicom/second/v2/studies").status_code == 200
