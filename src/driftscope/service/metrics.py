"""Prometheus metrics of monitoring rounds and of the ingestion service.

Built with the official client library, ``prometheus_client`` (``pip install
'driftscope[metrics]'``; the ``serve`` extra brings it too). Every :class:`ServiceMetrics`
has its own :class:`~prometheus_client.CollectorRegistry` unless it is given one, so tests and
several services in one process never collide.

The round's metrics are a snapshot of the latest round, replaced whole when the next round is
observed: a feature (or a performance metric) the next round does not have disappears instead
of keeping a stale value, and a scrape never sees half of one round and half of another.
Statuses are numbers (``0`` NORMAL, ``1`` WARNING, ``2`` CRITICAL) with the level as a label,
so ``driftscope_feature_status == 2`` selects the CRITICAL features and the level reads in a
legend.

================================================  ======================  ========================
metric                                            labels                  value
================================================  ======================  ========================
``driftscope_feature_psi``                        feature, origin         PSI of the latest round
``driftscope_feature_jensen_shannon``             feature, origin         Jensen–Shannon distance
``driftscope_feature_ks_statistic``               feature, origin         KS statistic (numerical)
``driftscope_feature_status``                     feature, origin, level  0 / 1 / 2
``driftscope_round_status``                       level                   0 / 1 / 2
``driftscope_round_rows``                         side                    reference, current rows
``driftscope_round_duration_seconds``                                     the round's duration
``driftscope_round_timestamp_seconds``                                    when it finished (Unix)
``driftscope_performance_realized``               metric                  with labels
``driftscope_performance_estimated``              metric                  estimated without labels
``driftscope_rounds_total``                       status                  rounds observed
``driftscope_rows_received_total``                                        rows accepted
``driftscope_batches_refused_total``              reason                  batches refused
``driftscope_last_received_timestamp_seconds``                            last rows (0: none yet)
``driftscope_request_duration_seconds``           method, route, status   histogram
================================================  ======================  ========================

``origin`` is the column's origin in the report (``raw``, ``engineered``, ``prediction``,
``predicted_class``, ``target``, ``class_probability``). ``driftscope run --metrics-file`` writes
the round's part of this list (:func:`write_round_textfile`) for node_exporter's textfile
collector.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from driftscope.result import FeatureResult, RunResult

__all__ = [
    "CONTENT_TYPE",
    "LEVEL_CODES",
    "REFUSAL_REASONS",
    "RoundCollector",
    "ServiceMetrics",
    "render_round",
    "write_round_textfile",
]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The Prometheus text format, version 0.0.4 (what every Prometheus and node_exporter reads;
:func:`~prometheus_client.generate_latest` writes it for metric names like driftscope's)."""

LEVEL_CODES = {"NORMAL": 0, "WARNING": 1, "CRITICAL": 2}
"""A status as the number the ``*_status`` metrics hold."""

REFUSAL_REASONS = ("schema", "format", "size", "auth", "empty")
"""Why the service refuses a batch (the ``reason`` label of ``driftscope_batches_refused``)."""

REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                   float("inf"))
"""Request latency buckets (seconds): ingestion answers in milliseconds, a round in seconds."""

# name -> (help, label names) of the families a round replaces
_ROUND_FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "driftscope_feature_psi": (
        "Population stability index of each monitored column in the latest round.",
        ("feature", "origin")),
    "driftscope_feature_jensen_shannon": (
        "Jensen-Shannon distance (base 2) of each monitored column in the latest round.",
        ("feature", "origin")),
    "driftscope_feature_ks_statistic": (
        "Two-sample Kolmogorov-Smirnov statistic of each numerical column in the latest round.",
        ("feature", "origin")),
    "driftscope_feature_status": (
        "Status of each monitored column in the latest round: 0 NORMAL, 1 WARNING, "
        "2 CRITICAL (the level as a label).", ("feature", "origin", "level")),
    "driftscope_round_status": (
        "Status of the latest round: 0 NORMAL, 1 WARNING, 2 CRITICAL (the level as a label).",
        ("level",)),
    "driftscope_round_rows": (
        "Rows of the latest round, per side (reference, current).", ("side",)),
    "driftscope_round_duration_seconds": ("Duration of the latest round.", ()),
    "driftscope_round_timestamp_seconds": (
        "When the latest round finished, in seconds since the Unix epoch.", ()),
    "driftscope_performance_realized": (
        "Model performance of the latest round measured with labels, per metric.", ("metric",)),
    "driftscope_performance_estimated": (
        "Model performance of the latest round estimated without labels, per metric.",
        ("metric",)),
}

_COLUMN_METRICS = (("driftscope_feature_psi", "psi"),
                   ("driftscope_feature_jensen_shannon", "jensen_shannon"),
                   ("driftscope_feature_ks_statistic", "ks_statistic"))


def round_families(result: RunResult | None, seconds: float | None) -> list[Metric]:
    """The gauge families of one round (empty families, HELP and TYPE only, for None).

    Parameters
    ----------
    result
        The round; None for no round yet.
    seconds
        How long the round took (``driftscope_round_duration_seconds``); None leaves the
        gauge out.
    """
    fams = {name: GaugeMetricFamily(name, doc, labels=list(labels))
            for name, (doc, labels) in _ROUND_FAMILIES.items()}
    if result is None:
        return list(fams.values())
    for column in _monitored_columns(result):
        for family, field in _COLUMN_METRICS:
            value = column.metrics.get(field)
            if value is not None:  # KS of a categorical column does not exist
                fams[family].add_metric([column.name, column.origin], float(value))
        level = column.status.value
        fams["driftscope_feature_status"].add_metric([column.name, column.origin, level],
                                                     LEVEL_CODES[level])
    fams["driftscope_round_status"].add_metric([result.status.value],
                                               LEVEL_CODES[result.status.value])
    fams["driftscope_round_rows"].add_metric(["reference"], result.run.reference.rows)
    fams["driftscope_round_rows"].add_metric(["current"], result.run.current.rows)
    if seconds is not None:
        fams["driftscope_round_duration_seconds"].add_metric([], float(seconds))
    fams["driftscope_round_timestamp_seconds"].add_metric([], _finished(result))
    if result.performance is not None:
        for name, metric in result.performance.metrics.items():
            if metric.current is not None:
                fams["driftscope_performance_realized"].add_metric([name], metric.current)
            if metric.estimated is not None:
                fams["driftscope_performance_estimated"].add_metric([name], metric.estimated)
    return list(fams.values())


def _monitored_columns(result: RunResult) -> Iterator[FeatureResult]:
    """Every compared column once per (name, origin): features, prediction, predicted class,
    target and class probabilities."""
    seen: set[tuple[str, str]] = set()
    for column in result.columns(class_probabilities=True):
        key = (column.name, column.origin)
        if key not in seen:  # one series per label set, whatever a hand-made result holds
            seen.add(key)
            yield column


def _finished(result: RunResult) -> float:
    """When the round finished (else started), as Unix seconds; now when neither parses."""
    for stamp in (result.run.finished_at, result.run.started_at):
        if stamp:
            try:
                moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            except ValueError:
                continue
            if moment.tzinfo is not None:  # a naive time has no defined epoch
                return moment.timestamp()
    return time.time()


class RoundCollector(Collector):
    """The latest round's gauges, replaced whole by :meth:`update` (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._families: list[Metric] = round_families(None, None)

    def update(self, result: RunResult, seconds: float | None) -> None:
        """Show ``result`` from now on, instead of the previous round."""
        families = round_families(result, seconds)  # built outside the lock
        with self._lock:
            self._families = families

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            families = self._families
        yield from families

    def describe(self) -> Iterator[Metric]:
        """The families' names, so a registry refuses a second collector of the same names."""
        yield from round_families(None, None)


class ServiceMetrics:
    """The metrics ``GET /metrics`` shows: the service's counters and the latest round.

    Parameters
    ----------
    registry
        Where to register the metrics; by default a new registry of this instance only, with
        the process metrics (``process_start_time_seconds``, which the silent-feed alert
        rule reads, memory, CPU) added to it.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        if registry is None:
            registry = CollectorRegistry()
            ProcessCollector(registry=registry)
        self.registry = registry
        self._round = RoundCollector()
        registry.register(self._round)
        self._rows = Counter("driftscope_rows_received", "Production rows accepted and stored.",
                             registry=registry)
        self._refused = Counter("driftscope_batches_refused",
                                "Batches refused whole, by reason.", ["reason"],
                                registry=registry)
        self._last = Gauge("driftscope_last_received_timestamp_seconds",
                           "When rows were last accepted, in seconds since the Unix epoch "
                           "(0 before the first batch).", registry=registry)
        self._requests = Histogram("driftscope_request_duration_seconds",
                                   "HTTP request latency, by method, route and status code.",
                                   ["method", "route", "status"], buckets=REQUEST_BUCKETS,
                                   registry=registry)
        self._rounds = Counter("driftscope_rounds", "Rounds run, by the round's status.",
                               ["status"], registry=registry)
        for reason in REFUSAL_REASONS:  # every series exists from the start, at 0
            self._refused.labels(reason=reason)
        for level in LEVEL_CODES:
            self._rounds.labels(status=level)

    def rows_received(self, n: int) -> None:
        """Count ``n`` accepted (stored) rows; a positive ``n`` also sets the last-received
        time to now."""
        if n < 0:
            raise ValueError(f"rows_received: n must be at least 0, got {n}")
        self._rows.inc(n)
        if n > 0:
            self._last.set(time.time())

    def batch_refused(self, reason: str) -> None:
        """Count one refused batch; ``reason`` is one of :data:`REFUSAL_REASONS`."""
        if reason not in REFUSAL_REASONS:
            raise ValueError(f"batch_refused: unknown reason {reason!r}; expected one of "
                             f"{', '.join(REFUSAL_REASONS)}")
        self._refused.labels(reason=reason).inc()

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one request's latency. ``route`` is the route's template
        (``/v1/runs/{id}``), never the requested path, so a client cannot create series."""
        self._requests.labels(method=method.upper(), route=route,
                              status=str(int(status))).observe(seconds)

    def observe_round(self, result: RunResult, seconds: float) -> None:
        """Show ``result`` as the latest round (replacing the previous one's gauges) and count
        it under its status."""
        self._round.update(result, seconds)
        self._rounds.labels(status=result.status.value).inc()

    def refresh_round(self, result: RunResult, seconds: float) -> None:
        """Show ``result``, the latest round as it is now (late labels recomputed its realized
        performance), without counting it again."""
        self._round.update(result, seconds)

    def render(self) -> tuple[bytes, str]:
        """The registry in the Prometheus text format: ``(body, content type)``."""
        return generate_latest(self.registry), CONTENT_TYPE


def render_round(result: RunResult, seconds: float | None = None) -> bytes:
    """One round's gauges alone in the Prometheus text format (no service counters).

    ``seconds`` defaults to the duration the round recorded (``run.duration_seconds``).
    """
    registry = CollectorRegistry()
    collector = RoundCollector()
    registry.register(collector)
    collector.update(result, seconds if seconds is not None else result.run.duration_seconds)
    return generate_latest(registry)


def write_round_textfile(path: str | os.PathLike[str], result: RunResult,
                         seconds: float | None = None) -> None:
    """Write :func:`render_round` to ``path`` atomically (temp file + rename), as
    node_exporter's textfile collector needs (name the file ``*.prom`` in its folder)."""
    from driftscope.outputs.atomic import write_bytes

    write_bytes(path, render_round(result, seconds))

