"""Contract tests over every registered metric: identical samples give 0; values stay finite."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftscope.backends.local import profile_categorical, profile_numeric
from driftscope.compare import compare_column, get_metric, registered
from driftscope.errors import ConfigError


def test_registry_lists_every_metric_and_rejects_unknown():
    assert set(registered()) >= {"psi", "ks", "jensen_shannon", "chi2", "missing_share",
                                 "unseen_share"}
    with pytest.raises(ConfigError, match="registered metrics: .*psi"):
        get_metric("nope")


def test_registering_twice_is_an_error():
    from driftscope.compare.registry import metric

    with pytest.raises(ValueError, match="already registered"):
        @metric("psi")
        def psi(inp):  # noqa: ARG001
            return None


floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(max_examples=60, deadline=None)
@given(st.lists(floats, min_size=1, max_size=200))
def test_identical_numeric_samples_give_zero(values):
    arr = np.asarray(values, dtype=float)
    r = profile_numeric("x", arr)
    c = profile_numeric("x", arr, r.binning)
    comp = compare_column(r, c, draws=200)
    assert comp.values["psi"].value == 0.0
    assert comp.values["jensen_shannon"].value == 0.0
    if comp.values["ks"].value is not None:
        assert comp.values["ks"].value == 0.0
    for name in registered():
        v = comp.values[name]
        for x in (v.value, v.pvalue):
            assert x is None or math.isfinite(x)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=3)), min_size=1, max_size=100))
def test_identical_categorical_samples_give_zero(values):
    arr = pa.array(values, type=pa.string())
    comp = compare_column(profile_categorical("x", arr), profile_categorical("x", arr),
                          draws=200)
    assert comp.values["psi"].value == 0.0
    assert comp.values["jensen_shannon"].value == 0.0
    assert comp.values["chi2"].value == pytest.approx(0.0, abs=1e-9)


@pytest.mark.slow  # 80 Hypothesis examples of whole comparisons
@settings(max_examples=80, deadline=None)
@given(st.lists(floats, min_size=1, max_size=120), st.lists(floats, min_size=1, max_size=60))
def test_metrics_finite_on_any_numeric_input(ref, cur):
    r = profile_numeric("x", np.asarray(ref, dtype=float))
    c = profile_numeric("x", np.asarray(cur, dtype=float), r.binning)
    comp = compare_column(r, c, draws=200)
    for name in registered():
        v = comp.values[name]
        for x in (v.value, v.pvalue):
            assert x is None or math.isfinite(x), (name, x)
    js = comp.values["jensen_shannon"].value
    assert 0.0 <= js <= 1.0
    assert comp.values["psi"].value >= 0.0


small_ints = st.integers(min_value=-5, max_value=12).map(float)  # at most 18 values


@settings(max_examples=80, deadline=None)
@given(st.lists(small_ints, min_size=1, max_size=80),
       st.lists(st.one_of(small_ints, floats), min_size=1, max_size=60))
@pytest.mark.slow  # 80 Hypothesis examples of whole comparisons
def test_value_bins_count_every_new_value_once_where_it_lies(ref, cur):
    r = profile_numeric("x", np.asarray(ref, dtype=float))
    c = profile_numeric("x", np.asarray(cur, dtype=float), r.binning)
    assert r.binning.kind == "value" and len(c.counts) == r.binning.n_bins
    b = compare_column(r, c, draws=100).bins
    assert b.current.sum() == len(cur)  # missing bin included
    seen = set(ref)
    lo, hi = min(ref), max(ref)
    present = [v for v in cur if not math.isnan(v)]
    expected = {"below": sum(v < lo for v in present), "above": sum(v > hi for v in present),
                "between": sum(lo < v < hi and v not in seen for v in present)}
    for kind, n in expected.items():
        got = [int(x) for k, x in zip(b.kinds, b.current) if k == kind]
        assert got == ([n] if n else [])  # a bin only when it holds rows (no ref rows here)
    assert b.unseen_current == sum(expected.values())
