"""The ``spark`` backend: the same profiles as the local backend, computed on a Spark cluster.

Install with ``pip install 'driftscope[spark]'`` (pyspark, imported only when this backend
is used; a Java runtime is needed too). Select it with ``backend: spark`` or ``--backend
spark`` and say where Spark runs with ``spark_master`` / ``--spark-master`` (``local[*]`` by
default; an active session, e.g. under ``spark-submit``, is used as it is).

How a side is profiled — every pass is one ``mapInArrow`` over the data whose per-partition
results are merged on the executors (``treeReduce``); no row reaches the driver:

1. one pass: category counts, missing counts, exact moments, beyond-float counts, whether the
   values are whole, a KLL sketch per numerical column, the distinct values of the reference's
   columns while there are at most ``max_value_bins`` — and, on the current side, the bin
   counts under the reference's bins;
2. exact order statistics (:mod:`driftscope.backends.spark_quantiles`): the reference's decile
   edges and both sides' 101 percentiles, exactly numpy's linear quantiles — two or three passes
   in practice, at most twelve;
3. on the reference side, one more pass counts the values into the bins just fitted (with
   :func:`driftscope.profile.binning.fit_binning`, the backend-free fit every backend uses),
   and one Spark aggregation counts each numerical column's distinct values.

The per-batch work is driftscope's own column code (:mod:`driftscope.backends.spark_parts`),
so bin counts, category counts, missing counts, and hence PSI, Jensen–Shannon, Chi-square and
the missing and unseen shares equal the local backend's exactly; moments equal them up to
floating-point rounding (merged by partition). The sorted values are never held, so
Kolmogorov–Smirnov comes from the merged KLL sketches (``approximate_ks``) whatever ``ks``
says, with its error bound stated in the report. A model and a feature engineering run on the
executors too (:mod:`driftscope.backends.spark_scoring`): the engineered columns are profiled
by these same passes, and only the predictions and labels come to the driver.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np

from driftscope.backends.base import ProfileSettings, register_backend
from driftscope.errors import DriftscopeError, InputError
from driftscope.inputs.batches import BatchSource, FileSource, RepairedSource, TableSource
from driftscope.profile.binning import DECILES, fit_binning
from driftscope.profile.model import (
    Binning,
    CategoricalProfile,
    ColumnProfile,
    DatasetProfile,
    Moments,
    NumericProfile,
)
from driftscope.profile.quantiles import PERCENTILES
from driftscope.profile.spec import ColumnSpec


class SparkBackend:
    """Profiles a side on Spark (a :class:`~driftscope.inputs.spark_source.SparkSource`, or any
    other source, which Spark then reads)."""

    name = "spark"

    def __init__(self, master: str | None = None) -> None:
        self.master = master

    def profile(self, source: BatchSource, specs: Sequence[ColumnSpec],
                reference: Mapping[str, ColumnProfile] | None = None,
                settings: ProfileSettings | None = None,
                on_column: Callable[[str], None] | None = None) -> DatasetProfile:
        from driftscope.backends.spark_session import quiet_pyspark, spark_session

        settings = settings or ProfileSettings()
        session = spark_session(self.master)
        src = as_spark_source(source, session)
        try:
            with quiet_pyspark():
                profiles, rows = _profile(src, specs, reference, settings.max_value_bins)
        except DriftscopeError:
            raise
        except Exception as err:  # an executor's error arrives wrapped in Java's
            raise InputError(f"{src.name}: Spark could not profile the data "
                             f"({spark_error_line(err)}); check the data") from None
        for s in specs:
            if on_column is not None:
                on_column(s.name)
        return DatasetProfile(rows=rows, columns={s.name: profiles[s.name] for s in specs})


def spark_error_line(err: BaseException) -> str:
    """The line of a (Java-wrapped) Spark error that says what went wrong."""
    text = str(err)
    for marker in ("driftscope.errors.", "pyarrow.lib.", "Error: ", "Exception: "):
        for line in text.splitlines():
            if marker in line:
                return line.strip()[:240]
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    return (lines[0] if lines else type(err).__name__)[:240]


def as_spark_source(source: BatchSource, session: Any) -> Any:
    """``source`` as a SparkSource: a Spark source as it is (a schema repair added to its
    conversion, to run on the executors); a file source read by Spark; a table in memory
    handed to Spark."""
    from driftscope.inputs.spark_source import SparkSource, cast_to, read_files

    if isinstance(source, SparkSource):
        return source
    if isinstance(source, RepairedSource):
        inner = as_spark_source(source.inner, session)
        first, repair = inner.convert, source.repair

        def convert(table: Any) -> Any:
            return repair(first(table) if first is not None else table)

        return SparkSource(inner.frame, source.name, source.schema, convert, inner.batch_rows)
    if isinstance(source, FileSource):
        return read_files(source.path, session, source.name, source.batch_rows)
    if isinstance(source, TableSource):
        frame = session.createDataFrame(_spark_ready(source.table))
        return SparkSource(frame, source.name, source.table.schema,
                           cast_to(source.table.schema))
    raise InputError(f"{source.name}: the spark backend reads Spark DataFrames, files, tables "
                     "in memory and table:db.name; this source is none of them")


def _spark_ready(table: Any) -> Any:
    """A table in memory with dictionary columns decoded (Spark has no dictionary type)."""
    import pyarrow as pa

    cols = [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c
            for c in table.columns]
    return pa.Table.from_arrays(cols, names=table.column_names)


def run_pass(frame: Any, plan: Any) -> Any:
    """One pass over ``frame``: :func:`~driftscope.backends.spark_parts.run_partition` on each
    partition, merged on the executors; the merged part on the driver."""
    from driftscope.backends.spark_parts import Part, merge_pickled, run_partition
    from driftscope.backends.spark_session import quiet_pyspark

    with quiet_pyspark():
        parts = frame.mapInArrow(partial(run_partition, plan), "part binary").rdd
        merge = partial(merge_pickled, plan)
        try:
            merged = parts.map(lambda row: bytes(row[0])).treeReduce(merge, depth=2)
        except ValueError:  # no partition at all
            return Part()
    return pickle.loads(merged)



def _profile(src: Any, specs: Sequence[ColumnSpec], reference: Mapping[str, ColumnProfile] | None,
             max_value_bins: int) -> tuple[dict[str, ColumnProfile], int]:
    from driftscope.backends.spark_parts import Plan, sketch_of
    from driftscope.backends.spark_quantiles import (
        OrderStatistics,
        indices_for,
        order_statistics,
    )

    frame = src.frame
    categorical = tuple(s.name for s in specs if s.type == "categorical")
    numerical = tuple(s.name for s in specs if s.type == "numerical")
    known: dict[str, Binning] = {}
    for name in numerical:
        ref = reference.get(name) if reference is not None else None
        if isinstance(ref, NumericProfile):
            known[name] = ref.binning
    fitting = [n for n in numerical if n not in known]
    first = run_pass(frame, Plan(convert=src.convert, categorical=categorical,
                                 numerical=numerical, binnings=known,
                                 distinct_limit={n: max_value_bins for n in fitting}))
    profiles: dict[str, ColumnProfile] = {}
    for name in categorical:
        got = first.columns.get(name)
        profiles[name] = got if got is not None else CategoricalProfile(name, {}, 0)
    numeric: dict[str, NumericProfile] = {n: _numeric(first, n, known.get(n)) for n in numerical}
    sketches = {n: sketch_of(first.sketches.get(n)) for n in numerical}

    # what the order statistics must give: every side's percentiles, the reference's deciles
    wanted: dict[str, set[int]] = {}
    binnings: dict[str, Binning] = dict(known)
    for name in numerical:
        n = numeric[name].moments.count
        if n == 0:
            if name in fitting:
                binnings[name] = fit_binning(None, None, max_value_bins)
            continue
        ranks = indices_for(n, PERCENTILES)
        distinct = first.distinct.get(name)
        if name in fitting and distinct is not None:
            binnings[name] = fit_binning(distinct, lambda qs: qs, max_value_bins)
        elif name in fitting:
            ranks |= indices_for(n, DECILES)
        wanted[name] = ranks
    stats = order_statistics(
        partial(run_pass, frame), Plan(convert=src.convert), wanted,
        {n: numeric[n].moments.count for n in wanted}, sketches,
        {n: (numeric[n].moments.min, numeric[n].moments.max) for n in wanted})
    for name, found in stats.items():
        ordered = OrderStatistics(numeric[name].moments.count, found)
        if name not in binnings:
            binnings[name] = fit_binning(None, ordered.quantiles, max_value_bins)
        numeric[name] = replace(numeric[name], quantiles=ordered.quantiles(PERCENTILES))

    if fitting:  # the reference: count into the bins just fitted, count distinct values
        counted = run_pass(frame, Plan(convert=src.convert, numerical=tuple(fitting),
                                       binnings={n: binnings[n] for n in fitting},
                                       profiles=False))
        distinct = _distinct_counts(src, fitting)
        for name in fitting:
            got = counted.columns.get(name)
            counts = got.counts if isinstance(got, NumericProfile) else \
                np.zeros(binnings[name].n_bins, np.int64)
            numeric[name] = replace(numeric[name], binning=binnings[name], counts=counts,
                                    distinct=distinct[name])
    for name in numerical:
        prof = numeric[name]
        if name not in fitting:
            prof = replace(prof, whole=None)
        profiles[name] = replace(prof, sketch=sketches[name] if prof.count else None)
    return profiles, first.rows


def _numeric(part: Any, name: str, binning: Binning | None) -> NumericProfile:
    got = part.columns.get(name)
    if isinstance(got, NumericProfile):
        if binning is not None:
            return got
        return replace(got, binning=Binning(kind="quantile"))
    empty = Binning(kind="quantile") if binning is None else binning
    return NumericProfile(name=name, binning=empty, counts=np.zeros(empty.n_bins, np.int64),
                          missing=0, count=0, moments=Moments())


def _distinct_counts(src: Any, names: Sequence[str]) -> dict[str, int]:
    """How many distinct non-missing values each numerical column has (as float64, as the
    local backend counts them: NaN is missing, infinities are values), in one aggregation."""
    from pyspark.sql import functions as F

    from driftscope.inputs.spark_source import quoted_column

    typed = src.typed()
    exprs = []
    for i, name in enumerate(names):
        as_double = quoted_column(name).cast("double")
        exprs.append(F.count_distinct(F.when(~F.isnan(as_double), as_double)).alias(f"c{i}"))
    row = typed.agg(*exprs).collect()[0]
    return {name: int(row[f"c{i}"]) for i, name in enumerate(names)}


register_backend("spark", SparkBackend)
