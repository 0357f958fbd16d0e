"""The local backend: a table in memory to profiles with numpy, one thread per column.

It holds every value: numerical columns are sorted once, which gives exact bins, moments,
percentiles and the sorted values exact Kolmogorov–Smirnov needs. Its column functions
(:func:`profile_numeric`, :func:`profile_categorical`) are also what the streaming backend
applies to each batch or column.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from driftscope.backends.base import ProfileSettings, register_backend
from driftscope.inputs.batches import BatchSource, TableSource
from driftscope.profile.binning import bin_counts, finite_part, fit_sorted
from driftscope.profile.model import (
    Binning,
    CategoricalProfile,
    ColumnProfile,
    DatasetProfile,
    Moments,
    NumericProfile,
)
from driftscope.profile.quantiles import percentiles_of_sorted
from driftscope.profile.spec import ColumnSpec

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


def sorted_present(values: NDArray[np.float64], in_place: bool = False
                   ) -> NDArray[np.float64]:
    """The non-missing values, sorted (NaN sorts last, so the missing values are the tail).
    ``in_place`` sorts ``values`` itself (it must be writable) instead of a copy."""
    if in_place:
        values.sort()
        ordered = values
    else:
        ordered = np.sort(values)
    return ordered[: int(np.searchsorted(ordered, np.nan, side="left"))]


def profile_numeric(
    name: str,
    values: NDArray[np.float64],
    binning: Binning | None = None,
    max_value_bins: int = 20,
    keep_values: bool = True,
    beyond_float: int = 0,
    n_present: int | None = None,
) -> NumericProfile:
    """Profile one numerical column; fits the binning when ``binning`` is None (reference,
    which also counts its distinct values and checks whether they are whole numbers).
    ``beyond_float`` counts the integers rounded on the way to float64 (kept in the profile,
    reported as a finding). ``n_present``: ``values`` are already sorted with their
    ``n_present`` non-missing values first (:func:`column_sorted`)."""
    present = values[:n_present] if n_present is not None else sorted_present(values)
    fitting = binning is None
    if binning is None:
        binning = fit_sorted(present, max_value_bins)
    distinct = whole = None
    if fitting:
        distinct = int(np.count_nonzero(present[1:] != present[:-1])) + 1 if present.size else 0
        whole = bool(np.all(present == np.floor(present)))
    return NumericProfile(
        name=name,
        binning=binning,
        counts=bin_counts(present, binning),
        missing=int(values.shape[0] - present.shape[0]),
        count=int(present.shape[0]),
        moments=Moments.of(finite_part(present), is_sorted=True),
        sorted_values=present if keep_values else None,
        beyond_float=beyond_float,
        quantiles=percentiles_of_sorted(present),
        distinct=distinct,
        whole=whole,
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

    profiles = in_threads(one, specs, workers)
    return DatasetProfile(rows=table.num_rows, columns={p.name: p for p in profiles})


def in_threads(fn: Callable[[ColumnSpec], ColumnProfile], specs: Sequence[ColumnSpec],
               workers: int | None) -> list[ColumnProfile]:
    """``fn`` over the columns, in parallel threads (numpy and Arrow release the GIL)."""
    n_workers = workers or min(8, os.cpu_count() or 1)
    if n_workers <= 1 or len(specs) <= 1:
        return [fn(s) for s in specs]
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        return list(pool.map(fn, specs))


class LocalBackend:
    """The whole side in memory as one Arrow table (a file source is read whole)."""

    name = "local"

    def profile(self, source: BatchSource, specs: Sequence[ColumnSpec],
                reference: Mapping[str, ColumnProfile] | None = None,
                settings: ProfileSettings | None = None,
                on_column: Callable[[str], None] | None = None) -> DatasetProfile:
        settings = settings or ProfileSettings()
        names = [s.name for s in specs]
        if isinstance(source, TableSource):
            table = source.table
        else:
            batches = list(source.batches(names))
            table = pa.concat_tables(batches) if batches else source.schema.empty_table()
            if not names:  # tables without columns lose their row counts when joined
                table = pa.table({"_": pa.nulls(sum(b.num_rows for b in batches))}
                                 ).drop_columns(["_"])
        return profile_table(table, specs, reference, settings.max_value_bins,
                             settings.workers, on_column)


register_backend("local", LocalBackend)
