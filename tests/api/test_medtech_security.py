"""MedTech service routes need a bearer token for the connector's base URL and FHIR write rights."""
import requests

from conftest import medtech_file, medtech_setup


def test_medtech_routes_need_a_token_for_the_connector_audience(server):
    base = medtech_setup(server.origin)
    hr = medtech_file("readme-messages", "heartrate.json")
    for method, path, body in (("POST", "messages", hr), ("GET", "errors", None), ("POST", "errors/$replay", None),
                               ("POST", "$debug", {"message": hr})):
        r = requests.request(method, f"{base}/{path}", json=body, headers={"Authorization": None})
        assert r.status_code == 401, (path, r.text)
    fhir_token = server.token(audience=server.fhir())
    r = requests.post(f"{base}/messages", json=hr, headers={"Authorization": "Bearer " + fhir_token})
    assert r.status_code == 401, r.text


def test_medtech_routes_need_fhir_write_rights(server):
    base = medtech_setup(server.origin)
    hr = medtech_file("readme-messages", "heartrate.json")
    reader = server.token(audience=base, roles="FHIR Data Reader")
    r = requests.post(f"{base}/messages", json=hr, headers={"Authorization": "Bearer " + reader})
    assert r.status_code == 403, r.text
    r = requests.get(f"{base}/errors", headers={"Authorization": "Bearer " + reader})
    assert r.status_code == 403, r.text
    writer = server.token(audience=base, roles="FHIR Data Writer")
    r = requests.post(f"{base}/messages", json=hr, headers={"Authorization": "Bearer " + writer})
    assert r.status_code == 202, r.text


def test_unknown_connector_is_404(server):
    r = requests.post(f"{server.origin}/default/medtech/nosuch/messages", json={})
    assert r.status_code == 404
