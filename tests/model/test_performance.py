"""Labelled performance: metrics equal scikit-learn's, labels compare whatever their type."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from driftscope.model.performance import (
    comparable_baseline,
    compute_performance,
    confusion_metrics,
    deterioration_pvalues,
    label_text,
    multiclass_deterioration_pvalues,
    multiclass_performance,
    reference_definition_matches,
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


# -- multiclass ----------------------------------------------------------------------------

def _seven_classes(n: int = 1500, seed: int = 3) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Integer classes (their text order differs from their numeric order), probabilities of
    an informative model, the true labels."""
    rng = np.random.default_rng(seed)
    classes = [2, 5, 10, 11, 33, 40, 101]
    y = rng.choice(classes, n, p=[0.3, 0.2, 0.15, 0.15, 0.1, 0.06, 0.04])
    logits = rng.normal(0, 1, (n, 7))
    logits[np.arange(n), [classes.index(v) for v in y]] += 1.5
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, proba, classes


def test_multiclass_metrics_equal_sklearn():
    y, proba, classes = _seven_classes()
    pred = np.asarray(classes)[proba.argmax(axis=1)]
    truth = np.array([float(v) for v in y], dtype=object)  # read from a CSV with NaN: 2.0
    truth[:20] = None  # not labelled yet
    truth[20:25] = "999"  # a label the model does not know: always a wrong prediction
    label = np.array([label_text(v) for v in pred], dtype=object)
    ev = multiclass_performance(truth, label, proba, [str(c) for c in classes])
    assert ev is not None and ev.rows == 1480
    yt = np.array([str(int(v)) if v != "999" else "999" for v in truth[20:]])
    yp = np.array([str(v) for v in pred[20:]])
    assert ev.values["accuracy"] == pytest.approx(skm.accuracy_score(yt, yp))
    assert ev.values["macro_f1"] == pytest.approx(skm.f1_score(yt, yp, average="macro"))
    assert ev.values["weighted_f1"] == pytest.approx(skm.f1_score(yt, yp, average="weighted"))
    # log loss from the full matrix, on the rows whose label is a class of the model
    assert ev.values["log_loss"] == pytest.approx(
        skm.log_loss(y[25:], proba[25:], labels=classes))
    labels = [str(c) for c in classes] + ["999"]
    assert ev.labels == tuple(labels)
    np.testing.assert_array_equal(ev.confusion, skm.confusion_matrix(yt, yp, labels=labels))
    p, r, f, s = skm.precision_recall_fscore_support(yt, yp, labels=labels, zero_division=0)
    for i, c in enumerate(labels[:-1]):
        got = ev.per_class[c]
        assert (got["precision"], got["recall"], got["f1"]) == pytest.approx((p[i], r[i], f[i]))
        assert got["support"] == s[i] and got["predicted"] == int(np.sum(yp == c))
    # the unknown label was never predicted: its precision is undefined, not 0
    assert ev.per_class["999"]["precision"] is None and ev.per_class["999"]["recall"] == 0.0


def test_multiclass_without_predicted_labels_uses_the_largest_probability():
    y, proba, classes = _seven_classes(300)
    names = [str(c) for c in classes]
    by_matrix = multiclass_performance(y.astype(object), None, proba, names)
    by_label = multiclass_performance(
        y.astype(object), np.array([names[i] for i in proba.argmax(axis=1)], dtype=object),
        proba, names)
    assert by_matrix is not None and by_label is not None
    assert by_matrix.values == by_label.values
    assert multiclass_performance(np.array([None] * 3, dtype=object), None, proba[:3],
                                  names) is None


def test_confusion_metrics_are_sklearns_definitions():
    rng = np.random.default_rng(4)
    for _ in range(20):
        k = int(rng.integers(3, 8))
        y = rng.integers(0, k, 200)
        yhat = np.where(rng.random(200) < 0.5, y, rng.integers(0, k + 1, 200))  # k: never true
        cm = skm.confusion_matrix(y, yhat, labels=list(range(k + 2)))  # k + 1: never seen
        got = confusion_metrics(cm)
        assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, yhat))
        assert got["macro_f1"] == pytest.approx(skm.f1_score(y, yhat, average="macro"))
        assert got["weighted_f1"] == pytest.approx(skm.f1_score(y, yhat, average="weighted"))
    stacked = confusion_metrics(np.stack([cm, cm]))  # a batch of bootstrap matrices
    assert stacked["macro_f1"] == pytest.approx([got["macro_f1"]] * 2)


def test_multiclass_pvalues_separate_noise_from_a_real_drop():
    y, proba, classes = _seven_classes(3000, seed=5)
    names = [str(c) for c in classes]
    truth = np.array([str(v) for v in y], dtype=object)
    ev = multiclass_performance(truth, None, proba, names)
    assert ev is not None
    base = {k: v for k, v in ev.values.items() if v is not None}
    same = multiclass_deterioration_pvalues(ev, ev.values, base)
    assert set(same) == {"accuracy", "macro_f1", "weighted_f1", "log_loss"}
    assert all(p > 0.2 for p in same.values())
    rng = np.random.default_rng(6)
    noisy = truth.copy()
    flip = rng.random(3000) < 0.25  # a quarter of the labels no longer follow the model
    noisy[flip] = rng.choice(names, int(flip.sum()))
    worse = multiclass_performance(noisy, None, proba, names)
    assert worse is not None and worse.values["accuracy"] < base["accuracy"] - 0.05
    drop = multiclass_deterioration_pvalues(worse, worse.values, base)
    assert max(drop.values()) < 1e-3


@pytest.mark.slow  # 100 simulated batches
def test_small_multiclass_batches_of_an_unchanged_model_raise_no_false_alarm():
    """Macro F1 of a small batch is biased low (rare classes of one or two rows score 0):
    compared naively with a holdout baseline it would alarm on 6 % of unchanged 30-row
    batches."""
    y, proba, classes = _seven_classes(3000, seed=5)
    names = [str(c) for c in classes]
    ev = multiclass_performance(np.array([str(v) for v in y], dtype=object), None, proba, names)
    assert ev is not None
    base = {k: v for k, v in ev.values.items() if v is not None}
    alarms = dict.fromkeys(base, 0)
    for r in range(100):
        yy, pp, _ = _seven_classes(30, seed=1000 + r)  # the same model, a new small batch
        few = multiclass_performance(np.array([str(v) for v in yy], dtype=object), None, pp,
                                     names)
        assert few is not None
        pvalues = multiclass_deterioration_pvalues(few, few.values, base, seed=r)
        for name in base:
            change = relative_change(name, few.values[name], base[name])
            alarms[name] += int(pvalues[name] < 0.01 and change is not None and change < -0.05)
    assert alarms["macro_f1"] == 0
    assert max(alarms.values()) <= 2


def test_a_baseline_is_compared_only_with_the_same_definition():
    metadata = {"accuracy": 0.41, "roc_auc": 0.8, "macro_f1": 0.3, "log_loss": 1.6}
    kept, dropped = comparable_baseline(metadata, multiclass=True)
    assert kept == {"accuracy": 0.41, "macro_f1": 0.3, "log_loss": 1.6}
    assert dropped == ["roc_auc"]
    kept, dropped = comparable_baseline(metadata, multiclass=False)
    assert kept == {"accuracy": 0.41, "roc_auc": 0.8, "log_loss": 1.6}
    assert dropped == ["macro_f1"]
    # performance on the reference: one-vs-rest numbers (an older baseline) never stand in
    # for a multiclass model's
    one_vs_rest = {"accuracy": 0.8, "precision": 0.5, "recall": 0.5, "f1": 0.5,
                   "roc_auc": 0.8, "log_loss": 0.4, "brier": 0.1}
    multi = {"accuracy": 0.41, "macro_f1": 0.3, "weighted_f1": 0.4, "log_loss": 1.6}
    assert not reference_definition_matches(one_vs_rest, multiclass=True)
    assert reference_definition_matches(multi, multiclass=True)
    assert reference_definition_matches(one_vs_rest, multiclass=False)
    assert not reference_definition_matches(multi, multiclass=False)


def test_the_relative_change_of_multiclass_metrics():
    assert relative_change("macro_f1", 0.27, 0.3) == pytest.approx(-0.1)
    assert relative_change("weighted_f1", 0.33, 0.3) == pytest.approx(0.1)
