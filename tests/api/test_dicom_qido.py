"""DICOM service: QIDO-RS searches, as the OHIF viewer sends them."""
import pytest
import requests

from conftest import dicom_base, make_instance, stow

ROOT = "1.2.826.0.1.3680043.10.999"


def uid(*parts):
    return ".".join([ROOT, *map(str, parts)])


STUDIES = [
    # study n, patient name, patient id, date, accession, description, [(series modality, instances)]
    (1, "Müller^Jürgen", "PID1", "20200105", "ACC1", "Head CT", [("CT", 3), ("SR", 1)]),
    (2, "Mueller^Anna", "PID2", "20200620", "ACC2", "Chest MR", [("MR", 2)]),
    (3, "Smith^John^Q", "PID3", "20211231", "ACC3", "Chest CT", [("CT", 1)]),
    (4, "Smithers^Jane", "PID1", "20190101", "ACC4", "Knee", [("MR", 1), ("CT", 2)]),
]


@pytest.fixture(scope="module")
def base(server):
    b = dicom_base(server)
    for n, name, pid, date, acc, desc, series in STUDIES:
        parts = []
        for s, (modality, count) in enumerate(series, 1):
            for i in range(1, count + 1):
                parts.append(make_instance(uid(n), uid(n, s), uid(n, s, i), patient_name=name, patient_id=pid,
                                           study_date=date, modality=modality, AccessionNumber=acc,
                                           StudyDescription=desc, SeriesDescription=f"{modality} series {s}",
                                           SeriesNumber=s, InstanceNumber=i, SeriesDate=date))
        r = stow(b, parts)
        assert r.status_code == 200, r.text
    return b


def values(rows, tag):
    return [r.get(tag, {}).get("Value", [None])[0] for r in rows]


def study_numbers(rows):
    return sorted(int(u.rsplit(".", 1)[1]) for u in values(rows, "0020000D"))


def search(base, path="studies", **params):
    r = requests.get(f"{base}/{path}", params=params, headers={"Accept": "application/dicom+json"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/dicom+json")
    return r.json()


def test_all_studies_with_default_attributes_and_counts(base):
    rows = search(base)
    assert study_numbers(rows) == [1, 2, 3, 4]
    one = [r for r in rows if r["0020000D"]["Value"][0] == uid(1)][0]
    assert one["00100010"] == {"vr": "PN", "Value": [{"Alphabetic": "Müller^Jürgen"}]}
    assert one["00100020"]["Value"] == ["PID1"]
    assert one["00080020"]["Value"] == ["20200105"]
    assert one["00080061"]["Value"] == ["CT", "SR"]  # ModalitiesInStudy
    assert one["00201206"]["Value"] == [2]  # NumberOfStudyRelatedSeries
    assert one["00201208"]["Value"] == [4]  # NumberOfStudyRelatedInstances
    assert one["00081190"]["Value"][0] == f"{base}/studies/{uid(1)}"
    assert list(one) == sorted(one)


def test_exact_wildcard_and_uid_lists(base):
    assert study_numbers(search(base, PatientID="PID1")) == [1, 4]
    assert study_numbers(search(base, AccessionNumber="ACC3")) == [3]
    assert study_numbers(search(base, StudyDescription="Chest*")) == [2, 3]
    assert study_numbers(search(base, StudyDescription="?hest CT")) == [3]
    assert study_numbers(search(base, PatientName="smith*")) == [3, 4]  # PN: case-insensitive
    assert study_numbers(search(base, PatientName="Smith^John^Q")) == [3]
    assert study_numbers(search(base, StudyInstanceUID=f"{uid(1)}\\{uid(3)}")) == [1, 3]
    assert study_numbers(search(base, StudyInstanceUID=f"{uid(2)},{uid(4)}")) == [2, 4]
    assert study_numbers(search(base, **{"00100020": "PID2"})) == [2]
    assert search(base, PatientID="nobody") == []


def test_date_ranges(base):
    assert study_numbers(search(base, StudyDate="20200101-20201231")) == [1, 2]
    assert study_numbers(search(base, StudyDate="20200601-")) == [2, 3]
    assert study_numbers(search(base, StudyDate="-20191231")) == [4]
    assert study_numbers(search(base, StudyDate="20211231")) == [3]


def test_fuzzy_person_names(base):
    assert study_numbers(search(base, PatientName="mull", fuzzymatching="true")) == [1]  # accents folded
    assert study_numbers(search(base, PatientName="jurg", fuzzymatching="true")) == [1]
    assert study_numbers(search(base, PatientName="MUE", fuzzymatching="true")) == [2]
    assert study_numbers(search(base, PatientName="smith", fuzzymatching="true")) == [3, 4]
    assert study_numbers(search(base, PatientName="john smi", fuzzymatching="true")) == [3]
    assert study_numbers(search(base, PatientName="ohn", fuzzymatching="true")) == []  # word prefixes only
    assert search(base, PatientName="mull") == []  # not fuzzy: exact


def test_modalities_in_study(base):
    assert study_numbers(search(base, ModalitiesInStudy="MR")) == [2, 4]
    assert study_numbers(search(base, ModalitiesInStudy="SR")) == [1]
    assert study_numbers(search(base, ModalitiesInStudy="SR\\MR")) == [1, 2, 4]


def test_limit_offset_and_ohif_query(base):
    all_rows = search(base, limit="101", offset="0")
    assert len(all_rows) == 4
    page1 = search(base, limit="2")
    page2 = search(base, limit="2", offset="2")
    assert len(page1) == 2 and len(page2) == 2
    assert study_numbers(page1 + page2) == [1, 2, 3, 4]
    assert search(base, limit="2", offset="4") == []
    # the OHIF study list
    rows = search(base, limit="101", offset="0", fuzzymatching="false",
                  includefield="00081030,00080060,00080090,00100030", StudyDate="20190101-20211231")
    assert study_numbers(rows) == [1, 2, 3, 4]
    assert all("00081030" in r for r in rows)


def test_includefield(base):
    rows = search(base, StudyInstanceUID=uid(1), includefield="all")
    assert "00201208" in rows[0] and "00080061" in rows[0]
    # a tag the index does not hold comes from an instance's stored metadata
    rows = search(base, StudyInstanceUID=uid(1), includefield="PhotometricInterpretation,00280010")
    assert rows[0]["00280004"]["Value"] == ["MONOCHROME2"]
    assert rows[0]["00280010"]["Value"] == [4]


def test_series_and_instance_levels(base):
    series = search(base, f"studies/{uid(1)}/series", includefield="0008103E,00080021")
    assert sorted(values(series, "0020000E")) == [uid(1, 1), uid(1, 2)]
    ct = [s for s in series if s["00080060"]["Value"] == ["CT"]][0]
    assert ct["0008103E"]["Value"] == ["CT series 1"]
    assert ct["00201209"]["Value"] == [3]  # NumberOfSeriesRelatedInstances
    assert ct["0020000D"]["Value"] == [uid(1)]
    assert sorted(values(search(base, "series", Modality="MR"), "0020000E")) == [uid(2, 1), uid(4, 1)]
    assert sorted(values(search(base, "series", PatientID="PID1", Modality="CT"), "0020000E")) == [uid(1, 1), uid(4, 2)]
    inst = search(base, f"studies/{uid(1)}/series/{uid(1, 1)}/instances")
    assert sorted(values(inst, "00080018")) == [uid(1, 1, i) for i in (1, 2, 3)]
    assert inst[0]["00080016"]["Value"] == ["1.2.840.10008.5.1.4.1.1.7"]
    assert inst[0]["00081190"]["Value"][0].startswith(f"{base}/studies/{uid(1)}/series/{uid(1, 1)}/instances/")
    assert len(search(base, f"studies/{uid(4)}/instances")) == 3
    assert len(search(base, "instances", SOPInstanceUID=uid(2, 1, 2))) == 1
    assert len(search(base, "instances", Modality="MR")) == 3


def test_bad_queries_are_400_with_a_message(base):
    for params in ({"limit": "0"}, {"limit": "201"}, {"offset": "-1"}, {"StudyDate": "2020-01-01"},
                   {"StudyDate": "2020"}, {"Modality": "CT"}, {"NoSuchThing": "x"}, {"StudyInstanceUID": "abc"},
                   {"fuzzymatching": "maybe"}, {"includefield": "NotAKeyword"}, {"SeriesDescription": "x"}):
        r = requests.get(f"{base}/studies", params=params)
        assert r.status_code == 400, (params, r.text)
        assert r.json()["detail"], params
