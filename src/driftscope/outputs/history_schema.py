"""Tables, migrations and row builders of the history store (see :mod:`.history`).

Tables (all prefixed ``driftscope_`` so they can live in a shared database)::

    driftscope_schema_version  version, applied_at, driftscope_version
    driftscope_runs            seq (pk), run_id (unique), started_at, sort_key, window_start,
                               window_end, baseline, row counts, status, reason,
                               recommendation, counts per level, model, result_json, ...
    driftscope_columns         (run_seq, position) pk; name, origin, type, status, reason,
                               plot, one column per metric
    driftscope_bins            (run_seq, column_position, position) pk; label, kind, bounds,
                               counts, shares, psi_contribution
    driftscope_performance     (run_seq, metric) pk; current, estimated, baseline,
                               relative_change, status

Schema changes go through :data:`MIGRATIONS`: entry *i* upgrades a store from version *i*
to *i + 1*, inside the transaction that records the new version. Migration functions must not
use the runtime tables (which follow the newest layout) but declare what they change.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from driftscope.errors import ConfigError
from driftscope.result import FeatureResult, RunResult, Severity

METRIC_FIELDS: tuple[str, ...] = (
    "psi",
    "psi_pvalue",
    "psi_pvalue_adjusted",
    "ks_statistic",
    "ks_pvalue",
    "jensen_shannon",
    "chi2_statistic",
    "chi2_pvalue",
    "missing_share_reference",
    "missing_share_current",
    "unseen_share_current",
    "missing_pvalue",
    "unseen_pvalue",
)
"""Metric columns of ``driftscope_columns`` (one per field of ``result.Metrics``)."""

FEATURE_ORIGINS = ("raw", "engineered")


def tables_v1(md: Any) -> dict[str, Any]:
    """Declare the version-1 tables on the MetaData ``md``.

    This is the layout migration 1 creates. When the layout changes, leave this function
    alone, add ``_tables_v2`` for the runtime and a migration from 1 to 2.
    """
    from sqlalchemy import (
        BigInteger,
        Column,
        Double,
        ForeignKeyConstraint,
        Index,
        Integer,
        String,
        Table,
        Text,
    )

    version = Table(
        "driftscope_schema_version",
        md,
        Column("version", Integer, primary_key=True, autoincrement=False),
        Column("applied_at", String(40), nullable=False),
        Column("driftscope_version", String(40)),
    )
    runs = Table(
        "driftscope_runs",
        md,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("run_id", String(200), nullable=False, unique=True),
        Column("started_at", String(64), nullable=False),
        Column("sort_key", String(64), nullable=False),
        Column("recorded_at", String(40), nullable=False),
        Column("window_start", String(64)),
        Column("window_end", String(64)),
        Column("baseline", Text),
        Column("reference_rows", BigInteger, nullable=False),
        Column("current_rows", BigInteger, nullable=False),
        Column("status", String(16), nullable=False),
        Column("reason", Text, nullable=False),
        Column("recommendation", Text, nullable=False),
        Column("count_normal", Integer, nullable=False),
        Column("count_warning", Integer, nullable=False),
        Column("count_critical", Integer, nullable=False),
        Column("n_features", Integer, nullable=False),
        Column("prediction_status", String(16)),
        Column("performance_status", String(16)),
        Column("model_name", Text),
        Column("model_version", String(100)),
        Column("result_schema_version", String(16), nullable=False),
        Column("driftscope_version", String(40)),
        Column("result_json", Text, nullable=False),
        Index("ix_driftscope_runs_order", "sort_key", "seq"),
    )
    columns = Table(
        "driftscope_columns",
        md,
        Column("run_seq", Integer, primary_key=True, autoincrement=False),
        Column("position", Integer, primary_key=True, autoincrement=False),
        Column("name", Text, nullable=False),
        Column("origin", String(20), nullable=False),
        Column("type", String(20), nullable=False),
        Column("status", String(16), nullable=False),
        Column("reason", Text, nullable=False),
        Column("plot", Text),
        *(Column(name, Double) for name in METRIC_FIELDS),
        ForeignKeyConstraint(["run_seq"], ["driftscope_runs.seq"], ondelete="CASCADE"),
        Index("ix_driftscope_columns_name", "name", "run_seq"),
    )
    bins = Table(
        "driftscope_bins",
        md,
        Column("run_seq", Integer, primary_key=True, autoincrement=False),
        Column("column_position", Integer, primary_key=True, autoincrement=False),
        Column("position", Integer, primary_key=True, autoincrement=False),
        Column("label", Text, nullable=False),
        Column("kind", String(20), nullable=False),
        Column("lower", Double),
        Column("upper", Double),
        Column("reference_count", BigInteger, nullable=False),
        Column("current_count", BigInteger, nullable=False),
        Column("reference_share", Double),
        Column("current_share", Double),
        Column("psi_contribution", Double),
        ForeignKeyConstraint(
            ["run_seq", "column_position"],
            ["driftscope_columns.run_seq", "driftscope_columns.position"],
            ondelete="CASCADE",
        ),
    )
    performance = Table(
        "driftscope_performance",
        md,
        Column("run_seq", Integer, primary_key=True, autoincrement=False),
        Column("metric", String(64), primary_key=True),
        Column("current", Double),
        Column("estimated", Double),
        Column("baseline", Double),
        Column("relative_change", Double),
        Column("status", String(16), nullable=False),
        ForeignKeyConstraint(["run_seq"], ["driftscope_runs.seq"], ondelete="CASCADE"),
    )
    return {
        "version": version,
        "runs": runs,
        "columns": columns,
        "bins": bins,
        "performance": performance,
    }


def migrate_0_to_1(conn: Any) -> None:
    """Create the version-1 tables in an empty database."""
    from sqlalchemy import MetaData

    md = MetaData()
    tables_v1(md)
    md.create_all(conn)


Migration = Callable[[Any], None]

MIGRATIONS: list[Migration] = [migrate_0_to_1]
"""``MIGRATIONS[i]`` upgrades a store from schema version ``i`` to ``i + 1``, inside the
transaction that also records the new version."""

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this driftscope writes (tests may extend :data:`MIGRATIONS`; the store
reads :func:`target_version`)."""


def target_version() -> int:
    """The schema version a store is brought to: the number of migrations."""
    return len(MIGRATIONS)


_TABLES_LOCK = threading.Lock()
_TABLES: dict[str, Any] = {}


def tables() -> dict[str, Any]:
    """The runtime table objects (built once, lazily: no import-time work)."""
    with _TABLES_LOCK:
        if not _TABLES:
            from sqlalchemy import MetaData

            _TABLES.update(tables_v1(MetaData()))
        return _TABLES


def driftscope_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("driftscope")
    except Exception:  # pragma: no cover - not installed as a distribution
        return None


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sort_key(started_at: str) -> str:
    """A text key that sorts like time: ISO-8601 normalised to UTC with microseconds."""
    text = started_at.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


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


def run_row(result: RunResult, payload: str) -> dict[str, Any]:
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
    """Insert one column of a round and its bins."""
    from sqlalchemy import insert

    origin, column = item
    metrics = column.metrics
    conn.execute(
        insert(tables["columns"]).values(
            run_seq=seq,
            position=position,
            name=column.name,
            origin=origin,
            type=column.type,
            status=Severity(column.status).value,
            reason=column.reason,
            plot=column.plot,
            **{name: num(getattr(metrics, name, None)) for name in METRIC_FIELDS},
        )
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


def level_value(level: Severity | None) -> str | None:
    """The text of a level, None for None."""
    return None if level is None else Severity(level).value


MAX_LAST = 2**63 - 1
"""The largest ``last``: the largest LIMIT SQLite and PostgreSQL take (a signed 64-bit int)."""


def check_last(last: int) -> int:
    """``last`` when it is an int from 1 to :data:`MAX_LAST`, else a one-line ConfigError."""
    if isinstance(last, bool) or not isinstance(last, int) or not 1 <= last <= MAX_LAST:
        raise ConfigError(
            f"last must be a whole number of rounds from 1 to {MAX_LAST}, got {shown(last)}"
        )
    return last


def shown(value: Any, limit: int = 40) -> str:
    """``repr(value)`` cut at ``limit`` characters (ints too long to print included)."""
    try:
        text = repr(value)
    except ValueError:  # an int beyond Python's digit limit for str()
        return "a number too long to print"
    return text if len(text) <= limit else text[: limit - 1] + "…"
