"""`healthd medtech debug`: the mapping debugger offline."""
import json
import os
import subprocess

from conftest import BINARY, MEDTECH_DATA


def run_debug(*extra):
    t = os.path.join(MEDTECH_DATA, "templates")
    args = [BINARY, "medtech", "debug", "--device-mapping", os.path.join(t, "basic_devicecontent.json"), *extra]
    return subprocess.run(args, capture_output=True, text=True)


def test_debug_prints_measurements_and_observations():
    out = run_debug("--fhir-mapping", os.path.join(MEDTECH_DATA, "templates", "basic_fhirmapping.json"),
                    "--message", os.path.join(MEDTECH_DATA, "readme-messages", "bloodpressure.json"))
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert [m["type"] for m in body["measurements"]] == ["bloodpressure"]
    assert len(body["observations"]) == 1 and body["errors"] == []
    assert len(body["observations"][0]["component"]) == 2


def test_debug_exits_1_on_errors_and_2_on_usage(tmp_path):
    msg = tmp_path / "m.json"
    msg.write_text('{"temperature": 37}')
    out = run_debug("--message", str(msg))
    assert out.returncode == 1
    assert json.loads(out.stdout)["errors"][0]["kind"] == "NoTemplateMatched"
    assert subprocess.run([BINARY, "medtech", "debug"], capture_output=True).returncode == 2
