"""HTTPS with a configured certificate, and custom roles from a roles file."""
import datetime
import json
import os

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import FHIR_JSON, assert_outcome, patient


def self_signed(dirpath):
    """A P-256 certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "healthd-test")])
    now = datetime.datetime.utcnow()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = os.path.join(dirpath, "cert.pem"), os.path.join(dirpath, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


def test_https_only_when_a_certificate_is_configured(new_server, workdir):
    d = os.path.join(workdir, "tls-files")
    os.makedirs(d, exist_ok=True)
    cert, key = self_signed(d)
    s = new_server("tls", f"server:\n  tls_cert_file: {cert}\n  tls_key_file: {key}\n")
    # The harness probes readiness over plain HTTP; over TLS it has to be told the scheme.
    s.scheme = "https"
    origin = f"https://127.0.0.1:{s.port}"
    s.start(ca=cert)
    r = requests.get(f"{origin}/health", verify=cert)
    assert r.status_code == 200
    token = s.token(audience=f"{origin}/default/fhir/default")
    made = requests.post(f"{origin}/default/fhir/default/Patient", json=patient(), verify=cert,
                         headers={"Content-Type": FHIR_JSON, "Authorization": "Bearer " + token})
    assert made.status_code == 201, made.text
    assert made.headers["Location"].startswith(origin + "/default/fhir/default/Patient/")
    # the issuer and audiences are https too
    assert requests.get(f"{origin}/.well-known/openid-configuration", verify=cert).json()["issuer"] == origin
    # plain HTTP is not spoken on that port
    try:
        plain = requests.get(f"http://127.0.0.1:{s.port}/health", timeout=3)
        assert plain.status_code >= 400
    except requests.exceptions.ConnectionError:
        pass
    assert s.stop() == 0


def test_custom_roles_from_a_roles_file(new_server, workdir):
    roles_path = os.path.join(workdir, "roles.json")
    with open(roles_path, "w") as f:
        json.dump({"roles": [
            {"name": "globalReader", "dataActions": ["read"], "notDataActions": [], "scopes": ["/"]},
            {"name": "allButDelete", "dataActions": ["*"], "notDataActions": ["delete", "hardDelete"], "scopes": ["/"]},
        ]}, f)
    s = new_server("roles", f"auth:\n  roles_file: {roles_path}\n").start()
    base = s.fhir()
    pid = requests.post(f"{base}/Patient", json=patient(), headers={"Content-Type": FHIR_JSON}).json()["id"]

    reader = {"Authorization": "Bearer " + s.token(audience=base, roles="globalReader")}
    assert requests.get(f"{base}/Patient/{pid}", headers=reader).status_code == 200
    assert_outcome(requests.post(f"{base}/Patient", json=patient(), headers={**reader, "Content-Type": FHIR_JSON}),
                   403, "forbidden")

    writer = {"Authorization": "Bearer " + s.token(audience=base, roles="allButDelete")}
    assert requests.put(f"{base}/Patient/{pid}", json=patient(id=pid),
                        headers={**writer, "Content-Type": FHIR_JSON}).status_code == 200
    assert_outcome(requests.delete(f"{base}/Patient/{pid}", headers=writer), 403, "forbidden")
    # a role nobody defined grants nothing
    nobody = {"Authorization": "Bearer " + s.token(audience=base, roles="noSuchRole")}
    assert_outcome(requests.get(f"{base}/Patient/{pid}", headers=nobody), 403, "forbidden")
    assert s.stop() == 0


def test_a_bad_roles_file_stops_the_server(new_server, workdir):
    roles_path = os.path.join(workdir, "bad-roles.json")
    with open(roles_path, "w") as f:
        json.dump({"roles": [{"name": "x", "dataActions": ["fly"]}]}, f)
    s = new_server("badroles", f"auth:\n  roles_file: {roles_path}\n")
    try:
        s.start(timeout=10)
        assert False, "server started with an invalid roles file"
    except RuntimeError as e:
        assert "fly" in str(e)
