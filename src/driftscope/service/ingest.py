"""The durable store of received batches: one fsync'd Parquet file per batch and a SQLite index.

Layout of the store folder::

    STORE/ingest.db              the index: batches (seq, kind, key, digest, file, rows,
                                 received_at) and rounds (the cursor: rows up to which batch a
                                 round covered)
    STORE/records/<uuid>.parquet one accepted batch of production rows
    STORE/labels/<uuid>.parquet  one accepted batch of late labels

Storing a batch (:meth:`IngestStore.add`), every step durable before the next::

    1. write    <uuid>.parquet.tmp, fsync'd
    2. rename   to <uuid>.parquet (atomic), the folder fsync'd
    3. index    one row in ``batches``, committed with SQLite's synchronous=FULL

The answer (2xx) is sent after step 3. A process killed before it leaves a file no index row
names: :meth:`IngestStore.recover` deletes it when the service starts, so a batch is stored
once the index holds it, and only then. A batch sent with an ``Idempotency-Key`` that the
index already holds (for the same body) is not stored again, even after a crash and restart.

Rounds read batches by their sequence number: a round covers the batches after the previous
round's last one, up to the newest at its start. Its row in ``rounds`` is written before the
round runs (``pending``), gets the run id once the result exists, and is marked ``done`` after
the round is recorded in the history; a pending round whose run the history holds is finished
on recovery, any other is dropped, so its rows go to the next round: every acknowledged row is
in exactly one round.

The test suite kills the service at each of these steps through the environment variable
``DRIFTSCOPE_SERVICE_FAULT`` (``ingest-written``, ``ingest-indexed``, ``round-named``,
``round-recorded``); it has no other use.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

__all__ = ["IngestStore", "KeyConflict", "Pending", "StoreBusy", "Stored", "body_digest",
           "fault"]

KINDS = ("records", "labels")
INDEX = "ingest.db"
MAX_KEY_CHARS = 200

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    key TEXT,
    digest TEXT NOT NULL,
    file TEXT NOT NULL UNIQUE,
    rows INTEGER NOT NULL,
    received_at REAL NOT NULL,
    UNIQUE (kind, key)
);
CREATE TABLE IF NOT EXISTS rounds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    after_seq INTEGER NOT NULL,
    upto_seq INTEGER NOT NULL,
    run_id TEXT,
    state TEXT NOT NULL,
    started_at REAL NOT NULL,
    labels_upto INTEGER NOT NULL DEFAULT 0
);
"""


class StoreBusy(Exception):
    """Another process holds the store folder."""


class KeyConflict(Exception):
    """An ``Idempotency-Key`` used before for a different body."""


@dataclass(frozen=True)
class Stored:
    """A batch in the store: its sequence number and rows, and whether it was there before
    (a retry with a known ``Idempotency-Key``)."""

    seq: int
    rows: int
    duplicate: bool


@dataclass(frozen=True)
class Pending:
    """The batches of production rows a round would cover: after ``after``, up to ``upto``."""

    after: int
    upto: int
    files: tuple[Path, ...]
    rows: int


def body_digest(body: bytes, content_type: str | None) -> str:
    """What identifies a request's content for idempotency: its type and bytes."""
    h = hashlib.sha256((content_type or "").split(";")[0].strip().lower().encode())
    h.update(b"\0")
    h.update(body)
    return h.hexdigest()


FAULT_ENV = "DRIFTSCOPE_SERVICE_FAULT"


def fault(step: str) -> None:
    """Test hook: die here, as ``kill -9`` or a power cut would."""
    if os.environ.get(FAULT_ENV) == step:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def _hold(folder: Path) -> int | None:
    """An exclusive advisory lock on the store folder for this process's lifetime: a second
    service on the same store would delete the first one's batches in flight as leftovers."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return None
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise StoreBusy(f"{folder} is used by another driftscope serve; stop it or choose "
                        "another --store") from None
    return fd


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class IngestStore:
    """Received batches in ``folder`` (created when missing); see the module docstring.

    Thread-safe: writers of files run in parallel, index updates take turns.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        for kind in KINDS:
            (self.folder / kind).mkdir(parents=True, exist_ok=True)
        self._held = _hold(self.folder)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.folder / INDEX, check_same_thread=False,
                                   isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()
        if self._held is not None:
            os.close(self._held)
            self._held = None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- batches -----------------------------------------------------------------------
    def find(self, kind: str, key: str, digest: str) -> Stored | None:
        """The batch stored under ``key``, None when there is none; :class:`KeyConflict`
        when the key was used for another body."""
        with self._lock:
            row = self._db.execute("SELECT seq, rows, digest FROM batches WHERE kind = ? AND "
                                   "key = ?", (kind, key)).fetchone()
        if row is None:
            return None
        if row[2] != digest:
            raise KeyConflict(key)
        return Stored(seq=int(row[0]), rows=int(row[1]), duplicate=True)

    def add(self, kind: str, table: pa.Table, digest: str, key: str | None = None) -> Stored:
        """Store a batch durably (see the module docstring); with ``key``, at most once."""
        import pyarrow.parquet as pq

        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if key is not None:
            known = self.find(kind, key, digest)
            if known is not None:
                return known
        name = f"{uuid.uuid4().hex}.parquet"
        final = self.folder / kind / name
        tmp = final.with_name(name + ".tmp")
        with open(tmp, "wb") as fh:
            pq.write_table(table, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        _fsync_dir(final.parent)
        fault("ingest-written")
        try:
            with self._transaction() as db:
                if key is not None:  # a concurrent request with the same key won the race
                    row = db.execute("SELECT seq, rows, digest FROM batches WHERE kind = ? "
                                     "AND key = ?", (kind, key)).fetchone()
                    if row is not None:
                        final.unlink()
                        if row[2] != digest:
                            raise KeyConflict(key)
                        return Stored(seq=int(row[0]), rows=int(row[1]), duplicate=True)
                cur = db.execute("INSERT INTO batches (kind, key, digest, file, rows, "
                                 "received_at) VALUES (?, ?, ?, ?, ?, ?)",
                                 (kind, key, digest, f"{kind}/{name}", table.num_rows,
                                  time.time()))
                seq = int(cur.lastrowid or 0)
        except BaseException:
            final.unlink(missing_ok=True)
            raise
        fault("ingest-indexed")
        return Stored(seq=seq, rows=table.num_rows, duplicate=False)

    def recover(self, finished: Callable[[str], bool]) -> tuple[int, int]:
        """Undo what a killed process left: files no index row names are deleted (their
        batch was never acknowledged); a pending round is finished when ``finished(run_id)``
        (the history holds it), else dropped. Returns (files deleted, rounds dropped)."""
        with self._lock:
            named = {r[0] for r in self._db.execute("SELECT file FROM batches")}
        deleted = 0
        for spilled in self.folder.glob(".round-*.parquet"):  # a streamed round's copy
            spilled.unlink(missing_ok=True)
        for kind in KINDS:
            for path in (self.folder / kind).iterdir():
                if f"{kind}/{path.name}" not in named:
                    path.unlink(missing_ok=True)
                    deleted += 1
        dropped = 0
        with self._transaction() as db:
            for rid, run_id in db.execute("SELECT id, run_id FROM rounds WHERE state = "
                                          "'pending'").fetchall():
                if run_id is not None and finished(run_id):
                    db.execute("UPDATE rounds SET state = 'done' WHERE id = ?", (rid,))
                else:
                    db.execute("DELETE FROM rounds WHERE id = ?", (rid,))
                    dropped += 1
        return deleted, dropped

    # -- rounds ------------------------------------------------------------------------
    def _cursor(self) -> int:
        row = self._db.execute("SELECT MAX(upto_seq) FROM rounds WHERE state = 'done'"
                               ).fetchone()
        return int(row[0] or 0)

    def pending(self) -> Pending:
        """The production rows received since the last round."""
        with self._lock:
            after = self._cursor()
            rows = self._db.execute("SELECT seq, file, rows FROM batches WHERE kind = "
                                    "'records' AND seq > ? ORDER BY seq", (after,)).fetchall()
        return Pending(after=after, upto=int(rows[-1][0]) if rows else after,
                       files=tuple(self.folder / r[1] for r in rows),
                       rows=sum(int(r[2]) for r in rows))

    def between(self, start: float, end: float) -> Pending:
        """The production rows received from ``start`` up to ``end`` (Unix seconds)."""
        with self._lock:
            rows = self._db.execute("SELECT seq, file, rows FROM batches WHERE kind = "
                                    "'records' AND received_at >= ? AND received_at < ? "
                                    "ORDER BY seq", (start, end)).fetchall()
        return Pending(after=int(rows[0][0]) - 1 if rows else 0,
                       upto=int(rows[-1][0]) if rows else 0,
                       files=tuple(self.folder / r[1] for r in rows),
                       rows=sum(int(r[2]) for r in rows))

    def begin_round(self, pending: Pending) -> int:
        """Write down a round over ``pending`` before it runs; returns its row id."""
        with self._transaction() as db:
            cur = db.execute("INSERT INTO rounds (after_seq, upto_seq, state, started_at) "
                             "VALUES (?, ?, 'pending', ?)",
                             (pending.after, pending.upto, time.time()))
            return int(cur.lastrowid or 0)

    def name_round(self, round_id: int, run_id: str) -> None:
        """The run id of a pending round, once its result exists (before it is recorded)."""
        with self._transaction() as db:
            db.execute("UPDATE rounds SET run_id = ? WHERE id = ?", (run_id, round_id))

    def end_round(self, round_id: int, done: bool) -> tuple[Path, ...]:
        """The round is recorded (``done``: its rows are covered) or failed (dropped).

        A round done returns the label batches stored since the previous round was done: a
        label that arrived before the round recorded its row is attached once more after it
        (labels stored later attach themselves to the rounds recorded by then)."""
        with self._transaction() as db:
            if not done:
                db.execute("DELETE FROM rounds WHERE id = ?", (round_id,))
                return ()
            after = int(db.execute("SELECT COALESCE(MAX(labels_upto), 0) FROM rounds WHERE "
                                   "state = 'done'").fetchone()[0])
            upto = int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM batches WHERE kind = "
                                  "'labels'").fetchone()[0])
            db.execute("UPDATE rounds SET state = 'done', labels_upto = ? WHERE id = ?",
                       (upto, round_id))
            files = db.execute("SELECT file FROM batches WHERE kind = 'labels' AND seq > ? "
                               "AND seq <= ? ORDER BY seq", (after, upto)).fetchall()
        return tuple(self.folder / f[0] for f in files)

    def counts(self) -> dict[str, int]:
        """Batches and rows of production data stored, and rounds done."""
        with self._lock:
            batches, rows = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(rows), 0) FROM batches WHERE kind = 'records'"
            ).fetchone()
            labels = self._db.execute("SELECT COALESCE(SUM(rows), 0) FROM batches WHERE "
                                      "kind = 'labels'").fetchone()[0]
            rounds = self._db.execute("SELECT COUNT(*) FROM rounds WHERE state = 'done'"
                                      ).fetchone()[0]
        return {"batches": int(batches), "rows": int(rows), "label_rows": int(labels),
                "rounds": int(rounds)}

    def last_received(self) -> float | None:
        with self._lock:
            row = self._db.execute("SELECT MAX(received_at) FROM batches WHERE kind = "
                                   "'records'").fetchone()
        return None if row[0] is None else float(row[0])


def read_batches(files: tuple[Path, ...]) -> pa.Table:
    """The stored batches as one table (columns a batch lacks are null in its rows; a column
    stored with different types in different batches is read as text)."""
    import pyarrow.parquet as pq

    tables = [pq.read_table(f) for f in files]
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        types: dict[str, set[pa.DataType]] = {}
        for t in tables:
            for field in t.schema:
                types.setdefault(field.name, set()).add(field.type)
        mixed = {n for n, ts in types.items() if len({x for x in ts if x != pa.null()}) > 1}
        import pyarrow.compute as pc

        fixed = []
        for t in tables:
            for name in mixed & set(t.column_names):
                i = t.column_names.index(name)
                t = t.set_column(i, pa.field(name, pa.string()),
                                 pc.cast(t.column(i), pa.string()))
            fixed.append(t)
        return pa.concat_tables(fixed, promote_options="permissive")


def _unified_schema(files: tuple[Path, ...]) -> pa.Schema:
    """One schema for every stored batch: a column a batch lacks is added; a column stored
    with different types is text."""
    import pyarrow.parquet as pq

    schemas = [pq.read_schema(f).remove_metadata() for f in files]
    try:
        return pa.unify_schemas(schemas, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        fields: dict[str, pa.DataType] = {}
        for schema in schemas:
            for f in schema:
                known = fields.get(f.name)
                fields[f.name] = f.type if known is None or known == pa.null() or \
                    known == f.type else (known if f.type == pa.null() else pa.string())
        return pa.schema(list(fields.items()))


def spill_batches(files: tuple[Path, ...], target: Path) -> Path:
    """The stored batches copied into one Parquet file, a batch at a time (bounded memory),
    for a round read by the streaming backend."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    schema = _unified_schema(files)
    with pq.ParquetWriter(target, schema) as writer:
        for f in files:
            table = pq.read_table(f)
            columns = []
            for field in schema:
                if field.name in table.column_names:
                    columns.append(pc.cast(table.column(field.name), field.type))
                else:
                    columns.append(pa.nulls(table.num_rows, field.type))
            writer.write_table(pa.table(columns, schema=schema))
    return target
