"""What the ``spark`` backend computes on the executors: one partial profile per partition,
merged pairwise on the cluster (``treeReduce``) so the driver receives one small object.

A pass is described by a :class:`Plan` (shipped to the executors with the function that runs
it). For each Arrow batch of a partition, driftscope's own column functions run — the same
code the local and streaming backends use — so every count (bins, categories, missing values)
is the local backend's, integer for integer:

- categorical columns: :func:`~driftscope.backends.local.profile_categorical`;
- numerical columns: bin counts under the reference's binning (when it is known), missing and
  non-missing counts, exact moments (merged with Chan's update), the count of integers beyond
  float64's precision, whether every value is whole, a KLL sketch of the finite values
  (:class:`~driftscope.backends.sketch.QuantileSketch`) and, while there are few, the distinct
  finite values (for the reference's value bins);
- order statistics: for each interval of order-preserving 64-bit keys of a column's finite
  values, how many keys lie below it and, inside it, the keys themselves while there are at
  most :data:`COLLECT`, else their histogram over :data:`BUCKETS` equal sub-intervals (see
  :mod:`driftscope.backends.spark_quantiles`).
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from driftscope.backends.local import (
    beyond_float_precision,
    numeric_values,
    profile_categorical,
    sorted_present,
)
from driftscope.inputs.spark_source import Convert
from driftscope.profile.binning import bin_counts, finite_part
from driftscope.profile.model import (
    Binning,
    ColumnProfile,
    Moments,
    NumericProfile,
)

COLLECT = 256
"""Keys of one interval kept as they are; beyond, a histogram. Small, like :data:`BUCKETS`:
a pass carries one interval per wanted order statistic (about 220 per numerical column), and
its per-partition result travels through the JVM (1,000,000 rows × 40 columns with 4,096 and
2,048 ran a local[2] driver out of its 1 GB heap)."""

BUCKETS = 128
"""Sub-intervals of an interval's histogram (3 × 128 int64: 3 KB an interval)."""

UNFITTED = Binning(kind="quantile")
"""The placeholder binning of a column whose bins are not known yet (no counts)."""

Interval = tuple[str, int, int]
"""A column and an inclusive interval [lo, hi] of order-preserving keys of its values."""


def float_keys(finite: NDArray[np.float64]) -> NDArray[np.int64]:
    """Order-preserving int64 keys of float64 values: ``a < b`` iff ``key(a) < key(b)``
    (with -0.0 just below 0.0)."""
    bits = np.ascontiguousarray(finite, dtype=np.float64).view(np.int64)
    return np.where(bits < 0, bits ^ np.int64(0x7FFFFFFFFFFFFFFF), bits)


def key_value(key: int) -> float:
    """The float64 whose key is ``key`` (the inverse of :func:`float_keys`)."""
    bits = np.int64(key)
    if bits < 0:
        bits = bits ^ np.int64(0x7FFFFFFFFFFFFFFF)
    return float(np.array([bits], dtype=np.int64).view(np.float64)[0])


def bucket_width(lo: int, hi: int) -> int:
    """The width of each of the :data:`BUCKETS` sub-intervals of [lo, hi] (at least 1)."""
    return (hi - lo) // BUCKETS + 1


def bucket_of(keys: NDArray[np.int64], lo: int, width: int) -> NDArray[np.int64]:
    """Which sub-interval each key (all in [lo, hi]) falls in; uint64 arithmetic, so a span
    of the whole key range does not overflow."""
    offset = keys.astype(np.uint64) - np.uint64(lo & 0xFFFFFFFFFFFFFFFF)
    return (offset // np.uint64(width)).astype(np.int64)


@dataclass(frozen=True)
class Plan:
    """What one pass computes: ``convert`` makes each batch driftscope's rows."""

    convert: Convert | None
    categorical: tuple[str, ...] = ()
    numerical: tuple[str, ...] = ()
    binnings: dict[str, Binning] = field(default_factory=dict)
    """The columns whose bins are known (counted in this pass)."""
    distinct_limit: dict[str, int] = field(default_factory=dict)
    """Columns whose distinct finite values are gathered, up to this many."""
    intervals: tuple[Interval, ...] = ()
    profiles: bool = True
    """False: only the order statistics (and the bin counts) are wanted."""


@dataclass
class Part:
    """The partial result of a pass over some rows (mergeable)."""

    rows: int = 0
    columns: dict[str, ColumnProfile] = field(default_factory=dict)
    sketches: dict[str, bytes] = field(default_factory=dict)
    distinct: dict[str, list[float] | None] = field(default_factory=dict)
    below: dict[int, int] = field(default_factory=dict)
    """Per interval (index in the plan): how many keys are below it."""
    inside: dict[int, NDArray[np.int64]] = field(default_factory=dict)
    """Per interval: its keys (``kinds[i] == "keys"``) or its histogram (``"hist"``)."""
    kinds: dict[int, str] = field(default_factory=dict)


def sketch_of(data: bytes | None) -> Any:
    from driftscope.backends.sketch import QuantileSketch, _kll

    if data is None:
        return None
    below, above, raw = pickle.loads(data)
    return QuantileSketch(_kll().deserialize(raw), below, above)


def sketch_bytes(sketch: Any) -> bytes:
    return pickle.dumps((sketch.below, sketch.above, sketch.sketch.serialize()))


def profile_batch(plan: Plan, table: pa.Table) -> Part:
    """The partial result of one batch."""
    from driftscope.backends.sketch import QuantileSketch

    part = Part(rows=table.num_rows)
    if plan.profiles:
        for name in plan.categorical:
            part.columns[name] = profile_categorical(name, table.column(name))
    wanted = set(plan.numerical) | {c for c, _, _ in plan.intervals}
    finite_of: dict[str, NDArray[np.float64]] = {}
    for name in plan.numerical:
        column = table.column(name)
        values = numeric_values(column)
        present = sorted_present(values, in_place=True) if values.flags.writeable \
            else sorted_present(values)
        finite = finite_part(present)
        finite_of[name] = finite
        binning = plan.binnings.get(name)
        if plan.profiles or binning is not None:
            counts = bin_counts(present, binning) if binning is not None \
                else np.zeros(0, np.int64)
            sketch = QuantileSketch.of(present) if plan.profiles else None
            part.columns[name] = NumericProfile(
                name=name, binning=binning or UNFITTED, counts=counts,
                missing=int(values.shape[0] - present.shape[0]), count=int(present.shape[0]),
                moments=Moments.of(finite, is_sorted=True),
                beyond_float=beyond_float_precision(column),
                whole=bool(np.all(present == np.floor(present))))
            if sketch is not None:
                part.sketches[name] = sketch_bytes(sketch)
        limit = plan.distinct_limit.get(name)
        if limit is not None:
            seen = np.unique(finite)
            part.distinct[name] = seen.tolist() if seen.size <= limit else None
    for name in wanted - set(finite_of):
        present = sorted_present(numeric_values(table.column(name)))
        finite_of[name] = finite_part(present)
    keys_of = {name: float_keys(finite_of[name]) for name in {c for c, _, _ in plan.intervals}}
    for i, (name, lo, hi) in enumerate(plan.intervals):
        keys = keys_of[name]
        start = int(np.searchsorted(keys, lo, side="left"))
        stop = int(np.searchsorted(keys, hi, side="right"))
        part.below[i] = start
        part.inside[i] = keys[start:stop].copy()
        part.kinds[i] = "keys"
        _bound(part, plan, i)
    return part


def _bound(part: Part, plan: Plan, i: int) -> None:
    """Keep an interval's keys while few, else turn them into its histogram."""
    if part.kinds[i] == "keys" and part.inside[i].shape[0] > COLLECT:
        part.inside[i] = _histogram(part.inside[i], plan.intervals[i])
        part.kinds[i] = "hist"


def _histogram(keys: NDArray[np.int64], interval: Interval) -> NDArray[np.int64]:
    """Rows: the count, the smallest and the largest key of each sub-interval (a run of
    equal values is then settled at once, however wide its sub-interval)."""
    _, lo, hi = interval
    bucket = bucket_of(keys, lo, bucket_width(lo, hi))
    out = np.empty((3, BUCKETS), dtype=np.int64)
    out[0] = np.bincount(bucket, minlength=BUCKETS)
    out[1] = np.iinfo(np.int64).max
    out[2] = np.iinfo(np.int64).min
    np.minimum.at(out[1], bucket, keys)
    np.maximum.at(out[2], bucket, keys)
    return out


def merge_histograms(a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.int64]:
    return np.stack([a[0] + b[0], np.minimum(a[1], b[1]), np.maximum(a[2], b[2])])


def merge_parts(plan: Plan, a: Part, b: Part) -> Part:
    """The partial result of the rows of ``a`` and ``b``."""
    out = Part(rows=a.rows + b.rows)
    for name in {**a.columns, **b.columns}:
        x, y = a.columns.get(name), b.columns.get(name)
        if x is None or y is None:
            got = x if y is None else y
            assert got is not None
            out.columns[name] = got
        else:
            out.columns[name] = x.merge(y)  # type: ignore[arg-type]
    for name in {**a.sketches, **b.sketches}:
        sx, sy = a.sketches.get(name), b.sketches.get(name)
        if sx is None or sy is None:
            out.sketches[name] = sx or sy  # type: ignore[assignment]
        else:
            out.sketches[name] = sketch_bytes(sketch_of(sx).merged(sketch_of(sy)))
    for name in {**a.distinct, **b.distinct}:
        if name not in a.distinct or name not in b.distinct:
            out.distinct[name] = a.distinct.get(name, b.distinct.get(name))
            continue
        dx, dy = a.distinct[name], b.distinct[name]
        both = None if dx is None or dy is None else sorted(set(dx) | set(dy))
        limit = plan.distinct_limit[name]
        out.distinct[name] = both if both is not None and len(both) <= limit else None
    for i in set(a.below) | set(b.below):
        if i not in a.below or i not in b.below:
            src = a if i in a.below else b
            out.below[i], out.inside[i], out.kinds[i] = src.below[i], src.inside[i], \
                src.kinds[i]
            continue
        out.below[i] = a.below[i] + b.below[i]
        if a.kinds[i] == b.kinds[i] == "keys":
            out.inside[i] = np.concatenate([a.inside[i], b.inside[i]])
            out.kinds[i] = "keys"
            _bound(out, plan, i)
        else:
            hx = a.inside[i] if a.kinds[i] == "hist" else _histogram(a.inside[i],
                                                                     plan.intervals[i])
            hy = b.inside[i] if b.kinds[i] == "hist" else _histogram(b.inside[i],
                                                                     plan.intervals[i])
            out.inside[i], out.kinds[i] = merge_histograms(hx, hy), "hist"
    return out


def drop_quantiles(part: Part) -> Part:
    """Percentiles are decided on the driver: partial ones are not shipped."""
    for name, prof in list(part.columns.items()):
        if isinstance(prof, NumericProfile) and prof.quantiles is not None:
            part.columns[name] = replace(prof, quantiles=None)
    return part


def run_partition(plan: Plan, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The executor side of a pass: one pickled :class:`Part` per partition."""
    total: Part | None = None
    for batch in batches:
        table = pa.Table.from_batches([batch])
        if plan.convert is not None:
            table = plan.convert(table)
        part = profile_batch(plan, table)
        total = part if total is None else merge_parts(plan, total, part)
    out = drop_quantiles(total) if total is not None else Part()
    yield pa.RecordBatch.from_pydict({"part": [pickle.dumps(out)]},
                                     schema=pa.schema([("part", pa.binary())]))


def merge_pickled(plan: Plan, a: bytes, b: bytes) -> bytes:
    """:func:`merge_parts` of two pickled parts (run on the executors by ``treeReduce``)."""
    x, y = pickle.loads(a), pickle.loads(b)
    if not x.rows and not x.columns and not x.below:
        return b
    if not y.rows and not y.columns and not y.below:
        return a
    return pickle.dumps(drop_quantiles(merge_parts(plan, x, y)))
