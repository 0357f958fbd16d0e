"""The backend-free binning fit: :func:`fit_binning` from what a backend knows (the distinct
values while there are few, and a quantile function) cuts a column exactly as
:func:`fit_sorted` does from the sorted values, so every backend bins a column the same way."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftscope.profile.binning import (
    DECILES,
    bin_counts,
    distinct_up_to,
    finite_part,
    fit_binning,
    fit_sorted,
)
from driftscope.profile.model import Binning

MAX = 20


def from_knowledge(values: np.ndarray, max_value_bins: int = MAX) -> Binning:
    """What a backend that never sorts the column would pass: its distinct finite values
    (only while there are at most ``max_value_bins``) and numpy's quantile function."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return fit_binning(None, None, max_value_bins)
    distinct = np.unique(finite)
    return fit_binning(
        distinct.tolist() if distinct.size <= max_value_bins else None,
        lambda qs: np.quantile(finite, qs),  # numpy's linear method, unsorted input
        max_value_bins,
    )


def present_sorted(values: np.ndarray) -> np.ndarray:
    return np.sort(values[~np.isnan(values)])


values_lists = st.lists(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True, width=64),
        st.integers(-5, 5).map(float),  # ties and few distinct values
    ),
    max_size=300,
)


@settings(max_examples=100, deadline=None)
@given(values_lists, st.integers(1, 30))
def test_the_fit_from_distinct_values_and_quantiles_equals_the_fit_on_sorted_values(
        values: list[float], max_value_bins: int) -> None:
    arr = np.asarray(values, dtype=np.float64)
    expected = fit_sorted(present_sorted(arr), max_value_bins)
    assert from_knowledge(arr, max_value_bins) == expected


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n", [1, 2, 10, 999, 5000])
def test_random_columns_bin_the_same_both_ways(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    arr = np.concatenate([rng.lognormal(size=n), rng.integers(0, 3, n // 3).astype(float),
                          [np.nan, np.inf, -np.inf]])
    rng.shuffle(arr)
    fitted = fit_sorted(present_sorted(arr))
    assert from_knowledge(arr) == fitted
    ordered = present_sorted(arr)
    counts = bin_counts(ordered, fitted)
    assert counts.shape == (fitted.n_bins,) and counts.sum() == ordered.size


@pytest.mark.parametrize("values", [
    np.array([]),
    np.array([np.nan, np.nan]),
], ids=["no-values", "all-missing"])
def test_no_values_give_one_quantile_bin(values: np.ndarray) -> None:
    empty = Binning(kind="quantile", edges=())
    assert fit_sorted(present_sorted(values)) == empty
    assert fit_binning(None, None) == empty
    assert fit_binning([], lambda qs: qs) == empty  # no distinct value: nothing to cut
    assert from_knowledge(values) == empty
    assert bin_counts(present_sorted(values), empty).tolist() == [0]


def test_all_infinite_values_fall_in_the_one_bin() -> None:
    values = np.array([np.inf, -np.inf, np.inf, np.nan])
    ordered = present_sorted(values)
    assert finite_part(ordered).size == 0
    binning = fit_sorted(ordered)
    assert binning == Binning(kind="quantile", edges=())
    assert from_knowledge(values) == binning
    assert bin_counts(ordered, binning).tolist() == [3]


def test_exactly_max_value_bins_distinct_values_are_binned_by_value() -> None:
    values = np.repeat(np.arange(MAX, dtype=float) * 1.5, 3)
    binning = fit_sorted(np.sort(values), MAX)
    assert binning == Binning(kind="value", values=tuple(np.arange(MAX) * 1.5))
    assert binning.n_bins == MAX + 3  # and below, between, above
    assert fit_binning(np.unique(values).tolist(), lambda qs: np.quantile(values, qs),
                       MAX) == binning
    counts = bin_counts(np.sort(values), binning)
    assert counts.tolist() == [3] * MAX + [0, 0, 0]


def test_one_more_distinct_value_is_binned_by_deciles() -> None:
    values = np.repeat(np.arange(MAX + 1, dtype=float), 3)
    binning = fit_sorted(np.sort(values), MAX)
    assert binning.kind == "quantile"
    assert binning.edges == tuple(np.unique(np.quantile(values, DECILES)))
    assert distinct_up_to(np.sort(values), MAX) is None
    # a backend that passes its distinct values anyway gets the same decile bins
    assert fit_binning(np.unique(values).tolist(), lambda qs: np.quantile(values, qs),
                       MAX) == binning


def test_tied_deciles_collapse_into_unique_edges() -> None:
    values = np.concatenate([np.zeros(900), np.arange(1, 101, dtype=float)])
    binning = fit_sorted(np.sort(values))
    assert binning.kind == "quantile"
    assert list(binning.edges) == sorted(set(binning.edges))
    assert binning.edges[0] == 0.0 and len(binning.edges) < len(DECILES)


def test_signed_zeros_are_one_value() -> None:
    values = np.array([-0.0, 0.0, 0.0, 1.0])
    binning = fit_sorted(np.sort(values))
    assert binning.kind == "value" and binning.values == (0.0, 1.0)
    assert from_knowledge(values) == binning
    assert bin_counts(np.sort(values), binning).tolist() == [3, 1, 0, 0, 0]


def test_values_the_reference_never_had_fall_below_between_or_above() -> None:
    binning = Binning(kind="value", values=(1.0, 2.0, 4.0))
    current = np.sort(np.array([-np.inf, 0.0, 1.0, 1.0, 3.0, 4.0, 5.0, np.inf]))
    # per value, then below the minimum, between the values, above the maximum
    assert bin_counts(current, binning).tolist() == [2, 0, 1, 2, 1, 2]


def test_quantile_bins_are_left_closed() -> None:
    binning = Binning(kind="quantile", edges=(1.0, 2.0))
    current = np.array([-np.inf, 0.5, 1.0, 1.5, 2.0, np.inf])
    assert bin_counts(current, binning).tolist() == [2, 2, 2]
