"""DICOM service: transcoding on retrieve, frames (stored, decoded, bit-packed) and rendered images.

Every file of pydicom's test data that stores is retrieved as Explicit VR Little Endian; its pixels
must equal what pydicom decodes from the original. Where pydicom has no decoder on this machine
(Debian's python3-pydicom with numpy and Pillow: no JPEG lossless, JPEG extended 12-bit or JPEG-LS),
the reference is DCMTK's own command-line decoder (dcmdjpeg / dcmdjpls) read by pydicom.
"""
import io
import os
import subprocess
import tempfile
import warnings

import numpy as np
import pydicom
import pytest
import requests
from PIL import Image
from pydicom.encaps import generate_pixel_data_frame
from pydicom.pixel_data_handlers.util import convert_color_space

from conftest import DICOM_TEST_FILES, dicom_base, make_instance, read_multipart, stow

warnings.simplefilter("ignore")

EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
JPEG_FAMILY = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57",
               "1.2.840.10008.1.2.4.70"}
JPEG_LS = {"1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"}
J2K_LOSSLESS, J2K = "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"
LOSSY = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81", J2K}

# Stored files whose pixels have no reference decoder here, and the status of their Explicit VR
# Little Endian retrieve.
NO_REFERENCE = {
    # Pillow's OpenJPEG refuses it ("broken data stream"); the server's OpenJPEG adapter decodes it.
    "GDCMJ2K_TextGBR.dcm": 200,
    # NumberOfFrames "1A" is not a number: pydicom cannot shape the pixels; DCMTK copies them.
    "badVR.dcm": 200,
    # Rows/Columns missing: nothing can interpret the pixels; DCMTK copies them.
    "nested_priv_SQ.dcm": 200,
    # Bytes of the sequence delimiter inside the JPEG 2000 codestream's SIZ marker: it does not
    # decode (Pillow: "decompression bomb"; OpenJPEG: invalid number of tiles): 406.
    "JPEG2000-embedded-sequence-delimiter.dcm": 406,
}

def all_files():
    out = []
    for root, _, names in os.walk(DICOM_TEST_FILES):
        for n in names:
            out.append(os.path.relpath(os.path.join(root, n), DICOM_TEST_FILES))
    return sorted(out)


def with_new_uids(data, n):
    """The file with its own SOP Instance UID (and series, study), otherwise as written."""
    ds = pydicom.dcmread(io.BytesIO(data))
    root = f"1.2.826.0.1.3680043.8.498.77{n}"
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID = root, root + ".1", root + ".1.1"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    buf = io.BytesIO()
    ds.save_as(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def stored(server):
    """{file: instance URL} of every test file that stores. Files that repeat the UIDs of one
    stored before (45070) are stored again under UIDs of their own, so every variant is checked."""
    base = dicom_base(server)
    out = {}
    for n, name in enumerate(all_files()):
        with open(os.path.join(DICOM_TEST_FILES, name), "rb") as f:
            data = f.read()
        r = stow(base, [data])
        if r.status_code == 409 and "45070" in r.text:
            r = stow(base, [with_new_uids(data, n)])
        if r.status_code in (200, 202):
            ref = r.json()["00081199"]["Value"][0]
            out[name] = ref["00081190"]["Value"][0]
    assert len(out) > 60
    return base, out


def read_with_dcmtk(path, syntax):
    """The file decoded by DCMTK's command-line tools (big endian converted by dcmconv, which reads
    OW words as DCMTK writes them), read by pydicom."""
    tools = {"1.2.840.10008.1.2.5": ["dcmdrle"], "1.2.840.10008.1.2.2": ["dcmconv", "+te"]}
    tools.update({s: ["dcmdjpeg"] for s in JPEG_FAMILY})
    tools.update({s: ["dcmdjpls"] for s in JPEG_LS})
    if syntax not in tools:
        return pydicom.dcmread(path)
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.dcm")
        subprocess.run(tools[syntax] + [path, out], check=True, capture_output=True)
        return pydicom.dcmread(out)


def decode_with_dcmtk(body, syntax):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "in.dcm")
        with open(path, "wb") as f:
            f.write(body)
        return read_with_dcmtk(path, syntax)


def reference(path):
    """(pixels, photometric interpretation) of the original, or None when nothing here decodes it."""
    ds = pydicom.dcmread(path)
    if "PixelData" not in ds:
        return None
    if ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.2" and ds.BitsAllocated > 16:
        # Big endian OW Pixel Data of 32-bit pixels: DCMTK swaps 16-bit words (what OW is, PS3.5
        # 6.2), pydicom 32-bit values; the reference is DCMTK's dcmconv.
        le = read_with_dcmtk(path, ds.file_meta.TransferSyntaxUID)
        return le.pixel_array, le.PhotometricInterpretation
    try:
        return ds.pixel_array, ds.PhotometricInterpretation
    except Exception:  # noqa: BLE001 - pydicom has no handler (or the data is broken)
        pass
    syntax = ds.file_meta.TransferSyntaxUID
    if syntax not in JPEG_FAMILY | JPEG_LS:
        return None
    decoded = read_with_dcmtk(path, syntax)
    return decoded.pixel_array, decoded.PhotometricInterpretation


def same_color_space(pixels, theirs, ours):
    """pydicom leaves JPEG YBR pixels in YBR; DCMTK (like our decoder) answers RGB, and JPEG 2000
    YBR_RCT / YBR_ICT decode to RGB."""
    if ours in ("RGB", "YBR_RCT", "YBR_ICT") and theirs in ("YBR_FULL", "YBR_FULL_422") and pixels.ndim >= 3 and pixels.shape[-1] == 3:
        return convert_color_space(pixels, "YBR_FULL", "RGB")
    return pixels


def get_instance(url, syntax):
    accept = "application/dicom" + (f"; transfer-syntax={syntax}" if syntax is not None else "")
    return requests.get(url, headers={"Accept": accept})


def test_every_stored_file_transcodes_to_explicit_little_endian_with_pydicoms_pixels(stored):
    base, files = stored
    compared = 0
    for name, url in files.items():
        path = os.path.join(DICOM_TEST_FILES, name)
        original = pydicom.dcmread(path)
        r = get_instance(url, EXPLICIT_LE)
        if NO_REFERENCE.get(name) == 406:
            assert r.status_code == 406 and "do not decode" in r.json()["detail"], (name, r.text)
            continue
        assert r.status_code == 200, (name, r.text)
        assert r.headers["Content-Type"] == f"application/dicom; transfer-syntax={EXPLICIT_LE}", name
        ours = pydicom.dcmread(io.BytesIO(r.content))
        assert ours.file_meta.TransferSyntaxUID == EXPLICIT_LE, name
        assert ours.SOPInstanceUID == url.rsplit("/", 1)[1], name
        want = reference(path)
        if want is None:
            assert "PixelData" not in original or name in NO_REFERENCE, name
            continue
        pixels = same_color_space(want[0], want[1], ours.PhotometricInterpretation)
        assert np.array_equal(ours.pixel_array, pixels), name
        compared += 1
    assert compared >= 50


def test_no_transfer_syntax_means_explicit_little_endian_and_star_keeps_the_stored_one(stored):
    base, files = stored
    url = files["693_J2KI.dcm"]
    for accept in ("application/dicom", 'multipart/related; type="application/dicom"'):
        r = requests.get(url, headers={"Accept": accept})
        assert r.status_code == 200
        body = read_multipart(r)[0][1] if accept.startswith("multipart") else r.content
        assert pydicom.dcmread(io.BytesIO(body)).file_meta.TransferSyntaxUID == EXPLICIT_LE
    r = requests.get(url, headers={"Accept": "application/dicom; transfer-syntax=*"})
    with open(os.path.join(DICOM_TEST_FILES, "693_J2KI.dcm"), "rb") as f:
        assert r.content[128:] == f.read()[128:]
    assert r.headers["Content-Type"] == "application/dicom; transfer-syntax=1.2.840.10008.1.2.4.91"
    # stored in the syntax asked for: the stored bytes, untouched
    r = get_instance(files["CT_small.dcm"], EXPLICIT_LE)
    with open(os.path.join(DICOM_TEST_FILES, "CT_small.dcm"), "rb") as f:
        assert r.content[128:] == f.read()[128:]


def test_study_retrieve_transcodes_each_instance(stored, server):
    base = dicom_base(server)
    study, series = "1.2.826.0.1.3680043.8.498.9001", "1.2.826.0.1.3680043.8.498.9001.1"
    ds = pydicom.dcmread(os.path.join(DICOM_TEST_FILES, "SC_rgb_rle_2frame.dcm"))
    parts = []
    for i in range(3):
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.SOPInstanceUID = f"{series}.{i + 1}"
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        buf = io.BytesIO()
        ds.save_as(buf)
        parts.append(buf.getvalue())
    assert stow(base, parts).status_code == 200
    want = ds.pixel_array
    for syntax in (None, EXPLICIT_LE, IMPLICIT_LE, J2K_LOSSLESS):
        accept = 'multipart/related; type="application/dicom"' + (f"; transfer-syntax={syntax}" if syntax else "")
        r = requests.get(f"{base}/studies/{study}", headers={"Accept": accept})
        assert r.status_code == 200, r.text
        got = read_multipart(r)
        assert len(got) == 3
        for ctype, body in got:
            assert ctype == f"application/dicom; transfer-syntax={syntax or EXPLICIT_LE}"
            back = pydicom.dcmread(io.BytesIO(body))
            assert back.file_meta.TransferSyntaxUID == (syntax or EXPLICIT_LE)
            assert np.array_equal(back.pixel_array, want)


TARGETS = ["1.2.840.10008.1.2", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.5",
           "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80",
           "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", J2K_LOSSLESS, J2K]
# What DCMTK's encoders refuse (406): JPEG / JPEG-LS of 32-bit pixels; near-lossless JPEG-LS of
# signed pixels; JPEG-LS of signed pixels with fewer bits stored than allocated (CharLS would abort
# the process on them); color JPEG-LS (DCMTK 3.6.7 writes past its buffers, seen with valgrind);
# JPEG 2000 of 32-bit pixels.
REFUSED = {
    "CT_small.dcm": {"1.2.840.10008.1.2.4.81"},
    "MR_small_jpeg_ls_lossless.dcm": {"1.2.840.10008.1.2.4.81"},
    "693_J2KI.dcm": {"1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"},
    "rtdose.dcm": {"1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80",
                   "1.2.840.10008.1.2.4.81", J2K_LOSSLESS, J2K},
    "SC_rgb_small_odd.dcm": JPEG_LS,
    "SC_rgb_rle_16bit.dcm": JPEG_LS,
    "SC_rgb_jpeg_dcmtk.dcm": JPEG_LS,
}


def stored_values(ds, pixels):
    """The pixel values as BitsStored defines them (bits above it ignored, sign from bit BitsStored-1)."""
    bits = ds.BitsStored
    if pixels.dtype.itemsize * 8 == bits or ds.BitsAllocated != pixels.dtype.itemsize * 8:
        return pixels.astype(np.int64)
    v = pixels.astype(np.int64) & ((1 << bits) - 1)
    if ds.PixelRepresentation == 1:
        v = np.where(v >= 1 << (bits - 1), v - (1 << bits), v)
    return v


# Nothing here decodes them independently: Pillow (pydicom's JPEG 2000 handler) gives color JPEG 2000
# of more than 8 bits as 8-bit RGB (test_jpeg2000_codestreams_open_with_pillow checks what it can).
NO_INDEPENDENT_DECODER = {("SC_rgb_rle_16bit.dcm", J2K_LOSSLESS), ("SC_rgb_rle_16bit.dcm", J2K)}


@pytest.mark.parametrize("source", sorted(REFUSED))
def test_transcoding_between_syntaxes(stored, source):
    base, files = stored
    url = files[source]
    path = os.path.join(DICOM_TEST_FILES, source)
    original = pydicom.dcmread(path)
    want, want_pi = reference(path)
    for target in TARGETS:
        r = get_instance(url, target)
        if target in REFUSED[source]:
            assert r.status_code == 406, (source, target, r.status_code)
            assert "cannot be encoded in" in r.json()["detail"], (source, target, r.text)
            continue
        assert r.status_code == 200, (source, target, r.text)
        assert r.headers["Content-Type"] == f"application/dicom; transfer-syntax={target}"
        assert pydicom.dcmread(io.BytesIO(r.content)).file_meta.TransferSyntaxUID == target
        if (source, target) in NO_INDEPENDENT_DECODER:
            continue
        back = decode_with_dcmtk(r.content, target)
        got = back.pixel_array
        expected = same_color_space(want, want_pi, back.PhotometricInterpretation)
        assert got.shape == expected.shape, (source, target)
        if target in LOSSY:
            # lossy, and DCMTK scales more than 8 (baseline) or 12 (extended) bits down: the same image
            # (JPEG 2000 at 10:1 keeps 3 bytes of the 3x3 SC_rgb_small_odd: less alike)
            bound = 0.97 if target == J2K and got.size < 100 else 0.99
            assert np.corrcoef(got.astype(float).ravel(), expected.astype(float).ravel())[0, 1] > bound, (source, target)
        else:
            assert np.array_equal(stored_values(back, got), stored_values(original, expected)), (source, target)


def test_unsupported_targets_are_406_with_the_supported_list(stored):
    base, files = stored
    for syntax in ("1.2.840.10008.1.2.4.100", "1.2.3.4"):
        r = get_instance(files["CT_small.dcm"], syntax)
        assert r.status_code == 406
        assert "not supported" in r.json()["detail"] and EXPLICIT_LE in r.json()["detail"]
    # the stored J2K as is: fine
    r = get_instance(files["693_J2KI.dcm"], "1.2.840.10008.1.2.4.91")
    assert r.status_code == 200 and r.headers["Content-Type"].endswith("1.2.840.10008.1.2.4.91")


def frames_of(url, numbers, accept):
    return requests.get(f"{url}/frames/{numbers}", headers={"Accept": accept})


def test_compressed_frames_as_stored_and_decoded(stored):
    base, files = stored
    checked = 0
    for name, url in files.items():
        path = os.path.join(DICOM_TEST_FILES, name)
        ds = pydicom.dcmread(path)
        syntax = ds.file_meta.TransferSyntaxUID
        if "PixelData" not in ds or not syntax.is_compressed:
            continue
        try:
            count = int(ds.get("NumberOfFrames", 1) or 1)
            stored_frames = list(generate_pixel_data_frame(ds.PixelData, count))
        except Exception:  # noqa: BLE001 - pydicom cannot split these fragments
            continue
        numbers = ",".join(str(i + 1) for i in range(count))
        # transfer-syntax=*: the compressed bytes, each part naming the stored syntax
        r = frames_of(url, numbers, 'multipart/related; type="application/octet-stream"; transfer-syntax=*')
        assert r.status_code == 200, (name, r.text)
        parts = read_multipart(r)
        assert [p[0] for p in parts] == [f"application/octet-stream; transfer-syntax={syntax}"] * count, name
        assert [p[1] for p in parts] == stored_frames, name
        # the stored syntax named: the same
        single = frames_of(url, 1, f"application/octet-stream; transfer-syntax={syntax}")
        assert single.status_code == 200 and single.content == stored_frames[0], name
        # uncompressed: the reference pixels, frame by frame, little endian
        want = reference(path)
        r = frames_of(url, numbers, f"multipart/related; type=application/octet-stream; transfer-syntax={EXPLICIT_LE}")
        if want is None:
            assert r.status_code == NO_REFERENCE[name], (name, r.status_code)
            continue
        assert r.status_code == 200, (name, r.text)
        back = pydicom.dcmread(io.BytesIO(get_instance(url, EXPLICIT_LE).content))
        pixels = same_color_space(want[0], want[1], back.PhotometricInterpretation)
        if count == 1:
            pixels = pixels[np.newaxis]
        dtype = pixels.dtype.newbyteorder("<")
        parts = read_multipart(r)
        assert all(p[0] == f"application/octet-stream; transfer-syntax={EXPLICIT_LE}" for p in parts), name
        assert [p[1] for p in parts] == [f.astype(dtype).tobytes() for f in pixels], name
        # no transfer-syntax named: decoded too
        plain = frames_of(url, 1, "application/octet-stream")
        assert plain.status_code == 200 and plain.content == parts[0][1], name
        checked += 1
    assert checked >= 25


def test_bit_packed_frames_start_at_a_byte_each(server, stored):
    base = dicom_base(server)
    study, series, sop = "1.2.826.0.1.3680043.8.498.9100", "1.2.826.0.1.3680043.8.498.9100.1", \
        "1.2.826.0.1.3680043.8.498.9100.1.1"
    rows, columns, frames = 5, 3, 4  # 15 bits a frame: every frame but the first starts inside a byte
    rng = np.random.default_rng(7)
    bits = rng.integers(0, 2, size=(frames, rows, columns), dtype=np.uint8)
    packed = np.packbits(bits.ravel(), bitorder="little").tobytes()
    data = make_instance(study, series, sop, rows=rows, columns=columns, frames=frames)
    ds = pydicom.dcmread(io.BytesIO(data))
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 1, 1, 0
    ds.PixelData = packed + b"\0" * (len(packed) % 2)
    buf = io.BytesIO()
    ds.save_as(buf)
    assert stow(base, [buf.getvalue()]).status_code == 200
    url = f"{base}/studies/{study}/series/{series}/instances/{sop}"
    assert np.array_equal(pydicom.dcmread(io.BytesIO(buf.getvalue())).pixel_array, bits)
    r = frames_of(url, "1,2,3,4", 'multipart/related; type="application/octet-stream"; transfer-syntax=*')
    assert r.status_code == 200, r.text
    got = [p[1] for p in read_multipart(r)]
    assert got == [np.packbits(f.ravel(), bitorder="little").tobytes() for f in bits]
    # and pydicom's 1-bit test images (little and big endian)
    for name in ("liver_1frame.dcm", "liver_expb_1frame.dcm"):
        ds = pydicom.dcmread(os.path.join(DICOM_TEST_FILES, name))
        one = frames_of(stored[1][name], 1, "application/octet-stream")
        assert one.status_code == 200, name
        assert one.content == np.packbits(ds.pixel_array.ravel(), bitorder="little").tobytes(), name


def voi_linear(values, center, width):
    """PS3.3 C.11.2.1.2.1 to 0..255."""
    c, w = center - 0.5, width - 1
    out = ((values - c) / w + 0.5) * 255
    return np.clip(out, 0, 255)


def rendered(url, accept=None, **params):
    headers = {"Accept": accept} if accept else {}
    return requests.get(f"{url}/rendered", headers=headers, params=params)


def test_rendered_jpeg_and_png_of_the_right_size(stored):
    base, files = stored
    cases = {"CT_small.dcm": "L", "MR_small_RLE.dcm": "L", "SC_rgb_jpeg_dcmtk.dcm": "RGB", "693_J2KI.dcm": "L",
             "SC_ybr_full_422_uncompressed.dcm": "RGB", "SC_rgb_rle_16bit.dcm": "RGB", "liver_1frame.dcm": "L",
             "MR_small_jpeg_ls_lossless.dcm": "L", "JPGExtended.dcm": "L", "rtdose.dcm": "L"}
    for name, mode in cases.items():
        ds = pydicom.dcmread(os.path.join(DICOM_TEST_FILES, name))
        url = files[name]
        for accept, fmt in ((None, "JPEG"), ("image/jpeg", "JPEG"), ("image/png", "PNG")):
            r = rendered(url, accept)
            assert r.status_code == 200, (name, r.text)
            assert r.headers["Content-Type"] == ("image/png" if fmt == "PNG" else "image/jpeg")
            img = Image.open(io.BytesIO(r.content))
            img.load()
            assert (img.format, img.size, img.mode) == (fmt, (ds.Columns, ds.Rows), mode), name
            if fmt == "PNG":
                png = np.asarray(img, dtype=float)
            else:
                jpeg = np.asarray(img, dtype=float)
        # the JPEG (quality 100) is the PNG's pixels but for compression noise
        assert np.abs(jpeg - png).mean() < 2, name
    # a frame of a multi-frame instance
    url = files["rtdose.dcm"]
    r = requests.get(f"{url}/frames/3/rendered", headers={"Accept": "image/png"})
    assert r.status_code == 200 and Image.open(io.BytesIO(r.content)).size == (10, 10)
    assert requests.get(f"{url}/frames/16/rendered").status_code == 404
    assert requests.get(f"{url}/frames/1,2/rendered").status_code == 400


def test_rendered_windowing_comes_from_the_dataset(stored):
    base, files = stored
    # MR_small: WindowCenter 600, WindowWidth 1600
    ds = pydicom.dcmread(os.path.join(DICOM_TEST_FILES, "MR_small.dcm"))
    png = Image.open(io.BytesIO(rendered(files["MR_small.dcm"], "image/png").content))
    want = voi_linear(ds.pixel_array.astype(float), 600, 1600)
    assert np.abs(np.asarray(png, dtype=float) - want).max() <= 1
    # CT_small: no window: the modality values' min-max range
    ds = pydicom.dcmread(os.path.join(DICOM_TEST_FILES, "CT_small.dcm"))
    png = Image.open(io.BytesIO(rendered(files["CT_small.dcm"], "image/png").content))
    values = ds.pixel_array.astype(float) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    lo, hi = values.min(), values.max()
    want = (values - lo) / (hi - lo) * 255
    assert np.abs(np.asarray(png, dtype=float) - want).max() <= 1


def test_rendered_quality_and_media_types(stored):
    base, files = stored
    url = files["SC_rgb_jpeg_dcmtk.dcm"]
    small = rendered(url, quality=5)
    large = rendered(url, quality=100)
    assert small.status_code == large.status_code == 200
    assert len(small.content) < len(large.content)
    for bad in ("0", "101", "high"):
        r = rendered(url, quality=bad)
        assert r.status_code == 400 and "quality" in r.json()["detail"]
    r = rendered(url, "image/gif")
    assert r.status_code == 406 and "image/png" in r.json()["detail"]
    r = rendered(url, "image/gif, image/png;q=0.5")
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
    # no Pixel Data: nothing to render
    r = rendered(files["rtplan.dcm"])
    assert r.status_code == 400 and "Pixel Data" in r.json()["detail"]


def pillow_frames(body):
    """The frames of a JPEG 2000 (or JPEG) instance, each codestream opened by Pillow (OpenJPEG),
    with the instance's dataset."""
    ds = pydicom.dcmread(io.BytesIO(body))
    count = int(ds.get("NumberOfFrames", 1) or 1)
    frames = []
    for stream in generate_pixel_data_frame(ds.PixelData, count):
        img = Image.open(io.BytesIO(stream))
        img.load()
        frames.append(np.asarray(img))
    return ds, frames


def pillow_values(ds, pixels):
    """Pillow scales grayscale JPEG 2000 of fewer than 16 bits up to 16 (shifted left) and adds
    2^(precision-1) to signed samples: back to the values."""
    values = pixels.astype(np.int64)
    if pixels.dtype == np.uint16 and ds.BitsStored < 16:
        values >>= 16 - ds.BitsStored
    if ds.PixelRepresentation == 1:
        values -= 1 << (ds.BitsStored - 1)
    return values


def pillow_comparable(ds, want, got):
    """(want, bits, mask) comparable with Pillow's answer: Pillow 9 gives color JPEG 2000 of more
    than 8 bits as 8-bit RGB, the samples rounded to 8 bits and wrapped (65535 becomes 0); mask:
    the samples that do not wrap."""
    if got.dtype == np.uint8 and ds.BitsStored > 8:
        shift = ds.BitsStored - 8
        rounded = (want + (1 << (shift - 1))) >> shift
        return rounded & 0xFF, 8, rounded <= 0xFF
    return want, ds.BitsStored, np.ones(want.shape, dtype=bool)


def as_frames(ds, pixels):
    return pixels if int(ds.get("NumberOfFrames", 1) or 1) > 1 else pixels[np.newaxis]


def psnr(a, b, bits):
    mse = np.mean((a.astype(float) - b.astype(float)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(((1 << bits) - 1) ** 2 / mse)


# monochrome signed 16-bit (native, RLE, JPEG-LS, J2K 14 of 16 bits), 8-bit, RGB 8 and 16 bits,
# multi-frame, JPEG YBR_FULL decoded to RGB
J2K_SOURCES = ["CT_small.dcm", "MR_small.dcm", "MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm", "693_J2KI.dcm",
               "image_dfl.dcm", "SC_rgb_rle.dcm", "SC_rgb_rle_16bit.dcm", "SC_rgb_rle_16bit_2frame.dcm",
               "SC_rgb_rle_2frame.dcm", "SC_rgb_jpeg_dcmtk.dcm"]


@pytest.mark.parametrize("source", J2K_SOURCES)
def test_jpeg2000_codestreams_open_with_pillow(stored, source):
    """.90: one raw J2K codestream per frame that Pillow (OpenJPEG) decodes to exactly the
    original pixels; .91: the right shape, close (PSNR), and the lossy attributes."""
    base, files = stored
    path = os.path.join(DICOM_TEST_FILES, source)
    original = pydicom.dcmread(path)
    want, want_pi = reference(path)
    want = same_color_space(want, want_pi, "RGB" if original.SamplesPerPixel == 3 else want_pi)
    want = stored_values(original, as_frames(original, want))

    r = get_instance(files[source], J2K_LOSSLESS)
    assert r.status_code == 200, (source, r.text)
    ds, frames = pillow_frames(r.content)
    assert ds.file_meta.TransferSyntaxUID == J2K_LOSSLESS
    assert ds.PhotometricInterpretation == ("YBR_RCT" if original.SamplesPerPixel == 3 else want_pi), source
    assert "LossyImageCompressionMethod" not in ds or ds.LossyImageCompressionMethod == \
        original.get("LossyImageCompressionMethod"), source
    got = np.stack([pillow_values(ds, f) for f in frames])
    assert got.shape == want.shape, source
    expected, _, _ = pillow_comparable(original, want, np.stack(frames))
    assert np.array_equal(got, expected), source

    if original.file_meta.TransferSyntaxUID == J2K:
        return  # stored in .91: served as stored
    r = get_instance(files[source], J2K)
    assert r.status_code == 200, (source, r.text)
    ds, frames = pillow_frames(r.content)
    assert ds.file_meta.TransferSyntaxUID == J2K
    assert ds.PhotometricInterpretation == ("YBR_ICT" if original.SamplesPerPixel == 3 else want_pi), source
    assert ds.LossyImageCompression == "01"
    methods = ds.LossyImageCompressionMethod
    assert (methods if isinstance(methods, str) else methods[-1]) == "ISO_15444_1"
    got = np.stack([pillow_values(ds, f) for f in frames])
    assert got.shape == want.shape, source
    expected, bits, valid = pillow_comparable(original, want, np.stack(frames))
    assert 30 < psnr(got[valid], expected[valid], bits) < float("inf"), source


def encapsulated_instance(original, frames, syntax, photometric):
    """A Part 10 file of the original's attributes with these compressed frames."""
    ds = pydicom.dcmread(os.path.join(DICOM_TEST_FILES, original))
    ds.PixelData = pydicom.encaps.encapsulate(frames)
    ds["PixelData"].is_undefined_length = True
    ds["PixelData"].VR = "OB"
    ds.NumberOfFrames = len(frames)
    ds.PhotometricInterpretation = photometric
    if ds.SamplesPerPixel == 3:
        ds.PlanarConfiguration = 0
    ds.file_meta.TransferSyntaxUID = syntax
    ds.is_little_endian, ds.is_implicit_VR = True, False
    buf = io.BytesIO()
    ds.save_as(buf, write_like_original=False)
    return buf.getvalue()


def decode_frames(source, parts, syntax):
    """The frames' pixels: JPEG baseline and JPEG 2000 through Pillow (as Pillow gives them, see
    pillow_values); lossless JPEG and JPEG-LS
    (Pillow has no decoder) put into a DICOM file and decoded by DCMTK's tools."""
    original = pydicom.dcmread(os.path.join(DICOM_TEST_FILES, source))
    if syntax in ("1.2.840.10008.1.2.4.50", J2K_LOSSLESS):
        out = []
        for p in parts:
            img = Image.open(io.BytesIO(p))
            img.load()
            out.append(np.asarray(img))
        return np.stack(out)
    photometric = original.PhotometricInterpretation
    if photometric in ("YBR_FULL", "YBR_FULL_422") and original.file_meta.TransferSyntaxUID.is_compressed:
        photometric = "RGB"  # decoded JPEG frames are RGB
    back = decode_with_dcmtk(encapsulated_instance(source, parts, syntax, photometric), syntax)
    return as_frames(back, back.pixel_array)


FRAME_SOURCES = ["CT_small.dcm", "MR_small_RLE.dcm", "SC_rgb_rle_2frame.dcm", "SC_rgb_rle_16bit_2frame.dcm",
                 "JPEG2000.dcm", "SC_rgb_jpeg_dcmtk.dcm", "MR_small_jpeg_ls_lossless.dcm", "image_dfl.dcm",
                 "SC_rgb_dcmtk_+eb+cy+np.dcm"]  # the last: JPEG YBR_FULL_422, decoded to RGB
FRAME_TARGETS = ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80", J2K_LOSSLESS]


@pytest.mark.parametrize("source", FRAME_SOURCES)
def test_frames_transcoded_to_compressed_syntaxes(stored, source):
    base, files = stored
    path = os.path.join(DICOM_TEST_FILES, source)
    original = pydicom.dcmread(path)
    want, want_pi = reference(path)
    want = as_frames(original, same_color_space(want, want_pi, "RGB"))
    count = len(want)
    numbers = ",".join(str(i + 1) for i in range(count))
    for target in FRAME_TARGETS:
        if target == "1.2.840.10008.1.2.4.80" and original.SamplesPerPixel == 3:
            continue  # color JPEG-LS is refused (see REFUSED)
        accept = f'multipart/related; type="application/octet-stream"; transfer-syntax={target}'
        r = frames_of(files[source], numbers, accept)
        assert r.status_code == 200, (source, target, r.text)
        parts = read_multipart(r)
        assert [p[0] for p in parts] == [f"application/octet-stream; transfer-syntax={target}"] * count
        got = decode_frames(source, [p[1] for p in parts], target)
        assert got.shape == want.shape, (source, target, got.shape, want.shape)
        if target == J2K_LOSSLESS:
            expected, _, _ = pillow_comparable(original, stored_values(original, want), got)
            assert np.array_equal(pillow_values(original, got), expected), (source, target)
        elif target in LOSSY:
            assert np.corrcoef(got.astype(float).ravel(), want.astype(float).ravel())[0, 1] > 0.99, (source, target)
        else:
            assert np.array_equal(stored_values(original, got), stored_values(original, want)), (source, target)
    # a single frame, not multipart
    single = frames_of(files[source], 1, f"application/octet-stream; transfer-syntax={J2K_LOSSLESS}")
    assert single.status_code == 200
    assert single.headers["Content-Type"] == f"application/octet-stream; transfer-syntax={J2K_LOSSLESS}"
    assert single.content[:2] == b"\xff\x4f"  # a J2K codestream


def test_frames_in_an_unsupported_syntax_are_406_naming_the_offered_ones(stored):
    base, files = stored
    for syntax in ("1.2.840.10008.1.2.2", "1.2.840.10008.1.2.4.100", "1.2.3.4"):
        r = frames_of(files["CT_small.dcm"], 1, f"application/octet-stream; transfer-syntax={syntax}")
        assert r.status_code == 406, syntax
        detail = r.json()["detail"]
        assert "transfer-syntax=*" in detail and EXPLICIT_LE in detail and J2K_LOSSLESS in detail, detail
    # an encoder that refuses the pixels: 32-bit frames in JPEG-LS
    r = frames_of(files["rtdose.dcm"], 1, "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.4.80")
    assert r.status_code == 406 and "cannot be encoded in JPEG-LS Lossless" in r.json()["detail"], r.text


def test_frames_as_image_media_types(stored):
    """PS3.18 image types for compressed frames, each with its default transfer syntax."""
    base, files = stored
    ct = pydicom.dcmread(os.path.join(DICOM_TEST_FILES, "CT_small.dcm"))
    r = frames_of(files["CT_small.dcm"], 1, 'multipart/related; type="image/jp2"')
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith('multipart/related; type="image/jp2"')
    [(ctype, body)] = read_multipart(r)
    assert ctype == f"image/jp2; transfer-syntax={J2K_LOSSLESS}"
    img = Image.open(io.BytesIO(body))
    assert np.array_equal(pillow_values(ct, np.asarray(img)), ct.pixel_array)
    # a single JPEG baseline frame
    r = frames_of(files["CT_small.dcm"], 1, "image/jpeg")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50"
    img = Image.open(io.BytesIO(r.content))
    assert (img.format, img.size) == ("JPEG", (ct.Columns, ct.Rows))
    # lossless JPEG by its type and syntax; JPEG-LS stored as such: the stored bytes
    r = frames_of(files["CT_small.dcm"], 1, "image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.70")
    assert r.status_code == 200 and r.content[:2] == b"\xff\xd8"
    ls = pydicom.dcmread(os.path.join(DICOM_TEST_FILES, "MR_small_jpeg_ls_lossless.dcm"))
    r = frames_of(files["MR_small_jpeg_ls_lossless.dcm"], 1, 'multipart/related; type="image/jls"')
    assert r.status_code == 200
    assert read_multipart(r)[0] == ("image/jls; transfer-syntax=1.2.840.10008.1.2.4.80",
                                    next(generate_pixel_data_frame(ls.PixelData, 1)))
    # a syntax that is not of the type: 406 naming the types
    r = frames_of(files["CT_small.dcm"], 1, f'multipart/related; type="image/jpeg"; transfer-syntax={J2K_LOSSLESS}')
    assert r.status_code == 406 and "image/jp2 .90 .91" in r.json()["detail"], r.text
