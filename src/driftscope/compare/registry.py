"""The metric registry: ``@metric("name", fields=...)`` registers a function of a
:class:`MetricInput` together with what it reports.

A metric computes a value (and a p-value where one exists) from two profiles; it never sees a
threshold. The registry key is also the module and function name. Where it registers, a
metric declares everything the rest of driftscope needs to show it, so a new metric is one
module plus its tests:

- its output **fields**, each a :class:`MetricField`: the key under ``features[].metrics`` in
  the JSON report (and the field name in the history), a label, a description, what kind of
  number it is, and how it is read from the :class:`MetricValue` the function returns;
- the column **kinds** it applies to (a metric that does not apply to a column is not called
  for it, and its fields are null there);
- what it **needs** from a profile: ``"bins"`` (the aligned bin counts), ``"values"`` (the
  exact sorted values or a quantile sketch) or ``"moments"`` (count, mean, variance, extremes);
- a short **label** and a **description** for tables, and the **headline** field a one-cell
  table shows.

The report lists the fields of every metric in registration order (the built-in metrics
register in the order :mod:`driftscope.compare` imports them), then the *adjusted* fields (the
p-values after the round's Benjamini–Hochberg correction, filled by the policy) in the same
order. The JSON of every report is built from this list (:func:`build_metrics`), the history
stores every field (:mod:`driftscope.store.rows`), and the HTML report and the dashboard
iterate :func:`specs`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from driftscope.compare.bins import AlignedBins
from driftscope.errors import ConfigError
from driftscope.profile.model import ColumnProfile
from driftscope.result import Metrics

__all__ = [
    "COLUMN_KINDS",
    "FieldKind",
    "MetricField",
    "MetricFn",
    "MetricInput",
    "MetricSpec",
    "MetricValue",
    "Need",
    "build_metrics",
    "extra",
    "field_names",
    "fields",
    "get_metric",
    "get_spec",
    "metric",
    "needed",
    "pvalue_or",
    "registered",
    "specs",
    "unregister",
    "value_or",
]

COLUMN_KINDS: tuple[str, ...] = ("numerical", "categorical")
"""The kinds of column a metric may apply to (``features[].type``)."""

FieldKind = Literal["statistic", "pvalue", "share"]
"""What a field's number is: a statistic (shown with decimals), a p-value (in [0, 1], shown as
a p-value) or a share of rows (in [0, 1], shown as a percentage)."""

Need = Literal["bins", "values", "moments"]
"""What a metric reads from the profiles: the aligned bin counts, the exact sorted values or a
quantile sketch (backends keep them only when a metric needs them), or the exact moments."""


@dataclass(frozen=True, eq=False)
class MetricInput:
    """What a metric may look at: both profiles, their aligned bins and the round's settings."""

    reference: ColumnProfile
    current: ColumnProfile
    bins: AlignedBins
    draws: int = 2000
    seed: int = 0


@dataclass(frozen=True)
class MetricValue:
    """A metric's output: its value, a p-value where one exists, and any extra numbers."""

    value: float | None
    pvalue: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    adjusted_pvalue: float | None = None
    """The p-value after the round's multiple-testing correction: set by the policy when it
    corrected this metric's p-value (read by adjusted fields); metrics leave it None."""


MetricFn = Callable[[MetricInput], MetricValue]
Reader = Callable[[MetricValue], float | None]


def _value(v: MetricValue) -> float | None:
    return v.value


def value_or(default: float) -> Reader:
    """A reader of the value, ``default`` when the metric gave none (or gave 0: a -0.0 is
    reported as 0.0)."""

    def read(v: MetricValue) -> float | None:
        return float(v.value or default)

    return read


def corrected_or_own(v: MetricValue) -> float | None:
    """A reader of the p-value after the round's correction, else the test's own."""
    return v.adjusted_pvalue if v.adjusted_pvalue is not None else v.pvalue


def pvalue_or(default: float | None) -> Reader:
    """A reader of the p-value, ``default`` when the metric gave none."""

    def read(v: MetricValue) -> float | None:
        p = v.pvalue if v.pvalue is not None else default
        return None if p is None else float(p)

    return read


def extra(key: str) -> Reader:
    """A reader of ``extra[key]`` (None when absent)."""

    def read(v: MetricValue) -> float | None:
        x = v.extra.get(key)
        return None if x is None else float(x)

    return read


_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_RESERVED = frozenset({
    # the keys a history series point flattens its metrics next to (``history --format json``,
    # the dashboard's frames): a field of that name would overwrite them
    "run_id", "started_at", "window_start", "window_end", "baseline", "name", "origin", "type",
    "status", "reason", "run_status", "round", "run", "time", "window", "plot",
})


@dataclass(frozen=True)
class MetricField:
    """One number a metric reports for each column, as ``features[].metrics.<name>``.

    Parameters
    ----------
    name : str
        The JSON key and the history's field name: snake_case, at most 64 characters, unique
        over every registered metric.
    label : str
        A short label that reads on its own (a table header, a chart title).
    description : str
        One sentence: what the number is.
    read : callable, optional
        Turns the metric's :class:`MetricValue` into this field's number (default: its value).
    kind : {"statistic", "pvalue", "share"}
        How the number is shown and bounded.
    nullable : bool
        Whether the field may be null for a column the metric applies to (for example KS on
        a side without values). A metric that applies only to some column kinds has null
        fields on the others whatever this says.
    adjusted : bool
        A p-value after the round's Benjamini–Hochberg correction, filled by the policy
        (:attr:`MetricValue.adjusted_pvalue`); listed after every measured field.
    reference : str, optional
        The field holding the same quantity on the reference side (tables show
        ``reference → current`` when they differ).
    minimum, maximum : float, optional
        Bounds of the number (p-values and shares are in [0, 1]).
    """

    name: str
    label: str
    description: str
    read: Reader = _value
    kind: FieldKind = "statistic"
    nullable: bool = False
    adjusted: bool = False
    reference: str | None = None
    minimum: float | None = 0.0
    maximum: float | None = None

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """(minimum, maximum); p-values and shares are in [0, 1]."""
        if self.kind in ("pvalue", "share"):
            return 0.0, 1.0
        return self.minimum, self.maximum


@dataclass(frozen=True, eq=False)
class MetricSpec:
    """A registered metric: its function and everything it declared."""

    name: str
    fn: MetricFn
    fields: tuple[MetricField, ...]
    label: str
    description: str
    kinds: tuple[str, ...] = COLUMN_KINDS
    needs: tuple[Need, ...] = ("bins",)
    headline: str = ""
    """The field a table with one cell per metric shows (default: the first field)."""

    def applies_to(self, kind: str) -> bool:
        """Whether the metric is computed for a column of this kind."""
        return kind in self.kinds

    @property
    def measured(self) -> tuple[MetricField, ...]:
        """The fields the metric itself gives, in declaration order."""
        return tuple(f for f in self.fields if not f.adjusted)

    @property
    def adjusted(self) -> tuple[MetricField, ...]:
        """The fields the policy fills after correcting for multiple tests."""
        return tuple(f for f in self.fields if f.adjusted)

    @property
    def headline_field(self) -> MetricField:
        return next(f for f in self.fields if f.name == self.headline)

    def field(self, name: str) -> MetricField:
        return next(f for f in self.fields if f.name == name)

    def nullable(self, f: MetricField) -> bool:
        """Whether ``f`` may be null in a report: declared so, adjusted (null before the
        correction), or the metric does not apply to every kind of column."""
        return f.nullable or f.adjusted or set(self.kinds) != set(COLUMN_KINDS)


_REGISTRY: dict[str, MetricSpec] = {}


def metric(
    name: str,
    *,
    fields: tuple[MetricField, ...] | None = None,
    label: str | None = None,
    description: str = "",
    kinds: tuple[str, ...] = COLUMN_KINDS,
    needs: tuple[Need, ...] = ("bins",),
    headline: str | None = None,
) -> Callable[[MetricFn], MetricFn]:
    """Register ``fn`` under ``name`` with what it reports; registering a name twice is an
    error, and so is a field name another metric already reports.

    Parameters
    ----------
    name : str
        The registry key, also the function's (and its module's) name.
    fields : tuple of MetricField, optional
        Its output fields in report order (default: one field ``name`` holding the value).
    label, description : str
        A short label and one sentence for tables (the label defaults to ``name``).
    kinds : tuple of str
        The column kinds it applies to (``"numerical"``, ``"categorical"``).
    needs : tuple of str
        What it reads from the profiles: ``"bins"``, ``"values"``, ``"moments"``.
    headline : str, optional
        The field a one-cell-per-metric table shows (default: the first field).
    """

    def deco(fn: MetricFn) -> MetricFn:
        if name in _REGISTRY:
            raise ValueError(f"metric {name!r} is already registered")
        if fn.__name__ != name:
            raise ValueError(f"metric function {fn.__name__!r} must be named {name!r}")
        declared = fields if fields is not None else (
            MetricField(name, label or name, description),)
        spec = MetricSpec(name=name, fn=fn, fields=tuple(declared), label=label or name,
                          description=description, kinds=tuple(kinds), needs=tuple(needs),
                          headline=headline or (declared[0].name if declared else ""))
        _check(spec)
        _REGISTRY[name] = spec
        return fn

    return deco


def _check(spec: MetricSpec) -> None:
    """Refuse a declaration the report could not hold (every message names the fix)."""
    where = f"metric {spec.name!r}"
    if not spec.fields:
        raise ValueError(f"{where} declares no fields; give fields=(MetricField(...), ...)")
    bad_kinds = [k for k in spec.kinds if k not in COLUMN_KINDS]
    if bad_kinds or not spec.kinds:
        raise ValueError(f"{where}: kinds must be taken from {COLUMN_KINDS}, got {spec.kinds}")
    bad_needs = [n for n in spec.needs if n not in ("bins", "values", "moments")]
    if bad_needs:
        raise ValueError(f"{where}: needs must be taken from ('bins', 'values', 'moments'), "
                         f"got {spec.needs}")
    labels = {s.label: s.name for s in _REGISTRY.values()}
    if spec.label in labels:
        raise ValueError(f"{where}: label {spec.label!r} is already metric "
                         f"{labels[spec.label]!r}'s; tables need one label per metric")
    taken = {f.name: s.name for s in _REGISTRY.values() for f in s.fields}
    names = [f.name for f in spec.fields]
    for f in spec.fields:
        if not _FIELD_NAME.fullmatch(f.name):
            raise ValueError(f"{where}: field name {f.name!r} must be snake_case (a-z, 0-9, _), "
                             "start with a letter and have at most 64 characters")
        if f.name in _RESERVED:
            raise ValueError(f"{where}: field name {f.name!r} is reserved (the history lists "
                             f"metrics next to {', '.join(sorted(_RESERVED))}); choose another")
        if f.name in taken:
            raise ValueError(f"{where}: field {f.name!r} is already reported by metric "
                             f"{taken[f.name]!r}; field names are unique over all metrics")
        if names.count(f.name) > 1:
            raise ValueError(f"{where}: field {f.name!r} is declared twice")
        if f.reference is not None and f.reference not in names:
            raise ValueError(f"{where}: field {f.name!r} names reference field "
                             f"{f.reference!r}, which the metric does not declare")
    if spec.headline not in names:
        raise ValueError(f"{where}: headline {spec.headline!r} is not one of its fields "
                         f"{names}")


def unregister(name: str) -> None:
    """Remove a metric (for tests that register one of their own); unknown names are an
    error listing the registered ones."""
    get_spec(name)
    del _REGISTRY[name]


def get_spec(name: str) -> MetricSpec:
    """The registered metric ``name`` (ConfigError listing the registry when unknown)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"unknown metric {name!r}; registered metrics: {', '.join(sorted(_REGISTRY))}"
        ) from None


def get_metric(name: str) -> MetricFn:
    """The function of the registered metric ``name``."""
    return get_spec(name).fn


def registered() -> tuple[str, ...]:
    """The registered metric names, in registration order."""
    return tuple(_REGISTRY)


def specs() -> tuple[MetricSpec, ...]:
    """The registered metrics, in registration order."""
    return tuple(_REGISTRY.values())


def needed(kind: str) -> frozenset[str]:
    """What the registered metrics that apply to columns of ``kind`` read from their
    profiles (``"bins"``, ``"values"``, ``"moments"``): a backend need keep a numerical
    column's sorted values (or a sketch) only when ``"values"`` is among them."""
    return frozenset(n for s in _REGISTRY.values() if s.applies_to(kind) for n in s.needs)


def fields() -> tuple[tuple[MetricSpec, MetricField], ...]:
    """Every registered field with its metric, in report order: the measured fields of each
    metric in registration order, then the adjusted fields in the same order."""
    all_specs = specs()
    return (*((s, f) for s in all_specs for f in s.measured),
            *((s, f) for s in all_specs for f in s.adjusted))


def field_names() -> tuple[str, ...]:
    """The keys of ``features[].metrics``, in report order."""
    return tuple(f.name for _s, f in fields())


def build_metrics(kind: str, values: Mapping[str, MetricValue],
                  adjusted: Mapping[str, float | None] | None = None) -> Metrics:
    """The report's metrics of one column of ``kind`` from its metric ``values``: every field
    of every registered metric in ``values``, in report order; null where the metric does not
    apply to the column. ``adjusted`` maps a metric name to its corrected p-value."""
    adjusted = adjusted or {}
    out: dict[str, float | None] = {}
    for spec, f in fields():
        if spec.name not in values:
            continue
        if not spec.applies_to(kind):
            out[f.name] = None
            continue
        v = values[spec.name]
        if f.adjusted:
            v = dataclasses.replace(v, adjusted_pvalue=adjusted.get(spec.name))
        out[f.name] = f.read(v)
    return Metrics(out)
