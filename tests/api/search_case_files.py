"""Data-driven search cases shared by the conformance and custom-parameter suites: a folder of
*.txt files (one `query -> expected` line per case, `#` comments) and the dataset.json they run on."""
import json
import os

import pytest

from conftest import put


def load_cases(folder):
    cases = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".txt"):
            continue
        for n, line in enumerate(open(os.path.join(folder, name), encoding="utf-8"), 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            query, _, expect = line.partition(" ->")
            cases.append(pytest.param(query.strip(), expect.strip(), id=f"{name[:-4]}:{n}:{query.strip()}"))
    return cases


def load_dataset(base, folder):
    """PUTs every resource of folder/dataset.json (each must be new: 201); returns base."""
    for res in json.load(open(os.path.join(folder, "dataset.json"), encoding="utf-8")):
        r = put(base, res["resourceType"], res["id"], res)
        assert r.status_code == 201, r.text
    return base
