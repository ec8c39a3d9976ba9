"""Search conformance cases as data: tests/api/search_cases/*.txt run against dataset.json (see
search_cases/README.md). Every line is one test."""
import json
import os

import pytest
import requests

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "search_cases")


def load_cases():
    cases = []
    for name in sorted(os.listdir(HERE)):
        if not name.endswith(".txt"):
            continue
        for n, line in enumerate(open(os.path.join(HERE, name), encoding="utf-8"), 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            query, _, expect = line.partition(" ->")
            cases.append(pytest.param(query.strip(), expect.strip(), id=f"{name[:-4]}:{n}:{query.strip()}"))
    return cases


@pytest.fixture(scope="module")
def loaded(base):
    for res in json.load(open(os.path.join(HERE, "dataset.json"), encoding="utf-8")):
        r = requests.put(f"{base}/{res['resourceType']}/{res['id']}", json=res,
                         headers={"Content-Type": "application/fhir+json"})
        assert r.status_code == 201, r.text
    return base


def ids(entries, mode):
    return [e["resource"]["id"] for e in entries if e.get("search", {}).get("mode") == mode]


@pytest.mark.parametrize("query,expect", load_cases())
def test_search_case(loaded, query, expect):
    url = f"{loaded}/{query}" if not query.startswith("?") else f"{loaded}{query}"
    r = requests.get(url, headers={"Prefer": "handling=strict"})
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["resourceType"] == "Bundle" and b["type"] == "searchset"
    entries = b.get("entry", [])
    if expect.startswith("total "):
        assert b.get("total") == int(expect.split()[1])
        assert ids(entries, "match") == []
        return
    match, _, include = expect.partition(";")
    want = [x.strip() for x in match.split(",") if x.strip()]
    assert ids(entries, "match") == want
    if ";" in expect:
        assert ids(entries, "include") == [x.strip() for x in include.split(",") if x.strip()]
