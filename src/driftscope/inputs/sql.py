"""Reference or current data read straight from a database query (or a table).

:class:`SqlSource` is a :class:`~driftscope.inputs.batches.BatchSource`: the rows arrive as
Arrow batches (see :mod:`driftscope.inputs.sql_drivers` for the driver each URL gets), so the
local and streaming backends, the schema check and ``--chunk-by`` take them as they take a
file's. :func:`read_sql_table` reads the rows whole (the local backend, the baseline).

Passes. The streaming backend reads a source more than once (the rows for the categorical
columns and the schema, then one numerical column at a time). Each pass is one statement:
the query itself, or ``SELECT q."col" FROM (<query>) q`` for one column, so only the column
travels. ``num_rows`` is ``SELECT count(*) FROM (<query>) q``, run once when first asked
(the engine needs it to size a column before reading it, and to refuse an empty result).
On PostgreSQL every pass reads the same snapshot, so a table written during the round
gives consistent counts; on SQLite and through SQLAlchemy each pass sees the data as it is
when it starts.

Types. Columns are typed by the database, then made to look like a file's: decimals
(PostgreSQL ``numeric`` included) become float64, narrower integers int64, float32 float64;
text, booleans, dates and timestamps stay as they are, so numbers are numerical, text and
booleans categorical, and a timestamp column drives ``--chunk-by``. SQLite has no boolean
or time types: its 0/1 columns are numbers and its times text (which ``--chunk-by`` parses,
as it does a CSV's). Every batch is cast to the types of the first one.

The query is the user's own text and runs as given (a trailing ``;`` dropped); driftscope
never pastes values into it. A ``table`` name is checked as an identifier by the config and
quoted by SQLAlchemy's rules for the database (names with capitals or reserved words get
quotes). Errors from the database become one :class:`~driftscope.errors.InputError` line
that names the source and gives the database's message, without the password.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pyarrow as pa

from driftscope.config.sources import SqlInput
from driftscope.errors import DriftscopeError, InputError
from driftscope.inputs.batches import DEFAULT_BATCH_ROWS
from driftscope.inputs.readers import _check_columns
from driftscope.inputs.sql_drivers import (
    Driver,
    database_message,
    driver_for,
    is_driver_error,
    url_password,
)

__all__ = ["SqlInput", "SqlSource", "arrow_types", "open_sql", "read_sql_table"]

_SHOWN_CHARS = 160


class SqlSource:
    """The rows of a query (or a table) on a database, read a batch at a time.

    Parameters
    ----------
    spec
        The query or table and the database URL (or the variable holding it).
    batch_rows
        Rows per batch handed out (the drivers read about as many at a time).
    role
        ``"reference"`` or ``"current"``, for messages.
    """

    def __init__(self, spec: SqlInput, batch_rows: int = DEFAULT_BATCH_ROWS,
                 role: str = "data") -> None:
        self.spec = spec
        self.name = spec.label()
        self.batch_rows = batch_rows
        self.role = role
        url = spec.database_url()
        self._secret = url_password(url)
        self._driver: Driver = driver_for(url, self._what())
        weakref.finalize(self, self._driver.close)
        self._query = self._statement()
        self._schema: pa.Schema | None = None
        self._rows: int | None = None

    def _what(self) -> str:
        shown = self.name if len(self.name) <= _SHOWN_CHARS else \
            self.name[:_SHOWN_CHARS - 1] + "…"
        return f"{self.role} {shown}"

    def _statement(self) -> str:
        if self.spec.table is not None:
            quote = self._driver.preparer.quote
            return "SELECT * FROM " + ".".join(quote(p) for p in self.spec.table.split("."))
        return (self.spec.sql or "").strip().rstrip(";").rstrip()

    # -- the BatchSource protocol --------------------------------------------------------------

    @property
    def schema(self) -> pa.Schema:
        """The columns and their types (those of the first batch)."""
        if self._schema is None:
            for _ in self.batches():
                break
            if self._schema is None:
                raise self._no_rows()
        return self._schema

    @property
    def num_rows(self) -> int:
        """The rows of the result, counted by the database once (``count(*)``)."""
        if self._rows is None:
            counted = self._run(f"SELECT count(*) FROM ({self._query}) q")
            first = next(counted, None)
            for _ in counted:  # let the statement finish
                pass
            self._rows = int(first.column(0)[0].as_py()) if first is not None and \
                first.num_rows else 0
        return self._rows

    def batches(self, columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
        """The rows in the database's order (that of the query's ORDER BY, if any), at most
        ``batch_rows`` at a time; with ``columns``, only those are fetched."""
        wanted = None if columns is None else list(columns)
        if wanted is not None and self._schema is not None:
            unknown = [c for c in wanted if c not in self._schema.names]
            if unknown:
                raise InputError(f"{self._what()}: no column {unknown[0]!r}")
        if wanted:
            quote = self._driver.preparer.quote_identifier
            listed = ", ".join(f"q.{quote(c)}" for c in wanted)
            statement = f"SELECT {listed} FROM ({self._query}) q"
        else:
            statement = self._query
        for batch in self._run(statement):
            table = self._conform(pa.Table.from_batches([batch]), wanted)
            if wanted is not None and not wanted:
                table = table.select([])
            for start in range(0, max(table.num_rows, 1), self.batch_rows):
                part = table.slice(start, self.batch_rows)
                if part.num_rows:
                    yield part

    def column(self, name: str) -> pa.ChunkedArray:
        """One column, whole (fetched alone)."""
        if name not in self.schema.names:
            raise InputError(f"{self._what()}: no column {name!r}")
        chunks: list[pa.Array] = []
        for batch in self.batches([name]):
            chunks.extend(batch.column(0).chunks)
        return pa.chunked_array(chunks, type=self.schema.field(name).type)

    def close(self) -> None:
        """Close what stays open between passes (PostgreSQL's snapshot connection)."""
        self._driver.close()

    # -- reading ---------------------------------------------------------------------------------

    def _run(self, statement: str) -> Iterator[pa.RecordBatch]:
        with self._errors():
            stream = self._driver.stream(statement, self.batch_rows)
            try:
                yield from stream
            finally:
                close: Callable[[], None] | None = getattr(stream, "close", None)
                if close is not None:
                    close()

    def _conform(self, table: pa.Table, wanted: list[str] | None) -> pa.Table:
        """The batch with file-like types, cast to the types of the first batch."""
        table = arrow_types(table)
        if self._schema is None:
            if wanted is not None:  # the first full read decides the types
                return table
            _check_columns([str(n) for n in table.column_names], self._what())
            self._schema = table.schema
            return table
        fields = [self._schema.field(n) for n in table.column_names]
        if all(f.type == t.type for f, t in zip(fields, table.schema, strict=True)):
            return table
        arrays = []
        for field, column in zip(fields, table.columns, strict=True):
            try:
                arrays.append(column if column.type == field.type else
                              column.cast(field.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise InputError(f"{self._what()}: column {field.name!r} holds {column.type} "
                                 f"values after {field.type} ones; cast it in the query "
                                 "(e.g. CAST(col AS REAL))") from None
        return pa.Table.from_arrays(arrays, names=[f.name for f in fields])

    def _no_rows(self) -> InputError:
        return InputError(f"{self._what()}: the query returned no rows; check its WHERE "
                          "clause, or that the table holds data")

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except DriftscopeError as err:
            if str(err).startswith(self.role):
                raise
            raise InputError(f"{self._what()}: {err}") from None
        except Exception as err:
            if not is_driver_error(err):
                raise
            message = database_message(err, self._secret)
            low = f"{err} {message}".lower()
            if any(w in low for w in ("connect", "could not translate host", "timeout expired")):
                raise InputError(f"{self._what()}: cannot connect to the database: {message}; "
                                 "check the URL, the server and the credentials") from None
            raise InputError(f"{self._what()}: the database refused it: {message}") from None

    def require_rows(self) -> SqlSource:
        """This source, refused when the query returns no rows."""
        if self.num_rows == 0:
            raise self._no_rows()
        return self


def read_sql_table(spec: SqlInput, role: str = "data",
                   batch_rows: int = DEFAULT_BATCH_ROWS) -> tuple[pa.Table, str]:
    """The rows of ``spec`` whole, and the label reports name them by.

    Raises
    ------
    InputError
        When the database cannot be reached or refuses the query, or the query returns no
        rows; the message names the source and holds no password.
    """
    source = SqlSource(spec, batch_rows, role)
    try:
        parts = list(source.batches())
        if not parts:
            raise source._no_rows()
        table = pa.concat_tables(parts)
    finally:
        source.close()
    return table, source.name


def arrow_types(table: pa.Table) -> pa.Table:
    """A database's Arrow columns typed as a file's (see the module docstring)."""
    changed = False
    arrays = []
    for column in table.columns:
        target = _file_type(column.type)
        if target is not None:
            column = _as_type(column, target)
            changed = True
        arrays.append(column)
    return pa.Table.from_arrays(arrays, names=table.column_names) if changed else table


def _file_type(t: pa.DataType) -> pa.DataType | None:
    """The type a file would have for a database column of type ``t`` (None: the same)."""
    if isinstance(t, pa.BaseExtensionType):  # PostgreSQL numeric, json, uuid, …
        name = getattr(t, "type_name", "")
        if name == "numeric":
            return pa.float64()
        return t.storage_type
    if pa.types.is_decimal(t) or pa.types.is_float16(t) or pa.types.is_float32(t):
        return pa.float64()
    if pa.types.is_integer(t) and t != pa.int64() and t != pa.uint64():
        return pa.int64()
    return None


def _as_type(column: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray:
    if isinstance(column.type, pa.BaseExtensionType):
        column = pa.chunked_array([c.storage for c in column.chunks],
                                  type=column.type.storage_type)
    if pa.types.is_decimal(column.type) and pa.types.is_floating(target):
        # through the decimal text: Arrow's decimal-to-float cast is not correctly rounded
        # (11857.05 became 11857.050000000001), the text parse is, as a CSV reader's
        column = column.cast(pa.string())
    return column if column.type == target else column.cast(target)


def open_sql(spec: Any, batch_rows: int, role: str) -> SqlSource:
    """A :class:`SqlSource` for a streamed side, refused when the query returns no rows."""
    return SqlSource(spec, batch_rows, role).require_rows()
