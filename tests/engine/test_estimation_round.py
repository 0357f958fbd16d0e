"""Performance without labels through whole rounds: logged probability and prediction columns,
the estimator stored in the baseline, the report fields, the alerts and every config field."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from driftscope.baseline import load_baseline, save_baseline
from driftscope.config.models import MonitoringConfig
from driftscope.engine.build import build_baseline
from driftscope.model.estimation import EstimatorState, point_estimate
from driftscope.monitor import Monitor
from driftscope.outputs.json_report import validate_report
from driftscope.result import RunResult, Severity


def _table(n: int, seed: int, *, spread: float = 1.0, labels: bool = True,
           concept: float = 0.0) -> pa.Table:
    """Logged scores of a calibrated model; ``spread`` < 1 gathers the input ``x`` near the
    decision boundary (covariate shift to a harder population: worse performance).
    ``concept``: the share of rows whose label no longer follows the score (a coin flip)."""
    rng = np.random.default_rng(seed)
    x = 0.18 + (rng.normal(0, 1, n) - 0.18) * spread
    score = 1 / (1 + np.exp(-(2.2 * x - 0.4)))
    flipped = rng.random(n) < concept
    y = rng.random(n) < np.where(flipped, 0.5, score)
    cols = {"x": x, "z": rng.normal(0, 1, n), "score": score,
            "pred": (score >= 0.5).astype(int)}
    if labels:
        cols["y"] = y.astype(int)
    return pa.table(cols)


QUICK = ({"multivariate": {"enabled": False}}
         if "multivariate" in MonitoringConfig.model_fields else {})
"""Rounds without the multivariate checks (a domain classifier per round): not under test."""


def _cfg(**kw) -> MonitoringConfig:
    return MonitoringConfig(proba_column="score", prediction_column="pred", target="y",
                            progress="never", html=False, **QUICK, **kw)


@pytest.fixture(scope="module")
def reference() -> pa.Table:
    return _table(6000, 1)


def _round(reference: pa.Table, current: pa.Table, **kw) -> RunResult:
    return Monitor(_cfg(**kw), reference=reference).run(current)


@pytest.mark.slow
def test_without_labels_performance_is_estimated_with_its_band(reference):
    cur = _table(3000, 2, labels=False)
    r = _round(reference, cur)
    assert r.performance is not None
    assert r.performance.labelled_rows == 0 and r.performance.estimated_rows == 3000
    state = EstimatorState.from_plain(
        Monitor(_cfg(), reference=reference).baseline.settings["estimation"])
    # independent: the expected confusion matrix of the calibrated scores, with numpy
    p = state.calibrate(cur.column("score").to_numpy())
    pred = cur.column("pred").to_numpy() == 1
    tp, fp = p[pred].sum(), (1 - p[pred]).sum()
    fn, tn = p[~pred].sum(), (1 - p[~pred]).sum()
    acc = r.performance.metrics["accuracy"]
    assert acc.current is None
    assert acc.estimated == pytest.approx((tp + tn) / 3000)
    assert r.performance.metrics["precision"].estimated == pytest.approx(tp / (tp + fp))
    assert r.performance.metrics["recall"].estimated == pytest.approx(tp / (tp + fn))
    assert acc.estimated_lower < acc.estimated < acc.estimated_upper
    assert r.performance.status is Severity.NORMAL
    data = json.loads(r.to_json())
    validate_report(data)
    assert data["performance"]["metrics"]["roc_auc"]["estimated_upper"] is not None
    assert data["performance"]["estimated_rows"] == 3000
    assert RunResult.from_dict(data).performance == r.performance


def test_labels_withheld_then_revealed_realized_lies_in_the_band(reference):
    labelled = _table(3000, 3)
    blind = _round(reference, labelled.drop(["y"])).performance
    seen = _round(reference, labelled).performance
    assert blind is not None and seen is not None
    for name in ("accuracy", "roc_auc", "f1"):
        est, real = blind.metrics[name], seen.metrics[name]
        assert est.estimated == pytest.approx(seen.metrics[name].estimated)
        assert est.estimated_lower <= real.current <= est.estimated_upper, name
    assert seen.estimated_rows == 3000 and seen.labelled_rows == 3000


def test_concept_drift_finding_fires_only_when_labels_disagree(reference):
    quiet = _round(reference, _table(3000, 4))
    assert not [f for f in quiet.findings if f.message.startswith("concept drift")]
    drifted = _round(reference, _table(3000, 4, concept=1.0))
    (finding,) = [f for f in drifted.findings if f.message.startswith("concept drift")]
    assert "roc_auc realized" in finding.message


def test_an_estimated_drop_raises_the_status_beyond_noise_only(reference):
    harder = _table(4000, 5, spread=0.3, labels=False)
    r = _round(reference, harder)
    acc = r.performance.metrics["accuracy"]
    assert acc.relative_change < -0.10
    assert acc.status is Severity.CRITICAL and r.performance.status is Severity.CRITICAL
    assert r.status is Severity.CRITICAL
    assert r.performance.reason.startswith("Estimated ")
    few = _round(reference, _table(40, 5, spread=0.5, labels=False))
    drop = few.performance.metrics["accuracy"]
    assert drop.relative_change < -0.05 and drop.status is Severity.NORMAL
    assert "not significantly" in few.performance.reason
    unguarded = _round(reference, _table(40, 5, spread=0.5, labels=False),
                       significance_guard=False)
    assert unguarded.performance.metrics["accuracy"].status is not Severity.NORMAL


def test_band_sigmas_sets_the_width(reference):
    cur = _table(2000, 6, labels=False)
    narrow = _round(reference, cur, estimation={"band_sigmas": 1.0}).performance.metrics
    wide = _round(reference, cur, estimation={"band_sigmas": 4.0}).performance.metrics
    for name in ("accuracy", "roc_auc"):
        n, w = narrow[name], wide[name]
        assert n.estimated == w.estimated
        assert (w.estimated_upper - w.estimated_lower) == pytest.approx(
            4 * (n.estimated_upper - n.estimated_lower))


def test_significance_decides_the_concept_drift_finding_not_the_band(reference):
    """The finding tests the gap against both sampling errors (the batch's and the
    calibration's) at ``significance``, Benjamini-Hochberg over the metrics; ``band_sigmas``
    only draws the band."""
    cur = _table(3000, 7, concept=0.1)

    def found(**kw: object) -> bool:
        return any(f.message.startswith("concept drift") for f in _round(reference, cur,
                                                                          **kw).findings)

    assert found(significance=0.01)
    assert not found(significance=1e-12)
    assert found(estimation={"band_sigmas": 10.0})


def test_enabled_false_turns_estimation_off(reference):
    off = _round(reference, _table(1000, 8, labels=False), estimation={"enabled": False})
    assert off.performance is None
    labelled = _round(reference, _table(1000, 8), estimation={"enabled": False})
    assert labelled.performance is not None
    assert all(m.estimated is None for m in labelled.performance.metrics.values())
    bl = build_baseline(reference, _cfg(estimation={"enabled": False}))
    assert bl.settings["estimation"] is None


@pytest.mark.slow
def test_calibration_setting_is_stored_in_the_baseline(reference):
    # over-confident logged scores: the labels follow a flatter curve than the scores
    rng = np.random.default_rng(9)
    t = reference.to_pandas()
    s = t["score"].to_numpy()
    t["y"] = (rng.random(len(t)) < 0.5 + (s - 0.5) * 0.5).astype(int)
    ref = pa.Table.from_pandas(t, preserve_index=False)
    kinds = {c: build_baseline(ref, _cfg(estimation={"calibration": c})).settings[
        "estimation"]["kind"] for c in ("auto", "none", "isotonic")}
    assert kinds == {"auto": "isotonic", "none": "identity", "isotonic": "isotonic"}
    cur = _table(3000, 10, labels=False)
    calibrated = Monitor(_cfg(), reference=ref).run(cur).performance.metrics["accuracy"]
    raw = Monitor(_cfg(estimation={"calibration": "none"}), reference=ref).run(
        cur).performance.metrics["accuracy"]
    assert raw.estimated > calibrated.estimated + 0.05  # taken at their word, scores flatter


def test_estimator_is_stored_in_the_baseline_folder_as_plain_data(reference, tmp_path):
    bl = build_baseline(reference, _cfg(estimation={"calibration": "isotonic"}))
    folder = save_baseline(bl, tmp_path / "bl")
    manifest = json.loads((folder / "manifest.json").read_text())
    saved = manifest["settings"]["estimation"]
    assert saved["kind"] == "isotonic" and len(saved["x"]) == len(saved["y"]) > 2
    assert set(saved["spread"]) >= {"accuracy", "roc_auc", "f1"}
    assert {p.name for p in folder.iterdir()} <= {"manifest.json", "values"}  # no pickle
    cur = _table(2000, 11, labels=False)
    direct = Monitor(_cfg(), baseline=bl).run(cur).performance
    loaded = Monitor(_cfg(), baseline=load_baseline(folder)).run(cur).performance
    assert direct.metrics == loaded.metrics


def test_old_baseline_without_estimator_says_so(reference, tmp_path):
    bl = build_baseline(reference, _cfg())
    folder = save_baseline(bl, tmp_path / "old")
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["settings"]["estimation"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    cur = _table(500, 12, labels=False)
    r = Monitor(_cfg(), baseline=load_baseline(folder)).run(cur)
    assert r.performance is None
    assert any("without performance estimation; rebuild it" in f.message for f in r.findings)
    # given the reference too (Python API), the estimator is fitted from it on the fly
    fly = Monitor(_cfg(), baseline=load_baseline(folder), reference=reference).run(cur)
    fresh = Monitor(_cfg(), baseline=bl).run(cur)
    assert fly.performance is not None and fly.performance.metrics == fresh.performance.metrics
    assert not any("performance was not estimated" in f.message for f in fly.findings)


def test_damaged_estimator_is_a_finding_not_a_crash(reference, tmp_path):
    folder = save_baseline(build_baseline(reference, _cfg()), tmp_path / "bad")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["settings"]["estimation"]["kind"] = "magic"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    r = Monitor(_cfg(), baseline=load_baseline(folder)).run(_table(500, 13, labels=False))
    assert any("estimator is damaged" in f.message for f in r.findings)


def test_prediction_column_alone_is_not_estimated(reference):
    cfg = MonitoringConfig(prediction_column="pred", target="y", progress="never", html=False,
                           **QUICK)
    r = Monitor(cfg, reference=reference).run(_table(500, 14, labels=False))
    assert r.performance is None
    assert any("performance was not estimated" in f.message and "--proba-column" in f.message
               for f in r.findings)


def test_probability_column_alone_decides_at_one_half(reference):
    cfg = MonitoringConfig(proba_column="score", target="y", progress="never", html=False,
                           **QUICK)
    cur = _table(1500, 15, labels=False)
    r = Monitor(cfg, reference=reference).run(cur)
    state = EstimatorState.from_plain(
        Monitor(cfg, reference=reference).baseline.settings["estimation"])
    score = cur.column("score").to_numpy()
    expected = point_estimate(state, score, score >= 0.5)
    assert r.performance.metrics["accuracy"].estimated == pytest.approx(expected["accuracy"])


def test_multiclass_logged_columns_are_not_estimated_and_say_so():
    rng = np.random.default_rng(16)
    n = 1500
    ref = pa.table({"x": rng.normal(0, 1, n), "pred": rng.choice(["a", "b", "c"], n),
                    "y": rng.choice(["a", "b", "c"], n)})
    cfg = MonitoringConfig(prediction_column="pred", target="y", progress="never", html=False,
                           **QUICK)
    r = Monitor(cfg, reference=ref).run(ref)
    assert all(m.estimated is None for m in r.performance.metrics.values())
    assert any("performance was not estimated" in f.message and "probability of every "
               "class" in f.message for f in r.findings)


@pytest.mark.slow
def test_estimate_reaches_html_dashboard_and_history(reference, tmp_path):
    from driftscope.dashboard import app_performance
    from driftscope.outputs.html import render_html
    from driftscope.store.history import HistoryStore

    monitor = Monitor(_cfg(), reference=reference)
    rounds = [monitor.run(_table(1500, 20 + i, labels=False)) for i in range(2)]
    acc = rounds[-1].performance.metrics["accuracy"]
    html = render_html(rounds[-1])
    assert f"{acc.estimated_lower:.3f}–{acc.estimated_upper:.3f}" in html
    table = {r["Metric"]: r for r in app_performance.performance_table(rounds[-1])}
    assert table["accuracy"]["Current"] is None
    assert table["accuracy"]["Estimated band"] == \
        f"{acc.estimated_lower:.3f}–{acc.estimated_upper:.3f}"
    with HistoryStore(tmp_path / "h.db") as store:
        for r in rounds:
            store.record(r)
        points = store.performance_series(metric="roc_auc")
        assert [p.estimated for p in points] == [
            r.performance.metrics["roc_auc"].estimated for r in rounds]
        frame = app_performance.performance_frame(points)
        assert set(frame["kind"]) >= {"estimated", "baseline"} and "current" not in set(
            frame["kind"])
        stored = store.load(rounds[-1].run.id).performance
    assert stored.metrics["accuracy"].estimated_upper == acc.estimated_upper  # the band


@pytest.mark.slow
def test_command_line_baseline_then_a_round_without_labels(reference, tmp_path):
    from driftscope.cli import main
    from tests.conftest import FAST

    reference.to_pandas().to_csv(tmp_path / "ref.csv", index=False)
    _table(2000, 30, labels=False).to_pandas().to_csv(tmp_path / "cur.csv", index=False)
    logged = ["--proba-column", "score", "--prediction-column", "pred", "--target", "y"]
    assert main(["baseline", "--reference", str(tmp_path / "ref.csv"), *logged,
                 "--out", str(tmp_path / "bl"), "--no-progress"]) == 0
    assert main(["run", "--baseline", str(tmp_path / "bl"), "--current",
                 str(tmp_path / "cur.csv"), *logged, "--out", str(tmp_path / "out"),
                 *FAST]) == 0
    report = json.loads((tmp_path / "out" / "drift_report.json").read_text())
    validate_report(report)
    auc = report["performance"]["metrics"]["roc_auc"]
    assert auc["current"] is None
    assert auc["estimated_lower"] < auc["estimated"] < auc["estimated_upper"]
    assert report["performance"]["estimated_rows"] == 2000


def test_a_round_for_another_positive_class_is_not_estimated(reference):
    bl = build_baseline(reference, _cfg())
    assert bl.settings["estimation"]["positive_class"] == "1"
    r = Monitor(_cfg(positive_class="0"), baseline=bl).run(_table(1000, 31, labels=False))
    assert r.performance is None
    assert any("calibrated the probability of class '1', this round scores class '0'"
               in f.message for f in r.findings)
