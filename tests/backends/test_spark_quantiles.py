"""The exact order statistics the ``spark`` backend computes, checked without Spark: each
"pass" runs the executor-side code (:func:`profile_batch`, :func:`merge_parts`) over a few
in-memory partitions, as ``mapInArrow`` + ``treeReduce`` would. The cases force every path:
keys gathered, histograms narrowed over several passes, and a sketch whose interval misses."""

from __future__ import annotations

from functools import reduce

import numpy as np
import pyarrow as pa
import pytest

from driftscope.backends.sketch import QuantileSketch
from driftscope.backends.spark_parts import (
    COLLECT,
    Part,
    Plan,
    float_keys,
    key_value,
    merge_parts,
    profile_batch,
)
from driftscope.backends.spark_quantiles import OrderStatistics, indices_for, order_statistics
from driftscope.profile.binning import DECILES, fit_sorted
from driftscope.profile.quantiles import PERCENTILES, sorted_quantiles


class Partitions:
    """A column split into partitions; counts the passes made over it."""

    def __init__(self, values: np.ndarray, parts: int = 4) -> None:
        self.tables = [pa.table({"x": chunk}) for chunk in np.array_split(values, parts)]
        self.passes = 0

    def run(self, plan: Plan) -> Part:
        self.passes += 1
        return reduce(lambda a, b: merge_parts(plan, a, b),
                      [profile_batch(plan, t) for t in self.tables])


def exact(values: np.ndarray, wanted: set[int], sketch: QuantileSketch | None = None
          ) -> tuple[dict[int, float], int]:
    finite = np.sort(values[np.isfinite(values)])
    data = Partitions(values)
    found = order_statistics(data.run, Plan(convert=None), {"x": wanted}, {"x": finite.size},
                             {"x": sketch}, {"x": (float(finite[0]), float(finite[-1]))})
    return found["x"], data.passes


def test_keys_keep_the_order_of_the_floats() -> None:
    values = np.array([-np.inf, -1e300, -2.5, -0.0, 0.0, 5e-324, 1.0, 1e300, np.inf])
    keys = float_keys(values)
    assert np.all(np.diff(keys) > 0)
    assert [key_value(int(k)) for k in keys] == values.tolist()


@pytest.mark.parametrize("kind", ["normal", "ties", "wide-range", "two-values"])
def test_order_statistics_are_the_sorted_values(kind: str) -> None:
    rng = np.random.default_rng(3)
    n = 60_000
    values = {
        "normal": rng.normal(0, 1, n),
        "ties": rng.integers(0, 40, n).astype(float),
        "wide-range": rng.choice([-1e300, 1e-300, 1.0, 1e300], n) * rng.random(n),
        "two-values": rng.choice([0.0, 1.0], n, p=[0.9, 0.1]),
    }[kind]
    values[rng.random(n) < 0.02] = np.nan
    values[:3] = np.inf
    finite = np.sort(values[np.isfinite(values)])
    wanted = indices_for(finite.size, PERCENTILES) | indices_for(finite.size, DECILES)
    # no sketch: every interval starts as the whole key range and is narrowed by histograms
    found, passes = exact(values, wanted)
    assert found == {k: float(finite[k]) for k in wanted}
    # histograms narrow the whole range over passes; a run of ties is settled in one
    assert (1 if kind == "two-values" else 2) <= passes <= 11
    stats = OrderStatistics(finite.size, found)
    assert np.array_equal(stats.quantiles(PERCENTILES), sorted_quantiles(finite, PERCENTILES))
    assert np.array_equal(stats.quantiles(DECILES), sorted_quantiles(finite, DECILES))
    # with a sketch's interval: two or three passes
    sketched, passes = exact(values, wanted, QuantileSketch.of(finite))
    assert sketched == found
    assert passes <= 3
    if kind == "normal":  # and the fit is the local backend's
        assert fit_sorted(finite).edges == tuple(np.unique(stats.quantiles(DECILES)))


def test_a_sketch_that_misses_costs_a_pass_not_the_answer() -> None:
    """A sketch of other data puts the intervals in the wrong place: the count below shows
    it, and the whole range is searched instead."""
    rng = np.random.default_rng(4)
    values = rng.normal(0, 1, 3 * COLLECT)
    finite = np.sort(values)
    wrong = QuantileSketch.of(rng.normal(50, 1, 5000))
    wanted = {1, finite.size // 2, finite.size - 2}
    found, passes = exact(values, wanted, wrong)
    assert found == {k: float(finite[k]) for k in wanted}
    assert passes >= 2
