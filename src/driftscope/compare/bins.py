"""Aligning two profiles of one column on common bins (the input of every binned metric)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from driftscope.profile.model import (
    NEW_VALUE_BINS,
    CategoricalProfile,
    ColumnProfile,
    NumericProfile,
)


@dataclass(frozen=True, eq=False)
class AlignedBins:
    """Reference and current counts over the same bins, in report order."""

    labels: tuple[str, ...]
    kinds: tuple[str, ...]
    lowers: tuple[float | None, ...]
    uppers: tuple[float | None, ...]
    reference: NDArray[np.int64]
    current: NDArray[np.int64]
    other_new: int = 0
    """Current rows of new categories folded into the "(other)" bin."""

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
        """Current rows in bins the reference never had: new categories, and for value-binned
        numbers the values below, above or between the reference's values."""
        total = 0
        for kind, r, c in zip(self.kinds, self.reference.tolist(), self.current.tolist()):
            if kind in _NEW_VALUE_KINDS or (kind == "category" and r == 0):
                total += c
        total += self.other_new
        return total


_NEW_VALUE_KINDS = frozenset(NEW_VALUE_BINS)
"""Bin kinds that hold only values the reference never had (value-binned numbers)."""


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def align(reference: ColumnProfile, current: ColumnProfile,
          max_categories: int | None = None) -> AlignedBins:
    """Put both profiles on the same bins; a missing bin is added when either side has any.

    Value-binned numbers: the values the reference never had get a bin below its minimum
    ("< 18", upper = the minimum), above its maximum ("> 35", lower = the maximum) and between
    its values ("(18, 35) between"), each only when a side has rows in it: a bin empty on both
    sides adds nothing to PSI, Jensen–Shannon, Chi-square or PSI's null draws.

    Categories: one bin per category seen in either side. When both sides together have more
    than ``max_categories`` categories, the ``max_categories`` most frequent in the pooled
    counts keep their bins and the rest share one "(other)" bin (chosen on pooled counts: a
    choice on the reference alone would favour its own chance peaks and fake a shift):
    with thousands of rare categories every share falls below PSI's 0.0001 floor and PSI
    would measure the floor, not the data. New categories are still counted by
    ``unseen_share`` (the bin records how many rows they hold).
    """
    labels: list[str] = []
    kinds: list[str] = []
    other_new = 0
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
            # one bin per reference value, in a reading order: the new values below the
            # minimum, the values, the new values above the maximum, then the new values
            # between them; a new-value bin appears only when a side has rows in it (an empty
            # one changes no metric)
            k = len(b.values)
            lo_v, hi_v = b.values[0], b.values[-1]
            spans: dict[str, tuple[str, float | None, float | None]] = {
                "below": (f"< {_fmt(lo_v)}", None, lo_v),
                "above": (f"> {_fmt(hi_v)}", hi_v, None),
                "between": (f"({_fmt(lo_v)}, {_fmt(hi_v)}) between", lo_v, hi_v),
            }
            new_rows = {kind: (int(reference.counts[k + i]), int(current.counts[k + i]))
                        for i, kind in enumerate(NEW_VALUE_BINS)}
            ref_counts, cur_counts = [], []
            order = [("below", None), *(("value", j) for j in range(k)), ("above", None),
                     ("between", None)]
            for kind, j in order:
                lower: float | None
                upper: float | None
                if j is not None:
                    v = b.values[j]
                    label, lower, upper = _fmt(v), v, v
                    r_i, c_i = int(reference.counts[j]), int(current.counts[j])
                else:
                    r_i, c_i = new_rows[kind]
                    if not (r_i or c_i):
                        continue
                    label, lower, upper = spans[kind]
                labels.append(label)
                kinds.append(kind)
                lowers.append(lower)
                uppers.append(upper)
                ref_counts.append(r_i)
                cur_counts.append(c_i)
    elif isinstance(reference, CategoricalProfile) and isinstance(current, CategoricalProfile):
        cats = sorted(reference.counts, key=lambda k: (-reference.counts[k], k))
        new = [k for k in current.counts if k not in reference.counts]
        new.sort(key=lambda k: (-current.counts[k], k))
        rest: list[str] = []
        rest_new: list[str] = []
        if max_categories is not None and len(cats) + len(new) > max_categories:
            # a long tail: keep the categories most frequent in both sides together (chosen
            # on the pooled counts, so the choice favours neither side) and fold the rest
            pooled = sorted(cats + new, key=lambda k: (-(reference.counts.get(k, 0)
                                                         + current.counts.get(k, 0)), k))
            keep = set(pooled[:max_categories])
            rest = [k for k in cats if k not in keep]
            rest_new = [k for k in new if k not in keep]
            cats = [k for k in cats if k in keep]
            new = [k for k in new if k in keep]
        ref_counts = [reference.counts[k] for k in cats] + [0] * len(new)
        cur_counts = [current.counts.get(k, 0) for k in cats] + [current.counts[k] for k in new]
        labels += cats + new
        kinds += ["category"] * (len(cats) + len(new))
        if rest or rest_new:
            labels.append(f"(other: {len(rest) + len(rest_new)} rarer categories, "
                          f"{len(rest_new)} of them new)")
            kinds.append("other")
            ref_counts.append(sum(reference.counts[k] for k in rest))
            other_new = sum(current.counts[k] for k in rest_new)
            cur_counts.append(sum(current.counts.get(k, 0) for k in rest) + other_new)
        lowers += [None] * (len(labels) - len(lowers))
        uppers += [None] * (len(labels) - len(uppers))
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
        other_new=other_new,
    )
