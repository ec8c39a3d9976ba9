"""JWT helpers for the security tests: craft, sign and tamper with tokens (python3-cryptography only)."""
import base64
import hashlib
import hmac
import json
import os
import time
import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _uint(n):
    return b64url(n.to_bytes((n.bit_length() + 7) // 8 or 1, "big"))


def decode(token):
    """(header, claims) of a compact JWT, unverified."""
    h, c, _ = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(c))


def _signing_input(header, claims):
    return (b64url(json.dumps(header, separators=(",", ":"))) + "." +
            b64url(json.dumps(claims, separators=(",", ":")))).encode()


_HASH = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


def sign(header, claims, key):
    """Signs with an RSA/EC private key (alg from header), HS* with bytes, 'none' with nothing."""
    alg = header["alg"]
    data = _signing_input(header, claims)
    if alg == "none":
        sig = b""
    elif alg.startswith("HS"):
        sig = hmac.new(key, data, getattr(hashlib, "sha" + alg[2:])).digest()
    elif alg.startswith("RS"):
        sig = key.sign(data, padding.PKCS1v15(), _HASH[alg[2:]]())
    elif alg.startswith("ES"):
        der = key.sign(data, ec.ECDSA(_HASH[alg[2:]]()))
        r, s = decode_dss_signature(der)
        size = (key.curve.key_size + 7) // 8
        sig = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    else:
        raise ValueError(alg)
    return data.decode() + "." + b64url(sig)


class ServerKey:
    """The current signing key of a healthd data directory (<data>/keys)."""

    def __init__(self, data_dir):
        with open(os.path.join(data_dir, "keys", "keys.json")) as f:
            meta = json.load(f)
        self.kid = meta["current"]
        with open(os.path.join(data_dir, "keys", f"{self.kid}.pem"), "rb") as f:
            self.private = serialization.load_pem_private_key(f.read(), password=None)
        self.public_pem = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        with open(os.path.join(data_dir, "server.json")) as f:
            server = json.load(f)
        self.issuer = server.get("issuer") or server.get("public_url") or server.get("publicUrl")

    def token(self, claims=None, header=None, alg="RS256", key=None):
        h = {"alg": alg, "typ": "JWT", "kid": self.kid}
        h.update(header or {})
        return sign(h, claims, self.private if key is None else key)


def claims(issuer, audience, lifetime=3600, roles=("FHIR Data Contributor",), **extra):
    now = int(time.time())
    c = {"iss": issuer, "aud": audience, "iat": now, "nbf": now - 5, "exp": now + lifetime,
         "sub": "test-subject", "oid": "test-oid", "azp": "test-client", "roles": list(roles)}
    c.update(extra)
    return c


def rsa_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ec_p384_key():
    return ec.generate_private_key(ec.SECP384R1())


def public_jwk(key, kid, alg):
    pub = key.public_key()
    if isinstance(pub, rsa.RSAPublicKey):
        n = pub.public_numbers()
        return {"kty": "RSA", "kid": kid, "alg": alg, "use": "sig", "n": _uint(n.n), "e": _uint(n.e)}
    n = pub.public_numbers()
    size = (pub.curve.key_size + 7) // 8
    return {"kty": "EC", "kid": kid, "alg": alg, "use": "sig", "crv": "P-384",
            "x": b64url(n.x.to_bytes(size, "big")), "y": b64url(n.y.to_bytes(size, "big"))}


def client_assertion(client_id, token_url, key, kid, alg, lifetime=240, jti=None, **extra):
    """jti: None -> a fresh uuid, False -> no jti claim, else that value."""
    now = int(time.time())
    c = {"iss": client_id, "sub": client_id, "aud": token_url, "exp": now + lifetime, "iat": now}
    if jti is not False:
        c["jti"] = str(uuid.uuid4()) if jti is None else jti
    c.update(extra)
    return sign({"alg": alg, "typ": "JWT", "kid": kid}, c, key)
