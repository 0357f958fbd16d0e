"""What reading the history returns: frozen, typed records, one per kind of row.

Every read of the store (:mod:`driftscope.store.queries`) gives these records rather than
database rows or dicts, so the round, the CLI and the dashboard type against one shape
(:class:`driftscope.store.reader.HistoryReader`). The ``to_dict`` methods give the plain data
``driftscope history --format json`` prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from driftscope.result import Severity
from driftscope.store.schema import METRIC_FIELDS

__all__ = [
    "BinSeriesPoint",
    "PerformancePoint",
    "RunSummary",
    "SeriesPoint",
    "StoredBin",
    "summary_of",
    "point_of",
]


_WIDE = frozenset(METRIC_FIELDS)


def _text(level: Severity | None) -> str | None:
    return None if level is None else level.value


@dataclass(frozen=True)
class RunSummary:
    """The header of one stored round (what ``driftscope history`` lists)."""

    run_id: str
    started_at: str
    status: Severity
    reason: str
    recommendation: str
    reference_rows: int
    current_rows: int
    counts: dict[str, int]
    features: int
    window_start: str | None = None
    window_end: str | None = None
    baseline: str | None = None
    prediction_status: Severity | None = None
    performance_status: Severity | None = None
    model_name: str | None = None
    model_version: str | None = None
    recorded_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "baseline": self.baseline,
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            "status": self.status.value,
            "counts": dict(self.counts),
            "features": self.features,
            "prediction_status": _text(self.prediction_status),
            "performance_status": _text(self.performance_status),
            "model_name": self.model_name,
            "model_version": self.model_version,
            "reason": self.reason,
            "recommendation": self.recommendation,
            "recorded_at": self.recorded_at,
        }


@dataclass(frozen=True)
class SeriesPoint:
    """One column (feature, prediction, target) in one round.

    ``metrics`` holds every metric field stored for the column: the columns of version 1
    (:data:`~driftscope.store.schema.METRIC_FIELDS`, None where null), then the fields of the
    metrics registered since, by name (a round recorded before a metric existed lacks its
    fields).
    """

    run_id: str
    started_at: str
    name: str
    origin: str
    type: str
    status: Severity
    reason: str
    psi: float | None
    metrics: dict[str, float | None]
    run_status: Severity
    window_start: str | None = None
    window_end: str | None = None
    baseline: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, metrics flattened."""
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "baseline": self.baseline,
            "name": self.name,
            "origin": self.origin,
            "type": self.type,
            "status": self.status.value,
            **{name: self.metrics.get(name) for name in METRIC_FIELDS},
            **{name: value for name, value in self.metrics.items() if name not in _WIDE},
            "run_status": self.run_status.value,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class StoredBin:
    """One stored bin of one column in one round."""

    label: str
    kind: str
    lower: float | None
    upper: float | None
    reference_count: int
    current_count: int
    reference_share: float | None
    current_share: float | None
    psi_contribution: float | None


@dataclass(frozen=True)
class BinSeriesPoint:
    """The bins of one column in one round."""

    run_id: str
    started_at: str
    bins: tuple[StoredBin, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PerformancePoint:
    """One performance metric in one round."""

    run_id: str
    started_at: str
    metric: str
    current: float | None
    estimated: float | None
    baseline: float | None
    relative_change: float | None
    status: Severity
    window_start: str | None = None
    window_end: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "metric": self.metric,
            "current": self.current,
            "estimated": self.estimated,
            "baseline": self.baseline,
            "relative_change": self.relative_change,
            "status": self.status.value,
        }


def _level(text: str | None) -> Severity | None:
    """A stored level, None where the round had none (no model, no performance)."""
    return Severity(text) if text else None


def summary_of(row: Any) -> RunSummary:
    """The record of one ``driftscope_runs`` row (a mapping of its columns)."""
    return RunSummary(
        run_id=row["run_id"],
        started_at=row["started_at"],
        window_start=row["window_start"],
        window_end=row["window_end"],
        baseline=row["baseline"],
        reference_rows=int(row["reference_rows"]),
        current_rows=int(row["current_rows"]),
        status=Severity(row["status"]),
        reason=row["reason"],
        recommendation=row["recommendation"],
        counts={
            "NORMAL": int(row["count_normal"]),
            "WARNING": int(row["count_warning"]),
            "CRITICAL": int(row["count_critical"]),
        },
        features=int(row["n_features"]),
        prediction_status=_level(row["prediction_status"]),
        performance_status=_level(row["performance_status"]),
        model_name=row["model_name"],
        model_version=row["model_version"],
        recorded_at=row["recorded_at"],
    )


def point_of(row: Any, extra: Mapping[str, float | None] | None = None) -> SeriesPoint:
    """The record of one ``driftscope_columns`` row joined with its round's header (the
    round's status labelled ``run_status``); ``extra``: the column's fields stored as rows of
    ``driftscope_column_metrics``."""
    metrics: dict[str, float | None] = {name: row[name] for name in METRIC_FIELDS}
    metrics.update(extra or {})
    return SeriesPoint(
        run_id=row["run_id"],
        started_at=row["started_at"],
        window_start=row["window_start"],
        window_end=row["window_end"],
        baseline=row["baseline"],
        name=row["name"],
        origin=row["origin"],
        type=row["type"],
        status=Severity(row["status"]),
        reason=row["reason"],
        psi=metrics["psi"],
        metrics=metrics,
        run_status=Severity(row["run_status"]),
    )
