"""Integers beyond float precision (±2^53): profiled as the nearest float64, with a finding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import driftscope
from driftscope.backends.local import (
    FLOAT_EXACT,
    beyond_float_precision,
    numeric_values,
    profile_table,
)
from driftscope.profile.spec import ColumnSpec


@pytest.mark.parametrize(("values", "type_", "expected"), [
    ([1, 2, FLOAT_EXACT], pa.int64(), 0),  # 2^53 itself is exact
    ([FLOAT_EXACT + 1, 5, None, -FLOAT_EXACT - 1], pa.int64(), 2),
    ([2**64 - 1, 0], pa.uint64(), 1),
    ([-(2**63), 0], pa.int64(), 1),
    ([1e300, 2.5], pa.float64(), 0),  # floats are what they are
    ([], pa.int64(), 0),
    ([None, None], pa.int64(), 0),
])  # fmt: skip
def test_beyond_float_precision_counts_the_rounded_integers(values, type_, expected):
    assert beyond_float_precision(pa.chunked_array([pa.array(values, type_)])) == expected


def test_big_integers_become_the_nearest_float():
    big = [2**62 + 1, -(2**62) - 3, 7, None]
    out = numeric_values(pa.chunked_array([pa.array(big, pa.int64())]))
    assert out[:3].tolist() == [float(2**62 + 1), float(-(2**62) - 3), 7.0]
    assert np.isnan(out[3])
    top = numeric_values(pa.array([2**64 - 1], pa.uint64()))
    assert top.tolist() == [float(2**64 - 1)]


def test_the_profile_keeps_the_count_and_merges_it():
    table = pa.table({"id": pa.array([2**60 + i for i in range(10)] + [3], pa.int64())})
    spec = [ColumnSpec("id", "numerical", "raw")]
    ref = profile_table(table, spec).columns["id"]
    assert ref.beyond_float == 10  # type: ignore[union-attr]
    cur = profile_table(table.slice(0, 4), spec, {"id": ref}).columns["id"]
    assert cur.beyond_float == 4  # type: ignore[union-attr]
    assert cur.merge(cur).beyond_float == 8  # type: ignore[union-attr, arg-type]


def _frames(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = 600

    def frame() -> pd.DataFrame:
        return pd.DataFrame({
            "x": rng.normal(size=n),
            "stamp_ns": rng.integers(1_700_000_000 * 10**9, 1_710_000_000 * 10**9, n,
                                     dtype=np.int64),
        })

    return frame(), frame()


def test_a_round_with_nanosecond_timestamps_measures_them_and_says_so():
    ref, cur = _frames()
    result = driftscope.run(reference=ref, current=cur)
    stamp = result.feature("stamp_ns")
    assert stamp.status.value == "NORMAL" and stamp.metrics.ks_statistic is not None
    (note,) = [f for f in stamp.findings if "2^53" in f]
    assert "600 in the reference, 600 in the current data" in note and "256 apart" in note
    assert any("2^53" in f.message and f.column == "stamp_ns" for f in result.findings)
    assert not any("2^53" in f for f in result.feature("x").findings)


def test_a_baseline_keeps_the_count(tmp_path: Path):
    ref, cur = _frames(1)
    driftscope.save_baseline(driftscope.build_baseline(ref), tmp_path / "bl")
    again = driftscope.run(current=cur, baseline=driftscope.load_baseline(tmp_path / "bl"))
    assert any("600 in the reference" in f for f in again.feature("stamp_ns").findings)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_the_command_line_runs_the_round(cli, tmp_path: Path, fmt: str):
    ref, cur = _frames(2)
    paths = []
    for name, frame in (("ref", ref), ("cur", cur)):
        path = tmp_path / f"{name}.{fmt}"
        frame.to_csv(path, index=False) if fmt == "csv" else frame.to_parquet(path)
        paths.append(path)
    out = tmp_path / "out"
    result = cli("run", "--reference", paths[0], "--current", paths[1], "--out", out,
                 "--no-history", "--plots", "none", "--no-html")
    assert result.code == 0, result.err
    report = result.report(out)
    assert any("2^53" in f["message"] for f in report["findings"])
