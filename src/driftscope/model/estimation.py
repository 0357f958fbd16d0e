"""Performance without labels: confidence-based performance estimation (CBPE) of a binary
classifier.

The idea (NannyML's CBPE; Kivimäki et al. 2023, "Confidence-based performance estimation"):
when the model's probability of the positive class is calibrated, a current row with
calibrated probability :math:`\\hat p_i` is a positive with probability :math:`\\hat p_i`, so
its label is a Bernoulli draw and every metric has an expected value without the label.

**Calibration** (once, on the labelled reference, stored in the baseline): an isotonic
regression of the label on the model's score (scikit-learn's ``IsotonicRegression`` with
``out_of_bounds="clip"``; stored as its breakpoints, applied by linear interpolation, as
scikit-learn's ``predict`` does). With ``calibration: auto`` the isotonic map is kept only when
it beats the raw scores on held-out folds of the reference (5-fold Brier score); a model whose
scores are already calibrated keeps them (``identity``).

**Expected confusion matrix** at the model's own decision (its predicted class; the score
≥ 0.5 when only a probability column is logged)::

    TP = Σ_{ŷ=1} p̂     FP = Σ_{ŷ=1} (1 − p̂)     FN = Σ_{ŷ=0} p̂     TN = Σ_{ŷ=0} (1 − p̂)

accuracy = (TP + TN) / n, precision = TP / (TP + FP), recall = TP / (TP + FN),
F1 = 2 TP / (2 TP + FP + FN).

**ROC AUC**: the calibrated probabilities as expected labels, rows ranked by the model's own
score: with rows sorted by descending score, the expected true- and false-positive counts
above each threshold are the cumulative sums of p̂ and 1 − p̂; the area under that expected
ROC curve (trapezoids, tied scores as one step) is the estimate. It equals the ROC AUC of
every row counted once as a positive with weight p̂ and once as a negative with weight 1 − p̂.

**Brier score and log loss** have exact expectations: E[(p − y)²] = p̂ (1 − p)² + (1 − p̂) p²
and E[−log] = −p̂ log p − (1 − p̂) log(1 − p), averaged over the rows (p the model's score).

**Sampling-error band.** The realized metric of n current rows scatters around its expected
value by sampling noise alone. Its standard error is taken from the reference, once, when the
baseline is built: ``BAND_DRAWS`` bootstrap chunks of ``m = min(rows, BAND_CHUNK)`` labelled
reference rows give each metric's standard deviation over chunks, stored as the per-row spread
``s = std · √m``; a round of n rows gets ``SE = s / √n`` and the band ``estimate ± k · SE``
(``estimation.band_sigmas``, default k = 3). The band is what the realized value of a batch
of that size is expected within when the model's relation between inputs and label did not
change; realized outside it is the sign of concept drift.

Multiclass models: :mod:`driftscope.model.estimation_multiclass` (one calibration per class).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

ESTIMATED_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier")
"""What CBPE estimates for a binary classifier."""
BAND_DRAWS = 200
"""Bootstrap chunks of the reference behind the sampling-error band."""
BAND_CHUNK = 5000
"""Rows per bootstrap chunk (the whole labelled reference when it is smaller)."""
MIN_REFERENCE_ROWS = 100
"""Fewer labelled reference rows than this fit no calibrator: estimation is then off."""
CV_FOLDS = 5
"""Folds of the held-out check that decides, with ``calibration: auto``, whether the isotonic
map beats the raw scores."""

Calibration = Literal["auto", "isotonic", "none"]


@dataclass(frozen=True, eq=False)
class EstimatorState:
    """What a baseline stores to estimate performance without labels (plain data only).

    ``kind``: ``"isotonic"`` (map the score through the breakpoints ``x`` → ``y``) or
    ``"identity"`` (the scores are kept). ``spread``: each metric's per-row sampling spread
    ``s`` (its standard error at n rows is ``s / √n``). ``rows``: labelled reference rows it
    was fitted on."""

    kind: str
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    spread: dict[str, float]
    rows: int
    reference: dict[str, float | None] = field(default_factory=dict)
    """The metrics realized on the reference (what the band was bootstrapped around)."""

    def calibrate(self, proba: NDArray[np.float64]) -> NDArray[np.float64]:
        """Calibrated probabilities of the positive class."""
        p = np.asarray(proba, dtype=np.float64)
        if self.kind == "identity" or self.x.size == 0:
            return np.clip(p, 0.0, 1.0)
        return np.clip(np.interp(p, self.x, self.y), 0.0, 1.0)

    def to_plain(self) -> dict[str, Any]:
        """The state as JSON values (for the baseline's manifest)."""
        return {"method": "cbpe", "kind": self.kind,
                "x": [float(v) for v in self.x], "y": [float(v) for v in self.y],
                "spread": {k: float(v) for k, v in self.spread.items()},
                "rows": int(self.rows),
                "reference": {k: (None if v is None else float(v))
                              for k, v in self.reference.items()}}

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> EstimatorState:
        """Read :meth:`to_plain` back; a ValueError names what is wrong."""
        try:
            kind = str(data["kind"])
            x = np.asarray(data.get("x") or [], dtype=np.float64)
            y = np.asarray(data.get("y") or [], dtype=np.float64)
            spread = {str(k): float(v) for k, v in dict(data["spread"]).items()}
            rows = int(data["rows"])
            reference = {str(k): (None if v is None else float(v))
                         for k, v in dict(data.get("reference") or {}).items()}
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"the performance estimator is damaged ({err!r})") from None
        if kind not in ("isotonic", "identity") or x.shape != y.shape or (
                x.size > 1 and not bool(np.all(np.diff(x) >= 0))) or rows < 1:
            raise ValueError("the performance estimator is damaged (its calibration curve is "
                             "not an increasing map)")
        return cls(kind=kind, x=x, y=y, spread=spread, rows=rows, reference=reference)


@dataclass(frozen=True)
class Estimate:
    """Estimated metrics of ``rows`` current rows, each with its standard error."""

    values: dict[str, float | None]
    standard_errors: dict[str, float | None]
    rows: int
    predicted_positive: int = 0
    """Rows the model predicts positive."""
    expected_positive: float = 0.0
    """Expected positive labels (the sum of the calibrated probabilities)."""

    def band(self, name: str, sigmas: float) -> tuple[float | None, float | None]:
        """``estimate ± sigmas · SE``, clipped to the metric's range (None when unknown)."""
        v, se = self.values.get(name), self.standard_errors.get(name)
        if v is None or se is None:
            return None, None
        top = float("inf") if name == "log_loss" else 1.0
        return max(0.0, v - sigmas * se), min(top, v + sigmas * se)


# -- the estimate ------------------------------------------------------------------------

def expected_confusion(p_hat: NDArray[np.float64], pred: NDArray[np.bool_]
                       ) -> tuple[float, float, float, float]:
    """Expected TP, FP, FN, TN of rows with calibrated probability ``p_hat`` and predicted
    class ``pred`` (True = positive)."""
    tp = float(np.sum(p_hat[pred]))
    fp = float(np.sum(1.0 - p_hat[pred]))
    fn = float(np.sum(p_hat[~pred]))
    tn = float(np.sum(1.0 - p_hat[~pred]))
    return tp, fp, fn, tn


def confusion_values(tp: float, fp: float, fn: float, tn: float) -> dict[str, float | None]:
    """accuracy, precision, recall and F1 of a (possibly fractional) confusion matrix; None
    where the denominator is 0."""
    n = tp + fp + fn + tn
    return {"accuracy": (tp + tn) / n if n > 0 else None,
            "precision": tp / (tp + fp) if tp + fp > 0 else None,
            "recall": tp / (tp + fn) if tp + fn > 0 else None,
            "f1": 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn > 0 else None}


def expected_roc_auc(score: NDArray[np.float64], p_hat: NDArray[np.float64]) -> float | None:
    """Area under the expected ROC curve: rows ranked by ``score``, each a positive with
    weight ``p_hat`` and a negative with weight ``1 − p_hat``; tied scores form one step."""
    pos_w, neg_w = p_hat, 1.0 - p_hat
    total_pos, total_neg = float(pos_w.sum()), float(neg_w.sum())
    if total_pos <= 0 or total_neg <= 0:
        return None
    order = np.argsort(-score, kind="mergesort")
    s = score[order]
    tp = np.cumsum(pos_w[order])
    fp = np.cumsum(neg_w[order])
    last = np.r_[np.flatnonzero(np.diff(s) != 0), s.size - 1]  # end of each tie group
    tpr = np.r_[0.0, tp[last] / total_pos]
    fpr = np.r_[0.0, fp[last] / total_neg]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))


def point_estimate(state: EstimatorState, proba: NDArray[np.float64],
                   pred: NDArray[np.bool_]) -> dict[str, float | None]:
    """The expected metrics of rows with the model's score ``proba`` and its predicted class
    ``pred`` (rows with a finite score only)."""
    proba = np.asarray(proba, dtype=np.float64)
    keep = np.isfinite(proba)
    proba, pred = proba[keep], np.asarray(pred, dtype=bool)[keep]
    if proba.size == 0:
        return {}
    p_hat = state.calibrate(proba)
    out = confusion_values(*expected_confusion(p_hat, pred))
    out["roc_auc"] = expected_roc_auc(proba, p_hat)
    eps = float(np.finfo(np.float64).eps)  # as scikit-learn's log_loss clips
    pc = np.clip(proba, eps, 1 - eps)
    out["log_loss"] = float(np.mean(-p_hat * np.log(pc) - (1 - p_hat) * np.log(1 - pc)))
    out["brier"] = float(np.mean(p_hat * (1 - proba) ** 2 + (1 - p_hat) * proba ** 2))
    return out


def estimate(state: EstimatorState, proba: NDArray[np.float64],
             pred: NDArray[np.bool_]) -> Estimate:
    """Estimated metrics with their standard errors at this batch's size."""
    proba = np.asarray(proba, dtype=np.float64)
    values = point_estimate(state, proba, pred)
    keep = np.isfinite(proba)
    n = int(keep.sum())
    ses: dict[str, float | None] = {}
    for name in values:
        s = state.spread.get(name)
        ses[name] = None if s is None or n == 0 or values[name] is None else \
            float(s / np.sqrt(n))
    return Estimate(values=values, standard_errors=ses, rows=n,
                    predicted_positive=int(np.asarray(pred, bool)[keep].sum()),
                    expected_positive=float(state.calibrate(proba[keep]).sum()))


# -- fitting on the reference ------------------------------------------------------------

def realized(y: NDArray[np.bool_], proba: NDArray[np.float64], pred: NDArray[np.bool_]
             ) -> dict[str, float | None]:
    """The metrics measured with labels (the definitions :func:`point_estimate` estimates),
    computed directly so the bootstrap stays fast."""
    yf = y.astype(np.float64)
    tp = float(np.sum(pred & y))
    fp = float(np.sum(pred & ~y))
    fn = float(np.sum(~pred & y))
    tn = float(np.sum(~pred & ~y))
    out = confusion_values(tp, fp, fn, tn)
    out["roc_auc"] = expected_roc_auc(proba, yf) if 0 < tp + fn < y.size else None
    eps = float(np.finfo(np.float64).eps)
    pc = np.clip(proba, eps, 1 - eps)
    out["log_loss"] = float(np.mean(-(yf * np.log(pc) + (1 - yf) * np.log(1 - pc))))
    out["brier"] = float(np.mean((proba - yf) ** 2))
    return out


def _isotonic(proba: NDArray[np.float64], y: NDArray[np.bool_]) -> Any:
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        iso.fit(proba, y.astype(np.float64))
    return iso


def _isotonic_helps(proba: NDArray[np.float64], y: NDArray[np.bool_], seed: int) -> bool:
    """Whether the isotonic map beats the raw scores on held-out folds (Brier score)."""
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=seed)
    calibrated = np.empty_like(proba)
    for train, test in folds.split(proba.reshape(-1, 1), y):
        calibrated[test] = _isotonic(proba[train], y[train]).predict(proba[test])
    yf = y.astype(np.float64)
    return float(np.mean((calibrated - yf) ** 2)) < float(np.mean((proba - yf) ** 2))


def calibration_curve(y: NDArray[np.bool_], proba: NDArray[np.float64],
                      calibration: Calibration, seed: int
                      ) -> tuple[str, NDArray[np.float64], NDArray[np.float64]]:
    """The calibration map of scores ``proba`` for labels ``y``: ``("isotonic", x, y)``
    breakpoints, or ``("identity", [], [])`` (see :func:`fit_estimator`'s ``calibration``).
    Labels of (almost) one class keep the scores."""
    positives = int(np.sum(y))
    usable = positives >= CV_FOLDS and y.size - positives >= CV_FOLDS
    if usable and (calibration == "isotonic" or (
            calibration == "auto" and _isotonic_helps(proba, y, seed))):
        iso = _isotonic(proba, y)
        return ("isotonic", np.asarray(iso.X_thresholds_, dtype=np.float64),
                np.asarray(iso.y_thresholds_, dtype=np.float64))
    empty = np.empty(0, dtype=np.float64)
    return "identity", empty, empty


def fit_estimator(y: NDArray[np.bool_], proba: NDArray[np.float64], pred: NDArray[np.bool_],
                  calibration: Calibration = "auto", seed: int = 0,
                  draws: int = BAND_DRAWS, chunk: int = BAND_CHUNK) -> EstimatorState:
    """Fit the calibration and the band's spreads on labelled reference rows.

    Parameters
    ----------
    y, proba, pred
        Per labelled reference row: the label is the positive class, the model's score of the
        positive class, the predicted class is positive. Rows without a finite score are
        left out.
    calibration
        ``"isotonic"`` always, ``"none"`` never, ``"auto"`` when it beats the raw scores on
        held-out folds.

    Raises
    ------
    ValueError
        Fewer than :data:`MIN_REFERENCE_ROWS` rows, or only one class among the labels (the
        message says which).
    """
    proba = np.asarray(proba, dtype=np.float64)
    keep = np.isfinite(proba)
    y, proba, pred = np.asarray(y, bool)[keep], proba[keep], np.asarray(pred, bool)[keep]
    n = int(y.size)
    if n < MIN_REFERENCE_ROWS:
        raise ValueError(f"the reference has {n} labelled rows with a score; calibration "
                         f"needs at least {MIN_REFERENCE_ROWS}")
    positives = int(y.sum())
    if positives < 2 or n - positives < 2:
        raise ValueError("the reference's labels hold (almost) only one class; calibration "
                         "needs both")
    kind, x_pts, y_pts = calibration_curve(y, proba, calibration, seed)
    m = min(n, chunk)
    rng = np.random.default_rng(seed)
    samples: dict[str, list[float]] = {name: [] for name in ESTIMATED_METRICS}
    for _ in range(draws):
        idx = rng.integers(0, n, size=m)
        for name, value in realized(y[idx], proba[idx], pred[idx]).items():
            if value is not None:
                samples[name].append(value)
    spread = {name: float(np.std(v, ddof=1) * np.sqrt(m))
              for name, v in samples.items() if len(v) >= draws // 2}
    return EstimatorState(kind=kind, x=x_pts, y=y_pts, spread=spread, rows=n,
                          reference=realized(y, proba, pred))
