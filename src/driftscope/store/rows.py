"""A round's result as table rows: its header, its columns with their metrics and bins, its
performance.

A column's metric fields of version 1 (:data:`~driftscope.store.schema.METRIC_FIELDS`) are
columns of its ``driftscope_columns`` row; every other field its metrics hold (the fields of a
metric registered since) is one ``driftscope_column_metrics`` row, so any registered metric is
stored without a migration.

:func:`write_round` inserts everything below a round's ``driftscope_runs`` row; the store
calls it inside the transaction that inserted that row, so a round lands whole or not at all.
Numbers that are not finite are stored as NULL, like a metric that does not apply.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from driftscope.result import FeatureResult, RunResult, Severity
from driftscope.store.schema import METRIC_FIELDS, tables

__all__ = [
    "columns_of",
    "driftscope_version",
    "extra_metrics",
    "level_value",
    "num",
    "run_row",
    "sort_key",
    "utc_now",
    "write_column",
    "write_round",
]


def driftscope_version() -> str | None:
    """The installed driftscope's version, None when it runs from a source tree."""
    try:
        from importlib.metadata import version

        return version("driftscope")
    except Exception:  # pragma: no cover - not installed as a distribution
        return None


def utc_now() -> str:
    """Now, as ISO-8601 UTC text with microseconds."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sort_key(started_at: str) -> str:
    """A text key that sorts like time: ISO-8601 normalised to UTC with microseconds.

    Text that is not ISO-8601 is its own key, so such rounds still sort, among themselves.
    """
    text = started_at.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def num(value: Any) -> float | None:
    """``value`` as a finite float, else None (for nullable number columns)."""
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def level_value(level: Severity | None) -> str | None:
    """The text of a level, None for None."""
    return None if level is None else Severity(level).value


def columns_of(result: RunResult) -> list[tuple[str, FeatureResult]]:
    """(origin, column) of every compared column of a round, in report order."""
    out: list[tuple[str, FeatureResult]] = [(f.origin, f) for f in result.features]
    for origin, column in (
        ("prediction", result.prediction),
        ("predicted_class", result.predicted_class),
        ("target", result.target),
    ):
        if column is not None:
            out.append((origin, column))
    return out


_FIELD = re.compile(r"[a-z][a-z0-9_]{0,63}")
"""What a metric field name looks like (the registry refuses any other): a key of another
shape, from a report edited by hand, stays in the stored JSON only."""


def extra_metrics(metrics: Mapping[str, Any]) -> dict[str, float | None]:
    """The fields of ``metrics`` that have no column of their own, in their order, as
    numbers (None where not finite)."""
    wide = set(METRIC_FIELDS)
    return {name: num(value) for name, value in metrics.items()
            if name not in wide and _FIELD.fullmatch(name)}


def run_row(result: RunResult, payload: str) -> dict[str, Any]:
    """The ``driftscope_runs`` row of a round whose JSON is ``payload``."""
    run = result.run
    levels = [Severity(f.status) for f in result.features]
    model = run.model
    return {
        "run_id": run.id,
        "started_at": run.started_at,
        "sort_key": sort_key(run.started_at),
        "recorded_at": utc_now(),
        "window_start": run.window_start,
        "window_end": run.window_end,
        "baseline": run.baseline,
        "reference_rows": int(run.reference.rows),
        "current_rows": int(run.current.rows),
        "status": Severity(result.status).value,
        "reason": result.reason,
        "recommendation": result.recommendation,
        "count_normal": levels.count(Severity.NORMAL),
        "count_warning": levels.count(Severity.WARNING),
        "count_critical": levels.count(Severity.CRITICAL),
        "n_features": len(levels),
        "prediction_status": level_value(result.prediction.status if result.prediction else None),
        "performance_status": level_value(
            result.performance.status if result.performance else None
        ),
        "model_name": model.name if model else None,
        "model_version": model.version if model else None,
        "result_schema_version": result.schema_version,
        "driftscope_version": run.driftscope_version or driftscope_version(),
        "result_json": payload,
    }


def write_column(
    conn: Any, tables: dict[str, Any], seq: int, position: int, item: tuple[str, FeatureResult]
) -> None:
    """Insert one column of a round (``item``: its origin and result) and its bins."""
    from sqlalchemy import insert

    origin, column = item
    metrics = column.metrics
    conn.execute(
        insert(tables["columns"]),
        [{"run_seq": seq, "position": position, "name": column.name, "origin": origin,
          "type": column.type, "status": Severity(column.status).value,
          "reason": column.reason, "plot": column.plot,
          **{name: num(metrics.get(name)) for name in METRIC_FIELDS}}],
    )
    extras = extra_metrics(metrics)
    if extras:
        conn.execute(
            insert(tables["column_metrics"]),
            [{"run_seq": seq, "column_position": position, "field": name, "value": value}
             for name, value in extras.items()],
        )
    if column.bins:
        conn.execute(
            insert(tables["bins"]),
            [
                {
                    "run_seq": seq,
                    "column_position": position,
                    "position": i,
                    "label": b.label,
                    "kind": b.kind,
                    "lower": num(b.lower),
                    "upper": num(b.upper),
                    "reference_count": int(b.reference_count),
                    "current_count": int(b.current_count),
                    "reference_share": num(b.reference_share),
                    "current_share": num(b.current_share),
                    "psi_contribution": num(b.psi_contribution),
                }
                for i, b in enumerate(column.bins)
            ],
        )


class _Batched:
    """Collects the rows :func:`write_column` inserts, per statement, and inserts each
    statement's rows in one ``executemany`` (in the order the statements first came): one
    round's columns, metrics and bins in three round trips instead of one or more per
    column."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.pending: dict[Any, tuple[Any, list[dict[str, Any]]]] = {}

    def execute(self, statement: Any, rows: list[dict[str, Any]]) -> None:
        self.pending.setdefault(statement.table, (statement, []))[1].extend(rows)

    def flush(self) -> None:
        for statement, rows in self.pending.values():
            self.conn.execute(statement, rows)
        self.pending.clear()


def write_round(conn: Any, seq: int, result: RunResult) -> None:
    """Insert the columns, bins and performance of a round below its runs row ``seq``."""
    from sqlalchemy import insert

    t = tables()
    batch = _Batched(conn)
    for position, item in enumerate(columns_of(result)):
        write_column(batch, t, seq, position, item)  # looked up here: tests replace it
    batch.flush()
    if result.performance is not None and result.performance.metrics:
        conn.execute(
            insert(t["performance"]),
            [
                {
                    "run_seq": seq,
                    "metric": name,
                    "current": num(m.current),
                    "estimated": num(m.estimated),
                    "baseline": num(m.baseline),
                    "relative_change": num(m.relative_change),
                    "status": Severity(m.status).value,
                }
                for name, m in result.performance.metrics.items()
            ],
        )
    from driftscope.store.row_log import write_rows  # the row ids of a round with id_column

    write_rows(conn, seq, result.run.id)
