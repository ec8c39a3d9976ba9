"""Black-box API tests: each test module talks HTTP to a real healthd process."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("HEALTHD_BIN", os.path.join(ROOT, "build", "healthd"))
FHIR_JSON = "application/fhir+json"

# Every service endpoint needs a bearer token. Unless a test sends its own Authorization header
# (or {"Authorization": None} for none at all), requests to a server started here carry a
# full-access token minted by `healthd token` for the audience the URL needs.
SERVERS = {}  # origin -> HealthdProcess
_session_request = requests.Session.request


def audience_for(origin, url):
    parts = url[len(origin):].split("?")[0].strip("/").split("/")
    if len(parts) >= 3 and parts[1] in ("fhir", "medtech"):
        return f"{origin}/{parts[0]}/{parts[1]}/{parts[2]}"
    return origin


def _request_with_token(self, method, url, **kw):
    headers = kw.get("headers") or {}
    if not any(k.lower() == "authorization" for k in headers):
        for origin, srv in SERVERS.items():
            if url.startswith(origin + "/"):
                headers = dict(headers)
                headers["Authorization"] = "Bearer " + srv.token(audience=audience_for(origin, url))
                kw["headers"] = headers
                break
    return _session_request(self, method, url, **kw)


requests.Session.request = _request_with_token


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HealthdProcess:
    """A healthd server on a free loopback port with its own data directory."""

    def __init__(self, data_dir, config_text=None):
        self.data_dir = data_dir
        self.port = free_port()
        self.config_path = None
        if config_text is not None:
            self.config_path = os.path.join(data_dir, "..", f"healthd-{self.port}.yaml")
            with open(self.config_path, "w") as f:
                f.write(config_text)
        self.proc = None
        self.scheme = "http"
        self.tokens = {}
        self.log_path = os.path.join(os.path.dirname(data_dir.rstrip("/")), f"healthd-{self.port}.log")

    @property
    def origin(self):
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def fhir(self, workspace="default", service="default"):
        return f"{self.origin}/{workspace}/fhir/{service}"

    def start(self, timeout=30, ca=None):
        args = [BINARY, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data", self.data_dir]
        if self.config_path:
            args += ["--config", self.config_path]
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"healthd exited with {self.proc.returncode}: {self.read_log()[-2000:]}")
            try:
                ready = requests.get(self.origin + "/health/ready", timeout=1, verify=ca if ca else True)
                if ready.status_code == 200:
                    SERVERS[self.origin] = self
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError("healthd did not become ready: " + self.read_log()[-2000:])

    def token(self, audience=None, roles=None, scope=None, fhir_user=None, lifetime=None, client=None):
        """A token signed with this server's key (`healthd token`); cached per arguments."""
        key = (audience, roles, scope, fhir_user, lifetime, client)
        if key not in self.tokens:
            args = [BINARY, "token", "--data", self.data_dir]
            for flag, value in (("--audience", audience), ("--roles", roles), ("--scope", scope),
                                ("--fhir-user", fhir_user), ("--lifetime", lifetime), ("--client", client)):
                if value is not None:
                    args += [flag, str(value)]
            out = subprocess.run(args, capture_output=True, text=True, check=True)
            self.tokens[key] = out.stdout.strip()
        return self.tokens[key]

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        return self.proc.returncode if self.proc else None

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""


@pytest.fixture(scope="session")
def workdir():
    d = tempfile.mkdtemp(prefix="healthd-api-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def server(workdir, request):
    """One server per test module, default configuration."""
    data = os.path.join(workdir, request.module.__name__.replace(".", "_"), "data")
    os.makedirs(data, exist_ok=True)
    s = HealthdProcess(data).start()
    yield s
    rc = s.stop()
    assert rc == 0, f"healthd did not stop cleanly (exit {rc}): {s.read_log()[-2000:]}"


@pytest.fixture(scope="module")
def base(server):
    return server.fhir()


@pytest.fixture
def new_server(workdir):
    """Factory for servers a test controls itself (restarts, kills, configs)."""
    made = []

    def make(name, config_text=None):
        data = os.path.join(workdir, name, "data")
        os.makedirs(data, exist_ok=True)
        s = HealthdProcess(data, config_text)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop(signal.SIGKILL)


def patient(family="Chalmers", given="Peter", **extra):
    body = {"resourceType": "Patient", "name": [{"family": family, "given": [given]}], "gender": "male",
            "birthDate": "1974-12-25"}
    body.update(extra)
    return body


def post(base, rtype, body, **kw):
    headers = {"Content-Type": FHIR_JSON, **kw.pop("headers", {})}
    return requests.post(f"{base}/{rtype}", json=body, headers=headers, **kw)


def put(base, rtype, rid, body, **kw):
    headers = {"Content-Type": FHIR_JSON, **kw.pop("headers", {})}
    return requests.put(f"{base}/{rtype}/{rid}", json=body, headers=headers, **kw)


def assert_outcome(resp, status, code=None):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["resourceType"] == "OperationOutcome", body
    if code:
        assert any(i["code"] == code for i in body["issue"]), body
    return body


# ---------------------------------------------------------------------------------------------
# DICOM service helpers (test_dicom_*.py). Requests to /{ws}/dicom/{service}/... carry a token for
# that service's audience; everything above keeps working as before.

_fhir_audience_for = audience_for


def audience_for(origin, url):  # noqa: F811 (extends the FHIR rule above)
    parts = url[len(origin):].split("?")[0].strip("/").split("/")
    if len(parts) >= 3 and parts[1] == "dicom":
        return f"{origin}/{parts[0]}/dicom/{parts[2]}"
    return _fhir_audience_for(origin, url)


DICOM_TEST_FILES = "/usr/lib/python3/dist-packages/pydicom/data/test_files"


def dicom_base(server, workspace="default", service="default", version="v2"):
    return f"{server.origin}/{workspace}/dicom/{service}/{version}"


def multipart_body(parts, boundary="healthd-test-boundary-7f3a"):
    """multipart/related; type="application/dicom" body of the given byte strings."""
    out = b""
    for p in parts:
        out += b"--" + boundary.encode() + b"\r\nContent-Type: application/dicom\r\n\r\n" + p + b"\r\n"
    out += b"--" + boundary.encode() + b"--\r\n"
    return out, f'multipart/related; type="application/dicom"; boundary={boundary}'


def stow(base, parts, study=None, **kw):
    body, ctype = multipart_body(parts)
    url = f"{base}/studies" + (f"/{study}" if study else "")
    headers = {"Content-Type": ctype, "Accept": "application/dicom+json", **kw.pop("headers", {})}
    return requests.post(url, data=body, headers=headers, **kw)


def read_multipart(resp):
    """[(content_type, bytes)] of a multipart/related answer."""
    ctype = resp.headers["Content-Type"]
    boundary = [p.split("=", 1)[1].strip('"') for p in ctype.split(";") if p.strip().startswith("boundary=")][0]
    delim = b"--" + boundary.encode()
    parts = []
    for chunk in resp.content.split(delim)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, body = chunk.partition(b"\r\n\r\n")
        if body.endswith(b"\r\n"):
            body = body[:-2]
        ct = ""
        for line in head.decode().split("\r\n"):
            if line.lower().startswith("content-type:"):
                ct = line.split(":", 1)[1].strip()
        parts.append((ct, body))
    return parts


def make_instance(study, series, sop, patient_name="Doe^John", patient_id="P1", study_date="20200101",
                  modality="CT", rows=4, columns=4, frames=1, **extra):
    """A small Explicit VR Little Endian instance written with pydicom, as bytes."""
    import io

    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = sop
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series
    ds.PatientName = patient_name
    ds.PatientID = patient_id
    ds.StudyDate = study_date
    ds.Modality = modality
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = columns
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.PixelData = bytes((i * 7 + 3) % 256 for i in range(rows * columns * frames))
    for k, v in extra.items():
        setattr(ds, k, v)
    buf = io.BytesIO()
    ds.save_as(buf, write_like_original=False)
    return buf.getvalue()


# --- MedTech ------------------------------------------------------------------------------------
MEDTECH_DATA = os.environ.get("HEALTHD_MEDTECH_TESTDATA",
                              os.path.join(os.path.dirname(ROOT), "shared", "testdata", "medtech"))


def medtech_file(*parts):
    """A JSON file of the shared MedTech test data (templates/, readme-messages/, ...)."""
    import json
    with open(os.path.join(MEDTECH_DATA, *parts)) as f:
        return json.load(f)


def medtech_setup(origin, ws="default", name="default", fhir_service="default", resolution="Create",
                  device_mapping=None, fhir_mapping=None, queue_limit=None, dest="default"):
    """Creates/updates an IoT connector and its FHIR destination through the management API."""
    mgmt = f"{origin}/management/workspaces/{ws}"
    props = {"deviceMapping": {"content": device_mapping or medtech_file("templates", "basic_devicecontent.json")}}
    if queue_limit is not None:
        props["queueLimit"] = queue_limit
    r = requests.put(f"{mgmt}/iotconnectors/{name}", json={"properties": props})
    assert r.status_code in (200, 201), r.text
    r = requests.put(f"{mgmt}/iotconnectors/{name}/fhirdestinations/{dest}", json={"properties": {
        "resourceIdentityResolutionType": resolution, "fhirServiceResourceId": fhir_service,
        "fhirMapping": {"content": fhir_mapping or medtech_file("templates", "basic_fhirmapping.json")}}})
    assert r.status_code in (200, 201), r.text
    return f"{origin}/{ws}/medtech/{name}"


def medtech_observation_ids(medtech_base, message):
    """The Observation ids the pipeline writes for `message`, as $debug computes them."""
    r = requests.post(f"{medtech_base}/$debug", json={"message": message})
    assert r.status_code == 200, r.text
    return [o["id"] for o in r.json()["observations"]]


def wait_for(fn, timeout=20, interval=0.1):
    """Polls fn() until it returns a truthy value; returns it (or fails after timeout)."""
    deadline = time.time() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError("condition not met within %ss" % timeout)
        time.sleep(interval)
