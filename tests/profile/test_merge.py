"""merge(profile(a), profile(b)) equals profile(a ∪ b)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from driftscope.backends.local import profile_categorical, profile_numeric
from driftscope.compare import compare_column


def test_numeric_merge_equals_union():
    rng = np.random.default_rng(0)
    ref = profile_numeric("x", rng.normal(size=2000))
    a = np.concatenate([rng.normal(size=700), [np.nan] * 3, [np.inf]])
    b = np.concatenate([rng.normal(1, size=500), [np.nan] * 9])
    pa_, pb = profile_numeric("x", a, ref.binning), profile_numeric("x", b, ref.binning)
    merged = pa_.merge(pb)
    union = profile_numeric("x", np.concatenate([a, b]), ref.binning)
    assert np.array_equal(merged.counts, union.counts)
    assert merged.missing == union.missing and merged.count == union.count
    assert np.array_equal(merged.sorted_values, union.sorted_values)
    assert merged.moments.mean == pytest.approx(union.moments.mean, rel=1e-12)
    assert merged.moments.m2 == pytest.approx(union.moments.m2, rel=1e-9)
    cm, cu = compare_column(ref, merged), compare_column(ref, union)
    for name, v in cu.values.items():
        assert cm.values[name].value == pytest.approx(v.value, rel=1e-12, abs=1e-15)


def test_categorical_merge_equals_union():
    a = pa.array(["x", "y", None, "x"])
    b = pa.array(["z", "x", None])
    merged = profile_categorical("c", a).merge(profile_categorical("c", b))
    union = profile_categorical("c", pa.concat_arrays([a, b]))
    assert merged.counts == union.counts and merged.missing == union.missing
