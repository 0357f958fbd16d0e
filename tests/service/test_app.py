"""The service's endpoints in process (Starlette's test client over the real application):
token, size limit, batches, rounds, reports, status, metrics and the access log."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from driftscope.service.app import create_app
from tests.service.conftest import AUTH, BODIES, TOKEN, TYPES, rows


def _client(service: Any, extra: str = "", folder: Path | None = None) -> TestClient:
    return TestClient(create_app(service(extra, folder)), base_url="http://127.0.0.1")


def _post(client: TestClient, frame: Any, kind: str = "json", key: str | None = None,
          headers: dict[str, str] | None = None) -> Any:
    head = {**AUTH, "Content-Type": TYPES[kind], **(headers or {})}
    if key is not None:
        head["Idempotency-Key"] = key
    return client.post("/v1/records", content=BODIES[kind](frame), headers=head)


def metric(client: TestClient, name: str, **labels: str) -> float:
    """One sample of ``/metrics`` (0 when absent)."""
    from prometheus_client.parser import text_string_to_metric_families

    text = client.get("/metrics", headers=AUTH).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v
                                           for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def _stored_rows(folder: Path) -> int:
    return sum(pq.read_metadata(f).num_rows for f in (folder / "records").glob("*.parquet"))


def test_every_endpoint_but_healthz_needs_the_token(service: Any, tmp_path: Path) -> None:
    client = _client(service)
    assert client.get("/healthz").json() == {"status": "ok"}
    for method, path in (("GET", "/v1/status"), ("GET", "/metrics"), ("POST", "/v1/rounds"),
                         ("GET", "/v1/runs/x"), ("POST", "/v1/labels"),
                         ("POST", "/v1/records")):
        for head in ({}, {"Authorization": "Bearer wrong-token-0123456789ab"},
                     {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"},
                     {"Authorization": f"Bearer {TOKEN[:-1]}"}):
            answer = client.request(method, path, headers=head, content=b"[]")
            assert answer.status_code == 401, (method, path, head)
            assert answer.json()["error"] == "auth"
    assert _stored_rows(tmp_path / "store") == 0
    assert metric(client, "driftscope_batches_refused_total", reason="auth") == 10
    assert client.get("/v1/status", headers=AUTH).status_code == 200
    # the scheme is case-insensitive (RFC 7235), the token is not
    assert client.get("/v1/status", headers={"Authorization": f"bearer {TOKEN}"}
                      ).status_code == 200
    assert client.get("/v1/status", headers={"Authorization": f"Bearer {TOKEN.upper()}"}
                      ).status_code == 401


def test_a_body_over_max_request_bytes_is_refused_with_413(service: Any,
                                                           tmp_path: Path) -> None:
    client = _client(service, "service:\n  max_request_bytes: 20000\n")
    small, big = rows(20, seed=1), rows(400, seed=2)
    assert len(BODIES["json"](small)) < 20000 < len(BODIES["json"](big))
    answer = _post(client, big)
    assert answer.status_code == 413 and answer.json()["error"] == "size"
    assert "20000 bytes" in answer.json()["detail"]
    assert _post(client, small).status_code == 201
    assert _stored_rows(tmp_path / "store") == 20
    assert metric(client, "driftscope_batches_refused_total", reason="size") == 1
    # the default limit takes the same body
    default = _client(service, "", tmp_path / "other-store")
    assert _post(default, big).status_code == 201


def test_batches_are_stored_once_per_key_and_refused_batches_store_nothing(
        service: Any, tmp_path: Path) -> None:
    client = _client(service)
    first = _post(client, rows(100, seed=1), "csv", key="batch-1")
    assert first.status_code == 201
    assert first.json() == {"batch": 1, "rows": 100, "duplicate": False}
    again = _post(client, rows(100, seed=1), "csv", key="batch-1")
    assert again.status_code == 200 and again.json() == {"batch": 1, "rows": 100,
                                                         "duplicate": True}
    conflict = _post(client, rows(100, seed=2), "csv", key="batch-1")
    assert conflict.status_code == 409 and conflict.json()["error"] == "idempotency"
    bad = rows(50, seed=3)
    bad.loc[31, "home"] = None
    bad["age"] = bad["age"].astype(object)
    bad.loc[12, "age"] = "young"
    refused = _post(client, bad, "json", key="batch-2")
    assert refused.status_code == 422
    assert refused.json() == {"error": "schema", "row": 12, "column": "age",
                              "detail": "row 12, column 'age': expected a number or null, "
                                        "got 'young'"}
    # a corrected retry under the same key is stored: the refused one left nothing behind
    assert _post(client, rows(50, seed=3), "json", key="batch-2").status_code == 201
    assert _post(client, rows(70, seed=4), "parquet").status_code == 201
    assert _post(client, rows(70, seed=4), "parquet").status_code == 201  # no key: twice
    assert _stored_rows(tmp_path / "store") == 100 + 50 + 70 + 70
    assert metric(client, "driftscope_rows_received_total") == 290
    assert metric(client, "driftscope_batches_refused_total", reason="schema") == 1
    bad_key = _post(client, rows(5, seed=5), key="x" * 201)
    assert bad_key.status_code == 400
    assert _post(client, rows(5, seed=5), headers={"Content-Type": "text/plain"}
                 ).status_code == 415
    assert metric(client, "driftscope_batches_refused_total", reason="format") == 2
    assert client.post("/v1/records", headers={**AUTH, "Content-Type": "application/json"},
                       content=b"[]").status_code == 422
    assert metric(client, "driftscope_batches_refused_total", reason="empty") == 1


@pytest.mark.slow  # rounds
def test_a_round_covers_the_rows_since_the_last_one_and_answers_the_report(
        service: Any, tmp_path: Path) -> None:
    client = _client(service)
    none = client.post("/v1/rounds", headers=AUTH)
    assert none.status_code == 409 and none.json()["error"] == "no_rows"
    _post(client, rows(300, seed=11, drift=True))
    _post(client, rows(200, seed=12, drift=True), "csv")
    answer = client.post("/v1/rounds", headers=AUTH)
    assert answer.status_code == 200
    report = answer.json()
    assert report["run"]["id"] == answer.headers["x-run-id"]
    assert report["status"] == "CRITICAL"  # age and home moved
    # the same document the CLI writes, written under the store, and kept in the history
    written = json.loads((tmp_path / "store" / "out" / "drift_report.json").read_text())
    assert written == report
    assert client.get(f"/v1/runs/{report['run']['id']}", headers=AUTH).json() == report
    assert client.get("/v1/runs/nope", headers=AUTH).status_code == 404
    assert report["run"]["current"]["rows"] == 500

    _post(client, rows(400, seed=13))
    second = client.post("/v1/rounds", headers=AUTH).json()
    assert second["run"]["current"]["rows"] == 400
    assert second["run"]["id"] != report["run"]["id"]
    from driftscope.store import HistoryStore

    with HistoryStore(str(tmp_path / "store" / "driftscope_history.db"), create=False) as h:
        assert [r.current_rows for r in h.runs()] == [500, 400]
    status = client.get("/v1/status", headers=AUTH).json()
    assert status["rows_received"] == 900 and status["pending_rows"] == 0
    assert status["rounds"] == 2 and status["last_round"]["run_id"] == second["run"]["id"]
    assert metric(client, "driftscope_rounds_total", status=second["status"]) >= 1
    assert metric(client, "driftscope_feature_psi", feature="age", origin="raw") == \
        pytest.approx(next(f for f in second["features"] if f["name"] == "age")["metrics"]["psi"])


@pytest.mark.slow  # rounds
def test_a_round_over_a_window_of_receive_times_leaves_the_cursor(service: Any) -> None:
    import datetime as dt

    client = _client(service)
    _post(client, rows(300, seed=21))
    now = dt.datetime.now(dt.timezone.utc)
    window = {"start": (now - dt.timedelta(minutes=5)).isoformat(),
              "end": (now + dt.timedelta(minutes=5)).isoformat()}
    answer = client.post("/v1/rounds", headers=AUTH, json=window)
    assert answer.status_code == 200
    assert answer.json()["run"]["current"]["rows"] == 300
    assert "service: received" in answer.json()["run"]["current"]["source"]
    past = {"start": "2020-01-01T00:00:00Z", "end": "2020-01-02T00:00:00Z"}
    assert client.post("/v1/rounds", headers=AUTH, json=past).status_code == 409
    for body in ({"start": "soon", "end": "later"}, {"start": window["end"],
                                                     "end": window["start"]},
                 {"path": "/etc/passwd"}):
        assert client.post("/v1/rounds", headers=AUTH, json=body).status_code == 422
    # the window round did not take the rows from the next round
    assert client.post("/v1/rounds", headers=AUTH).json()["run"]["current"]["rows"] == 300


def test_the_access_log_is_json_lines_without_row_contents(
        service: Any, caplog: pytest.LogCaptureFixture) -> None:
    client = _client(service)
    frame = rows(10, seed=31)
    frame["home"] = "secret-home-value"
    with caplog.at_level(logging.INFO, logger="driftscope.service.access"):
        _post(client, frame, key="logged")
        client.get("/v1/status")
    lines = [json.loads(r.getMessage()) for r in caplog.records
             if r.name == "driftscope.service.access"]
    assert [(e["method"], e["route"], e["status"]) for e in lines] == [
        ("POST", "/v1/records", 201), ("GET", "/v1/status", 401)]
    assert lines[0]["rows"] == 10 and lines[0]["bytes_in"] > 0
    assert "secret-home-value" not in caplog.text and str(frame["income"][0]) not in caplog.text
    assert TOKEN not in caplog.text


def test_late_labels_need_an_id_column(service: Any) -> None:
    client = _client(service)
    answer = client.post("/v1/labels", headers={**AUTH, "Content-Type": "application/json"},
                         content=b'[{"rid": 1, "status": "bad"}]')
    assert answer.status_code == 422 and "id_column" in answer.json()["detail"]


@pytest.mark.slow  # rounds and a receiver
def test_a_round_notifies_after_it_is_recorded(service: Any, tmp_path: Path) -> None:
    import http.server
    import threading

    from driftscope.store import HistoryStore

    received: list[dict[str, Any]] = []
    recorded: list[bool] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append(body)
            with HistoryStore(str(tmp_path / "store" / "driftscope_history.db"),
                              create=False) as history:
                recorded.append(history.contains(body["run_id"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
        client = _client(service, f"notifications:\n  - type: webhook\n    url: {url}\n")
        _post(client, rows(400, seed=51, drift=True))
        first = client.post("/v1/rounds", headers=AUTH).json()
        assert first["status"] == "CRITICAL"
        assert [m["run_id"] for m in received] == [first["run"]["id"]]
        assert recorded == [True]  # the round was in the history when the message left
        _post(client, rows(400, seed=52, drift=True))
        client.post("/v1/rounds", headers=AUTH)
        assert len(received) == 1  # the same episode: no second message
    finally:
        httpd.shutdown()


def test_a_body_cut_short_by_a_disconnect_is_never_parsed_or_stored(service: Any,
                                                                     tmp_path: Path) -> None:
    import asyncio

    app = create_app(service())
    body = BODIES["csv"](rows(200, seed=61))
    cut = body[:body.index(b"\n", len(body) // 2) + 1]  # whole lines: a readable CSV
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": cut, "more_body": True}, {"type": "http.disconnect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"authorization", f"Bearer {TOKEN}".encode()), (b"content-type", b"text/csv"),
               (b"content-length", str(len(body)).encode()), (b"idempotency-key", b"cut")]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/v1/records",
             "raw_path": b"/v1/records", "query_string": b"", "root_path": "",
             "headers": headers, "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80)}
    asyncio.run(app(scope, receive, send))
    assert sent == [] and _stored_rows(tmp_path / "store") == 0
    # the whole body sent again under the key is stored
    client = TestClient(app, base_url="http://127.0.0.1")
    again = client.post("/v1/records", content=body, headers={
        **AUTH, "Content-Type": "text/csv", "Idempotency-Key": "cut"})
    assert again.status_code == 201 and again.json()["rows"] == 200


@pytest.mark.slow  # two rounds
def test_with_the_streaming_backend_a_round_reads_the_batches_back_in_turn(
        service: Any, tmp_path: Path) -> None:
    local = _client(service)
    streamed = TestClient(create_app(service("backend: streaming\n",
                                             folder=tmp_path / "streamed")),
                          base_url="http://127.0.0.1")
    batches = [(rows(300, seed=71, drift=True), "json"),
               (rows(200, seed=72).drop(columns=["ts", "status"]), "csv"),
               (rows(250, seed=73), "parquet")]
    for frame, kind in batches:
        assert _post(local, frame, kind).status_code == 201
        assert _post(streamed, frame, kind).status_code == 201
    a = local.post("/v1/rounds", headers=AUTH).json()
    b = streamed.post("/v1/rounds", headers=AUTH).json()
    assert a["run"]["current"]["rows"] == b["run"]["current"]["rows"] == 750
    assert a["status"] == b["status"]
    for fa, fb in zip(a["features"], b["features"]):
        assert (fa["name"], fa["status"]) == (fb["name"], fb["status"])
        assert fa["metrics"]["psi"] == pytest.approx(fb["metrics"]["psi"])
    assert not list((tmp_path / "streamed").glob(".round-*"))  # the spilled copy is gone
