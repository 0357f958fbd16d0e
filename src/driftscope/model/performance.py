"""Realized performance on labelled current data, compared with the metadata's baseline.

Metrics (scikit-learn): accuracy, precision, recall, F1 (positive class), ROC AUC, log loss and
Brier score of the positive-class probability. Relative change = (current − baseline) /
baseline, sign-flipped for log loss and Brier (lower is better), so a negative change is always
a deterioration.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import NDArray

LOWER_IS_BETTER = ("log_loss", "brier")


def label_text(value: object) -> str | None:
    """A class label as text: None for missing, integral floats without '.0' (1.0 -> '1')."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _labelled(
    y_true: NDArray[np.object_], proba: NDArray[np.float64] | None,
    label: NDArray[np.object_] | None, positive_class: str,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_] | None, NDArray[np.float64] | None]:
    """Rows with a label and a prediction: truth and predicted class as "is positive", and the
    probability of the positive class."""
    truth = [label_text(v) for v in y_true]
    known = np.array([t is not None for t in truth], dtype=bool)
    if proba is not None:
        known &= np.isfinite(proba)
    if label is not None:
        known &= np.array([label_text(v) is not None for v in label], dtype=bool)
    y = np.array([t == positive_class for t, k in zip(truth, known) if k], dtype=bool)
    pred = None
    if label is not None:
        pred = np.array([label_text(v) == positive_class for v in label[known]], dtype=bool)
    elif proba is not None:
        pred = proba[known] >= 0.5
    return y, pred, (None if proba is None else proba[known])


def compute_performance(
    y_true: NDArray[np.object_], proba: NDArray[np.float64] | None,
    label: NDArray[np.object_] | None, positive_class: str,
) -> tuple[dict[str, float | None], int]:
    """Metric values on the rows that have a label (and a prediction); and that row count."""
    from sklearn import metrics as skm

    y, pred, p = _labelled(y_true, proba, label, positive_class)
    n = int(y.shape[0])
    out: dict[str, float | None] = {}
    if n == 0:
        return {}, 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if pred is not None:
            out["accuracy"] = float(skm.accuracy_score(y, pred))
            out["precision"] = float(skm.precision_score(y, pred, zero_division=0))
            out["recall"] = float(skm.recall_score(y, pred, zero_division=0))
            out["f1"] = float(skm.f1_score(y, pred, zero_division=0))
        if p is not None:
            both = 0 < y.sum() < len(y)
            out["roc_auc"] = float(skm.roc_auc_score(y, p)) if both else None
            out["log_loss"] = float(skm.log_loss(y, np.clip(p, 1e-15, 1 - 1e-15),
                                                 labels=[False, True]))
            out["brier"] = float(skm.brier_score_loss(y, p))
    return out, n


def relative_change(name: str, current: float | None, baseline: float | None) -> float | None:
    if current is None or baseline is None or baseline == 0:
        return None
    change = (current - baseline) / abs(baseline)
    return -change if name in LOWER_IS_BETTER else change


def deterioration_pvalues(
    y_true: NDArray[np.object_], proba: NDArray[np.float64] | None,
    label: NDArray[np.object_] | None, positive_class: str,
    values: dict[str, float | None], baseline: dict[str, float], seed: int = 0,
    draws: int = 2000,
) -> dict[str, float]:
    """One-sided p-values that each metric is truly worse than its baseline.

    - accuracy, precision, recall, F1: parametric bootstrap of the confusion matrix (multinomial
      on its four cells, ``draws`` resamples): p = share of resamples at least as good as the
      baseline, so only a drop larger than sampling noise is significant;
    - ROC AUC: Hanley & McNeil (1982) standard error at the baseline AUC, normal tail;
    - log loss, Brier: the mean of per-row losses, standard error std/sqrt(n), normal tail.
    """
    from scipy import stats

    y, pred, p = _labelled(y_true, proba, label, positive_class)
    n = int(y.shape[0])
    out: dict[str, float] = {}
    if n == 0:
        return out
    if pred is not None:
        cells = np.array([np.sum(pred & y), np.sum(pred & ~y), np.sum(~pred & y),
                          np.sum(~pred & ~y)], dtype=float)
        rng = np.random.default_rng(seed)
        tp, fp, fn, tn = rng.multinomial(n, cells / n, size=draws).T.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            boot = {
                "accuracy": (tp + tn) / n,
                "precision": np.where(tp + fp > 0, tp / (tp + fp), 0.0),
                "recall": np.where(tp + fn > 0, tp / (tp + fn), 0.0),
                "f1": np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0),
            }
        for name, sample in boot.items():
            if name in baseline and values.get(name) is not None:
                out[name] = float(np.mean(sample >= baseline[name]))
    if p is not None:
        n1, n2 = int(y.sum()), int((~y).sum())
        a = baseline.get("roc_auc")
        if a is not None and values.get("roc_auc") is not None and n1 and n2 and 0 < a < 1:
            q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
            se = np.sqrt((a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n2 - 1) * (q2 - a * a))
                         / (n1 * n2))
            out["roc_auc"] = float(stats.norm.cdf((values["roc_auc"] - a) / se))  # type: ignore[operator]
        pc = np.clip(p, 1e-15, 1 - 1e-15)
        yf = y.astype(np.float64)
        losses = {"log_loss": -(yf * np.log(pc) + (1 - yf) * np.log(1 - pc)),
                  "brier": (p - yf) ** 2}
        for name, per_row in losses.items():
            b = baseline.get(name)
            if b is None or values.get(name) is None:
                continue
            se = float(np.std(per_row, ddof=1) / np.sqrt(n)) if n > 1 else 0.0
            if se == 0:
                out[name] = 0.0 if float(np.mean(per_row)) > b else 1.0
            else:
                out[name] = float(stats.norm.sf((float(np.mean(per_row)) - b) / se))
    return out
