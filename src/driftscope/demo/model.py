"""The demo model: a scikit-learn pipeline over the engineered frame, and its metrics.

Kept apart from :mod:`driftscope.demo.train` so that a pickled model refers to this module
(importable anywhere), even when training runs as ``python -m driftscope.demo.train``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from driftscope.demo.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES
from driftscope.demo.population import POSITIVE_CLASS, TARGET

__all__ = ["METRICS", "build_pipeline", "evaluate", "metrics", "plain_categories"]

METRICS: tuple[str, ...] = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "log_loss",
    "brier",
)
"""The baseline metrics, all for the positive class "bad"."""


def plain_categories(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as Python objects with ``NaN`` for missing values.

    The first step of the model's categorical branch: frames read with nullable or Arrow
    dtypes carry ``pd.NA``, which scikit-learn's imputer cannot compare.

    Parameters
    ----------
    frame
        The categorical columns of an engineered frame.

    Returns
    -------
    pandas.DataFrame
        Same values, ``object`` dtype, ``numpy.nan`` where a value is missing.
    """
    values = frame.astype(object)
    return values.where(frame.notna(), np.nan)


def build_pipeline(seed: int = 42) -> Pipeline:
    """The unfitted demo model: column selection, imputation, scaling, one-hot, logistic.

    Parameters
    ----------
    seed
        Random state of the classifier (kept for reproducibility of solvers that use it).

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``features`` (a ``ColumnTransformer`` over :data:`MODEL_FEATURES`; other
        columns are dropped) and ``classifier`` (``LogisticRegression``).
    """
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical = make_pipeline(
        FunctionTransformer(plain_categories, feature_names_out="one-to-one"),
        SimpleImputer(strategy="constant", fill_value="missing"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    columns = ColumnTransformer(
        [
            ("numeric", numeric, list(NUMERIC_FEATURES)),
            ("categorical", categorical, list(CATEGORICAL_FEATURES)),
        ],
        remainder="drop",
    )
    classifier = LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    return Pipeline([("features", columns), ("classifier", classifier)])


def evaluate(model: Any, frame: pd.DataFrame) -> dict[str, float]:
    """Classification metrics of ``model`` on an engineered, labelled frame.

    Parameters
    ----------
    model
        Fitted classifier with ``predict`` and ``predict_proba`` and ``classes_``.
    frame
        Output of :func:`~driftscope.demo.features.engineer` with the target column.

    Returns
    -------
    dict of str to float
        ``accuracy``, ``precision``, ``recall``, ``f1`` (of the predicted class, positive
        class "bad"), ``roc_auc``, ``log_loss`` and ``brier`` (of the predicted probability of
        "bad").
    """
    truth = (frame[TARGET].astype(object) == POSITIVE_CLASS).to_numpy()
    proba = model.predict_proba(frame)[:, list(model.classes_).index(POSITIVE_CLASS)]
    predicted = np.asarray(model.predict(frame)).astype(object) == POSITIVE_CLASS
    return metrics(truth, proba, predicted)


def metrics(truth: np.ndarray, proba: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """The :data:`METRICS` from the outcomes, the scores and the predicted classes.

    Parameters
    ----------
    truth
        Boolean array, True where the outcome is "bad".
    proba
        Predicted probability of "bad".
    predicted
        Boolean array, True where the predicted class is "bad".

    Returns
    -------
    dict of str to float
        One value per name of :data:`METRICS`, in that order.
    """
    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "precision": float(precision_score(truth, predicted, zero_division=0.0)),
        "recall": float(recall_score(truth, predicted, zero_division=0.0)),
        "f1": float(f1_score(truth, predicted, zero_division=0.0)),
        "roc_auc": float(roc_auc_score(truth, proba)),
        "log_loss": float(log_loss(truth, proba, labels=[False, True])),
        "brier": float(brier_score_loss(truth, proba)),
    }
