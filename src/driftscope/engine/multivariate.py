"""Drift no single feature shows: two checks of the joint distribution, on bounded, seeded
samples of at most ``multivariate.rows`` rows per side (the baseline keeps the reference's).

**Domain classifier.** Rows are labelled 0 (reference) and 1 (current), and a
:class:`~sklearn.ensemble.HistGradientBoostingClassifier` (native categorical support; 50
iterations of at most 15 leaves) is cross-validated over ``multivariate.folds`` stratified,
shuffled folds. The ROC AUC is the mean of the folds' AUCs, its interval ``mean ±
t(0.975, k-1) · sd / √k`` over the ``k`` fold AUCs. An AUC near 0.5 means the samples cannot
be told apart; the status is WARNING at ``auc_warning``, CRITICAL at ``auc_critical``, and
NORMAL whenever the interval reaches 0.5.

**PCA reconstruction error.** Numerical columns are imputed with the reference median,
categorical ones one-hot encoded over the reference's 20 most frequent categories, and all
standardised with the reference's mean and deviation. A PCA keeping ``pca_variance`` of the
variance is fitted on one random half of the reference sample; a row's error is the Euclidean
distance between it and its reconstruction. Without drift, the current sample's mean error
and the held-out half's mean error are two sample means of one distribution, so their
difference has the standard error ``se = s · √(1/h + 1/m)`` (``s`` the held-out rows' standard
deviation of the error, ``h`` and ``m`` the two sample sizes). The current mean error above
``held-out mean + pca_sigmas · se`` is WARNING, above ``held-out mean + 2 · pca_sigmas · se``
CRITICAL (NannyML's data reconstruction drift is the idea). Both sample means carry sampling
noise: a spread taken from chunks of the held-out half alone would miss the held-out mean's
own noise and, drawn without replacement, shrink with the chunk size, which made the
threshold about 2.5 times too tight and raised a WARNING on about one round in ten without
any drift.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from driftscope.config.models import MultivariateSettings
from driftscope.insights import DomainClassifierResult, MultivariateResult, PcaReconstructionResult
from driftscope.severity import Severity

__all__ = ["domain_classifier", "encode", "multivariate_drift", "pca_reconstruction",
           "sample_frame", "sample_table"]

MIN_ROWS = 20
"""Fewer rows than this on a side: the checks are not run."""

MAX_CODES = 254
"""Categories per column the domain classifier tells apart (the rest share one code)."""

PCA_CATEGORIES = 20
"""Most frequent reference categories per column one-hot encoded for the PCA."""



def sample_frame(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """At most ``rows`` rows of ``frame``, a seeded sample in row order."""
    if len(frame) <= rows:
        return frame.reset_index(drop=True)
    rng = np.random.default_rng(seed)
    return frame.iloc[np.sort(rng.choice(len(frame), rows, replace=False))].reset_index(
        drop=True)


def sample_table(frame: pd.DataFrame, rows: int, seed: int) -> pa.Table:
    """The sample the baseline keeps: :func:`sample_frame` as an Arrow table, columns of
    mixed Python types as text."""
    sample = sample_frame(frame, rows, seed)
    for col in sample.columns:
        if sample[col].dtype == object:
            values = sample[col]
            sample[col] = values.where(values.isna(), values.astype(str))
    sample.columns = [str(c) for c in sample.columns]
    return pa.Table.from_pandas(sample, preserve_index=False)


def _numeric(s: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype))


def _as_float(s: pd.Series) -> np.ndarray:
    """Numbers as floats; infinite values count as missing in both checks (the per-feature
    metrics count them in the outer bins)."""
    values = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isinf(values), np.nan, values)


def _as_text(s: pd.Series) -> pd.Series:
    return s.astype(object).where(s.notna(), None).map(lambda v: None if v is None else str(v))


def encode(ref: pd.DataFrame, cur: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                          list[str]]:
    """Both sides as float matrices for the domain classifier: numerical columns as they are
    (NaN where missing), other columns as category codes by pooled frequency (at most
    :data:`MAX_CODES`, the rest one code). Returns the reference matrix, the current matrix,
    the categorical mask and the column names (those of both sides)."""
    cols = [c for c in ref.columns if c in cur.columns]
    xr = np.empty((len(ref), len(cols)))
    xc = np.empty((len(cur), len(cols)))
    mask = np.zeros(len(cols), dtype=bool)
    for j, col in enumerate(cols):
        if _numeric(ref[col]) and _numeric(cur[col]):
            xr[:, j], xc[:, j] = _as_float(ref[col]), _as_float(cur[col])
            continue
        mask[j] = True
        r, c = _as_text(ref[col]), _as_text(cur[col])
        pooled = pd.concat([r, c]).dropna().value_counts()
        codes = {v: float(min(i, MAX_CODES)) for i, v in enumerate(pooled.index)}
        xr[:, j] = r.map(codes).to_numpy(dtype=np.float64, na_value=np.nan)
        xc[:, j] = c.map(codes).to_numpy(dtype=np.float64, na_value=np.nan)
    return xr, xc, mask, [str(c) for c in cols]


def _classifier(mask: np.ndarray, seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=50, max_leaf_nodes=15, learning_rate=0.1, early_stopping=False,
        categorical_features=mask if mask.any() else None, random_state=seed)


def domain_classifier(xr: np.ndarray, xc: np.ndarray, mask: np.ndarray,
                      cfg: MultivariateSettings, seed: int) -> DomainClassifierResult:
    """Cross-validated ROC AUC of telling current rows (1) from reference rows (0)."""
    from scipy.stats import t as student_t
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    X = np.vstack([xr, xc])
    y = np.r_[np.zeros(len(xr)), np.ones(len(xc))]
    folds = StratifiedKFold(n_splits=cfg.folds, shuffle=True, random_state=seed)
    aucs = []
    for train, test in folds.split(X, y):
        model = _classifier(mask, seed).fit(X[train], y[train])
        aucs.append(float(roc_auc_score(y[test], model.predict_proba(X[test])[:, 1])))
    k = len(aucs)
    mean = float(np.mean(aucs))
    half = float(student_t.ppf(0.975, k - 1) * np.std(aucs, ddof=1) / math.sqrt(k))
    lower, upper = max(0.0, mean - half), min(1.0, mean + half)
    status = Severity.NORMAL
    if lower > 0.5 and mean >= cfg.auc_critical:
        status = Severity.CRITICAL
    elif lower > 0.5 and mean >= cfg.auc_warning:
        status = Severity.WARNING
    if status is Severity.NORMAL:
        why = ("the interval reaches 0.5: the samples cannot be told apart" if lower <= 0.5
               else f"below auc_warning {cfg.auc_warning:g}")
    else:
        level = cfg.auc_critical if status is Severity.CRITICAL else cfg.auc_warning
        why = f"at or above {level:g}: current rows can be told from reference rows"
    reason = (f"a classifier tells current from reference rows with ROC AUC {mean:.3f} "
              f"(95 % interval {lower:.3f}–{upper:.3f}, {k} folds, {len(xr)} + {len(xc)} rows, "
              f"{xr.shape[1]} features); {why}")
    return DomainClassifierResult(status=status, reason=reason, auc=mean, auc_lower=lower,
                                  auc_upper=upper, fold_aucs=tuple(aucs),
                                  reference_rows=len(xr), current_rows=len(xc),
                                  features=xr.shape[1])


def _design(ref: pd.DataFrame, cur: pd.DataFrame, cols: list[str]
            ) -> tuple[np.ndarray, np.ndarray]:
    """Both sides as the PCA's input (before standardisation): numbers imputed with the
    reference median, other columns one-hot over the reference's top categories."""
    r_parts, c_parts = [], []
    for col in cols:
        if _numeric(ref[col]) and _numeric(cur[col]):
            r, c = _as_float(ref[col]), _as_float(cur[col])
            med = float(np.nanmedian(r)) if np.isfinite(r).any() else 0.0
            r_parts.append(np.where(np.isnan(r), med, r)[:, None])
            c_parts.append(np.where(np.isnan(c), med, c)[:, None])
            continue
        r_t, c_t = _as_text(ref[col]).fillna("(missing)"), _as_text(cur[col]).fillna("(missing)")
        top = list(r_t.value_counts().index[:PCA_CATEGORIES])
        r_parts.append(np.column_stack([(r_t == v).to_numpy(float) for v in top]))
        c_parts.append(np.column_stack([(c_t == v).to_numpy(float) for v in top]))
    return np.hstack(r_parts), np.hstack(c_parts)


def pca_reconstruction(ref: pd.DataFrame, cur: pd.DataFrame, cfg: MultivariateSettings,
                       seed: int) -> PcaReconstructionResult:
    """Mean reconstruction error of ``cur`` by a PCA fitted on half of ``ref``, judged
    against chunks of the other half (see the module docstring)."""
    from sklearn.decomposition import PCA

    cols = [c for c in ref.columns if c in cur.columns]
    dr, dc = _design(ref, cur, cols)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(dr))
    fit_rows, held = order[: len(dr) // 2], order[len(dr) // 2:]
    mean = dr[fit_rows].mean(axis=0)
    sd = dr[fit_rows].std(axis=0)
    sd[sd == 0] = 1.0
    z_fit = (dr[fit_rows] - mean) / sd
    pca = PCA(n_components=cfg.pca_variance, svd_solver="full", random_state=seed).fit(z_fit)

    def errors(x: np.ndarray) -> np.ndarray:
        z = (x - mean) / sd
        back = pca.inverse_transform(pca.transform(z))
        return np.asarray(np.sqrt(((z - back) ** 2).sum(axis=1)), dtype=np.float64)

    held_err, cur_err = errors(dr[held]), errors(dc)
    spread = float(held_err.std(ddof=1)) * math.sqrt(1 / len(held_err) + 1 / len(cur_err)) \
        if len(held_err) > 1 else 0.0
    centre = float(held_err.mean())
    warn = centre + cfg.pca_sigmas * spread
    crit = centre + 2 * cfg.pca_sigmas * spread
    current = float(cur_err.mean())
    status = (Severity.CRITICAL if current > crit else
              Severity.WARNING if current > warn else Severity.NORMAL)
    comps = int(pca.n_components_)
    kept = min(1.0, float(pca.explained_variance_ratio_.sum()))
    reason = (f"PCA reconstruction error {current:.3f} on current rows against {centre:.3f} on "
              f"held-out reference rows (WARNING above {warn:.3f}, CRITICAL above {crit:.3f}; "
              f"{comps} components keep {100 * kept:.0f} % of the variance)")
    if comps >= dr.shape[1]:  # every dimension kept: the errors are rounding noise
        status = Severity.NORMAL
        reason = (f"not judged: the PCA keeps all {comps} dimensions of the input to reach "
                  f"{100 * cfg.pca_variance:.0f} % of the variance, so nothing is left to "
                  "reconstruct (too few features)")
    return PcaReconstructionResult(
        status=status, reason=reason, components=comps, variance_kept=kept,
        reference_error=centre, current_error=current, warning_threshold=warn,
        critical_threshold=crit, reference_rows=len(dr), current_rows=len(dc))


def multivariate_drift(reference: pd.DataFrame | None, current: pd.DataFrame | None,
                       cfg: MultivariateSettings, seed: int) -> MultivariateResult:
    """Both checks on at most ``cfg.rows`` rows per side (seeded)."""
    def skipped(why: str) -> MultivariateResult:
        return MultivariateResult(status=Severity.NORMAL, reason=f"not measured: {why}",
                                  sample_rows=cfg.rows, seed=seed)

    if reference is None:
        return skipped("the baseline holds no reference sample (built by an earlier "
                       "driftscope, or with multivariate.enabled: false); rebuild it")
    if current is None:
        return skipped("the current rows were not kept (read batch by batch)")
    ref = sample_frame(reference, cfg.rows, seed)
    cur = sample_frame(current, cfg.rows, seed + 1)
    cols = [c for c in ref.columns if c in cur.columns]
    if not cols:
        return skipped("the current data holds none of the reference sample's columns")
    if len(ref) < MIN_ROWS or len(cur) < MIN_ROWS:
        return skipped(f"fewer than {MIN_ROWS} rows on a side ({len(ref)} reference, "
                       f"{len(cur)} current)")
    ref, cur = ref[cols], cur[cols]
    from threadpoolctl import threadpool_limits

    # one thread (OpenMP and BLAS): on a busy machine spinning worker threads cost more than
    # they gain on a few thousand rows
    with threadpool_limits(limits=1):
        xr, xc, mask, _ = encode(ref, cur)
        dc = domain_classifier(xr, xc, mask, cfg, seed)
        pca = pca_reconstruction(ref, cur, cfg, seed)
    status = Severity.worst([dc.status, pca.status])
    reason = f"domain classifier: {dc.status.value}; PCA reconstruction: {pca.status.value}"
    return MultivariateResult(status=status, reason=reason, sample_rows=cfg.rows, seed=seed,
                              domain_classifier=dc, pca_reconstruction=pca)


def reference_sample(model_input: pd.DataFrame | None, table: pa.Table,
                     feature_columns: list[str], engineered: pa.Table | None,
                     cfg: MultivariateSettings, seed: int) -> tuple[pa.Table | None, str | None]:
    """The reference rows a baseline keeps for the multivariate checks: the model's input
    when there is a model, else the monitored features; and what they are
    (``model_input`` / ``features``). (None, None) when the checks are disabled."""
    if not (cfg.enabled or (cfg.enabled is None and model_input is not None)):
        return None, None
    if model_input is not None:
        return sample_table(model_input, cfg.rows, seed), "model_input"
    return sample_table(features_frame(table, feature_columns, engineered, cfg.rows, seed),
                        cfg.rows, seed), "features"


def features_frame(table: pa.Table, feature_columns: list[str], engineered: pa.Table | None,
                   rows: int, seed: int) -> pd.DataFrame:
    """At most ``rows`` rows (seeded, in row order) of the monitored raw columns of ``table``
    and of the engineered columns, as one frame."""
    n = table.num_rows
    same = engineered is not None and engineered.num_rows == n
    if n > rows:
        rng = np.random.default_rng(seed)
        pick = pa.array(np.sort(rng.choice(n, rows, replace=False)))
        table = table.take(pick)
        engineered = engineered.take(pick) if same and engineered is not None else None
    raw = table.select([c for c in feature_columns if c in table.column_names]).to_pandas()
    if engineered is not None and engineered.num_rows == table.num_rows:
        eng = engineered.to_pandas()
        raw = pd.concat([raw, eng[[c for c in eng.columns if c not in raw.columns]]], axis=1)
    return raw


def round_multivariate(bl: Any, cfg: Any, cur: Any, model: Any = None
                       ) -> MultivariateResult | None:
    """The round's multivariate checks: the baseline's reference sample against the current
    rows of the same kind (the model's input, or the monitored features); None when disabled
    (``multivariate.enabled`` false, or unset and the round has no ``model``).
    ``bl`` is the :class:`~driftscope.baseline.Baseline`, ``cur`` the current
    :class:`~driftscope.engine.prepare.Side`."""
    settings: MultivariateSettings = cfg.multivariate
    if not (settings.enabled or (settings.enabled is None and model is not None)):
        return None
    sample = bl.sample
    reference = None if sample is None else sample.to_pandas()
    current: pd.DataFrame | None = None
    if reference is not None:
        if bl.settings.get("multivariate_sample") == "model_input":
            current = cur.model_input
        elif cur.table.num_rows:
            current = features_frame(cur.table, list(reference.columns), cur.engineered,
                                     settings.rows, cfg.seed + 1)
    return multivariate_drift(reference, current, settings, cfg.seed)
