"""The quantile sketch of ``ks: approximate``: infinities counted beside it, exact extremes,
merges, and the approximate KS on sides with few or no finite values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from driftscope.backends.sketch import GRID, QuantileSketch, approximate_ks, ks_error_bound
from driftscope.profile.quantiles import PERCENTILES


def test_infinities_are_counted_beside_the_sketch_and_merged() -> None:
    a = QuantileSketch.of(np.array([-np.inf, 1.0, 2.0, np.inf, np.inf]))
    b = QuantileSketch.of(np.array([3.0, -np.inf]))
    assert (a.n, a.below, a.above, a.total) == (2, 1, 2, 5)
    merged = a.merged(b)
    assert (merged.n, merged.below, merged.above, merged.total) == (3, 2, 2, 7)
    assert (a.n, a.below, a.above) == (2, 1, 2)  # merging copies
    # quantiles and percentiles are those of the finite values
    assert merged.quantiles(np.array([0.0, 1.0])).tolist() == [1.0, 3.0]
    # the distribution function counts every value
    points = np.array([-np.inf, 0.0, 1.0, 2.5, 3.0, np.inf])
    assert merged.cdf(points) == pytest.approx(np.array([2, 2, 3, 4, 5, 7]) / 7)


def test_the_extreme_quantiles_are_the_exact_minimum_and_maximum() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=200_000)  # far more than the sketch keeps
    sketch = QuantileSketch.of(values)
    assert sketch.n == values.size and sketch.rank_error > 0
    p = sketch.percentiles()
    assert p is not None and p.shape == PERCENTILES.shape
    assert (p[0], p[-1]) == (values.min(), values.max())
    assert np.all(np.diff(p) >= 0)
    ranks = np.searchsorted(np.sort(values), p[1:-1]) / values.size
    assert np.max(np.abs(ranks - PERCENTILES[1:-1])) <= sketch.rank_error


def test_an_empty_sketch_answers_without_failing() -> None:
    empty = QuantileSketch.empty()
    assert (empty.n, empty.total, empty.rank_error) == (0, 0, 0.0)
    assert empty.percentiles() is None
    assert empty.quantiles(np.array([0.5])).size == 0
    assert empty.cdf(np.array([0.0, 1.0])).tolist() == [0.0, 0.0]
    only_inf = QuantileSketch.of(np.array([np.inf, -np.inf, np.inf]))
    assert only_inf.percentiles() is None
    assert only_inf.cdf(np.array([-np.inf, 0.0, np.inf])) == pytest.approx([1 / 3, 1 / 3, 1])


@pytest.mark.parametrize(("ref", "cur"), [
    ([np.inf, np.inf, -np.inf], [0.5, 1.0, 2.0]),
    ([0.5, 1.0, 2.0], [np.inf, np.inf]),
    ([np.inf], [np.inf, np.inf]),
    ([], [1.0, 2.0]),
])  # fmt: skip
@pytest.mark.parametrize("ref_exact", [True, False], ids=["ref-values", "ref-sketch"])
def test_the_approximate_ks_of_sides_without_finite_values_is_exact(
        ref: list[float], cur: list[float], ref_exact: bool) -> None:
    ref_values = np.sort(np.asarray(ref, dtype=np.float64))
    cur_values = np.asarray(cur, dtype=np.float64)
    d, bound = approximate_ks(ref_values if ref_exact else None,
                              None if ref_exact else QuantileSketch.of(ref_values),
                              QuantileSketch.of(cur_values))
    if ref_values.size:  # scipy needs two non-empty samples
        assert d == pytest.approx(stats.ks_2samp(ref_values, cur_values).statistic)
    assert 0.0 <= d <= 1.0 and bound >= 2.0 / GRID


def test_the_error_bound_adds_both_sides_and_the_grid() -> None:
    assert ks_error_bound(0.0, 0.0) == 2.0 / GRID
    assert ks_error_bound(0.01, 0.02) == pytest.approx(0.06 + 2.0 / GRID)
