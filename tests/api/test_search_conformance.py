"""Search conformance cases as data: tests/api/search_cases/*.txt run against dataset.json (see
search_cases/README.md). Every line is one test."""
import os

import pytest
import requests

from search_case_files import load_cases, load_dataset

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "search_cases")


@pytest.fixture(scope="module")
def loaded(base):
    return load_dataset(base, HERE)


def ids(entries, mode):
    return [e["resource"]["id"] for e in entries if e.get("search", {}).get("mode") == mode]


@pytest.mark.parametrize("query,expect", load_cases(HERE))
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
