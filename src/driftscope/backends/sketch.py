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
    """A KLL sketch of the finite values of one column (mergeable, bounded size)."""

    sketch: Any

    @classmethod
    def empty(cls, k: int = SKETCH_K) -> QuantileSketch:
        return cls(_kll()(k))

    @classmethod
    def of(cls, finite: NDArray[np.float64], k: int = SKETCH_K) -> QuantileSketch:
        out = cls.empty(k)
        out.update(finite)
        return out

    @property
    def n(self) -> int:
        return int(self.sketch.n)

    @property
    def rank_error(self) -> float:
        """The bound on the error of any rank (CDF value) the sketch answers."""
        return float(self.sketch.normalized_rank_error(False)) if self.n else 0.0

    def update(self, finite: NDArray[np.float64]) -> None:
        if finite.size:
            self.sketch.update(np.ascontiguousarray(finite, dtype=np.float64))

    def merged(self, other: QuantileSketch) -> QuantileSketch:
        out = _kll().deserialize(self.sketch.serialize())
        out.merge(other.sketch)
        return QuantileSketch(out)

    def quantiles(self, ranks: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(self.sketch.get_quantiles(list(map(float, ranks))), dtype=np.float64)

    def percentiles(self) -> NDArray[np.float64] | None:
        """The 101 percentiles of the sketched values (approximate), None when empty."""
        return None if self.n == 0 else self.quantiles(PERCENTILES)

    def cdf(self, points: NDArray[np.float64]) -> NDArray[np.float64]:
        """The share of values ≤ each of the sorted ``points`` (approximate)."""
        if self.n == 0:
            return np.zeros(points.shape[0])
        return np.asarray(self.sketch.get_cdf(list(map(float, points)), True)[:-1],
                          dtype=np.float64)


def exact_cdf(sorted_finite: NDArray[np.float64], points: NDArray[np.float64]
              ) -> NDArray[np.float64]:
    """The share of the sorted values ≤ each point."""
    return np.searchsorted(sorted_finite, points, side="right") / max(sorted_finite.shape[0], 1)


def approximate_ks(ref_values: NDArray[np.float64] | None, ref_sketch: QuantileSketch | None,
                   cur_sketch: QuantileSketch) -> tuple[float, float]:
    """The two-sample KS statistic of a reference (exact values or a sketch) and a sketched
    current side, and a bound on its error.

    Both distribution functions are compared at :data:`GRID` quantiles of each side; the
    statistic is off by at most the sketches' rank errors (each counted for the evaluation
    and for the mass a grid step may hide) plus the grid's own step on each side."""
    ranks = np.linspace(0.0, 1.0, GRID + 1)
    parts = [cur_sketch.quantiles(ranks)]
    if ref_values is not None:
        from driftscope.profile.quantiles import sorted_quantiles

        parts.append(sorted_quantiles(ref_values, ranks))
        ref_error = 0.0
    else:
        assert ref_sketch is not None
        parts.append(ref_sketch.quantiles(ranks))
        ref_error = ref_sketch.rank_error
    points = np.unique(np.concatenate(parts))
    f_ref = exact_cdf(ref_values, points) if ref_values is not None else ref_sketch.cdf(points)  # type: ignore[union-attr]
    f_cur = cur_sketch.cdf(points)
    d = float(np.max(np.abs(f_ref - f_cur))) if points.size else 0.0
    bound = 2 * (ref_error + cur_sketch.rank_error) + 2.0 / GRID
    return min(max(d, 0.0), 1.0), bound
