"""DICOM service: WADO-RS retrieves stream. A 192 MB study is retrieved while the server's peak
memory (VmHWM) grows by far less than the study, and the answer is byte for byte the multipart
body the service built in memory before: each stored instance framed by the boundary."""
import hashlib
import io

import requests

from conftest import dicom_base, make_instance, read_multipart, stow
from test_dicom_large_upload import vm_hwm_kb

ROOT = "1.2.826.0.1.3680043.10.997"
STUDY, SERIES = f"{ROOT}.1", f"{ROOT}.1.1"
COUNT = 24
FRAME = 1024 * 1024  # 8-bit frames
FRAMES = 8           # 8 MB per instance
STORED = "1.2.840.10008.1.2.1"
AS_STORED = 'multipart/related; type="application/dicom"; transfer-syntax=*'


def instances():
    """The study's instances in retrieve order, as uploaded (the same bytes on every call)."""
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(make_instance(STUDY, SERIES, f"{SERIES}.0")))
    ds.Rows = ds.Columns = 1024
    ds.NumberOfFrames = FRAMES
    pixels = bytes(range(256)) * (FRAME * FRAMES // 256)
    for n in range(1, COUNT + 1):
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = f"{SERIES}.{n}"
        ds.InstanceNumber = n
        ds.PixelData = pixels[n:] + pixels[:n]  # every instance differs
        buf = io.BytesIO()
        ds.save_as(buf, write_like_original=False)
        yield buf.getvalue()


def boundary_of(resp):
    ctype = resp.headers["Content-Type"]
    return [p.split("=", 1)[1].strip('"') for p in ctype.split(";") if p.strip().startswith("boundary=")][0]


def test_study_retrieve_streams_the_stored_bytes(server):
    base = dicom_base(server)
    size = 0
    for data in instances():
        assert stow(base, [data]).status_code == 200
        size += len(data)
    assert size > 190_000_000

    before = vm_hwm_kb(server.proc.pid)
    r = requests.get(f"{base}/studies/{STUDY}", headers={"Accept": AS_STORED}, stream=True)
    assert r.status_code == 200
    got, received = hashlib.sha256(), 0
    for chunk in r.iter_content(1 << 20):
        got.update(chunk)
        received += len(chunk)
    grown_mb = (vm_hwm_kb(server.proc.pid) - before) / 1024
    assert grown_mb < 64, f"peak memory grew by {grown_mb:.0f} MB for a {size / 2**20:.0f} MB study"
    assert int(r.headers["Content-Length"]) == received

    # The framing the in-memory answer had: a part per instance, then the close delimiter.
    boundary = boundary_of(r)
    want = hashlib.sha256()
    for data in instances():
        want.update(f"--{boundary}\r\nContent-Type: application/dicom; transfer-syntax={STORED}\r\n\r\n".encode())
        want.update(data)
        want.update(b"\r\n")
    want.update(f"--{boundary}--\r\n".encode())
    assert got.hexdigest() == want.hexdigest()

    # A series streams the same way; one instance alone is its stored file.
    series = requests.get(f"{base}/studies/{STUDY}/series/{SERIES}", headers={"Accept": AS_STORED}, stream=True)
    assert series.status_code == 200
    assert sum(len(c) for c in series.iter_content(1 << 20)) == received - 2 * len(boundary) + 2 * len(boundary_of(series))
    first = next(instances())
    one = requests.get(f"{base}/studies/{STUDY}/series/{SERIES}/instances/{SERIES}.1",
                       headers={"Accept": "application/dicom; transfer-syntax=*"})
    assert one.status_code == 200 and one.content == first
    assert one.headers["Content-Type"] == f"application/dicom; transfer-syntax={STORED}"


def test_transcoded_study_streams_chunked(server):
    """Instances to transcode have no length before they are done: the answer is chunked."""
    base = dicom_base(server)
    study, series = f"{ROOT}.2", f"{ROOT}.2.1"
    parts = [make_instance(study, series, f"{series}.{n}", rows=64, columns=64, InstanceNumber=n) for n in (1, 2, 3)]
    assert stow(base, parts).status_code == 200
    implicit = "1.2.840.10008.1.2"
    r = requests.get(f"{base}/studies/{study}",
                     headers={"Accept": f'multipart/related; type="application/dicom"; transfer-syntax={implicit}'})
    assert r.status_code == 200
    assert r.headers.get("Transfer-Encoding") == "chunked" and "Content-Length" not in r.headers
    import pydicom

    got = read_multipart(r)
    assert [ct for ct, _ in got] == [f"application/dicom; transfer-syntax={implicit}"] * 3
    for (_, body), original in zip(got, parts):
        back, want = pydicom.dcmread(io.BytesIO(body)), pydicom.dcmread(io.BytesIO(original))
        assert back.file_meta.TransferSyntaxUID == implicit
        assert back.SOPInstanceUID == want.SOPInstanceUID and back.PixelData == want.PixelData
