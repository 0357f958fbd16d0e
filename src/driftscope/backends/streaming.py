"""The streaming backend: profiles built batch by batch, never holding the whole table.

Categorical columns are counted batch by batch and the counts merged. Numerical columns, with
``ks: exact`` (the default), are profiled one column at a time — the one column read whole,
sorted and profiled exactly like the local backend does, then let go — and their sorted values
are read back one column at a time when Kolmogorov–Smirnov needs them: memory holds one column
(two, per comparing thread), not the table, and every number equals the local backend's. With
``ks: approximate`` no column is ever held: each batch is profiled under the reference's bins
and merged (exact counts, exact moments up to floating-point rounding) and a KLL quantile
sketch gives the percentiles and KS, with the sketch's error bound stated in the report. On
the reference side, the approximate mode fits the bins from the sketch's quantiles in a first
pass and counts in a second.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from driftscope.backends.base import ProfileSettings, register_backend
from driftscope.backends.local import (
    beyond_float_precision,
    in_threads,
    numeric_values,
    profile_categorical,
    profile_numeric,
    sorted_present,
)
from driftscope.inputs.batches import BatchSource
from driftscope.profile.binning import finite_part, fit_binning
from driftscope.profile.model import (
    Binning,
    CategoricalProfile,
    ColumnProfile,
    DatasetProfile,
    NumericProfile,
)
from driftscope.profile.spec import ColumnSpec


class StreamingBackend:
    """Record batches in, mergeable profiles out; one column in memory at most."""

    name = "streaming"

    def profile(self, source: BatchSource, specs: Sequence[ColumnSpec],
                reference: Mapping[str, ColumnProfile] | None = None,
                settings: ProfileSettings | None = None,
                on_column: Callable[[str], None] | None = None) -> DatasetProfile:
        settings = settings or ProfileSettings()
        categorical = [s for s in specs if s.type == "categorical"]
        numerical = [s for s in specs if s.type == "numerical"]
        sketched = numerical if settings.ks == "approximate" else []
        by_column = [s for s in numerical if s not in sketched]

        binnings: dict[str, Binning | None] = {}
        for s in sketched:
            ref = reference.get(s.name) if reference is not None else None
            binnings[s.name] = ref.binning if isinstance(ref, NumericProfile) else None
        unfitted = [s.name for s in sketched if binnings[s.name] is None]
        if unfitted:  # the reference side, sketched: fit its bins in a first pass
            binnings.update(_fit_from_sketches(source, unfitted, settings.max_value_bins))

        profiles: dict[str, ColumnProfile] = {}
        rows = 0
        names = [s.name for s in categorical + sketched]
        # merged as the batches come: memory holds one running profile per column, not one
        # per batch (a year of batches would otherwise pile up sketches and category counts)
        running: dict[str, ColumnProfile] = {}
        for batch in source.batches(names):
            rows += batch.num_rows
            for s in categorical:
                _fold(running, profile_categorical(s.name, batch.column(s.name)))
            for s in sketched:
                _fold(running, _sketched_batch(s.name, batch.column(s.name), binnings[s.name]))
        for s in categorical + sketched:
            got = running.pop(s.name, None)
            if isinstance(got, CategoricalProfile):  # most frequent first, as a whole column
                got = replace(got, counts=dict(sorted(got.counts.items(),
                                                      key=lambda kv: (-kv[1], kv[0]))))
            profiles[s.name] = got if got is not None else _empty(s, binnings.get(s.name))
            if on_column is not None:
                on_column(s.name)

        def one(spec: ColumnSpec) -> ColumnProfile:
            ref = reference.get(spec.name) if reference is not None else None
            binning = ref.binning if isinstance(ref, NumericProfile) else None
            present, n, beyond = sorted_column(source, spec.name)
            prof = profile_numeric(spec.name, present, binning, settings.max_value_bins,
                                   keep_values=False, beyond_float=beyond,
                                   n_present=present.shape[0])
            # the missing values were cut off the sorted column: count them from its length
            prof = replace(prof, missing=n - present.shape[0])
            del present
            prof = _with_source(prof, _column_reader(source, spec.name))
            if on_column is not None:
                on_column(spec.name)
            return prof

        # one column per thread: memory holds a column per worker, at most two by default
        for prof in in_threads(one, by_column, min(settings.workers or 2, 2)):
            profiles[prof.name] = prof
        if not names and by_column:  # every row is a value or a missing value of a column
            rows = profiles[by_column[0].name].rows
        elif not names and not by_column:
            rows = sum(b.num_rows for b in source.batches([]))
        return DatasetProfile(rows=rows, columns={s.name: profiles[s.name] for s in specs})


def _fold(running: dict[str, ColumnProfile], part: ColumnProfile) -> None:
    """Merge one batch's profile of a column into the column's running profile."""
    before = running.get(part.name)
    running[part.name] = part if before is None else before.merge(part)  # type: ignore[arg-type]


def _empty(spec: ColumnSpec, binning: Binning | None) -> ColumnProfile:
    if spec.type == "categorical":
        return CategoricalProfile(name=spec.name, counts={}, missing=0)
    return _sketched_batch(spec.name, pa.array([], pa.float64()),
                           binning or Binning(kind="quantile"))


def _sketched_batch(name: str, column: pa.ChunkedArray | pa.Array, binning: Binning | None
                    ) -> NumericProfile:
    """One batch of a sketched column under ``binning``: counts, moments and a sketch."""
    from driftscope.backends.sketch import QuantileSketch

    values = numeric_values(column)
    prof = profile_numeric(name, values, binning or Binning(kind="quantile"), keep_values=False,
                           beyond_float=beyond_float_precision(column))
    sketch = QuantileSketch.of(sorted_present(values))  # infinities counted apart
    return replace(prof, sketch=sketch, quantiles=sketch.percentiles())


def _fit_from_sketches(source: BatchSource, names: list[str], max_value_bins: int
                       ) -> dict[str, Binning]:
    """The reference's bins from one pass: a sketch per column for the deciles, and its
    distinct values while there are few (the fit itself is backend-free)."""
    from driftscope.backends.sketch import QuantileSketch

    sketches = {n: QuantileSketch.empty() for n in names}
    distinct: dict[str, set[float] | None] = {n: set() for n in names}
    for batch in source.batches(names):
        for n in names:
            finite = finite_part(sorted_present(numeric_values(batch.column(n))))
            sketches[n].update(finite)
            seen = distinct[n]
            if seen is not None:
                seen.update(np.unique(finite).tolist())
                if len(seen) > max_value_bins:
                    distinct[n] = None
    out = {}
    for n in names:
        seen = distinct[n]
        sk = sketches[n]
        out[n] = fit_binning(None if seen is None else sorted(seen),
                             None if sk.n == 0 else sk.quantiles, max_value_bins)
    return out


def sorted_column(source: BatchSource, name: str) -> tuple[NDArray[np.float64], int, int]:
    """One column's non-missing values sorted, its length and how many integers were beyond
    float64's precision. Filled batch by batch into one array and sorted in place: memory
    holds the column once (plus a batch), not Arrow's copy and numpy's."""
    values = np.empty(source.num_rows, dtype=np.float64)
    at = beyond = 0
    for batch in source.batches([name]):
        column = batch.column(0)
        beyond += beyond_float_precision(column)
        part = numeric_values(column)
        if at + part.shape[0] > values.shape[0]:  # more rows than the source said: grow
            values = np.concatenate([values[:at], np.empty(part.shape[0] + at)])
        values[at:at + part.shape[0]] = part
        at += part.shape[0]
    values = values[:at]
    return sorted_present(values, in_place=True), at, beyond


def _column_reader(source: BatchSource, name: str) -> Callable[[], NDArray[np.float64]]:
    def read() -> NDArray[np.float64]:
        return sorted_column(source, name)[0]

    return read


def _with_source(prof: NumericProfile, read: Callable[[], NDArray[np.float64]]
                 ) -> NumericProfile:
    return replace(prof, values_source=read)


register_backend("streaming", StreamingBackend)
