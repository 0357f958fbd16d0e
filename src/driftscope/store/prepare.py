"""Opening a history: look before writing anything, then bring the schema to this version.

The store writes only into what is its own. A SQLite path that does not exist is created; one
that is not a regular file (``/dev/null``, a FIFO, a folder) or not a SQLite database is
refused. A database without driftscope's schema is used only when it is empty (no tables or
views at all: a fresh ``createdb``, a 0-byte file); one that holds other tables is refused
with a :class:`HistoryForeignError` unless the writer was given ``init`` (``--history-init``).
These checks run before the first write: a refused SQLite file is left byte for byte as it
was, with no journal or WAL file next to it.

A store written by an older driftscope is migrated by writers (every pending migration in one
transaction; PostgreSQL writers serialise on an advisory lock) and refused by readers, which
must not change it; a store written by a newer driftscope is refused by both.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from driftscope.errors import HistoryError
from driftscope.outputs.text import printable
from driftscope.store import schema
from driftscope.store.engine import Database
from driftscope.store.errors import (
    HistoryForeignError,
    HistoryNotFoundError,
    HistorySchemaError,
    one_line,
)
from driftscope.store.rows import driftscope_version, utc_now

__all__ = ["check_location", "prepare"]

_PG_LOCK_KEY = 0x64726966  # "drif": advisory lock id for schema changes
_OURS = ("driftscope_runs", "driftscope_columns")  # a driftscope store has these, and a version


def sqlite_path(db: Database) -> Path | None:
    """The SQLite file of a history, None for PostgreSQL, memory and ``file:`` URIs."""
    if db.backend != "sqlite":
        return None
    database = db.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _file_kind(mode: int) -> str:
    """What a file that is not a regular file is, for messages."""
    for test, kind in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "a special file"


def _not_a_file(shown: str, mode: int) -> HistoryForeignError:
    return HistoryForeignError(
        f"cannot use {shown} as the history: it is {_file_kind(mode)}, not a regular file; "
        "choose a file path (or a database URL) for --history"
    )


def check_location(url: Any, shown: str, *, create: bool) -> None:
    """Before any engine exists: a SQLite history must be a regular file, or be missing
    when ``create`` allows making it."""
    if url.get_backend_name() != "sqlite":
        return
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        mode = Path(database).stat().st_mode  # follows symlinks: the file SQLite would open
    except FileNotFoundError:
        if not create:
            raise HistoryNotFoundError(
                f"no history at {shown} yet: the file does not exist "
                "(a round run with history recording creates it)"
            ) from None
        return
    except OSError as exc:
        raise HistoryError(f"cannot open the history at {shown}: {one_line(exc)}") from None
    if not stat.S_ISREG(mode):
        raise _not_a_file(shown, mode)


def sqlite_names(db: Database, timeout: float) -> list[str] | None:
    """The tables and views in the SQLite file, read without writing anything.

    None when the file does not exist (yet). A 0-byte file is an empty database. The file is
    opened read-only; a WAL-mode file that no connection has open (no ``-wal`` file) is opened
    as immutable, so that reading it leaves no ``-wal`` and ``-shm`` files next to a database
    that may not be ours.
    """
    import sqlite3
    from urllib.parse import quote

    path = sqlite_path(db)
    if path is None:
        return None
    try:  # non-blocking: a FIFO put in place since the first look must not hang the open
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    with open(fd, "rb", closefd=True) as fh:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _not_a_file(db.shown, mode)
        header = fh.read(100)
    if not header:
        return []
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        raise HistoryForeignError(
            f"cannot use {db.shown} as the history: the file is not a SQLite database; "
            "choose another --history"
        )
    wal = header[18] == 2 and header[19] == 2
    idle = not Path(f"{path}-wal").exists()
    uri = f"file:{quote(os.path.abspath(path))}?{'immutable=1' if wal and idle else 'mode=ro'}"
    conn = sqlite3.connect(uri, uri=True, timeout=timeout)
    try:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        ).fetchall()
    finally:
        conn.close()
    return [str(name) for (name,) in rows]


def _names(conn: Any) -> list[str]:
    """The tables and views in the database (for PostgreSQL: in the default schema, where
    driftscope creates its tables)."""
    from sqlalchemy import inspect

    inspector = inspect(conn)
    names = [*inspector.get_table_names(), *inspector.get_view_names()]
    with contextlib.suppress(NotImplementedError):
        names += inspector.get_materialized_view_names()
    return names


def _damaged(shown: str) -> HistoryError:
    return HistoryError(
        f"the history at {shown} has driftscope tables but no schema version; it is damaged "
        "or was written by an unknown tool: point --history elsewhere"
    )


def _missing(shown: str) -> HistoryNotFoundError:
    return HistoryNotFoundError(
        f"no history at {shown} yet: the database has no driftscope tables "
        "(a round run with history recording creates them)"
    )


def check_unversioned(shown: str, names: Sequence[str], *, create: bool, init: bool) -> None:
    """For a database without driftscope's version table, holding the tables and views
    ``names``: return when driftscope may create its tables there, else raise."""
    if any(n in _OURS for n in names):
        raise _damaged(shown)
    foreign = sorted(n for n in names if not n.lower().startswith("driftscope_"))
    if foreign and not (create and init):
        listing = ", ".join(printable(n, 40) for n in foreign[:5])
        listing += ", …" if len(foreign) > 5 else ""
        found = (f"{len(foreign)} tables that are not driftscope's ({listing})"
                 if len(foreign) > 1 else f"1 table that is not driftscope's ({listing})")
        if create:
            message = (f"the database at {shown} holds {found} and no driftscope history: "
                       "pass --history-init to add driftscope's tables to it, or choose "
                       "another --history")
        else:
            message = (f"no driftscope history at {shown}: the database holds {found}; "
                       "choose another --history")
        raise HistoryForeignError(message, foreign)
    if not create:
        raise _missing(shown)


def read_version(shown: str, conn: Any) -> int | None:
    """The schema version of the store, None when it has no driftscope tables at all."""
    from sqlalchemy import func, inspect, select

    inspector = inspect(conn)
    if not inspector.has_table("driftscope_schema_version"):
        if any(inspector.has_table(t) for t in _OURS):
            raise _damaged(shown)
        return None
    table = schema.tables()["version"]
    found = conn.execute(select(func.max(table.c.version))).scalar()
    return int(found) if found is not None else 0


def _needs_work(shown: str, found: int | None, *, create: bool, migrate: bool) -> bool:
    """Raise when the version is not usable; True when tables must be created or migrated."""
    if found is None:
        if not create:
            raise _missing(shown)
        return True
    target = schema.target_version()
    if found > target:
        raise HistorySchemaError(
            f"the history at {shown} was written by a newer driftscope (schema version "
            f"{found}; this one knows up to {target}): upgrade driftscope",
            found, target,
        )
    if found < target:
        if not migrate:
            raise HistorySchemaError(
                f"the history at {shown} was written by an older driftscope (schema version "
                f"{found}; this one uses {target}): record a round or run "
                "`driftscope history --history URL` once to upgrade it",
                found, target,
            )
        return True
    return False


def _prepare_once(db: Database, *, create: bool, migrate: bool, init: bool) -> None:
    from sqlalchemy import insert, text

    with db.errors("open"):
        # SQLite: look before the first connection, which switches the file to WAL
        names = sqlite_names(db, db.busy_timeout)
        if names is not None and "driftscope_schema_version" not in names:
            check_unversioned(db.shown, names, create=create, init=init)
        with db.engine.connect() as conn, conn.begin():
            found = read_version(db.shown, conn)
            if found is None:
                check_unversioned(db.shown, _names(conn), create=create, init=init)
        if not _needs_work(db.shown, found, create=create, migrate=migrate):
            return
        with db.transaction(write=True, action="prepare") as conn:
            if db.backend == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
            found = read_version(db.shown, conn)  # another writer may have done it meanwhile
            if found is None:
                check_unversioned(db.shown, _names(conn), create=create, init=init)
            if not _needs_work(db.shown, found, create=create, migrate=migrate):
                return
            version_table = schema.tables()["version"]
            for target in range((found or 0) + 1, schema.target_version() + 1):
                schema.MIGRATIONS[target - 1](conn)
                conn.execute(insert(version_table).values(
                    version=target, applied_at=utc_now(), driftscope_version=driftscope_version()
                ))


def prepare(db: Database, *, create: bool, migrate: bool, init: bool) -> None:
    """Check what is at the history's location and bring it to this driftscope's schema.

    Retried while SQLite reports a lock: two writers creating one new file at once can be
    told "database is locked" at once (setting up WAL bypasses the busy handler). Each try
    re-reads the version under the write lock, so a retry never migrates twice.

    Raises
    ------
    HistoryForeignError, HistoryNotFoundError, HistorySchemaError, HistoryError
        As described in the module docstring.
    """
    deadline = time.monotonic() + db.busy_timeout
    delay = 0.02
    while True:
        try:
            _prepare_once(db, create=create, migrate=migrate, init=init)
            return
        except HistoryError as exc:
            if (db.backend != "sqlite" or "locked" not in str(exc).lower()
                    or time.monotonic() > deadline):
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
