"""DICOM service: delete, the change feed (v1 and v2), overwrite."""
import datetime
import os

import requests

from conftest import dicom_base, make_instance, stow

ROOT = "1.2.826.0.1.3680043.10.998"


def uid(*parts):
    return ".".join([ROOT, *map(str, parts)])


def feed(base, **params):
    r = requests.get(f"{base}/changefeed", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_delete_and_change_feed(server):
    base = dicom_base(server)
    start = feed(base, limit="100")
    offset = start[-1]["Sequence"] if start else 0
    parts = [make_instance(uid(1), uid(1, s), uid(1, s, i)) for s in (1, 2) for i in (1, 2)]
    assert stow(base, parts, study=uid(1)).status_code == 200
    created = feed(base, offset=str(offset))
    assert [e["Action"] for e in created] == ["create"] * 4
    assert all(e["State"] == "current" for e in created)
    assert created[0]["StudyInstanceUid"] == uid(1) and created[0]["SopInstanceUid"] == uid(1, 1, 1)
    assert created[0]["Metadata"]["00080018"]["Value"] == [uid(1, 1, 1)]
    assert "Metadata" not in feed(base, offset=str(offset), includemetadata="false")[0]
    datetime.datetime.fromisoformat(created[0]["Timestamp"].replace("Z", "+00:00"))

    inst = f"{base}/studies/{uid(1)}/series/{uid(1, 1)}/instances/{uid(1, 1, 1)}"
    assert requests.delete(inst).status_code == 204
    assert requests.delete(inst).status_code == 404
    assert requests.get(inst).status_code == 404
    assert requests.delete(f"{base}/studies/{uid(1)}/series/{uid(1, 2)}").status_code == 204
    assert requests.get(f"{base}/studies/{uid(1)}/series/{uid(1, 2)}/metadata").status_code == 404
    left = requests.get(f"{base}/studies/{uid(1)}/metadata").json()
    assert [m["00080018"]["Value"][0] for m in left] == [uid(1, 1, 2)]
    assert requests.delete(f"{base}/studies/{uid(1)}").status_code == 204
    assert requests.get(f"{base}/studies", params={"StudyInstanceUID": uid(1)}).json() == []
    assert requests.delete(f"{base}/studies/{uid(1)}").status_code == 404

    entries = feed(base, offset=str(offset))
    assert [e["Action"] for e in entries] == ["create"] * 4 + ["delete"] * 4
    assert all(e["State"] == "deleted" for e in entries)
    assert all("Metadata" not in e for e in entries)
    latest = requests.get(f"{base}/changefeed/latest").json()
    assert latest["Sequence"] == entries[-1]["Sequence"] and latest["Action"] == "delete"
    # paging
    assert [e["Sequence"] for e in feed(base, offset=str(offset), limit="3")] == [e["Sequence"] for e in entries[:3]]
    # the files are gone
    data = os.path.join(server.data_dir, "workspaces", "default", "dicomservices", "default", "files", uid(1))
    assert not os.path.exists(data)


def test_change_feed_v2_time_window_and_limits(server):
    base = dicom_base(server)
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=2)
    assert stow(base, [make_instance(uid(2), uid(2, 1), uid(2, 1, 1))]).status_code == 200
    after = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    window = feed(base, startTime=before.strftime(fmt), endTime=after.strftime(fmt))
    assert uid(2, 1, 1) in [e["SopInstanceUid"] for e in window]
    assert feed(base, startTime=after.strftime(fmt)) == []
    v1 = dicom_base(server, version="v1")
    assert requests.get(f"{v1}/changefeed", params={"limit": "101"}).status_code == 400
    assert requests.get(f"{base}/changefeed", params={"limit": "200"}).status_code == 200
    assert requests.get(f"{base}/changefeed", params={"startTime": "yesterday"}).status_code == 400
    assert requests.get(f"{v1}/changefeed", params={"startTime": "2020-01-01"}).status_code == 400
    assert requests.get(f"{base}/changefeed", params={"offset": "x"}).status_code == 400


def test_duplicates_and_overwrite(server):
    mgmt = f"{server.origin}/management/workspaces/default/dicomservices"
    base = dicom_base(server)
    one = make_instance(uid(3), uid(3, 1), uid(3, 1, 1), patient_name="First^Version")
    assert stow(base, [one]).status_code == 200
    r = stow(base, [one])
    assert r.status_code == 409
    assert r.json()["00081198"]["Value"][0]["00081197"]["Value"] == [45070]
    # a study UID in the URL that does not match: 43265
    r = stow(base, [make_instance(uid(4), uid(4, 1), uid(4, 1, 1))], study=uid(3))
    assert r.status_code == 409 and r.json()["00081198"]["Value"][0]["00081197"]["Value"] == [43265]
    # mixed: one stored, one failed -> 202
    r = stow(base, [one, make_instance(uid(3), uid(3, 1), uid(3, 1, 2))])
    assert r.status_code == 202 and len(r.json()["00081199"]["Value"]) == 1

    r = requests.put(f"{mgmt}/overwriting", json={"properties": {"overwrite": True}})
    assert r.status_code == 201, r.text
    assert r.json()["properties"]["overwrite"] is True
    obase = r.json()["properties"]["serviceUrl"] + "/v2"
    assert stow(obase, [one]).status_code == 200
    two = make_instance(uid(3), uid(3, 1), uid(3, 1, 1), patient_name="Second^Version")
    assert stow(obase, [two]).status_code == 200
    md = requests.get(f"{obase}/studies/{uid(3)}/metadata").json()
    assert md[0]["00100010"]["Value"][0]["Alphabetic"] == "Second^Version"
    entries = feed(obase)
    assert [(e["Action"], e["State"]) for e in entries] == [("create", "replaced"), ("update", "current")]
    assert "Metadata" not in entries[0] and entries[1]["Metadata"]["00100010"]["Value"][0]["Alphabetic"] == "Second^Version"
    assert requests.delete(f"{mgmt}/overwriting").status_code == 200
