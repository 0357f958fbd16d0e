"""How a query's rows reach Arrow: one driver per kind of database URL.

=============================  =========================================================
URL                            driver
=============================  =========================================================
``postgresql://…``             ADBC PostgreSQL (``adbc-driver-postgresql``): the rows come
                               as Arrow batches (binary COPY), in a REPEATABLE READ, READ
                               ONLY transaction that shares one snapshot across every pass
``sqlite:///path``             ADBC SQLite (``adbc-driver-sqlite``), the file opened with
                               the URI ``file:…?mode=ro``
``dialect+driver://…`` and     SQLAlchemy, rows fetched with a server-side cursor
any other URL                  (``stream_results``) a batch at a time and turned into Arrow
=============================  =========================================================

Naming a driver in the URL (``postgresql+psycopg://``, ``sqlite+pysqlite:///``) picks
SQLAlchemy even where ADBC exists. Read-only by construction: PostgreSQL through either
driver reads in a READ ONLY transaction, SQLite opens the file read-only, MySQL / MariaDB
get ``SET SESSION TRANSACTION READ ONLY``; on other databases the account's own grants are
the only guard. Every driver runs the text it is given as one statement; :mod:`.sql` builds
that text.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import pyarrow as pa

from driftscope.errors import InputError

INSTALL_HINT = "pip install 'driftscope[sql]'"


class Driver(Protocol):
    """Runs one read-only statement and hands its rows out as Arrow record batches."""

    preparer: Any
    """The SQLAlchemy identifier preparer of the database's dialect (quoting)."""

    def stream(self, statement: str, batch_rows: int) -> Iterator[pa.RecordBatch]: ...

    def close(self) -> None: ...


def driver_for(url: str, what: str) -> Driver:
    """The driver for ``url`` (see the module docstring); ``what`` names the source in
    errors. Nothing is connected yet."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise InputError(f"{what}: the database URL is not a URL; expected e.g. "
                         "postgresql://user@host:5432/db or sqlite:///path/to.db") from None
    if parsed.drivername in ("postgresql", "postgres"):
        return AdbcPostgres(url)
    if parsed.drivername == "sqlite":
        return AdbcSqlite(_sqlite_path(parsed.database, what))
    return SqlAlchemyDriver(parsed, what)


def _sqlite_path(database: str | None, what: str) -> Path:
    if not database or database == ":memory:" or database.startswith("file:"):
        raise InputError(f"{what}: the SQLite URL names no file (an in-memory database "
                         "holds no data); use sqlite:///path/to/file.db")
    path = Path(database).expanduser()
    if not path.is_file():
        raise InputError(f"{what}: no SQLite file at {path}; check the path in the URL")
    return path


def _dialect_preparer(name: str) -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql.dialect() if name == "postgresql" else sqlite.dialect()
    return dialect.identifier_preparer


def _import(module: str, what: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(f"{what}: reading it needs the package {module.split('.')[0]} "
                         f"(not installed): {INSTALL_HINT}") from None


class AdbcPostgres:
    """PostgreSQL through ADBC. The first pass exports a snapshot from a READ ONLY,
    REPEATABLE READ transaction kept open until :meth:`close`; every pass (the count, each
    column) reads in its own connection from that snapshot, so all of them see the same
    rows even while the table is being written."""

    BATCH_BYTES = (1 << 20, 1 << 26)

    def __init__(self, url: str) -> None:
        self.url = url
        self.preparer = _dialect_preparer("postgresql")
        self._holder: Any = None
        self._snapshot: str | None = None
        self._lock = threading.Lock()  # the streaming backend reads two columns at once

    def _connect(self) -> Any:
        dbapi = _import("adbc_driver_postgresql.dbapi", "a postgresql:// URL")
        return dbapi.connect(self.url, autocommit=True)

    def _begin(self, cursor: Any) -> None:
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def snapshot(self) -> str:
        """The exported snapshot's id; empty when the server cannot export one (a server
        that is not PostgreSQL itself): each pass then reads in its own transaction."""
        with self._lock:
            if self._snapshot is None:
                self._snapshot = self._export()
            return self._snapshot

    def _export(self) -> str:
        try:
            holder = self._connect()
        except Exception:  # noqa: BLE001 - the pass's own connection reports it
            return ""
        try:
            cursor = holder.cursor()
            self._begin(cursor)
            cursor.execute("SELECT pg_export_snapshot()")
            row = cursor.fetchone()
            cursor.close()
        except Exception:  # noqa: BLE001 - no snapshot export on this server
            _quietly(holder.close)
            return ""
        value = str(row[0]) if row else ""
        if not re.fullmatch(r"[0-9A-Fa-f-]+", value):  # it is pasted into a statement
            _quietly(holder.close)
            return ""
        self._holder = holder
        return value

    def stream(self, statement: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
        snapshot = self.snapshot()
        conn = self._connect()
        try:
            cursor = conn.cursor()
            low, high = self.BATCH_BYTES
            hint = min(max(batch_rows * 64, low), high)  # about 8 numbers a row
            cursor.adbc_statement.set_options(
                **{"adbc.postgresql.batch_size_hint_bytes": str(hint)})
            self._begin(cursor)
            if snapshot:
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            cursor.execute(statement)
            yield from cursor.fetch_record_batch()
        finally:
            _quietly(conn.close)

    def close(self) -> None:
        with self._lock:
            if self._holder is not None:
                _quietly(self._holder.close)
                self._holder = None
                self._snapshot = None


class AdbcSqlite:
    """A SQLite file through ADBC, opened read-only (``mode=ro``)."""

    def __init__(self, path: Path) -> None:
        self.uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        self.preparer = _dialect_preparer("sqlite")

    def stream(self, statement: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
        dbapi = _import("adbc_driver_sqlite.dbapi", "a sqlite:/// URL")
        conn = dbapi.connect(self.uri)
        try:
            cursor = conn.cursor()
            cursor.adbc_statement.set_options(
                **{"adbc.sqlite.query.batch_rows": str(batch_rows)})
            cursor.execute(statement)
            yield from cursor.fetch_record_batch()
        finally:
            _quietly(conn.close)

    def close(self) -> None:
        pass


class SqlAlchemyDriver:
    """Any database SQLAlchemy reaches: a server-side cursor read a batch at a time, each
    batch turned into Arrow columns (types inferred from the values)."""

    def __init__(self, url: Any, what: str) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError
        from sqlalchemy.pool import NullPool

        if url.get_backend_name() == "sqlite":
            path = _sqlite_path(url.database, what)
            url = url.set(database=f"file:{quote(str(path.resolve()))}?mode=ro",
                          query={**url.query, "uri": "true"})
        try:
            self.engine = create_engine(url, poolclass=NullPool)
        except NoSuchModuleError:
            raise InputError(f"{what}: SQLAlchemy has no dialect {url.drivername!r}; check "
                             "the URL's scheme") from None
        except ImportError as err:
            raise InputError(f"{what}: the database driver for {url.drivername} is not "
                             f"installed ({err.name or err}); install it with pip") from None
        except ArgumentError as err:
            raise InputError(f"{what}: the database URL is not usable "
                             f"({str(err).splitlines()[0]})") from None
        self.preparer = self.engine.dialect.identifier_preparer

    def stream(self, statement: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
        from sqlalchemy import text

        dialect = self.engine.dialect.name
        with self.engine.connect() as conn:
            if dialect in ("mysql", "mariadb"):
                conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
            elif dialect == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            streaming = conn.execution_options(stream_results=True, yield_per=batch_rows)
            # as a text clause, so SQLAlchemy escapes % for the drivers that format
            # parameters (psycopg, PyMySQL); a colon that would read as a :name is escaped
            result = streaming.execute(text(_NAMED.sub(r"\\:", statement)))
            if not result.returns_rows:
                conn.rollback()
                raise InputError("the statement returned no result set; give a SELECT query")
            names = [str(k) for k in result.keys()]
            try:
                for rows in result.partitions(batch_rows):
                    yield _rows_to_batch(rows, names)
            finally:
                result.close()
                conn.rollback()

    def close(self) -> None:
        self.engine.dispose()


_NAMED = re.compile(r"(?<![:\w\\]):(?=\w)")
"""A colon that SQLAlchemy's text() would take for a bound parameter (``:name``)."""


def _rows_to_batch(rows: Sequence[Any], names: list[str]) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    arrays = []
    for name, values in zip(names, columns, strict=True):
        try:
            arrays.append(pa.array(values, from_pandas=True))
        except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
            raise InputError(f"column {name!r} mixes value types the database returned "
                             f"({str(err).splitlines()[0][:120]}); cast it in the query"
                             ) from None
    return pa.RecordBatch.from_arrays(arrays, names=names)


def _quietly(close: Any) -> None:
    try:
        close()
    except Exception:  # noqa: BLE001 - closing after an error: the first error is the one told
        pass


# -- errors ---------------------------------------------------------------------------------

_NOISE = (
    re.compile(r"^[A-Z_]+: "),                      # ADBC status: "INVALID_ARGUMENT: "
    re.compile(r"^\[[A-Za-z]+\] "),                 # "[libpq] ", "[SQLite] "
    re.compile(r"^Failed to (prepare|execute|step|connect)[^:]*: "),
    re.compile(r"^could not begin COPY: "),
    re.compile(r"^Execution error \[\w+\]: "),      # "[libpq] Execution error [PGRES_…]: "
    re.compile(r"^(ERROR|FATAL):\s+"),
    re.compile(r"^\([a-zA-Z0-9_.]+\) "),            # SQLAlchemy: "(psycopg.errors.X) "
)


def database_message(err: BaseException, secret: str | None) -> str:
    """The database's own words from a driver error: one line, the driver's prefixes and
    the echoed query left out, ``secret`` (the password) never shown."""
    orig = getattr(err, "orig", None)  # SQLAlchemy wraps the driver's error
    text = str(orig if orig is not None else err)
    for echo in ("\nQuery was:", "\nquery:", "\n[SQL:", "\nLINE "):  # the query echoed
        text = text.split(echo)[0]
    text = re.sub(r"\.?\s*SQLSTATE: \w+$", "", text.strip())
    text = " ".join(text.split())
    for _ in range(3):
        for pattern in _NOISE:
            text = pattern.sub("", text)
    if secret:
        text = text.replace(secret, "***")
    return text[:300] or err.__class__.__name__


def is_driver_error(err: BaseException) -> bool:
    """Whether ``err`` comes from a database driver (ADBC, or a DBAPI through SQLAlchemy), or
    from the Arrow stream an ADBC driver hands out (its errors arrive as Arrow's)."""
    module = type(err).__module__
    return module.startswith(("adbc_driver", "sqlalchemy", "psycopg", "sqlite3", "pymysql",
                              "MySQLdb")) or isinstance(err, pa.ArrowException)


def url_password(url: str) -> str | None:
    """The password in a database URL (to keep it out of messages), if any."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - not a URL: nothing to hide
        return None
    password = parsed.password or parsed.query.get("password")
    return str(password) if password else None

