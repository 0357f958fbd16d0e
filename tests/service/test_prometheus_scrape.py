"""A real Prometheus (Debian's ``prometheus`` package) scrapes driftscope's metrics.

Each test starts its own Prometheus on a free loopback port with its own config and data
folder, and stops it at the end. One test scrapes a small HTTP server that serves
:class:`ServiceMetrics` (with the shipped alert rules loaded and every query of the shipped
Grafana dashboard evaluated); the other scrapes a running ``driftscope serve`` after a round
and reads the round's PSI back through Prometheus' HTTP API.

Marked ``prometheus``: without the ``prometheus`` binary these tests fail (``.ci/run``
installs the package).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from driftscope.result import PerformanceMetric, PerformanceResult, RunResult, Severity
from driftscope.service.metrics import ServiceMetrics
from tests.factories import make_feature, make_result

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
TOKEN = "test-token-0123456789abcdef"
WAIT = 60.0  # seconds: an upper bound on a loaded 2-core machine, never reached when healthy


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, token: str | None = None, timeout: float = 10.0) -> bytes:
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return bytes(answer.read())


def _until(what: str, check: Callable[[], Any], timeout: float = WAIT,
           done: Callable[[Any], bool] = bool) -> Any:
    """Poll ``check`` until ``done`` says its value is the one awaited (by default: until it
    is truthy) and return it; fail naming ``what`` and the last value on timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (OSError, ValueError) as err:
            last = err
        else:
            if done(last):
                return last
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


@dataclass
class Prometheus:
    url: str
    log: Path

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query through the HTTP API; its result vector."""
        answer = json.loads(_get(f"{self.url}/api/v1/query?"
                                 + urllib.parse.urlencode({"query": expr})))
        assert answer["status"] == "success", (expr, answer)
        result = answer["data"]["result"]
        if answer["data"]["resultType"] == "scalar":
            return [{"metric": {}, "value": result}]
        return list(result)

    def api(self, path: str) -> Any:
        answer = json.loads(_get(f"{self.url}/api/v1/{path}"))
        assert answer["status"] == "success", answer
        return answer["data"]


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[Callable[[str], Prometheus]]:
    """Start a Prometheus that scrapes ``target`` (host:port) every second with the bearer
    token and evaluates the shipped rules every second; stopped at the end of the test."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("the prometheus binary is not on PATH: apt-get install prometheus "
                    "(Debian's package; .ci/run installs it)")
    started: list[subprocess.Popen[bytes]] = []

    def start(target: str) -> Prometheus:
        folder = tmp_path / "prometheus"
        folder.mkdir()
        (folder / "token").write_text(TOKEN, encoding="utf-8")
        shutil.copy(DEPLOY / "prometheus" / "driftscope-rules.yml", folder)
        (folder / "prometheus.yml").write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "rule_files: [driftscope-rules.yml]\n"
            "scrape_configs:\n"
            "  - job_name: driftscope\n"
            f"    authorization: {{type: Bearer, credentials_file: {folder / 'token'}}}\n"
            f"    static_configs: [{{targets: ['{target}']}}]\n", encoding="utf-8")
        port = _free_port()
        log = folder / "prometheus.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [binary, f"--config.file={folder / 'prometheus.yml'}",
                 f"--storage.tsdb.path={folder / 'data'}",
                 f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                stdout=out, stderr=subprocess.STDOUT, cwd=folder)
        started.append(proc)
        url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"prometheus exited with {proc.returncode}: "
                            f"{log.read_text(errors='replace')[-2000:]}")
            return _get(f"{url}/-/ready").startswith(b"Prometheus")

        _until("Prometheus to be ready", ready)
        return Prometheus(url, log)

    yield start
    for proc in started:
        _stop(proc)


def _value(sample: dict[str, Any]) -> float:
    return float(sample["value"][1])


# -- ServiceMetrics behind a plain HTTP server ----------------------------------------------

class _MetricsHandler(BaseHTTPRequestHandler):
    metrics: ServiceMetrics

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path != "/metrics" or self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.send_error(401 if self.path == "/metrics" else 404)
            return
        body, ctype = self.metrics.render()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:  # quiet
        pass


@pytest.fixture
def served_metrics() -> Iterator[tuple[ServiceMetrics, str]]:
    metrics = ServiceMetrics()
    handler = type("Handler", (_MetricsHandler,), {"metrics": metrics})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield metrics, f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _now(result: RunResult) -> RunResult:
    """``result`` as a round that finished just now (no "no recent round" alert)."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return replace(result, run=replace(result.run, finished_at=now))


def _dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, expr) of every query of the shipped dashboard, its variables set to
    "all" as Grafana sends them (``.*``)."""
    board = json.loads((DEPLOY / "grafana" / "driftscope.json").read_text(encoding="utf-8"))
    out = []
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            out.append((panel["title"], re.sub(r"\$(job|feature)\b", ".*", target["expr"])))
    assert len(out) >= 15
    return out


def test_prometheus_scrapes_the_metrics_fires_the_rules_and_answers_the_dashboard(
        prometheus: Callable[[str], Prometheus],
        served_metrics: tuple[ServiceMetrics, str]) -> None:
    metrics, target = served_metrics
    result = make_result()  # income CRITICAL (PSI 0.4), age and home WARNING, debt NORMAL
    result = replace(_now(result), performance=PerformanceResult(
        status=Severity.NORMAL, reason="", metrics={
            "roc_auc": PerformanceMetric(current=0.78, estimated=0.8, baseline=0.83)}))
    metrics.observe_round(result, 2.5)
    metrics.rows_received(1000)
    metrics.batch_refused("schema")
    for seconds in (0.01, 0.03, 0.2):
        metrics.observe_request("POST", "/v1/records", 201, seconds)
    prom = prometheus(target)

    psi = _until("a scraped PSI", lambda: prom.query('driftscope_feature_psi{feature="income"}'))
    assert len(psi) == 1 and _value(psi[0]) == 0.4
    assert psi[0]["metric"] == {"__name__": "driftscope_feature_psi", "feature": "income",
                                "origin": "raw", "job": "driftscope", "instance": target}

    # the shipped rules evaluate on the real series: the CRITICAL and WARNING features and
    # the CRITICAL round fire, the NORMAL feature does not, and no rule errs
    def firing() -> set[tuple[str, str]]:
        alerts = prom.api("alerts")["alerts"]
        return {(a["labels"]["alertname"], a["labels"].get("feature", "")) for a in alerts
                if a["state"] == "firing"}

    expected = {("DriftscopeFeatureCritical", "income"), ("DriftscopeFeatureWarning", "age"),
                ("DriftscopeFeatureWarning", "home"),
                ("DriftscopeFeatureWarning", "prediction"), ("DriftscopeRoundCritical", "")}
    _until("the drift alerts to fire", firing, done=lambda got: got == expected)
    rules = [r for g in prom.api("rules")["groups"] for r in g["rules"]]
    assert {r["name"] for r in rules} >= {"DriftscopeFeatureWarning", "DriftscopeFeatureCritical",
                                          "DriftscopeRoundCritical", "DriftscopeSilentFeed"}
    assert all(r["health"] == "ok" for r in rules), rules

    # a few more scrapes so that rate() and increase() have two samples, then every query
    # of the dashboard answers with data
    _until("five scrapes", lambda: _value(prom.query(
        "count_over_time(driftscope_rows_received_total[1m])")[0]) >= 5)
    for title, expr in _dashboard_queries():
        assert prom.query(expr), f"dashboard panel {title!r}: no data for {expr}"

    # the next round replaces the series: the features it lacks disappear from Prometheus
    metrics.observe_round(_now(make_result([make_feature("income", Severity.NORMAL, psi=0.02)],
                                           with_model=False)), 1.0)
    _until("the second round", lambda: [
        _value(s) for s in prom.query('driftscope_feature_psi{feature="income"}')],
        done=lambda got: got == [0.02])
    _until("the features the second round lacks to go stale", lambda: {
        s["metric"]["feature"] for s in prom.query("driftscope_feature_psi")},
        done=lambda got: got == {"income"})
    _until("the alerts to resolve", firing, done=lambda got: not got)


# -- a running driftscope serve ------------------------------------------------------------

@pytest.fixture
def serving(tmp_path: Path, data: Any) -> Iterator[str]:
    """``driftscope serve`` on a free loopback port over a baseline of the test reference;
    its address (host:port). Stopped (SIGTERM) at the end."""
    if subprocess.run([sys.executable, "-m", "driftscope.cli", "serve", "--help"],
                      capture_output=True).returncode != 0:
        pytest.fail("driftscope serve is not available")
    baseline = tmp_path / "baseline"
    subprocess.run([sys.executable, "-m", "driftscope.cli", "baseline", "--reference",
                    str(data.ref_csv), "--out", str(baseline)], check=True, capture_output=True)
    port = _free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "DRIFTSCOPE_TOKEN": TOKEN}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "driftscope.cli", "serve", "--baseline",
                                 str(baseline), "--store", str(tmp_path / "store"), "--host",
                                 "127.0.0.1", "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        def healthy() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"driftscope serve exited with {proc.returncode}: "
                            f"{log.read_text(errors='replace')[-2000:]}")
            return b"ok" in _get(f"http://127.0.0.1:{port}/healthz")

        _until("driftscope serve to answer /healthz", healthy)
        yield f"127.0.0.1:{port}"
    finally:
        _stop(proc)


def _post(url: str, body: bytes, content_type: str | None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Authorization", f"Bearer {TOKEN}")
    if content_type is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=WAIT) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_prometheus_reads_the_rounds_psi_from_driftscope_serve(
        prometheus: Callable[[str], Prometheus], serving: str, data: Any) -> None:
    import pandas as pd

    base = f"http://{serving}"
    rows = pd.read_csv(data.drift_csv).drop(columns=["ts"])  # the baseline's columns
    status, answer = _post(f"{base}/v1/records", rows.to_csv(index=False).encode(), "text/csv")
    assert (status, answer.get("rows")) == (201, 400), answer
    status, refused = _post(f"{base}/v1/records", b"[]", "application/json")
    assert 400 <= status < 500, refused
    status, report = _post(f"{base}/v1/rounds", b"", None)
    assert status == 200, report
    psi = {f["name"]: f["metrics"]["psi"] for f in report["features"]}
    assert psi["age"] > 0.25  # the drifted column

    prom = prometheus(serving)
    got = _until("the round's PSI in Prometheus",
                 lambda: prom.query('driftscope_feature_psi{feature="age",job="driftscope"}'))
    assert len(got) == 1 and _value(got[0]) == psi["age"]
    assert got[0]["metric"]["instance"] == serving
    # every feature of the report, with its status
    scraped = {s["metric"]["feature"]: _value(s)
               for s in prom.query('driftscope_feature_psi{origin="raw"}')}
    assert scraped == psi
    levels = {s["metric"]["feature"]: (s["metric"]["level"], _value(s))
              for s in prom.query('driftscope_feature_status{origin="raw"}')}
    codes = {"NORMAL": 0.0, "WARNING": 1.0, "CRITICAL": 2.0}
    assert levels == {f["name"]: (f["status"], codes[f["status"]]) for f in report["features"]}
    assert [(s["metric"]["level"], _value(s)) for s in prom.query("driftscope_round_status")] \
        == [(report["status"], codes[report["status"]])]
    # the service's counters: the accepted rows, the refused batch, the timed requests
    assert _value(prom.query("driftscope_rows_received_total")[0]) == 400
    assert sum(_value(s) for s in prom.query("driftscope_batches_refused_total")) == 1
    routes = {s["metric"]["route"] for s in prom.query("driftscope_request_duration_seconds_count")}
    assert {"/v1/records", "/v1/rounds"} <= routes
