"""Profiles: per-column summaries of one dataset, against bins fitted on the reference.

A profile keeps everything the metrics need and nothing else: bin counts, category counts,
missing counts, exact moments of the finite values, the 101 percentiles of the finite values
and, for exact Kolmogorov–Smirnov, the sorted non-missing values — held in memory, or read
back one column at a time from where they live (:attr:`NumericProfile.values_source`), or
summarised by a mergeable quantile sketch. Two profiles of the same column with the same
binning merge into the profile of the union of their rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from driftscope.errors import DriftscopeError

NEW_VALUE_BINS = ("below", "between", "above")
"""The bins after the value bins of a ``kind == "value"`` binning, in count order."""


@dataclass(frozen=True)
class Binning:
    """Learned on the reference, frozen: how a numerical column is cut into bins.

    ``kind == "quantile"``: bins ``(-inf, e1), [e1, e2), …, [ek, +inf)`` on the interior
    ``edges``. ``kind == "value"``: one bin per reference value in ``values`` (sorted), then
    three bins for values the reference never had: below its minimum (``< values[0]``), between
    its values (inside the range but equal to none of them) and above its maximum
    (``> values[-1]``), in that order; infinities fall below or above.
    """

    kind: Literal["quantile", "value"]
    edges: tuple[float, ...] = ()
    values: tuple[float, ...] = ()

    @property
    def n_bins(self) -> int:
        return len(self.edges) + 1 if self.kind == "quantile" else len(self.values) + 3


@dataclass(frozen=True)
class Moments:
    """Count, mean, sum of squared deviations, min and max of the finite values (mergeable)."""

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    min: float = float("inf")
    max: float = float("-inf")

    @classmethod
    def of(cls, finite: NDArray[np.float64], is_sorted: bool = False) -> Moments:
        """Moments of ``finite`` (no NaN, no infinities); ``is_sorted`` saves the min/max scan."""
        if finite.size == 0:
            return cls()
        with np.errstate(over="ignore", invalid="ignore"):  # huge values: inf, not a warning
            mean = float(np.mean(finite))
            # np.var, not a BLAS dot product: BLAS threads would fight the profiling threads
            m2 = float(np.var(finite)) * finite.size
        return cls(
            count=int(finite.size),
            mean=mean,
            m2=m2,
            min=float(finite[0] if is_sorted else np.min(finite)),
            max=float(finite[-1] if is_sorted else np.max(finite)),
        )

    def merge(self, other: Moments) -> Moments:
        """Chan et al.'s parallel update: exact up to floating-point rounding."""
        if self.count == 0:
            return other
        if other.count == 0:
            return self
        n = self.count + other.count
        delta = other.mean - self.mean
        mean = self.mean + delta * other.count / n
        m2 = self.m2 + other.m2 + delta * delta * self.count * other.count / n
        return Moments(n, mean, m2, min(self.min, other.min), max(self.max, other.max))

    @property
    def std(self) -> float | None:
        return float(np.sqrt(self.m2 / (self.count - 1))) if self.count > 1 else None


@dataclass(frozen=True, eq=False)
class NumericProfile:
    """Profile of a numerical column.

    ``counts`` has one entry per bin of ``binning``; ``count`` is the number of non-missing
    values (infinities included), ``missing`` the number of missing ones.
    """

    name: str
    binning: Binning
    counts: NDArray[np.int64]
    missing: int
    count: int
    moments: Moments
    sorted_values: NDArray[np.float64] | None = field(default=None, repr=False)
    type: Literal["numerical"] = "numerical"
    beyond_float: int = 0
    """Integer values beyond ±2^53, profiled as the nearest float64 (they lose their last
    digits: an int64 id, hash or nanosecond timestamp)."""
    quantiles: NDArray[np.float64] | None = field(default=None, repr=False)
    """The 101 percentiles (0, 1, …, 100 %) of the finite values, numpy's linear method;
    None when there are no finite values or they are not known."""
    distinct: int | None = None
    """How many distinct non-missing values the column has (None when not counted)."""
    whole: bool | None = None
    """Whether every non-missing value is a whole number (None when not checked)."""
    values_source: Callable[[], NDArray[np.float64]] | None = field(default=None, repr=False)
    """Reads the sorted non-missing values back when they are not held (a column of a file,
    a baseline's values file): one column in memory at a time."""
    sketch: Any = field(default=None, repr=False)
    """A mergeable quantile sketch of the finite values
    (:class:`driftscope.backends.sketch.QuantileSketch`), when the values are not kept."""

    @property
    def rows(self) -> int:
        return self.count + self.missing

    @property
    def has_values(self) -> bool:
        """Whether the exact sorted values can be had (held or read back)."""
        return self.sorted_values is not None or self.values_source is not None

    def load_values(self) -> NDArray[np.float64] | None:
        """The sorted non-missing values: held, or read back now (not cached); None when
        neither."""
        if self.sorted_values is not None:
            return self.sorted_values
        if self.values_source is not None:
            return self.values_source()
        return None

    def finite_sorted(self) -> NDArray[np.float64] | None:
        """The sorted finite values (a view), or None when values were not kept."""
        s = self.load_values()
        if s is None:
            return None
        lo = int(np.searchsorted(s, -np.inf, side="right"))
        hi = int(np.searchsorted(s, np.inf, side="left"))
        return s[lo:hi]

    def merge(self, other: NumericProfile) -> NumericProfile:
        if other.binning != self.binning or other.name != self.name:
            raise DriftscopeError(
                f"cannot merge profiles of {self.name!r} with different bins or columns"
            )
        values = None
        if self.sorted_values is not None and other.sorted_values is not None:
            values = np.sort(np.concatenate([self.sorted_values, other.sorted_values]))
        sketch = None
        if self.sketch is not None and other.sketch is not None:
            sketch = self.sketch.merged(other.sketch)
        quantiles = None
        if values is not None:  # the merged values give the merged percentiles exactly
            from driftscope.profile.quantiles import percentiles_of_sorted

            quantiles = percentiles_of_sorted(values)
        elif sketch is not None:
            quantiles = sketch.percentiles()
        return replace(
            self,
            counts=self.counts + other.counts,
            missing=self.missing + other.missing,
            count=self.count + other.count,
            moments=self.moments.merge(other.moments),
            sorted_values=values,
            beyond_float=self.beyond_float + other.beyond_float,
            quantiles=quantiles,
            distinct=None,
            whole=(self.whole and other.whole) if self.whole is not None
            and other.whole is not None else None,
            values_source=None,
            sketch=sketch,
        )


@dataclass(frozen=True, eq=False)
class CategoricalProfile:
    """Profile of a categorical column: count per category (as text) and missing count."""

    name: str
    counts: dict[str, int]
    missing: int
    type: Literal["categorical"] = "categorical"

    @property
    def count(self) -> int:
        return sum(self.counts.values())

    @property
    def rows(self) -> int:
        return self.count + self.missing

    def merge(self, other: CategoricalProfile) -> CategoricalProfile:
        if other.name != self.name:
            raise DriftscopeError(f"cannot merge profiles of {self.name!r} and {other.name!r}")
        merged = dict(self.counts)
        for k, v in other.counts.items():
            merged[k] = merged.get(k, 0) + v
        # most frequent first, ties by name: the order a profile of the union has
        ordered = dict(sorted(merged.items(), key=lambda kv: (-kv[1], kv[0])))
        return replace(self, counts=ordered, missing=self.missing + other.missing)


ColumnProfile = NumericProfile | CategoricalProfile


@dataclass(frozen=True, eq=False)
class DatasetProfile:
    """Profiles of all monitored columns of one dataset, plus its row count."""

    rows: int
    columns: dict[str, ColumnProfile]

    def merge(self, other: DatasetProfile) -> DatasetProfile:
        if set(self.columns) != set(other.columns):
            raise DriftscopeError("cannot merge dataset profiles with different columns")
        return DatasetProfile(
            rows=self.rows + other.rows,
            columns={k: v.merge(other.columns[k]) for k, v in self.columns.items()},  # type: ignore[arg-type]
        )
