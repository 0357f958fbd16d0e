"""The local backend: Arrow columns to profiles with numpy, one thread per column."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from driftscope.inputs.schema import ColumnSpec
from driftscope.profile.model import (
    Binning,
    CategoricalProfile,
    ColumnProfile,
    DatasetProfile,
    Moments,
    NumericProfile,
)
from driftscope.profile.quantiles import sorted_quantiles

DECILES = np.arange(1, 10) / 10


FLOAT_EXACT = 2**53
"""Integers up to this magnitude are exact in float64; beyond it they are rounded."""


def beyond_float_precision(column: pa.ChunkedArray | pa.Array) -> int:
    """How many values of an integer column are beyond ±2^53, where float64 rounds them (0 for
    other types): an int64 id, hash or nanosecond timestamp easily is."""
    if not pa.types.is_integer(column.type) or len(column) == 0:
        return 0
    mm = pc.min_max(column)
    lo, hi = mm["min"].as_py(), mm["max"].as_py()
    if lo is None or (lo >= -FLOAT_EXACT and hi <= FLOAT_EXACT):
        return 0
    parts = []
    if hi > FLOAT_EXACT:
        parts.append(pc.greater(column, pa.scalar(FLOAT_EXACT, column.type)))
    if lo < -FLOAT_EXACT:
        parts.append(pc.less(column, pa.scalar(-FLOAT_EXACT, column.type)))
    beyond = parts[0] if len(parts) == 1 else pc.or_(*parts)
    return int(pc.sum(beyond).as_py() or 0)


def numeric_values(column: pa.ChunkedArray | pa.Array) -> NDArray[np.float64]:
    """A column as float64 with NaN for missing values; integers beyond ±2^53 become the
    nearest float64 (see :func:`beyond_float_precision`)."""
    if pa.types.is_null(column.type):
        return np.full(len(column), np.nan)
    if not pa.types.is_floating(column.type) or column.type != pa.float64():
        # an integer cast is exact up to 2^53; beyond, the nearest float64 is the honest value
        # (a safe cast would refuse it), and the profile records how many were rounded
        column = pc.cast(column, pa.float64(), safe=not pa.types.is_integer(column.type))
    values = column.to_numpy(zero_copy_only=False) if isinstance(column, pa.ChunkedArray) \
        else column.to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.float64)


def fit_binning(sorted_values: NDArray[np.float64], max_value_bins: int = 20) -> Binning:
    """Fit the bins of a numerical column on its sorted non-missing reference values.

    Infinite values are left out of the fit. At most ``max_value_bins`` distinct finite values:
    one bin per value (and three for new values: below, between, above; see :class:`Binning`);
    otherwise interior edges at the unique deciles (numpy linear method).
    """
    lo = int(np.searchsorted(sorted_values, -np.inf, side="right"))
    hi = int(np.searchsorted(sorted_values, np.inf, side="left"))
    finite = sorted_values[lo:hi]
    if finite.size == 0:
        return Binning(kind="quantile", edges=())
    differs = finite[1:] != finite[:-1]
    if int(np.count_nonzero(differs)) + 1 <= max_value_bins:
        distinct = np.concatenate([finite[:1], finite[1:][differs]])
        return Binning(kind="value", values=tuple(float(v) for v in distinct))
    edges = np.unique(sorted_quantiles(finite, DECILES))
    return Binning(kind="quantile", edges=tuple(float(e) for e in edges))


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


def profile_numeric(
    name: str,
    values: NDArray[np.float64],
    binning: Binning | None = None,
    max_value_bins: int = 20,
    keep_values: bool = True,
    beyond_float: int = 0,
) -> NumericProfile:
    """Profile one numerical column; fits the binning when ``binning`` is None (reference).
    ``beyond_float`` counts the integers rounded on the way to float64 (kept in the profile,
    reported as a finding)."""
    ordered = np.sort(values)  # NaN sorts last, so the missing values are the tail
    missing = int(values.shape[0] - np.searchsorted(ordered, np.nan, side="left"))
    present = ordered[: values.shape[0] - missing]
    if binning is None:
        binning = fit_binning(present, max_value_bins)
    lo = int(np.searchsorted(present, -np.inf, side="right"))
    hi = int(np.searchsorted(present, np.inf, side="left"))
    return NumericProfile(
        name=name,
        binning=binning,
        counts=bin_counts(present, binning),
        missing=missing,
        count=int(present.shape[0]),
        moments=Moments.of(present[lo:hi], is_sorted=True),
        sorted_values=present if keep_values else None,
        beyond_float=beyond_float,
    )


def category_labels(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """A column as text categories (dictionary decoded, booleans and numbers as text)."""
    t = column.type
    if pa.types.is_dictionary(t):
        column = pc.cast(column, t.value_type)
        t = column.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return column
    if pa.types.is_null(t):
        return pc.cast(column, pa.string())
    if pa.types.is_floating(t):
        # 3.0 and 3 are one category; NaN counts as missing
        column = pc.if_else(pc.is_nan(column), None, column)
        as_int = pc.cast(column, pa.int64(), safe=False)
        is_whole = pc.equal(pc.cast(as_int, t), column)
        return pc.if_else(is_whole, pc.cast(as_int, pa.string()), pc.cast(column, pa.string()))
    return pc.cast(column, pa.string())


def profile_categorical(name: str, column: pa.ChunkedArray | pa.Array) -> CategoricalProfile:
    """Profile one categorical column: counts per category, most frequent first."""
    labels = category_labels(column)
    vc = pc.value_counts(labels)
    values = vc.field("values").to_pylist()
    counts = vc.field("counts").to_numpy()
    missing = 0
    pairs: list[tuple[str, int]] = []
    for v, c in zip(values, counts):
        if v is None:
            missing += int(c)
        else:
            pairs.append((str(v), int(c)))
    pairs.sort(key=lambda kv: (-kv[1], kv[0]))
    return CategoricalProfile(name=name, counts=dict(pairs), missing=missing)


def profile_table(
    table: pa.Table,
    specs: Sequence[ColumnSpec],
    reference: Mapping[str, ColumnProfile] | None = None,
    max_value_bins: int = 20,
    workers: int | None = None,
    on_column: Callable[[str], None] | None = None,
) -> DatasetProfile:
    """Profile the ``specs`` columns of ``table``.

    With ``reference`` (the reference's profiles), numerical columns use its binning; without
    it, the binning is fitted here. Columns run in parallel threads (numpy releases the GIL).
    """

    def one(spec: ColumnSpec) -> ColumnProfile:
        column = table.column(spec.name)
        prof: ColumnProfile
        if spec.type == "numerical":
            ref = reference.get(spec.name) if reference is not None else None
            binning = ref.binning if isinstance(ref, NumericProfile) else None
            prof = profile_numeric(spec.name, numeric_values(column), binning, max_value_bins,
                                   beyond_float=beyond_float_precision(column))
        else:
            prof = profile_categorical(spec.name, column)
        if on_column is not None:
            on_column(spec.name)
        return prof

    n_workers = workers or min(8, os.cpu_count() or 1)
    if n_workers <= 1 or len(specs) <= 1:
        profiles = [one(s) for s in specs]
    else:
        with ThreadPoolExecutor(max_workers=n_workers) as pool:
            profiles = list(pool.map(one, specs))
    return DatasetProfile(rows=table.num_rows, columns={p.name: p for p in profiles})
