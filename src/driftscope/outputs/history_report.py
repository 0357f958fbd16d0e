"""What ``driftscope history`` prints: the stored rounds, or one column's series.

Three formats: an aligned text table for people, JSON (a list, newest last) and CSV for
programs.

Names, values and reasons come from the data and the database, not from driftscope: in every
format, control characters and bidi overrides in them are printed as visible escapes (see
:mod:`driftscope.outputs.text`), so that they cannot drive the user's terminal; the table also
cuts long values at :data:`CELL_LIMIT` characters.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from driftscope.errors import ConfigError, HistoryError
from driftscope.outputs.text import json_safe, printable
from driftscope.store.queries import check_last
from driftscope.store.rows import level_value

if TYPE_CHECKING:
    from driftscope.store import HistoryReader, RunSummary

__all__ = ["CELL_LIMIT", "history_report"]

CELL_LIMIT = 200
"""Longest cell of the text table, in characters (longer values end in "…")."""

_RUN_CSV_FIELDS = (
    "run_id",
    "started_at",
    "window_start",
    "window_end",
    "baseline",
    "reference_rows",
    "current_rows",
    "status",
    "count_normal",
    "count_warning",
    "count_critical",
    "features",
    "prediction_status",
    "performance_status",
    "model_name",
    "model_version",
    "reason",
    "recommendation",
    "recorded_at",
)


def _flat_run(summary: RunSummary) -> dict[str, Any]:
    data = summary.to_dict()
    counts = data.pop("counts")
    data["count_normal"] = counts.get("NORMAL", 0)
    data["count_warning"] = counts.get("WARNING", 0)
    data["count_critical"] = counts.get("CRITICAL", 0)
    return {key: data.get(key) for key in _RUN_CSV_FIELDS}


def _cell(value: Any, digits: int = 4) -> str:
    if value is None:  # the metric does not apply (KS of a categorical column)
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1e-3 and value != 0 else f"{value:.{digits}f}"
    return str(value)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    rows = [[printable(c, CELL_LIMIT) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    return "\n".join(lines)


def _short(text: str | None, width: int = 60) -> str:
    if not text:
        return "-"
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    return printable(value, None) if isinstance(value, str) else value


def _csv(fields: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_value(row.get(k)) for k in fields})
    return buffer.getvalue().rstrip("\n")


def _json(items: Sequence[dict[str, Any]]) -> str:
    # ensure_ascii=False keeps names readable but leaves DEL, C1 controls and bidi overrides
    # raw: json_safe writes them as JSON \u escapes (still valid JSON, same data)
    return json_safe(json.dumps(list(items), indent=2, ensure_ascii=False))


def history_report(
    store: HistoryReader,
    feature: str | None = None,
    last: int | None = None,
    fmt: Literal["table", "json", "csv"] | str = "table",
) -> str:
    """What ``driftscope history`` prints.

    Parameters
    ----------
    store : HistoryReader
        The history to read (a :class:`driftscope.store.HistoryStore`).
    feature : str, optional
        Print this column's series instead of the list of rounds.
    last : int, optional
        Only the newest ``last`` rounds (or points).
    fmt : {"table", "json", "csv"}
        Output format. JSON is a list (newest last) of rounds, or of the feature's points.

    Returns
    -------
    str
        The text to print (no trailing newline).

    Raises
    ------
    ConfigError
        When ``fmt`` or ``last`` is not valid.
    HistoryError
        When ``feature`` is not in the history, or the store cannot be read.
    """
    if fmt not in ("table", "json", "csv"):
        raise ConfigError(f"--format must be table, json or csv, got {fmt!r}")
    if last is not None:
        check_last(last)
    if feature is None:
        summaries = store.runs(last)
        if fmt == "json":
            from driftscope.store.row_log import label_coverage  # rounds run with id_column

            covered = label_coverage(store)
            return _json([{**s.to_dict(), **covered.get(s.run_id, {})} for s in summaries])
        if fmt == "csv":
            return _csv(_RUN_CSV_FIELDS, [_flat_run(s) for s in summaries])
        if not summaries:
            return f"no rounds recorded in the history at {store.url}"
        rows = [
            [
                s.run_id,
                s.started_at,
                f"{s.window_start or '-'} .. {s.window_end or '-'}"
                if (s.window_start or s.window_end)
                else "-",
                f"{s.reference_rows}/{s.current_rows}",
                s.status.value,
                f"{s.counts.get('NORMAL', 0)}/{s.counts.get('WARNING', 0)}/"
                f"{s.counts.get('CRITICAL', 0)}",
                level_value(s.prediction_status) or "-",
                _short(s.recommendation),
            ]
            for s in summaries
        ]
        headers = ["run", "started (UTC)", "window", "rows ref/cur", "status", "N/W/C",
                   "prediction", "recommendation"]  # fmt: skip
        return _table(headers, rows)

    points = store.feature_series(feature, last)
    if not points:
        known = store.column_names()
        listing = ", ".join(printable(k, 60) for k in known[:20]) + (
            ", …" if len(known) > 20 else ""
        )
        raise HistoryError(
            f"no column {feature!r} in the history at {store.url}; "
            + (f"known columns: {listing}" if known else "the history is empty")
        )
    if fmt == "json":
        return _json([p.to_dict() for p in points])
    if fmt == "csv":
        fields = list(points[0].to_dict())
        return _csv(fields, [p.to_dict() for p in points])
    rows = [
        [
            p.run_id,
            p.started_at,
            p.status.value,
            _cell(p.psi),
            _cell(p.metrics.get("psi_pvalue"), 3),
            _cell(p.metrics.get("ks_statistic")),
            _cell(p.metrics.get("jensen_shannon")),
            _cell(p.metrics.get("chi2_pvalue"), 3),
            _cell(p.metrics.get("missing_share_current")),
            _cell(p.metrics.get("unseen_share_current")),
            " ".join(p.reason.split()) or "-",
        ]
        for p in points
    ]
    headers = ["run", "started (UTC)", "status", "psi", "psi p", "ks", "js", "chi2 p",
               "missing", "unseen", "reason"]  # fmt: skip
    newest = points[-1]
    kind = printable(f"{newest.origin}, {newest.type}")
    title = f"{printable(feature, CELL_LIMIT)} ({kind})"
    return title + "\n" + _table(headers, rows)
