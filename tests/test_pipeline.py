"""The Python API: any table type in, a typed result out that serialises to the same JSON."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import driftscope
from driftscope.outputs.json_report import validate_report
from driftscope.result import RunResult, Severity


def _frames():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.normal(size=2000), "c": rng.choice(["a", "b"], 2000)})
    cur = pd.DataFrame({"x": rng.normal(0.3, size=1000), "c": rng.choice(["a", "b"], 1000)})
    return ref, cur


def test_public_api_all():
    for name in driftscope.__all__:
        assert hasattr(driftscope, name), name


def test_pandas_arrow_and_polars_give_the_same_result():
    ref, cur = _frames()
    a = driftscope.run(ref, cur)
    b = driftscope.run(pa.Table.from_pandas(ref), pa.Table.from_pandas(cur))
    assert [f.metrics for f in a.features] == [f.metrics for f in b.features]
    pl = pytest.importorskip("polars")
    c = driftscope.run(pl.from_pandas(ref), pl.from_pandas(cur))
    assert [f.metrics for f in a.features] == [f.metrics for f in c.features]


def test_result_round_trips_and_validates():
    ref, cur = _frames()
    r = driftscope.run(ref, cur)
    data = r.to_dict()
    validate_report(data)
    assert RunResult.from_json(r.to_json()) == r
    assert data["features"][0]["bins"][0]["label"].startswith("[-inf")
    assert r.status is Severity.worst(f.status for f in r.features)


def test_edge_cases_are_findings_not_errors():
    ref = pd.DataFrame({"all_missing_cur": [1.0, 2.0, 3.0] * 10, "const": [5.0] * 30,
                        "inf": [1.0, np.inf, -np.inf] * 10, "c": ["a", "b", "c"] * 10})
    cur = pd.DataFrame({"all_missing_cur": [np.nan], "const": [5.0], "inf": [np.inf],
                        "c": ["z"]})
    r = driftscope.run(ref, cur)
    validate_report(r.to_dict())
    f = r.feature("all_missing_cur")
    assert f.metrics.ks_statistic is None
    assert any("no values" in m for m in f.findings)
    assert any("constant" in m for m in r.feature("const").findings)
    assert r.run.current.rows == 1
