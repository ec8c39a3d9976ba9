"""DICOM service: extended query tags (add with a re-index operation, list, get, update, errors,
delete) and QIDO on them; STOW indexing new instances on the tags."""
import time

import requests

from conftest import dicom_base, make_instance, stow

ROOT = "1.2.826.0.1.3680043.10.997"
OWNER = "DICOM Data Owner"
READER = "DICOM Data Reader"


def uid(*parts):
    return ".".join([ROOT, *map(str, parts)])


def wait_operation(base, href):
    assert href.startswith(base + "/operations/")
    deadline = time.time() + 30
    while time.time() < deadline:
        r = requests.get(href)
        assert r.status_code in (200, 202), r.text
        op = r.json()
        if op["status"] in ("completed", "failed"):
            assert r.status_code == 200
            return op
        assert r.status_code == 202
        time.sleep(0.05)
    raise AssertionError("the operation did not finish")


def add_tags(base, tags):
    r = requests.post(f"{base}/extendedquerytags", json=tags)
    assert r.status_code == 202, r.text
    ref = r.json()
    assert set(ref) == {"id", "href"} and len(ref["id"]) == 32
    assert r.headers["Location"] == ref["href"]
    return ref


def search(base, path, **params):
    r = requests.get(f"{base}/{path}", params=params, headers={"Accept": "application/dicom+json"})
    assert r.status_code == 200, r.text
    return r


def sops(rows):
    return sorted(r["00080018"]["Value"][0].rsplit(".", 1)[1] for r in rows)


def test_extended_query_tags_lifecycle(server):
    base = dicom_base(server)
    # Stored before the tags exist: re-indexed by the operation. Instance 3's age breaks AS rules.
    stored = [
        make_instance(uid(1), uid(1, 1), uid(1, 1, 1), PatientAge="035Y", Manufacturer="GE MEDICAL",
                      AcquisitionDateTime="20200315123000", SpatialResolution="0.50"),
        make_instance(uid(2), uid(2, 1), uid(2, 1, 2), PatientAge="040Y", Manufacturer="Siemens",
                      AcquisitionDateTime="20210101"),
        make_instance(uid(3), uid(3, 1), uid(3, 1, 3), PatientAge="forty", Manufacturer="GE Healthcare"),
    ]
    r = stow(base, stored)
    assert r.status_code == 200, r.text

    ref = add_tags(base, [
        {"path": "PatientAge", "level": "Study"},
        {"path": "00080070", "vr": "LO", "level": "Series"},
        {"Path": "AcquisitionDateTime", "Level": "Instance"},
        {"path": "SpatialResolution", "level": "Instance"},
    ])
    op = wait_operation(base, ref["href"])
    assert op["status"] == "completed" and op["percentComplete"] == 100
    assert op["operationId"] == ref["id"] and op["type"] == "reindex"
    assert op["resources"] == [f"{base}/extendedquerytags/{p}" for p in ("00101010", "00080070", "0008002A", "00181050")]
    assert op["createdTime"].endswith("Z") and op["lastUpdatedTime"] >= op["createdTime"]

    # list, get (by tag or keyword)
    tags = requests.get(f"{base}/extendedquerytags").json()
    assert [t["path"] for t in tags] == ["00101010", "00080070", "0008002A", "00181050"]
    manufacturer = requests.get(f"{base}/extendedquerytags/Manufacturer").json()
    assert manufacturer == {"path": "00080070", "vr": "LO", "level": "Series", "status": "Ready",
                            "queryStatus": "Enabled"}
    assert requests.get(f"{base}/extendedquerytags?limit=2&offset=1").json()[0]["path"] == "00080070"
    assert len(requests.get(f"{base}/extendedquerytags?limit=2").json()) == 2

    # the invalid age: an error, and the tag's QueryStatus disabled automatically
    age = requests.get(f"{base}/extendedquerytags/00101010").json()
    assert age["status"] == "Ready" and age["queryStatus"] == "Disabled"
    assert age["errors"] == {"count": 1, "href": f"{base}/extendedquerytags/00101010/errors"}
    errors = requests.get(age["errors"]["href"]).json()
    assert len(errors) == 1
    assert errors[0]["sopInstanceUid"] == uid(3, 1, 3) and errors[0]["studyInstanceUid"] == uid(3)
    assert "forty" in errors[0]["errorMessage"] and "AS" in errors[0]["errorMessage"]
    r = requests.get(f"{base}/studies", params={"PatientAge": "035Y"})
    assert r.status_code == 400 and "Disabled" in r.json()["detail"]

    # enabled by hand: searchable, and the answer names the tag with errors
    r = requests.patch(f"{base}/extendedquerytags/PatientAge", json={"QueryStatus": "Enabled"})
    assert r.status_code == 200 and r.json()["queryStatus"] == "Enabled"
    r = search(base, "studies", PatientAge="035Y")
    assert [x["0020000D"]["Value"][0] for x in r.json()] == [uid(1)]
    assert r.json()[0]["00101010"] == {"vr": "AS", "Value": ["035Y"]}
    assert r.headers["erroneous-dicom-attributes"] == "PatientAge"

    # QIDO at each tag's level: wildcards, DT ranges, numbers
    r = search(base, "series", Manufacturer="GE*")
    assert sorted(x["0020000E"]["Value"][0] for x in r.json()) == [uid(1, 1), uid(3, 1)]
    assert "erroneous-dicom-attributes" not in r.headers
    assert sops(search(base, "instances", AcquisitionDateTime="20200101-20201231").json()) == ["1"]
    assert sops(search(base, "instances", AcquisitionDateTime="2021-").json()) == ["2"]
    assert sops(search(base, "instances", SpatialResolution="0.5").json()) == ["1"]
    assert sops(search(base, "instances", **{"00080070": "Siemens"}).json()) == ["2"]
    assert requests.get(f"{base}/studies", params={"Manufacturer": "Siemens"}).status_code == 400  # series level
    one = search(base, f"studies/{uid(2)}/instances", includefield="all").json()[0]
    assert one["0008002A"]["Value"] == ["20210101"] and one["00080070"]["Value"] == ["Siemens"]

    # new instances are indexed at STOW
    r = stow(base, [make_instance(uid(4), uid(4, 1), uid(4, 1, 4), PatientAge="035Y", Manufacturer="Siemens")])
    assert r.status_code == 200, r.text
    assert sorted(x["0020000D"]["Value"][0] for x in search(base, "studies", PatientAge="035Y").json()) == [uid(1), uid(4)]
    # an invalid value of an extended query tag: v1 refuses the instance, v2 stores it with a warning
    bad = make_instance(uid(5), uid(5, 1), uid(5, 1, 5), AcquisitionDateTime="2020-03-15")
    r = stow(dicom_base(server, version="v1"), [bad])
    assert r.status_code == 409
    assert r.json()["00081198"]["Value"][0]["00081197"]["Value"] == [43264]
    r = stow(base, [bad])
    assert r.status_code == 202, r.text
    item = r.json()["00081199"]["Value"][0]
    assert item["00081196"]["Value"] == [45063]
    assert "AcquisitionDateTime" in item["00741048"]["Value"][0]["00000902"]["Value"][0]

    # adding again: conflict; standard searchable attributes and bad bodies: 400
    r = requests.post(f"{base}/extendedquerytags", json=[{"path": "00101010", "level": "Study"}])
    assert r.status_code == 409 and "exists" in r.json()["detail"]
    r = requests.post(f"{base}/extendedquerytags", json=[{"path": "PatientName", "level": "Study"}])
    assert r.status_code == 400 and "already searchable" in r.json()["detail"]
    r = requests.post(f"{base}/extendedquerytags", json=[{"path": "00101010", "vr": "LO", "level": "Study"}])
    assert r.status_code == 400
    assert requests.post(f"{base}/extendedquerytags", data="[", headers={"Content-Type": "application/json"}).status_code == 400
    assert requests.get(f"{base}/extendedquerytags/NotAKeyword").status_code == 400
    assert requests.get(f"{base}/extendedquerytags/00100040").status_code == 404
    assert requests.get(f"{base}/operations/0123456789abcdef0123456789abcdef").status_code == 404
    r = requests.patch(f"{base}/extendedquerytags/PatientAge", json={"QueryStatus": "Sometimes"})
    assert r.status_code == 400
    assert requests.get(f"{base}/extendedquerytags?limit=500").status_code == 400

    # delete: gone, and no longer searchable
    assert requests.delete(f"{base}/extendedquerytags/PatientAge").status_code == 204
    assert requests.get(f"{base}/extendedquerytags/PatientAge").status_code == 404
    assert requests.delete(f"{base}/extendedquerytags/PatientAge").status_code == 404
    r = requests.get(f"{base}/studies", params={"PatientAge": "035Y"})
    assert r.status_code == 400


def test_private_tags_and_the_limit(server):
    base = dicom_base(server)
    data = make_instance(uid(10), uid(10, 1), uid(10, 1, 1))
    # a private block (0401,0010) = "HealthdTest" with (0401,1001) SS = -7
    import io

    import pydicom
    ds = pydicom.dcmread(io.BytesIO(data))
    block = ds.private_block(0x0401, "HealthdTest", create=True)
    block.add_new(0x01, "SS", -7)
    buf = io.BytesIO()
    ds.save_as(buf, write_like_original=False)
    assert stow(base, [buf.getvalue()]).status_code == 200
    ref = add_tags(base, [{"path": "04011001", "vr": "SS", "privateCreator": "HealthdTest", "level": "Instance"}])
    assert wait_operation(base, ref["href"])["status"] == "completed"
    tag = requests.get(f"{base}/extendedquerytags/04011001").json()
    assert tag["privateCreator"] == "HealthdTest" and tag["queryStatus"] == "Enabled"
    assert sops(search(base, "instances", **{"04011001": "-7"}).json()) == ["1"]
    assert search(base, "instances", **{"04011001": "7"}).json() == []

    # 128 at most, counting those that exist
    have = len(requests.get(f"{base}/extendedquerytags").json())
    keywords = ["PatientWeight", "PatientSize", "EthnicGroup", "Occupation", "MilitaryRank",
                "PregnancyStatus", "BodyPartExamined", "ProtocolName", "SliceThickness", "KVP"]
    r = requests.post(f"{base}/extendedquerytags", json=[{"path": k, "level": "Study"} for k in keywords])
    assert r.status_code == 202, r.text
    wait_operation(base, r.json()["href"])
    # Fill up with private tags of one creator, then one more is refused.
    room = 128 - have - len(keywords)
    r = requests.post(f"{base}/extendedquerytags", json=[
        {"path": f"0403{0x1000 + i:04X}", "vr": "LO", "privateCreator": "Fill", "level": "Series"} for i in range(room)])
    assert r.status_code == 202, r.text
    r = requests.post(f"{base}/extendedquerytags",
                      json=[{"path": "04051001", "vr": "LO", "privateCreator": "Fill", "level": "Series"}])
    assert r.status_code == 400 and "128" in r.json()["detail"]
    assert len(requests.get(f"{base}/extendedquerytags?limit=200").json()) == 128


def test_roles(server):
    base = dicom_base(server)
    aud = f"{server.origin}/default/dicom/default"
    reader = {"Authorization": "Bearer " + server.token(audience=aud, roles=READER)}
    owner = {"Authorization": "Bearer " + server.token(audience=aud, roles=OWNER)}
    body = [{"path": "StationName", "level": "Series"}]
    assert requests.post(f"{base}/extendedquerytags", json=body, headers=reader).status_code == 403
    assert requests.get(f"{base}/extendedquerytags", headers=reader).status_code == 200
    r = requests.post(f"{base}/extendedquerytags", json=body, headers=owner)
    assert r.status_code in (202, 400), r.text  # 400 once the limit test filled the service
    assert requests.delete(f"{base}/extendedquerytags/StationName", headers=reader).status_code == 403
    assert requests.patch(f"{base}/extendedquerytags/StationName", json={"QueryStatus": "Disabled"},
                          headers=reader).status_code == 403


def test_operation_resumes_after_restart(new_server):
    s = new_server("eqt-restart").start()
    base = dicom_base(s)
    assert stow(base, [make_instance(uid(20), uid(20, 1), uid(20, 1, i), Manufacturer=f"M{i}")
                       for i in range(1, 41)]).status_code == 200
    ref = add_tags(base, [{"path": "Manufacturer", "level": "Instance"}])
    s.stop()
    s.start()
    op = wait_operation(base, ref["href"])
    assert op["status"] == "completed"
    assert sops(search(base, "instances", Manufacturer="M17").json()) == ["17"]
