"""Performance without labels for a multiclass classifier (CBPE, one calibration per class).

The binary method (:mod:`driftscope.model.estimation`) carried over to K classes:

**Calibration** (once, on the labelled reference): each class's probability column is
calibrated one-vs-rest against "the label is this class", as the binary score is (isotonic,
kept only when it beats the raw column on held-out folds with ``calibration: auto``); each row's
calibrated probabilities are then divided by their sum so they are a distribution over the
classes again (a row whose calibrated values are all 0 keeps the model's probabilities).

**Expected confusion matrix**: a row predicted as class j with calibrated probabilities
:math:`\\hat p_{i,t}` adds :math:`\\hat p_{i,t}` to cell (true t, predicted j), i.e.
``E[C] = P̂ᵀ · onehot(predicted)``. Accuracy, macro F1 and weighted F1 come from it with the
definitions of the realized metrics
(:func:`driftscope.model.performance.confusion_metrics`); the log loss is its exact
expectation, ``−mean_i Σ_t p̂_{i,t} log p_{i,t}``.

**Band**: as for binary models, each metric's spread over bootstrapped chunks of the labelled
reference, ``s = std · √m``, gives ``SE = s / √n`` at a batch of n rows.

Only rows whose label is one of the model's classes take part in the calibration and the band.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from driftscope.model.estimation import (
    BAND_CHUNK,
    BAND_DRAWS,
    MIN_REFERENCE_ROWS,
    Calibration,
    Estimate,
    EstimatorState,
    calibration_curve,
)

MULTICLASS_ESTIMATED = ("accuracy", "macro_f1", "weighted_f1", "log_loss")
"""What is estimated for a multiclass model (the multiclass definitions of the realized
metrics)."""


@dataclass(frozen=True, eq=False)
class MulticlassState:
    """One calibration curve per class (in the model's class order), each metric's per-row
    spread and the labelled reference rows it was fitted on."""

    classes: tuple[str, ...]
    curves: tuple[EstimatorState, ...]
    spread: dict[str, float]
    rows: int

    def calibrate(self, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        """Calibrated class probabilities, one row per row of ``matrix`` (rows sum to 1)."""
        raw = np.asarray(matrix, dtype=np.float64)
        cal = np.column_stack([c.calibrate(raw[:, k]) for k, c in enumerate(self.curves)])
        total = cal.sum(axis=1, keepdims=True)
        out = np.where(total > 0, cal / np.where(total > 0, total, 1.0), raw)
        return out / out.sum(axis=1, keepdims=True)

    def to_plain(self) -> dict[str, Any]:
        return {"method": "cbpe", "multiclass": True, "classes": list(self.classes),
                "curves": [{"kind": c.kind, "x": [float(v) for v in c.x],
                            "y": [float(v) for v in c.y]} for c in self.curves],
                "spread": {k: float(v) for k, v in self.spread.items()},
                "rows": int(self.rows)}

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> MulticlassState:
        """Read :meth:`to_plain` back; a ValueError names what is wrong."""
        try:
            classes = tuple(str(c) for c in data["classes"])
            curves = tuple(EstimatorState.from_plain({**c, "spread": {}, "rows": 1})
                           for c in data["curves"])
            spread = {str(k): float(v) for k, v in dict(data["spread"]).items()}
            rows = int(data["rows"])
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"the performance estimator is damaged ({err!r})") from None
        if len(curves) != len(classes) or len(classes) < 3:
            raise ValueError("the performance estimator is damaged (one calibration curve per "
                             "class expected)")
        return cls(classes=classes, curves=curves, spread=spread, rows=rows)


def _confusion(weights: NDArray[np.float64], predicted: NDArray[np.int64], k: int
               ) -> NDArray[np.float64]:
    """``weights`` (rows × classes: the probability, or the indicator, of each true class)
    summed into a K × K matrix by predicted class (rows true, columns predicted)."""
    onehot = np.zeros((predicted.size, k), dtype=np.float64)
    onehot[np.arange(predicted.size), predicted] = 1.0
    return np.asarray(weights.T @ onehot, dtype=np.float64)


def _metrics(cm: NDArray[np.float64], losses: NDArray[np.float64]) -> dict[str, float | None]:
    from driftscope.model.performance import confusion_metrics

    values = confusion_metrics(cm)  # type: ignore[arg-type]  # fractional counts are fine
    out: dict[str, float | None] = {name: float(values[name])
                                    for name in ("accuracy", "macro_f1", "weighted_f1")}
    out["log_loss"] = float(np.mean(losses)) if losses.size else None
    return out


def _clipped_log(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    eps = float(np.finfo(np.float64).eps)  # as scikit-learn's log_loss clips
    return np.asarray(np.log(np.clip(matrix, eps, 1 - eps)), dtype=np.float64)


def realized_multiclass(truth: NDArray[np.int64], matrix: NDArray[np.float64],
                        predicted: NDArray[np.int64]) -> dict[str, float | None]:
    """The multiclass metrics with labels (``truth``/``predicted`` as class indices)."""
    k = matrix.shape[1]
    indicator = np.zeros_like(matrix)
    indicator[np.arange(truth.size), truth] = 1.0
    losses = -_clipped_log(matrix)[np.arange(truth.size), truth]
    return _metrics(_confusion(indicator, predicted, k), losses)


def multiclass_point_estimate(state: MulticlassState, matrix: NDArray[np.float64],
                              predicted: NDArray[np.int64]) -> dict[str, float | None]:
    """Expected multiclass metrics of rows with the model's probabilities ``matrix`` and its
    predicted class indices ``predicted``."""
    if predicted.size == 0:
        return {}
    p_hat = state.calibrate(matrix)
    losses = -(p_hat * _clipped_log(matrix)).sum(axis=1)
    return _metrics(_confusion(p_hat, predicted, len(state.classes)), losses)


def estimate_multiclass(state: MulticlassState, matrix: NDArray[np.float64],
                        predicted: NDArray[np.int64]) -> Estimate:
    """The estimate with its standard errors at this batch's size."""
    values = multiclass_point_estimate(state, matrix, predicted)
    n = int(predicted.size)
    ses: dict[str, float | None] = {}
    for name, value in values.items():
        s = state.spread.get(name)
        ses[name] = None if s is None or value is None or n == 0 else float(s / np.sqrt(n))
    return Estimate(values=values, standard_errors=ses, rows=n)


def fit_multiclass(truth: NDArray[np.int64], matrix: NDArray[np.float64],
                   predicted: NDArray[np.int64], classes: Sequence[str],
                   calibration: Calibration = "auto", seed: int = 0,
                   draws: int = BAND_DRAWS, chunk: int = BAND_CHUNK) -> MulticlassState:
    """Fit the per-class calibration and the band's spreads on labelled reference rows
    (``truth``/``predicted``: class indices into ``classes``, the columns of ``matrix``).

    Raises
    ------
    ValueError
        Fewer than :data:`MIN_REFERENCE_ROWS` rows.
    """
    n = int(truth.size)
    if n < MIN_REFERENCE_ROWS:
        raise ValueError(f"the reference has {n} labelled rows with a prediction; calibration "
                         f"needs at least {MIN_REFERENCE_ROWS}")
    curves = []
    for k in range(len(classes)):
        kind, x, y = calibration_curve(truth == k, matrix[:, k], calibration, seed)
        curves.append(EstimatorState(kind=kind, x=x, y=y, spread={}, rows=n))
    m = min(n, chunk)
    rng = np.random.default_rng(seed)
    samples: dict[str, list[float]] = {name: [] for name in MULTICLASS_ESTIMATED}
    for _ in range(draws):
        idx = rng.integers(0, n, size=m)
        for name, value in realized_multiclass(truth[idx], matrix[idx],
                                               predicted[idx]).items():
            if value is not None:
                samples[name].append(value)
    spread = {name: float(np.std(v, ddof=1) * np.sqrt(m))
              for name, v in samples.items() if len(v) >= draws // 2}
    return MulticlassState(classes=tuple(classes), curves=tuple(curves), spread=spread, rows=n)
