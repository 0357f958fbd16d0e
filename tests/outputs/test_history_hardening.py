"""History hardening: the store writes only into what is its own, `driftscope history` cannot
drive the terminal, out-of-range ``--last`` is a usage error, recording is idempotent.

PostgreSQL tests use ``DRIFTSCOPE_TEST_POSTGRES_URL`` like ``test_history.py`` (skipped
without it, failing when ``CI`` is set) and are marked ``postgres``.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from driftscope.cli import main
from driftscope.errors import ConfigError, HistoryError
from driftscope.outputs.history import (
    HistoryForeignError,
    HistoryNotFoundError,
    HistoryStore,
    history_report,
    mask_url,
)
from driftscope.outputs.history_schema import MAX_LAST
from driftscope.outputs.text import json_safe, printable
from driftscope.result import Severity
from tests.factories import make_feature, make_result
from tests.outputs.test_history import postgres_base_url, result_at, table_counts

# raw characters that must never reach the terminal
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                    "\u2066-\u2069]")  # fmt: skip
HOSTILE = "evil\x1b]0;pwned\x07\x1b[2J\u202eman\x08\x9b31m\u2066x\u2069"
DRIFTSCOPE_TABLES = {
    "driftscope_schema_version",
    "driftscope_runs",
    "driftscope_columns",
    "driftscope_bins",
    "driftscope_performance",
}


# --------------------------------------------------------------------------------------
# helpers and fixtures
# --------------------------------------------------------------------------------------


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def side_files(path: Path) -> list[str]:
    """Files SQLite could leave next to ``path``."""
    return sorted(
        p.name for p in path.parent.iterdir() if p.name.startswith(path.name) and p != path
    )


def foreign_sqlite(path: Path, *, wal: bool = False) -> Path:
    """An application's SQLite file: three tables, a view, some rows; closed cleanly."""
    conn = sqlite3.connect(path)
    try:
        if wal:
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER)")
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("CREATE VIEW big AS SELECT * FROM invoices WHERE total > 100")
        conn.executemany("INSERT INTO customers (name) VALUES (?)", [("ann",), ("bob",)])
        conn.commit()
    finally:
        conn.close()
    assert side_files(path) == []
    return path


def sqlite_names(path: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def conninfo(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def pg_schema() -> Iterator[tuple[str, str]]:
    """(URL whose search_path is a fresh schema, schema name); the schema is dropped after."""
    import psycopg

    base = postgres_base_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(conninfo(base), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}", schema
    finally:
        with psycopg.connect(conninfo(base), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def pg_fresh_database() -> Iterator[str]:
    """The URL of a database just made with CREATE DATABASE (like ``createdb``), dropped
    after; a fresh schema of the test database when the test user may not create one."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = postgres_base_url()
    name = f"ds_fresh_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(conninfo(base), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.errors.InsufficientPrivilege:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(conninfo(base), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        sep = "&" if "?" in base else "?"
        try:
            yield f"{base}{sep}options=-csearch_path%3D{schema}"
        finally:
            with psycopg.connect(conninfo(base), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        return
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo(base), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    return str(request.getfixturevalue("pg_schema")[0])


@pytest.fixture
def store(url: str) -> Iterator[HistoryStore]:
    s = HistoryStore(url)
    try:
        yield s
    finally:
        s.close()


def open_with_deadline(target: str | Path, seconds: float = 20, **kwargs: Any) -> BaseException:
    """Open a store in a thread (a FIFO would block SQLite forever) and return what it
    raised; fail when it did not raise or did not finish."""
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            HistoryStore(target, **kwargs).close()
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"opening {target} did not finish within {seconds} s"
    [raised] = outcome
    assert raised is not None, f"{target} was accepted as a history"
    return raised


# --------------------------------------------------------------------------------------
# 1. writes into what is not ours: SQLite
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("wal", [False, True], ids=["rollback-journal", "wal"])
def test_a_foreign_sqlite_file_is_refused_and_left_unchanged(tmp_path: Path, wal: bool) -> None:
    path = foreign_sqlite(tmp_path / "app.db", wal=wal)
    before = digest(path)
    for target in (path, f"sqlite:///{path}"):
        with pytest.raises(HistoryForeignError) as info:
            HistoryStore(target)
        message = str(info.value)
        assert "\n" not in message
        assert mask_url(str(target)) in message
        assert "holds 4 tables that are not driftscope's (big, customers, invoices, orders)" in (
            message
        )
        assert "pass --history-init to add driftscope's tables to it, or choose another " \
               "--history" in message  # fmt: skip
        assert info.value.tables == ("big", "customers", "invoices", "orders")
        assert isinstance(info.value, HistoryError)
        assert digest(path) == before
        assert side_files(path) == []  # no -journal, -wal or -shm


def test_a_reader_refuses_a_foreign_sqlite_file_without_touching_it(tmp_path: Path) -> None:
    path = foreign_sqlite(tmp_path / "app.db")
    before = digest(path)
    with pytest.raises(HistoryForeignError) as info:
        HistoryStore(path, create=False, migrate=False)
    message = str(info.value)
    assert message.startswith(f"no driftscope history at {path}: the database holds 4 tables")
    assert "\n" not in message
    assert digest(path) == before and side_files(path) == []


def test_driftscope_history_on_a_foreign_file_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = foreign_sqlite(tmp_path / "app.db")
    before = digest(path)
    assert main(["history", "--history", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not driftscope's" in err
    assert digest(path) == before and side_files(path) == []


def test_init_adopts_a_foreign_sqlite_file_and_keeps_its_tables(tmp_path: Path) -> None:
    path = foreign_sqlite(tmp_path / "app.db")
    with HistoryStore(path, init=True) as s:
        s.record(result_at(1))
    assert sqlite_names(path) >= {"customers", "orders", "invoices"} | DRIFTSCOPE_TABLES
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT name FROM customers ORDER BY id").fetchall() == [
            ("ann",),
            ("bob",),
        ]
    finally:
        conn.close()
    with HistoryStore(path) as s:  # now it holds driftscope's schema: no init needed
        assert s.run_ids() == ["run-001"]
    with HistoryStore(path, create=False, migrate=False) as s:
        assert s.run_ids() == ["run-001"]


def test_an_empty_sqlite_file_is_initialised_without_init(tmp_path: Path) -> None:
    path = tmp_path / "touched.db"
    path.touch()
    with pytest.raises(HistoryNotFoundError, match="no driftscope tables"):
        HistoryStore(path, create=False)  # a reader writes nothing, not even the WAL switch
    assert path.stat().st_size == 0 and side_files(path) == []
    with HistoryStore(path) as s:
        s.record(result_at(1))
        assert s.run_ids() == ["run-001"]


def test_a_missing_sqlite_file_is_still_created(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with HistoryStore(path) as s:
        s.record(result_at(1))
    assert DRIFTSCOPE_TABLES <= sqlite_names(path)


def test_a_file_that_is_not_sqlite_is_refused_and_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are not the tables you are looking for\n" * 50)
    before = digest(path)
    for init in (False, True):
        with pytest.raises(HistoryForeignError, match="not a SQLite database"):
            HistoryStore(path, init=init)
    assert digest(path) == before and side_files(path) == []


def test_dev_null_is_refused_and_no_journal_appears(
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not Path("/dev/null").is_char_device():  # pragma: no cover - not a Unix system
        pytest.skip("no /dev/null character device")
    side = [Path(f"/dev/null{suffix}") for suffix in ("-journal", "-wal", "-shm")]

    def state(p: Path) -> tuple[int, int] | None:  # a leftover of an older driftscope may be
        try:  # there already: it must not change then
            info = p.stat()
        except FileNotFoundError:
            return None
        return info.st_mtime_ns, info.st_size

    existed = {p: state(p) for p in side}
    try:
        for kwargs in ({}, {"create": False}, {"init": True}):
            raised = open_with_deadline("/dev/null", **kwargs)
            assert isinstance(raised, HistoryForeignError), raised
            assert str(raised) == (
                "cannot use /dev/null as the history: it is a character device, not a "
                "regular file; choose a file path (or a database URL) for --history"
            )
        assert main(["history", "--history", "/dev/null"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "not a regular file" in err
        for p in side:
            assert state(p) == existed[p], f"{p} was created or written"
    finally:  # a failing driftscope must not leave its journal in /dev either
        for p in side:
            if existed[p] is None:
                with contextlib.suppress(OSError):
                    p.unlink()


@pytest.mark.parametrize("kind", ["fifo", "folder", "symlink-to-dev-null"])
def test_special_files_are_refused(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "special.db"
    if kind == "fifo":
        if not hasattr(os, "mkfifo"):  # pragma: no cover - not a Unix system
            pytest.skip("no FIFOs here")
        os.mkfifo(path)
        words = "a FIFO (named pipe)"
    elif kind == "folder":
        path.mkdir()
        words = "a folder"
    else:
        path.symlink_to("/dev/null")
        words = "a character device"
    for kwargs in ({}, {"create": False}, {"init": True}):
        raised = open_with_deadline(path, **kwargs)
        assert isinstance(raised, HistoryForeignError), raised
        assert f"it is {words}, not a regular file" in str(raised)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["special.db"]


# --------------------------------------------------------------------------------------
# 1. writes into what is not ours: PostgreSQL
# --------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_an_empty_postgres_database_is_initialised(pg_fresh_database: str) -> None:
    with pytest.raises(HistoryNotFoundError):
        HistoryStore(pg_fresh_database, create=False)
    with HistoryStore(pg_fresh_database) as s:  # no init needed: the database is empty
        s.record(result_at(1))
        assert s.run_ids() == ["run-001"]
    with HistoryStore(pg_fresh_database, create=False, migrate=False) as s:
        assert s.run_ids() == ["run-001"]


@pytest.mark.postgres
def test_a_foreign_postgres_database_is_refused_until_init(pg_schema: tuple[str, str]) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    url, schema = pg_schema
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute(f'CREATE TABLE "{schema}".accounts (id int primary key, owner text)')
        conn.execute(f"INSERT INTO \"{schema}\".accounts VALUES (1, 'ann')")

    def tables() -> set[str]:
        with psycopg.connect(conninfo(url), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            ).fetchall()
        return {r[0] for r in rows}

    for kwargs in ({}, {"create": False}, {"create": False, "init": True}):
        with pytest.raises(HistoryForeignError) as info:
            HistoryStore(url, **kwargs)
        message = str(info.value)
        assert "\n" not in message
        assert "1 table that is not driftscope's (accounts)" in message
        assert mask_url(url) in message
        password = make_url(url).password
        assert not password or str(password) not in message
        assert tables() == {"accounts"}  # nothing written
    with HistoryStore(url, init=True) as s:
        s.record(result_at(1))
    assert tables() == {"accounts"} | DRIFTSCOPE_TABLES
    with HistoryStore(url) as s:
        assert s.run_ids() == ["run-001"]
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        assert conn.execute(f'SELECT owner FROM "{schema}".accounts').fetchall() == [("ann",)]


# --------------------------------------------------------------------------------------
# 1. contains() and idempotent record()
# --------------------------------------------------------------------------------------


def test_contains_and_idempotent_record(store: HistoryStore, url: str) -> None:
    assert store.contains("run-001") is False
    store.record(result_at(1, Severity.NORMAL))
    assert store.contains("run-001") is True
    assert store.contains("run-00") is False and store.contains("RUN-001") is False
    counts = table_counts(store)
    store.record(result_at(1, Severity.CRITICAL))
    assert table_counts(store) == counts
    with HistoryStore(url) as again:  # a restarted writer re-recording after a crash
        assert again.contains("run-001")
        again.record(result_at(1))
        again.record(result_at(2))
        assert again.run_ids() == ["run-001", "run-002"]
        assert again.runs()[0].status is Severity.NORMAL  # the first one is kept


# --------------------------------------------------------------------------------------
# 2. terminal escapes in `driftscope history`
# --------------------------------------------------------------------------------------


def hostile_round(store: HistoryStore, long: bool = False) -> str:
    """Record a round whose column name, run id and reasons carry terminal controls."""
    import dataclasses

    name = HOSTILE + ("n" * 500 if long else "")
    feature = dataclasses.replace(
        make_feature(name, Severity.CRITICAL, psi=0.4, shift=1.0),
        reason="PSI high\x1b[8m hidden" + ("r" * 1000 if long else ""),
    )
    result = make_result([feature, make_feature("age")], run_id="r\x1b[31m\u202e1")
    result = dataclasses.replace(
        result, recommendation="look\x1b]52;c;Y2F0IC9ldGMvcGFzc3dk\x07 here"
    )
    store.record(result)
    return name


def test_control_characters_are_visible_in_table_and_csv(store: HistoryStore) -> None:
    name = hostile_round(store)
    outputs = {
        "runs table": history_report(store),
        "runs csv": history_report(store, fmt="csv"),
        "feature table": history_report(store, feature=name),
        "feature csv": history_report(store, feature=name, fmt="csv"),
    }
    for label, text in outputs.items():
        assert not UNSAFE.search(text), (label, text)
        assert "\\x1b" in text, label
        assert "\\u202e" in text, label
    assert "r\\x1b[31m\\u202e1" in outputs["runs table"]
    assert "look\\x1b]52;c;Y2F0IC9ldGMvcGFzc3dk\\x07 here" in outputs["runs table"]
    feature_table = outputs["feature table"]
    assert feature_table.splitlines()[0].startswith(
        "evil\\x1b]0;pwned\\x07\\x1b[2J\\u202eman\\x08\\x9b31m\\u2066x\\u2069 (raw, numerical)"
    )
    assert "PSI high\\x1b[8m hidden" in feature_table  # the point's reason is shown
    rows = list(csv.DictReader(io.StringIO(outputs["feature csv"])))
    assert rows[0]["name"] == printable(name, None)
    assert rows[0]["reason"] == "PSI high\\x1b[8m hidden"


def test_json_output_keeps_the_data_and_escapes_the_controls(store: HistoryStore) -> None:
    name = hostile_round(store)
    for text in (history_report(store, fmt="json"),
                 history_report(store, feature=name, fmt="json")):  # fmt: skip
        assert not UNSAFE.search(text)
        assert "\\u001b" in text and "\\u202e" in text
    [point] = json.loads(history_report(store, feature=name, fmt="json"))
    assert point["name"] == name  # the same data, only written safely
    assert point["run_id"] == "r\x1b[31m\u202e1"
    [run] = json.loads(history_report(store, fmt="json"))
    assert run["recommendation"].startswith("look\x1b]52")
    store.record(make_result([make_feature("ünïcødé 年齢")], run_id="u-1"))
    assert '"ünïcødé 年齢"' in history_report(store, feature="ünïcødé 年齢", fmt="json")


def test_long_values_are_cut_in_the_table_only(store: HistoryStore) -> None:
    name = hostile_round(store, long=True)
    table = history_report(store, feature=name)
    title, header, rule, row = table.splitlines()
    assert title.startswith("evil\\x1b") and len(title.split(" (raw")[0]) == 200
    assert title.split(" (raw")[0].endswith("…")
    reason = row.split("  ")[-1]
    assert reason.startswith("PSI high\\x1b[8m hidden") and reason.endswith("…")
    assert len(reason) == 200
    assert len(row) < 400
    rows = list(csv.DictReader(io.StringIO(history_report(store, feature=name, fmt="csv"))))
    assert rows[0]["reason"].endswith("r" * 1000)  # CSV is for programs: not cut
    assert len(rows[0]["name"]) > 500


def test_printable() -> None:
    assert printable("plain ünïcødé 年齢") == "plain ünïcødé 年齢"
    assert printable("a\x1bb\x07c\x08d\x7fe\x9bf") == "a\\x1bb\\x07c\\x08d\\x7fe\\x9bf"
    assert printable("a\tb\nc\rd") == "a\\tb\\nc\\rd"
    assert printable("\u202aa\u202eb\u2066c\u2069d\u200f") == (
        "\\u202aa\\u202eb\\u2066c\\u2069d\\u200f"
    )
    assert printable("x" * 200) == "x" * 200
    assert printable("x" * 201) == "x" * 199 + "…"
    assert printable("x" * 5000, None) == "x" * 5000
    assert printable("abcdef", limit=4) == "abc…"
    assert printable("ab\x1bcdef", limit=5) == "ab…"  # an escape is not cut in two
    assert printable("\ud800") == "\\ud800"  # a lone surrogate could not even be printed
    with pytest.raises(ValueError):
        printable("x", limit=0)


def test_json_safe_is_valid_json() -> None:
    data = {"k\u202e": ["\x1b", "\x85", "\u2028", "\ud800", "é\t\n"]}
    text = json_safe(json.dumps(data, indent=2, ensure_ascii=False))
    assert json.loads(text) == data
    assert not UNSAFE.search(text)
    assert "é" in text


# --------------------------------------------------------------------------------------
# 3. --last out of range; --feature shows reasons
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("last", ["100000000000000000000", str(MAX_LAST + 1), "0", "-3"])
def test_out_of_range_last_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], last: str
) -> None:
    path = tmp_path / "h.db"
    with HistoryStore(path) as s:
        s.record(result_at(1))
    for extra in ([], ["--feature", "income"], ["--format", "json"]):
        code = main(["history", "--history", str(path), "--last", last, *extra])
        captured = capsys.readouterr()
        assert code == 2, captured.err
        assert captured.out == ""
        assert captured.err.count("\n") == 1 and "--last" in captured.err
        assert "internal error" not in captured.err


def test_the_largest_last_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "h.db"
    with HistoryStore(path) as s:
        s.record(result_at(1))
    assert main(["history", "--history", str(path), "--last", str(MAX_LAST)]) == 0
    assert "run-001" in capsys.readouterr().out


def test_out_of_range_last_is_a_config_error_in_the_api(store: HistoryStore) -> None:
    store.record(result_at(1))
    for call in (
        lambda: store.runs(last=10**20),
        lambda: store.series(last=MAX_LAST + 1),
        lambda: store.performance_series(last=MAX_LAST + 1),
        lambda: history_report(store, last=10**20),
    ):
        with pytest.raises(ConfigError, match="from 1 to 9223372036854775807"):
            call()
    assert len(store.runs(last=MAX_LAST)) == 1


def test_feature_table_shows_each_points_reason(store: HistoryStore) -> None:
    for i in range(2):
        store.record(result_at(i))
    header, _, *rows = history_report(store, feature="income").splitlines()[1:]
    assert header.split()[-1] == "reason"
    assert [row.split("  ")[-1] for row in rows] == ["PSI 0.150", "PSI 0.151"]
