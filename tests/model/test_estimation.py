"""Performance estimation without labels (CBPE): the estimate against independent
computations (numpy, scikit-learn), the calibration, the band and the stored state."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.isotonic import IsotonicRegression

from driftscope.model.estimation import (
    ESTIMATED_METRICS,
    EstimatorState,
    estimate,
    expected_roc_auc,
    fit_estimator,
    point_estimate,
    realized,
)


def _population(n: int, seed: int, squash: bool = False
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores, labels drawn from them (calibrated) or from their square (over-confident
    scores when ``squash``), and the decision at 0.5."""
    rng = np.random.default_rng(seed)
    score = rng.beta(1.2, 2.5, n)
    truth_p = score ** 2 if squash else score
    y = rng.random(n) < truth_p
    return score, y, score >= 0.5


def _identity() -> EstimatorState:
    return EstimatorState(kind="identity", x=np.empty(0), y=np.empty(0),
                          spread={m: 1.0 for m in ESTIMATED_METRICS}, rows=1000)


def test_point_estimate_is_the_expected_confusion_matrix_computed_directly():
    rng = np.random.default_rng(0)
    p = rng.random(500)
    pred = rng.random(500) < 0.4  # a decision that is not the 0.5 cut: the model's own
    got = point_estimate(_identity(), p, pred)
    # independent: the expectation of each cell over Bernoulli labels, one row at a time
    tp = sum(pi for pi, d in zip(p, pred) if d)
    fp = sum(1 - pi for pi, d in zip(p, pred) if d)
    fn = sum(pi for pi, d in zip(p, pred) if not d)
    tn = sum(1 - pi for pi, d in zip(p, pred) if not d)
    assert got["accuracy"] == pytest.approx((tp + tn) / 500)
    assert got["precision"] == pytest.approx(tp / (tp + fp))
    assert got["recall"] == pytest.approx(tp / (tp + fn))
    assert got["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert got["brier"] == pytest.approx(np.mean(p * (1 - p) ** 2 + (1 - p) * p ** 2))
    assert got["log_loss"] == pytest.approx(np.mean(-p * np.log(p) - (1 - p) * np.log(1 - p)))


def test_expected_roc_auc_equals_sklearn_on_rows_weighted_as_both_classes():
    rng = np.random.default_rng(1)
    score = np.round(rng.random(800), 2)  # many ties
    p_hat = np.clip(score + rng.normal(0, 0.1, 800), 0, 1)
    expected = skm.roc_auc_score(np.r_[np.ones(800), np.zeros(800)], np.r_[score, score],
                                 sample_weight=np.r_[p_hat, 1 - p_hat])
    assert expected_roc_auc(score, p_hat) == pytest.approx(expected, abs=1e-12)
    assert expected_roc_auc(score, np.ones(800)) is None  # no expected negative


def test_realized_metrics_equal_sklearn():
    score, y, pred = _population(3000, 2)
    got = realized(y, score, pred)
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert got["precision"] == pytest.approx(skm.precision_score(y, pred))
    assert got["recall"] == pytest.approx(skm.recall_score(y, pred))
    assert got["f1"] == pytest.approx(skm.f1_score(y, pred))
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(y, score))
    assert got["log_loss"] == pytest.approx(skm.log_loss(y, score))
    assert got["brier"] == pytest.approx(skm.brier_score_loss(y, score))


def test_on_calibrated_scores_the_estimate_is_the_mean_realized_value():
    score, _, pred = _population(2000, 3)
    est = point_estimate(_identity(), score, pred)
    rng = np.random.default_rng(4)
    draws = [realized(rng.random(2000) < score, score, pred) for _ in range(400)]
    for name in ("accuracy", "precision", "recall", "roc_auc", "brier", "log_loss"):
        mean = float(np.mean([d[name] for d in draws]))
        assert est[name] == pytest.approx(mean, abs=0.004), name


def test_isotonic_curve_applies_as_sklearn_predicts():
    score, y, pred = _population(5000, 5, squash=True)
    state = fit_estimator(y, score, pred, calibration="isotonic")
    iso = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(score, y)
    new = np.r_[np.linspace(-0.1, 1.1, 301), score[:50]]
    assert state.kind == "isotonic"
    np.testing.assert_allclose(state.calibrate(new), iso.predict(new), atol=1e-12)


@pytest.mark.parametrize(("calibration", "squash", "kind"), [
    ("auto", False, "identity"), ("auto", True, "isotonic"),
    ("none", True, "identity"), ("isotonic", False, "isotonic")])
def test_calibration_setting_chooses_the_map(calibration, squash, kind):
    score, y, pred = _population(6000, 6, squash=squash)
    assert fit_estimator(y, score, pred, calibration=calibration).kind == kind


def test_calibration_corrects_over_confident_scores():
    score, y, pred = _population(20000, 7, squash=True)
    ref = slice(0, 10000)
    cur = slice(10000, 20000)
    truth = realized(y[cur], score[cur], pred[cur])
    calibrated = estimate(fit_estimator(y[ref], score[ref], pred[ref], "isotonic"),
                          score[cur], pred[cur]).values
    raw = estimate(fit_estimator(y[ref], score[ref], pred[ref], "none"),
                   score[cur], pred[cur]).values
    for name in ("accuracy", "roc_auc"):
        assert abs(calibrated[name] - truth[name]) < 0.01, name
        assert abs(raw[name] - truth[name]) > 0.03, name  # taking the scores at their word


def test_standard_error_is_the_spread_of_realized_values_at_that_size():
    score, y, pred = _population(20000, 8)
    state = fit_estimator(y, score, pred, "none", seed=1)
    rng = np.random.default_rng(9)
    n = 1000
    values: dict[str, list[float]] = {"accuracy": [], "roc_auc": []}
    for _ in range(300):
        idx = rng.integers(0, 20000, n)
        got = realized(rng.random(n) < score[idx], score[idx], pred[idx])
        for name in values:
            values[name].append(got[name])  # type: ignore[arg-type]
    est = estimate(state, score[:n], pred[:n])
    for name, sample in values.items():
        assert est.standard_errors[name] == pytest.approx(np.std(sample), rel=0.2), name
    lower, upper = est.band("accuracy", 3.0)
    assert upper - lower == pytest.approx(6 * est.standard_errors["accuracy"])
    assert est.band("accuracy", 1.0)[1] - est.band("accuracy", 1.0)[0] == \
        pytest.approx((upper - lower) / 3)


def test_state_round_trips_as_plain_data_and_refuses_damage():
    score, y, pred = _population(3000, 10, squash=True)
    state = fit_estimator(y, score, pred, "isotonic")
    import json

    plain = json.loads(json.dumps(state.to_plain()))
    back = EstimatorState.from_plain(plain)
    np.testing.assert_array_equal(back.calibrate(score), state.calibrate(score))
    assert back.spread == state.spread and back.rows == 3000
    with pytest.raises(ValueError, match="damaged"):
        EstimatorState.from_plain({**plain, "x": plain["x"][::-1]})
    with pytest.raises(ValueError, match="damaged"):
        EstimatorState.from_plain({k: v for k, v in plain.items() if k != "spread"})


def test_fit_refuses_too_few_rows_or_one_class():
    score, y, pred = _population(50, 11)
    with pytest.raises(ValueError, match="at least 100"):
        fit_estimator(y, score, pred)
    score, y, pred = _population(500, 12)
    with pytest.raises(ValueError, match="one class"):
        fit_estimator(np.zeros(500, bool), score, pred)


def test_rows_without_a_score_are_left_out():
    score, y, pred = _population(2000, 13)
    state = fit_estimator(y, score, pred, "none")
    holed = score.copy()
    holed[:100] = np.nan
    est = estimate(state, holed, pred)
    assert est.rows == 1900
    assert est.values == estimate(state, score[100:], pred[100:]).values
