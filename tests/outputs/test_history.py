"""History store: round-trips, normalised rows, transactions, concurrency, errors, migrations.

Every store test runs on SQLite and on PostgreSQL. The PostgreSQL server comes from
``DRIFTSCOPE_TEST_POSTGRES_URL`` (``eval "$(.ci/postgres.sh start)"``); without it those tests
are skipped, unless ``CI`` is set, where they fail so CI can never skip them silently.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from driftscope.errors import ConfigError, HistoryError
from driftscope.outputs import history_schema
from driftscope.outputs.history import (
    HistoryNotFoundError,
    HistorySchemaError,
    HistoryStore,
    RunNotFoundError,
    default_history_url,
    history_report,
    mask_url,
)
from driftscope.result import DatasetInfo, Metrics, RunResult, Severity
from tests.factories import make_feature, make_result

PG_ENV = "DRIFTSCOPE_TEST_POSTGRES_URL"
REPO = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------------------
# helpers and fixtures
# --------------------------------------------------------------------------------------


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
    url = os.environ.get(PG_ENV)
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(
            f"CI is set but {PG_ENV} is not: start a server with "
            f'`eval "$(.ci/postgres.sh start)"` before the tests'
        )
    pytest.skip(f"{PG_ENV} not set (eval \"$(.ci/postgres.sh start)\" to run these tests)")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = postgres_base_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conninfo = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(url: str) -> Iterator[HistoryStore]:
    s = HistoryStore(url)
    try:
        yield s
    finally:
        s.close()


def table_counts(store: HistoryStore) -> dict[str, int]:
    from sqlalchemy import func, select

    out = {}
    with store._engine.connect() as conn:  # test-only peek at the raw tables
        for key in ("runs", "columns", "bins", "performance"):
            table = history_schema.tables()[key]
            out[key] = conn.execute(select(func.count()).select_from(table)).scalar()
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------------------
# URLs
# --------------------------------------------------------------------------------------


def test_default_history_url_is_sqlite_next_to_the_assets() -> None:
    assert default_history_url("assets") == "sqlite:///assets/driftscope_history.db"
    assert default_history_url(Path("/srv/out")) == "sqlite:////srv/out/driftscope_history.db"


def test_plain_file_path_and_sqlite_url_reach_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with HistoryStore(path) as s:
        s.record(result_at(1))
    with HistoryStore(f"sqlite:///{path}") as s:
        assert [r.run_id for r in s.runs()] == ["run-001"]
    assert path.exists()


def test_mask_url_hides_passwords() -> None:
    assert mask_url("postgresql://bob:s3cret@db:5432/mon") == "postgresql://bob:***@db:5432/mon"
    assert mask_url("postgresql://bob:p@ss@db/mon") == "postgresql://bob:***@db/mon"
    assert mask_url("postgresql://bob@db/mon") == "postgresql://bob@db/mon"
    assert mask_url("/var/lib/history.db") == "/var/lib/history.db"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("", "empty"),
        ("mysql://bob:s3cret@db/mon", "unsupported database 'mysql'"),
        ("postgresql://bob:s3cret@[::1", "is not a database URL"),
        ("sqlite:////no/such/folder/h.db", "folder /no/such/folder does not exist"),
        ("/no/such/folder/h.db", "folder /no/such/folder does not exist"),
    ],
)
def test_bad_urls_are_one_line_history_errors(url: str, words: str) -> None:
    with pytest.raises(HistoryError) as info:
        HistoryStore(url)
    message = str(info.value)
    assert words in message
    assert "\n" not in message
    assert "s3cret" not in message


def test_unreachable_postgres_names_the_url_and_masks_the_password() -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(HistoryError) as info:
        HistoryStore(f"postgresql://bob:s3cret@127.0.0.1:{port}/mon")
    message = str(info.value)
    assert f"postgresql://bob:***@127.0.0.1:{port}/mon" in message
    assert "s3cret" not in message
    assert "\n" not in message
    assert "refused" in message.lower()


@pytest.mark.postgres
def test_wrong_postgres_password_is_a_clear_error() -> None:
    from sqlalchemy.engine import make_url

    base = make_url(postgres_base_url())
    wrong = base.set(password="wrong-password").render_as_string(hide_password=False)
    with pytest.raises(HistoryError, match="password") as info:
        HistoryStore(wrong)
    assert "wrong-password" not in str(info.value)


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are not the tables you are looking for\n" * 50)
    with pytest.raises(HistoryError, match="not a SQLite database"):
        HistoryStore(path)


def test_reader_does_not_create_a_missing_history(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with pytest.raises(HistoryNotFoundError, match="no history"):
        HistoryStore(path, create=False)
    assert not path.exists()


# --------------------------------------------------------------------------------------
# round-trips and queries (SQLite and PostgreSQL)
# --------------------------------------------------------------------------------------


def test_record_and_load_round_trip(store: HistoryStore) -> None:
    original = result_at(1, Severity.CRITICAL, window_start="2026-10-01", window_end="2026-10-07",
                         baseline="baseline-2026-01.json")  # fmt: skip
    store.record(original)
    loaded = store.load("run-001")
    assert loaded == original
    assert loaded.to_dict() == original.to_dict()
    [summary] = store.runs()
    assert summary.run_id == "run-001"
    assert summary.status is Severity.CRITICAL
    assert summary.window_start == "2026-10-01" and summary.window_end == "2026-10-07"
    assert summary.baseline == "baseline-2026-01.json"
    assert (summary.reference_rows, summary.current_rows) == (500, 400)
    assert summary.counts == {"NORMAL": 2, "WARNING": 0, "CRITICAL": 1}
    assert summary.features == 3
    assert summary.prediction_status is Severity.WARNING
    assert summary.performance_status is Severity.WARNING
    assert summary.recommendation == original.recommendation
    assert json.loads(json.dumps(summary.to_dict()))["status"] == "CRITICAL"


def test_runs_are_ordered_by_start_time_newest_last(store: HistoryStore) -> None:
    for i in (3, 1, 2):
        store.record(result_at(i))
    # a start time with an offset sorts by its UTC instant: 00:30+02:00 is 22:30 the day before
    store.record(result_at(9, started_at="2026-11-01T00:30:00+02:00"))
    assert [r.run_id for r in store.runs()] == ["run-009", "run-001", "run-002", "run-003"]
    assert [r.run_id for r in store.runs(last=2)] == ["run-002", "run-003"]
    assert store.run_ids(last=1) == ["run-003"]
    assert len(store) == 4
    latest = store.latest()
    assert latest is not None and latest.run.id == "run-003"


def test_empty_history(store: HistoryStore) -> None:
    assert store.runs() == []
    assert store.latest() is None
    assert store.feature_series("income") == []
    assert len(store) == 0


def test_load_unknown_run_is_a_clear_error(store: HistoryStore) -> None:
    with pytest.raises(RunNotFoundError, match="no round with run id 'nope'"):
        store.load("nope")


@pytest.mark.parametrize("last", [0, -1, 1.5, True])
def test_last_must_be_a_positive_int(store: HistoryStore, last: Any) -> None:
    with pytest.raises(ConfigError, match="last"):
        store.runs(last=last)


def test_normalised_rows_hold_every_metric_and_bin_share(store: HistoryStore) -> None:
    result = result_at(1, Severity.CRITICAL)
    store.record(result)
    counts = table_counts(store)
    columns = [*result.features, result.prediction]
    assert counts["runs"] == 1
    assert counts["columns"] == len(columns)
    assert counts["bins"] == sum(len(c.bins) for c in columns if c is not None)
    assert counts["performance"] == 2

    [point] = store.feature_series("income")
    income = result.feature("income")
    assert point.status is Severity.CRITICAL and point.type == "numerical"
    assert point.origin == "raw"
    for name in history_schema.METRIC_FIELDS:
        assert point.metrics[name] == pytest.approx(getattr(income.metrics, name))
    [bins] = store.bin_series("income")
    assert [b.label for b in bins.bins] == [b.label for b in income.bins]
    assert [b.reference_share for b in bins.bins] == pytest.approx(
        [b.reference_share for b in income.bins]
    )
    assert [b.current_share for b in bins.bins] == pytest.approx(
        [b.current_share for b in income.bins]
    )
    assert bins.bins[0].lower is None and bins.bins[-1].upper is None


def test_metric_columns_cover_every_metric_field() -> None:
    # a new Metrics field needs a column, hence a migration: this test says so
    assert set(history_schema.METRIC_FIELDS) == {f.name for f in dataclasses.fields(Metrics)}


def test_result_is_stored_as_plain_json_text(store: HistoryStore) -> None:
    from sqlalchemy import select

    store.record(result_at(1))
    runs = history_schema.tables()["runs"]
    with store._engine.connect() as conn:
        text = conn.execute(select(runs.c.result_json)).scalar_one()
    assert isinstance(text, str)
    assert json.loads(text)["run"]["id"] == "run-001"


def test_feature_series_over_rounds(store: HistoryStore) -> None:
    statuses = [Severity.NORMAL, Severity.WARNING, Severity.CRITICAL, Severity.WARNING]
    for i, status in enumerate(statuses):
        store.record(result_at(i, status))
    series = store.feature_series("income")
    assert [p.run_id for p in series] == ["run-000", "run-001", "run-002", "run-003"]
    assert [p.status for p in series] == statuses
    assert [p.psi for p in series] == pytest.approx([0.02, 0.151, 0.402, 0.153])
    assert [p.run_status for p in series] == statuses
    assert [p.run_id for p in store.feature_series("income", last=2)] == ["run-002", "run-003"]
    prediction = store.feature_series("prediction", origin="prediction")
    assert len(prediction) == 4 and prediction[0].origin == "prediction"
    many = store.series(["income", "age"], last=3)
    assert [(p.run_id, p.name) for p in many][:2] == [("run-001", "income"), ("run-001", "age")]
    assert len(many) == 6
    assert store.column_names() == ["age", "home", "income", "prediction"]
    assert store.column_names(origins=["prediction"]) == ["prediction"]
    perf = store.performance_series("roc_auc")
    assert [p.current for p in perf] == pytest.approx([0.78] * 4)
    assert perf[0].baseline == pytest.approx(0.83) and perf[0].status is Severity.WARNING


def test_a_feature_named_like_the_prediction_is_preferred(store: HistoryStore) -> None:
    features = [make_feature("prediction", Severity.CRITICAL, psi=0.5)]
    store.record(make_result(features, run_id="r1"))
    [feature] = store.feature_series("prediction")
    assert feature.origin == "raw" and feature.psi == pytest.approx(0.5)
    [pred] = store.feature_series("prediction", origin="prediction")
    assert pred.psi == pytest.approx(0.13)


def test_results_without_model_or_performance(store: HistoryStore) -> None:
    store.record(make_result(run_id="plain", with_model=False))
    [summary] = store.runs()
    assert summary.prediction_status is None and summary.performance_status is None
    assert store.performance_series() == []
    assert store.load("plain").prediction is None


# --------------------------------------------------------------------------------------
# transactions
# --------------------------------------------------------------------------------------


def test_recording_the_same_run_id_twice_keeps_the_first(store: HistoryStore) -> None:
    assert not store.contains("run-001")
    store.record(result_at(1, Severity.NORMAL))
    assert store.contains("run-001")
    counts = table_counts(store)
    store.record(result_at(1, Severity.CRITICAL))  # no-op, no error
    assert [r.status for r in store.runs()] == [Severity.NORMAL]
    assert table_counts(store) == counts


def test_a_failure_half_way_stores_nothing(
    store: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.record(result_at(1))
    before = table_counts(store)
    real = history_schema.write_column
    written: list[int] = []

    def failing(conn: Any, tables: Any, seq: int, position: int, item: Any) -> None:
        if len(written) == 2:  # two of four columns are in; the run row too
            raise RuntimeError("disk on fire")
        real(conn, tables, seq, position, item)
        written.append(position)

    monkeypatch.setattr(history_schema, "write_column", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        store.record(result_at(2))
    assert written == [0, 1]
    assert table_counts(store) == before
    assert [r.run_id for r in store.runs()] == ["run-001"]
    monkeypatch.setattr(history_schema, "write_column", real)
    store.record(result_at(2))  # nothing left locked or half-written
    assert [r.run_id for r in store.runs()] == ["run-001", "run-002"]


CRASHING_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from driftscope.outputs import history_schema
    from driftscope.outputs.history import HistoryStore
    from tests.factories import make_result

    real = history_schema.write_column
    def slow(conn, tables, seq, position, item):
        if position == 2:
            Path(sys.argv[2]).write_text("half")
            time.sleep(60)
        real(conn, tables, seq, position, item)
    history_schema.write_column = slow
    HistoryStore(sys.argv[1]).record(make_result(run_id="crashed"))
    """
)


def test_a_writer_killed_mid_round_leaves_no_partial_run(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    marker = tmp_path / "half"
    with HistoryStore(db) as s:
        s.record(result_at(1))
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WRITER, str(db), str(marker)], cwd=REPO
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert proc.poll() is None, "the writer ended before reaching the middle"
            assert time.monotonic() < deadline, "the writer never reached the middle"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    with HistoryStore(db, busy_timeout=5) as s:
        assert [r.run_id for r in s.runs()] == ["run-001"]
        assert table_counts(s)["columns"] == 4
        s.record(make_result(run_id="after-crash"))
        assert s.run_ids() == ["run-001", "after-crash"]


# --------------------------------------------------------------------------------------
# concurrency
# --------------------------------------------------------------------------------------


def _record_many(url: str, prefix: str, count: int, barrier: threading.Barrier,
                 errors: list[BaseException]) -> None:  # fmt: skip
    try:
        with HistoryStore(url) as s:
            barrier.wait(timeout=30)
            for i in range(count):
                s.record(make_result(run_id=f"{prefix}-{i}"))
    except BaseException as exc:  # pragma: no cover - reported by the test
        errors.append(exc)


def test_two_writers_at_once_both_land(url: str) -> None:
    HistoryStore(url).close()  # schema in place; the concurrent first open is tested below
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_record_many, args=(url, name, 15, barrier, errors))
        for name in ("a", "b")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with HistoryStore(url) as s:
        ids = s.run_ids()
        assert len(ids) == 30
        assert {i for i in ids if i.startswith("a-")} == {f"a-{i}" for i in range(15)}
        assert table_counts(s)["columns"] == 30 * 5


def test_two_writers_opening_an_empty_database_at_once(url: str) -> None:
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def open_and_record(name: str) -> None:
        try:
            barrier.wait(timeout=30)
            with HistoryStore(url) as s:
                s.record(make_result(run_id=name))
        except BaseException as exc:  # pragma: no cover - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=open_and_record, args=(n,)) for n in ("x", "y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    with HistoryStore(url) as s:
        assert sorted(s.run_ids()) == ["x", "y"]
        assert s.schema_version() == history_schema.SCHEMA_VERSION


def test_the_same_run_id_from_two_writers_lands_once(url: str) -> None:
    HistoryStore(url).close()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def write() -> None:
        with HistoryStore(url) as s:
            barrier.wait(timeout=30)
            try:
                s.record(make_result(run_id="same"))
                outcomes.append("ok")
            except HistoryError as exc:  # pragma: no cover - reported by the test
                outcomes.append(str(exc))

    threads = [threading.Thread(target=write) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes == ["ok", "ok"]  # idempotent: the second one is a no-op
    with HistoryStore(url) as s:
        assert s.run_ids() == ["same"]
        assert table_counts(s)["runs"] == 1


WRITER_PROCESS = textwrap.dedent(
    """
    import sys, time
    from driftscope.outputs.history import HistoryStore
    from tests.factories import make_result

    from pathlib import Path

    url, prefix, folder = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    with HistoryStore(url) as store:
        (folder / f"ready-{prefix}").touch()
        deadline = time.time() + 60
        while len(list(folder.glob("ready-*"))) < 2 and time.time() < deadline:
            time.sleep(0.01)  # start together
        for i in range(10):
            store.record(make_result(run_id=f"{prefix}-{i}"))
    """
)


def test_two_writer_processes_on_sqlite_both_land(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    HistoryStore(db).close()
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER_PROCESS, db, name, str(tmp_path)],
                         cwd=REPO, stderr=subprocess.PIPE, text=True)  # fmt: skip
        for name in ("p", "q")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with HistoryStore(db) as s:
        assert sorted(s.run_ids()) == sorted(f"{p}-{i}" for p in "pq" for i in range(10))


# --------------------------------------------------------------------------------------
# schema versions and migrations
# --------------------------------------------------------------------------------------


def _set_version(store: HistoryStore, version: int) -> None:
    from sqlalchemy import delete, insert

    table = history_schema.tables()["version"]
    with store._engine.begin() as conn:
        conn.execute(delete(table))
        conn.execute(insert(table).values(version=version, applied_at="2030-01-01T00:00:00Z"))


def test_a_store_from_a_newer_driftscope_is_refused(url: str) -> None:
    with HistoryStore(url) as s:
        s.record(result_at(1))
        _set_version(s, history_schema.SCHEMA_VERSION + 1)
    with pytest.raises(HistorySchemaError, match="newer driftscope") as info:
        HistoryStore(url)
    assert "\n" not in str(info.value)
    assert not info.value.older


def test_an_older_store_is_migrated_by_writers_and_refused_by_readers(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with HistoryStore(url) as s:
        s.record(result_at(1))
    applied: list[int] = []

    def migrate_1_to_2(conn: Any) -> None:
        from sqlalchemy import text

        conn.execute(text("ALTER TABLE driftscope_runs ADD COLUMN notes TEXT"))
        applied.append(2)

    monkeypatch.setattr(history_schema, "MIGRATIONS", [*history_schema.MIGRATIONS, migrate_1_to_2])
    with pytest.raises(HistorySchemaError, match="older driftscope") as info:
        HistoryStore(url, migrate=False)
    assert info.value.older and info.value.found == 1 and info.value.expected == 2
    with HistoryStore(url) as s:
        assert applied == [2]
        assert s.schema_version() == 2
        assert s.run_ids() == ["run-001"]  # data kept
        s.record(result_at(2))
    with HistoryStore(url, migrate=False) as s:  # now current: readers are fine
        assert len(s.runs()) == 2
    assert applied == [2]  # migrations run once


def test_a_failing_migration_leaves_the_old_version(url: str, monkeypatch: pytest.MonkeyPatch
                                                    ) -> None:  # fmt: skip
    with HistoryStore(url) as s:
        s.record(result_at(1))

    def broken(conn: Any) -> None:
        from sqlalchemy import text

        conn.execute(text("ALTER TABLE driftscope_runs ADD COLUMN half_done TEXT"))
        raise RuntimeError("migration bug")

    monkeypatch.setattr(history_schema, "MIGRATIONS", [*history_schema.MIGRATIONS, broken])
    with pytest.raises(RuntimeError, match="migration bug"):
        HistoryStore(url)
    monkeypatch.undo()
    with HistoryStore(url) as s:
        assert s.schema_version() == 1
        assert s.run_ids() == ["run-001"]


def test_tables_without_a_version_are_refused(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "h.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE driftscope_runs (x INTEGER)")
    with pytest.raises(HistoryError, match="no schema version"):
        HistoryStore(path)


# --------------------------------------------------------------------------------------
# `driftscope history`
# --------------------------------------------------------------------------------------


def test_history_report_formats(store: HistoryStore) -> None:
    for i, status in enumerate([Severity.NORMAL, Severity.CRITICAL, Severity.WARNING]):
        store.record(result_at(i, status))

    table = history_report(store)
    lines = table.splitlines()
    assert lines[0].split()[:2] == ["run", "started"]
    assert [line.split()[0] for line in lines[2:]] == ["run-000", "run-001", "run-002"]
    assert "CRITICAL" in lines[3]

    rounds = json.loads(history_report(store, fmt="json"))
    assert [r["run_id"] for r in rounds] == ["run-000", "run-001", "run-002"]
    assert [r["status"] for r in rounds] == ["NORMAL", "CRITICAL", "WARNING"]
    assert json.loads(history_report(store, last=1, fmt="json"))[0]["run_id"] == "run-002"

    csv_text = history_report(store, fmt="csv")
    header, *rows = csv_text.splitlines()
    assert header.startswith("run_id,started_at") and len(rows) == 3
    assert "count_critical" in header

    series = json.loads(history_report(store, feature="income", fmt="json"))
    assert [p["status"] for p in series] == ["NORMAL", "CRITICAL", "WARNING"]
    assert series[1]["psi"] == pytest.approx(0.401)
    assert {"run_id", "started_at", "psi", "ks_statistic", "status"} <= set(series[0])
    feature_table = history_report(store, feature="income", last=2)
    assert feature_table.splitlines()[0] == "income (raw, numerical)"
    assert len(feature_table.splitlines()) == 1 + 2 + 2  # title, header, rule, 2 rows
    feature_csv = history_report(store, feature="income", fmt="csv").splitlines()
    assert feature_csv[0].startswith("run_id,") and len(feature_csv) == 4


def test_history_report_errors_and_empty(store: HistoryStore) -> None:
    assert history_report(store).startswith("no rounds recorded")
    assert json.loads(history_report(store, fmt="json")) == []
    assert history_report(store, fmt="csv").startswith("run_id,")
    with pytest.raises(HistoryError, match="history is empty"):
        history_report(store, feature="income")
    store.record(result_at(1))
    with pytest.raises(HistoryError, match="known columns: age, home, income, prediction"):
        history_report(store, feature="incme")
    with pytest.raises(ConfigError, match="table, json or csv"):
        history_report(store, fmt="xml")
    with pytest.raises(ConfigError, match="last"):
        history_report(store, last=0)


def test_row_counts_are_plain_ints(store: HistoryStore) -> None:
    store.record(result_at(1, current=DatasetInfo(rows=12_345_678)))
    assert store.runs()[0].current_rows == 12_345_678
