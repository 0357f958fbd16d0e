"""Multiclass performance estimation: the expected confusion matrix against a direct
computation, realized metrics against scikit-learn, and whole rounds of a multiclass model."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from driftscope.config.models import MonitoringConfig
from driftscope.model.estimation import EstimatorState
from driftscope.model.estimation_multiclass import (
    MulticlassState,
    estimate_multiclass,
    fit_multiclass,
    multiclass_point_estimate,
    realized_multiclass,
)
from driftscope.monitor import Monitor


def _probabilities(n: int, seed: int, k: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 1.2, (n, k))
    return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


def _identity(k: int) -> MulticlassState:
    curve = EstimatorState(kind="identity", x=np.empty(0), y=np.empty(0), spread={}, rows=1)
    return MulticlassState(classes=tuple("abcd"[:k]), curves=(curve,) * k,
                           spread={"accuracy": 1.0}, rows=1)


def test_expected_confusion_matrix_computed_directly():
    p = _probabilities(300, 0)
    predicted = np.random.default_rng(1).integers(0, 4, 300)  # not the argmax: the model's own
    got = multiclass_point_estimate(_identity(4), p, predicted)
    cm = np.zeros((4, 4))
    for i in range(300):
        for t in range(4):
            cm[t, predicted[i]] += p[i, t]
    f1 = [2 * cm[c, c] / (cm[c, :].sum() + cm[:, c].sum()) for c in range(4)]
    assert got["accuracy"] == pytest.approx(np.trace(cm) / 300)
    assert got["macro_f1"] == pytest.approx(np.mean(f1))
    assert got["weighted_f1"] == pytest.approx(np.dot(f1, cm.sum(axis=1)) / 300)
    assert got["log_loss"] == pytest.approx(-np.mean((p * np.log(p)).sum(axis=1)))


def test_realized_multiclass_equals_sklearn():
    p = _probabilities(1000, 2)
    rng = np.random.default_rng(3)
    truth = np.array([rng.choice(4, p=row) for row in p])
    predicted = p.argmax(axis=1)
    got = realized_multiclass(truth, p, predicted)
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(truth, predicted))
    assert got["macro_f1"] == pytest.approx(skm.f1_score(truth, predicted, average="macro"))
    assert got["weighted_f1"] == pytest.approx(skm.f1_score(truth, predicted,
                                                            average="weighted"))
    assert got["log_loss"] == pytest.approx(skm.log_loss(truth, p, labels=range(4)))


def test_estimate_is_the_mean_realized_value_and_its_band_the_spread():
    p = _probabilities(40000, 4)
    rng = np.random.default_rng(5)
    cum = p.cumsum(axis=1)
    truth = (rng.random((40000, 1)) > cum).sum(axis=1)
    predicted = p.argmax(axis=1)
    state = fit_multiclass(truth[:20000], p[:20000], predicted[:20000], list("abcd"),
                           calibration="auto")
    assert all(c.kind == "identity" for c in state.curves)  # calibrated already: kept
    cur = slice(20000, 21000)
    est = estimate_multiclass(state, p[cur], predicted[cur])
    draws = []
    for _ in range(300):
        y = (rng.random((1000, 1)) > cum[cur]).sum(axis=1)
        draws.append(realized_multiclass(y, p[cur], predicted[cur]))
    for name in ("accuracy", "macro_f1", "weighted_f1", "log_loss"):
        sample = [d[name] for d in draws]
        assert est.values[name] == pytest.approx(np.mean(sample), abs=0.01), name
        assert est.standard_errors[name] == pytest.approx(np.std(sample), rel=0.25), name
    back = MulticlassState.from_plain(state.to_plain())
    np.testing.assert_allclose(back.calibrate(p[:50]), state.calibrate(p[:50]))


def _frames(n: int, seed: int, concept: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, 2))
    cls = np.where(x[:, 0] + rng.normal(0, 0.7, n) > 0.5, "up",
                   np.where(x[:, 1] + rng.normal(0, 0.7, n) > 0, "right", "rest"))
    if concept:
        cls = rng.permutation(cls)
    return pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "y": cls})


@pytest.mark.slow
def test_rounds_of_a_multiclass_model_file(tmp_path):
    from sklearn.linear_model import LogisticRegression

    train = _frames(4000, 10)
    model = LogisticRegression(max_iter=500).fit(train[["x0", "x1"]], train["y"])
    joblib.dump(model, tmp_path / "m.joblib")
    quick = ({"multivariate": {"enabled": False}}
             if "multivariate" in MonitoringConfig.model_fields else {})
    cfg = MonitoringConfig(model=str(tmp_path / "m.joblib"), target="y", progress="never",
                           html=False, **quick)
    monitor = Monitor(cfg, reference=_frames(4000, 11))
    assert monitor.baseline.settings["estimation"]["multiclass"] is True
    labelled = _frames(3000, 12)
    blind = monitor.run(labelled.drop(columns=["y"])).performance
    seen = monitor.run(labelled)
    assert blind is not None and blind.labelled_rows == 0 and blind.estimated_rows == 3000
    for name in ("accuracy", "macro_f1", "weighted_f1"):
        est, real = blind.metrics[name], seen.performance.metrics[name]
        assert est.estimated_lower <= real.current <= est.estimated_upper, name
    assert not [f for f in seen.findings if f.message.startswith("concept drift")]
    assert seen.performance.per_class is not None  # the realized multiclass view is kept
    drifted = monitor.run(_frames(3000, 13, concept=True))
    (message,) = [f.message for f in drifted.findings if f.message.startswith("concept drift")]
    assert "accuracy realized" in message
