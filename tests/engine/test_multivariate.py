"""Drift no single feature shows (driftscope.engine.multivariate): the domain classifier and
the PCA reconstruction error, their numbers against scikit-learn, every setting's effect, and
the demo's stable and sudden scenarios."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import driftscope
from driftscope.baseline import load_baseline, save_baseline
from driftscope.config.models import MonitoringConfig, MultivariateSettings
from driftscope.engine.build import build_baseline
from driftscope.engine.multivariate import (
    domain_classifier,
    encode,
    multivariate_drift,
    pca_reconstruction,
)
from driftscope.severity import Severity


def _frame(n: int, seed: int, rotate: bool = False) -> pd.DataFrame:
    """``a`` and ``b`` correlated (+0.9); ``rotate`` flips the correlation to -0.9 and keeps
    every marginal distribution: drift no single feature shows."""
    rng = np.random.default_rng(seed)
    a = rng.normal(0, 1, n)
    b = (-0.9 if rotate else 0.9) * a + math.sqrt(1 - 0.81) * rng.normal(0, 1, n)
    return pd.DataFrame({"a": a, "b": b, "c": rng.choice(["x", "y", "z"], n),
                         "d": rng.normal(5, 2, n)})


def test_the_domain_classifier_is_sklearns_cross_validation() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    ref, cur = _frame(600, 1), _frame(500, 2, rotate=True)
    xr, xc, mask, names = encode(ref, cur)
    assert names == ["a", "b", "c", "d"] and mask.tolist() == [False, False, True, False]
    cfg = MultivariateSettings(folds=4)
    got = domain_classifier(xr, xc, mask, cfg, seed=3)
    X, y = np.vstack([xr, xc]), np.r_[np.zeros(600), np.ones(500)]
    est = HistGradientBoostingClassifier(max_iter=50, max_leaf_nodes=15, early_stopping=False,
                                         categorical_features=mask, random_state=3)
    scores = cross_val_score(est, X, y, scoring="roc_auc",
                             cv=StratifiedKFold(4, shuffle=True, random_state=3))
    assert got.fold_aucs == pytest.approx(tuple(scores))
    assert got.auc == pytest.approx(scores.mean())
    from scipy.stats import t

    half = t.ppf(0.975, 3) * scores.std(ddof=1) / 2
    assert (got.auc_lower, got.auc_upper) == pytest.approx((scores.mean() - half,
                                                             scores.mean() + half))
    assert got.auc > 0.8 and got.status is Severity.CRITICAL  # the joint distribution moved
    same = domain_classifier(*encode(ref, _frame(500, 11))[:3], cfg, seed=3)
    assert same.status is Severity.NORMAL and same.auc < 0.56


def test_pca_reconstruction_matches_a_pca_fitted_by_hand() -> None:
    from sklearn.decomposition import PCA

    ref = _frame(800, 1)[["a", "b", "d"]]
    cur = _frame(400, 2, rotate=True)[["a", "b", "d"]]
    cfg = MultivariateSettings(pca_variance=0.6)
    got = pca_reconstruction(ref, cur, cfg, seed=5)
    order = np.random.default_rng(5).permutation(800)
    fit = ref.to_numpy()[order[:400]]
    mean, sd = fit.mean(axis=0), fit.std(axis=0)
    pca = PCA(n_components=0.6, svd_solver="full").fit((fit - mean) / sd)
    z = (cur.to_numpy() - mean) / sd
    err = np.sqrt(((z - pca.inverse_transform(pca.transform(z))) ** 2).sum(axis=1))
    assert got.components == pca.n_components_ == 1
    assert got.variance_kept == pytest.approx(pca.explained_variance_ratio_.sum())
    assert got.current_error == pytest.approx(err.mean())
    held = (ref.to_numpy()[order[400:]] - mean) / sd
    held_err = np.sqrt(((held - pca.inverse_transform(pca.transform(held))) ** 2).sum(axis=1))
    assert got.reference_error == pytest.approx(held_err.mean())
    assert got.status is Severity.CRITICAL  # the rotated rows do not fit the reference's axis
    assert pca_reconstruction(ref, _frame(400, 3)[["a", "b", "d"]], cfg,
                              seed=5).status is Severity.NORMAL


def test_every_setting_has_an_effect() -> None:
    ref, cur = _frame(1000, 1), _frame(1000, 2, rotate=True)
    base = multivariate_drift(ref, cur, MultivariateSettings(), seed=0)
    assert base.domain_classifier is not None and base.pca_reconstruction is not None
    assert base.domain_classifier.reference_rows == 1000
    rows = multivariate_drift(ref, cur, MultivariateSettings(rows=300), seed=0)
    assert (rows.domain_classifier.reference_rows, rows.domain_classifier.current_rows) == \
        (300, 300)
    assert rows.sample_rows == 300
    folds = multivariate_drift(ref, cur, MultivariateSettings(folds=3), seed=0)
    assert len(folds.domain_classifier.fold_aucs) == 3
    strict = multivariate_drift(ref, cur, MultivariateSettings(auc_warning=0.99,
                                                               auc_critical=0.995), seed=0)
    assert strict.domain_classifier.status is Severity.NORMAL
    warn = multivariate_drift(ref, cur, MultivariateSettings(auc_warning=0.6,
                                                             auc_critical=0.999), seed=0)
    assert warn.domain_classifier.status is Severity.WARNING
    few = multivariate_drift(ref, cur, MultivariateSettings(pca_variance=0.3), seed=0)
    many = multivariate_drift(ref, cur, MultivariateSettings(pca_variance=0.95), seed=0)
    assert few.pca_reconstruction.components < many.pca_reconstruction.components
    wide = multivariate_drift(ref, cur, MultivariateSettings(pca_sigmas=1000.0), seed=0)
    assert wide.pca_reconstruction.warning_threshold > base.pca_reconstruction.warning_threshold
    assert wide.pca_reconstruction.status is Severity.NORMAL
    assert base.pca_reconstruction.status is Severity.CRITICAL
    with pytest.raises(ValueError, match="auc_warning must not exceed auc_critical"):
        MultivariateSettings(auc_warning=0.9, auc_critical=0.8)
    skipped = multivariate_drift(None, cur, MultivariateSettings(), seed=0)
    assert skipped.domain_classifier is None and "rebuild it" in skipped.reason


def test_the_round_reports_it_in_the_json_the_html_and_the_baseline(tmp_path: Path) -> None:
    from driftscope.outputs.html import render_html
    from driftscope.outputs.json_report import validate_report

    ref, cur = _frame(1500, 1), _frame(800, 2, rotate=True)
    cfg = MonitoringConfig(multivariate={"enabled": True, "rows": 500})
    result = driftscope.run(ref, cur, cfg, progress=False)
    mv = result.multivariate
    assert mv is not None and mv.status is Severity.CRITICAL
    # no single feature shows it: every marginal is the reference's
    assert all(f.status is Severity.NORMAL for f in result.features)
    assert mv.domain_classifier.reference_rows == 500
    data = result.to_dict()
    validate_report(data)
    assert set(data["multivariate"]) >= {"status", "domain_classifier", "pca_reconstruction"}
    assert type(result).from_dict(data) == result
    html = render_html(result)
    assert 'id="multivariate"' in html and "domain classifier ROC AUC" in html
    # the baseline keeps its sample (sample.parquet), and a round against it measures alike
    baseline = build_baseline(ref, cfg)
    assert baseline.sample is not None and baseline.sample.num_rows == 500
    save_baseline(baseline, tmp_path / "bl")
    assert (tmp_path / "bl" / "sample.parquet").is_file()
    loaded = load_baseline(tmp_path / "bl")
    again = driftscope.run(current=cur, baseline=loaded, config=cfg, progress=False)
    assert again.multivariate.domain_classifier.auc == pytest.approx(mv.domain_classifier.auc)
    save_baseline(baseline, tmp_path / "bl")  # replacing a baseline with a sample is allowed
    # disabled, or unset without a model: no section, no sample
    off = driftscope.run(ref, cur, MonitoringConfig(multivariate={"enabled": False}),
                         progress=False)
    assert off.multivariate is None and "multivariate" not in off.to_dict()
    assert driftscope.run(ref, cur, MonitoringConfig(), progress=False).multivariate is None
    assert build_baseline(ref, MonitoringConfig()).sample is None
    # a baseline without a sample (an earlier driftscope's) says so
    (tmp_path / "bl" / "sample.parquet").unlink()
    old = driftscope.run(current=cur, baseline=tmp_path / "bl", config=cfg, progress=False)
    assert old.multivariate.domain_classifier is None
    assert "holds no reference sample" in old.multivariate.reason


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from driftscope.demo.train import train_demo

    folder = tmp_path_factory.mktemp("demo")
    train_demo(folder, rows=8000, seed=3)
    return folder


@pytest.mark.slow
def test_the_demo_domain_classifier_is_near_half_on_stable_and_high_on_sudden(
        demo: Path) -> None:
    from driftscope.demo.round import demo_config
    from driftscope.demo.simulate import simulate
    from driftscope.monitor import run

    cfg = demo_config(demo, demo / "out", demo / "unused.parquet").model_copy(
        update={"current": None})
    baseline = build_baseline(cfg.reference, cfg)
    assert baseline.settings["multivariate_sample"] == "model_input"
    assert baseline.settings["importance"]["method"] == "permutation"

    def round_of(scenario: str, **extra: Any):  # noqa: ANN202
        return run(current=simulate(scenario, rows=3000, seed=8), config=cfg,
                   baseline=baseline, progress=False, **extra)

    stable = round_of("stable").multivariate
    assert stable is not None and stable.status is Severity.NORMAL
    assert abs(stable.domain_classifier.auc - 0.5) < 0.05
    assert stable.domain_classifier.auc_lower <= 0.5
    sudden = round_of("sudden")
    dc = sudden.multivariate.domain_classifier
    assert dc.auc > 0.8 and dc.auc_lower > 0.5 and dc.status is Severity.CRITICAL
    assert sudden.multivariate.pca_reconstruction.status is not Severity.NORMAL
    # drift impact through the feature engineering: the raw income (read by the model only
    # through engineered ratios) has an importance share of its own
    income = sudden.feature("income")
    assert income.importance is not None and income.importance > 0
    assert round_of("sudden", multivariate={"enabled": False}).multivariate is None


def test_streamed_rounds_keep_the_model_input_up_to_a_bound(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import joblib
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import driftscope.engine.round as round_module

    ref, cur = _frame(3000, 1), _frame(2500, 2, rotate=True)
    ref["y"] = np.where(ref["a"] > 0, "p", "n")
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(ref[["a", "b", "d"]],
                                                                      ref["y"])
    joblib.dump(model, tmp_path / "m.joblib")
    cur.to_parquet(tmp_path / "cur.parquet")
    cfg = MonitoringConfig(model=str(tmp_path / "m.joblib"), target="y",
                           multivariate={"rows": 500})
    baseline = build_baseline(ref, cfg)

    def streamed() -> Any:
        return driftscope.run(current=tmp_path / "cur.parquet", baseline=baseline, config=cfg,
                              backend="streaming", batch_rows=1000, progress=False)

    local = driftscope.run(current=cur, baseline=baseline, config=cfg, progress=False)
    whole = streamed()  # 2,500 rows in 3 batches: all kept, the local numbers
    assert whole.multivariate == local.multivariate and whole.contract == local.contract
    assert whole.multivariate.domain_classifier.status is Severity.CRITICAL
    monkeypatch.setattr(round_module, "KEPT_MODEL_INPUT_ROWS", 1500)
    bounded = streamed()
    assert bounded.multivariate.domain_classifier is None
    assert "not kept" in bounded.multivariate.reason
    assert bounded.contract is not None and not bounded.contract.readable


def test_the_pca_check_raises_no_more_warnings_than_its_threshold_allows_without_drift() -> None:
    """Reference and current drawn from one distribution, 200 times: a threshold of 3
    standard errors lets about 0.1 % of rounds through one-sided. The earlier threshold (the
    spread of chunks of the held-out half) was about 2.5 times too tight: about one round in
    ten was a WARNING."""
    cfg = MultivariateSettings()
    warnings = 0
    rng = np.random.default_rng(11)
    for trial in range(200):
        x = rng.normal(size=(3000, 8)) @ rng.normal(size=(8, 8))  # correlated columns
        ref = pd.DataFrame(x[:2000], columns=[f"x{i}" for i in range(8)])
        cur = pd.DataFrame(x[2000:], columns=ref.columns)
        result = pca_reconstruction(ref, cur, cfg, seed=trial)
        warnings += result.status is not Severity.NORMAL
        assert result.warning_threshold is not None and result.reference_error is not None
    assert warnings <= 4


def test_infinite_values_count_as_missing_in_both_checks() -> None:
    """An infinity in a numerical column neither crashes the PCA nor the classifier."""
    cfg = MultivariateSettings()
    ref = _frame(400, 1)
    cur = _frame(300, 2)
    cur.loc[:9, "a"] = np.inf
    cur.loc[10:14, "d"] = -np.inf
    result = multivariate_drift(ref, cur, cfg, seed=0)
    assert result.domain_classifier is not None and result.pca_reconstruction is not None
    assert math.isfinite(result.pca_reconstruction.current_error or math.nan)
    assert math.isfinite(result.domain_classifier.auc or math.nan)
