"""Notifications: one message per alert episode to a local receiver (started by the test on
127.0.0.1), retries on 500, no crash and a bounded wait when the receiver is down or hangs,
the Slack payload's shape, and ``driftscope run`` sending after recording."""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from driftscope.cli import main
from driftscope.config import MonitoringConfig
from driftscope.notify import notify_round
from driftscope.severity import Severity
from driftscope.store import HistoryStore
from tests.store.helpers import result_at


class Receiver:
    """An HTTP receiver on 127.0.0.1: records each POSTed JSON body; ``fail_first`` answers
    500 that many times first; ``status`` is the answer after that; ``hang`` blocks each
    request until :attr:`release` is set (at most 30 s, so the server always stops)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.attempts = 0
        self.fail_first = 0
        self.status = 200
        self.hang = False
        self.hanging = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.attempts += 1
                if outer.hang:
                    outer.hanging.set()
                    outer.release.wait(30)
                    return
                code = 500 if outer.attempts <= outer.fail_first else outer.status
                if code == 200:
                    outer.bodies.append(json.loads(body))
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.close()


def _config(*targets: dict[str, Any], deadline: float = 5.0) -> MonitoringConfig:
    return MonitoringConfig(notifications=list(targets),  # type: ignore[arg-type]
                            notifications_deadline_seconds=deadline)


def test_one_message_per_alert_episode(receiver: Receiver, tmp_path: Path) -> None:
    critical_only = Receiver()
    try:
        cfg = _config({"type": "webhook", "url": receiver.url},
                      {"type": "webhook", "url": critical_only.url, "levels": ["critical"]})
        levels = [Severity.NORMAL, Severity.CRITICAL, Severity.CRITICAL, Severity.CRITICAL,
                  Severity.WARNING, Severity.WARNING, Severity.NORMAL, Severity.NORMAL]
        sent_at: list[int] = []
        with HistoryStore(tmp_path / "h.db") as store:
            for i, level in enumerate(levels, start=1):
                result = result_at(i, level)
                store.record(result)
                before = len(receiver.bodies)
                report = notify_round(cfg, result, store)
                assert report.ok
                if len(receiver.bodies) > before:
                    sent_at.append(i)
        assert sent_at == [2, 5, 7]  # started, changed level, resolved: not once per round
        kinds = [[(c["scope"], c["name"], c["kind"]) for c in b["changes"]]
                 for b in receiver.bodies]
        assert kinds == [
            [("round", "round", "started"), ("feature", "income", "started")],
            [("round", "round", "changed"), ("feature", "income", "changed")],
            [("round", "round", "resolved"), ("feature", "income", "resolved")]]
        first = receiver.bodies[0]
        assert (first["run_id"], first["status"], first["source"]) == ("run-002", "CRITICAL",
                                                                       "driftscope")
        assert first["changes"][1]["previous"] == "NORMAL"
        assert first["changes"][1]["current"] == "CRITICAL"
        # levels: [critical] hears the episode enter and leave CRITICAL, not W -> N
        assert [b["run_id"] for b in critical_only.bodies] == ["run-002", "run-005"]
    finally:
        critical_only.close()


def test_without_history_every_alerting_round_is_sent(receiver: Receiver) -> None:
    cfg = _config({"type": "webhook", "url": receiver.url})
    assert notify_round(cfg, result_at(1, Severity.NORMAL), None).changes == ()
    assert notify_round(cfg, result_at(2, Severity.WARNING), None).ok
    assert [b["run_id"] for b in receiver.bodies] == ["run-002"]


def test_no_receivers_is_a_no_op() -> None:
    report = notify_round(MonitoringConfig(), result_at(1, Severity.CRITICAL), None)
    assert report.changes == () and report.deliveries == () and report.ok


def test_a_500_is_retried(receiver: Receiver) -> None:
    receiver.fail_first = 2
    cfg = _config({"type": "webhook", "url": receiver.url, "retries": 2})
    report = notify_round(cfg, result_at(1, Severity.CRITICAL), None)
    assert report.ok and report.deliveries[0].attempts == 3
    assert len(receiver.bodies) == 1
    receiver.attempts, receiver.bodies = 0, []
    err = io.StringIO()
    cfg = _config({"type": "webhook", "url": receiver.url, "retries": 1})  # retries: effect
    report = notify_round(cfg, result_at(2, Severity.CRITICAL), None, stderr=err)
    assert not report.ok and report.deliveries[0].attempts == 2 and receiver.bodies == []
    assert report.deliveries[0].error == "HTTP 500"
    assert "did not take the message of round run-002 (HTTP 500" in err.getvalue()


def test_a_refusal_is_not_retried(receiver: Receiver) -> None:
    receiver.status = 403
    cfg = _config({"type": "webhook", "url": receiver.url, "retries": 3})
    report = notify_round(cfg, result_at(1, Severity.CRITICAL), None, stderr=io.StringIO())
    assert report.deliveries[0].attempts == 1 and report.deliveries[0].status == 403


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_receiver_that_is_down_never_fails_the_round(tmp_path: Path) -> None:
    err = io.StringIO()
    cfg = _config({"type": "slack", "url": f"http://127.0.0.1:{_closed_port()}/x",
                   "retries": 3}, deadline=2.0)
    report = notify_round(cfg, result_at(1, Severity.CRITICAL), None, stderr=err)
    assert not report.ok and report.deliveries[0].attempts == 4  # every retry, then gone
    assert "ConnectionRefusedError" in (report.deliveries[0].error or "")
    assert err.getvalue().startswith("driftscope: warning: notifications: slack (127.0.0.1:")


def test_a_hanging_receiver_delays_the_round_at_most_the_deadline(receiver: Receiver) -> None:
    receiver.hang = True
    cfg = _config({"type": "webhook", "url": receiver.url, "timeout_seconds": 60,
                   "retries": 5}, deadline=0.5)
    report = notify_round(cfg, result_at(1, Severity.CRITICAL), None, stderr=io.StringIO())
    # it returned while the receiver still held the request (released only below, after 30 s
    # at most): the deadline, not the 60 s attempt timeout, ended the wait
    assert receiver.hanging.is_set() and not receiver.release.is_set()
    assert not report.ok and report.deliveries[0].attempts == 1
    receiver.release.set()


def test_the_slack_payload(receiver: Receiver) -> None:
    cfg = _config({"type": "slack", "url": receiver.url})
    notify_round(cfg, result_at(1, Severity.CRITICAL), None)
    (body,) = receiver.bodies
    assert set(body) == {"text", "blocks"}
    assert body["text"].startswith("driftscope: CRITICAL")
    assert "`income` is CRITICAL" in body["text"]
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "section", "context"]
    assert body["blocks"][0]["text"]["type"] == "plain_text"
    assert all(len(b["text"]["text"]) <= 3000 for b in body["blocks"] if "text" in b)
    assert "run `run-001`" in body["blocks"][3]["elements"][0]["text"]


def test_url_from_the_environment(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _config({"type": "webhook", "url_env": "DRIFTSCOPE_TEST_HOOK"})
    err = io.StringIO()
    report = notify_round(cfg, result_at(1, Severity.CRITICAL), None, stderr=err)
    assert not report.ok and "DRIFTSCOPE_TEST_HOOK is not set" in err.getvalue()
    monkeypatch.setenv("DRIFTSCOPE_TEST_HOOK", receiver.url)
    assert notify_round(cfg, result_at(1, Severity.CRITICAL), None).ok
    assert len(receiver.bodies) == 1


@pytest.mark.parametrize("target", [
    {"type": "webhook"}, {"type": "webhook", "url": "http://a", "url_env": "X"},
    {"type": "email", "url": "http://a"}, {"type": "webhook", "url": "ftp://a"},
    {"type": "webhook", "url": "http://a", "levels": []},
    {"type": "webhook", "url": "http://a", "levels": ["info"]}])
def test_bad_notification_settings_are_refused(target: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        MonitoringConfig(notifications=[target])  # type: ignore[list-item]


@pytest.mark.slow
def test_driftscope_run_notifies_after_recording(receiver: Receiver, tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    pd.DataFrame({"x": rng.normal(0, 1, 600)}).to_csv(tmp_path / "ref.csv", index=False)
    pd.DataFrame({"x": rng.normal(0, 1, 600)}).to_csv(tmp_path / "same.csv", index=False)
    pd.DataFrame({"x": rng.normal(2, 1, 1200)}).to_csv(tmp_path / "shift.csv", index=False)
    (tmp_path / "monitoring.yaml").write_text(
        f"notifications:\n  - type: webhook\n    url: {receiver.url}\n")
    base = ["run", "--reference", str(tmp_path / "ref.csv"), "--config",
            str(tmp_path / "monitoring.yaml"), "--out", str(tmp_path / "out"), "--no-html",
            "--plots", "none", "--quiet"]
    assert main([*base, "--current", str(tmp_path / "same.csv")]) == 0
    assert receiver.bodies == []  # a NORMAL first round starts no episode
    assert main([*base, "--current", str(tmp_path / "shift.csv")]) == 0
    assert main([*base, "--current", str(tmp_path / "shift.csv")]) == 0
    assert [b["status"] for b in receiver.bodies] == ["CRITICAL"]  # once, not per round
    # a backfill notifies per chunk round: two CRITICAL chunks after a CRITICAL round start
    # nothing; a NORMAL chunk then ends the episode
    assert main([*base, "--current", str(tmp_path / "shift.csv"), "--chunk-size", "600"]) == 0
    assert len(receiver.bodies) == 1
    assert main([*base, "--current", str(tmp_path / "same.csv"), "--chunk-size", "300"]) == 0
    assert [b["changes"][0]["kind"] for b in receiver.bodies] == ["started", "resolved"]


def test_receivers_whose_url_cannot_be_read_are_named_at_start(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from driftscope.notify import unreachable_receivers

    cfg = MonitoringConfig(notifications=[
        {"type": "slack", "url_env": "DRIFTSCOPE_TEST_UNSET_HOOK"},
        {"type": "webhook", "url": "http://127.0.0.1:9/hook"}])  # type: ignore[list-item]
    monkeypatch.delenv("DRIFTSCOPE_TEST_UNSET_HOOK", raising=False)
    assert unreachable_receivers(cfg) == [
        "driftscope: warning: notifications: slack ($DRIFTSCOPE_TEST_UNSET_HOOK): url_env: "
        "the environment variable DRIFTSCOPE_TEST_UNSET_HOOK is not set; its messages will "
        "not be sent"]
    monkeypatch.setenv("DRIFTSCOPE_TEST_UNSET_HOOK", "hooks.slack.com/x")  # no scheme
    assert "not an http(s) URL" in unreachable_receivers(cfg)[0]
    monkeypatch.setenv("DRIFTSCOPE_TEST_UNSET_HOOK", "https://hooks.example.com/x")
    assert unreachable_receivers(cfg) == []
    assert unreachable_receivers(MonitoringConfig()) == []
