"""Scoring one side of a round: the model's input, its predictions and the labels, in the
model's coding.

- The model is given the columns it reads (the metadata's ``features``, else the columns it was
  fit on, else the reference's columns), with the pandas categorical dtypes it was fit on
  restored (a LightGBM model fit on ``category`` columns fails on text read from CSV).
- Labels are translated into the model's classes (:mod:`driftscope.model.labels`); logged
  prediction columns are checked for the same coding as a model's output.
- ``reference_predictions: out_of_fold`` replaces the fitted model's predictions on its own
  training rows (overconfident) by predictions of clones refitted K-fold on the reference.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from driftscope.errors import ArtifactError
from driftscope.limits import quoted
from driftscope.model.labels import LabelCoding, infer_coding
from driftscope.model.performance import label_text
from driftscope.model.predict import Predictions, _positive_index
from driftscope.usercode import describe, error_for, user_code

AGREEMENT_MIN_ROWS = 30
"""Logged probability and decision are compared only on at least this many rows."""


@dataclass(frozen=True)
class Scored:
    """What scoring one side gives the round."""

    predictions: Predictions | None = None
    labels: NDArray[np.object_] | None = None
    findings: tuple[tuple[str | None, str], ...] = ()
    model_columns: list[str] | None = None
    coding: LabelCoding | None = None
    categories: dict[str, list[Any]] = field(default_factory=dict)
    prediction_error: str | None = None


def model_classes(model: Any, name: str) -> list[str] | None:
    """The fitted model's classes as text, when it has them."""
    if model is None:
        return None
    with user_code(f"{name}: reading the model's classes_ failed"):
        classes = getattr(model, "classes_", None)
        if classes is None:
            return None
        return [str(label_text(c)) for c in classes]


def _lightgbm_categories(model: Any) -> list[list[Any]] | None:
    """The categories a LightGBM model (scikit-learn API, not in a pipeline) was fit on."""
    booster = getattr(model, "booster_", None)
    cats = getattr(booster, "pandas_categorical", None) if booster is not None else None
    return list(cats) if cats else None


def restore_categoricals(frame: pd.DataFrame, model: Any, known: dict[str, list[Any]]
                         ) -> tuple[pd.DataFrame, dict[str, list[Any]]]:
    """Give columns the categorical dtype they had when the model was fit.

    ``known``: column -> categories recorded on the reference (empty on the reference itself).
    On the reference, category columns of the input are recorded; a LightGBM model fit on
    pandas categoricals also names its categories, in the order of its categorical columns,
    which are the text columns of the input."""
    categories = dict(known)
    if not categories:
        for col in frame.columns:
            if isinstance(frame[col].dtype, pd.CategoricalDtype):
                categories[str(col)] = list(frame[col].cat.categories)
        lgb = _lightgbm_categories(model)
        if lgb and not categories:
            text = [str(c) for c in frame.columns
                    if pd.api.types.is_string_dtype(frame[c]) or frame[c].dtype == object]
            if len(text) == len(lgb):
                categories = dict(zip(text, lgb))
        if not categories:
            categories = _native_categoricals(model, frame)
    if not categories:
        return frame, categories
    out = frame.copy()
    for col, cats in categories.items():
        if col in out.columns and not isinstance(out[col].dtype, pd.CategoricalDtype):
            kinds = {type(c) for c in cats}
            values = out[col]
            if kinds <= {int, np.int64, float, np.float64}:  # numbers read as numbers
                values = pd.to_numeric(values, errors="coerce")
            out[col] = pd.Categorical(values, categories=cats)
    return out, categories


def _native_categoricals(model: Any, frame: pd.DataFrame) -> dict[str, list[Any]]:
    """Text columns a scikit-learn HistGradientBoosting model treats as categorical
    (``categorical_features="from_dtype"``, fit on pandas categoricals), with the reference's
    values as categories: a clone refit on them (out-of-fold predictions) must see them as
    categoricals again, not as text it cannot turn into numbers."""
    est = model
    steps = getattr(model, "steps", None)
    if steps and len(steps) == 1:  # a one-step Pipeline around the model
        est = steps[0][1]
    flags = getattr(est, "is_categorical_", None)
    names = getattr(est, "feature_names_in_", None)
    if flags is None or names is None or len(flags) != len(names):
        return {}
    out: dict[str, list[Any]] = {}
    for name, flag in zip(names, flags):
        col = str(name)
        if flag and col in frame.columns and (pd.api.types.is_string_dtype(frame[col])
                                              or frame[col].dtype == object):
            out[col] = sorted({str(v) for v in frame[col].dropna()})
    return out


def _agreement(proba: NDArray[np.float64], label: NDArray[np.object_], positive: str
               ) -> tuple[float, int] | None:
    """Share of rows where ``proba >= 0.5`` agrees with ``label == positive``."""
    known = np.isfinite(proba) & np.asarray([v is not None for v in label])
    n = int(known.sum())
    if n < AGREEMENT_MIN_ROWS:
        return None
    agree = (proba[known] >= 0.5) == np.asarray([v == positive for v in label[known]])
    return float(agree.mean()), n


def check_logged(pred: Predictions, labels: NDArray[np.object_] | None, positive: str | None,
                 proba_column: str | None, prediction_column: str | None, side: str
                 ) -> list[str]:
    """Coding checks of logged predictions: the decision's values, the positive class, the
    probability's class. Raises on the reference; messages (findings) on the current data."""
    problems: list[str] = []
    values = sorted({v for v in pred.label if v is not None}) if pred.label is not None else []
    if pred.label is not None and positive is not None and values and positive not in values \
            and len(values) >= 2:
        problems.append(
            f"the positive class {quoted(positive)} is not a value of prediction column "
            f"{quoted(prediction_column)} ({', '.join(map(quoted, values[:5]))}); set "
            "--positive-class in the column's coding or map the labels with 'labels:'")
    if labels is not None and pred.label is not None:
        seen = {v for v in labels if v is not None}
        domain = set(values) | ({positive} if positive else set())
        if seen and values and not seen & domain:
            problems.append(
                f"the {side} labels ({', '.join(map(quoted, sorted(seen)[:5]))}) and prediction "
                f"column {quoted(prediction_column)} ({', '.join(map(quoted, values[:5]))}) "
                "are coded differently; map the labels with 'labels: {<label>: <class>}' in "
                "the config or the metadata")
    if pred.proba is not None and pred.label is not None and positive is not None:
        agreement = _agreement(pred.proba, pred.label, positive)
        if agreement is not None and agreement[0] < 0.2:
            problems.append(
                f"proba column {quoted(proba_column)} disagrees with prediction column "
                f"{quoted(prediction_column)} on {1 - agreement[0]:.0%} of {agreement[1]} "
                f"{side} rows: it looks like the probability of another class than "
                f"{quoted(positive)}; check --positive-class and the columns")
    if pred.proba is not None and labels is not None and positive is not None and \
            side == "reference":
        backwards = _ranked_backwards(pred.proba, labels, positive)
        if backwards is not None:
            problems.append(
                f"proba column {quoted(proba_column)} ranks the reference labels backwards "
                f"for the positive class {quoted(positive)} (ROC AUC {backwards:.3f}, far below "
                "chance): it looks like the probability of the other class; check "
                "--positive-class and the column")
    if problems and side == "reference":
        raise ArtifactError(problems[0])
    return problems


BACKWARDS_Z = 5.0
"""How far below chance (in standard errors of ROC AUC under no association) a logged
probability must rank the labels to be called the other class's probability: a model worse
than chance on this scale is a coding error, not a model."""


def _ranked_backwards(proba: NDArray[np.float64], labels: NDArray[np.object_],
                      positive: str) -> float | None:
    """ROC AUC of ``proba`` for the ``positive`` labels when it is significantly below 0.5
    (Mann–Whitney's normal approximation, :data:`BACKWARDS_Z`), else None."""
    p = np.asarray(proba, dtype=np.float64)
    known = np.array([v is not None for v in labels]) & ~np.isnan(p)
    hit = np.array([v == positive for v in labels])[known]
    p = p[known]
    n1, n0 = int(hit.sum()), int((~hit).sum())
    if n1 < 10 or n0 < 10:
        return None
    from sklearn.metrics import roc_auc_score

    auc = float(roc_auc_score(hit, p))
    se = float(np.sqrt((n1 + n0 + 1) / (12.0 * n1 * n0)))  # Mann–Whitney, no association
    return float(auc) if (auc - 0.5) / se < -BACKWARDS_Z else None


def select_model_input(frame: pd.DataFrame, model: Any, features: Sequence[str] | None,
                       model_columns: Sequence[str] | None, excluded: set[str], side: str,
                       engineered: bool, name: str) -> pd.DataFrame:
    """The columns the model reads: the metadata's list, else what it was fit on, else the
    reference's columns, else every column but the target and the logged / time columns."""
    after = " after feature engineering" if engineered else ""
    if features:
        absent = [f for f in features if f not in frame.columns]
        if absent:
            raise ArtifactError(f"metadata names feature {quoted(absent[0])} that the {side} "
                                f"data lacks{after}; fix the metadata's features list or the "
                                "data")
        return frame[list(features)]
    with user_code(f"{name}: reading the model's feature_names_in_ failed"):
        names_in = getattr(model, "feature_names_in_", None)
        wanted = [] if names_in is None else [str(c) for c in names_in]
    if wanted:
        absent = [c for c in wanted if c not in frame.columns]
        if absent:
            raise ArtifactError(f"the model was fit on column {quoted(absent[0])} that the "
                                f"{side} data lacks{after}")
        return frame[wanted]
    if model_columns is not None:  # the reference's columns, in the reference's order
        absent = [c for c in model_columns if c not in frame.columns]
        if absent:
            raise ArtifactError(f"the model reads column {quoted(absent[0])} that the {side} "
                                "data lacks; add it to the data")
        return frame[list(model_columns)]
    return frame.drop(columns=[c for c in frame.columns if c in excluded])


def out_of_fold(model: Any, X: pd.DataFrame, labels: NDArray[np.object_], positive: str | None,
                folds: int, seed: int, name: str,
                step: Callable[[], None] | None = None) -> Predictions:
    """Predictions on the reference from clones of ``model`` refitted on K-1 folds each.

    Rows without a label are predicted by a clone fitted on all labelled rows."""
    from sklearn.base import clone
    from sklearn.model_selection import KFold, StratifiedKFold

    classes = model_classes(model, name)
    if classes is None:
        raise ArtifactError(f"{name}: reference_predictions: out_of_fold needs a fitted "
                            "scikit-learn classifier (with classes_)")
    known = np.asarray([v is not None for v in labels])
    y_text = labels[known]
    raw_classes = list(model.classes_)
    by_text = {str(label_text(c)): c for c in raw_classes}
    foreign = sorted({v for v in y_text if v not in by_text})
    if foreign:
        raise ArtifactError(f"reference_predictions: out_of_fold: labels "
                            f"{', '.join(map(quoted, foreign[:5]))} are not classes of {name}; "
                            "map them with 'labels:'")
    y = np.asarray([by_text[v] for v in y_text])
    Xk = X[known].reset_index(drop=True)
    counts = pd.Series(y_text).value_counts()
    if len(counts) < 2 or int(known.sum()) < 2 * folds:
        raise ArtifactError(f"reference_predictions: out_of_fold needs labelled reference rows "
                            f"of at least two classes (got {int(known.sum())} rows, "
                            f"{len(counts)} class(es)) ")
    stratified = int(counts.min()) >= folds
    splitter = (StratifiedKFold(folds, shuffle=True, random_state=seed) if stratified
                else KFold(folds, shuffle=True, random_state=seed))
    proba = np.full((len(X), len(raw_classes)), np.nan)
    rows = np.flatnonzero(known)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for train, test in splitter.split(Xk, y if stratified else None):
            try:
                fitted = clone(model).fit(Xk.iloc[train], y[train])
            except BaseException as err:  # noqa: BLE001 - the user's estimator, refitted
                raise error_for(err)(f"{name}: refitting a clone for out-of-fold reference "
                                    f"predictions failed ({describe(err)}); use a held-out "
                                    "reference instead") from None
            fold = np.asarray(fitted.predict_proba(Xk.iloc[test]), dtype=np.float64)
            proba[rows[test]] = _align(fold, list(fitted.classes_), raw_classes)
            if step is not None:
                step()
        if (~known).any():
            full = clone(model).fit(Xk, y)
            proba[~known] = _align(np.asarray(full.predict_proba(X[~known]), dtype=np.float64),
                                   list(full.classes_), raw_classes)
    chosen = _positive_index(classes, positive, name)  # as for the fitted model's output
    predicted = np.asarray([classes[i] for i in np.argmax(proba, axis=1)], dtype=object)
    return Predictions(proba=None if chosen is None else proba[:, chosen[0]], label=predicted,
                       positive_class=None if chosen is None else chosen[1],
                       classes=tuple(classes), matrix=proba)


def _align(proba: NDArray[np.float64], got: list[Any], want: list[Any]) -> NDArray[np.float64]:
    """Columns of a clone's predict_proba in the full model's class order (a fold may miss a
    class: its probability is 0)."""
    out = np.zeros((proba.shape[0], len(want)))
    for j, c in enumerate(got):
        out[:, want.index(c)] = proba[:, j]
    return out


def resolve_coding(raw_labels: NDArray[np.object_] | None, classes: Sequence[str] | None,
                   explicit: LabelCoding | None, inherited: LabelCoding | None,
                   positive: str | None) -> LabelCoding | None:
    """The label coding of a side: explicit, else the reference's, else inferred."""
    if explicit is not None:
        return explicit
    if inherited is not None:
        return inherited
    if raw_labels is not None and classes:
        return infer_coding(raw_labels, classes, positive)
    return None


def labels_from(frame: pd.DataFrame | None, target: str | None) -> NDArray[np.object_] | None:
    """The target column of a frame as label text (None where missing)."""
    if frame is None or target is None or target not in frame.columns:
        return None
    return np.asarray([None if pd.isna(v) else label_text(v) for v in frame[target]],
                      dtype=object)


NEAR_PERFECT = {"accuracy": 0.99, "roc_auc": 0.995}
"""Reference performance this high, without a holdout baseline, suggests in-sample rows."""


def in_sample_evidence(reference: dict[str, float | None], baseline: dict[str, float],
                       labelled: int, alpha: float = 0.001) -> str | None:
    """Why the reference predictions look like the model's predictions on its own training
    rows, or None.

    With a holdout baseline (the metadata's): reference accuracy significantly above it (a
    one-sided binomial test at ``alpha``, and by more than 2 points) or ROC AUC more than 0.05
    above it. Without one: near-perfect accuracy or ROC AUC (:data:`NEAR_PERFECT`)."""
    from scipy import stats

    acc = reference.get("accuracy")
    auc = reference.get("roc_auc")
    base_acc = baseline.get("accuracy")
    base_auc = baseline.get("roc_auc")
    if acc is not None and base_acc is not None and labelled > 0 and 0 < base_acc < 1 \
            and acc > base_acc + 0.02:
        p = stats.binomtest(round(acc * labelled), labelled, base_acc,
                            alternative="greater").pvalue
        if p < alpha:
            return (f"accuracy {acc:.3f} on the {labelled} labelled reference rows is far above "
                    f"the holdout baseline {base_acc:.3f} (p = {p:.1g})")
    if auc is not None and base_auc is not None and auc > base_auc + 0.05:
        return (f"ROC AUC {auc:.3f} on the reference is far above the holdout baseline "
                f"{base_auc:.3f}")
    if base_acc is None and base_auc is None:
        for metric, limit in NEAR_PERFECT.items():
            value = reference.get(metric)
            if value is not None and value >= limit and labelled >= AGREEMENT_MIN_ROWS:
                return (f"{metric} {value:.3f} on the {labelled} labelled reference rows is "
                        "near perfect")
    return None


def check_inferred_direction(labels: NDArray[np.object_], predictions: Predictions | None,
                             coding: LabelCoding, positive: str | None) -> None:
    """A mapping inferred from ``positive_class`` must not turn the model upside down: when
    the model ranks the labelled reference clearly worse than chance under it (ROC AUC below
    0.35 on at least 30 rows), the positive label named is the model's other class."""
    if predictions is None or predictions.proba is None or positive is None:
        return
    from sklearn.metrics import roc_auc_score

    known = np.asarray([v is not None for v in labels]) & np.isfinite(predictions.proba)
    y = np.asarray([v == positive for v in labels[known]])
    if known.sum() < AGREEMENT_MIN_ROWS or y.all() or not y.any():
        return
    auc = float(roc_auc_score(y, predictions.proba[known]))
    if auc < 0.35:
        named = next((k for k, v in coding.mapping.items() if v == positive), positive)
        other = next((k for k, v in coding.mapping.items() if v != positive), None)
        raise ArtifactError(
            f"with {quoted(named)} as the positive class the model ranks the reference worse "
            f"than chance (ROC AUC {auc:.2f}): its class {quoted(positive)} is probably "
            f"{quoted(other)}; use --positive-class {other} or set 'labels:' explicitly")
