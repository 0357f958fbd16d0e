"""A real ``driftscope serve`` (uvicorn on 127.0.0.1, a subprocess) under a bounded load, killed
with SIGKILL in the middle of it and restarted, and running a scheduled round by itself."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest

from tests.service.conftest import AUTH, BODIES, TYPES, rows

pytestmark = pytest.mark.slow  # servers, 200,000 rows

BATCHES, ROWS, CLIENTS = 200, 1_000, 4
ID_CONFIG = "id_column: rid\n"


def batch(i: int) -> tuple[str, bytes]:
    """Batch ``i``: 1,000 rows with the ids i*1000 .. i*1000+999, in a format by turns."""
    frame = rows(ROWS, seed=1000 + i)
    frame["rid"] = range(i * ROWS, (i + 1) * ROWS)
    kind = ("json", "csv", "parquet")[i % 3]
    return kind, BODIES[kind](frame)


def bad_batch(i: int) -> bytes:
    frame = rows(ROWS, seed=5000 + i)
    frame["rid"] = range(10_000_000 + i * ROWS, 10_000_000 + (i + 1) * ROWS)
    frame["children"] = frame["children"].astype(object)
    frame.loc[ROWS - 1, "children"] = "many"
    return BODIES["json"](frame)


@dataclass
class Tally:
    """What the clients saw."""

    acknowledged: dict[int, int] = field(default_factory=dict)  # batch -> stored seq
    duplicates: int = 0
    refused: int = 0
    transport_errors: int = 0
    other: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def send(url: str, i: int, tally: Tally, *, retry_until: float, repeat: bool) -> None:
    """Send batch ``i`` under the key ``batch-i`` until it is acknowledged (a retry after a
    lost answer or a dead server uses the same key); ``repeat`` sends it once more after."""
    kind, body = batch(i)
    head = {**AUTH, "Content-Type": TYPES[kind], "Idempotency-Key": f"batch-{i}"}
    sends = 2 if repeat else 1
    while sends:
        try:
            answer = httpx.post(f"{url}/v1/records", content=body, headers=head, timeout=60)
        except httpx.HTTPError:
            with tally.lock:
                tally.transport_errors += 1
            if time.monotonic() > retry_until:
                raise
            time.sleep(0.1)
            continue
        with tally.lock:
            if answer.status_code == 201:
                assert i not in tally.acknowledged, "a batch was stored twice"
                tally.acknowledged[i] = answer.json()["batch"]
            elif answer.status_code == 200 and answer.json()["duplicate"]:
                tally.duplicates += 1
                seq = tally.acknowledged.setdefault(i, answer.json()["batch"])
                assert seq == answer.json()["batch"]
            else:
                tally.other.append((i, answer.status_code, answer.text[:200]))
        sends -= 1


def run_clients(url: Any, tally: Tally, *, retry_seconds: float = 0.0,
                extra: Any = None) -> None:
    """CLIENTS threads share the batches; every 10th is sent twice under its key."""
    deadline = time.monotonic() + retry_seconds

    def client(c: int) -> None:
        for i in range(c, BATCHES, CLIENTS):
            send(url() if callable(url) else url, i, tally, retry_until=deadline,
                 repeat=i % 10 == 0)
            if extra is not None:
                extra(i, tally)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads), "a client did not finish"


def stored_ids(store: Path) -> Counter[int]:
    ids: Counter[int] = Counter()
    for path in (store / "records").glob("*.parquet"):
        ids.update(int(v) for v in pq.read_table(path, columns=["rid"]).column("rid")
                   .to_pylist())
    return ids


def all_ids() -> Counter[int]:
    return Counter(range(BATCHES * ROWS))


def metric(url: str, name: str, **labels: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"{url}/metrics", headers=AUTH, timeout=30).text
    return sum(float(s.value) for f in text_string_to_metric_families(text) for s in f.samples
               if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


def test_a_bounded_load_is_stored_exactly_once_and_counted(server: Any, tmp_path: Path) -> None:
    srv = server(ID_CONFIG + "service:\n  max_request_bytes: 400000\n")
    tally = Tally()
    statuses: Counter[int] = Counter()

    def hostile(i: int, seen: Tally) -> None:  # refused requests between the batches
        if i % 25 == 0:
            answer = httpx.post(f"{srv.url}/v1/records", content=bad_batch(i), timeout=60,
                                headers={**AUTH, "Content-Type": "application/json",
                                         "Idempotency-Key": f"bad-{i}"})
            statuses[answer.status_code] += 1
            assert answer.json()["row"] == ROWS - 1 and answer.json()["column"] == "children"
        if i % 40 == 1:
            kind, body = batch(i)
            for head in ({}, {"Authorization": "Bearer not-the-token-at-all"}):
                answer = httpx.post(f"{srv.url}/v1/records", content=body, timeout=60,
                                    headers={**head, "Content-Type": TYPES[kind]})
                statuses[answer.status_code] += 1
            answer = httpx.post(f"{srv.url}/v1/records", content=b"[" + b" " * 500_000 + b"]",
                                headers={**AUTH, "Content-Type": "application/json"},
                                timeout=60)
            statuses[answer.status_code] += 1

    t0 = time.perf_counter()
    run_clients(srv.url, tally, extra=hostile)
    seconds = time.perf_counter() - t0
    assert tally.other == [] and tally.transport_errors == 0
    assert len(tally.acknowledged) == BATCHES
    assert sorted(tally.acknowledged.values()) == list(range(1, BATCHES + 1))
    assert tally.duplicates == BATCHES // 10
    assert statuses == {422: 8, 401: 10, 413: 5}
    assert stored_ids(srv.store) == all_ids()  # every row once, no refused row
    assert metric(srv.url, "driftscope_rows_received_total") == BATCHES * ROWS
    assert metric(srv.url, "driftscope_batches_refused_total", reason="schema") == 8
    assert metric(srv.url, "driftscope_batches_refused_total", reason="auth") == 10
    assert metric(srv.url, "driftscope_batches_refused_total", reason="size") == 5
    report = httpx.post(f"{srv.url}/v1/rounds", headers=AUTH, timeout=300).json()
    assert report["run"]["current"]["rows"] == BATCHES * ROWS
    print(f"load: {BATCHES * ROWS} rows in {BATCHES} batches from {CLIENTS} clients in "
          f"{seconds:.1f} s")


def test_sigkill_in_the_middle_of_the_load_loses_and_repeats_nothing(server: Any) -> None:
    srv = server(ID_CONFIG)
    tally = Tally()
    url = {"now": srv.url}
    restarted = threading.Event()

    def killer() -> None:
        while len(tally.acknowledged) < BATCHES // 2:
            time.sleep(0.02)
        srv.kill()  # mid-load: requests are in flight
        acked_at_kill = dict(tally.acknowledged)
        srv.start()
        killed["acked"] = acked_at_kill
        restarted.set()

    killed: dict[str, Any] = {}
    thread = threading.Thread(target=killer)
    thread.start()
    run_clients(lambda: url["now"], tally, retry_seconds=300)
    thread.join(timeout=300)
    assert restarted.is_set()
    assert tally.other == []
    assert tally.transport_errors >= 1  # clients saw the dead service and retried
    assert len(tally.acknowledged) == BATCHES
    assert stored_ids(srv.store) == all_ids()  # nothing lost, nothing twice
    status = httpx.get(f"{srv.url}/v1/status", headers=AUTH, timeout=30).json()
    assert status["rows_received"] == BATCHES * ROWS and status["batches_received"] == BATCHES
    assert len(killed["acked"]) >= BATCHES // 2
    # the next round sees exactly the acknowledged rows
    report = httpx.post(f"{srv.url}/v1/rounds", headers=AUTH, timeout=300).json()
    assert report["run"]["current"]["rows"] == BATCHES * ROWS
    print(f"kill: {len(killed['acked'])} batches acknowledged at the kill, "
          f"{tally.transport_errors} failed sends retried, {tally.duplicates} duplicates")


def test_a_scheduled_round_runs_by_itself_and_waits_for_min_rows(server: Any) -> None:
    from driftscope.store import HistoryStore

    srv = server("service:\n  every_minutes: 0.02\n  min_rows: 500\n")
    head = {**AUTH, "Content-Type": TYPES["json"]}
    assert httpx.post(f"{srv.url}/v1/records", content=BODIES["json"](rows(300, seed=41)),
                      headers=head, timeout=60).status_code == 201
    time.sleep(4)  # three scheduled times pass: 300 rows are fewer than min_rows
    status = httpx.get(f"{srv.url}/v1/status", headers=AUTH, timeout=30).json()
    assert status["rounds"] == 0 and status["pending_rows"] == 300
    assert status["next_scheduled_round"] is not None
    assert httpx.post(f"{srv.url}/v1/records", content=BODIES["json"](rows(250, seed=42)),
                      headers=head, timeout=60).status_code == 201
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = httpx.get(f"{srv.url}/v1/status", headers=AUTH, timeout=30).json()
        if status["rounds"] >= 1:
            break
        time.sleep(0.2)
    assert status["rounds"] == 1 and status["pending_rows"] == 0
    with HistoryStore(str(srv.store / "driftscope_history.db"), create=False) as history:
        runs = history.runs()
    assert [r.current_rows for r in runs] == [550]
    assert (srv.store / "out" / "drift_report.json").is_file()


@pytest.mark.parametrize("step", ["ingest-written", "ingest-indexed"])
def test_a_kill_at_each_step_of_storing_a_batch_then_a_retry_stores_it_once(
        server: Any, step: str) -> None:
    srv = server(ID_CONFIG, env={"DRIFTSCOPE_SERVICE_FAULT": step})
    kind, body = batch(7)
    head = {**AUTH, "Content-Type": TYPES[kind], "Idempotency-Key": "batch-7"}
    with pytest.raises(httpx.HTTPError):  # killed before answering
        httpx.post(f"{srv.url}/v1/records", content=body, headers=head, timeout=60)
    assert srv.proc is not None and srv.proc.wait(timeout=30) == -9
    srv.env.pop("DRIFTSCOPE_SERVICE_FAULT")
    srv.start()
    answer = httpx.post(f"{srv.url}/v1/records", content=body, headers=head, timeout=60)
    # indexed before the kill: the retry finds it; only written: it was cleaned up, stored now
    assert answer.status_code == (200 if step == "ingest-indexed" else 201)
    assert stored_ids(srv.store) == Counter(range(7 * ROWS, 8 * ROWS))
    assert [p.suffix for p in (srv.store / "records").iterdir()] == [".parquet"]


@pytest.mark.parametrize("step", ["round-named", "round-recorded"])
def test_a_kill_during_a_round_leaves_every_row_in_exactly_one_round(
        server: Any, step: str) -> None:
    from driftscope.store import HistoryStore

    srv = server(ID_CONFIG, env={"DRIFTSCOPE_SERVICE_FAULT": step})
    for i in (1, 2):
        kind, body = batch(i)
        assert httpx.post(f"{srv.url}/v1/records", content=body, timeout=60,
                          headers={**AUTH, "Content-Type": TYPES[kind]}).status_code == 201
    with pytest.raises(httpx.HTTPError):
        httpx.post(f"{srv.url}/v1/rounds", headers=AUTH, timeout=300)
    assert srv.proc is not None and srv.proc.wait(timeout=30) == -9
    srv.env.pop("DRIFTSCOPE_SERVICE_FAULT")
    srv.start()
    after = httpx.post(f"{srv.url}/v1/rounds", headers=AUTH, timeout=300)
    if step == "round-recorded":  # recorded before the kill: its rows are not measured again
        assert after.status_code == 409
    else:  # never recorded: the rows go to the next round
        assert after.status_code == 200 and after.json()["run"]["current"]["rows"] == 2 * ROWS
    kind, body = batch(3)
    httpx.post(f"{srv.url}/v1/records", content=body, timeout=60,
               headers={**AUTH, "Content-Type": TYPES[kind]})
    last = httpx.post(f"{srv.url}/v1/rounds", headers=AUTH, timeout=300).json()
    assert last["run"]["current"]["rows"] == ROWS
    with HistoryStore(str(srv.store / "driftscope_history.db"), create=False) as history:
        assert [r.current_rows for r in history.runs()] == [2 * ROWS, ROWS]
