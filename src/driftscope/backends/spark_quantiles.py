"""Exact order statistics of a column on Spark, in a bounded number of passes, without
bringing the column to the driver — and from them numpy's linear quantiles, bit for bit.

The k-th smallest finite value is found by narrowing an interval of order-preserving 64-bit
keys (:func:`~driftscope.backends.spark_parts.float_keys`) that contains it:

1. the column's KLL sketch (from the first pass) gives an interval around rank k, a few times
   its stated rank error wide (if the sketch was wrong, the next pass notices — the count
   below the interval says so — and the interval becomes the column's whole range);
2. each pass counts, for every open interval of every column at once, the keys below it and
   either returns the keys inside it (at most :data:`~driftscope.backends.spark_parts.
   COLLECT` of them, merged on the executors) — then the k-th is read off — or their
   histogram over :data:`~driftscope.backends.spark_parts.BUCKETS` sub-intervals, of which
   the one holding rank k becomes the next interval.

Each histogram pass divides the interval's width by 128, so even the whole 2^64 key range is
resolved in ten passes; from the sketch's interval it is two or three passes up to billions
of rows. With the order statistics at ranks ⌊(n−1)q⌋ and ⌊(n−1)q⌋+1, numpy's
linear quantile is computed by :func:`driftscope.profile.quantiles.sorted_quantiles` itself,
so decile edges and percentiles equal the local backend's exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from driftscope.backends.spark_parts import (
    Interval,
    Part,
    Plan,
    bucket_of,
    float_keys,
    key_value,
)
from driftscope.errors import DriftscopeError
from driftscope.profile.quantiles import sorted_quantiles

MAX_PASSES = 12
"""Passes after which an order statistic still unresolved is a bug (ten always suffice, one
more when the sketch's interval missed)."""

MARGIN = 3.0
"""How many of the sketch's rank errors the first interval spans on each side of rank k."""

RunPass = Callable[[Plan], Part]


def indices_for(n: int, qs: NDArray[np.float64]) -> set[int]:
    """The order statistics (0-based ranks) that numpy's linear quantiles ``qs`` of ``n``
    sorted values read."""
    virtual = (n - 1) * np.asarray(qs, dtype=np.float64)
    prev = np.floor(virtual).astype(np.int64)
    out = set(np.clip(prev, 0, n - 1).tolist()) | set(np.clip(prev + 1, 0, n - 1).tolist())
    return {int(i) for i in out}


class OrderStatistics:
    """Known order statistics of one column, indexable like its sorted finite values (only at
    the known ranks): what :func:`sorted_quantiles` needs."""

    def __init__(self, n: int, known: Mapping[int, float]) -> None:
        self.shape = (n,)
        self.known = dict(known)

    def __getitem__(self, index: NDArray[np.intp]) -> NDArray[np.float64]:
        n = self.shape[0]
        return np.asarray([self.known[int(i) % n] for i in np.ravel(index)],
                          dtype=np.float64).reshape(np.shape(index))

    def quantiles(self, qs: NDArray[np.float64]) -> NDArray[np.float64]:
        """numpy's linear quantiles ``qs`` (ranks from :func:`indices_for` must be known)."""
        return sorted_quantiles(cast(NDArray[np.float64], self), np.asarray(qs, np.float64))


def order_statistics(run_pass: RunPass, plan: Plan, wanted: Mapping[str, set[int]],
                     counts: Mapping[str, int], sketches: Mapping[str, Any],
                     extremes: Mapping[str, tuple[float, float]]) -> dict[str, dict[int, float]]:
    """The finite values at ranks ``wanted[column]`` (0-based, among ``counts[column]``
    finite values), found with passes of ``run_pass`` over the data (``plan`` says how to
    read it; its intervals are filled here)."""
    full = {c: (int(float_keys(np.array([lo]))[0]), int(float_keys(np.array([hi]))[0]))
            for c, (lo, hi) in extremes.items()}
    open_: dict[tuple[str, int], tuple[int, int]] = {}
    found: dict[str, dict[int, float]] = {c: {} for c in wanted}
    for column, ranks in wanted.items():
        n, sketch = counts[column], sketches.get(column)
        lo_all, hi_all = full[column]
        for k in ranks:
            if k == 0 or k == n - 1:  # the minimum and maximum are known exactly
                found[column][k] = extremes[column][0 if k == 0 else 1]
                continue
            open_[(column, k)] = _first_interval(sketch, k, n, lo_all, hi_all)
    for _ in range(MAX_PASSES):
        if not open_:
            return found
        intervals: list[Interval] = sorted({(c, lo, hi) for (c, _), (lo, hi) in open_.items()})
        index = {iv: i for i, iv in enumerate(intervals)}
        part = run_pass(Plan(convert=plan.convert, intervals=tuple(intervals), profiles=False))
        for (column, k), (lo, hi) in list(open_.items()):
            i = index[(column, lo, hi)]
            settled = _narrow(part, i, (column, lo, hi), k)
            if settled is None:  # the interval missed rank k: the whole range next
                open_[(column, k)] = full[column]
            elif settled[0] == settled[1]:
                found[column][k] = key_value(settled[0])
                del open_[(column, k)]
            else:
                open_[(column, k)] = settled
    raise DriftscopeError(f"spark backend: order statistics of {sorted({c for c, _ in open_})} "
                          f"not resolved in {MAX_PASSES} passes")


def _first_interval(sketch: Any, k: int, n: int, lo_all: int, hi_all: int) -> tuple[int, int]:
    """An interval of keys around rank ``k`` from the sketch (the whole range without one)."""
    if sketch is None or sketch.n == 0:
        return lo_all, hi_all
    slack = MARGIN * sketch.rank_error * n + 2
    ranks = np.clip(np.array([(k - slack) / n, (k + 1 + slack) / n]), 0.0, 1.0)
    lo_v, hi_v = sketch.quantiles(ranks)
    lo, hi = (int(x) for x in float_keys(np.array([lo_v, hi_v])))
    return max(lo, lo_all), min(hi, hi_all)


def _narrow(part: Part, i: int, interval: Interval, k: int) -> tuple[int, int] | None:
    """The next interval for rank ``k`` (lo == hi: the key found), or None when rank ``k``
    is not inside ``interval``."""
    _, lo, hi = interval
    below = part.below.get(i, 0)
    inside = part.inside.get(i)
    p = k - below
    if inside is None or p < 0:
        return None
    if part.kinds[i] == "keys":
        if p >= inside.shape[0]:
            return None
        key = int(np.sort(inside)[p])
        return key, key
    cumulative = np.cumsum(inside[0])
    if p >= int(cumulative[-1]):
        return None
    b = int(np.searchsorted(cumulative, p, side="right"))
    return int(inside[1][b]), int(inside[2][b])  # the keys seen in that sub-interval


__all__ = ["OrderStatistics", "bucket_of", "indices_for", "order_statistics"]
