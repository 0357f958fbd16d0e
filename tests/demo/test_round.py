"""Scenario rounds of the bundled demo through the whole engine (model, feature engineering,
metadata): what each scenario moves is what the round flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftscope.demo.round import demo_config
from driftscope.demo.simulate import SCENARIOS, simulate
from driftscope.demo.train import train_demo
from driftscope.monitor import run
from driftscope.result import Severity

# Every test needs a demo model trained on 8,000 rows (5-fold CV) and runs a whole round of
# 4,000 rows through feature engineering and the model: nothing here is quick.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    train_demo(folder, rows=8000, seed=3)
    return folder


def _round(artifacts: Path, scenario: str, rows: int = 4000, labels: bool = True):
    path = artifacts / f"{scenario}_{labels}.parquet"
    simulate(scenario, rows=rows, seed=11, labels=labels).to_parquet(path)
    return run(config=demo_config(artifacts, artifacts / "out", path), progress=False)


def test_stable_is_normal_everywhere(artifacts):
    r = _round(artifacts, "stable")
    assert [f.name for f in r.features if f.status is not Severity.NORMAL] == []
    assert r.prediction is not None and r.prediction.status is Severity.NORMAL
    assert r.status is Severity.NORMAL


def test_sudden_flags_moved_features_only(artifacts):
    r = _round(artifacts, "sudden")
    moved = set(SCENARIOS["sudden"].moves)
    raw = {f.name: f for f in r.features if f.origin == "raw"}
    for name in moved:
        assert raw[name].status is Severity.CRITICAL, raw[name].reason
    for name, f in raw.items():
        if name not in moved:
            assert f.status is Severity.NORMAL, (name, f.reason)
    assert any(f.origin == "engineered" and f.status is not Severity.NORMAL
               for f in r.features)


def test_new_category_reports_unseen_share(artifacts):
    r = _round(artifacts, "new_category")
    (col,) = SCENARIOS["new_category"].moves
    f = r.feature(col)
    assert f.metrics.unseen_share_current > 0.05
    assert f.status is Severity.CRITICAL
    assert any(b.reference_share == 0 and b.current_share > 0 for b in f.bins)


def test_missing_spike_flags_missing_share(artifacts):
    r = _round(artifacts, "missing_spike")
    for col in SCENARIOS["missing_spike"].moves:
        f = r.feature(col)
        assert f.metrics.missing_share_current - f.metrics.missing_share_reference > 0.2
        assert "missing share rose" in f.reason
        assert f.status is Severity.CRITICAL


def test_concept_keeps_features_stable_but_performance_drops(artifacts):
    r = _round(artifacts, "concept")
    assert all(f.status is Severity.NORMAL for f in r.features if f.origin == "raw")
    assert r.performance is not None
    assert r.performance.status is not Severity.NORMAL
    assert r.performance.metrics["roc_auc"].relative_change < -0.05


def test_without_labels_performance_is_estimated_not_measured_and_said(artifacts):
    r = _round(artifacts, "stable", labels=False)
    assert r.target is None
    assert r.performance is not None and r.performance.labelled_rows == 0  # estimated only
    assert all(m.current is None and m.estimated is not None
               for m in r.performance.metrics.values())
    assert any("no labels" in f.message for f in r.findings)
