"""Schema version 4: the per-row ids of rounds run with ``id_column``
(``driftscope_row_sets``, ``driftscope_row_predictions``) added to a version-3 store, and
written with the round in one transaction.

Tests that take ``url`` run on SQLite and, marked ``postgres``, on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from driftscope.cli import main
from driftscope.store import HistorySchemaError, HistoryStore, row_log, schema
from tests.store.helpers import result_at


def _rows(n: int = 4) -> row_log.RoundRows:
    return row_log.RoundRows(
        id_column="ID", ids=[f"id-{i}" for i in range(n)],
        proba=[0.1 * i for i in range(n)], predicted=["1" if i > 1 else "0" for i in range(n)],
        labels=None, context={"target": "y", "positive_class": "1"})


def _version_3_store(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:  # a store as driftscope wrote it before version 4
        patch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:3])
        with HistoryStore(url) as s:
            s.record(result_at(1))
            assert s.schema_version() == 3


def test_version_4_adds_the_row_tables_to_a_version_3_store(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import inspect, select

    assert len(schema.MIGRATIONS) == 4
    _version_3_store(url, monkeypatch)
    with pytest.raises(HistorySchemaError, match="schema version 3; this one uses 4") as info:
        HistoryStore(url, create=False, migrate=False)  # readers never change the schema
    assert (info.value.found, info.value.expected) == (3, 4)
    with HistoryStore(url) as s:  # a writer upgrades it
        assert s.schema_version() == 4
        with s._engine.connect() as conn:
            assert inspect(conn).has_table("driftscope_row_sets")
            assert inspect(conn).has_table("driftscope_row_predictions")
        assert s.run_ids() == ["run-001"] and s.load("run-001").run.id == "run-001"
        assert row_log.coverage(s) == {}  # the round stored before kept no ids
        second = result_at(2)
        row_log.keep(second.run.id, _rows())
        s.record(second)
    with HistoryStore(url, create=False, migrate=False) as s:
        assert row_log.coverage(s) == {"run-002": (0, 4)}
        p = schema.tables()["row_predictions"]
        with s._engine.connect() as conn:
            got = conn.execute(select(p.c.row_id, p.c.proba, p.c.predicted)
                               .order_by(p.c.position)).all()
        assert [tuple(r) for r in got] == [("id-0", 0.0, "0"), ("id-1", 0.1, "0"),
                                           ("id-2", 0.2, "1"), ("id-3", pytest.approx(0.3), "1")]
    assert row_log.pending("run-002") is None  # written once: no longer held


def test_a_round_and_its_rows_land_in_one_transaction(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from driftscope.errors import HistoryError

    result = result_at(3)
    row_log.keep(result.run.id, _rows())

    def broken(conn: object, seq: int, run_id: str) -> None:
        raise HistoryError("rows could not be written")

    with HistoryStore(url) as s:
        with monkeypatch.context() as patch:
            patch.setattr(row_log, "write_rows", broken)
            with pytest.raises(HistoryError):
                s.record(result)
        assert not s.contains(result.run.id)  # the round did not land without its rows
        s.record(result)  # the rows are still held: a retry stores both
        assert row_log.coverage(s) == {result.run.id: (0, 4)}


def test_the_pending_rows_are_bounded() -> None:
    for i in range(row_log.MAX_PENDING + 3):
        row_log.keep(f"bounded-{i}", _rows(1))
    assert row_log.pending("bounded-0") is None
    assert row_log.pending(f"bounded-{row_log.MAX_PENDING + 2}") is not None


def test_driftscope_labels_upgrades_a_version_3_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "h.db"
    _version_3_store(f"sqlite:///{path}", monkeypatch)
    labels = tmp_path / "labels.csv"
    labels.write_text("ID,y\nid-0,1\n")
    code = main(["labels", "--file", str(labels), "--id-column", "ID", "--label-column", "y",
                 "--history", str(path)])
    assert code == 0
    assert "0 matched a recorded row, 1 unmatched" in capsys.readouterr().out
    with HistoryStore(path, create=False, migrate=False) as s:
        assert s.schema_version() == 4
