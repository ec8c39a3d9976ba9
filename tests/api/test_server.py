"""The HTTP server: health, metrics, request ids, gzip, limits, configuration, shutdown."""
import gzip
import socket
import uuid

import requests

from conftest import assert_outcome, patient, post


def test_health(server):
    r = requests.get(f"{server.origin}/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert requests.get(f"{server.origin}/health/ready").status_code == 200


def test_request_id_echoed_or_generated(server):
    r = requests.get(f"{server.origin}/health", headers={"X-Request-Id": "abc-123"})
    assert r.headers["X-Request-Id"] == "abc-123"
    gen = requests.get(f"{server.origin}/health").headers["X-Request-Id"]
    uuid.UUID(gen)  # a generated id is a UUID
    # errors carry it too
    r = requests.get(f"{server.fhir()}/Patient/nope", headers={"X-Request-Id": "err-1"})
    assert r.status_code == 404 and r.headers["X-Request-Id"] == "err-1"


def test_metrics_count_requests_by_route(server, base):
    post(base, "Patient", patient())
    requests.get(f"{base}/metadata")
    text = requests.get(f"{server.origin}/metrics").text
    assert "# TYPE healthd_http_requests_total counter" in text
    assert 'route="fhir.create"' in text and 'status="201"' in text
    assert "healthd_http_request_duration_seconds_bucket" in text
    assert "healthd_store_commit_seconds" in text
    assert "healthd_worker_queue_depth" in text


def test_gzip_when_asked(server, base):
    r = requests.get(f"{base}/metadata", headers={"Accept-Encoding": "gzip"}, stream=True)
    assert r.headers.get("Content-Encoding") == "gzip"
    raw = r.raw.read(decode_content=False)
    assert gzip.decompress(raw).startswith(b'{"resourceType":"CapabilityStatement"')
    r = requests.get(f"{base}/metadata", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in r.headers


def test_keep_alive_serves_several_requests_on_one_connection(server):
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        for _ in range(3):
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data or not data.endswith(b"}"):
                chunk = s.recv(4096)
                assert chunk, "connection closed"
                data += chunk
            assert data.startswith(b"HTTP/1.1 200")


def test_limits_from_config(new_server):
    cfg = """
server:
  max_body_bytes: 2000
workspaces:
  - name: default
    services:
      - kind: fhir
        name: default
"""
    s = new_server("limits", cfg).start()
    big = patient(text={"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">" + "x" * 5000 + "</div>"})
    assert_outcome(post(s.fhir(), "Patient", big), 413)
    assert post(s.fhir(), "Patient", patient()).status_code == 201
    assert s.stop() == 0


def test_bad_config_fails_clearly(new_server):
    s = new_server("badcfg", "server:\n  prot: 1\n")
    try:
        s.start(timeout=5)
        assert False, "server started with a bad config"
    except RuntimeError as e:
        assert "prot" in str(e)


def test_sigterm_stops_cleanly_and_data_persists(new_server):
    s = new_server("graceful").start()
    pid = post(s.fhir(), "Patient", patient(family="Persist")).json()["id"]
    assert s.stop() == 0
    assert "stopped" in s.read_log()
    s.start()
    assert requests.get(f"{s.fhir()}/Patient/{pid}").json()["name"][0]["family"] == "Persist"
