"""Helpers shared by the history-store tests: realistic rounds, PostgreSQL URLs, raw peeks.

Every store test that can runs on SQLite and on PostgreSQL. The PostgreSQL server comes from
``DRIFTSCOPE_TEST_POSTGRES_URL`` (``eval "$(.ci/postgres.sh start)"``); without it those tests
are skipped, unless ``CI`` is set, where they fail so CI can never skip them silently.
"""

from __future__ import annotations

import dataclasses
import os
import socket
from pathlib import Path
from typing import Any

import pytest

from driftscope.result import RunResult, Severity
from driftscope.store import HistoryStore, schema
from tests.factories import make_feature, make_result

PG_ENV = "DRIFTSCOPE_TEST_POSTGRES_URL"
REPO = Path(__file__).resolve().parents[2]
DRIFTSCOPE_TABLES = {
    "driftscope_schema_version",
    "driftscope_runs",
    "driftscope_columns",
    "driftscope_bins",
    "driftscope_performance",
    "driftscope_profiles",
    "driftscope_column_metrics",
    "driftscope_row_sets",
    "driftscope_row_predictions",
}
"""Every table of the newest schema."""


def result_at(i: int, status: Severity = Severity.WARNING, **run_changes: Any) -> RunResult:
    """A realistic round number ``i``, started ``i`` hours after a fixed time."""
    psi = {Severity.NORMAL: 0.02, Severity.WARNING: 0.15, Severity.CRITICAL: 0.4}[status]
    features = [
        make_feature("income", status, psi=psi + i / 1000, shift=0.5),
        make_feature("age", Severity.NORMAL, psi=0.01 + i / 1000),
        make_feature("home", Severity.NORMAL, psi=0.02, type_="categorical"),
    ]
    result = make_result(
        features, run_id=f"run-{i:03d}", started_at=f"2026-11-{1 + i // 24:02d}T{i % 24:02d}:00:00Z"
    )
    if run_changes:
        result = dataclasses.replace(result, run=dataclasses.replace(result.run, **run_changes))
    return result


def postgres_base_url() -> str:
    """The test server's URL; skips the test without one (fails it when ``CI`` is set)."""
    url = os.environ.get(PG_ENV)
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(
            f"CI is set but {PG_ENV} is not: start a server with "
            f'`eval "$(.ci/postgres.sh start)"` before the tests'
        )
    pytest.skip(f"{PG_ENV} not set (eval \"$(.ci/postgres.sh start)\" to run these tests)")


def conninfo(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as psycopg takes it (password shown)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def table_counts(store: HistoryStore) -> dict[str, int]:
    """Rows per driftscope table (a test-only peek at the raw tables)."""
    from sqlalchemy import func, select

    out = {}
    with store._engine.connect() as conn:
        for key in ("runs", "columns", "bins", "performance", "profiles", "column_metrics"):
            table = schema.tables()[key]
            out[key] = conn.execute(select(func.count()).select_from(table)).scalar()
    return out


def free_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
