"""A mergeable quantile sketch of a numerical column, and the approximate KS test on it.

The streaming backend keeps one sketch per numerical column when ``ks: approximate`` is asked
(it then never holds a column's values): Apache DataSketches' KLL sketch, whose rank error is
bounded (:attr:`QuantileSketch.rank_error`, with 99 % confidence) whatever the data and the
number of rows, and which merges exactly across batches. Imported lazily: the extra
``driftscope[streaming]`` installs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from driftscope.errors import ConfigError
from driftscope.profile.quantiles import PERCENTILES

SKETCH_K = 1000
"""KLL's accuracy parameter: a normalized rank error of about 0.27 % (99 % confidence)."""

GRID = 4000
"""Points per side at which the approximate KS statistic compares the two distributions."""


def _kll() -> Any:
    try:
        from datasketches import kll_doubles_sketch
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise ConfigError("ks: approximate needs the quantile sketches of the 'datasketches' "
                          "package; install it with: pip install 'driftscope[streaming]'"
                          ) from None
    return kll_doubles_sketch


@dataclass(eq=False)
class QuantileSketch:
    """A KLL sketch of the finite values of one column (mergeable, bounded size), and the
    counts of its infinities, which the sketch leaves out (its quantiles and percentiles are
    those of the finite values) but its distribution function counts, as exact KS does."""

    sketch: Any
    below: int = 0
    """How many values were -inf."""
    above: int = 0
    """How many values were +inf."""

    @classmethod
    def empty(cls, k: int = SKETCH_K) -> QuantileSketch:
        return cls(_kll()(k))

    @classmethod
    def of(cls, values: NDArray[np.float64], k: int = SKETCH_K) -> QuantileSketch:
        """A sketch of non-missing ``values`` (infinities allowed, counted apart)."""
        out = cls.empty(k)
        out.update(values)
        return out

    @property
    def n(self) -> int:
        """How many finite values were sketched."""
        return int(self.sketch.n)

    @property
    def total(self) -> int:
        """How many values were seen, infinities included."""
        return self.n + self.below + self.above

    @property
    def rank_error(self) -> float:
        """The bound on the error of any rank (CDF value) the sketch answers."""
        return float(self.sketch.normalized_rank_error(False)) if self.n else 0.0

    def update(self, values: NDArray[np.float64]) -> None:
        """Add non-missing ``values``: the finite ones to the sketch, infinities counted."""
        values = np.asarray(values, dtype=np.float64)
        finite = np.isfinite(values)
        if not finite.all():
            self.below += int(np.count_nonzero(values == -np.inf))
            self.above += int(np.count_nonzero(values == np.inf))
            values = values[finite]
        if values.size:
            self.sketch.update(np.ascontiguousarray(values))

    def merged(self, other: QuantileSketch) -> QuantileSketch:
        out = _kll().deserialize(self.sketch.serialize())
        out.merge(other.sketch)
        return QuantileSketch(out, self.below + other.below, self.above + other.above)

    def quantiles(self, ranks: NDArray[np.float64]) -> NDArray[np.float64]:
        """Quantiles of the finite values (an empty array when there are none); ranks 0 and 1
        are the exact minimum and maximum (KLL's own answer is its smallest and largest
        retained value, which need not be either)."""
        if self.n == 0:
            return np.empty(0)
        ranks = np.asarray(ranks, dtype=np.float64)
        out = np.asarray(self.sketch.get_quantiles(list(map(float, ranks))), dtype=np.float64)
        out[ranks <= 0.0] = self.sketch.get_min_value()
        out[ranks >= 1.0] = self.sketch.get_max_value()
        return out

    def percentiles(self) -> NDArray[np.float64] | None:
        """The 101 percentiles of the sketched values (approximate), None when empty."""
        return None if self.n == 0 else self.quantiles(PERCENTILES)

    def cdf(self, points: NDArray[np.float64]) -> NDArray[np.float64]:
        """The share of values ≤ each of the sorted ``points``, infinities included (the
        finite part approximate)."""
        points = np.asarray(points, dtype=np.float64)
        if self.total == 0:
            return np.zeros(points.shape[0])
        finite = np.zeros(points.shape[0])
        if self.n:
            finite = np.asarray(self.sketch.get_cdf(list(map(float, points)), True)[:-1],
                                dtype=np.float64)
            finite[points == -np.inf] = 0.0
            finite[points == np.inf] = 1.0
        at_most = self.below + self.n * finite + self.above * (points == np.inf)
        return np.asarray(at_most / self.total, dtype=np.float64)


def exact_cdf(sorted_values: NDArray[np.float64], points: NDArray[np.float64]
              ) -> NDArray[np.float64]:
    """The share of the sorted values ≤ each point."""
    return np.searchsorted(sorted_values, points, side="right") / max(sorted_values.shape[0], 1)


def approximate_ks(ref_values: NDArray[np.float64] | None, ref_sketch: QuantileSketch | None,
                   cur_sketch: QuantileSketch) -> tuple[float, float]:
    """The two-sample KS statistic of a reference (exact values or a sketch) and a sketched
    current side, and a bound on its error.

    Both distribution functions are compared at :data:`GRID` quantiles of each side; the
    statistic is off by at most the sketches' rank errors (each counted for the evaluation
    and for the mass a grid step may hide) plus the grid's own step on each side."""
    from driftscope.profile.binning import finite_part
    from driftscope.profile.quantiles import sorted_quantiles

    ranks = np.linspace(0.0, 1.0, GRID + 1)
    # -inf is a point too: the distribution functions jump there when a side has -inf values
    parts = [np.array([-np.inf]), cur_sketch.quantiles(ranks)]
    if ref_values is not None:
        finite = finite_part(ref_values)
        if finite.size:
            parts.append(sorted_quantiles(finite, ranks))
        ref_error = 0.0
    else:
        assert ref_sketch is not None
        parts.append(ref_sketch.quantiles(ranks))
        ref_error = ref_sketch.rank_error
    points = np.unique(np.concatenate(parts))
    f_ref = exact_cdf(ref_values, points) if ref_values is not None else ref_sketch.cdf(points)  # type: ignore[union-attr]
    f_cur = cur_sketch.cdf(points)
    d = float(np.max(np.abs(f_ref - f_cur)))
    return min(max(d, 0.0), 1.0), ks_error_bound(ref_error, cur_sketch.rank_error)


def ks_error_bound(ref_error: float, cur_error: float) -> float:
    """How far the approximate KS statistic may be from the exact one, given each side's rank
    error (0 for a side with exact values)."""
    return 2 * (ref_error + cur_error) + 2.0 / GRID
