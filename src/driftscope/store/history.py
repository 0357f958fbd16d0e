"""The history store: every monitoring round, remembered in a SQL database.

SQLite by default (one file next to the assets), PostgreSQL for teams, both through
SQLAlchemy 2 (PostgreSQL through psycopg 3). Per round the store keeps the header (id, times,
window, baseline, row counts, status, recommendation), the whole result as plain JSON text,
normalised rows per column (feature, prediction, predicted class, target) with every metric
and every bin, so that series over rounds are single cheap queries, and, when given, the
round's column profiles.

The pieces: where a history lives (:mod:`.urls`), its tables and migrations (:mod:`.schema`),
connections (:mod:`.engine`), the checks made on opening (:mod:`.prepare`), a round as rows
(:mod:`.rows`, :mod:`.profiles`), and reading (:mod:`.queries`, returning the records of
:mod:`.records`). Code that only reads types against :class:`.reader.HistoryReader`.

A round is written in one transaction: it lands whole or not at all, and two writers at once
queue rather than fail. Recording is idempotent on the run id, so a round retried after a
crash is stored once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from driftscope.result import RunResult
from driftscope.store import rows as _rows
from driftscope.store import schema
from driftscope.store.engine import Database
from driftscope.store.prepare import check_location, prepare, read_version
from driftscope.store.queries import HistoryQueries
from driftscope.store.urls import mask_url, parse_url

if TYPE_CHECKING:
    from driftscope.profile.model import ColumnProfile, DatasetProfile

__all__ = ["HistoryStore"]

_SQLITE_BUSY_SECONDS = 30.0


class _AlreadyStored(Exception):
    """Internal: the rows being written are stored already (``cause``: the insert's error,
    when the insert is how it showed)."""

    def __init__(self, cause: BaseException | None) -> None:
        super().__init__()
        self.cause = cause


class HistoryStore(HistoryQueries):
    """The history of monitoring rounds in SQLite or PostgreSQL.

    Parameters
    ----------
    url : str or Path
        ``sqlite:///path/to/history.db``, a plain file path (SQLite), or
        ``postgresql://user:password@host:port/database`` (used through psycopg 3).
    create : bool
        Create the tables when the database has none (default True). With False a missing
        SQLite file or an empty database raises :class:`HistoryNotFoundError`.
    migrate : bool
        Upgrade a store written by an older driftscope (default True). With False such a
        store raises :class:`HistorySchemaError`; readers such as the dashboard use this so
        that only writers change the schema.
    busy_timeout : float
        Seconds a SQLite writer waits for another writer's lock (default 30).
    init : bool
        Add driftscope's tables to an existing database that holds other tables but not
        driftscope's (default False: such a database raises :class:`HistoryForeignError`
        before anything is written to it). An empty database, or a SQLite path that does not
        exist yet, needs no ``init``. Only writers (``create=True``) use it.

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
        url: str | os.PathLike[str],
        *,
        create: bool = True,
        migrate: bool = True,
        busy_timeout: float = _SQLITE_BUSY_SECONDS,
        init: bool = False,
    ) -> None:
        parsed = parse_url(url)
        self.url = mask_url(str(url).strip())
        """The store's URL as given, with its password masked."""
        check_location(parsed, self.url, create=create)
        self._db = Database(parsed, self.url, busy_timeout)
        try:
            prepare(self._db, create=create, migrate=migrate, init=bool(init))
        except BaseException:
            self._db.dispose()
            raise

    @property
    def _engine(self) -> Any:
        """The SQLAlchemy engine (for tests that look at the raw tables)."""
        return self._db.engine

    def schema_version(self) -> int:
        """The schema version of the store."""
        with self._db.errors("read"), self._db.engine.connect() as conn:
            return int(read_version(self.url, conn) or 0)

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

        runs = schema.tables()["runs"]
        payload = result.to_json(indent=None)
        run_id = result.run.id
        try:
            with self._db.transaction(write=True) as conn:
                if self._seq(conn, run_id) is not None:
                    raise _AlreadyStored(None)
                try:
                    seq = conn.execute(
                        insert(runs).values(**_rows.run_row(result, payload))
                    ).inserted_primary_key[0]
                except IntegrityError as exc:  # a concurrent writer stored the same id first?
                    raise _AlreadyStored(exc) from None
                _rows.write_round(conn, seq, result)
        except _AlreadyStored as stop:
            if stop.cause is not None and not self.contains(run_id):
                with self._db.errors("write to"):
                    raise stop.cause from None

    def record_profiles(
        self, run_id: str, profiles: Mapping[str, ColumnProfile] | DatasetProfile
    ) -> None:
        """Store the column profiles of a stored round, all in one transaction.

        The round must be recorded first (:meth:`record`). Like recording a round, this is
        idempotent: when the round already has profiles stored, nothing is written and the
        stored ones are kept, even if ``profiles`` differ. ``sorted_values`` are not stored.

        Parameters
        ----------
        run_id : str
            The round's run id.
        profiles : mapping of str to NumericProfile or CategoricalProfile, or DatasetProfile
            The profiles, each keyed by its column name (a DatasetProfile's ``columns``).

        Raises
        ------
        RunNotFoundError
            When no round with that run id is stored; nothing is written.
        HistoryError
            When a value is not a column profile or is keyed by another name, or the
            database cannot be written; nothing is written then.
        """
        from sqlalchemy import insert, select
        from sqlalchemy.exc import IntegrityError

        from driftscope.store.profiles import profile_rows  # imports numpy: only here

        table = schema.tables()["profiles"]
        try:
            with self._db.transaction(write=True) as conn:
                seq = self._seq(conn, run_id)
                if seq is None:
                    raise self._not_found(run_id)
                stored = select(table.c.position).where(table.c.run_seq == seq).limit(1)
                if conn.execute(stored).first() is not None:
                    raise _AlreadyStored(None)
                rows = profile_rows(run_id, seq, profiles)
                if rows:
                    try:
                        conn.execute(insert(table), rows)
                    except IntegrityError as exc:  # a concurrent writer stored them first?
                        raise _AlreadyStored(exc) from None
        except _AlreadyStored as stop:
            if stop.cause is not None and not self.profiles(run_id):
                with self._db.errors("write to"):
                    raise stop.cause from None

    # -- lifetime ----------------------------------------------------------------------
    def close(self) -> None:
        """Release the database connections. The store cannot be used afterwards."""
        self._db.dispose()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HistoryStore({self.url!r})"
