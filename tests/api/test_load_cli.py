"""`healthd load`: Synthea transaction Bundles and NDJSON files into a FHIR service over HTTP."""
import json
import os
import shutil
import subprocess

import pytest
import requests

from conftest import BINARY, ROOT

SYNTHEA = os.path.join(ROOT, "..", "shared", "testdata", "synthea")

pytestmark = pytest.mark.skipif(not os.path.isdir(SYNTHEA), reason="no Synthea test data")


def load(server, *args, token=True):
    cmd = [BINARY, "load", "--data-url", server.fhir(), *args]
    if token:
        cmd[4:4] = ["--token", server.token(audience=server.fhir())]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def total(server, query):
    r = requests.get(f"{server.fhir()}/{query}{'&' if '?' in query else '?'}_summary=count")
    assert r.status_code == 200, r.text
    return r.json()["total"]


def entries_by_type(paths):
    counts = {}
    for p in paths:
        with open(p) as f:
            for e in json.load(f)["entry"]:
                t = e["resource"]["resourceType"]
                counts[t] = counts.get(t, 0) + 1
    return counts


def test_loads_transaction_bundles_and_resumes(server, tmp_path):
    src = os.path.join(SYNTHEA, "bundles")
    names = sorted(os.listdir(src))[:3]
    d = tmp_path / "bundles"
    d.mkdir()
    for n in names:
        shutil.copy(os.path.join(src, n), d / n)
    state = str(tmp_path / "state")
    out = load(server, "--concurrency", "2", "--state", state, str(d))
    assert out.returncode == 0, out.stderr
    assert "resources/s" in out.stderr
    want = entries_by_type([d / n for n in names])
    # The count comes from the server's answers: every entry of the three Bundles was stored.
    assert f"healthd load: {sum(want.values())} resources from 3 files" in out.stderr
    assert total(server, "Patient") == want["Patient"] == 3
    assert total(server, "Encounter") == want["Encounter"]
    assert total(server, "Observation") == want["Observation"]
    with open(state) as f:
        assert len(f.read().split()) == 3
    # --resume: every file is done, nothing is sent again.
    out = load(server, "--state", state, "--resume", str(d))
    assert out.returncode == 0, out.stderr
    assert "3 of 3 files already loaded" in out.stderr
    assert total(server, "Patient") == 3


def test_loads_ndjson_in_batches(server, tmp_path):
    src = os.path.join(SYNTHEA, "ndjson")
    files = ["Patient.000.ndjson", "Organization.000.ndjson", "Practitioner.000.ndjson"]
    lines = {}
    for n in files:
        with open(os.path.join(src, n)) as f:
            lines[n.split(".")[0]] = sum(1 for line in f if line.strip())
    before = {t: total(server, t) for t in lines}
    out = load(server, "--batch", "7", "--state", str(tmp_path / "s"), *[os.path.join(src, n) for n in files])
    assert out.returncode == 0, out.stderr
    assert f"healthd load: {sum(lines.values())} resources from 3 files" in out.stderr
    for t, n in lines.items():
        assert total(server, t) == before[t] + n, t
    # Loading again updates the same ids (PUT): no new resources.
    out = load(server, "--state", str(tmp_path / "s2"), os.path.join(src, "Patient.000.ndjson"))
    assert out.returncode == 0, out.stderr
    assert total(server, "Patient") == before["Patient"] + lines["Patient"]


def test_failures_are_listed_and_exit_non_zero(server, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {"resourceType": "Patient", "birthDate": "not-a-date"}, "request": {"method": "POST", "url": "Patient"}}]}))
    broken = tmp_path / "broken.ndjson"
    broken.write_text('{"resourceType": "Patient"}\nnot json\n')
    state = str(tmp_path / "state")
    out = load(server, "--state", state, str(bad), str(broken))
    assert out.returncode == 1
    assert "bad.json" in out.stderr and "broken.ndjson" in out.stderr and "2 failures" in out.stderr
    assert "healthd load: 0 resources" in out.stderr
    with open(state) as f:
        assert f.read() == ""


def test_a_file_whose_resource_type_is_not_a_string_is_refused_before_sending(server, tmp_path):
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps({"resourceType": ["Bundle"], "type": "transaction", "entry": []}))
    out = load(server, "--state", str(tmp_path / "state"), str(odd))
    assert out.returncode == 1
    assert "odd.json" in out.stderr and "no resourceType" in out.stderr


def test_usage_errors_exit_2(server):
    out = subprocess.run([BINARY, "load", "somewhere"], capture_output=True, text=True)
    assert out.returncode == 2 and "--data-url" in out.stderr
    out = load(server, "--concurrency", "0", "x")
    assert out.returncode == 2


def test_a_wrong_token_fails(server, tmp_path):
    src = os.path.join(SYNTHEA, "bundles")
    out = subprocess.run([BINARY, "load", "--data-url", server.fhir(), "--token", "nope", "--state",
                          str(tmp_path / "s"), os.path.join(src, sorted(os.listdir(src))[0])],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "HTTP 401" in out.stderr
