"""Writing the history: round-trips, normalised rows, whole-or-nothing rounds, many writers.

Every store test runs on SQLite and, marked ``postgres``, on PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from driftscope.errors import HistoryError
from driftscope.result import DatasetInfo, RunResult, Severity
from driftscope.store import HistoryStore, rows, schema
from tests.factories import make_result
from tests.store.helpers import REPO, result_at, table_counts

# --------------------------------------------------------------------------------------
# round-trips
# --------------------------------------------------------------------------------------


def test_record_and_load_round_trip(store: HistoryStore) -> None:
    original = result_at(1, Severity.CRITICAL, window_start="2026-10-01", window_end="2026-10-07",
                         baseline="baseline-2026-01.json")  # fmt: skip
    store.record(original)
    loaded = store.load("run-001")
    assert loaded == original
    assert loaded.to_dict() == original.to_dict()
    [summary] = store.runs()
    assert summary.run_id == "run-001"
    assert summary.status is Severity.CRITICAL
    assert summary.window_start == "2026-10-01" and summary.window_end == "2026-10-07"
    assert summary.baseline == "baseline-2026-01.json"
    assert (summary.reference_rows, summary.current_rows) == (500, 400)
    assert summary.counts == {"NORMAL": 2, "WARNING": 0, "CRITICAL": 1}
    assert summary.features == 3
    assert summary.prediction_status is Severity.WARNING
    assert summary.performance_status is Severity.WARNING
    assert summary.recommendation == original.recommendation
    assert json.loads(json.dumps(summary.to_dict()))["status"] == "CRITICAL"


def test_normalised_rows_hold_every_metric_and_bin_share(store: HistoryStore) -> None:
    result = result_at(1, Severity.CRITICAL)
    store.record(result)
    counts = table_counts(store)
    columns = [*result.features, result.prediction]
    assert counts["runs"] == 1
    assert counts["columns"] == len(columns)
    assert counts["bins"] == sum(len(c.bins) for c in columns if c is not None)
    assert counts["performance"] == 2

    [point] = store.feature_series("income")
    income = result.feature("income")
    assert point.status is Severity.CRITICAL and point.type == "numerical"
    assert point.origin == "raw"
    for name in schema.METRIC_FIELDS:
        assert point.metrics[name] == pytest.approx(getattr(income.metrics, name))
    assert counts["column_metrics"] == 0  # the built-in fields all have their columns
    [bins] = store.bin_series("income")
    assert [b.label for b in bins.bins] == [b.label for b in income.bins]
    assert [b.reference_share for b in bins.bins] == pytest.approx(
        [b.reference_share for b in income.bins]
    )
    assert [b.current_share for b in bins.bins] == pytest.approx(
        [b.current_share for b in income.bins]
    )
    assert bins.bins[0].lower is None and bins.bins[-1].upper is None


def test_result_is_stored_as_plain_json_text(store: HistoryStore) -> None:
    from sqlalchemy import select

    store.record(result_at(1))
    runs = schema.tables()["runs"]
    with store._engine.connect() as conn:
        text = conn.execute(select(runs.c.result_json)).scalar_one()
    assert isinstance(text, str)
    assert json.loads(text)["run"]["id"] == "run-001"


def test_row_counts_are_plain_ints(store: HistoryStore) -> None:
    store.record(result_at(1, current=DatasetInfo(rows=12_345_678)))
    assert store.runs()[0].current_rows == 12_345_678


# --------------------------------------------------------------------------------------
# idempotence and transactions
# --------------------------------------------------------------------------------------


def test_recording_the_same_run_id_twice_keeps_the_first(store: HistoryStore) -> None:
    assert not store.contains("run-001")
    store.record(result_at(1, Severity.NORMAL))
    assert store.contains("run-001")
    counts = table_counts(store)
    store.record(result_at(1, Severity.CRITICAL))  # no-op, no error
    assert [r.status for r in store.runs()] == [Severity.NORMAL]
    assert table_counts(store) == counts


def test_contains_and_idempotent_record(store: HistoryStore, url: str) -> None:
    assert store.contains("run-001") is False
    store.record(result_at(1, Severity.NORMAL))
    assert store.contains("run-001") is True
    assert store.contains("run-00") is False and store.contains("RUN-001") is False
    counts = table_counts(store)
    store.record(result_at(1, Severity.CRITICAL))
    assert table_counts(store) == counts
    with HistoryStore(url) as again:  # a restarted writer re-recording after a crash
        assert again.contains("run-001")
        again.record(result_at(1))
        again.record(result_at(2))
        assert again.run_ids() == ["run-001", "run-002"]
        assert again.runs()[0].status is Severity.NORMAL  # the first one is kept


def test_a_failure_half_way_stores_nothing(
    store: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.record(result_at(1))
    before = table_counts(store)
    real = rows.write_column
    written: list[int] = []

    def failing(conn: Any, tables: Any, seq: int, position: int, item: Any) -> None:
        if len(written) == 2:  # two of four columns are in; the run row too
            raise RuntimeError("disk on fire")
        real(conn, tables, seq, position, item)
        written.append(position)

    monkeypatch.setattr(rows, "write_column", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        store.record(result_at(2))
    assert written == [0, 1]
    assert table_counts(store) == before
    assert [r.run_id for r in store.runs()] == ["run-001"]
    monkeypatch.setattr(rows, "write_column", real)
    store.record(result_at(2))  # nothing left locked or half-written
    assert [r.run_id for r in store.runs()] == ["run-001", "run-002"]


CRASHING_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from driftscope.store import HistoryStore, rows
    from tests.factories import make_result

    real = rows.write_column
    def slow(conn, tables, seq, position, item):
        if position == 2:
            Path(sys.argv[2]).write_text("half")
            time.sleep(60)
        real(conn, tables, seq, position, item)
    rows.write_column = slow
    HistoryStore(sys.argv[1]).record(make_result(run_id="crashed"))
    """
)


@pytest.mark.slow  # a writer subprocess, killed
def test_a_writer_killed_mid_round_leaves_no_partial_run(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    marker = tmp_path / "half"
    with HistoryStore(db) as s:
        s.record(result_at(1))
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WRITER, str(db), str(marker)], cwd=REPO
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert proc.poll() is None, "the writer ended before reaching the middle"
            assert time.monotonic() < deadline, "the writer never reached the middle"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    with HistoryStore(db, busy_timeout=5) as s:
        assert [r.run_id for r in s.runs()] == ["run-001"]
        assert table_counts(s)["columns"] == 4
        s.record(make_result(run_id="after-crash"))
        assert s.run_ids() == ["run-001", "after-crash"]


# --------------------------------------------------------------------------------------
# concurrency
# --------------------------------------------------------------------------------------


def _record_many(url: str, prefix: str, count: int, barrier: threading.Barrier,
                 errors: list[BaseException]) -> None:  # fmt: skip
    try:
        with HistoryStore(url) as s:
            barrier.wait(timeout=30)
            for i in range(count):
                s.record(make_result(run_id=f"{prefix}-{i}"))
    except BaseException as exc:  # pragma: no cover - reported by the test
        errors.append(exc)


def test_two_writers_at_once_both_land(url: str) -> None:
    HistoryStore(url).close()  # schema in place; the concurrent first open is tested below
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_record_many, args=(url, name, 15, barrier, errors))
        for name in ("a", "b")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with HistoryStore(url) as s:
        ids = s.run_ids()
        assert len(ids) == 30
        assert {i for i in ids if i.startswith("a-")} == {f"a-{i}" for i in range(15)}
        assert table_counts(s)["columns"] == 30 * 5


def test_the_same_run_id_from_two_writers_lands_once(url: str) -> None:
    HistoryStore(url).close()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def write() -> None:
        with HistoryStore(url) as s:
            barrier.wait(timeout=30)
            try:
                s.record(make_result(run_id="same"))
                outcomes.append("ok")
            except HistoryError as exc:  # pragma: no cover - reported by the test
                outcomes.append(str(exc))

    threads = [threading.Thread(target=write) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes == ["ok", "ok"]  # idempotent: the second one is a no-op
    with HistoryStore(url) as s:
        assert s.run_ids() == ["same"]
        assert table_counts(s)["runs"] == 1


WRITER_PROCESS = textwrap.dedent(
    """
    import sys, time
    from driftscope.store import HistoryStore
    from tests.factories import make_result

    from pathlib import Path

    url, prefix, folder = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    with HistoryStore(url) as store:
        (folder / f"ready-{prefix}").touch()
        deadline = time.time() + 60
        while len(list(folder.glob("ready-*"))) < 2 and time.time() < deadline:
            time.sleep(0.01)  # start together
        for i in range(10):
            store.record(make_result(run_id=f"{prefix}-{i}"))
    """
)


@pytest.mark.slow  # two writer subprocesses
def test_two_writer_processes_on_sqlite_both_land(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    HistoryStore(db).close()
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER_PROCESS, db, name, str(tmp_path)],
                         cwd=REPO, stderr=subprocess.PIPE, text=True)  # fmt: skip
        for name in ("p", "q")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with HistoryStore(db) as s:
        assert sorted(s.run_ids()) == sorted(f"{p}-{i}" for p in "pq" for i in range(10))


def _with_fields(result: RunResult, name: str, **fields: float | None) -> RunResult:
    """``result`` whose column ``name`` reports more metric fields (a metric registered
    since the store was designed)."""
    features = tuple(dataclasses.replace(f, metrics=f.metrics.replace(**fields))
                     if f.name == name else f for f in result.features)
    return dataclasses.replace(result, features=features)


def test_fields_without_a_column_are_rows_read_back_with_the_others(
        store: HistoryStore) -> None:
    store.record(result_at(1))  # before the new metric: no rows for it
    store.record(_with_fields(result_at(2), "income", drift_score=0.75, tail_ratio=None,
                              **{"Not A Field": 1.0}))
    store.record(_with_fields(result_at(3), "income", drift_score=float("inf")))
    assert table_counts(store)["column_metrics"] == 3  # the odd key stays in the JSON only
    points = store.feature_series("income")
    assert [p.metrics.get("drift_score") for p in points] == [None, 0.75, None]
    assert "drift_score" not in points[0].metrics and "tail_ratio" in points[1].metrics
    assert list(points[1].metrics)[:len(schema.METRIC_FIELDS)] == list(schema.METRIC_FIELDS)
    assert points[1].metrics["psi"] == pytest.approx(points[1].psi)
    flat = points[1].to_dict()
    assert flat["drift_score"] == 0.75 and flat["tail_ratio"] is None
    assert list(flat).index("drift_score") > list(flat).index("unseen_pvalue")
    assert "Not A Field" in store.load("run-002").feature("income").metrics
    by_round = {(p.run_id, p.name): p for p in store.series(last=2)}
    assert by_round[("run-002", "income")].metrics["drift_score"] == 0.75
    assert "drift_score" not in by_round[("run-002", "age")].metrics  # per column
    assert [p.run_id for p in store.series(names=["income"], last=1)] == ["run-003"]
