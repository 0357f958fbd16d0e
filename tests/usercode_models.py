"""Models and functions that misbehave the way user code can (pickled by the tests, so they
live in an importable module)."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pandas as pd


class ExitingModel:
    """A 'model' whose predict_proba ends the process (``sys.exit(code)``) or raises
    ``error``."""

    classes_ = np.array(["bad", "good"])

    def __init__(self, code: int | None = 0, error: type[BaseException] | None = None) -> None:
        self.code = code
        self.error = error

    def fit(self, X: Any, y: Any) -> ExitingModel:  # noqa: N803
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        if self.error is not None:
            raise self.error()
        sys.exit(self.code)

    def predict(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        return np.full(len(X), "good")


class NotProbabilities:
    """predict_proba returns NaN or values outside [0, 1]."""

    classes_ = np.array(["bad", "good"])

    def __init__(self, value: float) -> None:
        self.value = value

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        out = np.full((len(X), 2), 0.5)
        out[0, 0] = self.value
        return out

    def predict(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        return np.full(len(X), "good")


class ExitOnLoad:
    """Unpickling this object calls ``sys.exit(0)``."""

    def __reduce__(self) -> Any:
        return (sys.exit, (0,))


def exiting_features(df: pd.DataFrame) -> pd.DataFrame:
    sys.exit(0)


def interrupted_features(df: pd.DataFrame) -> pd.DataFrame:
    raise KeyboardInterrupt


class BrokenAttributes:
    """A model whose ``classes_`` / ``feature_names_in_`` raise when read."""

    def __init__(self, which: str) -> None:
        self.which = which

    def __getattr__(self, name: str) -> Any:
        if name == self.__dict__.get("which"):
            raise RuntimeError(f"{name} is broken")
        raise AttributeError(name)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        return np.full((len(X), 2), 0.5)

    def predict(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        return np.full(len(X), "good")


class RaisesOnLoad:
    """Unpickling this object raises an ordinary exception."""

    def __reduce__(self) -> Any:
        return (int, ("not a number",))


class ExitsOnSecondCall:
    """Scores the reference, then ends the process (or is interrupted) on the current data."""

    classes_ = np.array(["bad", "good"])

    def __init__(self, error: type[BaseException]) -> None:
        self.error = error
        self.calls = 0

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        self.calls += 1
        if self.calls > 1:
            raise self.error()
        return np.full((len(X), 2), 0.5)

    def predict(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        return np.full(len(X), "good")
