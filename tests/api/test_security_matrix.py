"""Security matrix: every FHIR and management route x every built-in role, and x every kind of bad token.

Expected permissions come from the table below, which mirrors docs of the cloud platform
(shared/reference/security.md), not from the server's code.
"""
import time
import uuid

import pytest
import requests

from conftest import FHIR_JSON, patient
import jwt_util

ALL_FHIR = {"read", "write", "delete", "hardDelete", "export", "resourceValidate", "reindex", "convertData",
            "editProfileDefinitions", "import", "searchParameter", "bulkOperator"}

# Built-in role -> data actions (reference table). "administer" is the management API.
# healthd Administrator: the management API plus every FHIR data action (not smart).
ROLE_ACTIONS = {
    "FHIR Data Reader": {"read"},
    "FHIR Data Writer": {"read", "write", "delete", "export", "resourceValidate", "reindex", "convertData",
                         "editProfileDefinitions", "import"},
    "FHIR Data Contributor": set(ALL_FHIR),
    "FHIR Data Exporter": {"read", "export"},
    "FHIR Data Importer": {"read", "import"},
    "FHIR Data Converter": {"convertData"},
    "FHIR SMART User": {"read", "smart"},
    "DICOM Data Owner": {"dicomRead", "dicomWrite", "dicomDelete"},
    "DICOM Data Reader": {"dicomRead"},
    "healthd Administrator": set(ALL_FHIR) | {"administer"},
}

OPEN = None  # action of an open route


def make_routes(server):
    """(name, method, url, kwargs-factory, action). Factories may create fresh data (admin token)."""
    f = server.fhir()
    o = server.origin

    def fresh_patient():
        r = requests.post(f"{f}/Patient", json=patient(), headers={"Content-Type": FHIR_JSON})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    pid = fresh_patient()
    js = {"headers": {"Content-Type": FHIR_JSON}}
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [{"request": {"method": "GET", "url": "Patient/" + pid}}]}
    patch = [{"op": "replace", "path": "/gender", "value": "female"}]
    routes = [
        ("open /health", "GET", f"{o}/health", lambda: {}, OPEN),
        ("open /health/ready", "GET", f"{o}/health/ready", lambda: {}, OPEN),
        ("open /metrics", "GET", f"{o}/metrics", lambda: {}, OPEN),
        ("open openid-configuration", "GET", f"{o}/.well-known/openid-configuration", lambda: {}, OPEN),
        ("open jwks", "GET", f"{o}/.well-known/jwks.json", lambda: {}, OPEN),
        ("fhir.metadata", "GET", f"{f}/metadata", lambda: {}, OPEN),
        ("fhir.smart-configuration", "GET", f"{f}/.well-known/smart-configuration", lambda: {}, OPEN),
        ("fhir.create", "POST", f"{f}/Patient", lambda: {"json": patient(), **js}, "write"),
        ("fhir.read", "GET", f"{f}/Patient/{pid}", lambda: {}, "read"),
        ("fhir.vread", "GET", f"{f}/Patient/{pid}/_history/1", lambda: {}, "read"),
        ("fhir.update", "PUT", f"{f}/Patient/{pid}", lambda: {"json": patient(id=pid), **js}, "write"),
        ("fhir.delete", "DELETE", lambda: f"{f}/Patient/{fresh_patient()}", lambda: {}, "delete"),
        ("fhir.hardDelete", "DELETE", lambda: f"{f}/Patient/{fresh_patient()}?hardDelete=true", lambda: {},
         "hardDelete"),
        ("fhir.history-instance", "GET", f"{f}/Patient/{pid}/_history", lambda: {}, "read"),
        ("fhir.history-type", "GET", f"{f}/Patient/_history", lambda: {}, "read"),
        ("fhir.history-system", "GET", f"{f}/_history", lambda: {}, "read"),
        ("fhir.search (type)", "GET", f"{f}/Patient?name=Chalmers", lambda: {}, "read"),
        ("fhir.search (system)", "GET", f"{f}?_type=Patient", lambda: {}, "read"),
        ("fhir._search", "POST", f"{f}/Patient/_search", lambda: {
            "data": "name=Chalmers", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, "read"),
        ("fhir.bundle (batch of reads)", "POST", f"{f}", lambda: {"json": bundle, **js}, "read"),
        ("fhir.patch", "PATCH", f"{f}/Patient/{pid}", lambda: {
            "json": patch, "headers": {"Content-Type": "application/json-patch+json"}}, "write"),
        ("fhir.conditional PUT", "PUT", f"{f}/Patient?identifier=urn:x|1", lambda: {"json": patient(), **js},
         "write"),
        ("fhir.conditional PATCH", "PATCH", f"{f}/Patient?identifier=urn:x|1", lambda: {
            "json": patch, "headers": {"Content-Type": "application/json-patch+json"}}, "write"),
        ("fhir.conditional DELETE", "DELETE", f"{f}/Patient?identifier=urn:x|1", lambda: {}, "delete"),
        ("fhir.operation $everything", "GET", f"{f}/Patient/{pid}/$everything", lambda: {}, "read"),
        ("mgmt workspaces list", "GET", f"{o}/management/workspaces", lambda: {}, "administer"),
        ("mgmt workspace get", "GET", f"{o}/management/workspaces/default", lambda: {}, "administer"),
        ("mgmt workspace put", "PUT", lambda: f"{o}/management/workspaces/ws{uuid.uuid4().hex[:8]}",
         lambda: {"json": {}}, "administer"),
        ("mgmt clients list", "GET", f"{o}/management/clients", lambda: {}, "administer"),
    ]
    return routes


def audience_of(server, url):
    return server.fhir() if url.startswith(server.fhir()) else server.origin


def resolve(url):
    return url() if callable(url) else url


def check_401(server, resp, url):
    """Problems with a 401 answer's shape (empty list if fine)."""
    problems = []
    aud = audience_of(server, url)
    want = f'Bearer authorization_uri="{server.origin}", resource_id="{aud}", realm="{aud}"'
    got = resp.headers.get("WWW-Authenticate")
    if got != want:
        problems.append(f"WWW-Authenticate {got!r}, want {want!r}")
    try:
        body = resp.json()
        if body.get("resourceType") != "OperationOutcome" or not any(i.get("code") == "login" for i in body["issue"]):
            problems.append(f"body not an OperationOutcome with code login: {resp.text[:200]}")
        if not resp.headers.get("X-Request-Id") or body.get("id") != resp.headers.get("X-Request-Id"):
            problems.append(f"OperationOutcome id {body.get('id')!r} != X-Request-Id {resp.headers.get('X-Request-Id')!r}")
    except ValueError:
        problems.append(f"401 body is not JSON: {resp.text[:200]}")
    return problems


def check_403(resp):
    problems = []
    try:
        body = resp.json()
        if body.get("resourceType") != "OperationOutcome" or not any(i.get("code") == "forbidden" for i in body["issue"]):
            problems.append(f"403 body not an OperationOutcome with code forbidden: {resp.text[:200]}")
        if body.get("id") != resp.headers.get("X-Request-Id"):
            problems.append(f"403 OperationOutcome id {body.get('id')!r} != X-Request-Id")
    except ValueError:
        problems.append(f"403 body is not JSON: {resp.text[:200]}")
    return problems


def test_role_matrix(server):
    routes = make_routes(server)
    mismatches = []
    for role, actions in ROLE_ACTIONS.items():
        token = server.token(roles=role)
        for name, method, url, kw, action in routes:
            url = resolve(url)
            args = kw()
            headers = dict(args.pop("headers", {}))
            headers["Authorization"] = "Bearer " + token
            r = requests.request(method, url, headers=headers, timeout=30, **args)
            where = f"{role:22} {name:28} {method} {url[len(server.origin):]} -> {r.status_code}"
            if action is OPEN or action in actions:
                if r.status_code in (401, 403) or (r.status_code >= 500 and r.status_code != 501):
                    mismatches.append(f"{where}: expected allowed ({action}): {r.text[:160]}")
            else:
                if r.status_code != 403:
                    mismatches.append(f"{where}: expected 403 (role lacks {action}): {r.text[:160]}")
                else:
                    mismatches += [f"{where}: {p}" for p in check_403(r)]
    print("\n".join(mismatches))
    assert mismatches == []


def bad_tokens(server):
    key = jwt_util.ServerKey(server.data_dir)
    iss = server.origin
    good_aud = [server.origin, server.fhir()]
    assert key.issuer == iss
    valid = key.token(jwt_util.claims(iss, good_aud, roles=list(ROLE_ACTIONS)))
    h, c, s = valid.split(".")
    mid = len(s) // 2
    flipped = s[:mid] + ("A" if s[mid] != "A" else "B") + s[mid + 1:]
    now = int(time.time())
    return {
        "no token": None,
        "basic scheme": "Basic dXNlcjpwYXNzd29yZA==",
        "expired": "Bearer " + key.token(jwt_util.claims(iss, good_aud, roles=list(ROLE_ACTIONS),
                                                         exp=now - 600, nbf=now - 4000, iat=now - 4000)),
        "not yet valid": "Bearer " + key.token(jwt_util.claims(iss, good_aud, roles=list(ROLE_ACTIONS),
                                                               nbf=now + 900, iat=now + 900, exp=now + 4000)),
        "wrong audience": "Bearer " + key.token(jwt_util.claims(iss, ["https://other.example.com"],
                                                                roles=list(ROLE_ACTIONS))),
        "wrong issuer": "Bearer " + key.token(jwt_util.claims("https://evil.example.com", good_aud,
                                                              roles=list(ROLE_ACTIONS))),
        "bad signature": f"Bearer {h}.{c}.{flipped}",
        "alg none": "Bearer " + jwt_util.sign({"alg": "none", "typ": "JWT", "kid": key.kid},
                                              jwt_util.claims(iss, good_aud, roles=list(ROLE_ACTIONS)), None),
        "alg none, no signature dot": "Bearer " + jwt_util.sign(
            {"alg": "none", "typ": "JWT"}, jwt_util.claims(iss, good_aud, roles=list(ROLE_ACTIONS)), None)[:-1],
        "HS256 with the public key PEM": "Bearer " + jwt_util.sign(
            {"alg": "HS256", "typ": "JWT", "kid": key.kid},
            jwt_util.claims(iss, good_aud, roles=list(ROLE_ACTIONS)), key.public_pem),
        "malformed (not a JWT)": "Bearer not-a-jwt",
        "malformed (garbage segments)": "Bearer a.b.c",
    }


def test_bad_tokens_are_401_everywhere(server):
    routes = make_routes(server)
    # The valid twin of the crafted tokens is accepted: the crafting itself is right.
    key = jwt_util.ServerKey(server.data_dir)
    ok = key.token(jwt_util.claims(server.origin, [server.origin, server.fhir()], roles=["FHIR Data Reader"]))
    r = requests.get(f"{server.fhir()}/Patient/_history", headers={"Authorization": "Bearer " + ok})
    assert r.status_code == 200, r.text

    mismatches = []
    for label, auth in bad_tokens(server).items():
        for name, method, url, kw, action in routes:
            url = resolve(url)
            args = kw()
            headers = dict(args.pop("headers", {}))
            headers["Authorization"] = auth
            r = requests.request(method, url, headers=headers, timeout=30, **args)
            where = f"{label:30} {name:28} {method} {url[len(server.origin):]} -> {r.status_code}"
            if action is OPEN:
                if r.status_code in (401, 403):
                    mismatches.append(f"{where}: open route refused")
            elif r.status_code != 401:
                mismatches.append(f"{where}: expected 401: {r.text[:160]}")
            else:
                mismatches += [f"{where}: {p}" for p in check_401(server, r, url)]
    print("\n".join(mismatches))
    assert mismatches == []


def test_token_for_management_audience_is_refused_by_fhir_and_vice_versa(server):
    mgmt_only = server.token(audience=server.origin)
    fhir_only = server.token(audience=server.fhir())
    r = requests.get(f"{server.fhir()}/Patient/_history", headers={"Authorization": "Bearer " + mgmt_only})
    assert r.status_code == 401, r.text
    assert check_401(server, r, f"{server.fhir()}/Patient/_history") == []
    r = requests.get(f"{server.origin}/management/workspaces", headers={"Authorization": "Bearer " + fhir_only})
    assert r.status_code == 401, r.text
    assert check_401(server, r, f"{server.origin}/management/workspaces") == []
    # each works for its own audience
    assert requests.get(f"{server.fhir()}/Patient/_history",
                        headers={"Authorization": "Bearer " + fhir_only}).status_code == 200
    assert requests.get(f"{server.origin}/management/workspaces",
                        headers={"Authorization": "Bearer " + mgmt_only}).status_code == 200


def test_operation_actions_follow_the_operation(server):
    """Operations need the data action of the operation (as the cloud: $validate -> resourceValidate,
    $export -> export, $convert-data -> convertData, $reindex -> reindex), not plain read."""
    f = server.fhir()
    r = requests.post(f"{f}/Patient", json=patient(), headers={"Content-Type": FHIR_JSON})
    pid = r.json()["id"]
    ops = [
        ("POST", f"{f}/Patient/{pid}/$validate", "resourceValidate", {"json": patient(id=pid)}),
        ("GET", f"{f}/Group/{pid}/$export", "export", {}),
        ("GET", f"{f}/Patient/{pid}/$reindex", "reindex", {}),
        ("POST", f"{f}/Patient/{pid}/$reindex", "reindex", {}),
    ]
    mismatches = []
    for role, actions in ROLE_ACTIONS.items():
        token = server.token(roles=role)
        for method, url, action, kw in ops:
            r = requests.request(method, url, headers={"Authorization": "Bearer " + token,
                                                       "Content-Type": FHIR_JSON}, **kw)
            where = f"{role:22} {method} {url[len(f):]} -> {r.status_code}"
            if action in actions:
                if r.status_code in (401, 403):
                    mismatches.append(f"{where}: expected allowed ({action})")
            elif r.status_code != 403:
                mismatches.append(f"{where}: expected 403 (role lacks {action})")
    print("\n".join(mismatches))
    assert mismatches == []


@pytest.mark.parametrize("path", ["/default/fhir/default/Patient/_history", "/management/workspaces"])
def test_bearer_scheme_is_case_insensitive_and_empty_token_is_401(server, path):
    url = server.origin + path
    tok = server.token()
    assert requests.get(url, headers={"Authorization": "bearer " + tok}).status_code == 200
    r = requests.get(url, headers={"Authorization": "Bearer "})
    assert r.status_code == 401
    assert check_401(server, r, url) == []


def test_path_tricks_do_not_reach_data_without_a_token(server):
    """Dot segments, doubled or encoded slashes and open-route prefixes do not open a data route."""
    import http.client
    paths = ["/default/fhir/default/metadata/../Patient/_history",
             "/default/fhir/default/.well-known/smart-configuration/../../Patient/_history",
             "/default/fhir/default/Patient/_history;metadata",
             "/default/fhir/default//Patient/_history",
             "/default%2Ffhir%2Fdefault/Patient/_history",
             "/management/../default/fhir/default/Patient/_history",
             "/health/../default/fhir/default/Patient/_history",
             "/.well-known/../management/workspaces",
             "/oauth2/../management/clients"]
    wrong = []
    for p in paths:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", p)  # sent as is, no client-side normalisation
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        if resp.status == 200 or b'"Bundle"' in body or b'"value"' in body:
            wrong.append(f"GET {p} -> {resp.status}")
    assert wrong == []


def test_token_refused_once_expired_even_after_being_accepted(new_server):
    """An accepted (possibly cached) token stops working when it expires (clock skew 0 here)."""
    s = new_server("expiry", "auth:\n  clock_skew_s: 0\n").start()
    tok = s.token(lifetime=2, roles="FHIR Data Reader")
    url = f"{s.fhir()}/Patient/_history"
    assert requests.get(url, headers={"Authorization": "Bearer " + tok}).status_code == 200
    exp = jwt_util.decode(tok)[1]["exp"]
    time.sleep(max(0.0, exp + 1.2 - time.time()))
    r = requests.get(url, headers={"Authorization": "Bearer " + tok})
    assert r.status_code == 401, r.text
    assert check_401(s, r, url) == []
