"""Labelled performance: metrics equal scikit-learn's, labels compare whatever their type."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from driftscope.model.performance import (
    compute_performance,
    deterioration_pvalues,
    label_text,
    relative_change,
)


def test_label_text_normalises_numbers_and_missing():
    assert [label_text(v) for v in (1, 1.0, np.float64(0.0), "bad", None, float("nan"), True)] \
        == ["1", "1", "0", "bad", None, None, "True"]


def test_metrics_equal_sklearn_and_skip_unlabelled_rows():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    p = np.clip(y * 0.3 + rng.random(400) * 0.7, 0, 1)
    truth = np.array([float(v) for v in y], dtype=object)  # 1.0 / 0.0 as a CSV with NaN gives
    truth[:10] = None
    values, n = compute_performance(truth, p, None, "1")
    assert n == 390
    yy, pp = y[10:] == 1, p[10:]
    assert values["roc_auc"] == pytest.approx(skm.roc_auc_score(yy, pp))
    assert values["accuracy"] == pytest.approx(skm.accuracy_score(yy, pp >= 0.5))
    assert values["brier"] == pytest.approx(skm.brier_score_loss(yy, pp))
    assert values["log_loss"] == pytest.approx(skm.log_loss(yy, pp))


def test_deterioration_pvalues_separate_noise_from_a_real_drop():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 3000)
    good = np.clip(y * 0.3 + rng.random(3000) * 0.7, 0, 1)
    truth = np.array([str(v) for v in y], dtype=object)
    values, _ = compute_performance(truth, good, None, "1")
    base = dict(values)
    same = deterioration_pvalues(truth, good, None, "1", values, base)
    assert all(p > 0.2 for p in same.values())
    worse = np.clip(good + rng.normal(0, 0.4, 3000), 0, 1)
    wv, _ = compute_performance(truth, worse, None, "1")
    drop = deterioration_pvalues(truth, worse, None, "1", wv, base)
    assert drop["roc_auc"] < 1e-6 and drop["accuracy"] < 1e-3


def test_relative_change_sign():
    assert relative_change("accuracy", 0.72, 0.8) == pytest.approx(-0.1)
    assert relative_change("log_loss", 0.55, 0.5) == pytest.approx(-0.1)  # worse is negative
    assert relative_change("roc_auc", None, 0.8) is None
