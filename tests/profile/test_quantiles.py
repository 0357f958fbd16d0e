from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from driftscope.profile.quantiles import sorted_quantiles


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12,
                          max_value=1e12), min_size=1, max_size=300))
def test_sorted_quantiles_bit_identical_to_numpy(values):
    arr = np.sort(np.asarray(values, dtype=float))
    qs = np.linspace(0, 1, 101)
    assert np.array_equal(sorted_quantiles(arr, qs), np.quantile(arr, qs))
    deciles = np.arange(1, 10) / 10
    assert np.array_equal(sorted_quantiles(arr, deciles), np.quantile(arr, deciles))
