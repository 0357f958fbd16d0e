"""The history's tables and the migrations that build them, version by version.

Tables (all prefixed ``driftscope_`` so they can live in a shared database)::

    driftscope_schema_version  version, applied_at, driftscope_version
    driftscope_runs            seq (pk), run_id (unique), started_at, sort_key, window_start,
                               window_end, baseline, row counts, status, reason,
                               recommendation, counts per level, model, result_json, ...
    driftscope_columns         (run_seq, position) pk; name, origin, type, status, reason,
                               plot, one column per metric field of version 1
                               (:data:`METRIC_FIELDS`)
    driftscope_bins            (run_seq, column_position, position) pk; label, kind, bounds,
                               counts, shares, psi_contribution
    driftscope_performance     (run_seq, metric) pk; current, estimated, baseline,
                               relative_change, status
    driftscope_profiles        (run_seq, position) pk; name, type, missing, non_missing,
      (since version 2)        beyond_float, binning_kind, moments, data_json (bin edges or
                               values, bin counts, categories, percentiles, distinct, whole)
    driftscope_column_metrics  (run_seq, column_position, field) pk; value: every other
      (since version 3)        metric field of a column (a metric registered after version 1
                               needs no migration: its fields are rows here)
    driftscope_row_sets        run_seq pk; id column, row count, the context late labels
      (since version 4)        need to recompute performance as the round did (JSON)
    driftscope_row_predictions (run_seq, position) pk; row_id, proba, predicted, label,
      (since version 4)        labelled_at: per-row ids of rounds run with ``id_column``

The schema changes only through :data:`MIGRATIONS`: entry *i* upgrades a store from version
*i* to *i + 1*, inside the transaction that records the new version, so a store is always at
one version, never between two. A migration declares the tables as they were plus what it
adds (each version's additions have their own declaring function below, never edited once
released); it must not use :func:`tables`, which follows the newest layout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = [
    "FEATURE_ORIGINS",
    "METRIC_FIELDS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Migration",
    "tables",
    "target_version",
]

METRIC_FIELDS: tuple[str, ...] = (  # frozen: the wide columns of version 1
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
"""The metric columns of ``driftscope_columns``: the fields the built-in metrics reported when
the store was designed (version 1), kept as columns for SQL readers of the store. Every other
field a registered metric reports is a row of ``driftscope_column_metrics`` (version 3), so a
new metric needs no migration. Never edited: a released table does not change."""

FEATURE_ORIGINS = ("raw", "engineered")
"""The origins of a round's input features (the other columns are the model's outputs and
the target)."""


def tables_v1(md: Any) -> dict[str, Any]:
    """Declare the version-1 tables on the MetaData ``md`` (what migration 0 → 1 creates)."""
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


def tables_added_in_v2(md: Any) -> dict[str, Any]:
    """Declare the table version 2 adds on ``md``, which must hold the version-1 tables.

    ``driftscope_profiles`` keeps one row per profiled column of a round. The numbers a
    query may want over rounds (counts, moments) are columns; the rest (bin edges or values,
    bin counts, category counts, percentiles, distinct count, whole numbers only) is one JSON
    text, since a profile is read back whole and a column may have thousands of categories.
    ``moment_mean`` and ``moment_m2`` are NULL where they were NaN (SQLite cannot hold NaN);
    ``moment_min`` and ``moment_max`` are NULL when the column had no finite value.
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

    profiles = Table(
        "driftscope_profiles",
        md,
        Column("run_seq", Integer, primary_key=True, autoincrement=False),
        Column("position", Integer, primary_key=True, autoincrement=False),
        Column("name", Text, nullable=False),
        Column("type", String(20), nullable=False),
        Column("missing", BigInteger, nullable=False),
        Column("non_missing", BigInteger, nullable=False),
        Column("beyond_float", BigInteger, nullable=False),
        Column("binning_kind", String(20)),
        Column("moment_count", BigInteger),
        Column("moment_mean", Double),
        Column("moment_m2", Double),
        Column("moment_min", Double),
        Column("moment_max", Double),
        Column("data_json", Text, nullable=False),
        ForeignKeyConstraint(["run_seq"], ["driftscope_runs.seq"], ondelete="CASCADE"),
        Index("ix_driftscope_profiles_name", "name", "run_seq"),
    )
    return {"profiles": profiles}


def tables_added_in_v3(md: Any) -> dict[str, Any]:
    """Declare the table version 3 adds on ``md``, which must hold the version-1 tables.

    ``driftscope_column_metrics`` is the long form of a column's metrics: one row per metric
    field that has no column in ``driftscope_columns`` (a field of a metric registered after
    version 1), so a new metric is stored without a migration. ``value`` is NULL where the
    field was null (the metric did not apply, or was not finite); a round recorded before a
    metric existed has no row for it.
    """
    from sqlalchemy import Column, Double, ForeignKeyConstraint, Integer, String, Table

    column_metrics = Table(
        "driftscope_column_metrics",
        md,
        Column("run_seq", Integer, primary_key=True, autoincrement=False),
        Column("column_position", Integer, primary_key=True, autoincrement=False),
        Column("field", String(64), primary_key=True),
        Column("value", Double),
        ForeignKeyConstraint(
            ["run_seq", "column_position"],
            ["driftscope_columns.run_seq", "driftscope_columns.position"],
            ondelete="CASCADE",
        ),
    )
    return {"column_metrics": column_metrics}


def tables_added_in_v4(md: Any) -> dict[str, Any]:
    """Declare the tables version 4 adds on ``md``, which must hold the version-1 tables.

    A round run with ``id_column`` keeps its rows' ids (late labels are joined on them):
    ``driftscope_row_sets`` holds one row per such round (the id column, how many rows, and as
    JSON text what recomputing its performance needs: the positive class, the label mapping,
    the baseline and the thresholds the round used); ``driftscope_row_predictions`` one row
    per current row with an id: the id as text, the probability of the positive class and
    the predicted class (NULL where the round had none), and the label in the model's coding
    (NULL until known) with when it was attached (NULL when it came with the round).
    """
    from sqlalchemy import (
        Column,
        Double,
        ForeignKeyConstraint,
        Index,
        Integer,
        String,
        Table,
        Text,
    )

    row_sets = Table(
        "driftscope_row_sets",
        md,
        Column("run_seq", Integer, primary_key=True, autoincrement=False),
        Column("id_column", Text, nullable=False),
        Column("rows", Integer, nullable=False),
        Column("context_json", Text, nullable=False),
        ForeignKeyConstraint(["run_seq"], ["driftscope_runs.seq"], ondelete="CASCADE"),
    )
    row_predictions = Table(
        "driftscope_row_predictions",
        md,
        Column("run_seq", Integer, primary_key=True, autoincrement=False),
        Column("position", Integer, primary_key=True, autoincrement=False),
        Column("row_id", Text, nullable=False),
        Column("proba", Double),
        Column("predicted", Text),
        Column("label", Text),
        Column("labelled_at", String(40)),
        ForeignKeyConstraint(["run_seq"], ["driftscope_row_sets.run_seq"], ondelete="CASCADE"),
        Index("ix_driftscope_row_predictions_id", "row_id", "run_seq"),
    )
    return {"row_sets": row_sets, "row_predictions": row_predictions}


def migrate_0_to_1(conn: Any) -> None:
    """Create the version-1 tables in a database that has none of driftscope's."""
    from sqlalchemy import MetaData

    md = MetaData()
    tables_v1(md)
    md.create_all(conn)


def migrate_1_to_2(conn: Any) -> None:
    """Add ``driftscope_profiles``; the rounds already stored keep having no profiles."""
    from sqlalchemy import MetaData

    md = MetaData()
    tables_v1(md)  # what the new table's foreign key points at, as it is at version 1
    tables_added_in_v2(md)["profiles"].create(conn)


def migrate_2_to_3(conn: Any) -> None:
    """Add ``driftscope_column_metrics``; the rounds already stored have every field they
    reported in ``driftscope_columns`` and keep no rows there."""
    from sqlalchemy import MetaData

    md = MetaData()
    tables_v1(md)  # what the new table's foreign key points at, as it is at version 1
    tables_added_in_v3(md)["column_metrics"].create(conn)


def migrate_3_to_4(conn: Any) -> None:
    """Add ``driftscope_row_sets`` and ``driftscope_row_predictions``; the rounds already
    stored kept no per-row ids and get none (late labels cannot reach them)."""
    from sqlalchemy import MetaData

    md = MetaData()
    tables_v1(md)  # what the new tables' foreign keys point at, as it is at version 1
    added = tables_added_in_v4(md)
    added["row_sets"].create(conn)
    added["row_predictions"].create(conn)


Migration = Callable[[Any], None]

MIGRATIONS: list[Migration] = [migrate_0_to_1, migrate_1_to_2, migrate_2_to_3, migrate_3_to_4]
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
    """The table objects of the newest layout, keyed by short name (``"runs"``,
    ``"profiles"``, ...); built on first use, so importing the store does no work."""
    with _TABLES_LOCK:
        if not _TABLES:
            from sqlalchemy import MetaData

            md = MetaData()
            _TABLES.update(tables_v1(md))
            _TABLES.update(tables_added_in_v2(md))
            _TABLES.update(tables_added_in_v3(md))
            _TABLES.update(tables_added_in_v4(md))
        return _TABLES
