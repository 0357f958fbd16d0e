"""The shipped Grafana dashboard and alert rules refer only to metrics driftscope exports.

The queries themselves are evaluated by a real Prometheus in
``tests/service/test_prometheus_scrape.py``.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from driftscope.result import PerformanceMetric
from driftscope.service.metrics import ServiceMetrics
from tests.factories import make_result

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
BOARD = DEPLOY / "grafana" / "driftscope.json"
# metric names in PromQL: driftscope's own and the process metrics its registry carries
METRIC = re.compile(r"\b(?:driftscope|process)_[a-z0-9_]+\b")


@pytest.fixture(scope="module")
def board() -> dict[str, Any]:
    return dict(json.loads(BOARD.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def exported() -> set[str]:
    """Every sample name a service exposes once it has seen a round, rows, a refused batch
    and a request (histogram series included)."""
    result = make_result()
    assert result.performance is not None
    estimated = PerformanceMetric(current=0.8, estimated=0.79, baseline=0.83)
    metrics = ServiceMetrics()
    metrics.observe_round(replace(result, performance=replace(
        result.performance, metrics={"roc_auc": estimated})), 1.0)
    metrics.rows_received(10)
    metrics.batch_refused("size")
    metrics.observe_request("GET", "/v1/status", 200, 0.01)
    return {s.name for fam in text_string_to_metric_families(metrics.render()[0].decode())
            for s in fam.samples}


def _exprs(board: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in board["panels"] for t in p.get("targets", [])]


def test_the_dashboard_is_grafana_json(board: dict[str, Any]) -> None:
    assert board["uid"] == "driftscope" and board["title"] == "driftscope"
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    variables = {v["name"] for v in board["templating"]["list"]}
    assert variables == {"datasource", "job", "feature"}
    for panel in board["panels"]:
        assert {"x", "y", "w", "h"} <= panel["gridPos"].keys()
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs))
        for target in panel["targets"]:  # every variable a query uses is defined
            assert set(re.findall(r"\$(\w+)", target["expr"])) <= variables
    # panels do not overlap
    cells = [(x, y) for p in board["panels"]
             for x in range(p["gridPos"]["x"], p["gridPos"]["x"] + p["gridPos"]["w"])
             for y in range(p["gridPos"]["y"], p["gridPos"]["y"] + p["gridPos"]["h"])]
    assert len(cells) == len(set(cells))


def test_the_dashboard_queries_only_exported_metrics(board: dict[str, Any],
                                                     exported: set[str]) -> None:
    used = {name for expr in _exprs(board) for name in METRIC.findall(expr)}
    assert used and used <= exported, used - exported
    # and it shows every family driftscope exports
    families = {re.sub(r"_(bucket|count|sum|created)$", "", n) for n in exported
                if n.startswith("driftscope_") and not n.endswith("_created")}
    shown = {re.sub(r"_(bucket|count|sum)$", "", n) for n in used}
    assert families <= shown, families - shown


def test_the_alert_rules_read_only_exported_metrics(exported: set[str]) -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "driftscope-rules.yml").read_text("utf-8"))
    used = {name for g in rules["groups"] for r in g["rules"] for name in METRIC.findall(r["expr"])}
    assert used == {"driftscope_feature_status", "driftscope_round_status",
                    "driftscope_last_received_timestamp_seconds", "process_start_time_seconds",
                    "driftscope_round_timestamp_seconds"}
    assert used <= exported


def test_a_misspelled_metric_would_be_caught(exported: set[str]) -> None:
    """The name check above can fail: a query with a name driftscope does not export."""
    used = set(METRIC.findall('rate(driftscope_rows_recieved_total[5m])'))
    assert not used <= exported
