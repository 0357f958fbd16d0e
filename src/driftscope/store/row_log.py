"""Per-row ids of a round (``id_column``), kept so that labels arriving later attach to it.

A round run with ``id_column`` hands its rows' ids, predictions and labels to :func:`keep`
(keyed by run id; a :class:`~driftscope.result.RunResult` holds no rows). When the round is
recorded, :func:`write_rows` stores them in the same transaction as the round
(``driftscope_row_sets`` and ``driftscope_row_predictions``, schema version 4), so a round and
its ids land together or not at all. Rounds that are never recorded are forgotten: at most
:data:`MAX_PENDING` rounds are held, the oldest dropped first.

:func:`attach` is the write side of late labels: it sets the labels of the stored rows with
the given ids and has a caller-given function recompute each touched round, all in one
transaction (:func:`driftscope.labels.attach_labels`).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from driftscope.store.rows import num, utc_now
from driftscope.store.schema import tables

if TYPE_CHECKING:  # pragma: no cover
    from driftscope.store.history import HistoryStore

__all__ = ["MAX_PENDING", "SKIP", "RoundRows", "StoredRows", "attach", "coverage", "keep",
           "label_coverage", "pending", "replace_result", "stored_result", "targets",
           "write_rows"]

MAX_PENDING = 8
"""Rounds whose rows are held until recorded (a round never recorded is dropped in time)."""

_CHUNK = 5_000  # rows per INSERT / lookup statement
_LOCK = threading.Lock()
_PENDING: OrderedDict[str, RoundRows] = OrderedDict()


@dataclass(frozen=True, eq=False)
class RoundRows:
    """A round's rows as late labels need them, aligned by position.

    ``ids`` as text; ``proba`` the probability of the positive class (None where unknown),
    ``predicted`` the predicted class and ``labels`` the label in the model's coding (None
    where unknown); each sequence is None when the round had none at all. ``context``: what
    recomputing the round's performance needs (positive class, label mapping, baseline,
    thresholds; plain JSON data)."""

    id_column: str
    ids: Sequence[str]
    proba: Sequence[float | None] | None = None
    predicted: Sequence[str | None] | None = None
    labels: Sequence[str | None] | None = None
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class StoredRows:
    """The stored rows of one round (what :func:`attach` hands its recompute function)."""

    run_id: str
    run_seq: int
    id_column: str
    proba: list[float | None]
    predicted: list[str | None]
    labels: list[str | None]
    context: dict[str, Any]

    @property
    def labelled(self) -> int:
        return sum(v is not None for v in self.labels)


def keep(run_id: str, rows: RoundRows) -> None:
    """Hold ``rows`` until the round ``run_id`` is recorded (see :func:`write_rows`)."""
    with _LOCK:
        _PENDING[run_id] = rows
        _PENDING.move_to_end(run_id)
        while len(_PENDING) > MAX_PENDING:
            _PENDING.popitem(last=False)


def pending(run_id: str) -> RoundRows | None:
    """The rows held for ``run_id``, None when there are none."""
    with _LOCK:
        return _PENDING.get(run_id)


def write_rows(conn: Any, seq: int, run_id: str) -> None:
    """Insert the rows held for ``run_id`` below its runs row ``seq`` (inside the transaction
    that recorded the round); nothing when none are held."""
    from sqlalchemy import insert

    rows = pending(run_id)
    if rows is None:
        return
    t = tables()
    conn.execute(insert(t["row_sets"]), [{
        "run_seq": seq, "id_column": rows.id_column, "rows": len(rows.ids),
        "context_json": json.dumps(rows.context, allow_nan=False, sort_keys=True)}])
    n = len(rows.ids)
    proba = rows.proba if rows.proba is not None else [None] * n
    predicted = rows.predicted if rows.predicted is not None else [None] * n
    labels = rows.labels if rows.labels is not None else [None] * n
    for start in range(0, n, _CHUNK):
        conn.execute(insert(t["row_predictions"]), [
            {"run_seq": seq, "position": i, "row_id": rows.ids[i], "proba": num(proba[i]),
             "predicted": predicted[i], "label": labels[i], "labelled_at": None}
            for i in range(start, min(n, start + _CHUNK))])
    with _LOCK:
        _PENDING.pop(run_id, None)


def _stored(conn: Any, seq: int, run_id: str) -> StoredRows:
    from sqlalchemy import select

    t = tables()
    sets = t["row_sets"]
    head = conn.execute(select(sets).where(sets.c.run_seq == seq)).mappings().one()
    p = t["row_predictions"]
    data = conn.execute(select(p.c.proba, p.c.predicted, p.c.label)
                        .where(p.c.run_seq == seq).order_by(p.c.position)).all()
    return StoredRows(run_id=run_id, run_seq=seq, id_column=head["id_column"],
                      proba=[r[0] for r in data], predicted=[r[1] for r in data],
                      labels=[r[2] for r in data], context=json.loads(head["context_json"]))


SKIP = "\x00driftscope-skip"
"""What ``coded`` returns for a label that must not be written (the row keeps its label)."""

Recompute = Callable[[Any, StoredRows], None]
"""What :func:`attach` calls per touched round, inside its transaction: ``(conn, rows)``."""


def attach(store: HistoryStore, labels: Mapping[str, str | None],
           coded: Callable[[str | None, dict[str, Any]], str | None],
           recompute: Recompute) -> tuple[set[str], dict[str, tuple[int, int, int]]]:
    """Set the label of every stored row whose id is a key of ``labels``, then call
    ``recompute`` for each round touched, all in one transaction.

    ``coded(raw, context)`` turns a raw label into the round's coding (:data:`SKIP`: leave
    that row as it is; a round left with no change is not recomputed). Returns the ids that
    matched a stored row, and per touched round (by run id) ``(rows newly labelled, labelled
    rows, rows)``.
    """
    from sqlalchemy import bindparam, select, update

    t = tables()
    p, runs = t["row_predictions"], t["runs"]
    ids = list(labels)
    matched: set[str] = set()
    touched: dict[int, list[tuple[int, str]]] = {}
    stamp = utc_now()
    out: dict[str, tuple[int, int, int]] = {}
    with store._db.transaction(write=True) as conn:
        for start in range(0, len(ids), _CHUNK):
            part = ids[start:start + _CHUNK]
            for seq, position, row_id in conn.execute(
                    select(p.c.run_seq, p.c.position, p.c.row_id).where(p.c.row_id.in_(part))):
                matched.add(row_id)
                touched.setdefault(int(seq), []).append((int(position), row_id))
        if not touched:
            return matched, out
        names = dict(conn.execute(select(runs.c.seq, runs.c.run_id)
                                  .where(runs.c.seq.in_(list(touched)))).all())
        contexts = {seq: json.loads(text) for seq, text in conn.execute(
            select(t["row_sets"].c.run_seq, t["row_sets"].c.context_json)
            .where(t["row_sets"].c.run_seq.in_(list(touched)))).all()}
        statement = (update(p).where(p.c.run_seq == bindparam("s"),
                                     p.c.position == bindparam("pos"))
                     .values(label=bindparam("lab"), labelled_at=bindparam("at")))
        for seq in sorted(touched):
            changes = [{"s": seq, "pos": pos, "lab": coded(labels[row_id], contexts[seq]),
                        "at": stamp} for pos, row_id in touched[seq]]
            changes = [c for c in changes if c["lab"] != SKIP]
            if not changes:
                continue
            for start in range(0, len(changes), _CHUNK):
                conn.execute(statement, changes[start:start + _CHUNK])
            rows = _stored(conn, seq, names[seq])
            recompute(conn, rows)
            out[names[seq]] = (len(changes), rows.labelled, len(rows.labels))
    return matched, out


def coverage(store: HistoryStore, run_ids: Sequence[str] | None = None
             ) -> dict[str, tuple[int, int]]:
    """Per stored round that kept row ids: (labelled rows, rows), by run id (only
    ``run_ids`` when given)."""
    from sqlalchemy import func, select

    t = tables()
    p, runs = t["row_predictions"], t["runs"]
    query = (select(runs.c.run_id, func.count(p.c.label), func.count())
             .join(runs, runs.c.seq == p.c.run_seq).group_by(runs.c.run_id))
    if run_ids is not None:
        query = query.where(runs.c.run_id.in_(list(run_ids)))
    with store._db.errors("read"), store._db.engine.connect() as conn:
        return {r[0]: (int(r[1]), int(r[2])) for r in conn.execute(query)}


def replace_result(conn: Any, seq: int, result: Any) -> None:
    """Rewrite a stored round's header fields that late labels change (status, reason,
    recommendation, performance status, the result's JSON) and its performance rows,
    inside ``conn``'s transaction; the columns, bins and profiles stay as they were."""
    from sqlalchemy import delete, insert, update

    from driftscope.result import Severity
    from driftscope.store.rows import level_value

    t = tables()
    perf = result.performance
    conn.execute(update(t["runs"]).where(t["runs"].c.seq == seq).values(
        status=Severity(result.status).value, reason=result.reason,
        recommendation=result.recommendation,
        performance_status=level_value(perf.status if perf is not None else None),
        result_json=result.to_json(indent=None)))
    conn.execute(delete(t["performance"]).where(t["performance"].c.run_seq == seq))
    if perf is not None and perf.metrics:
        conn.execute(insert(t["performance"]), [
            {"run_seq": seq, "metric": name, "current": num(m.current),
             "estimated": num(m.estimated), "baseline": num(m.baseline),
             "relative_change": num(m.relative_change), "status": Severity(m.status).value}
            for name, m in perf.metrics.items()])


def stored_result(conn: Any, seq: int) -> Any:
    """The stored result of round ``seq`` (a :class:`~driftscope.result.RunResult`)."""
    from sqlalchemy import select

    from driftscope.result import RunResult

    runs = tables()["runs"]
    text = conn.execute(select(runs.c.result_json).where(runs.c.seq == seq)).scalar_one()
    return RunResult.from_json(text)


def targets(store: HistoryStore) -> list[str]:
    """The target columns of the stored rounds that kept row ids, newest round first."""
    from sqlalchemy import select

    sets = tables()["row_sets"]
    with store._db.errors("read"), store._db.engine.connect() as conn:
        texts = conn.execute(select(sets.c.context_json).order_by(sets.c.run_seq.desc()))
        found = [json.loads(t[0]).get("target") for t in texts]
    return list(dict.fromkeys(t for t in found if t))


def label_coverage(reader: Any) -> dict[str, dict[str, Any]]:
    """``{"label_coverage": {labelled, rows, share}}`` per stored round that kept row ids, by
    run id, for ``driftscope history --format json``; empty for a reader that is not a
    :class:`HistoryStore`."""
    if getattr(reader, "_db", None) is None:
        return {}
    return {run_id: {"label_coverage": {"labelled": labelled, "rows": rows,
                                        "share": round(labelled / rows, 6) if rows else None}}
            for run_id, (labelled, rows) in coverage(reader).items()}
