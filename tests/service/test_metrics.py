"""driftscope.service.metrics: the Prometheus metrics equal the round's numbers, a round
replaces the previous one's series, and the service counters count."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from driftscope.result import PerformanceMetric, PerformanceResult, RunResult, Severity
from driftscope.service.metrics import (
    CONTENT_TYPE,
    REFUSAL_REASONS,
    ServiceMetrics,
    render_round,
    write_round_textfile,
)
from tests.factories import make_feature, make_result

LEVEL = {"NORMAL": 0, "WARNING": 1, "CRITICAL": 2}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(body: bytes) -> Samples:
    """Every sample of an exposition, by (sample name, labels), with the official parser."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for fam in text_string_to_metric_families(body.decode("utf-8"))
            for s in fam.samples}


def series(samples: Samples, name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {labels: v for (n, labels), v in samples.items() if n == name}


def key(**labels: str) -> frozenset[tuple[str, str]]:
    return frozenset(labels.items())


@pytest.fixture(scope="module")
def round_result(data: Any) -> RunResult:
    """A real round with a model and labels: drifted ``age`` and ``home``, a prediction and
    realized performance."""
    import driftscope

    return driftscope.run(reference=str(data.lab_ref_csv), current=str(data.lab_cur_csv),
                          model=str(data.model), metadata=str(data.metadata), progress=False)


@pytest.mark.slow  # a round with a model
def test_every_round_metric_equals_the_results_number(round_result: RunResult) -> None:
    metrics = ServiceMetrics()
    metrics.observe_round(round_result, 1.25)
    body, content_type = metrics.render()
    assert content_type == CONTENT_TYPE == "text/plain; version=0.0.4; charset=utf-8"
    got = parse(body)

    columns = round_result.columns(class_probabilities=True)
    assert round_result.prediction is not None and len(columns) > len(round_result.features)
    for column in columns:
        at = key(feature=column.name, origin=column.origin)
        assert got[("driftscope_feature_psi", at)] == column.metrics["psi"]
        assert got[("driftscope_feature_jensen_shannon", at)] == column.metrics["jensen_shannon"]
        ks = column.metrics.get("ks_statistic")
        if ks is None:
            assert ("driftscope_feature_ks_statistic", at) not in got
        else:
            assert got[("driftscope_feature_ks_statistic", at)] == ks
        level = column.status.value
        assert series(got, "driftscope_feature_status")[
            key(feature=column.name, origin=column.origin, level=level)] == LEVEL[level]
    # one status series per column: no other level next to the current one
    assert len(series(got, "driftscope_feature_status")) == len(columns)
    # categorical columns exist and have no KS series
    assert any(c.metrics.get("ks_statistic") is None for c in columns)

    assert series(got, "driftscope_round_status") == {
        key(level=round_result.status.value): LEVEL[round_result.status.value]}
    assert round_result.status != Severity.NORMAL  # the drifted data is seen
    assert series(got, "driftscope_round_rows") == {
        key(side="reference"): round_result.run.reference.rows,
        key(side="current"): round_result.run.current.rows}
    assert got[("driftscope_round_duration_seconds", key())] == 1.25
    assert round_result.run.finished_at is not None
    finished = datetime.fromisoformat(round_result.run.finished_at.replace("Z", "+00:00"))
    assert got[("driftscope_round_timestamp_seconds", key())] == pytest.approx(
        finished.timestamp(), abs=1e-3)

    assert round_result.performance is not None
    realized = {name: m.current for name, m in round_result.performance.metrics.items()
                if m.current is not None}
    assert realized and series(got, "driftscope_performance_realized") == {
        key(metric=name): value for name, value in realized.items()}
    estimated = {name: m.estimated for name, m in round_result.performance.metrics.items()
                 if m.estimated is not None}
    assert series(got, "driftscope_performance_estimated") == {
        key(metric=name): value for name, value in estimated.items()}

    assert series(got, "driftscope_rounds_total") == {
        key(status=s): float(s == round_result.status.value) for s in LEVEL}


def test_estimated_performance_and_class_probabilities_are_exported() -> None:
    result = make_result()
    perf = PerformanceResult(status=Severity.NORMAL, reason="estimated", metrics={
        "roc_auc": PerformanceMetric(current=None, estimated=0.71, baseline=0.8),
        "accuracy": PerformanceMetric(current=0.9, estimated=0.88, baseline=0.85)})
    probs = (make_feature("prediction[a]", Severity.WARNING, psi=0.17,
                          origin="class_probability"),)
    from dataclasses import replace

    got = parse(render_round(replace(result, performance=perf, class_probabilities=probs)))
    assert series(got, "driftscope_performance_estimated") == {
        key(metric="roc_auc"): 0.71, key(metric="accuracy"): 0.88}
    assert series(got, "driftscope_performance_realized") == {key(metric="accuracy"): 0.9}
    assert got[("driftscope_feature_psi",
                key(feature="prediction[a]", origin="class_probability"))] == 0.17


def test_a_round_replaces_the_previous_rounds_series() -> None:
    metrics = ServiceMetrics()
    metrics.observe_round(make_result([
        make_feature("age", Severity.WARNING, psi=0.15),
        make_feature("gone", Severity.CRITICAL, psi=0.5)], with_model=True), 2.0)
    metrics.observe_round(make_result([make_feature("age", Severity.NORMAL, psi=0.02)],
                                      with_model=False), 3.0)
    got = parse(metrics.render()[0])
    assert series(got, "driftscope_feature_psi") == {key(feature="age", origin="raw"): 0.02}
    # the level changed: the WARNING series is gone, not left at 1 next to the NORMAL one
    assert series(got, "driftscope_feature_status") == {
        key(feature="age", origin="raw", level="NORMAL"): 0}
    assert series(got, "driftscope_round_status") == {key(level="NORMAL"): 0}
    # no model this time: no prediction, no performance left from the first round
    assert series(got, "driftscope_performance_realized") == {}
    assert got[("driftscope_round_duration_seconds", key())] == 3.0
    assert series(got, "driftscope_rounds_total") == {
        key(status="NORMAL"): 1, key(status="WARNING"): 0, key(status="CRITICAL"): 1}


def test_before_any_round_the_families_are_declared_without_values() -> None:
    text = ServiceMetrics().render()[0].decode()
    assert "# TYPE driftscope_feature_psi gauge" in text
    assert not any(name.startswith(("driftscope_feature", "driftscope_round_"))
                   for name, _ in parse(text.encode()))
    got = parse(text.encode())
    assert series(got, "driftscope_rounds_total") == {key(status=s): 0 for s in LEVEL}
    assert series(got, "driftscope_batches_refused_total") == {
        key(reason=r): 0 for r in REFUSAL_REASONS}
    assert got[("driftscope_last_received_timestamp_seconds", key())] == 0
    assert got[("process_start_time_seconds", key())] > 0  # the silent-feed rule reads it


def test_rows_received_counts_and_stamps_the_time() -> None:
    metrics = ServiceMetrics()
    metrics.rows_received(0)  # an empty accepted batch is not a sign of life
    assert parse(metrics.render()[0])[("driftscope_last_received_timestamp_seconds", key())] == 0
    before = time.time()
    metrics.rows_received(1000)
    metrics.rows_received(250)
    after = time.time()
    got = parse(metrics.render()[0])
    assert got[("driftscope_rows_received_total", key())] == 1250
    assert before <= got[("driftscope_last_received_timestamp_seconds", key())] <= after
    with pytest.raises(ValueError, match="at least 0"):
        metrics.rows_received(-1)


def test_batches_refused_by_reason() -> None:
    metrics = ServiceMetrics()
    for reason in ("schema", "schema", "size", "auth"):
        metrics.batch_refused(reason)
    got = series(parse(metrics.render()[0]), "driftscope_batches_refused_total")
    assert got == {key(reason="schema"): 2, key(reason="size"): 1, key(reason="auth"): 1,
                   key(reason="format"): 0, key(reason="empty"): 0}
    with pytest.raises(ValueError, match="unknown reason 'teapot'"):
        metrics.batch_refused("teapot")


def test_request_latency_histogram() -> None:
    metrics = ServiceMetrics()
    for seconds in (0.003, 0.02, 0.2, 7.0):
        metrics.observe_request("post", "/v1/records", 200, seconds)
    metrics.observe_request("GET", "/v1/runs/{id}", 404, 0.001)
    got = parse(metrics.render()[0])
    at = {"method": "POST", "route": "/v1/records", "status": "200"}
    assert got[("driftscope_request_duration_seconds_count", key(**at))] == 4
    assert got[("driftscope_request_duration_seconds_sum", key(**at))] == pytest.approx(7.223)
    buckets = {dict(labels)["le"]: v for labels, v in
               series(got, "driftscope_request_duration_seconds_bucket").items()
               if dict(labels)["route"] == "/v1/records"}
    assert (buckets["0.005"], buckets["0.025"], buckets["0.25"], buckets["5.0"],
            buckets["10.0"], buckets["+Inf"]) == (1, 2, 3, 3, 4, 4)
    assert got[("driftscope_request_duration_seconds_count",
                key(method="GET", route="/v1/runs/{id}", status="404"))] == 1


def test_each_instance_has_its_own_registry_and_a_given_one_is_used() -> None:
    a, b = ServiceMetrics(), ServiceMetrics()
    a.rows_received(5)
    assert parse(b.render()[0])[("driftscope_rows_received_total", key())] == 0
    registry = CollectorRegistry()
    given = ServiceMetrics(registry)
    given.rows_received(3)
    assert registry.get_sample_value("driftscope_rows_received_total") == 3
    # no process metrics are added to a registry the caller owns
    assert registry.get_sample_value("process_start_time_seconds") is None
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        ServiceMetrics(registry)


def test_a_scrape_never_mixes_two_rounds() -> None:
    """Rounds replace their series atomically: a scrape taken while another thread observes
    rounds shows one round's columns, never a mixture."""
    first = make_result([make_feature(n, Severity.WARNING, psi=0.2) for n in "abcdefgh"])
    second = make_result([make_feature(n, Severity.NORMAL, psi=0.01) for n in "stuvwxyz"])
    metrics = ServiceMetrics()
    metrics.observe_round(first, 1.0)
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            metrics.observe_round(second, 1.0)
            metrics.observe_round(first, 1.0)

    worker = threading.Thread(target=churn)
    worker.start()
    try:
        for _ in range(25):
            got = parse(metrics.render()[0])
            names = frozenset(dict(labels)["feature"]
                              for labels in series(got, "driftscope_feature_psi"))
            assert names - {"prediction"} in ({*"abcdefgh"}, {*"stuvwxyz"})
    finally:
        stop.set()
        worker.join()


def test_the_round_textfile_holds_the_round_only(tmp_path: Path) -> None:
    result = make_result()
    path = tmp_path / "textfile" / "driftscope.prom"
    write_round_textfile(path, result, 4.5)
    text = path.read_text(encoding="utf-8")
    got = parse(text.encode())
    assert got[("driftscope_feature_psi", key(feature="income", origin="raw"))] == 0.4
    assert got[("driftscope_round_duration_seconds", key())] == 4.5
    # node_exporter's textfile collector: no service counters, no process metrics
    assert not any(n.startswith(("driftscope_rows", "driftscope_batches", "driftscope_request",
                                 "driftscope_rounds", "driftscope_last", "process_"))
                   for n, _ in got)
    assert [p.name for p in path.parent.iterdir()] == ["driftscope.prom"]  # no temp left
    # the duration defaults to the one the round recorded
    from dataclasses import replace

    timed = replace(result, run=replace(result.run, duration_seconds=2.5))
    assert parse(render_round(timed))[("driftscope_round_duration_seconds", key())] == 2.5
    assert ("driftscope_round_duration_seconds", key()) not in parse(render_round(result))
