"""Opening a history: the store writes only into what is its own, and readers create nothing.

PostgreSQL tests are marked ``postgres`` (see :mod:`tests.store.helpers`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from driftscope.cli import main
from driftscope.errors import HistoryError
from driftscope.store import HistoryForeignError, HistoryNotFoundError, HistoryStore, mask_url
from tests.store.helpers import DRIFTSCOPE_TABLES, conninfo, postgres_base_url, result_at


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
# SQLite: files that are not a history
# --------------------------------------------------------------------------------------


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


def test_tables_without_a_version_are_refused(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "h.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE driftscope_runs (x INTEGER)")
    with pytest.raises(HistoryError, match="no schema version"):
        HistoryStore(path)


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
# PostgreSQL: databases that are not a history
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
