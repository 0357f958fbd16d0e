"""The self-contained HTML report of a round, rendered from a :class:`RunResult` only.

One file, no request to any other host: the styles and the small sorting/filtering script are
inlined, charts are inline SVG drawn here from the bins and quantiles the result holds, and a
Content-Security-Policy meta tag forbids every outside source (the script is allowed by its
SHA-256 hash only). The template is rendered by Jinja2 with autoescaping on and no data ever
marked safe, so any column name or category value shows as text; no data goes into the
script, which reads sort keys from ``data-`` attributes.

Public functions: :func:`render_html`, :func:`write_html`, :func:`report_from_json`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import os
import re
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeGuard

import jinja2
from markupsafe import Markup

from driftscope.outputs.atomic import write_text
from driftscope.result import Bin, FeatureResult, RunResult, Severity, SideSummary

__all__ = ["render_html", "report_from_json", "write_html"]

_TEMPLATES = "templates"
_MAX_BARS = 40
"""A detail chart shows at most this many bins (missing/unseen first, then the largest
PSI contributions); the JSON keeps them all."""
_LABEL_CHARS = 26
_PLOT_PATH = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*\.png")


# -- public API ---------------------------------------------------------------------------
def render_html(result: RunResult) -> str:
    """Render the report of ``result`` as one self-contained HTML page.

    Parameters
    ----------
    result : RunResult
        The round to show; only read, never recomputed.

    Returns
    -------
    str
        The whole document, starting with ``<!DOCTYPE html>``.
    """
    script = _asset("report.js")
    columns = _ordered(result.features)
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
    views = {id(col): _view(f"feature-{i}", col) for i, col in enumerate(columns)}
    views.update({id(col): _view(f"output-{i}", col) for i, (_t, col) in enumerate(outputs)})
    return _environment().get_template("report.html.j2").render(
        result=result,
        run=result.run,
        status=Severity(result.status).value,
        started=_when(result.run.started_at),
        counts=_counts(result),
        features=[views[id(col)] for col in columns],
        outputs=[(title, views[id(col)]) for title, col in outputs],
        performance=_performance_rows(result),
        multiclass=_multiclass_view(result),
        findings=_findings(result),
        chunks=_chunks(result),
        settings=_settings(result.settings),
        geo=_GEOMETRY,
        css=Markup(_asset("report.css")),
        script=Markup(script),
        script_hash=_csp_hash(script),
    )


def write_html(result: RunResult, path: str | os.PathLike[str]) -> Path:
    """Render the report of ``result`` and write it atomically to ``path``.

    Returns
    -------
    Path
        The written file.
    """
    target = Path(path)
    write_text(target, render_html(result))
    return target


def report_from_json(
    json_path: str | os.PathLike[str], out_path: str | os.PathLike[str]
) -> Path:
    """Re-render a report from a saved ``drift_report.json``, without the data.

    Parameters
    ----------
    json_path : path-like
        A result written by a round (``RunResult.to_json``).
    out_path : path-like
        Where to write the HTML page (atomically).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    InputError
        When the file is missing, unreadable, not JSON, or not a driftscope result; the
        one-line message names the file.
    """
    from driftscope.outputs.json_report import read_json

    result = read_json(json_path)
    return write_html(result, out_path)


# -- environment and assets ---------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("driftscope.outputs", _TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=_num, pvalue=_pvalue, pct=_pct, key=_sort_key, short=_short)
    env.filters.update(level=lambda s: Severity(s).value, rank=lambda s: Severity(s).rank)
    return env


@functools.lru_cache(maxsize=4)
def _asset(name: str) -> str:
    return (resources.files("driftscope.outputs") / _TEMPLATES / name).read_text("utf-8")


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


# -- formatting filters -------------------------------------------------------------------
def _finite(value: float | None) -> TypeGuard[float]:
    return value is not None and math.isfinite(value)


def _num(value: float | None, digits: int = 3) -> str:
    """A metric for people: ``—`` when absent, scientific notation when tiny or huge."""
    if value is None:
        return "—"
    if not math.isfinite(value):
        return "n/a" if math.isnan(value) else ("∞" if value > 0 else "−∞")
    if value != 0 and (abs(value) < 10**-digits or abs(value) >= 10**6):
        return f"{value:.2e}"
    return f"{value:.{digits}f}"


def _pvalue(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return _num(value)
    if value < 1e-4:
        return "< 0.0001" if value < 1e-16 else f"{value:.1e}"
    return f"{value:.4f}"


def _pct(value: float | None, digits: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return _num(value)
    return f"{value * 100:.{digits}f} %"


def _sort_key(value: float | None) -> str:
    """What a table cell sorts by: the full number, or empty (sorted last) when absent."""
    return repr(float(value)) if _finite(value) else ""


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- view models --------------------------------------------------------------------------
@dataclass(frozen=True)
class BarRow:
    """One bin drawn as a row: reference and current bars, and its PSI contribution."""

    label: str
    short: str
    kind: str
    y: float
    reference: float
    current: float
    contribution: float
    reference_width: float
    current_width: float
    contribution_width: float

    @property
    def share_text_x(self) -> float:
        return _SHARE_X + max(self.reference_width, self.current_width) + 5

    @property
    def contribution_text_x(self) -> float:
        return _CONTRIB_X + self.contribution_width + 5


@dataclass(frozen=True)
class BarChart:
    rows: tuple[BarRow, ...]
    height: float
    hidden: int
    total: int


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class QQChart:
    """A Q-Q chart: ``dots`` is SVG path data drawing one dot per quantile pair."""

    dots: str
    diagonal: tuple[float, float, float, float]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    pairs: int


@dataclass(frozen=True)
class SummaryRow:
    label: str
    reference: str
    current: str


@dataclass(frozen=True)
class ColumnView:
    """Everything the template shows about one column."""

    anchor: str
    col: FeatureResult
    chart: BarChart
    qq: QQChart | None
    summary: tuple[SummaryRow, ...]
    plot_href: str | None


def _ordered(features: tuple[FeatureResult, ...]) -> list[FeatureResult]:
    """Worst first, then by PSI (largest first), then by name."""

    def key(f: FeatureResult) -> tuple[int, float, str]:
        psi = f.metrics.psi if _finite(f.metrics.psi) else -1.0
        return (-Severity(f.status).rank, -psi, f.name)

    return sorted(features, key=key)


def _view(anchor: str, col: FeatureResult) -> ColumnView:
    dist = col.distribution
    qq = _qq_chart(dist.reference, dist.current) if dist and col.type == "numerical" else None
    summary = _summary(dist.reference, dist.current) if dist else ()
    plot = col.plot
    href = None
    if plot and _PLOT_PATH.fullmatch(plot) and ".." not in plot.split("/"):
        href = plot if "/" in plot else f"images/{plot}"
    return ColumnView(anchor, col, _bar_chart(col.bins), qq, summary, href)


# geometry of the bin chart (SVG user units; the template uses the same numbers)
_ROW = 22.0
_TOP = 26.0
_SHARE_X, _SHARE_W = 190.0, 250.0
_CONTRIB_X, _CONTRIB_W = 575.0, 85.0


def _bar_chart(bins: tuple[Bin, ...]) -> BarChart:
    shown = list(bins)
    if len(shown) > _MAX_BARS:
        keep = {i for i, b in enumerate(bins)
                if b.kind in ("missing", "unseen", "other", "below", "between", "above")}
        for i in sorted(range(len(bins)), key=lambda i: -abs(bins[i].psi_contribution)):
            if len(keep) >= _MAX_BARS:
                break
            keep.add(i)
        shown = [b for i, b in enumerate(bins) if i in keep]
    shares = [s for b in shown for s in (b.reference_share, b.current_share) if _finite(s)]
    top_share = max([*shares, 1e-12])
    contribs = [abs(b.psi_contribution) for b in shown if _finite(b.psi_contribution)]
    top_contrib = max([*contribs, 1e-12])

    def width(value: float, top: float, full: float) -> float:
        return round(full * min(abs(value), top) / top, 1) if _finite(value) else 0.0

    rows = tuple(
        BarRow(
            label=b.label,
            short=_short(b.label, _LABEL_CHARS),
            kind=b.kind,
            y=_TOP + i * _ROW,
            reference=b.reference_share,
            current=b.current_share,
            contribution=b.psi_contribution,
            reference_width=width(b.reference_share, top_share, _SHARE_W),
            current_width=width(b.current_share, top_share, _SHARE_W),
            contribution_width=width(b.psi_contribution, top_contrib, _CONTRIB_W),
        )
        for i, b in enumerate(shown)
    )
    return BarChart(rows, _TOP + len(rows) * _ROW + 6, len(bins) - len(shown), len(bins))


# geometry of the Q-Q chart
_QQ_W, _QQ_H = 300.0, 260.0
_QQ_LEFT, _QQ_RIGHT, _QQ_TOP, _QQ_BOTTOM = 56.0, 22.0, 10.0, 40.0


_GEOMETRY = {
    "width": 720.0,
    "label_x": _SHARE_X - 8,
    "share_x": _SHARE_X,
    "contrib_x": _CONTRIB_X,
    "qq_w": _QQ_W,
    "qq_h": _QQ_H,
    "qq_left": _QQ_LEFT,
    "qq_right": _QQ_W - _QQ_RIGHT,
    "qq_top": _QQ_TOP,
    "qq_bottom": _QQ_H - _QQ_BOTTOM,
}


def _qq_chart(reference: SideSummary, current: SideSummary) -> QQChart | None:
    pairs = [
        (r, c)
        for r, c in zip(reference.quantiles, current.quantiles, strict=False)
        if _finite(r) and _finite(c)
    ]
    if not pairs:
        return None
    values = [v for pair in pairs for v in pair]
    lo, hi = min(values), max(values)
    if lo == hi:
        pad = abs(lo) * 0.05 or 0.5
        lo, hi = lo - pad, hi + pad
    span = hi - lo
    inner_w = _QQ_W - _QQ_LEFT - _QQ_RIGHT
    inner_h = _QQ_H - _QQ_TOP - _QQ_BOTTOM

    def x(v: float) -> float:
        return round(_QQ_LEFT + (v - lo) / span * inner_w, 1)

    def y(v: float) -> float:
        return round(_QQ_TOP + inner_h - (v - lo) / span * inner_h, 1)

    dots = "".join(f"M{x(r)} {y(c)}h0" for r, c in pairs)
    marks = _nice_ticks(lo, hi)
    return QQChart(
        dots=dots,
        diagonal=(x(lo), y(lo), x(hi), y(hi)),
        x_ticks=tuple(Tick(x(v), _tick_label(v)) for v in marks),
        y_ticks=tuple(Tick(y(v), _tick_label(v)) for v in marks),
        pairs=len(pairs),
    )


def _nice_ticks(lo: float, hi: float, target: int = 4) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) inside ``[lo, hi]``."""
    raw = (hi - lo) / target
    if not (math.isfinite(raw) and raw > 0):
        return [lo, hi]
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step) * step
    ticks = []
    k = 0
    while first + k * step <= hi + step * 1e-9 and k <= 2 * target:
        ticks.append(first + k * step)
        k += 1
    return ticks


def _tick_label(value: float) -> str:
    return f"{0.0 if abs(value) < 1e-12 else value:.4g}"


def _summary(reference: SideSummary, current: SideSummary) -> tuple[SummaryRow, ...]:
    def quantile(side: SideSummary, index: int) -> float | None:
        return side.quantiles[index] if len(side.quantiles) == 101 else None

    def digits(value: float | None) -> str:
        return _num(value, 4) if value is None or not _finite(value) else f"{value:.5g}"

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


# -- page sections ------------------------------------------------------------------------
def _when(stamp: str) -> str:
    """``2026-11-26 12:00:00 UTC`` from an ISO-8601 time; the text as given otherwise."""
    try:
        moment = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return stamp
    if moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0:  # type: ignore[union-attr]
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.isoformat(sep=" ")


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


_CHUNK_PATH = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*"
                         r"\.(html|json)")


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
        window = (f"{_day(c.window_start)} → {_day(c.window_end)}"
                  if c.window_start or c.window_end else "—")
        rows.append(ChunkRow(c.label, Severity(c.status).value, c.rows, window, href,
                             c.label == result.backfill.worst, c.run_id == result.run.id))
    return rows


def _day(when: str | None) -> str:
    """A window bound for the chunk table: the date alone when the time is midnight."""
    if not when:
        return "…"
    return when.removesuffix("T00:00:00") if len(when) == 19 else when


_MAX_MATRIX = 30
"""The HTML confusion matrix shows at most this many labels; the JSON holds them all."""


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


def _findings(result: RunResult) -> list[tuple[str | None, str]]:
    """The round's findings, then each column's, each (column, message) pair once."""
    found: list[tuple[str | None, str]] = [(f.column, f.message) for f in result.findings]
    extra = [result.prediction, result.predicted_class, result.target,
             *result.class_probabilities]
    for col in [*result.features, *(c for c in extra if c is not None)]:
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

    return [(str(k), _short(text(v), 400)) for k, v in sorted(settings.items(), key=str)]
