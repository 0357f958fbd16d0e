"""Predictions of a fitted model: the positive class's score, the predicted class and, for a
multiclass model, the whole probability matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from driftscope.errors import ArtifactError
from driftscope.model.predict import predict


def _fit(classes: list[object], seed: int = 0) -> tuple[LogisticRegression, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = np.asarray(classes)[rng.integers(0, len(classes), 300)]
    X["a"] += np.asarray([classes.index(v) for v in y.tolist()], dtype=float)
    return LogisticRegression().fit(X, y), X


def test_a_multiclass_model_without_a_positive_class_gives_the_whole_matrix():
    model, X = _fit(["low", "mid", "high"])
    p = predict(model, X, None, "reference")
    assert p.multiclass and p.proba is None and p.positive_class is None
    assert p.classes == ("high", "low", "mid")
    assert p.matrix is not None
    np.testing.assert_allclose(p.matrix, model.predict_proba(X))
    assert list(p.label) == list(model.predict(X))


def test_a_named_positive_class_of_a_multiclass_model_is_its_column():
    model, X = _fit([3, 7, 12, 20])
    p = predict(model, X, "12", "current")
    assert p.positive_class == "12" and p.classes == ("3", "7", "12", "20")
    np.testing.assert_allclose(p.proba, model.predict_proba(X)[:, 2])
    assert p.matrix is not None and p.matrix.shape == (300, 4)


def test_a_binary_model_is_unchanged():
    model, X = _fit(["bad", "good"])
    p = predict(model, X, None, "reference")
    assert not p.multiclass and p.positive_class == "good"
    np.testing.assert_allclose(p.proba, model.predict_proba(X)[:, 1])
    with pytest.raises(ArtifactError, match="'ugly' is not one of the model's classes"):
        predict(model, X, "ugly", "reference")


class _WrongColumns:
    classes_ = np.array(["a", "b", "c"])

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.full((len(X), 2), 0.5)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.array(["a"] * len(X))


def test_probabilities_that_do_not_match_the_classes_are_refused():
    X = pd.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(ArtifactError, match="returned 2 columns for 3 classes"):
        predict(_WrongColumns(), X, None, "reference")
