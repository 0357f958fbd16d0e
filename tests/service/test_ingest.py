"""The durable batch store: at most once per key, files only once indexed, rounds covering
each batch once, and what a killed process leaves undone recovered."""

from __future__ import annotations

import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from driftscope.service.ingest import IngestStore, KeyConflict, body_digest, read_batches


def _table(n: int, start: int = 0) -> pa.Table:
    return pa.table({"x": [float(i) for i in range(start, start + n)]})


def test_a_batch_is_a_durable_file_named_by_the_index(tmp_path: Path) -> None:
    store = IngestStore(tmp_path)
    stored = store.add("records", _table(5), body_digest(b"a", "text/csv"))
    assert (stored.seq, stored.rows, stored.duplicate) == (1, 5, False)
    files = list((tmp_path / "records").iterdir())
    assert len(files) == 1 and files[0].suffix == ".parquet"
    assert pq.read_table(files[0]).column("x").to_pylist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert store.counts() == {"batches": 1, "rows": 5, "label_rows": 0, "rounds": 0}
    store.close()


def test_a_key_stores_a_batch_once_even_from_concurrent_requests(tmp_path: Path) -> None:
    store = IngestStore(tmp_path)
    digest = body_digest(b"body", "application/json")
    results = []

    def send() -> None:
        results.append(store.add("records", _table(3), digest, key="k-1"))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(not r.duplicate for r in results) == 1
    assert {r.seq for r in results} == {1}
    assert len(list((tmp_path / "records").iterdir())) == 1
    assert store.counts()["rows"] == 3
    with pytest.raises(KeyConflict):  # the same key for another body
        store.add("records", _table(3), body_digest(b"other", "application/json"), key="k-1")
    # the same key for labels is another batch
    assert not store.add("labels", _table(2), digest, key="k-1").duplicate
    store.close()


def test_the_digest_depends_on_the_body_and_its_type() -> None:
    assert body_digest(b"a", "text/csv") == body_digest(b"a", "text/csv; charset=utf-8")
    assert body_digest(b"a", "text/csv") != body_digest(b"a", "application/json")
    assert body_digest(b"a", "text/csv") != body_digest(b"b", "text/csv")


def test_rounds_cover_each_batch_once(tmp_path: Path) -> None:
    store = IngestStore(tmp_path)
    for i in range(3):
        store.add("records", _table(2, 10 * i), body_digest(str(i).encode(), None))
    first = store.pending()
    assert (first.after, first.upto, first.rows, len(first.files)) == (0, 3, 6, 3)
    assert read_batches(first.files).column("x").to_pylist() == [0, 1, 10, 11, 20, 21]
    rid = store.begin_round(first)
    store.add("records", _table(1, 99), body_digest(b"late", None))  # during the round
    store.end_round(rid, done=True)
    second = store.pending()
    assert (second.after, second.upto, second.rows) == (3, 4, 1)
    failed = store.begin_round(second)
    store.end_round(failed, done=False)  # a failed round leaves its rows for the next
    assert store.pending().rows == 1
    store.close()


def test_recovery_removes_unindexed_files_and_settles_pending_rounds(tmp_path: Path) -> None:
    store = IngestStore(tmp_path)
    store.add("records", _table(2), body_digest(b"kept", None), key="kept")
    # what a kill leaves: a temporary file, a renamed file the index never got
    (tmp_path / "records" / "dead.parquet.tmp").write_bytes(b"partial")
    pq.write_table(_table(4), tmp_path / "records" / "orphan.parquet")
    recorded = store.begin_round(store.pending())
    store.name_round(recorded, "run-recorded")
    store.close()

    store = IngestStore(tmp_path)
    deleted, dropped = store.recover(lambda run_id: run_id == "run-recorded")
    assert (deleted, dropped) == (2, 0)
    assert len(list((tmp_path / "records").iterdir())) == 1  # the indexed one
    assert store.counts()["rounds"] == 1 and store.pending().rows == 0
    # a retry of the kept batch after the restart is not stored again
    again = store.add("records", _table(2), body_digest(b"kept", None), key="kept")
    assert again.duplicate and store.counts()["rows"] == 2

    store.add("records", _table(3), body_digest(b"new", None))
    lost = store.begin_round(store.pending())
    store.name_round(lost, "run-never-recorded")
    store.close()
    store = IngestStore(tmp_path)
    assert store.recover(lambda run_id: False) == (0, 1)
    assert store.pending().rows == 3  # the dropped round's rows go to the next one
    store.close()


def test_batches_with_different_column_types_are_read_together(tmp_path: Path) -> None:
    store = IngestStore(tmp_path)
    store.add("records", pa.table({"y": [1, 0]}), body_digest(b"1", None))
    store.add("records", pa.table({"y": ["bad", "good"], "z": [1.0, 2.0]}),
              body_digest(b"2", None))
    table = read_batches(store.pending().files)
    assert table.column("y").to_pylist() == ["1", "0", "bad", "good"]
    assert table.column("z").to_pylist() == [None, None, 1.0, 2.0]
    store.close()


def test_a_window_of_receive_times(tmp_path: Path) -> None:
    import time

    store = IngestStore(tmp_path)
    store.add("records", _table(2), body_digest(b"1", None))
    middle = time.time()
    time.sleep(0.01)
    store.add("records", _table(3), body_digest(b"2", None))
    assert store.between(middle, time.time() + 1).rows == 3
    assert store.between(0, middle).rows == 2
    assert store.between(0, 1).rows == 0
    store.close()


def test_a_spilled_copy_holds_every_batch_in_one_schema(tmp_path: Path) -> None:
    from driftscope.service.ingest import spill_batches

    store = IngestStore(tmp_path / "store")
    store.add("records", pa.table({"y": [1, 0]}), body_digest(b"1", None))
    store.add("records", pa.table({"y": ["bad", "good"], "z": [1.0, 2.0]}),
              body_digest(b"2", None))
    store.add("records", pa.table({"z": [3.0]}), body_digest(b"3", None))
    files = store.pending().files
    copy = pq.read_table(spill_batches(files, tmp_path / "copy.parquet"))
    assert copy.to_pydict() == read_batches(files).to_pydict() == {
        "y": ["1", "0", "bad", "good", None], "z": [None, None, 1.0, 2.0, 3.0]}
    assert pq.ParquetFile(tmp_path / "copy.parquet").num_row_groups == 3  # one per batch
    store.close()
