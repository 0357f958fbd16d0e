"""What a chart of one column draws, read from the result: the bins shown, the Q-Q pairs.

Shared by the inline SVG charts of the HTML report (:mod:`.html_charts`) and the PNG plots
(:mod:`.png`), so both pick the same bins of a long column and pair the same quantiles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeGuard

from driftscope.result import Bin, SideSummary

__all__ = ["ALWAYS_SHOWN", "bins_shown", "finite", "quantile_pairs"]

ALWAYS_SHOWN = frozenset({"missing", "unseen", "other", "below", "between", "above"})
"""Bin kinds a chart always shows: missing values, and values or categories the reference
never had (or that were folded into one bin)."""


def finite(value: float | None) -> TypeGuard[float]:
    """True for a number that is neither None, NaN nor infinite."""
    return value is not None and math.isfinite(value)


def bins_shown(bins: Sequence[Bin], limit: int) -> list[Bin]:
    """The bins a chart draws: all of them when at most ``limit``; else the bins of the kinds
    in :data:`ALWAYS_SHOWN`, then the largest PSI contributions (in absolute value) up to
    ``limit`` bins in all, in bin order."""
    if len(bins) <= limit:
        return list(bins)
    keep = {i for i, b in enumerate(bins) if b.kind in ALWAYS_SHOWN}
    for i in sorted(range(len(bins)), key=lambda i: -abs(bins[i].psi_contribution)):
        if len(keep) >= limit:
            break
        keep.add(i)
    return [b for i, b in enumerate(bins) if i in keep]


def quantile_pairs(reference: SideSummary, current: SideSummary) -> list[tuple[float, float]]:
    """(reference, current) quantile pairs of a Q-Q chart, leaving out any pair with a value
    that is not finite."""
    return [
        (r, c)
        for r, c in zip(reference.quantiles, current.quantiles, strict=False)
        if finite(r) and finite(c)
    ]
