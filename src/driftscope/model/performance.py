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
from sklearn import metrics as skm

LOWER_IS_BETTER = ("log_loss", "brier")


def compute_performance(
    y_true: NDArray[np.object_], proba: NDArray[np.float64] | None,
    label: NDArray[np.object_] | None, positive_class: str,
) -> tuple[dict[str, float | None], int]:
    """Metric values on the rows that have a label (and a prediction); and that row count."""
    known = np.array([v is not None and v == v for v in y_true], dtype=bool)
    if proba is not None:
        known &= np.isfinite(proba)
    if label is not None:
        known &= np.array([v is not None for v in label], dtype=bool)
    y = np.asarray([str(v) for v in y_true[known]], dtype=object) == positive_class
    out: dict[str, float | None] = {}
    n = int(known.sum())
    if n == 0:
        return {}, 0
    pred = None
    if label is not None:
        pred = np.asarray([str(v) for v in label[known]], dtype=object) == positive_class
    elif proba is not None:
        pred = proba[known] >= 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if pred is not None:
            out["accuracy"] = float(skm.accuracy_score(y, pred))
            out["precision"] = float(skm.precision_score(y, pred, zero_division=0))
            out["recall"] = float(skm.recall_score(y, pred, zero_division=0))
            out["f1"] = float(skm.f1_score(y, pred, zero_division=0))
        if proba is not None:
            p = proba[known]
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
