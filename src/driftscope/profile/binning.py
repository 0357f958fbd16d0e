"""Fitting a numerical column's bins on the reference, and counting values into them.

The fit is backend-free: a backend supplies what it knows of the reference's finite values —
its distinct values when there are few of them, and a quantile function — and
:func:`fit_binning` decides the bins, so every backend cuts a column the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from driftscope.profile.model import Binning
from driftscope.profile.quantiles import sorted_quantiles

DECILES = np.arange(1, 10) / 10
"""Where the interior edges of a quantile binning are cut (numpy's linear method)."""

QuantileFn = Callable[[NDArray[np.float64]], NDArray[np.float64]]
"""Linear-interpolation quantiles (numpy's default method) of the finite reference values."""


def fit_binning(distinct: Sequence[float] | NDArray[np.float64] | None,
                quantile: QuantileFn | None,
                max_value_bins: int = 20) -> Binning:
    """The bins of a numerical column from what a backend knows of its finite values.

    ``distinct``: the sorted distinct finite values when there are at most ``max_value_bins``
    of them, else None; ``quantile``: the quantile function of the finite values (None when
    there are none). Few distinct values: one bin per value (and three for new values: below,
    between, above; see :class:`Binning`); otherwise interior edges at the unique deciles.
    """
    if quantile is None or (distinct is not None and len(distinct) == 0):
        return Binning(kind="quantile", edges=())
    if distinct is not None and len(distinct) <= max_value_bins:
        return Binning(kind="value", values=tuple(float(v) for v in distinct))
    edges = np.unique(quantile(DECILES))
    return Binning(kind="quantile", edges=tuple(float(e) for e in edges))


def finite_part(sorted_values: NDArray[np.float64]) -> NDArray[np.float64]:
    """The finite values of a sorted, NaN-free array (a view)."""
    lo = int(np.searchsorted(sorted_values, -np.inf, side="right"))
    hi = int(np.searchsorted(sorted_values, np.inf, side="left"))
    return sorted_values[lo:hi]


def distinct_up_to(finite: NDArray[np.float64], limit: int) -> NDArray[np.float64] | None:
    """The distinct values of sorted ``finite`` when there are at most ``limit``, else None."""
    differs = finite[1:] != finite[:-1]
    if int(np.count_nonzero(differs)) + 1 > limit:
        return None
    return np.concatenate([finite[:1], finite[1:][differs]])


def fit_sorted(sorted_values: NDArray[np.float64], max_value_bins: int = 20) -> Binning:
    """:func:`fit_binning` on the sorted non-missing reference values (infinities left out)."""
    finite = finite_part(sorted_values)
    if finite.size == 0:
        return Binning(kind="quantile", edges=())
    return fit_binning(distinct_up_to(finite, max_value_bins),
                       lambda qs: sorted_quantiles(finite, qs), max_value_bins)


def bin_counts(sorted_values: NDArray[np.float64], binning: Binning) -> NDArray[np.int64]:
    """Counts per bin of the sorted non-missing values (left-closed bins)."""
    n = sorted_values.shape[0]
    if binning.kind == "quantile":
        idx = np.searchsorted(sorted_values, np.asarray(binning.edges, dtype=np.float64), "left")
        return np.diff(np.concatenate([[0], idx, [n]])).astype(np.int64)
    # value bins: one per reference value, then the values the reference never had, split
    # into below its minimum, above its maximum and between its values (Binning docstring)
    vals = np.asarray(binning.values, dtype=np.float64)
    if vals.size == 0:  # not fitted by fit_binning (it never makes an empty value binning)
        return np.asarray([0, n, 0], dtype=np.int64)
    left = np.searchsorted(sorted_values, vals, "left")
    right = np.searchsorted(sorted_values, vals, "right")
    counts = (right - left).astype(np.int64)
    below = int(left[0])
    above = n - int(right[-1])
    between = n - below - above - int(counts.sum())
    return np.concatenate([counts, [below, between, above]]).astype(np.int64)


def upgrade_value_counts(
    counts: NDArray[np.int64], binning: Binning, sorted_values: NDArray[np.float64] | None
) -> NDArray[np.int64] | None:
    """Counts of a value binning saved before new values were split into below / between /
    above (one "unseen" count after the value counts), in today's layout; None when they
    cannot be told apart (the reference had values outside its own value bins, that is
    infinities, and its values were not kept). Counts already in today's layout pass."""
    if binning.kind != "value" or len(counts) == binning.n_bins:
        return counts
    if len(counts) != len(binning.values) + 1:
        return None
    if sorted_values is not None:
        return bin_counts(sorted_values, binning)
    if counts[-1] == 0:
        return np.concatenate([counts[:-1], [0, 0, 0]]).astype(np.int64)
    return None
