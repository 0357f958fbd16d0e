"""A saved baseline gives the same numbers as a round from the raw reference."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import driftscope
from driftscope.errors import BaselineError


def _data(tmp_path):
    rng = np.random.default_rng(0)
    n = 3000
    ref = pd.DataFrame({
        "income": rng.lognormal(8, 0.5, n),
        "age": rng.integers(18, 80, n),
        "kids": rng.integers(0, 4, n),
        "home": rng.choice(["rent", "own", None], n),
        "flag": rng.random(n) < 0.3,
    })
    ref.loc[::17, "income"] = np.nan
    cur = ref.sample(1500, random_state=1).reset_index(drop=True)
    cur["income"] *= 1.2
    cur.loc[:5, "home"] = "boat"
    ref.to_parquet(tmp_path / "ref.parquet")
    cur.to_csv(tmp_path / "cur.csv", index=False)
    return tmp_path / "ref.parquet", tmp_path / "cur.csv"


def _strip(d):
    d = dict(d)
    d.pop("run")
    return d


def test_baseline_round_equals_raw_round(tmp_path):
    ref, cur = _data(tmp_path)
    raw = driftscope.run(ref, cur)
    bl = driftscope.build_baseline(ref)
    driftscope.save_baseline(bl, tmp_path / "baseline")
    via = driftscope.run(current=cur, baseline=tmp_path / "baseline")
    assert _strip(via.to_dict()) == _strip(raw.to_dict())


def test_baseline_is_plain_data(tmp_path):
    ref, _ = _data(tmp_path)
    driftscope.save_baseline(driftscope.build_baseline(ref), tmp_path / "bl")
    files = sorted(p.name for p in (tmp_path / "bl").rglob("*") if p.is_file())
    assert "manifest.json" in files
    assert all(f.endswith((".json", ".parquet")) for f in files)
    manifest = json.loads((tmp_path / "bl" / "manifest.json").read_text())
    assert manifest["format_version"] == 1
    assert {c["name"] for c in manifest["columns"]} == {"income", "age", "kids", "home", "flag"}


def test_baseline_errors(tmp_path):
    with pytest.raises(BaselineError, match="no manifest.json"):
        driftscope.load_baseline(tmp_path)
    ref, _ = _data(tmp_path)
    driftscope.save_baseline(driftscope.build_baseline(ref), tmp_path / "bl")
    m = tmp_path / "bl" / "manifest.json"
    data = json.loads(m.read_text())
    data["format_version"] = 99
    m.write_text(json.dumps(data))
    with pytest.raises(BaselineError, match="version 99"):
        driftscope.load_baseline(tmp_path / "bl")
    m.write_text("{not json")
    with pytest.raises(BaselineError, match="corrupt"):
        driftscope.load_baseline(tmp_path / "bl")


def test_saving_over_an_existing_baseline_replaces_it(tmp_path):
    ref, _ = _data(tmp_path)
    bl = driftscope.build_baseline(ref)
    driftscope.save_baseline(bl, tmp_path / "bl")
    driftscope.save_baseline(bl, tmp_path / "bl")
    assert driftscope.load_baseline(tmp_path / "bl").rows == 3000
    assert not list(tmp_path.glob(".bl*"))
