"""The proof on the bundled demo: labels withheld, then revealed. The estimate of ROC AUC and
accuracy holds the realized value within its band when only the inputs move (``stable``,
``sudden``, ``new_category``); the concept-drift finding fires when the relation between
inputs and label changes (``concept``) and not on ``stable``."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftscope.config.models import MonitoringConfig
from driftscope.demo.round import demo_config
from driftscope.demo.simulate import simulate
from driftscope.demo.train import train_demo
from driftscope.monitor import Monitor
from driftscope.result import RunResult

# a demo model trained on 8,000 rows and whole rounds of 4,000 rows through its pipeline
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def monitor(tmp_path_factory) -> Monitor:
    folder = tmp_path_factory.mktemp("demo-estimation")
    train_demo(folder, rows=8000, seed=3)
    cfg = demo_config(folder, folder / "out", folder / "unused.parquet")
    if "multivariate" in MonitoringConfig.model_fields:  # not under test here
        cfg = cfg.model_copy(update={"multivariate": cfg.multivariate.model_copy(  # type: ignore[attr-defined]
            update={"enabled": False})})
    monitor = Monitor(cfg)
    monitor.folder = folder  # type: ignore[attr-defined]
    return monitor


def _rounds(monitor: Monitor, scenario: str) -> tuple[RunResult, RunResult]:
    folder: Path = monitor.folder  # type: ignore[attr-defined]
    out = []
    for labels in (False, True):
        path = folder / f"{scenario}_{labels}.parquet"
        simulate(scenario, rows=4000, seed=11, labels=labels).to_parquet(path)
        out.append(monitor.run(path))
    return out[0], out[1]


def _concept_findings(result: RunResult) -> list[str]:
    return [f.message for f in result.findings if f.message.startswith("concept drift")]


@pytest.mark.parametrize("scenario", ["stable", "sudden", "new_category"])
def test_estimate_holds_the_realized_value_within_its_band(monitor, scenario):
    blind, revealed = _rounds(monitor, scenario)
    assert blind.performance is not None and blind.performance.labelled_rows == 0
    assert revealed.performance is not None and revealed.performance.labelled_rows == 4000
    for name in ("roc_auc", "accuracy"):
        est, real = blind.performance.metrics[name], revealed.performance.metrics[name]
        assert est.current is None and est.estimated is not None
        assert est.estimated_lower <= real.current <= est.estimated_upper, (
            scenario, name, real.current, est.estimated, est.estimated_lower,
            est.estimated_upper)
        assert real.estimated == pytest.approx(est.estimated)  # same rows, same estimate
    assert _concept_findings(revealed) == []


def test_concept_drift_finding_fires_for_concept_only(monitor):
    blind, revealed = _rounds(monitor, "concept")
    (message,) = _concept_findings(revealed)
    assert "roc_auc realized" in message and "accuracy realized" in message
    assert _concept_findings(blind) == []  # without labels there is nothing to disagree with
    real = revealed.performance.metrics["roc_auc"]
    assert real.current < real.estimated_lower
