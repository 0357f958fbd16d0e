"""Benjamini–Hochberg correction over a family of p-values (one family per kind of test)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["bh_adjust"]


def bh_adjust(pvalues: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (``scipy.stats.false_discovery_control``)."""
    if not pvalues:
        return []
    arr = np.clip(np.asarray(pvalues, dtype=float), 0.0, 1.0)
    from scipy import stats  # scipy.stats costs ~1.5 s to import: only when used
    return [float(v) for v in stats.false_discovery_control(arr, method="bh")]
