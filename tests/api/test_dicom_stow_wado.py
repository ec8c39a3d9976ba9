"""DICOM service: every file of pydicom's test data through STOW-RS, then WADO-RS back."""
import fnmatch
import os
import sys
import warnings

import pydicom
import pytest
import requests

from conftest import DICOM_TEST_FILES, dicom_base, read_multipart, stow

HERE = os.path.dirname(os.path.abspath(__file__))
UNIT_DICOM = os.path.join(HERE, "..", "unit", "dicom")
sys.path.insert(0, UNIT_DICOM)
import pydicom_json  # noqa: E402  (tests/unit/dicom: pydicom's DICOM JSON, the library's reference)

warnings.simplefilter("ignore")


def all_files():
    out = []
    for root, _, names in os.walk(DICOM_TEST_FILES):
        for n in names:
            out.append(os.path.relpath(os.path.join(root, n), DICOM_TEST_FILES))
    return sorted(out)


def expectations():
    rows = {}
    with open(os.path.join(UNIT_DICOM, "stow-expectations.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            rows[cols[0]] = cols[1]  # the v2 outcome
    return rows


def known_differences():
    out = []
    with open(os.path.join(UNIT_DICOM, "pydicom-known-differences.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            if cols[2] == "empty-sequence" or cols[1] == "*0000":
                continue  # handled in compare()
            out.append((cols[0], cols[1]))
    return out


def element(resp_json, tag):
    return resp_json.get(tag, {}).get("Value", [])


@pytest.fixture(scope="module")
def stored(server):
    """Stores every test file one request each; returns {file: (status, body)} and the UIDs kept."""
    base = dicom_base(server)
    results = {}
    first_owner = {}  # (study, series, sop) -> the file stored first under it
    for name in all_files():
        with open(os.path.join(DICOM_TEST_FILES, name), "rb") as f:
            data = f.read()
        r = stow(base, [data])
        assert r.status_code in (200, 202, 409), (name, r.status_code, r.text)
        results[name] = (r.status_code, r.json() if r.content else {})
    return base, results, first_owner


def test_every_file_gets_its_expected_outcome(stored):
    base, results, first_owner = stored
    expected = expectations()
    seen = set()
    for name, (status, body) in results.items():
        want = expected[name]
        if want.startswith("stored"):
            ref = element(body, "00081199")
            if status == 409:
                # the same instance UIDs as a file stored before: 45070
                failed = element(body, "00081198")
                assert failed and element(failed[0], "00081197") == [45070], (name, body)
                key = element(failed[0], "00081155")[0]
                assert key in seen, name
                continue
            assert len(ref) == 1, (name, body)
            seen.add(element(ref[0], "00081155")[0])
            warnings_ = element(ref[0], "00081196")
            if want == "stored":
                assert status == 200 and not warnings_, (name, status, body)
            else:
                assert status == 202 and warnings_ == [int(w) for w in want.split()[1:2]], (name, body)
            assert element(ref[0], "00081190")[0].startswith(base + "/studies/")
        else:
            assert status == 409, (name, status, body)
            failed = element(body, "00081198")
            assert element(failed[0], "00081197") == [int(want.split()[0])], (name, body)
            assert element(failed[0], "00000902"), (name, body)  # ErrorComment says why


def stored_files(results):
    """{file: (study, series, sop)} of the files whose own bytes were stored."""
    out = {}
    for name, (status, body) in results.items():
        if status in (200, 202):
            url = element(element(body, "00081199")[0], "00081190")[0]
            parts = url.split("/")
            out[name] = (parts[-5], parts[-3], parts[-1])
    return out


def test_instances_round_trip_byte_identical_but_the_preamble(stored):
    base, results, _ = stored
    files = stored_files(results)
    assert len(files) > 100
    for name, (st, se, sop) in files.items():
        with open(os.path.join(DICOM_TEST_FILES, name), "rb") as f:
            original = f.read()
        r = requests.get(f"{base}/studies/{st}/series/{se}/instances/{sop}",
                         headers={"Accept": "application/dicom; transfer-syntax=*"})
        assert r.status_code == 200, (name, r.text)
        assert r.headers["Content-Type"].startswith("application/dicom")
        assert r.content[:128] == b"\0" * 128, name
        assert r.content[128:] == original[128:], name
        # the same through multipart, transfer-syntax=*
        m = requests.get(f"{base}/studies/{st}/series/{se}/instances/{sop}",
                         headers={"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=*'})
        parts = read_multipart(m)
        assert len(parts) == 1 and parts[0][1][128:] == original[128:], name
        assert "transfer-syntax=" in parts[0][0]


def compare(ours, theirs, path, skip, file):
    if any(fnmatch.fnmatch(file, f) and fnmatch.fnmatch(path, p) for f, p in skip):
        return
    if isinstance(theirs, dict) and isinstance(ours, dict):
        keys = set(theirs) | set(ours)
        for k in keys:
            if k.endswith("0000") and len(k) == 8:
                continue
            sub = f"{path}/{k}" if path else k
            if k == "Value" and theirs.get(k) == [] and k not in ours:
                continue
            assert k in ours and k in theirs, (file, sub, ours.get(k), theirs.get(k))
            compare(ours[k], theirs[k], sub if k not in ("Value", "vr", "BulkDataURI") else path, skip, file)
    elif isinstance(theirs, list) and isinstance(ours, list):
        assert len(ours) == len(theirs), (file, path)
        for i, (a, b) in enumerate(zip(ours, theirs)):
            compare(a, b, f"{path}/{i}" if isinstance(a, dict) and "vr" not in a else path, skip, file)
    else:
        assert ours == theirs, (file, path, ours, theirs)


def test_metadata_is_the_stored_json_with_working_bulk_data(stored):
    base, results, _ = stored
    skip = known_differences()
    files = stored_files(results)
    for name, (st, se, sop) in files.items():
        url = f"{base}/studies/{st}/series/{se}/instances/{sop}"
        r = requests.get(f"{url}/metadata")
        assert r.status_code == 200, (name, r.text)
        assert r.headers["Content-Type"].startswith("application/dicom+json")
        ours = r.json()
        assert len(ours) == 1
        theirs = pydicom_json.dataset_json(os.path.join(DICOM_TEST_FILES, name), url + "/bulkdata", 0)
        compare(ours[0], theirs, "", skip, name)
        etag = r.headers["ETag"]
        again = requests.get(f"{url}/metadata", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.headers["ETag"] == etag
    # bulk data of a native little endian image equals pydicom's Pixel Data
    name = "CT_small.dcm"
    st, se, sop = files[name]
    url = f"{base}/studies/{st}/series/{se}/instances/{sop}"
    md = requests.get(f"{url}/metadata").json()[0]
    bulk = requests.get(md["7FE00010"]["BulkDataURI"], headers={"Accept": "application/octet-stream"})
    assert bulk.status_code == 200
    assert bulk.content == pydicom.dcmread(os.path.join(DICOM_TEST_FILES, name)).PixelData


def test_study_and_series_retrieve_and_metadata(stored):
    base, results, _ = stored
    files = stored_files(results)
    st, se, sop = files["CT_small.dcm"]
    r = requests.get(f"{base}/studies/{st}")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("multipart/related")
    assert len(read_multipart(r)) >= 1
    r = requests.get(f"{base}/studies/{st}/series/{se}", headers={"Accept": "multipart/related; type=application/dicom"})
    assert r.status_code == 200
    md = requests.get(f"{base}/studies/{st}/metadata").json()
    assert sop in [m["00080018"]["Value"][0] for m in md]
    assert requests.get(f"{base}/studies/{st}/series/{se}/metadata").status_code == 200
    # a syntax the server cannot write: 406 (transcoding itself: test_dicom_transcode.py)
    r = requests.get(f"{base}/studies/{st}", headers={"Accept": 'multipart/related; type="application/dicom"; '
                                                                 "transfer-syntax=1.2.840.10008.1.2.4.100"})
    assert r.status_code == 406 and "not supported" in r.json()["detail"]
    assert requests.get(f"{base}/studies/{st}", headers={"Accept": "application/json"}).status_code == 406
    assert requests.get(f"{base}/studies/1.2.3.4.5").status_code == 404
    assert requests.get(f"{base}/studies/not-a-uid").status_code == 400


def pixel_frames(ds):
    """Each frame's bytes, little endian, as pydicom holds the native Pixel Data."""
    data = ds.PixelData
    if not ds.file_meta.TransferSyntaxUID.is_little_endian and ds.BitsAllocated > 8:
        step = ds.BitsAllocated // 8
        data = b"".join(data[i:i + step][::-1] for i in range(0, len(data), step))
    n = int(getattr(ds, "NumberOfFrames", 1) or 1)
    size = ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8
    return [data[i * size:(i + 1) * size] for i in range(n)]


def test_frames_of_uncompressed_images_equal_pydicoms_pixel_bytes(stored):
    base, results, _ = stored
    checked = 0
    for name, (st, se, sop) in stored_files(results).items():
        ds = pydicom.dcmread(os.path.join(DICOM_TEST_FILES, name))
        if "PixelData" not in ds or ds.file_meta.TransferSyntaxUID.is_compressed:
            continue
        if ds.BitsAllocated % 8 or ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1.99":
            continue
        try:
            frames = pixel_frames(ds)
        except ValueError:  # a NumberOfFrames that is not a number
            continue
        url = f"{base}/studies/{st}/series/{se}/instances/{sop}/frames"
        numbers = ",".join(str(i + 1) for i in range(len(frames)))
        for accept in ('multipart/related; type="application/octet-stream"; transfer-syntax=*',
                       "multipart/related; type=application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1"):
            r = requests.get(f"{url}/{numbers}", headers={"Accept": accept})
            assert r.status_code == 200, (name, r.text)
            parts = read_multipart(r)
            assert [p[1] for p in parts] == frames, name
            assert all(p[0] == "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1" for p in parts)
        single = requests.get(f"{url}/1", headers={"Accept": "application/octet-stream"})
        assert single.status_code == 200 and single.content == frames[0], name
        assert requests.get(f"{url}/{len(frames) + 1}").status_code == 404
        assert requests.get(f"{url}/0").status_code == 400
        checked += 1
    assert checked >= 15


def test_stow_request_errors(server):
    base = dicom_base(server)
    # empty request: 204
    r = requests.post(f"{base}/studies", data=b"", headers={"Content-Type": 'multipart/related; type="application/dicom"; boundary=x'})
    assert r.status_code == 204
    # wrong media types: 415
    r = requests.post(f"{base}/studies", data=b"{}", headers={"Content-Type": "application/json"})
    assert r.status_code == 415 and r.json()["detail"]
    r = requests.post(f"{base}/studies", data=b"x", headers={"Content-Type": 'multipart/related; type="application/dicom+json"; boundary=x'})
    assert r.status_code == 415
    # malformed multipart: 400
    r = requests.post(f"{base}/studies", data=b"--nope\r\n", headers={"Content-Type": 'multipart/related; type="application/dicom"; boundary=x'})
    assert r.status_code == 400 and "boundary" in r.json()["detail"]
    r = requests.post(f"{base}/studies", data=b"x", headers={"Content-Type": "multipart/related"})
    assert r.status_code == 400
    # a single application/dicom body that is not DICOM: 409 with 272
    r = requests.post(f"{base}/studies", data=b"hello", headers={"Content-Type": "application/dicom"})
    assert r.status_code == 409
    assert r.json()["00081198"]["Value"][0]["00081197"]["Value"] == [272]


def test_a_request_of_many_parts_stores_each_byte_identical(server):
    """More parts in one request than it stages as unnamed files (the rest as named temp files):
    every one is stored, byte-identical but the preamble, and no upload is left behind."""
    import io
    base = dicom_base(server)
    template = pydicom.dcmread(os.path.join(DICOM_TEST_FILES, "CT_small.dcm"))
    study, series = pydicom.uid.generate_uid(), pydicom.uid.generate_uid()
    originals = {}
    for _ in range(40):
        template.StudyInstanceUID, template.SeriesInstanceUID = study, series
        template.SOPInstanceUID = pydicom.uid.generate_uid()
        out = io.BytesIO()
        template.save_as(out, write_like_original=True)
        originals[template.SOPInstanceUID] = out.getvalue()
    r = stow(base, list(originals.values()))
    assert r.status_code == 200, r.text
    assert len(element(r.json(), "00081199")) == 40
    for sop, original in originals.items():
        got = requests.get(f"{base}/studies/{study}/series/{series}/instances/{sop}",
                           headers={"Accept": "application/dicom; transfer-syntax=*"})
        assert got.status_code == 200, got.text
        assert got.content[128:] == original[128:]
    tmp = os.path.join(server.data_dir, "workspaces", "default", "dicomservices", "default", "tmp")
    assert os.listdir(tmp) == []
