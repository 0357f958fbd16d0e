"""Connections to the history: one SQLAlchemy engine, set up for many writers at once.

SQLite runs in WAL mode with a busy timeout and foreign keys on, and a write transaction
takes its lock up front (``BEGIN IMMEDIATE``), so two writers queue instead of one failing
half-way. PostgreSQL connections are checked before use and time out after 10 s. Every
database or OS error leaves as a one-line :class:`~driftscope.errors.HistoryError` that
names the URL (password masked) and, where it can, says what to check.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from driftscope.errors import HistoryError
from driftscope.store.errors import one_line

__all__ = ["Database"]

# what usually causes an error whose message holds these words, for the user to check
_HINTS = (
    (("locked",), "another writer held the lock for more than {timeout:g} s"),
    (("password authentication",), "check the user and password in the URL"),
    (("does not exist", "database"), "create the database or fix its name in the URL"),
    (("connection",), "check the URL and that the database server is running"),
    (("could not",), "check the URL and that the database server is running"),
    (("timeout",), "check the URL and that the database server is running"),
    (("not a database",), "the file is not a SQLite database"),
)


class Database:
    """The engine of one history, with the transactions and error messages the store uses.

    Parameters
    ----------
    url : sqlalchemy.engine.URL
        A parsed URL (:func:`driftscope.store.urls.parse_url`).
    shown : str
        The URL as the user gave it, password masked: what messages name.
    busy_timeout : float
        Seconds a SQLite writer waits for another writer's lock.
    """

    def __init__(self, url: Any, shown: str, busy_timeout: float) -> None:
        self.url = url
        self.shown = shown
        self.backend: str = url.get_backend_name()
        self.busy_timeout = float(busy_timeout)
        self.engine = self._create()

    def _create(self) -> Any:
        from sqlalchemy import create_engine

        try:
            if self.backend == "sqlite":
                return self._create_sqlite()
            return create_engine(self.url, pool_pre_ping=True,
                                 connect_args={"connect_timeout": 10})
        except ModuleNotFoundError as exc:
            raise HistoryError(
                f"cannot open the history at {self.shown}: the database driver is missing "
                f"({exc.name}); for PostgreSQL: pip install 'driftscope[postgres]'"
            ) from None
        except Exception as exc:
            raise HistoryError(f"cannot open the history at {self.shown}: {one_line(exc)}"
                               ) from None

    def _create_sqlite(self) -> Any:
        from sqlalchemy import create_engine, event
        from sqlalchemy.pool import StaticPool

        memory = self.url.database in (None, "", ":memory:")
        engine = create_engine(
            self.url,
            connect_args={"timeout": self.busy_timeout, "check_same_thread": False},
            # one shared connection, or every connection would see its own empty database
            **({"poolclass": StaticPool} if memory else {}),
        )
        busy_ms = int(self.busy_timeout * 1000)
        timeout = self.busy_timeout

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # SQLAlchemy, not the sqlite3 module, decides when a transaction begins
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout = {busy_ms}")
            if not memory:
                set_wal(cur, timeout)
            cur.execute("PRAGMA foreign_keys = ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            write = conn.get_execution_options().get("driftscope_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine

    @contextlib.contextmanager
    def errors(self, action: str) -> Iterator[None]:
        """Turn database and OS errors into one-line HistoryErrors: "cannot <action> the
        history at <url>: <cause> (<hint>)"."""
        import sqlite3

        from sqlalchemy.exc import SQLAlchemyError

        try:
            yield
        except HistoryError:
            raise
        except (SQLAlchemyError, OSError, sqlite3.Error) as exc:
            cause = one_line(exc)
            if self.url.password:
                cause = cause.replace(str(self.url.password), "***")
            lowered = cause.lower()
            hint = next((text for words, text in _HINTS if all(w in lowered for w in words)),
                        None)
            shown_hint = f" ({hint.format(timeout=self.busy_timeout)})" if hint else ""
            raise HistoryError(
                f"cannot {action} the history at {self.shown}: {cause}{shown_hint}"
            ) from None

    @contextlib.contextmanager
    def transaction(self, write: bool, action: str | None = None) -> Iterator[Any]:
        """A connection inside one transaction (committed when the block ends without an
        error, else rolled back); a write transaction takes the SQLite write lock up front."""
        with self.errors(action or ("write to" if write else "read")):
            with self.engine.connect() as conn:
                if write:
                    conn = conn.execution_options(driftscope_write=True)
                with conn.begin():
                    yield conn

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def set_wal(cursor: Any, timeout: float) -> None:
    """Switch a SQLite database to WAL, waiting up to ``timeout`` seconds for other
    connections.

    Changing the journal mode needs an exclusive lock, and SQLite answers "database is locked"
    at once, without its busy handler, while another connection is setting up the same new
    file; so this retries.
    """
    import sqlite3
    import time

    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
