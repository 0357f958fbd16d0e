"""Which drift matters: each feature's importance to the model, measured once when the baseline
is built, and each feature's drift weighted by it (its *impact*).

Importance, in order of preference:

- **permutation** (a model and a labelled reference): the drop of the whole pipeline's score
  when one column's values are shuffled (:func:`sklearn.inspection.permutation_importance`),
  on a seeded sample of at most ``impact.rows`` labelled reference rows, ``impact.repeats``
  shuffles per column. The score is ROC AUC of the positive class for a binary model,
  accuracy for a multiclass one. Raw columns are shuffled *before* the feature engineering
  (so a raw column the model only sees through engineered features still gets its share);
  engineered columns are shuffled in the model's input.
- **sensitivity** (logged prediction columns, no model): how strongly the logged probability
  follows each feature on the reference: ``|Spearman ρ|`` for a numerical feature, the
  correlation ratio ``η = sqrt(SS_between / SS_total)`` of the probability across the
  categories for a categorical one.

At round time a feature's importance *share* is ``max(I, 0) / Σ max(I, 0)`` over the features
of its origin (raw or engineered), and its impact is ``PSI × share``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from driftscope.result import FeatureResult, Severity

__all__ = ["compute_importance", "importance_shares", "status_features", "with_impact"]


class _Chained:
    """The feature engineering, the model's column selection and the model as one predictor of
    raw rows (what permutation importance shuffles raw columns through)."""

    def __init__(self, fe: Any, model: Any, columns: list[str], categories: dict[str, list[Any]],
                 others: pd.DataFrame) -> None:
        self.fe, self.model, self.columns = fe, model, columns
        self.categories, self.others = categories, others
        self.order: list[str] = []

    def fit(self, *args: Any) -> _Chained:  # permutation importance never fits
        return self

    def predict_proba(self, X: pd.DataFrame) -> Any:
        from driftscope.features import apply_feature_engineering
        from driftscope.model.scoring import restore_categoricals

        frame = pd.concat([X.reset_index(drop=True), self.others], axis=1)[self.order]
        eng = apply_feature_engineering(self.fe, frame, "reference")
        model_input, _ = restore_categoricals(eng[self.columns], self.model, self.categories)
        return self.model.predict_proba(model_input)


def _scorer(classes: list[str], positive: str | None) -> tuple[str, Any]:
    from sklearn.metrics import accuracy_score, roc_auc_score

    if len(classes) == 2 and positive in classes:
        j = classes.index(positive)

        def auc(est: Any, X: Any, y: Any) -> float:
            return float(roc_auc_score(y == positive, np.asarray(est.predict_proba(X))[:, j]))

        return "roc_auc", auc

    def accuracy(est: Any, X: Any, y: Any) -> float:
        pred = np.asarray(classes, dtype=object)[np.argmax(est.predict_proba(X), axis=1)]
        return float(accuracy_score(y, pred))

    return "accuracy", accuracy


def compute_importance(*, model: Any, model_input: pd.DataFrame | None,
                       labels: np.ndarray | None, positive: str | None,
                       raw: pa.Table, raw_columns: Sequence[str],
                       engineered_columns: Sequence[str], feature_fn: Any = None,
                       categories: dict[str, list[Any]] | None = None,
                       proba: np.ndarray | None = None, rows: int = 2000, repeats: int = 3,
                       seed: int = 0) -> dict[str, Any] | None:
    """The importance of every monitored column, as plain data for the baseline.

    Parameters
    ----------
    model, model_input, labels, positive
        The fitted model, the reference rows as the model is given them, their labels in the
        model's coding (None where unlabelled) and the positive class.
    raw
        The reference's raw rows (the feature engineering's input), row for row with
        ``labels`` / ``proba``.
    raw_columns, engineered_columns
        The monitored raw and engineered columns.
    feature_fn, categories
        The feature engineering and the categorical dtypes restored for the model.
    proba
        The logged probability of the reference rows (the sensitivity, when there is no model).
    rows, repeats, seed
        The bounded sample of labelled rows, shuffles per column, and their seed.

    Returns
    -------
    dict or None
        ``method``, ``score``, ``rows``, ``repeats``, ``seed``, ``reference_score`` and per
        origin (``raw``, ``engineered``) the importance of each column; None when neither a
        model with labels nor a logged probability is at hand.
    """
    rng = np.random.default_rng(seed)
    if model is not None and model_input is not None and labels is not None \
            and len(labels) == len(model_input) == raw.num_rows:
        from driftscope.model.scoring import model_classes

        classes = model_classes(model, "model") or []
        known = np.flatnonzero(np.array([v is not None for v in labels], dtype=bool))
        if len(known) < 10 or len(set(labels[known])) < 2 or not hasattr(model, "predict_proba"):
            return None
        pick = np.sort(rng.choice(known, min(rows, len(known)), replace=False))
        y = np.asarray(labels[pick], dtype=object)
        score_name, scorer = _scorer(classes, positive)
        out: dict[str, Any] = {"method": "permutation", "score": score_name,
                               "rows": len(pick), "repeats": repeats, "seed": seed,
                               "raw": {}, "engineered": {}}
        X = model_input.iloc[pick].reset_index(drop=True)
        out["reference_score"] = scorer(model, X, y)
        cols = [str(c) for c in X.columns]
        if feature_fn is not None:
            sample = raw.take(pa.array(pick)).to_pandas()
            mon = [c for c in raw_columns if c in sample.columns]
            chained = _Chained(feature_fn, model, cols, dict(categories or {}),
                               sample.drop(columns=mon))
            chained.order = list(sample.columns)
            out["raw"] = _permuted(chained, sample[mon], y, scorer, repeats, seed)
            eng = [c for c in engineered_columns if c in cols]
            if eng:
                by_col = _permuted(model, X, y, scorer, repeats, seed)
                out["engineered"] = {c: by_col[c] for c in eng}
        else:
            by_col = _permuted(model, X, y, scorer, repeats, seed)
            # a monitored column the model does not read cannot move its score
            out["raw"] = {c: by_col.get(c, 0.0) for c in raw_columns}
        return out
    if proba is not None and len(proba) == raw.num_rows:
        return _sensitivity(raw, raw_columns, proba, rows, rng, seed)
    return None


def _permuted(est: Any, X: pd.DataFrame, y: np.ndarray, scorer: Any, repeats: int,
              seed: int) -> dict[str, float]:
    from sklearn.inspection import permutation_importance
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # small batches: worker threads only spin
        res = permutation_importance(est, X, y, scoring=scorer, n_repeats=repeats,
                                     random_state=seed, n_jobs=None)
    return {str(c): float(v) for c, v in zip(X.columns, res.importances_mean)}


def _sensitivity(raw: pa.Table, columns: Sequence[str], proba: np.ndarray, rows: int,
                 rng: np.random.Generator, seed: int) -> dict[str, Any] | None:
    from scipy.stats import spearmanr

    p = np.asarray(proba, dtype=np.float64)
    ok = np.flatnonzero(~np.isnan(p))
    if len(ok) < 10:
        return None
    pick = np.sort(rng.choice(ok, min(rows, len(ok)), replace=False))
    p = p[pick]
    frame = raw.select([c for c in columns if c in raw.column_names]).take(
        pa.array(pick)).to_pandas()
    out: dict[str, float] = {}
    for col in frame.columns:
        values = frame[col]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric:
            x = values.to_numpy(dtype=np.float64, na_value=np.nan)
            keep = ~np.isnan(x)
            if keep.sum() < 3 or np.ptp(x[keep]) == 0:
                out[col] = 0.0
                continue
            rho = spearmanr(x[keep], p[keep]).statistic
            out[col] = 0.0 if not np.isfinite(rho) else float(abs(rho))
        else:
            groups = values.astype(object).where(values.notna(), "(missing)").astype(str)
            total = float(((p - p.mean()) ** 2).sum())
            means = pd.Series(p).groupby(groups.to_numpy()).agg(["mean", "size"])
            between = float((means["size"] * (means["mean"] - p.mean()) ** 2).sum())
            out[col] = float(np.sqrt(between / total)) if total > 0 else 0.0
    return {"method": "sensitivity", "score": None, "rows": len(pick), "repeats": None,
            "seed": seed, "reference_score": None, "raw": out, "engineered": {}}


def importance_shares(stored: dict[str, Any] | None) -> dict[tuple[str, str], float]:
    """(origin, column) -> importance share ``max(I, 0) / Σ max(I, 0)`` within the origin."""
    out: dict[tuple[str, str], float] = {}
    if not stored:
        return out
    for origin in ("raw", "engineered"):
        values = {str(k): max(float(v), 0.0) for k, v in (stored.get(origin) or {}).items()
                  if v is not None and np.isfinite(float(v))}
        total = sum(values.values())
        for k, v in values.items():
            out[(origin, k)] = v / total if total > 0 else 0.0
    return out


def with_impact(features: Sequence[FeatureResult], stored: dict[str, Any] | None
                ) -> list[FeatureResult]:
    """The features with their importance share and impact (``PSI × share``) set; features
    the baseline holds no importance for keep None."""
    shares = importance_shares(stored)
    out = []
    for f in features:
        share = shares.get((f.origin, f.name))
        psi = f.metrics.get("psi")
        if share is None:
            out.append(f)
            continue
        impact = None if psi is None or not np.isfinite(psi) else float(psi) * share
        out.append(replace(f, importance=share, impact=impact))
    return out


def status_features(features: Sequence[FeatureResult], min_share: float
                    ) -> tuple[list[FeatureResult], list[str]]:
    """The features as the round's status reads them when it weighs importance: a CRITICAL
    feature whose importance share is below ``min_share`` counts as WARNING. Returns the
    features and the names of those capped."""
    out, capped = [], []
    for f in features:
        share = f.importance
        if f.status is Severity.CRITICAL and share is not None and share < min_share:
            out.append(replace(f, status=Severity.WARNING))
            capped.append(f.name)
        else:
            out.append(f)
    return out, capped


def baseline_importance(side: Any, table: pa.Table, art: Any, cfg: Any,
                        raw_columns: Sequence[str], engineered_columns: Sequence[str]
                        ) -> tuple[dict[str, Any] | None, str | None]:
    """The importance a baseline stores (``settings.importance``), from the prepared reference
    ``side`` (:class:`driftscope.engine.prepare.Side`), and a finding when it could not be
    measured though a model or a logged probability was given."""
    if not cfg.impact.enabled:
        return None, None
    has_model = art.model is not None
    proba = side.predictions.proba if side.predictions is not None and not has_model else None
    if (not has_model and proba is None) or (has_model and side.labels is None):
        return None, None  # nothing to measure it by: no labels, no logged probability
    if has_model and getattr(side, "model_input", None) is None:
        return None, ("feature importance was not measured: the reference was scored where "
                      "it lives (backend: spark) and its rows were not kept; drift impact is "
                      "not reported")
    try:
        with warnings.catch_warnings():  # the model's own warnings are not for the terminal
            warnings.simplefilter("ignore")
            stored = compute_importance(
                model=art.model, model_input=side.model_input, labels=side.labels,
                positive=side.predictions.positive_class if side.predictions is not None
                else None, raw=table, raw_columns=list(raw_columns),
                engineered_columns=list(engineered_columns), feature_fn=art.feature_fn,
                categories=side.categories, proba=proba, rows=cfg.impact.rows,
                repeats=cfg.impact.repeats, seed=cfg.seed)
    except Exception as err:  # the model or feature engineering failing on shuffled rows  # noqa: BLE001
        first = (str(err).splitlines() or [type(err).__name__])[0][:200]
        return None, (f"feature importance could not be measured ({first}): drift impact is "
                      "not reported; set impact.enabled: false to skip it")
    if stored is None:
        return None, ("feature importance was not measured: permutation importance needs the "
                      "model's predict_proba and at least 10 labelled reference rows of two "
                      "classes (set --target); drift impact is not reported")
    return stored, None
