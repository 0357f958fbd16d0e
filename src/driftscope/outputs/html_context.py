"""What the HTML report's template shows, built from a :class:`RunResult` only.

:func:`page_context` turns a result into the values the template reads: the columns worst
first with their charts and summaries, the counts per level, the performance and multiclass
tables, the findings, the chunks of a backfill and the settings. Nothing here is rendered or
escaped (the template does that, with autoescaping on) and nothing is computed from data.

The metrics shown are the registered ones (:func:`driftscope.compare.registry.specs`): one
column of the feature table and one line of each column's details per metric, with the label,
description and headline field it declared; a field the result holds that no registered metric
declares (a report written with another metric) gets a column of its own, named by its key.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from driftscope.outputs.chart_data import finite
from driftscope.outputs.html_charts import GEOMETRY, BarChart, QQChart, bar_chart, qq_chart
from driftscope.outputs.html_format import day, num, pct, pvalue, short, sort_key, when
from driftscope.result import (
    FeatureResult,
    Metrics,
    RunResult,
    Severity,
    SideSummary,
    worst_first,
)

__all__ = ["ChunkRow", "ClassRow", "ColumnView", "MatrixCell", "MetricCell", "MetricHeader",
           "MetricLine", "MulticlassView", "SummaryRow", "page_context"]  # fmt: skip

_PLOT_PATH = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*\.png")
_CHUNK_PATH = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*"
                         r"\.(html|json)")
_MAX_MATRIX = 30
"""The HTML confusion matrix shows at most this many labels; the JSON holds them all."""


def page_context(result: RunResult) -> dict[str, Any]:
    """Everything the template ``report.html.j2`` reads about ``result`` (its styles and
    script aside).

    Parameters
    ----------
    result : RunResult
        The round to show; only read, never recomputed.

    Returns
    -------
    dict
        Template variables: ``result``, ``run``, ``status``, ``started``, ``counts``,
        ``metric_headers`` (one per metric column of the feature table), ``features``
        (column views, worst first), ``outputs`` (title and view of the prediction, predicted
        class, target and each class's probability), ``performance``, ``multiclass``,
        ``findings``, ``chunks``, ``settings`` and ``geo`` (chart geometry).
    """
    columns = worst_first(sorted(result.features, key=lambda f: f.name))
    outputs = [
        (title, col)
        for title, col in (
            ("Prediction", result.prediction),
            ("Predicted class", result.predicted_class),
            ("Target", result.target),
            *((f"Probability of class {col.name[len('prediction['):-1]}", col)
              for col in result.class_probabilities),
        )
        if col is not None
    ]
    shown = _shown_metrics(result.columns(class_probabilities=True))
    views = {id(col): _view(f"feature-{i}", col, shown) for i, col in enumerate(columns)}
    views.update({id(col): _view(f"output-{i}", col, shown)
                  for i, (_t, col) in enumerate(outputs)})
    return {
        "result": result,
        "run": result.run,
        "status": Severity(result.status).value,
        "started": when(result.run.started_at),
        "counts": _counts(result),
        "metric_headers": [MetricHeader(m.label, m.description) for m in shown],
        "features": [views[id(col)] for col in columns],
        "outputs": [(title, views[id(col)]) for title, col in outputs],
        "performance": _performance_rows(result),
        "multiclass": _multiclass_view(result),
        "findings": _findings(result),
        "chunks": _chunks(result),
        "settings": _settings(result.settings),
        "geo": GEOMETRY,
        # drift impact (a sortable column when the baseline holds importance), the pipeline's
        # contract and the multivariate checks
        "has_impact": any(f.impact is not None for f in result.features),
        "contract": result.contract,
        "multivariate": result.multivariate,
    }


# -- columns ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SummaryRow:
    label: str
    reference: str
    current: str


@dataclass(frozen=True)
class MetricHeader:
    """One metric column of the feature table."""

    label: str
    description: str


@dataclass(frozen=True)
class MetricCell:
    """One metric of one column in the feature table: its headline field."""

    text: str
    sort: str  # the machine sort key (empty when absent: sorted last)
    title: str | None  # every field of the metric, for the tooltip


@dataclass(frozen=True)
class MetricLine:
    """One metric of one column in its details: its headline field (under that field's own
    label, which reads on its own), then its other fields."""

    label: str
    text: str
    notes: str | None


@dataclass(frozen=True)
class ColumnView:
    """Everything the template shows about one column."""

    anchor: str
    col: FeatureResult
    chart: BarChart
    qq: QQChart | None
    summary: tuple[SummaryRow, ...]
    plot_href: str | None
    cells: tuple[MetricCell, ...] = ()
    lines: tuple[MetricLine, ...] = ()


@dataclass(frozen=True)
class _Field:
    name: str
    label: str
    kind: str
    reference: str | None = None


@dataclass(frozen=True)
class _Shown:
    """A metric as the page shows it."""

    label: str
    description: str
    headline: _Field
    fields: tuple[_Field, ...]


def _shown_metrics(columns: tuple[FeatureResult, ...]) -> list[_Shown]:
    """The registered metrics, then one pseudo-metric per field the columns hold that no
    registered metric declares."""
    from driftscope.compare.registry import specs

    shown: list[_Shown] = []
    known: set[str] = set()
    for spec in specs():
        fields = tuple(_Field(f.name, f.label, f.kind, f.reference) for f in spec.fields)
        known.update(f.name for f in fields)
        head = next(f for f in fields if f.name == spec.headline)
        shown.append(_Shown(spec.label, spec.description, head, fields))
    for name in dict.fromkeys(k for col in columns for k in col.metrics):
        if name not in known:
            field = _Field(name, name, "statistic")
            shown.append(_Shown(name, f"{name}: a metric field this driftscope does not know",
                                field, (field,)))
    return shown


def _text(field: _Field, value: float | None, precise: bool = False) -> str:
    """A field's number as the page writes it: p-values as p-values, shares as percentages,
    statistics with 3 decimals (4 when ``precise``)."""
    if field.kind == "pvalue":
        return pvalue(value)
    if field.kind == "share":
        return pct(value, 2 if precise else 1)
    return num(value, 4 if precise else 3)


def _headline(metric: _Shown, m: Metrics, precise: bool = False) -> str:
    """The headline field, as ``reference → current`` when it has a reference field that
    differs."""
    head = metric.headline
    value = m.get(head.name)
    text = _text(head, value, precise)
    if head.reference is not None and m.get(head.reference) != value:
        text = f"{_text(head, m.get(head.reference), precise)} → {text}"
    return text


def _notes(metric: _Shown, m: Metrics, skip: tuple[str | None, ...] = ()) -> str | None:
    """The metric's fields that have a value, as "label value; …" (None when none)."""
    parts = [f"{f.label} {_text(f, m.get(f.name), precise=True)}" for f in metric.fields
             if f.name not in skip and m.get(f.name) is not None]
    return "; ".join(parts) or None


def _cells(col: FeatureResult, shown: list[_Shown]) -> tuple[MetricCell, ...]:
    m = col.metrics
    return tuple(MetricCell(_headline(metric, m), sort_key(m.get(metric.headline.name)),
                            _notes(metric, m)) for metric in shown)


def _lines(col: FeatureResult, shown: list[_Shown]) -> tuple[MetricLine, ...]:
    m = col.metrics
    return tuple(
        MetricLine(metric.headline.label,
                   _headline(metric, m, precise=metric.headline.kind == "statistic"),
                   _notes(metric, m, skip=(metric.headline.name, metric.headline.reference)))
        for metric in shown)


def _view(anchor: str, col: FeatureResult, shown: list[_Shown]) -> ColumnView:
    dist = col.distribution
    qq = qq_chart(dist.reference, dist.current) if dist and col.type == "numerical" else None
    summary = _summary(dist.reference, dist.current) if dist else ()
    plot = col.plot
    href = None
    if plot and _PLOT_PATH.fullmatch(plot) and ".." not in plot.split("/"):
        href = plot if "/" in plot else f"images/{plot}"
    return ColumnView(anchor, col, bar_chart(col.bins), qq, summary, href,
                      _cells(col, shown), _lines(col, shown))


def _summary(reference: SideSummary, current: SideSummary) -> tuple[SummaryRow, ...]:
    def quantile(side: SideSummary, index: int) -> float | None:
        return side.quantiles[index] if len(side.quantiles) == 101 else None

    def digits(value: float | None) -> str:
        return num(value, 4) if value is None or not finite(value) else f"{value:.5g}"

    rows: list[tuple[str, Any, Any]] = [
        ("count", reference.count, current.count),
        ("missing", reference.missing, current.missing),
        ("mean", digits(reference.mean), digits(current.mean)),
        ("std", digits(reference.std), digits(current.std)),
        ("min", digits(reference.min), digits(current.min)),
        ("25 %", digits(quantile(reference, 25)), digits(quantile(current, 25))),
        ("median", digits(quantile(reference, 50)), digits(quantile(current, 50))),
        ("75 %", digits(quantile(reference, 75)), digits(quantile(current, 75))),
        ("max", digits(reference.max), digits(current.max)),
    ]
    return tuple(SummaryRow(label, str(r), str(c)) for label, r, c in rows)


# -- round --------------------------------------------------------------------------------
def _counts(result: RunResult) -> list[tuple[str, int]]:
    return [
        (level.value, int(result.counts.get(level.value, 0)))
        if result.counts
        else (level.value, sum(f.status == level for f in result.features))
        for level in (Severity.CRITICAL, Severity.WARNING, Severity.NORMAL)
    ]


def _performance_rows(result: RunResult) -> list[tuple[str, Any]]:
    if result.performance is None:
        return []
    return sorted(result.performance.metrics.items())


def _findings(result: RunResult) -> list[tuple[str | None, str]]:
    """The round's findings, then each column's, each (column, message) pair once."""
    found: list[tuple[str | None, str]] = [(f.column, f.message) for f in result.findings]
    for col in result.columns(class_probabilities=True):
        found.extend((col.name, message) for message in col.findings)
    return list(dict.fromkeys(found))


def _settings(settings: dict[str, Any]) -> list[tuple[str, str]]:
    def text(value: Any) -> str:
        if isinstance(value, str):
            return value
        try:
            return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        except (TypeError, ValueError):
            return repr(value)

    return [(str(k), short(text(v), 400)) for k, v in sorted(settings.items(), key=str)]


# -- backfill -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ChunkRow:
    """One chunk of a backfill in the chunk table."""

    label: str
    status: str
    rows: int
    window: str
    href: str | None  # its HTML report (else its JSON), relative; None when not a safe path
    worst: bool
    shown: bool  # the chunk this page shows


def _chunks(result: RunResult) -> list[ChunkRow]:
    """The chunks of a backfill, in time order (empty for a single round)."""
    if result.backfill is None:
        return []
    rows = []
    for c in result.backfill.chunks:
        href = next((p for p in (c.html, c.path) if p and _CHUNK_PATH.fullmatch(p)
                     and ".." not in p.split("/")), None)
        window = (f"{day(c.window_start)} → {day(c.window_end)}"
                  if c.window_start or c.window_end else "—")
        rows.append(ChunkRow(c.label, Severity(c.status).value, c.rows, window, href,
                             c.label == result.backfill.worst, c.run_id == result.run.id))
    return rows


# -- multiclass performance ---------------------------------------------------------------
@dataclass(frozen=True)
class ClassRow:
    """One class in the per-class table."""

    label: str
    support: int
    predicted: int
    precision: float | None
    recall: float | None
    f1: float | None


@dataclass(frozen=True)
class MatrixCell:
    count: int
    share: float  # of the row (the true class's labelled rows)
    diagonal: bool

    @property
    def shade(self) -> str:
        """Cell background: stronger for a larger share of its row."""
        alpha = round(0.08 + 0.55 * self.share, 3) if self.count else 0.0
        hue = "46, 125, 50" if self.diagonal else "198, 40, 40"
        return f"background-color: rgba({hue}, {alpha})"


@dataclass(frozen=True)
class MulticlassView:
    """The multiclass part of the performance section."""

    classes: int
    rows: tuple[ClassRow, ...]
    positive: str | None
    one_vs_rest: tuple[tuple[str, float | None], ...]
    labels: tuple[str, ...]
    matrix: tuple[tuple[str, int, tuple[MatrixCell, ...]], ...]
    matrix_hidden: int


def _multiclass_view(result: RunResult) -> MulticlassView | None:
    """Per-class precision / recall / F1, the positive class's one-vs-rest numbers and the
    confusion matrix of a multiclass model; None for a binary one."""
    perf = result.performance
    if perf is None or perf.per_class is None:
        return None
    rows = tuple(ClassRow(str(c), v.support, v.predicted, v.precision, v.recall, v.f1)
                 for c, v in perf.per_class.items())
    positive = next((str(c) for c, v in perf.per_class.items() if v.one_vs_rest), None)
    ovr = perf.per_class[positive].one_vs_rest if positive is not None else None
    labels: tuple[str, ...] = ()
    matrix: list[tuple[str, int, tuple[MatrixCell, ...]]] = []
    hidden = 0
    cm = perf.confusion_matrix
    if cm is not None:
        hidden = max(0, len(cm.labels) - _MAX_MATRIX)
        labels = tuple(cm.labels[:_MAX_MATRIX])
        for i, (label, counts) in enumerate(zip(labels, cm.counts)):
            total = sum(counts)
            cells = tuple(MatrixCell(int(n), n / total if total else 0.0, i == j)
                          for j, n in enumerate(counts[:_MAX_MATRIX]))
            matrix.append((label, total, cells))
    return MulticlassView(
        classes=len(rows), rows=rows, positive=positive, one_vs_rest=tuple((ovr or {}).items()),
        labels=labels, matrix=tuple(matrix), matrix_hidden=hidden)
