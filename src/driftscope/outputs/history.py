"""The history store: every monitoring round, remembered in a SQL database.

SQLite by default (one file next to the assets), PostgreSQL for teams, both through
SQLAlchemy 2 (PostgreSQL through psycopg 3). The store keeps, per round, the run's header
(id, times, window, baseline, row counts, status, recommendation), the whole result as plain
JSON text, and normalised rows per column (feature, prediction, predicted class, target) with
every metric and every bin share, so that series over rounds are single cheap queries.

The tables and their migrations are in :mod:`driftscope.outputs.history_schema`;
``driftscope history`` output is built by :mod:`driftscope.outputs.history_report`.

Rounds are ordered by ``started_at`` (normalised to UTC), then by the order they were
recorded. A round is written in one transaction: it lands whole or not at all. SQLite runs in
WAL mode with a busy timeout and takes its write lock up front (``BEGIN IMMEDIATE``), so two
writers at once queue instead of failing; PostgreSQL serialises schema changes with an
advisory lock.

A store written by an older driftscope is migrated when opened by a writer (readers such as
the dashboard refuse it with a clear message instead); a store written by a newer driftscope
is refused with a :class:`HistorySchemaError`.

The store writes only into what is its own. A SQLite path that does not exist is created; one
that is not a regular file (``/dev/null``, a FIFO, a folder) or not a SQLite database is
refused. A database that exists but does not hold driftscope's schema is used only when it is
empty (no tables or views at all: a fresh ``createdb``, a 0-byte file); one that holds other
tables is refused with a :class:`HistoryForeignError` unless the store is opened with
``init=True``. These checks run before anything is written: a refused SQLite file is left
byte for byte as it was, with no journal or WAL file next to it.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftscope.errors import HistoryError
from driftscope.outputs import history_schema as _schema
from driftscope.outputs.history_report import history_report
from driftscope.outputs.history_schema import MIGRATIONS, SCHEMA_VERSION, check_last
from driftscope.outputs.text import printable
from driftscope.result import RunResult, Severity

__all__ = [
    "HISTORY_FILENAME",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "HistoryForeignError",
    "HistoryNotFoundError",
    "HistorySchemaError",
    "HistoryStore",
    "PerformancePoint",
    "RunNotFoundError",
    "RunSummary",
    "SeriesPoint",
    "StoredBin",
    "BinSeriesPoint",
    "default_history_url",
    "history_report",
    "mask_url",
]

HISTORY_FILENAME = "driftscope_history.db"

_PG_LOCK_KEY = 0x64726966  # "drif": advisory lock id for schema changes
_SQLITE_BUSY_SECONDS = 30.0


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


class HistoryNotFoundError(HistoryError):
    """The history does not exist yet (missing SQLite file, or no driftscope tables)."""


class HistorySchemaError(HistoryError):
    """The history was written by another version of driftscope.

    Attributes
    ----------
    found : int
        Schema version of the store.
    expected : int
        Schema version this driftscope writes.
    """

    def __init__(self, message: str, found: int, expected: int) -> None:
        super().__init__(message)
        self.found = found
        self.expected = expected

    @property
    def older(self) -> bool:
        """True when the store is older than this driftscope (it can be migrated)."""
        return self.found < self.expected


class RunNotFoundError(HistoryError, LookupError):
    """No round with the requested run id is stored."""


class HistoryForeignError(HistoryError):
    """The history location holds something that is not driftscope's, so nothing is written.

    Raised for a SQLite path that is not a regular file (a device, a FIFO, a folder) or not a
    SQLite database, and for a database that holds tables or views but not driftscope's
    schema (a writer may adopt such a database with ``init=True``).

    Attributes
    ----------
    tables : tuple of str
        The tables and views found that are not driftscope's (empty when the location is not
        a database at all).
    """

    def __init__(self, message: str, tables: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.tables = tuple(tables)


# --------------------------------------------------------------------------------------
# URLs
# --------------------------------------------------------------------------------------


def default_history_url(out_dir: str | Path) -> str:
    """The default history: a SQLite file ``driftscope_history.db`` in ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        The output folder of the rounds (``assets`` by default).

    Returns
    -------
    str
        ``"sqlite:///<out_dir>/driftscope_history.db"``.
    """
    return f"sqlite:///{(Path(out_dir) / HISTORY_FILENAME).as_posix()}"


_PASSWORD_IN_URL = re.compile(r"^(?P<head>\s*[a-zA-Z][\w+.-]*://[^:/@\s]*:)(?P<pw>.*)(?P<tail>@[^@]*)$")


def mask_url(url: Any) -> str:
    """``url`` as text with its password replaced by ``***``.

    Parameters
    ----------
    url : str or sqlalchemy.engine.URL
        A database URL (parsed or not) or a file path.

    Returns
    -------
    str
        The URL, safe to print.
    """
    render = getattr(url, "render_as_string", None)
    if callable(render):
        return str(render(hide_password=True))
    return _PASSWORD_IN_URL.sub(lambda m: m.group("head") + "***" + m.group("tail"), str(url))


def _parse_url(url: str | Path) -> Any:
    """Turn a URL or a file path into a SQLAlchemy URL for a supported backend."""
    from sqlalchemy.engine import URL, make_url
    from sqlalchemy.exc import ArgumentError

    text = str(url).strip()
    if not text:
        raise HistoryError(
            "the history URL is empty: give a SQLite file, sqlite:///path or postgresql://..."
        )
    if "://" not in text:
        parsed = URL.create("sqlite", database=text)
    else:
        try:
            parsed = make_url(text)
        except (ArgumentError, ValueError) as exc:
            raise HistoryError(
                f"{mask_url(text)} is not a database URL ({_one_line(exc)}); expected "
                "sqlite:///path/to/history.db or postgresql://user:password@host:port/db"
            ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database).expanduser()
            folder = path.parent
            if not folder.is_dir():
                raise HistoryError(
                    f"cannot open the history at {mask_url(text)}: the folder {folder} does "
                    "not exist; create it or choose another --history path"
                )
            if str(path) != database:  # SQLite itself does not expand ~
                parsed = parsed.set(database=str(path))
        return parsed
    if backend in ("postgresql", "postgres"):
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        return parsed
    raise HistoryError(
        f"{mask_url(text)} uses the unsupported database {backend!r}; the history store "
        "works with SQLite (a file path or sqlite:///path) and PostgreSQL (postgresql://...)"
    )


def _one_line(exc: BaseException) -> str:
    """The first meaningful line of an exception's message (DBAPI errors included)."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc)
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("(Background on this error"):
            return line[:300]
    return type(exc).__name__


# --------------------------------------------------------------------------------------
# Public value types
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSummary:
    """The header of one stored round (what ``driftscope history`` lists)."""

    run_id: str
    started_at: str
    status: Severity
    reason: str
    recommendation: str
    reference_rows: int
    current_rows: int
    counts: dict[str, int]
    features: int
    window_start: str | None = None
    window_end: str | None = None
    baseline: str | None = None
    prediction_status: Severity | None = None
    performance_status: Severity | None = None
    model_name: str | None = None
    model_version: str | None = None
    recorded_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "baseline": self.baseline,
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            "status": self.status.value,
            "counts": dict(self.counts),
            "features": self.features,
            "prediction_status": _value(self.prediction_status),
            "performance_status": _value(self.performance_status),
            "model_name": self.model_name,
            "model_version": self.model_version,
            "reason": self.reason,
            "recommendation": self.recommendation,
            "recorded_at": self.recorded_at,
        }


@dataclass(frozen=True)
class SeriesPoint:
    """One column (feature, prediction, target) in one round."""

    run_id: str
    started_at: str
    name: str
    origin: str
    type: str
    status: Severity
    reason: str
    psi: float | None
    metrics: dict[str, float | None]
    run_status: Severity
    window_start: str | None = None
    window_end: str | None = None
    baseline: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, metrics flattened."""
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "baseline": self.baseline,
            "name": self.name,
            "origin": self.origin,
            "type": self.type,
            "status": self.status.value,
            **{name: self.metrics.get(name) for name in _schema.METRIC_FIELDS},
            "run_status": self.run_status.value,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class StoredBin:
    """One stored bin of one column in one round."""

    label: str
    kind: str
    lower: float | None
    upper: float | None
    reference_count: int
    current_count: int
    reference_share: float | None
    current_share: float | None
    psi_contribution: float | None


@dataclass(frozen=True)
class BinSeriesPoint:
    """The bins of one column in one round."""

    run_id: str
    started_at: str
    bins: tuple[StoredBin, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PerformancePoint:
    """One performance metric in one round."""

    run_id: str
    started_at: str
    metric: str
    current: float | None
    estimated: float | None
    baseline: float | None
    relative_change: float | None
    status: Severity
    window_start: str | None = None
    window_end: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "metric": self.metric,
            "current": self.current,
            "estimated": self.estimated,
            "baseline": self.baseline,
            "relative_change": self.relative_change,
            "status": self.status.value,
        }


def _value(level: Severity | None) -> str | None:
    return None if level is None else level.value


# --------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------


class _AlreadyStored(Exception):
    """Internal: the round's run id is stored already (``cause``: the insert's error, if the
    insert is how it showed)."""

    def __init__(self, cause: BaseException | None) -> None:
        super().__init__()
        self.cause = cause


class HistoryStore:
    """The history of monitoring rounds in SQLite or PostgreSQL.

    Parameters
    ----------
    url : str or Path
        ``sqlite:///path/to/history.db``, a plain file path (SQLite), or
        ``postgresql://user:password@host:port/database`` (used through psycopg 3).
    create : bool
        Create the tables when the database has none (default True). With False a missing
        SQLite file or an empty database raises :class:`HistoryNotFoundError`.
    init : bool
        Add driftscope's tables to an existing database that holds other tables but not
        driftscope's (default False: such a database raises :class:`HistoryForeignError`
        before anything is written to it). An empty database, or a SQLite path that does not
        exist yet, needs no ``init``. Only writers (``create=True``) use it.
    migrate : bool
        Upgrade a store written by an older driftscope (default True). With False such a
        store raises :class:`HistorySchemaError`; readers such as the dashboard use this so
        that only writers change the schema.
    busy_timeout : float
        Seconds a SQLite writer waits for another writer's lock (default 30).

    Raises
    ------
    HistoryForeignError
        When the location is not driftscope's: a SQLite path that is not a regular file or
        not a SQLite database, or a database with other tables but no driftscope schema
        (unless ``init``). Nothing is written then.
    HistoryError
        With a one-line message naming the URL (password masked) when the URL is wrong, the
        folder or server is missing, or the schema is of another version.

    Examples
    --------
    >>> store = HistoryStore("sqlite:///assets/driftscope_history.db")  # doctest: +SKIP
    >>> store.record(result)  # doctest: +SKIP
    >>> [r.status.value for r in store.runs(last=5)]  # doctest: +SKIP
    """

    def __init__(
        self,
        url: str | Path,
        *,
        create: bool = True,
        migrate: bool = True,
        busy_timeout: float = _SQLITE_BUSY_SECONDS,
        init: bool = False,
    ) -> None:
        self._url = _parse_url(url)
        given = str(url).strip()
        self.url = mask_url(given)
        """The store's URL as given, with its password masked."""
        self._backend = self._url.get_backend_name()
        self._busy_timeout = float(busy_timeout)
        self._init = bool(init)
        path = self._sqlite_path()
        if path is not None:
            try:
                mode = path.stat().st_mode  # follows symlinks: the file SQLite would open
            except FileNotFoundError:
                mode = None
            except OSError as exc:
                raise HistoryError(
                    f"cannot open the history at {self.url}: {_one_line(exc)}"
                ) from None
            if mode is None and not create:
                raise HistoryNotFoundError(
                    f"no history at {self.url} yet: the file does not exist "
                    "(a round run with history recording creates it)"
                )
            if mode is not None and not stat.S_ISREG(mode):
                raise HistoryForeignError(
                    f"cannot use {self.url} as the history: it is {_file_kind(mode)}, not a "
                    "regular file; choose a file path (or a database URL) for --history"
                )
        self._engine = self._make_engine()
        try:
            self._prepare_retrying(create=create, migrate=migrate)
        except BaseException:
            self._engine.dispose()
            raise

    # -- engine ------------------------------------------------------------------------
    def _make_engine(self) -> Any:
        from sqlalchemy import create_engine, event
        from sqlalchemy.pool import StaticPool

        try:
            if self._backend == "sqlite":
                memory = self._url.database in (None, "", ":memory:")
                engine = create_engine(
                    self._url,
                    connect_args={"timeout": self._busy_timeout, "check_same_thread": False},
                    **({"poolclass": StaticPool} if memory else {}),
                )
                busy_ms = int(self._busy_timeout * 1000)

                @event.listens_for(engine, "connect")
                def _on_connect(dbapi_conn: Any, _record: Any) -> None:
                    # let SQLAlchemy, not the sqlite3 module, decide when transactions begin
                    dbapi_conn.isolation_level = None
                    cur = dbapi_conn.cursor()
                    cur.execute(f"PRAGMA busy_timeout = {busy_ms}")
                    if not memory:
                        _set_wal(cur, self._busy_timeout)
                    cur.execute("PRAGMA foreign_keys = ON")
                    cur.close()

                @event.listens_for(engine, "begin")
                def _on_begin(conn: Any) -> None:
                    write = conn.get_execution_options().get("driftscope_write", False)
                    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

                return engine
            return create_engine(
                self._url,
                pool_pre_ping=True,
                connect_args={"connect_timeout": 10},
            )
        except ModuleNotFoundError as exc:
            raise HistoryError(
                f"cannot open the history at {self.url}: the database driver is missing "
                f"({exc.name}); for PostgreSQL: pip install 'driftscope[postgres]'"
            ) from None
        except Exception as exc:
            raise HistoryError(f"cannot open the history at {self.url}: {_one_line(exc)}") from None

    @contextlib.contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turn database and OS errors into one-line HistoryErrors naming the URL."""
        import sqlite3

        from sqlalchemy.exc import SQLAlchemyError

        try:
            yield
        except HistoryError:
            raise
        except (SQLAlchemyError, OSError, sqlite3.Error) as exc:
            cause = _one_line(exc)
            password = self._url.password
            if password:
                cause = cause.replace(str(password), "***")
            hint = ""
            lowered = cause.lower()
            if "locked" in lowered:
                hint = f" (another writer held the lock for more than {self._busy_timeout:g} s)"
            elif "password authentication" in lowered:
                hint = " (check the user and password in the URL)"
            elif "does not exist" in lowered and "database" in lowered:
                hint = " (create the database or fix its name in the URL)"
            elif "connection" in lowered or "could not" in lowered or "timeout" in lowered:
                hint = " (check the URL and that the database server is running)"
            elif "not a database" in lowered:
                hint = " (the file is not a SQLite database)"
            raise HistoryError(
                f"cannot {action} the history at {self.url}: {cause}{hint}"
            ) from None

    @contextlib.contextmanager
    def _transaction(self, write: bool, action: str | None = None) -> Iterator[Any]:
        """A connection inside one transaction; a write transaction locks up front."""
        with self._errors(action or ("write to" if write else "read")):
            with self._engine.connect() as conn:
                if write:
                    conn = conn.execution_options(driftscope_write=True)
                with conn.begin():
                    yield conn

    # -- what is there ---------------------------------------------------------------
    def _sqlite_path(self) -> Path | None:
        """The SQLite file of the store, None for PostgreSQL, memory and ``file:`` URIs."""
        if self._backend != "sqlite":
            return None
        database = self._url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return Path(database)

    def _sqlite_names(self) -> list[str] | None:
        """The tables and views in the SQLite file, read without writing anything.

        None when the file does not exist (yet). A 0-byte file is an empty database. The
        file is opened read-only; a WAL-mode file that no connection has open (no ``-wal``
        file) is opened as immutable, so that reading it does not leave ``-wal`` and ``-shm``
        files next to a database that is not ours.
        """
        import sqlite3
        from urllib.parse import quote

        path = self._sqlite_path()
        if path is None:
            return None
        try:  # non-blocking: a FIFO put in place since __init__ must not hang the open
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            return None
        with open(fd, "rb", closefd=True) as fh:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                raise HistoryForeignError(
                    f"cannot use {self.url} as the history: it is {_file_kind(mode)}, not a "
                    "regular file; choose a file path (or a database URL) for --history"
                )
            header = fh.read(100)
        if not header:
            return []
        if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
            raise HistoryForeignError(
                f"cannot use {self.url} as the history: the file is not a SQLite database; "
                "choose another --history"
            )
        wal = header[18] == 2 and header[19] == 2
        idle = not Path(f"{path}-wal").exists()
        how = "immutable=1" if wal and idle else "mode=ro"
        uri = f"file:{quote(os.path.abspath(path))}?{how}"
        conn = sqlite3.connect(uri, uri=True, timeout=self._busy_timeout)
        try:
            rows = conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            ).fetchall()
        finally:
            conn.close()
        return [str(name) for (name,) in rows]

    @staticmethod
    def _names(conn: Any) -> list[str]:
        """The tables and views in the database (for PostgreSQL: in the default schema,
        where driftscope creates its tables)."""
        from sqlalchemy import inspect

        inspector = inspect(conn)
        names = [*inspector.get_table_names(), *inspector.get_view_names()]
        with contextlib.suppress(NotImplementedError):
            names += inspector.get_materialized_view_names()
        return names

    def _check_unversioned(self, names: Sequence[str], *, create: bool) -> None:
        """For a database without driftscope's version table, holding the tables and views
        ``names``: return when driftscope may create its tables there, else raise."""
        if any(n in ("driftscope_runs", "driftscope_columns") for n in names):
            raise HistoryError(
                f"the history at {self.url} has driftscope tables but no schema version; "
                "it is damaged or was written by an unknown tool: point --history elsewhere"
            )
        foreign = sorted(n for n in names if not n.lower().startswith("driftscope_"))
        if foreign and not (create and self._init):
            listing = ", ".join(printable(n, 40) for n in foreign[:5])
            listing += ", …" if len(foreign) > 5 else ""
            found = (
                f"{len(foreign)} tables that are not driftscope's ({listing})"
                if len(foreign) > 1
                else f"1 table that is not driftscope's ({listing})"
            )
            if create:
                message = (
                    f"the database at {self.url} holds {found} and no driftscope history: "
                    "pass --history-init to add driftscope's tables to it, or choose another "
                    "--history"
                )
            else:
                message = (
                    f"no driftscope history at {self.url}: the database holds {found}; "
                    "choose another --history"
                )
            raise HistoryForeignError(message, foreign)
        if not create:
            raise HistoryNotFoundError(
                f"no history at {self.url} yet: the database has no driftscope tables "
                "(a round run with history recording creates them)"
            )

    # -- schema ------------------------------------------------------------------------
    def _read_version(self, conn: Any) -> int | None:
        from sqlalchemy import func, inspect, select

        inspector = inspect(conn)
        if not inspector.has_table("driftscope_schema_version"):
            if any(inspector.has_table(t) for t in ("driftscope_runs", "driftscope_columns")):
                raise HistoryError(
                    f"the history at {self.url} has driftscope tables but no schema version; "
                    "it is damaged or was written by an unknown tool: point --history elsewhere"
                )
            return None
        table = _schema.tables()["version"]
        found = conn.execute(select(func.max(table.c.version))).scalar()
        return int(found) if found is not None else 0

    def _check_version(self, found: int | None, *, create: bool, migrate: bool) -> bool:
        """Raise when the version is not usable; return True when changes are needed."""
        if found is None:
            if not create:
                raise HistoryNotFoundError(
                    f"no history at {self.url} yet: the database has no driftscope tables "
                    "(a round run with history recording creates them)"
                )
            return True
        target = _schema.target_version()
        if found > target:
            raise HistorySchemaError(
                f"the history at {self.url} was written by a newer driftscope (schema "
                f"version {found}; this one knows up to {target}): upgrade driftscope",
                found,
                target,
            )
        if found < target:
            if not migrate:
                raise HistorySchemaError(
                    f"the history at {self.url} was written by an older driftscope (schema "
                    f"version {found}; this one uses {target}): record a round or run "
                    "`driftscope history --history URL` once to upgrade it",
                    found,
                    target,
                )
            return True
        return False

    def _prepare_retrying(self, *, create: bool, migrate: bool) -> None:
        """``_prepare``, retried while SQLite reports a lock: two writers creating one new
        file at once can get "database is locked" at once (WAL set-up bypasses the busy
        handler). ``_prepare`` is idempotent: it re-reads the version under the write lock."""
        import time

        deadline = time.monotonic() + self._busy_timeout
        delay = 0.02
        while True:
            try:
                self._prepare(create=create, migrate=migrate)
                return
            except HistoryError as exc:
                if (self._backend != "sqlite" or "locked" not in str(exc).lower()
                        or time.monotonic() > deadline):
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def _prepare(self, *, create: bool, migrate: bool) -> None:
        from sqlalchemy import insert, text

        with self._errors("open"):
            # SQLite: look before the first connection, which switches the file to WAL
            names = self._sqlite_names()
            if names is not None and "driftscope_schema_version" not in names:
                self._check_unversioned(names, create=create)
            with self._engine.connect() as conn:
                with conn.begin():
                    found = self._read_version(conn)
                    if found is None:
                        self._check_unversioned(self._names(conn), create=create)
            if not self._check_version(found, create=create, migrate=migrate):
                return
            with self._transaction(write=True, action="prepare") as conn:
                if self._backend == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
                found = self._read_version(conn)  # another writer may have done it meanwhile
                if found is None:
                    self._check_unversioned(self._names(conn), create=create)
                if not self._check_version(found, create=create, migrate=migrate):
                    return
                version_table = _schema.tables()["version"]
                for target in range((found or 0) + 1, _schema.target_version() + 1):
                    _schema.MIGRATIONS[target - 1](conn)
                    conn.execute(
                        insert(version_table).values(
                            version=target,
                            applied_at=_schema.utc_now(),
                            driftscope_version=_schema.driftscope_version(),
                        )
                    )

    def schema_version(self) -> int:
        """The schema version of the store."""
        with self._errors("read"), self._engine.connect() as conn:
            return int(self._read_version(conn) or 0)

    # -- writing -----------------------------------------------------------------------
    def record(self, result: RunResult) -> None:
        """Store one round, whole or not at all; a round already stored is left alone.

        Recording is idempotent on the run id: when a round with ``result.run.id`` is
        already stored (recorded earlier, or by a concurrent writer meanwhile), nothing is
        written and the stored round is kept as it is, even if ``result`` differs;
        :meth:`contains` tells beforehand whether a run id is stored.

        Parameters
        ----------
        result : RunResult
            The round's result.

        Raises
        ------
        HistoryError
            When the database cannot be written; nothing of the round is stored then.
        """
        from sqlalchemy import insert
        from sqlalchemy.exc import IntegrityError

        t = _schema.tables()
        payload = result.to_json(indent=None)
        run_id = result.run.id
        try:
            with self._transaction(write=True) as conn:
                if self._contains(conn, run_id):
                    raise _AlreadyStored(None)
                try:
                    seq = conn.execute(
                        insert(t["runs"]).values(**_schema.run_row(result, payload))
                    ).inserted_primary_key[0]
                except IntegrityError as exc:  # a concurrent writer stored the same id first?
                    raise _AlreadyStored(exc) from None
                self._write_round(conn, seq, result)
        except _AlreadyStored as stop:
            if stop.cause is not None and not self.contains(run_id):
                with self._errors("write to"):
                    raise stop.cause from None

    def contains(self, run_id: str) -> bool:
        """Whether a round with this run id is stored.

        Parameters
        ----------
        run_id : str
            The round's run id.

        Returns
        -------
        bool
        """
        with self._transaction(write=False) as conn:
            return self._contains(conn, run_id)

    @staticmethod
    def _contains(conn: Any, run_id: str) -> bool:
        from sqlalchemy import select

        runs = _schema.tables()["runs"]
        query = select(runs.c.seq).where(runs.c.run_id == run_id).limit(1)
        return conn.execute(query).first() is not None

    @staticmethod
    def _write_round(conn: Any, seq: int, result: RunResult) -> None:
        """The rows of one round below its ``runs`` row ``seq``."""
        from sqlalchemy import insert

        t = _schema.tables()
        for position, column in enumerate(_schema.columns_of(result)):
            _schema.write_column(conn, t, seq, position, column)
        if result.performance is not None and result.performance.metrics:
            conn.execute(
                insert(t["performance"]),
                [
                    {
                        "run_seq": seq,
                        "metric": name,
                        "current": _schema.num(m.current),
                        "estimated": _schema.num(m.estimated),
                        "baseline": _schema.num(m.baseline),
                        "relative_change": _schema.num(m.relative_change),
                        "status": Severity(m.status).value,
                    }
                    for name, m in result.performance.metrics.items()
                ],
            )

    # -- reading -----------------------------------------------------------------------
    def _ordered_runs(self, last: int | None) -> Any:
        """A select of the runs table, newest first, limited to ``last`` rows."""
        from sqlalchemy import select

        runs = _schema.tables()["runs"]
        query = select(runs).order_by(runs.c.sort_key.desc(), runs.c.seq.desc())
        if last is not None:
            query = query.limit(check_last(last))
        return query

    def runs(self, last: int | None = None) -> list[RunSummary]:
        """The stored rounds, oldest first (newest last).

        Parameters
        ----------
        last : int, optional
            Only the newest ``last`` rounds.

        Returns
        -------
        list of RunSummary
        """
        with self._transaction(write=False) as conn:
            rows = conn.execute(self._ordered_runs(last)).mappings().all()
        return [_summary(row) for row in reversed(rows)]

    def __len__(self) -> int:
        from sqlalchemy import func, select

        with self._transaction(write=False) as conn:
            return int(
                conn.execute(select(func.count()).select_from(_schema.tables()["runs"])).scalar()
            )

    def run_ids(self, last: int | None = None) -> list[str]:
        """Run ids, oldest first."""
        return [r.run_id for r in self.runs(last)]

    def load(self, run_id: str) -> RunResult:
        """The full result of one stored round.

        Raises
        ------
        RunNotFoundError
            When no round has that id.
        HistoryError
            When the stored JSON cannot be read back.
        """
        from sqlalchemy import select

        runs = _schema.tables()["runs"]
        with self._transaction(write=False) as conn:
            text = conn.execute(select(runs.c.result_json).where(runs.c.run_id == run_id)).scalar()
        if text is None:
            raise RunNotFoundError(
                f"no round with run id {run_id!r} in the history at {self.url}; "
                "`driftscope history` lists the stored rounds"
            )
        return self._parse_result(run_id, text)

    def _parse_result(self, run_id: str, text: str) -> RunResult:
        from driftscope.errors import DriftscopeError

        try:
            return RunResult.from_json(text)
        except (DriftscopeError, ValueError, KeyError, TypeError) as exc:
            raise HistoryError(
                f"round {run_id!r} in the history at {self.url} cannot be read back: "
                f"{_one_line(exc)}"
            ) from None

    def latest(self) -> RunResult | None:
        """The newest round, or None when the history is empty."""
        with self._transaction(write=False) as conn:
            row = conn.execute(self._ordered_runs(1)).mappings().first()
        if row is None:
            return None
        return self._parse_result(row["run_id"], row["result_json"])

    def series(
        self,
        names: Sequence[str] | None = None,
        *,
        last: int | None = None,
        origins: Sequence[str] | None = None,
    ) -> list[SeriesPoint]:
        """Columns over the newest ``last`` rounds, oldest round first.

        Parameters
        ----------
        names : sequence of str, optional
            Only these column names (default all).
        last : int, optional
            Only the newest ``last`` rounds.
        origins : sequence of str, optional
            Only these origins (``raw``, ``engineered``, ``prediction``,
            ``predicted_class``, ``target``).

        Returns
        -------
        list of SeriesPoint
            Ordered by round, then by the column's position in the round.
        """
        from sqlalchemy import select

        t = _schema.tables()
        runs, cols = t["runs"], t["columns"]
        query = select(cols, *_run_cols(runs)).join(runs, runs.c.seq == cols.c.run_seq)
        if names is not None:
            query = query.where(cols.c.name.in_(list(names)))
        if origins is not None:
            query = query.where(cols.c.origin.in_(list(origins)))
        if last is not None:
            newest = (
                select(runs.c.seq)
                .order_by(runs.c.sort_key.desc(), runs.c.seq.desc())
                .limit(check_last(last))
            )
            query = query.where(cols.c.run_seq.in_(newest.scalar_subquery()))
        query = query.order_by(runs.c.sort_key, runs.c.seq, cols.c.position)
        with self._transaction(write=False) as conn:
            rows = conn.execute(query).mappings().all()
        return [_point(row) for row in rows]

    def feature_series(
        self, name: str, last: int | None = None, *, origin: str | None = None
    ) -> list[SeriesPoint]:
        """One column's values over the rounds that have it, oldest first.

        Parameters
        ----------
        name : str
            Column name.
        last : int, optional
            Only the newest ``last`` points.
        origin : str, optional
            Restrict to one origin. By default, when a round has a feature and the prediction
            (or target) of the same name, the feature is taken.

        Returns
        -------
        list of SeriesPoint
            Empty when no round has that column.
        """
        from sqlalchemy import case, select

        t = _schema.tables()
        runs, cols = t["runs"], t["columns"]
        preference = case((cols.c.origin.in_(_schema.FEATURE_ORIGINS), 0), else_=1)
        query = (
            select(cols, *_run_cols(runs))
            .join(runs, runs.c.seq == cols.c.run_seq)
            .where(cols.c.name == name)
            .order_by(runs.c.sort_key.desc(), runs.c.seq.desc(), preference, cols.c.position)
        )
        if origin is not None:
            query = query.where(cols.c.origin == origin)
        with self._transaction(write=False) as conn:
            rows = conn.execute(query).mappings().all()
        points: list[SeriesPoint] = []
        seen: set[int] = set()
        for row in rows:
            if row["run_seq"] in seen:
                continue
            seen.add(row["run_seq"])
            points.append(_point(row))
            if last is not None and len(points) >= check_last(last):
                break
        points.reverse()
        return points

    def bin_series(
        self, name: str, last: int | None = None, *, origin: str | None = None
    ) -> list[BinSeriesPoint]:
        """One column's bins over the rounds that have it, oldest first."""
        from sqlalchemy import and_, select

        points = self.feature_series(name, last, origin=origin)
        if not points:
            return []
        t = _schema.tables()
        runs, cols, bins = t["runs"], t["columns"], t["bins"]
        wanted = {(p.run_id, p.origin) for p in points}
        query = (
            select(bins, runs.c.run_id, runs.c.started_at, cols.c.origin)
            .join(
                cols,
                and_(cols.c.run_seq == bins.c.run_seq, cols.c.position == bins.c.column_position),
            )
            .join(runs, runs.c.seq == bins.c.run_seq)
            .where(cols.c.name == name, runs.c.run_id.in_([p.run_id for p in points]))
            .order_by(runs.c.sort_key, runs.c.seq, bins.c.position)
        )
        with self._transaction(write=False) as conn:
            rows = conn.execute(query).mappings().all()
        grouped: dict[str, list[StoredBin]] = {p.run_id: [] for p in points}
        for row in rows:
            if (row["run_id"], row["origin"]) not in wanted:
                continue
            grouped[row["run_id"]].append(
                StoredBin(
                    label=row["label"],
                    kind=row["kind"],
                    lower=row["lower"],
                    upper=row["upper"],
                    reference_count=int(row["reference_count"]),
                    current_count=int(row["current_count"]),
                    reference_share=row["reference_share"],
                    current_share=row["current_share"],
                    psi_contribution=row["psi_contribution"],
                )
            )
        return [BinSeriesPoint(p.run_id, p.started_at, tuple(grouped[p.run_id])) for p in points]

    def performance_series(
        self, metric: str | None = None, last: int | None = None
    ) -> list[PerformancePoint]:
        """Performance metrics over the newest ``last`` rounds, oldest first."""
        from sqlalchemy import select

        t = _schema.tables()
        runs, perf = t["runs"], t["performance"]
        query = select(
            perf, runs.c.run_id, runs.c.started_at, runs.c.window_start, runs.c.window_end
        ).join(runs, runs.c.seq == perf.c.run_seq)
        if metric is not None:
            query = query.where(perf.c.metric == metric)
        if last is not None:
            newest = (
                select(runs.c.seq)
                .order_by(runs.c.sort_key.desc(), runs.c.seq.desc())
                .limit(check_last(last))
            )
            query = query.where(perf.c.run_seq.in_(newest.scalar_subquery()))
        query = query.order_by(runs.c.sort_key, runs.c.seq, perf.c.metric)
        with self._transaction(write=False) as conn:
            rows = conn.execute(query).mappings().all()
        return [
            PerformancePoint(
                run_id=row["run_id"],
                started_at=row["started_at"],
                metric=row["metric"],
                current=row["current"],
                estimated=row["estimated"],
                baseline=row["baseline"],
                relative_change=row["relative_change"],
                status=Severity(row["status"]),
                window_start=row["window_start"],
                window_end=row["window_end"],
            )
            for row in rows
        ]

    def column_names(self, origins: Sequence[str] | None = None) -> list[str]:
        """Distinct column names in the history, sorted."""
        from sqlalchemy import select

        cols = _schema.tables()["columns"]
        query = select(cols.c.name).distinct()
        if origins is not None:
            query = query.where(cols.c.origin.in_(list(origins)))
        with self._transaction(write=False) as conn:
            return sorted(str(v) for v in conn.execute(query).scalars())

    # -- lifetime ----------------------------------------------------------------------
    def close(self) -> None:
        """Release the database connections. The store cannot be used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HistoryStore({self.url!r})"


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _run_cols(runs: Any) -> list[Any]:
    return [
        runs.c.run_id,
        runs.c.started_at,
        runs.c.window_start,
        runs.c.window_end,
        runs.c.baseline,
        runs.c.status.label("run_status"),
    ]


def _summary(row: Any) -> RunSummary:
    return RunSummary(
        run_id=row["run_id"],
        started_at=row["started_at"],
        window_start=row["window_start"],
        window_end=row["window_end"],
        baseline=row["baseline"],
        reference_rows=int(row["reference_rows"]),
        current_rows=int(row["current_rows"]),
        status=Severity(row["status"]),
        reason=row["reason"],
        recommendation=row["recommendation"],
        counts={
            "NORMAL": int(row["count_normal"]),
            "WARNING": int(row["count_warning"]),
            "CRITICAL": int(row["count_critical"]),
        },
        features=int(row["n_features"]),
        prediction_status=Severity(row["prediction_status"]) if row["prediction_status"] else None,
        performance_status=(
            Severity(row["performance_status"]) if row["performance_status"] else None
        ),
        model_name=row["model_name"],
        model_version=row["model_version"],
        recorded_at=row["recorded_at"],
    )


def _point(row: Any) -> SeriesPoint:
    metrics = {name: row[name] for name in _schema.METRIC_FIELDS}
    return SeriesPoint(
        run_id=row["run_id"],
        started_at=row["started_at"],
        window_start=row["window_start"],
        window_end=row["window_end"],
        baseline=row["baseline"],
        name=row["name"],
        origin=row["origin"],
        type=row["type"],
        status=Severity(row["status"]),
        reason=row["reason"],
        psi=metrics["psi"],
        metrics=metrics,
        run_status=Severity(row["run_status"]),
    )


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


def _set_wal(cursor: Any, timeout: float) -> None:
    """Switch a SQLite database to WAL, waiting for other connections.

    Changing the journal mode needs an exclusive lock and SQLite answers "database is locked"
    at once, without its busy handler, while another connection is setting up the same new
    file; so retry until ``timeout``.
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
