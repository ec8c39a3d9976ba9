"""DICOM service: large STOW-RS uploads stream to disk. A ~300 MB instance is stored while the
server's peak memory (VmHWM) grows by far less than the upload; the stored file is the upload."""
import hashlib
import http.client
import io
import os
import struct
import time
import urllib.parse

import requests

from conftest import dicom_base, make_instance

ROOT = "1.2.826.0.1.3680043.10.996"
FRAME = 512 * 512  # 8-bit frames
FRAMES = 1200      # 314,572,800 bytes of pixel data


def write_large_instance(path):
    """A native 8-bit multi-frame instance: pydicom writes the header, the Pixel Data value is
    appended in chunks (the test never holds it in memory). Returns (size, sha256)."""
    import pydicom

    small = make_instance(f"{ROOT}.1", f"{ROOT}.1.1", f"{ROOT}.1.1.1", rows=512, columns=512, frames=2)
    ds = pydicom.dcmread(io.BytesIO(small))
    ds.NumberOfFrames = FRAMES
    del ds.PixelData
    head = io.BytesIO()
    ds.save_as(head, write_like_original=False)
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        for part in (head.getvalue(), struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, FRAME * FRAMES)):
            f.write(part)
            digest.update(part)
        chunk = bytes(range(256)) * (FRAME // 256)
        for _ in range(FRAMES):
            f.write(chunk)
            digest.update(chunk)
        return f.tell(), digest


def vm_hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def post_streaming(url, token, path, size, chunked):
    """POST multipart/related with the file as its one part, sent in 1 MB writes."""
    boundary = "healthd-large-upload"
    head = f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=300)
    headers = {"Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}',
               "Accept": "application/dicom+json", "Authorization": "Bearer " + token}
    if chunked:
        headers["Transfer-Encoding"] = "chunked"
    else:
        headers["Content-Length"] = str(len(head) + size + len(tail))
    c.putrequest("POST", u.path)
    for k, v in headers.items():
        c.putheader(k, v)
    c.endheaders()

    def send(data):
        c.send(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)

    send(head)
    with open(path, "rb") as f:
        while True:
            data = f.read(1 << 20)
            if not data:
                break
            send(data)
    send(tail)
    if chunked:
        c.send(b"0\r\n\r\n")
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


def test_large_instance_streams_to_disk(server, workdir):
    base = dicom_base(server)
    path = os.path.join(workdir, "large.dcm")
    size, digest = write_large_instance(path)
    assert size > 300_000_000
    token = server.token(audience=f"{server.origin}/default/dicom/default")
    before = vm_hwm_kb(server.proc.pid)

    status, body = post_streaming(f"{base}/studies", token, path, size, chunked=False)
    assert status == 200, body[:500]
    grown_mb = (vm_hwm_kb(server.proc.pid) - before) / 1024
    assert grown_mb < 64, f"peak memory grew by {grown_mb:.0f} MB for a {size / 2**20:.0f} MB upload"

    # The stored file is the upload (its preamble was zeros already); metadata points at bulk data.
    inst = f"{base}/studies/{ROOT}.1/series/{ROOT}.1.1/instances/{ROOT}.1.1.1"
    md = requests.get(f"{inst}/metadata").json()[0]
    assert md["00280008"]["Value"] == [FRAMES]
    assert "BulkDataURI" in md["7FE00010"]
    stored = os.path.join(server.data_dir, "workspaces", "default", "dicomservices", "default", "files",
                          f"{ROOT}.1", f"{ROOT}.1.1", f"{ROOT}.1.1.1.dcm")
    h = hashlib.sha256()
    with open(stored, "rb") as f:
        while data := f.read(1 << 22):
            h.update(data)
    assert os.path.getsize(stored) == size and h.hexdigest() == digest.hexdigest()
    frame = requests.get(f"{inst}/frames/{FRAMES}", headers={"Accept": "application/octet-stream"})
    assert frame.status_code == 200 and frame.content == bytes(range(256)) * (FRAME // 256)

    # Chunked transfer (no Content-Length): spills to a file once past 1 MB; a repeat is 45070.
    status, body = post_streaming(f"{base}/studies", token, path, size, chunked=True)
    assert status == 409, body[:500]
    assert b"45070" in body or b'"00081197"' in body
    grown_mb = (vm_hwm_kb(server.proc.pid) - before) / 1024
    assert grown_mb < 64, f"peak memory grew by {grown_mb:.0f} MB (chunked)"
    os.remove(path)
    # No upload is left behind in the service's upload folder (the body file goes with its
    # request, just after the answer is written).
    tmp = os.path.join(server.data_dir, "workspaces", "default", "dicomservices", "default", "tmp")
    deadline = time.time() + 5
    while os.listdir(tmp) and time.time() < deadline:
        time.sleep(0.05)
    assert os.listdir(tmp) == []


def test_upload_limit_and_small_bodies(new_server):
    s = new_server("dicom-upload-limit", """
workspaces:
  - name: default
    services:
      - kind: dicom
        name: default
        settings:
          max_upload_bytes: 3000000
""")
    s.start()
    base = dicom_base(s)
    # small bodies stay in memory and work as before
    data = make_instance(f"{ROOT}.2", f"{ROOT}.2.1", f"{ROOT}.2.1.1")
    r = requests.post(f"{base}/studies", data=data, headers={"Content-Type": "application/dicom"})
    assert r.status_code == 200, r.text
    # a 2 MB body goes through a file (above the 1 MB memory threshold), single part
    big = make_instance(f"{ROOT}.3", f"{ROOT}.3.1", f"{ROOT}.3.1.1", rows=1024, columns=1024, frames=2)
    r = requests.post(f"{base}/studies", data=big, headers={"Content-Type": "application/dicom"})
    assert r.status_code == 200, r.text
    got = requests.get(f"{base}/studies/{ROOT}.3/series/{ROOT}.3.1/instances/{ROOT}.3.1.1",
                       headers={"Accept": "application/dicom"})
    assert got.content[128:] == big[128:]
    # over the service's max_upload_bytes: 413
    huge = make_instance(f"{ROOT}.4", f"{ROOT}.4.1", f"{ROOT}.4.1.1", rows=1024, columns=1024, frames=3)
    r = requests.post(f"{base}/studies", data=huge, headers={"Content-Type": "application/dicom"})
    assert r.status_code == 413
