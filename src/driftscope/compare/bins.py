"""Aligning two profiles of one column on common bins (the input of every binned metric)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from driftscope.profile.model import CategoricalProfile, ColumnProfile, NumericProfile


@dataclass(frozen=True, eq=False)
class AlignedBins:
    """Reference and current counts over the same bins, in report order."""

    labels: tuple[str, ...]
    kinds: tuple[str, ...]
    lowers: tuple[float | None, ...]
    uppers: tuple[float | None, ...]
    reference: NDArray[np.int64]
    current: NDArray[np.int64]

    @property
    def reference_shares(self) -> NDArray[np.float64]:
        total = self.reference.sum()
        return self.reference / total if total else np.zeros(len(self.reference))

    @property
    def current_shares(self) -> NDArray[np.float64]:
        total = self.current.sum()
        return self.current / total if total else np.zeros(len(self.current))

    @property
    def unseen_current(self) -> int:
        """Current rows in bins the reference never had (new categories or values)."""
        total = 0
        for kind, r, c in zip(self.kinds, self.reference.tolist(), self.current.tolist()):
            if kind == "unseen" or (kind == "category" and r == 0):
                total += c
        return total


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def align(reference: ColumnProfile, current: ColumnProfile) -> AlignedBins:
    """Put both profiles on the same bins; a missing bin is added when either side has any."""
    labels: list[str] = []
    kinds: list[str] = []
    lowers: list[float | None] = []
    uppers: list[float | None] = []
    if isinstance(reference, NumericProfile) and isinstance(current, NumericProfile):
        b = reference.binning
        ref_counts = reference.counts.tolist()
        cur_counts = current.counts.tolist()
        if b.kind == "quantile":
            edges = list(b.edges)
            bounds: list[float | None] = [None, *edges, None]
            for lo, hi in zip(bounds[:-1], bounds[1:]):
                labels.append(f"[{'-inf' if lo is None else _fmt(lo)}, "
                              f"{'+inf' if hi is None else _fmt(hi)})")
                kinds.append("range")
                lowers.append(lo)
                uppers.append(hi)
        else:
            for v in b.values:
                labels.append(_fmt(v))
                kinds.append("value")
                lowers.append(v)
                uppers.append(v)
            labels.append("unseen")
            kinds.append("unseen")
            lowers.append(None)
            uppers.append(None)
    elif isinstance(reference, CategoricalProfile) and isinstance(current, CategoricalProfile):
        cats = list(reference.counts)
        new = [k for k in current.counts if k not in reference.counts]
        new.sort(key=lambda k: (-current.counts[k], k))
        ref_counts = [reference.counts[k] for k in cats] + [0] * len(new)
        cur_counts = [current.counts.get(k, 0) for k in cats] + [current.counts[k] for k in new]
        for k in cats + new:
            labels.append(k)
            kinds.append("category")
            lowers.append(None)
            uppers.append(None)
    else:
        raise TypeError(f"profiles of {reference.name!r} have different types")
    if reference.missing or current.missing:
        labels.append("missing")
        kinds.append("missing")
        lowers.append(None)
        uppers.append(None)
        ref_counts.append(reference.missing)
        cur_counts.append(current.missing)
    return AlignedBins(
        labels=tuple(labels),
        kinds=tuple(kinds),
        lowers=tuple(lowers),
        uppers=tuple(uppers),
        reference=np.asarray(ref_counts, dtype=np.int64),
        current=np.asarray(cur_counts, dtype=np.int64),
    )
