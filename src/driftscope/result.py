"""The typed result of a monitoring round and its JSON round-trip.

A :class:`RunResult` holds no raw rows: only metrics, bins, distribution summaries and
statuses. Every output (JSON, HTML, PNG, dashboard snapshot, history) is built from it, so any
report can be rebuilt from a stored result without the data.

This module imports no output: a notebook shows a result as the HTML report through the
renderer the output layer registers (:func:`set_html_renderer`, called when :mod:`driftscope`
is imported). :class:`Severity` and :class:`Finding` live in the low-level modules
:mod:`driftscope.severity` and :mod:`driftscope.findings` and are re-exported here.
"""

from __future__ import annotations

import collections
import json
import math
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from driftscope.findings import Finding
from driftscope.insights import ContractReport, MultivariateResult
from driftscope.plain import OMIT_WHEN_EMPTY, from_plain, to_plain
from driftscope.result_performance import (
    ClassPerformance,
    ConfusionMatrix,
    PerformanceMetric,
    PerformanceResult,
)
from driftscope.severity import Severity

__all__ = [
    "SCHEMA_VERSION",
    "Backfill",
    "Bin",
    "ChunkEntry",
    "ClassPerformance",
    "ConfusionMatrix",
    "DatasetInfo",
    "Distribution",
    "FeatureResult",
    "FeatureType",
    "Finding",
    "Metrics",
    "ModelInfo",
    "Origin",
    "PerformanceMetric",
    "PerformanceResult",
    "RunInfo",
    "RunResult",
    "Severity",
    "SideSummary",
    "check_schema_version",
    "set_html_renderer",
    "worst_first",
    "worst_first_key",
]

SCHEMA_VERSION = "1.1"
"""1.1 added, all optional: performance estimates with their band (``estimated_lower``,
``estimated_upper``, ``estimated_rows``), ``features[].importance`` and ``impact``, ``contract``
and ``multivariate``; every 1.0 report is a valid 1.1 report."""

FeatureType = Literal["numerical", "categorical"]
Origin = Literal["raw", "engineered", "prediction", "predicted_class", "target",
                 "class_probability"]


@dataclass(frozen=True)
class Bin:
    """One bin of a comparison: its bounds or category, shares and PSI contribution."""

    label: str
    lower: float | None
    upper: float | None
    reference_count: int
    current_count: int
    reference_share: float
    current_share: float
    psi_contribution: float
    kind: Literal["range", "value", "below", "between", "above", "category", "other", "unseen",
                  "missing"] = "range"
    """"below"/"between"/"above": values of a value-binned number the reference never had
    ("unseen" is the single bin of reports written before these three)."""


class Metrics(dict[str, "float | None"]):
    """Every statistic computed for one column, keyed by field name (``features[].metrics``).

    A read-only mapping in report order. A round builds it from the metric registry
    (:func:`driftscope.compare.registry.build_metrics`: each registered metric's fields in
    registration order, then the corrected p-values), so the keys are whatever the registered
    metrics declare (see SPEC.md for the definitions of the built-in ones); a report read back
    keeps the keys and order it was written with. Values are floats, or None where a metric
    does not apply (KS of a categorical column) or was not computed.

    Read a field as ``metrics["ks_statistic"]`` (or ``metrics.get(...)``); ``metrics.psi``,
    ``metrics.psi_pvalue`` and ``metrics.psi_pvalue_adjusted`` are typed shortcuts for the
    numbers the policy and the worst-first order read, and any other field can still be read
    as an attribute (``metrics.ks_statistic``), as when this was a dataclass.
    """

    __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, value in dict.items(self):  # a hand-written report may hold ints
            if isinstance(value, int) and not isinstance(value, bool):
                dict.__setitem__(self, key, float(value))

    # -- frozen, like every part of a result --------------------------------------------
    def _frozen(self, *args: Any, **kwargs: Any) -> typing.NoReturn:
        raise TypeError("Metrics are read-only; build a new one (Metrics({**m, key: value}))")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _frozen
    __ior__ = _frozen  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self.items()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))

    def __repr__(self) -> str:
        return f"Metrics({dict.__repr__(self)})"

    def replace(self, **changes: float | None) -> Metrics:
        """A copy with ``changes`` (the order kept; a new field goes last), as
        ``dataclasses.replace`` did when this was a dataclass."""
        return type(self)({**self, **changes})

    # -- access -------------------------------------------------------------------------
    @property
    def psi(self) -> float:
        """PSI (``self["psi"]``), the number the status policy and the worst-first order read."""
        return typing.cast(float, self.get("psi"))

    @property
    def psi_pvalue(self) -> float:
        """PSI's p-value (``self["psi_pvalue"]``)."""
        return typing.cast(float, self.get("psi_pvalue"))

    @property
    def psi_pvalue_adjusted(self) -> float | None:
        """PSI's p-value after the round's Benjamini–Hochberg correction, None when the
        column was not part of the correction."""
        return self.get("psi_pvalue_adjusted")

    def __getattr__(self, name: str) -> float | None:
        """Any other field as an attribute (``metrics.ks_statistic``)."""
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"these metrics have no field {name!r}; fields: "
                                 f"{', '.join(self) or 'none'}") from None


@dataclass(frozen=True)
class SideSummary:
    """Summary of one side's non-missing values of a numerical column (for plots)."""

    count: int
    missing: int
    mean: float | None
    std: float | None
    min: float | None
    max: float | None
    quantiles: tuple[float | None, ...] = ()
    """Quantiles at 0, 0.01, ..., 1 (101 values), empty when the side has no values."""


@dataclass(frozen=True)
class Distribution:
    reference: SideSummary
    current: SideSummary


@dataclass(frozen=True)
class FeatureResult:
    """The comparison and verdict for one column (feature, prediction or target)."""

    name: str
    type: FeatureType
    status: Severity
    reason: str
    metrics: Metrics
    bins: tuple[Bin, ...]
    origin: Origin = "raw"
    distribution: Distribution | None = None
    findings: tuple[str, ...] = ()
    plot: str | None = None
    importance: float | None = field(default=None, metadata=OMIT_WHEN_EMPTY)
    """The feature's share of the model's importance among the features of its origin (from
    the baseline; see driftscope.model.importance); absent when the baseline holds none."""
    impact: float | None = field(default=None, metadata=OMIT_WHEN_EMPTY)
    """The drift weighted by the importance: ``psi × importance``."""

    def __post_init__(self) -> None:
        # a result read from JSON (or built with a plain dict) holds its metrics as Metrics
        if not isinstance(self.metrics, Metrics):
            object.__setattr__(self, "metrics", Metrics(self.metrics))


@dataclass(frozen=True)
class DatasetInfo:
    rows: int
    source: str | None = None
    columns: int | None = None


@dataclass(frozen=True)
class ModelInfo:
    name: str | None = None
    version: str | None = None
    trained_at: str | None = None
    target: str | None = None
    positive_class: str | None = None


@dataclass(frozen=True)
class RunInfo:
    id: str
    started_at: str
    reference: DatasetInfo
    current: DatasetInfo
    finished_at: str | None = None
    duration_seconds: float | None = None
    baseline: str | None = None
    model: ModelInfo | None = None
    window_start: str | None = None
    window_end: str | None = None
    driftscope_version: str | None = None


@dataclass(frozen=True)
class ChunkEntry:
    """One chunk of a backfill, as the top-level report lists it."""

    label: str
    run_id: str
    status: Severity
    rows: int
    path: str  # its drift_report.json, relative to the top-level report's folder
    html: str | None = None  # its drift_report.html, likewise (None without HTML)
    window_start: str | None = None
    window_end: str | None = None


@dataclass(frozen=True)
class Backfill:
    """A backfill: the current data split into chunks, each a whole round.

    The report holding it shows the latest chunk; ``status`` is the worst chunk's and
    ``worst`` names the first chunk with that status."""

    status: Severity
    worst: str
    chunks: tuple[ChunkEntry, ...]
    chunk_by: str | None = None  # day / week / month, or None for --chunk-size
    chunk_size: int | None = None


@dataclass(frozen=True)
class RunResult:
    """Everything one monitoring round found. Frozen; round-trips through JSON."""

    run: RunInfo
    status: Severity
    reason: str
    recommendation: str
    features: tuple[FeatureResult, ...]
    counts: dict[str, int] = field(default_factory=dict)
    prediction: FeatureResult | None = None
    predicted_class: FeatureResult | None = None
    target: FeatureResult | None = None
    performance: PerformanceResult | None = None
    findings: tuple[Finding, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)
    backfill: Backfill | None = None  # set on the top-level report of a backfill
    class_probabilities: tuple[FeatureResult, ...] = field(default=(),
                                                           metadata=OMIT_WHEN_EMPTY)
    """Multiclass models: the drift of each class's probability (``prediction[<class>]``);
    absent from the JSON of binary models."""
    contract: ContractReport | None = field(default=None, metadata=OMIT_WHEN_EMPTY)
    """The fitted pipeline's own contract checks (driftscope.model.contract)."""
    multivariate: MultivariateResult | None = field(default=None, metadata=OMIT_WHEN_EMPTY)
    """Drift of the joint distribution (driftscope.engine.multivariate)."""
    schema_version: str = SCHEMA_VERSION

    # -- convenience -------------------------------------------------------------------
    def columns(self, class_probabilities: bool = False) -> tuple[FeatureResult, ...]:
        """Every compared column: the features, then :meth:`other_columns`."""
        return (*self.features, *self.other_columns(class_probabilities))

    def other_columns(self, class_probabilities: bool = False) -> tuple[FeatureResult, ...]:
        """The compared columns that are not features: the prediction, the predicted class
        and the target (those the round has), then, with ``class_probabilities``, each
        class's probability (multiclass models)."""
        others = (self.prediction, self.predicted_class, self.target)
        return (*(c for c in others if c is not None),
                *(self.class_probabilities if class_probabilities else ()))

    def feature(self, name: str) -> FeatureResult:
        """The result of the feature called ``name`` (KeyError naming the features when absent)."""
        for f in self.features:
            if f.name == name:
                return f
        names = [f.name for f in self.features]
        shown = ", ".join(repr(n) for n in names[:20]) + (", …" if len(names) > 20 else "")
        raise _FeatureKeyError(f"no feature {name!r} in this result; features: "
                               f"{shown or 'none'}")

    def __repr__(self) -> str:
        """One short line; the full result would print megabytes in a notebook."""
        counts = collections.Counter(f.status for f in self.features)
        alerts = ", ".join(f"{counts[s]} {s.value}" for s in (Severity.CRITICAL, Severity.WARNING)
                           if counts[s])
        current = self.run.current
        return (f"RunResult(status={self.status.value}, features={len(self.features)}"
                f"{f' [{alerts}]' if alerts else ''}, run={self.run.id!r}, "
                f"current={current.source!r} ({current.rows} rows))")

    def to_pandas(self) -> Any:
        """One row per monitored column (features, then prediction, predicted class and
        target): name, origin, type, status, reason, plot and every metric as columns."""
        import pandas as pd

        head = ["name", "origin", "type", "status", "reason", "plot"]
        rows = [{"name": f.name, "origin": f.origin, "type": f.type, "status": f.status.value,
                 "reason": f.reason, "plot": f.plot, **f.metrics}
                for f in self.columns()]
        # every metric field of any column, in report order (a report holds the fields of the
        # metrics registered when it was written)
        fields = dict.fromkeys(name for f in self.columns() for name in f.metrics)
        return pd.DataFrame(rows, columns=[*head, *(n for n in fields if n not in head)])

    def _repr_html_(self) -> str | None:
        """Jupyter shows the HTML report inline (the renderer registered with
        :func:`set_html_renderer`); None, so the plain repr, when none is registered."""
        return None if _html_renderer is None else _html_renderer(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (dicts, lists, str, int, float, None)."""
        out = to_plain(self)
        assert isinstance(out, dict)
        # put schema_version first for readers that peek
        return {"schema_version": out.pop("schema_version"), **out}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        check_schema_version(data)
        return typing.cast(RunResult, from_plain(cls, data))

    @classmethod
    def from_json(cls, text: str) -> RunResult:
        from driftscope.safe_yaml import DocumentError, load_json

        try:
            data = load_json(text, "the report")
        except DocumentError as err:
            raise ValueError(str(err)) from None
        return cls.from_dict(data)


class _FeatureKeyError(KeyError):
    """A KeyError whose message reads as a sentence (KeyError quotes its message)."""

    def __str__(self) -> str:
        return str(self.args[0])


def check_schema_version(data: dict[str, Any]) -> None:
    """Refuse a result another major version of driftscope wrote (InputError)."""
    version = str(data.get("schema_version", ""))
    if not version.startswith("1."):
        from driftscope.errors import InputError

        raise InputError(
            f"result has schema_version {version!r}; this driftscope reads 1.x results"
        )


HtmlRenderer = Callable[[RunResult], str]
"""What renders a result as one HTML page (:func:`driftscope.outputs.html.render_html`)."""

_html_renderer: HtmlRenderer | None = None


def set_html_renderer(renderer: HtmlRenderer | None) -> None:
    """Set what :meth:`RunResult._repr_html_` shows in a notebook (None: the plain repr).

    The output layer registers the HTML report when :mod:`driftscope` is imported
    (:mod:`driftscope.outputs.notebook`), so the result never imports an output.
    """
    global _html_renderer
    _html_renderer = renderer


def worst_first_key(column: FeatureResult) -> tuple[int, float]:
    """The sort key of the worst-first order: status (CRITICAL first), then PSI, largest
    first; a PSI that is not a finite number (a report edited by hand) sorts last."""
    psi = column.metrics.psi
    finite = psi is not None and math.isfinite(psi)
    return -Severity(column.status).rank, -(psi if finite else -1.0)


def worst_first(columns: Iterable[FeatureResult]) -> list[FeatureResult]:
    """``columns`` worst first (:func:`worst_first_key`); ties keep their order."""
    return sorted(columns, key=worst_first_key)
