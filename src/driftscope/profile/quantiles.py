"""Quantiles of an already sorted array, equal to ``numpy.quantile(..., method="linear")``.

``numpy.quantile`` partitions a copy of its input on every call; on a sorted array the answer
is a direct lookup. This reproduces numpy's linear method (Hyndman & Fan type 7) operation by
operation, so the results are bit-identical (checked in the tests against ``numpy.quantile``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def sorted_quantiles(values: NDArray[np.float64], qs: NDArray[np.float64]) -> NDArray[np.float64]:
    """Linear-interpolation quantiles ``qs`` (in [0, 1]) of the sorted, NaN-free ``values``."""
    n = values.shape[0]
    if n == 0:
        raise ValueError("quantiles of an empty sample")
    qs = np.asarray(qs, dtype=np.float64)
    virtual = (n - 1) * qs
    prev = np.floor(virtual)
    nxt = prev + 1
    above = virtual >= n - 1
    prev[above] = -1
    nxt[above] = -1
    below = virtual < 0
    prev[below] = 0
    nxt[below] = 0
    gamma = virtual - prev
    a = values[prev.astype(np.intp)]
    b = values[nxt.astype(np.intp)]
    diff = b - a
    out = a + diff * gamma
    np.subtract(b, diff * (1 - gamma), out=out, where=gamma >= 0.5)
    return out


PERCENTILES = np.linspace(0.0, 1.0, 101)
"""The 101 percentiles of a distribution summary: 0 %, 1 %, …, 100 %."""


def percentiles_of_sorted(sorted_values: NDArray[np.float64]) -> NDArray[np.float64] | None:
    """The :data:`PERCENTILES` of the finite values of a sorted, NaN-free array; None when it
    holds no finite value."""
    lo = int(np.searchsorted(sorted_values, -np.inf, side="right"))
    hi = int(np.searchsorted(sorted_values, np.inf, side="left"))
    if hi <= lo:
        return None
    return sorted_quantiles(sorted_values[lo:hi], PERCENTILES)
