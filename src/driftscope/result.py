"""The typed result of a monitoring round and its JSON round-trip.

A :class:`RunResult` holds no raw rows: only metrics, bins, distribution summaries and
statuses. Every output (JSON, HTML, PNG, dashboard snapshot, history) is built from it, so any
report can be rebuilt from a stored result without the data.
"""

from __future__ import annotations

import collections
import dataclasses
import enum
import json
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = "1.0"


class Severity(str, enum.Enum):
    """Alert level, ordered NORMAL < WARNING < CRITICAL."""

    NORMAL = "NORMAL"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def rank(self) -> int:
        return _RANK[self.value]

    @classmethod
    def worst(cls, levels: typing.Iterable[Severity | str]) -> Severity:
        """The highest level among ``levels`` (NORMAL when empty)."""
        best = cls.NORMAL
        for level in levels:
            lv = cls(level)
            if lv.rank > best.rank:
                best = lv
        return best


_RANK = {"NORMAL": 0, "WARNING": 1, "CRITICAL": 2}

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


@dataclass(frozen=True)
class Metrics:
    """Every statistic computed for one column (see SPEC.md for the exact definitions)."""

    psi: float
    psi_pvalue: float
    ks_statistic: float | None
    ks_pvalue: float | None
    jensen_shannon: float
    chi2_statistic: float
    chi2_pvalue: float
    missing_share_reference: float
    missing_share_current: float
    unseen_share_current: float
    psi_pvalue_adjusted: float | None = None
    missing_pvalue: float | None = None
    unseen_pvalue: float | None = None


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


@dataclass(frozen=True)
class PerformanceMetric:
    current: float | None
    estimated: float | None
    baseline: float | None
    relative_change: float | None = None
    status: Severity = Severity.NORMAL


OMIT_WHEN_EMPTY = {"omit_when_empty": True}
"""Field metadata: the field is left out of the JSON when None or empty (a field that only
some rounds have, e.g. multiclass performance, so other rounds keep their exact shape)."""


@dataclass(frozen=True)
class ClassPerformance:
    """One class of a multiclass model: precision, recall and F1 of that class (None where the
    class was never predicted / never occurred), its labelled rows (``support``) and the rows
    predicted as it. ``one_vs_rest``: for the positive class, the binary metrics of that class
    against all others (accuracy, precision, recall, f1, roc_auc, log_loss, brier); never
    compared with the model's baseline."""

    precision: float | None
    recall: float | None
    f1: float | None = None
    support: int = 0
    predicted: int = 0
    one_vs_rest: dict[str, float | None] | None = field(default=None, metadata=OMIT_WHEN_EMPTY)


@dataclass(frozen=True)
class ConfusionMatrix:
    """Counts of labelled rows: ``counts[i][j]`` rows of true class ``labels[i]`` predicted as
    ``labels[j]`` (the model's classes first, then labels that are not classes of the model)."""

    labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class PerformanceResult:
    status: Severity
    reason: str
    metrics: dict[str, PerformanceMetric]
    labelled_rows: int = 0
    per_class: dict[str, ClassPerformance] | None = field(default=None,
                                                          metadata=OMIT_WHEN_EMPTY)
    """Multiclass models only, keyed by class (the JSON of binary models is unchanged)."""
    confusion_matrix: ConfusionMatrix | None = field(default=None, metadata=OMIT_WHEN_EMPTY)
    """Multiclass models only."""

    @property
    def multiclass(self) -> bool:
        return self.per_class is not None


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
class Finding:
    """Something the round noticed that is not a metric: a skipped column, an all-missing side."""

    message: str
    column: str | None = None


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
    schema_version: str = SCHEMA_VERSION

    # -- convenience -------------------------------------------------------------------
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
        import dataclasses

        import pandas as pd

        rows = []
        for f in (*self.features, self.prediction, self.predicted_class, self.target):
            if f is None:
                continue
            rows.append({"name": f.name, "origin": f.origin, "type": f.type,
                         "status": f.status.value, "reason": f.reason, "plot": f.plot,
                         **dataclasses.asdict(f.metrics)})
        columns = ["name", "origin", "type", "status", "reason", "plot",
                   *(x.name for x in dataclasses.fields(Metrics))]
        return pd.DataFrame(rows, columns=columns)

    def _repr_html_(self) -> str:
        """Jupyter shows the HTML report inline."""
        from driftscope.outputs.html import render_html

        return render_html(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (dicts, lists, str, int, float, None)."""
        out = _to_plain(self)
        assert isinstance(out, dict)
        # put schema_version first for readers that peek
        return {"schema_version": out.pop("schema_version"), **out}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        check_schema_version(data)
        return typing.cast(RunResult, _from_plain(cls, data))

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


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (tuple, list, dict)) and not value)


def _to_plain(obj: Any) -> Any:
    if isinstance(obj, enum.Enum):
        return obj.value
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                if not (f.metadata.get("omit_when_empty") and _empty(getattr(obj, f.name)))}
    if isinstance(obj, dict):
        return {str(k): _to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_plain(v) for v in obj]
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return _to_plain(obj.item())
    return obj


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _from_plain(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        return _from_plain(non_none[0], value) if len(non_none) == 1 else value
    if origin is tuple:
        return tuple(_from_plain(args[0], v) for v in value)
    if origin is dict:
        return {k: _from_plain(args[1], v) for k, v in value.items()}
    if origin is Literal:
        return value
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(value)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = _hints(tp)
        kwargs = {
            f.name: _from_plain(hints[f.name], value[f.name])
            for f in dataclasses.fields(tp)
            if f.name in value
        }
        return tp(**kwargs)
    if tp is float and isinstance(value, int):
        return float(value)
    return value
