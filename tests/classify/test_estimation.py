"""The verdict on estimated performance: the drop against the baseline, its significance
(normal tail at the estimate's standard error, BH over the metrics), and labels deciding
where they exist."""

from __future__ import annotations

import pytest
from scipy import stats

from driftscope.classify.estimation import classify_estimate, disagreements
from driftscope.config.models import MonitoringConfig
from driftscope.model.estimation import Estimate
from driftscope.result import PerformanceMetric, PerformanceResult, Severity


def _est(values, se, rows=1000, predicted=300, expected=300.0) -> Estimate:
    return Estimate(values=values, standard_errors={k: se for k in values}, rows=rows,
                    predicted_positive=predicted, expected_positive=expected)


def test_a_significant_estimated_drop_is_critical_and_its_band_is_reported():
    est = _est({"accuracy": 0.70, "roc_auc": 0.79}, 0.01)
    r = classify_estimate(None, est, {"accuracy": 0.80, "roc_auc": 0.80}, MonitoringConfig())
    acc, auc = r.metrics["accuracy"], r.metrics["roc_auc"]
    assert acc.status is Severity.CRITICAL and acc.relative_change == pytest.approx(-0.125)
    assert (acc.estimated_lower, acc.estimated_upper) == pytest.approx((0.67, 0.73))
    assert auc.status is Severity.NORMAL  # -1.25 %: below the warning threshold
    assert r.status is Severity.CRITICAL and r.labelled_rows == 0 and r.estimated_rows == 1000
    assert r.reason.startswith("Estimated accuracy is 12.5% worse")


def test_the_guard_is_the_normal_tail_at_the_standard_error_after_bh():
    # a 7.5 % drop (WARNING by size) whose z = -0.06 / 0.04 = -1.5: p = 0.067, not significant
    est = _est({"accuracy": 0.74}, 0.04)
    r = classify_estimate(None, est, {"accuracy": 0.80}, MonitoringConfig())
    assert stats.norm.cdf(-1.5) > 0.01
    assert r.metrics["accuracy"].status is Severity.NORMAL
    assert "not significantly" in r.reason
    loose = classify_estimate(None, est, {"accuracy": 0.80},
                              MonitoringConfig(significance=0.1))
    assert loose.metrics["accuracy"].status is Severity.WARNING


def test_lower_is_better_metrics_drop_when_they_rise():
    est = _est({"brier": 0.20, "log_loss": 0.40}, 0.002)
    r = classify_estimate(None, est, {"brier": 0.15, "log_loss": 0.41}, MonitoringConfig())
    assert r.metrics["brier"].status is Severity.CRITICAL
    assert r.metrics["log_loss"].status is Severity.NORMAL  # better than its baseline


def test_precision_with_few_predicted_positives_is_not_judged():
    est = _est({"precision": 0.3}, 0.001, predicted=5, expected=100.0)
    r = classify_estimate(None, est, {"precision": 0.6}, MonitoringConfig())
    assert r.metrics["precision"].status is Severity.NORMAL


def test_labels_decide_where_they_measured_the_metric():
    measured = PerformanceResult(
        status=Severity.NORMAL, reason="Measured on 1000 labelled rows.", labelled_rows=1000,
        metrics={"accuracy": PerformanceMetric(current=0.80, estimated=None, baseline=0.80,
                                               relative_change=0.0)})
    est = _est({"accuracy": 0.60}, 0.01)
    r = classify_estimate(measured, est, {"accuracy": 0.80}, MonitoringConfig())
    acc = r.metrics["accuracy"]
    assert acc.current == 0.80 and acc.estimated == 0.60 and acc.status is Severity.NORMAL
    assert r.labelled_rows == 1000 and r.estimated_rows == 1000
    assert r.reason == "Measured on 1000 labelled rows."  # the measurement's own reason


def test_disagreement_needs_more_than_both_sampling_errors_and_survives_the_correction():
    """SE 0.01 at the batch, calibration on as many reference rows as the batch has: the
    difference's standard error is 0.01·√2; accuracy 4 SE off (2.83 of the difference's,
    p 0.0047) counts at 0.01, not at 0.001; ROC AUC 1 SE off never; Brier is not judged."""
    from scipy.stats import norm

    est = _est({"accuracy": 0.80, "roc_auc": 0.85, "brier": 0.10}, 0.01)
    rows = est.rows
    off = disagreements({"accuracy": 0.76, "roc_auc": 0.84, "brier": 0.20}, est, 0.01, rows)
    assert [o[0] for o in off] == ["accuracy"]
    name, measured, value, se, q = off[0]
    assert se == pytest.approx(0.01 * 2 ** 0.5)
    p_acc, p_auc = 2 * norm.sf(0.04 / se), 2 * norm.sf(0.01 / se)
    assert q == pytest.approx(min(2 * p_acc, p_auc))  # Benjamini-Hochberg over the two judged
    assert disagreements({"accuracy": 0.76, "roc_auc": 0.84}, est, 0.001, rows) == []
    # without the calibration's error (a huge reference) the same gap is 4 SE
    assert disagreements({"accuracy": 0.765}, est, 0.01, None) != []
    assert disagreements({"accuracy": 0.765}, est, 0.01, rows) == []


