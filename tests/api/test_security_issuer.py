"""The built-in issuer (discovery, JWKS, client_credentials with secrets and private_key_jwt), the
clients API, and an external issuer with key rotation."""
import base64
import os
import subprocess
import time
import uuid

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from conftest import BINARY, FHIR_JSON, patient
import jwt_util

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
NO_AUTH = {"Authorization": None}
PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def token_url(server):
    return f"{server.origin}/oauth2/token"


def put_client(server, cid, **props):
    r = requests.put(f"{server.origin}/management/clients/{cid}", json={"properties": props})
    assert r.status_code in (200, 201), r.text
    return r


def secret_token(server, cid, secret, scope=None, basic=True):
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    if basic:
        return requests.post(token_url(server), data=data, auth=(cid, secret))
    return requests.post(token_url(server), data={**data, "client_id": cid, "client_secret": secret},
                         headers=NO_AUTH)


def assertion_token(server, assertion, scope=None, client_id=None):
    data = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion}
    if scope:
        data["scope"] = scope
    if client_id:
        data["client_id"] = client_id
    return requests.post(token_url(server), data=data, headers=NO_AUTH)


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def assert_oauth_error(r, status, error):
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    assert r.json()["error"] == error, r.text


def test_discovery_and_jwks(server):
    doc = requests.get(f"{server.origin}/.well-known/openid-configuration", headers=NO_AUTH)
    assert doc.status_code == 200
    d = doc.json()
    assert d["issuer"] == server.origin
    assert d["jwks_uri"] == f"{server.origin}/.well-known/jwks.json"
    assert d["token_endpoint"] == token_url(server)
    assert "client_credentials" in d["grant_types_supported"]
    assert {"client_secret_basic", "client_secret_post", "private_key_jwt"} <= set(
        d["token_endpoint_auth_methods_supported"])
    assert {"RS384", "ES384"} <= set(d["token_endpoint_auth_signing_alg_values_supported"])

    jwks = requests.get(d["jwks_uri"], headers=NO_AUTH)
    assert jwks.status_code == 200
    keys = jwks.json()["keys"]
    key = jwt_util.ServerKey(server.data_dir)
    assert key.kid in {k["kid"] for k in keys}
    for k in keys:
        assert not (PRIVATE_JWK_MEMBERS & set(k)), f"JWKS publishes private key material: {sorted(k)}"
    # The published key verifies a token the server issues.
    k = next(k for k in keys if k["kid"] == key.kid)
    n = int.from_bytes(jwt_util.b64url_decode(k["n"]), "big")
    e = int.from_bytes(jwt_util.b64url_decode(k["e"]), "big")
    pub = rsa.RSAPublicNumbers(e, n).public_key()
    tok = server.token()
    h, c, s = tok.split(".")
    pub.verify(jwt_util.b64url_decode(s), f"{h}.{c}".encode(), padding.PKCS1v15(), hashes.SHA256())
    # key files are private
    assert os.stat(os.path.join(server.data_dir, "keys", f"{key.kid}.pem")).st_mode & 0o077 == 0


def test_client_secret_basic_and_post(server, base):
    secret = "s3cret-" + uuid.uuid4().hex
    put_client(server, "reader-app", secret=secret, roles=["FHIR Data Reader"])
    for basic in (True, False):
        r = secret_token(server, "reader-app", secret, basic=basic)
        assert r.status_code == 200, r.text
        assert r.headers.get("Cache-Control") == "no-store", r.headers
        body = r.json()
        assert body["token_type"] == "Bearer" and isinstance(body["expires_in"], int) and body["expires_in"] > 0
        assert "refresh_token" not in body and "scope" in body
        hdr, claims = jwt_util.decode(body["access_token"])
        assert claims["iss"] == server.origin
        aud = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        assert server.fhir() in aud
        assert "reader-app" in (claims.get("azp"), claims.get("appid"), claims.get("client_id"))
        assert claims["exp"] - int(time.time()) <= body["expires_in"] + 5
        h = bearer(body["access_token"])
        assert requests.get(f"{base}/Patient/_history", headers=h).status_code == 200
        assert requests.post(f"{base}/Patient", json=patient(), headers={**h, "Content-Type": FHIR_JSON}
                             ).status_code == 403
        assert requests.get(f"{server.origin}/management/clients", headers=h).status_code == 403


def test_wrong_secret_and_unknown_client_are_401(server):
    secret = "s3cret-" + uuid.uuid4().hex
    put_client(server, "wrong-secret-app", secret=secret, roles=["FHIR Data Reader"])
    for basic in (True, False):
        assert_oauth_error(secret_token(server, "wrong-secret-app", secret + "x", basic=basic), 401, "invalid_client")
        assert_oauth_error(secret_token(server, "wrong-secret-app", secret[:-1], basic=basic), 401, "invalid_client")
        assert_oauth_error(secret_token(server, "no-such-app", secret, basic=basic), 401, "invalid_client")
    r = requests.post(token_url(server), data={"grant_type": "client_credentials"}, headers=NO_AUTH)
    assert_oauth_error(r, 401, "invalid_client")
    r = requests.post(token_url(server), data={"grant_type": "password", "username": "a", "password": "b"},
                      auth=("wrong-secret-app", secret))
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type", r.text


def test_scope_not_allowed_is_400(server, base):
    secret = "s3cret-" + uuid.uuid4().hex
    put_client(server, "scoped-app", secret=secret, roles=["FHIR SMART User"], scopes=["system/*.rs"])
    r = secret_token(server, "scoped-app", secret, scope="system/*.cruds")
    assert_oauth_error(r, 400, "invalid_scope")
    r = secret_token(server, "scoped-app", secret, scope="system/*.rs system/*.cruds")
    assert_oauth_error(r, 400, "invalid_scope")
    r = secret_token(server, "scoped-app", secret, scope="system/*.rs")
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "system/*.rs"
    h = bearer(r.json()["access_token"])
    assert requests.get(f"{base}/Patient/_history", headers=h).status_code == 200
    assert requests.post(f"{base}/Patient", json=patient(), headers={**h, "Content-Type": FHIR_JSON}
                         ).status_code == 403


def test_short_secret_is_refused(server):
    r = requests.put(f"{server.origin}/management/clients/short-app",
                     json={"properties": {"secret": "tooshort", "roles": ["FHIR Data Reader"]}})
    assert r.status_code == 400, r.text


@pytest.mark.parametrize("alg", ["RS384", "ES384"])
def test_private_key_jwt_end_to_end(server, base, alg):
    key = jwt_util.rsa_key() if alg == "RS384" else jwt_util.ec_p384_key()
    kid = f"{alg.lower()}-key-1"
    cid = f"backend-{alg.lower()}"
    put_client(server, cid, roles=["FHIR SMART User"], scopes=["system/*.rs", "system/*.cruds"],
               jwks={"keys": [jwt_util.public_jwk(key, kid, alg)]})
    tu = token_url(server)

    r = assertion_token(server, jwt_util.client_assertion(cid, tu, key, kid, alg), scope="system/*.rs")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and 0 < body["expires_in"] <= 300, body
    assert body["scope"] == "system/*.rs" and "refresh_token" not in body
    _, claims = jwt_util.decode(body["access_token"])
    assert claims["exp"] - int(time.time()) <= 305
    h = bearer(body["access_token"])
    assert requests.get(f"{base}/Patient/_history", headers=h).status_code == 200
    assert requests.post(f"{base}/Patient", json=patient(), headers={**h, "Content-Type": FHIR_JSON}
                         ).status_code == 403
    r = assertion_token(server, jwt_util.client_assertion(cid, tu, key, kid, alg), scope="system/*.cruds",
                        client_id=cid)
    assert r.status_code == 200, r.text
    h = bearer(r.json()["access_token"])
    assert requests.post(f"{base}/Patient", json=patient(), headers={**h, "Content-Type": FHIR_JSON}
                         ).status_code == 201

    # replayed jti
    jti = str(uuid.uuid4())
    assert assertion_token(server, jwt_util.client_assertion(cid, tu, key, kid, alg, jti=jti)).status_code == 200
    assert_oauth_error(assertion_token(server, jwt_util.client_assertion(cid, tu, key, kid, alg, jti=jti)),
                       401, "invalid_client")
    same = jwt_util.client_assertion(cid, tu, key, kid, alg)
    assert assertion_token(server, same).status_code == 200
    assert_oauth_error(assertion_token(server, same), 401, "invalid_client")
    # exp more than 5 minutes ahead
    assert_oauth_error(assertion_token(server, jwt_util.client_assertion(cid, tu, key, kid, alg, lifetime=400)),
                       401, "invalid_client")
    # expired
    assert_oauth_error(assertion_token(server, jwt_util.client_assertion(cid, tu, key, kid, alg, lifetime=-600)),
                       401, "invalid_client")
    # wrong audience
    assert_oauth_error(assertion_token(server, jwt_util.client_assertion(cid, server.fhir(), key, kid, alg)),
                       401, "invalid_client")
    # another key under the registered kid
    other = jwt_util.rsa_key() if alg == "RS384" else jwt_util.ec_p384_key()
    assert_oauth_error(assertion_token(server, jwt_util.client_assertion(cid, tu, other, kid, alg)),
                       401, "invalid_client")
    # iss/sub not the client; missing jti
    assert_oauth_error(assertion_token(server, jwt_util.client_assertion(cid, tu, key, kid, alg, sub="someone")),
                       401, "invalid_client")
    assert_oauth_error(assertion_token(server, jwt_util.client_assertion(cid, tu, key, kid, alg, jti="")),
                       401, "invalid_client")
    assert_oauth_error(assertion_token(server, jwt_util.client_assertion(cid, tu, key, kid, alg, jti=False)),
                       401, "invalid_client")
    # a weaker algorithm than registered, and alg none
    if alg == "RS384":
        weak = jwt_util.client_assertion(cid, tu, key, kid, "RS256")
        assert_oauth_error(assertion_token(server, weak), 401, "invalid_client")
    now = int(time.time())
    none = jwt_util.sign({"alg": "none", "kid": kid}, {"iss": cid, "sub": cid, "aud": tu, "exp": now + 60,
                                                       "jti": str(uuid.uuid4())}, None)
    assert_oauth_error(assertion_token(server, none), 401, "invalid_client")
    # scope the client may not have
    r = assertion_token(server, jwt_util.client_assertion(cid, tu, key, kid, alg), scope="system/*.*")
    assert_oauth_error(r, 400, "invalid_scope")


def test_clients_api_never_returns_secrets(server):
    secret = "Very-Secret-" + uuid.uuid4().hex
    put_client(server, "hidden-app", secret=secret, roles=["FHIR Data Reader"], scopes=["system/*.rs"])
    assert secret_token(server, "hidden-app", secret).status_code == 200
    answers = [requests.get(f"{server.origin}/management/clients"),
               requests.get(f"{server.origin}/management/clients/hidden-app"),
               requests.put(f"{server.origin}/management/clients/hidden-app",
                            json={"properties": {"secret": secret, "roles": ["FHIR Data Reader"]}})]
    for r in answers:
        assert r.status_code in (200, 201), r.text
        assert secret not in r.text
        assert '"secret"' not in r.text and "secret_hash" not in r.text.lower() and "secretHash" not in r.text, r.text
    one = answers[1].json()
    assert one["properties"]["hasSecret"] is True
    # nowhere in the data directory in clear (stored hashed; audit has no body or credentials)
    found = []
    for root, _, files in os.walk(server.data_dir):
        for name in files:
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as f:
                    if secret.encode() in f.read():
                        found.append(path)
            except OSError:
                pass
    assert found == [], f"client secret stored in clear in {found}"


def test_non_admin_cannot_manage_clients(server):
    for role in ("FHIR Data Contributor", "FHIR Data Writer", "FHIR Data Reader", "FHIR SMART User"):
        h = bearer(server.token(roles=role))
        assert requests.get(f"{server.origin}/management/clients", headers=h).status_code == 403
        assert requests.get(f"{server.origin}/management/clients/x", headers=h).status_code == 403
        r = requests.put(f"{server.origin}/management/clients/escalate",
                         json={"properties": {"secret": "a-long-enough-secret", "roles": ["healthd Administrator"]}},
                         headers=h)
        assert r.status_code == 403, (role, r.text)
        assert requests.delete(f"{server.origin}/management/clients/reader-app", headers=h).status_code == 403
    # the escalation did not happen
    assert requests.get(f"{server.origin}/management/clients/escalate").status_code == 404
    r = requests.post(token_url(server), data={"grant_type": "client_credentials"},
                      auth=("escalate", "a-long-enough-secret"))
    assert r.status_code == 401


def test_deleted_client_gets_no_token(server):
    secret = "s3cret-" + uuid.uuid4().hex
    put_client(server, "short-lived-app", secret=secret, roles=["FHIR Data Reader"])
    assert secret_token(server, "short-lived-app", secret).status_code == 200
    assert requests.delete(f"{server.origin}/management/clients/short-lived-app").status_code in (200, 204)
    assert_oauth_error(secret_token(server, "short-lived-app", secret), 401, "invalid_client")


def _rotate_key_available():
    out = subprocess.run([BINARY, "help"], capture_output=True, text=True)
    return "rotate-key" in (out.stdout + out.stderr)


def test_external_issuer_with_key_rotation(new_server):
    # wait (bounded) for the lead's rotate-key command
    for _ in range(10):
        if _rotate_key_available():
            break
        time.sleep(30)
    assert _rotate_key_available(), "healthd rotate-key is not available"

    provider = new_server("ext-provider").start()
    cfg = f"""auth:
  authorities: ["{provider.origin}"]
  jwks_refresh_min_interval_s: 1
workspaces:
  - name: default
    services:
      - kind: fhir
        name: default
"""
    a = new_server("ext-consumer", cfg).start()
    url = f"{a.fhir()}/Patient/_history"
    tok1 = provider.token(audience=a.fhir(), roles="FHIR Data Reader")
    r = requests.get(url, headers=bearer(tok1))
    assert r.status_code == 200, r.text
    # a token from the provider for another audience, and one for write, are refused accordingly
    r = requests.get(url, headers=bearer(provider.token(audience=provider.fhir(), roles="FHIR Data Reader")))
    assert r.status_code == 401, r.text
    r = requests.post(f"{a.fhir()}/Patient", json=patient(),
                      headers={**bearer(tok1), "Content-Type": FHIR_JSON})
    assert r.status_code == 403, r.text
    # a token signed by an unrelated key claiming the provider's issuer
    forged = jwt_util.sign({"alg": "RS256", "typ": "JWT", "kid": jwt_util.ServerKey(provider.data_dir).kid},
                           jwt_util.claims(provider.origin, a.fhir()), jwt_util.rsa_key())
    assert requests.get(url, headers=bearer(forged)).status_code == 401

    old_kid = jwt_util.ServerKey(provider.data_dir).kid
    out = subprocess.run([BINARY, "rotate-key", "--data", provider.data_dir, "--retire-after-s", "3600"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    new_kid = jwt_util.ServerKey(provider.data_dir).kid
    assert new_kid != old_kid
    served = set()
    for _ in range(30):  # bounded: the strict "at once" is test_rotated_key_is_served_at_once
        served = {k["kid"] for k in requests.get(f"{provider.origin}/.well-known/jwks.json",
                                                 headers=NO_AUTH).json()["keys"]}
        if new_kid in served:
            break
        time.sleep(0.1)
    assert {old_kid, new_kid} <= served

    provider.tokens.clear()
    tok2 = provider.token(audience=a.fhir(), roles="FHIR Data Reader")
    assert jwt_util.decode(tok2)[0]["kid"] == new_kid
    status = None
    for _ in range(30):  # the consumer refetches the JWKS on the unknown kid (rate-limited to 1 s)
        status = requests.get(url, headers=bearer(tok2)).status_code
        if status == 200:
            break
        time.sleep(0.2)
    assert status == 200
    # the old key is not retired yet: its tokens still work
    assert requests.get(url, headers=bearer(tok1)).status_code == 200
    # the provider itself accepts both
    assert requests.get(f"{provider.fhir()}/Patient/_history",
                        headers=bearer(provider.token(audience=provider.fhir()))).status_code == 200


def test_rotated_key_is_served_and_accepted_at_once(new_server):
    """Right after `healthd rotate-key`, the running server publishes the new key and accepts its own
    tokens signed with it, even if its JWKS was fetched a moment before (three rounds, so passing by a
    second boundary is unlikely)."""
    assert _rotate_key_available(), "healthd rotate-key is not available"
    s = new_server("rotate-at-once").start()
    problems = []
    for round_ in range(3):
        requests.get(f"{s.origin}/.well-known/jwks.json", headers=NO_AUTH)
        out = subprocess.run([BINARY, "rotate-key", "--data", s.data_dir], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        kid = jwt_util.ServerKey(s.data_dir).kid
        s.tokens.clear()
        tok = s.token(audience=s.fhir(), roles="FHIR Data Reader")
        r = requests.get(f"{s.fhir()}/Patient/_history", headers=bearer(tok))
        if r.status_code != 200:
            problems.append(f"round {round_}: own token with new kid {kid}: {r.status_code} {r.text[:120]}")
        served = {k["kid"] for k in requests.get(f"{s.origin}/.well-known/jwks.json", headers=NO_AUTH).json()["keys"]}
        if kid not in served:
            problems.append(f"round {round_}: JWKS lacks new kid {kid}: {sorted(served)}")
    assert problems == []
