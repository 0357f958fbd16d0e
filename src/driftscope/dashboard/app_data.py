"""Tables the dashboard shows, shaped from the history store (no Streamlit, no statistics).

Everything here reads stored values and arranges them into pandas frames; nothing is
recomputed from data. The only derived numbers are counts and orderings. Text shown in
tables and options (names, reasons, bin labels, round ids, windows) is cut to
``app_text.MAX_CHARS`` (200) characters with :func:`.app_text.clip`; frames for the charts
keep the stored values. The metrics shown are the registered ones
(:func:`driftscope.compare.registry.specs`), each under the label it declared.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import ValidationError

from driftscope.config.models import MonitoringConfig, Thresholds
from driftscope.dashboard.app_text import clip
from driftscope.errors import ConfigError
from driftscope.result import FeatureResult, RunResult, Severity, worst_first
from driftscope.store import RunSummary, SeriesPoint

if TYPE_CHECKING:
    from driftscope.compare.registry import MetricField, MetricSpec

LEVELS = ("NORMAL", "WARNING", "CRITICAL")
LEVEL_COLORS = {"NORMAL": "#2e7d32", "WARNING": "#ef8f00", "CRITICAL": "#c62828"}
BADGE_COLORS = {"NORMAL": "green", "WARNING": "orange", "CRITICAL": "red"}


def badge(status: Severity | str | None) -> str:
    """Markdown for a coloured status word."""
    if status is None:
        return "—"
    value = Severity(status).value
    return f":{BADGE_COLORS[value]}[**{value}**]"


def run_label(summary: RunSummary) -> str:
    """How a round is named in the run selector (plain text, the id cut to 200 characters)."""
    started = clip(short_time(summary.started_at))
    return f"{clip(summary.run_id)} · {started} · {summary.status.value}"


def short_time(text: str | None) -> str:
    """An ISO time shortened to minutes, in UTC when it has an offset."""
    if not text:
        return "—"
    stamp = pd.to_datetime(text, utc=True, errors="coerce")
    if pd.isna(stamp):
        return text
    return str(stamp.strftime("%Y-%m-%d %H:%M UTC"))


def runs_frame(summaries: Sequence[RunSummary]) -> pd.DataFrame:
    """One row per round, oldest first: time, status, counts per level, rows."""
    rows = [
        {
            "round": i + 1,
            "run": s.run_id,
            "started_at": s.started_at,
            "status": s.status.value,
            "rank": s.status.rank,
            "NORMAL": s.counts.get("NORMAL", 0),
            "WARNING": s.counts.get("WARNING", 0),
            "CRITICAL": s.counts.get("CRITICAL", 0),
            "reference rows": s.reference_rows,
            "current rows": s.current_rows,
            "prediction": s.prediction_status.value if s.prediction_status else None,
            "performance": s.performance_status.value if s.performance_status else None,
            **_window_columns(s.window_start, s.window_end),
        }
        for i, s in enumerate(summaries)
    ]
    return with_time(pd.DataFrame(rows))


TIME_BASIS = "time basis"
DATA_WINDOW, RUN_TIME = "data window", "run time"


def with_time(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the time each round is drawn at: the middle of its data window (from
    the timestamp column, ``window_start`` / ``window_end``) when it has one, else when it
    ran (``started_at``); column ``time basis`` says which. A two-month backfill written in
    seconds is thus spread over its two months. Unparseable times count as absent."""
    if frame.empty:
        return frame
    ran = pd.to_datetime(frame["started_at"], utc=True, errors="coerce")
    start = _utc(frame, "window_start")
    end = _utc(frame, "window_end")
    middle = start + (end - start) / 2
    window = middle.fillna(start).fillna(end)
    frame["time"] = window.fillna(ran)
    frame[TIME_BASIS] = [DATA_WINDOW if pd.notna(t) else RUN_TIME for t in window]
    return frame


def _utc(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    values = frame[column].map(lambda v: v if isinstance(v, str) else None)
    return pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")


def _window_columns(start: str | None, end: str | None) -> dict[str, str | None]:
    """A round's data window as the columns of a frame row: the text shown and the bounds
    :func:`with_time` reads."""
    return {"window": _window(start, end), "window_start": start, "window_end": end}


def _window(start: str | None, end: str | None) -> str:
    if not start and not end:
        return "—"
    return f"{clip(start or '…')} → {clip(end or '…')}"


def recent_rounds_table(summaries: Sequence[RunSummary], limit: int = 10) -> pd.DataFrame:
    """The newest rounds, newest first, as a small text table."""
    rows = [
        {
            "Run": clip(s.run_id),
            "Started": clip(short_time(s.started_at)),
            "Status": s.status.value,
            "Features N / W / C": (
                f"{s.counts.get('NORMAL', 0)} / {s.counts.get('WARNING', 0)} / "
                f"{s.counts.get('CRITICAL', 0)}"
            ),
            "Prediction": s.prediction_status.value if s.prediction_status else "—",
            "Rows": f"{s.current_rows:,}",
            "Window": _window(s.window_start, s.window_end),
        }
        for s in reversed(list(summaries)[-limit:])
    ]
    return pd.DataFrame(rows).set_index("Run") if rows else pd.DataFrame()


def levels_frame(summaries: Sequence[RunSummary]) -> pd.DataFrame:
    """Long form: features per level per round (for a stacked bar chart)."""
    rows = [
        {
            "round": i + 1,
            "run": s.run_id,
            "started_at": s.started_at,
            "level": level,
            "features": s.counts.get(level, 0),
        }  # fmt: skip
        for i, s in enumerate(summaries)
        for level in LEVELS
    ]
    return pd.DataFrame(rows)


def psi_thresholds(result: RunResult | None, name: str) -> tuple[float, float]:
    """The PSI warning and critical thresholds a round used for a column.

    Resolved as the round resolved them: the policy its ``settings`` recorded (``thresholds``
    and per-feature ``overrides``, whose keys may be glob patterns) through
    :meth:`MonitoringConfig.thresholds_for`; the defaults (0.1 and 0.25) when it recorded
    none, or settings this driftscope cannot read.
    """
    settings = result.settings if result is not None else {}
    try:
        thresholds = MonitoringConfig.from_round_settings(settings).thresholds_for(name)
    except (ValidationError, ConfigError):
        thresholds = Thresholds.model_validate({})
    return thresholds.psi_warning, thresholds.psi_critical


def series_frame(points: Sequence[SeriesPoint]) -> pd.DataFrame:
    """One column over rounds: time, PSI, status and the other metrics."""
    rows = [
        {
            "round": i + 1,
            "run": p.run_id,
            "started_at": p.started_at,
            "status": p.status.value,
            "psi": p.psi,
            **{k: v for k, v in p.metrics.items() if k != "psi"},
            **_window_columns(p.window_start, p.window_end),
        }
        for i, p in enumerate(points)
    ]
    return with_time(pd.DataFrame(rows))


NOT_APPLICABLE = "—"
"""Shown where a metric does not apply (KS of a categorical column), never "None"."""


def not_applicable(value: float | None, pattern: str) -> str:
    """A metric as text, or "—" where it does not apply: a number column would show a missing
    value as "None". Fixed decimals keep the text sortable like the number (KS is in [0, 1])."""
    return NOT_APPLICABLE if value is None else pattern.format(value)


# -- the registered metrics -----------------------------------------------------------------
def metric_specs() -> tuple[MetricSpec, ...]:
    """The registered metrics, in registration order (what every metric table shows)."""
    from driftscope.compare.registry import specs

    return specs()


def series_fields() -> list[tuple[str, str]]:
    """(field, label) of every measured field of the registered metrics: what a column can be
    followed by over rounds (the corrected p-values aside)."""
    return [(f.name, f.label) for spec in metric_specs() for f in spec.measured]


_TABLE_PATTERNS = {"statistic": "{:.3f}", "pvalue": "{:.2g}", "share": "{:.1%}"}
_TILE_PATTERNS = {"statistic": "{:.4f}", "pvalue": "{:.2g}", "share": "{:.1%}"}
_COLUMN_FORMATS = {"statistic": "%.3f", "pvalue": "%.2g", "share": "percent"}


def metric_text(field: MetricField, value: float | None, precise: bool = True) -> str:
    """A field's value as text ("—" when absent): 4 decimals for a statistic (3 unless
    ``precise``), 2 significant digits for a p-value, a percentage for a share."""
    patterns = _TILE_PATTERNS if precise else _TABLE_PATTERNS
    return not_applicable(value, patterns[field.kind])


def metric_tiles(column: FeatureResult) -> list[tuple[str, str, str]]:
    """(label, value text, description) of each registered metric's headline for one
    column, in registration order (the tiles of a column's page)."""
    return [(spec.label, metric_text(spec.headline_field, column.metrics.get(spec.headline)),
             spec.description) for spec in metric_specs()]


def features_table_columns() -> dict[str, dict[str, str]]:
    """How :func:`features_table` shows each metric column, keyed by its label: ``kind``
    ("number", or "text" where the metric may not apply and shows "—"), ``format`` (a
    Streamlit number format) and ``help`` (the metric's description)."""
    out = {}
    for spec in metric_specs():
        f = spec.headline_field
        out[spec.label] = {"kind": "text" if spec.nullable(f) else "number",
                           "format": _COLUMN_FORMATS[f.kind], "help": spec.description}
    return out


def features_table(
    result: RunResult,
    trends: dict[str, list[float]],
    statuses: Sequence[str] | None = None,
    sort: str = "status",
) -> pd.DataFrame:
    """The features of one round with a PSI trend list each, filtered and sorted.

    Parameters
    ----------
    result : RunResult
        The round.
    trends : dict
        PSI series per feature name (oldest first) for the trend sparkline.
    statuses : sequence of str, optional
        Keep only these levels.
    sort : {"status", "psi", "impact", "name"}
        Worst first, highest PSI first, highest impact first (PSI × importance, when the
        baseline held importance), or by name.
    """
    rows = []
    specs = metric_specs()
    # PSI, the metric the status policy reads, comes first, followed by its trend
    psi = next((spec.label for spec in specs if spec.name == "psi"), "PSI")
    # drift impact (PSI × importance share) when the baseline held importance
    has_impact = any(f.impact is not None for f in result.features)
    for f in worst_first(result.features) if sort == "status" else result.features:
        cells = metric_cells(f, specs)
        rows.append(
            {
                "Feature": clip(f.name),
                "Status": f.status.value,
                psi: f.metrics.psi,
                "PSI trend": trends.get(f.name, []),
                **({"Impact": f.impact, "Importance": f.importance} if has_impact else {}),
                **{label: value for label, value in cells.items() if label != psi},
                "Type": clip(f.type),
                "Origin": clip(f.origin),
                "Reason": clip(f.reason),
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    if statuses is not None:
        frame = frame[frame["Status"].isin(list(statuses))]
    if sort == "psi":
        frame = frame.sort_values([psi, "Feature"], ascending=[False, True], na_position="last")
    elif sort == "impact" and "Impact" in frame.columns:
        frame = frame.sort_values(["Impact", "Feature"], ascending=[False, True],
                                  na_position="last")
    elif sort == "name":
        frame = frame.sort_values("Feature", key=lambda s: s.str.lower())
    return frame.reset_index(drop=True)


def metric_cells(column: FeatureResult, specs: Sequence[MetricSpec]) -> dict[str, Any]:
    """One cell per metric, under its label: the headline field's number, or text ("—"
    where it does not apply) when the metric may not apply (numbers then sort as text
    would, which fixed decimals keep right for values in [0, 1])."""
    cells: dict[str, Any] = {}
    for spec in specs:
        f = spec.headline_field
        value = column.metrics.get(f.name)
        cells[spec.label] = (metric_text(f, value, precise=False) if spec.nullable(f)
                             else value)
    return cells


def bins_frame(column: FeatureResult) -> pd.DataFrame:
    """Long form of a column's bins: one row per bin and side, in bin order."""
    rows = []
    for i, b in enumerate(column.bins):
        for side, share, count in (
            ("reference", b.reference_share, b.reference_count),
            ("current", b.current_share, b.current_count),
        ):
            rows.append({"position": i, "bin": b.label, "side": side, "share": share,
                         "count": count, "psi_contribution": b.psi_contribution})  # fmt: skip
    return pd.DataFrame(rows)


def bins_table(column: FeatureResult) -> pd.DataFrame:
    """A column's bins as a table."""
    return pd.DataFrame(
        [
            {
                "Bin": clip(b.label),
                "Reference share": b.reference_share,
                "Current share": b.current_share,
                "Reference count": b.reference_count,
                "Current count": b.current_count,
                "PSI contribution": b.psi_contribution,
            }
            for b in column.bins
        ]
    )


def find_plot(column: FeatureResult, assets_dir: Path) -> Path | None:
    """The PNG diagnostic of a column, when it exists under the assets folder.

    The round names the file in ``column.plot`` (relative to the assets folder); a path that
    leads outside the assets folder is ignored.
    """
    if not column.plot:
        return None
    root = assets_dir.resolve()
    candidate = Path(column.plot)
    path = (candidate if candidate.is_absolute() else root / candidate).resolve()
    try:
        path.relative_to(root)
    except ValueError:
        return None
    return path if path.is_file() else None
