"""Audit records (one per request, the cloud's AuditLogs fields, custom headers) and CORS."""
import datetime
import glob
import json
import os
import stat
import time
import uuid

import requests

from conftest import FHIR_JSON, patient

NO_AUTH = {"Authorization": None}


def audit_lines(server):
    lines = []
    for path in sorted(glob.glob(os.path.join(server.data_dir, "audit", "*.jsonl"))):
        with open(path) as f:
            lines += [l for l in f.read().splitlines() if l.strip()]
    return lines


def wait_for_count(server, want, timeout=3.0):
    deadline = time.time() + timeout
    while True:
        n = len(audit_lines(server))
        if n >= want or time.time() > deadline:
            return n
        time.sleep(0.02)


def records(server):
    return [json.loads(l) for l in audit_lines(server)]


def by_correlation(server, rid):
    found = [r for r in records(server) if r.get("CorrelationId") == rid]
    assert len(found) == 1, (rid, found)
    return found[0]


def test_one_record_per_request(server, base):
    r = requests.post(f"{base}/Patient", json=patient(), headers={"Content-Type": FHIR_JSON})
    pid = r.json()["id"]
    time.sleep(0.1)
    before = len(audit_lines(server))
    reader = {"Authorization": "Bearer " + server.token(roles="FHIR Data Reader", client="audit-reader")}
    calls = [
        lambda: requests.get(f"{base}/Patient/{pid}"),
        lambda: requests.get(f"{base}/Patient/{pid}/_history"),
        lambda: requests.get(f"{base}/Patient/does-not-exist"),
        lambda: requests.get(f"{base}/Patient/{pid}", headers=NO_AUTH),
        lambda: requests.post(f"{base}/Patient", json=patient(), headers={**reader, "Content-Type": FHIR_JSON}),
        lambda: requests.get(f"{base}/metadata", headers=NO_AUTH),
        lambda: requests.get(f"{server.origin}/management/workspaces"),
        lambda: requests.get(f"{server.origin}/.well-known/jwks.json", headers=NO_AUTH),
    ]
    for c in calls:
        c()
    after = wait_for_count(server, before + len(calls))
    time.sleep(0.2)
    after = len(audit_lines(server))
    assert after - before == len(calls), f"{after - before} audit lines for {len(calls)} requests"
    # the liveness probe is not audited
    requests.get(f"{server.origin}/health", headers=NO_AUTH)
    time.sleep(0.2)
    assert len(audit_lines(server)) == after


def test_record_fields(server, base):
    client = "audit-client-" + uuid.uuid4().hex[:6]
    h = {"Authorization": "Bearer " + server.token(client=client, roles="FHIR Data Contributor")}
    t0 = datetime.datetime.now(datetime.timezone.utc)
    own_id = "corr-" + uuid.uuid4().hex
    created = requests.post(f"{base}/Patient", json=patient(),
                            headers={**h, "Content-Type": FHIR_JSON, "X-Request-Id": own_id})
    assert created.status_code == 201
    pid = created.json()["id"]
    read = requests.get(f"{base}/Patient/{pid}?_pretty=true", headers=h)
    missing = requests.get(f"{base}/Patient/nope-{uuid.uuid4().hex[:8]}", headers=h)
    wait_for_count(server, 3)
    time.sleep(0.1)

    rec = by_correlation(server, own_id)
    assert created.headers["X-Request-Id"] == own_id
    for field in ("CallerIdentity", "CallerIdentityIssuer", "CallerIdentityObjectId", "CallerIPAddress",
                  "CorrelationId", "FhirResourceType", "OperationName", "OperationDuration", "RequestUri",
                  "ResultType", "StatusCode", "TimeGenerated", "CustomHeaders"):
        assert field in rec, (field, rec)
    assert rec["StatusCode"] == 201 and rec["ResultType"] == "Succeeded"
    assert rec["FhirResourceType"] == "Patient"
    assert rec["CallerIdentity"] == client
    assert rec["CallerIdentityIssuer"] == server.origin
    assert rec["CallerIdentityObjectId"]
    assert rec["CallerIPAddress"] == "127.0.0.1"
    assert rec["OperationName"]
    assert isinstance(rec["OperationDuration"], (int, float)) and rec["OperationDuration"] >= 0
    assert rec["RequestUri"] == f"{base}/Patient"
    tg = datetime.datetime.fromisoformat(rec["TimeGenerated"].replace("Z", "+00:00"))
    assert abs((tg - t0).total_seconds()) < 30

    rec = by_correlation(server, read.headers["X-Request-Id"])
    assert rec["StatusCode"] == 200 and rec["ResultType"] == "Succeeded" and rec["FhirResourceType"] == "Patient"
    assert rec["RequestUri"].startswith(f"{base}/Patient/{pid}") and "_pretty" in rec["RequestUri"]
    assert rec["CallerIdentity"] == client
    assert rec["OperationName"] != by_correlation(server, own_id)["OperationName"]

    rec = by_correlation(server, missing.headers["X-Request-Id"])
    assert rec["StatusCode"] == 404 and rec["ResultType"] == "Failed"


def test_401_and_403_recorded(server, base):
    r401 = requests.get(f"{base}/Patient/x", headers={"Authorization": "Bearer not-a-jwt"})
    assert r401.status_code == 401
    reader = {"Authorization": "Bearer " + server.token(roles="FHIR Data Reader", client="audit-403")}
    r403 = requests.delete(f"{base}/Patient/x", headers=reader)
    assert r403.status_code == 403
    mgmt401 = requests.get(f"{server.origin}/management/workspaces", headers=NO_AUTH)
    assert mgmt401.status_code == 401
    wait_for_count(server, 3)
    time.sleep(0.1)
    rec = by_correlation(server, r401.headers["X-Request-Id"])
    assert rec["StatusCode"] == 401 and rec["ResultType"] == "Failed" and rec["FhirResourceType"] == "Patient"
    assert not rec["CallerIdentity"]
    rec = by_correlation(server, r403.headers["X-Request-Id"])
    assert rec["StatusCode"] == 403 and rec["ResultType"] == "Failed" and rec["CallerIdentity"] == "audit-403"
    rec = by_correlation(server, mgmt401.headers["X-Request-Id"])
    assert rec["StatusCode"] == 401 and rec["ResultType"] == "Failed"


def test_custom_audit_headers(server, base):
    headers = {f"X-MS-AZUREFHIR-AUDIT-H{i:02d}": f"value-{i}" for i in range(1, 11)}
    headers["X-MS-AZUREFHIR-AUDIT-H03"] = "x" * 3000
    headers["X-MS-AZUREFHIR-AUDIT-H11"] = "value-11"
    headers["X-Other-Header"] = "not copied"
    r = requests.get(f"{base}/Patient/_history", headers=headers)
    assert r.status_code == 200
    wait_for_count(server, 1)
    time.sleep(0.1)
    rec = by_correlation(server, r.headers["X-Request-Id"])
    custom = {k.lower(): v for k, v in rec["CustomHeaders"].items()}
    assert len(custom) == 10, sorted(custom)
    assert all(k.startswith("x-ms-azurefhir-audit-") for k in custom)
    assert custom["x-ms-azurefhir-audit-h03"] == "x" * 2048
    assert custom["x-ms-azurefhir-audit-h01"] == "value-1"
    assert "x-other-header" not in custom

    r = requests.get(f"{base}/Patient/_history", headers={"x-ms-azurefhir-audit-user": "alice"})
    time.sleep(0.1)
    rec = by_correlation(server, r.headers["X-Request-Id"])
    assert {k.lower(): v for k, v in rec["CustomHeaders"].items()} == {"x-ms-azurefhir-audit-user": "alice"}


def test_audit_is_not_forgeable_by_the_caller(server, base):
    """A caller cannot inject lines nor forge its address or identity in the record."""
    evil = 'x\n{"CallerIdentity":"admin","StatusCode":200}'
    before = len(audit_lines(server))
    r = requests.get(f"{base}/Patient/_history",
                     headers={"X-MS-AZUREFHIR-AUDIT-Note": 'a"b\\c', "X-Forwarded-For": "10.9.8.7",
                              "X-Request-Id": "forged\",\"CallerIdentity\":\"admin"})
    r2 = requests.get(f"{base}/Patient/_history?note=" + requests.utils.quote(evil))
    wait_for_count(server, before + 2)
    time.sleep(0.1)
    lines = audit_lines(server)
    assert len(lines) == before + 2
    recs = [json.loads(l) for l in lines[before:]]  # every line is one valid JSON object
    rec = next(x for x in recs if x["CorrelationId"] == r.headers["X-Request-Id"])
    assert rec["CallerIPAddress"] == "127.0.0.1"
    assert rec["CallerIdentity"] != "admin"
    assert {k.lower(): v for k, v in rec["CustomHeaders"].items()}["x-ms-azurefhir-audit-note"] == 'a"b\\c'
    rec2 = next(x for x in recs if x["CorrelationId"] == r2.headers["X-Request-Id"])
    assert rec2["CallerIdentity"] != "admin"


def test_audit_files_are_private(server, base):
    requests.get(f"{base}/Patient/_history")
    d = os.path.join(server.data_dir, "audit")
    assert stat.S_IMODE(os.stat(d).st_mode) & 0o077 == 0
    files = glob.glob(os.path.join(d, "*.jsonl"))
    assert files
    for f in files:
        assert stat.S_IMODE(os.stat(f).st_mode) & 0o077 == 0, f


CORS_CONFIG = """workspaces:
  - name: default
    services:
      - kind: fhir
        name: default
        settings:
          cors: {origins: ["https://app.example.com"], methods: [GET, POST], headers: ["Authorization", "Content-Type"], max_age_s: 600}
"""
APP = "https://app.example.com"


def test_cors(new_server):
    s = new_server("cors", CORS_CONFIG).start()
    base = s.fhir()
    # preflight without a token
    r = requests.options(f"{base}/Patient", headers={**NO_AUTH, "Origin": APP,
                                                      "Access-Control-Request-Method": "POST",
                                                      "Access-Control-Request-Headers": "authorization, content-type"})
    assert r.status_code == 204, (r.status_code, r.text)
    assert r.headers.get("Access-Control-Allow-Origin") == APP
    methods = {m.strip().upper() for m in r.headers.get("Access-Control-Allow-Methods", "").split(",")}
    assert "POST" in methods and "DELETE" not in methods
    allowed_headers = {h.strip().lower() for h in r.headers.get("Access-Control-Allow-Headers", "").split(",")}
    assert {"authorization", "content-type"} <= allowed_headers
    assert r.headers.get("Access-Control-Max-Age") == "600"
    assert "Access-Control-Allow-Credentials" not in r.headers
    assert "Origin" in r.headers.get("Vary", "")

    # preflights that must not be allowed
    for hdrs in ({"Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"},
                 {"Origin": APP, "Access-Control-Request-Method": "DELETE"},
                 {"Origin": APP, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-secret"}):
        r = requests.options(f"{base}/Patient", headers={**NO_AUTH, **hdrs})
        assert r.status_code >= 400 or "Access-Control-Allow-Origin" not in r.headers, (hdrs, r.status_code)
        assert r.headers.get("Access-Control-Allow-Origin") in (None,), (hdrs, dict(r.headers))

    # a preflight is no way around authentication: OPTIONS without the preflight headers
    r = requests.options(f"{base}/Patient", headers=NO_AUTH)
    assert r.status_code in (401, 405), r.status_code

    # normal answers
    r = requests.get(f"{base}/Patient/_history", headers={"Origin": APP})
    assert r.status_code == 200
    assert r.headers.get("Access-Control-Allow-Origin") == APP
    assert "Origin" in r.headers.get("Vary", "")
    r = requests.get(f"{base}/Patient/_history", headers={"Origin": "https://evil.example.com"})
    assert r.status_code == 200
    assert "Access-Control-Allow-Origin" not in r.headers
    # a 401 is readable by the allowed origin (the browser app sees WWW-Authenticate)
    r = requests.get(f"{base}/Patient/_history", headers={**NO_AUTH, "Origin": APP})
    assert r.status_code == 401
    assert r.headers.get("Access-Control-Allow-Origin") == APP
    assert "www-authenticate" in r.headers.get("Access-Control-Expose-Headers", "").lower()


def test_no_cors_without_configuration(server, base):
    r = requests.options(f"{base}/Patient", headers={**NO_AUTH, "Origin": APP, "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in r.headers
    r = requests.get(f"{base}/Patient/_history", headers={"Origin": APP})
    assert "Access-Control-Allow-Origin" not in r.headers
