"""Scores of the positive class and predicted classes, from a model or from logged columns."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from driftscope.errors import ArtifactError, InputError
from driftscope.model.performance import label_text
from driftscope.usercode import describe, error_for, user_code


@dataclass(frozen=True, eq=False)
class Predictions:
    """Probability of the positive class (NaN where unknown) and the predicted class as text.

    ``matrix``: the model's whole ``predict_proba`` output, one column per entry of
    ``classes`` (a multiclass model's per-class probabilities and log loss need it). For a
    multiclass model without a positive class ``proba`` is None: there is no single score."""

    proba: NDArray[np.float64] | None
    label: NDArray[np.object_] | None
    positive_class: str | None
    classes: tuple[str, ...] = ()
    matrix: NDArray[np.float64] | None = None

    @property
    def multiclass(self) -> bool:
        """A model with more than two classes."""
        return len(self.classes) > 2


def _positive_index(classes: list[str], positive: str | None, where: str
                    ) -> tuple[int, str] | None:
    """Column and name of the positive class; None for a multiclass model without one."""
    if positive is None:
        if len(classes) > 2:
            return None
        if len(classes) != 2:
            raise ArtifactError(
                f"{where}: the model has {len(classes)} class(es) ({', '.join(classes[:10])}); "
                "a classifier of two or more classes is needed"
            )
        return 1, classes[1]
    folded = [c.lower() for c in classes]
    if positive not in classes and positive.lower() in folded:
        positive = classes[folded.index(positive.lower())]
    if positive not in classes:
        raise ArtifactError(
            f"{where}: positive_class {positive!r} is not one of the model's classes "
            f"({', '.join(classes)}); fix --positive-class or positive_class in the metadata "
            "or config"
        )
    return classes.index(positive), positive


def predict(model: Any, frame: pd.DataFrame, positive_class: str | None, side: str,
            model_name: str = "model") -> Predictions:
    """Run the model on ``frame``; failures are ArtifactErrors naming the side."""
    try:
        with warnings.catch_warnings():  # the model's own warnings are not for the terminal
            warnings.simplefilter("ignore")
            proba = np.asarray(model.predict_proba(frame), dtype=np.float64)
            labels = np.asarray(model.predict(frame))
    except BaseException as err:  # noqa: BLE001 - the model may raise anything, even exit
        msg = str(err).splitlines()[0] if str(err) else ""
        hint = ("the model does not accept missing or infinite values: impute them in the "
                "feature engineering or the model pipeline"
                if "NaN" in msg or "infinity" in msg.lower() else
                "check that the model reads the columns the data (after feature engineering) "
                "provides")
        raise error_for(err)(
            f"{model_name}: prediction failed on the {side} data ({describe(err)}); {hint}"
        ) from None
    if proba.ndim != 2 or proba.shape[0] != len(frame):
        raise ArtifactError(f"{model_name}: predict_proba returned shape {proba.shape} for "
                            f"{len(frame)} {side} rows; expected (rows, classes)")
    bad = ~np.isfinite(proba) | (proba < 0.0) | (proba > 1.0)
    if bad.any():
        rows = int(bad.any(axis=1).sum())
        raise ArtifactError(f"{model_name}: predict_proba returned values that are not "
                            f"probabilities (NaN, infinite or outside [0, 1]) for {rows} of "
                            f"{len(frame)} {side} rows")
    with user_code(f"{model_name}: reading the model's classes_ failed"):
        raw_classes = getattr(model, "classes_", None)
        if raw_classes is None:
            raw_classes = range(proba.shape[1])
        classes = [str(label_text(c)) for c in raw_classes]
    if len(classes) != proba.shape[1]:
        raise ArtifactError(f"{model_name}: predict_proba returned {proba.shape[1]} columns "
                            f"for {len(classes)} classes ({', '.join(classes[:10])})")
    chosen = _positive_index(classes, positive_class, model_name)
    return Predictions(proba=None if chosen is None else proba[:, chosen[0]],
                       label=np.asarray([label_text(v) for v in labels], dtype=object),
                       positive_class=None if chosen is None else chosen[1],
                       classes=tuple(classes), matrix=proba)


def logged_predictions(frame: pd.DataFrame, proba_column: str | None,
                       prediction_column: str | None, positive_class: str | None,
                       side: str) -> Predictions:
    """Predictions the serving system already logged as columns of the data."""
    proba = label = None
    if proba_column is not None:
        if proba_column not in frame.columns:
            raise InputError(f"{side}: proba column {proba_column!r} not found; "
                             "check --proba-column")
        proba = pd.to_numeric(frame[proba_column], errors="coerce").to_numpy(dtype=np.float64)
        bad = np.isfinite(proba) & ((proba < 0) | (proba > 1))
        if bad.any():
            raise InputError(f"{side}: proba column {proba_column!r} has values outside [0, 1]")
    if prediction_column is not None:
        if prediction_column not in frame.columns:
            raise InputError(f"{side}: prediction column {prediction_column!r} not found; "
                             "check --prediction-column")
        col = frame[prediction_column]
        label = np.asarray([None if pd.isna(v) else label_text(v) for v in col], dtype=object)
    return Predictions(proba=proba, label=label, positive_class=positive_class)
