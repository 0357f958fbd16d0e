"""The fitted pipeline's own contract: checks read from a fitted scikit-learn model, without
configuration.

The walk follows :class:`~sklearn.pipeline.Pipeline` steps, :class:`~sklearn.compose.
ColumnTransformer` branches and nested pipelines, and runs the current rows through each
branch up to every step it checks, so a step sees exactly what it sees when the model scores
(an imputer's fill value before an encoder, a function transformer's output). A column's
name is kept through steps that map columns one to one (imputers without indicators, scalers,
one-to-one function transformers); after a step that does not, the branch's later steps are
not checked (their inputs are no longer the data's columns).

Checks:

- a fitted ``OneHotEncoder`` / ``OrdinalEncoder``: share of current rows whose value is not
  in ``categories_``; ``handle_unknown`` tells whether the pipeline ignores them (all-zero
  one-hot, the ordinal ``unknown_value``, or the infrequent category) or fails on them;
- a fitted ``SimpleImputer``: share of current rows it fills per column, against the
  reference's share (the baseline's missing count of that column);
- the training range of each numerical model input: a fitted ``MinMaxScaler``'s
  ``data_min_`` / ``data_max_`` where one sees the column, else the reference's minimum and
  maximum (the baseline's profile); share of current values outside it.

Each share is judged with the column's thresholds (unseen ones for unknown categories and
ranges, the rise over the reference for imputation) behind the round's significance guard (see
:func:`check_contract`), so a few rows of a small batch raise nothing.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from driftscope.classify.levels import level
from driftscope.insights import ContractCheck, ContractReport
from driftscope.limits import quoted
from driftscope.severity import Severity

__all__ = ["ReferenceColumn", "check_contract", "not_readable"]

MAX_ROWS = 200_000
"""Current rows the contract reads at most (a seeded sample beyond)."""

_ONE_TO_ONE = ("StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler",
               "PowerTransformer", "QuantileTransformer", "Normalizer")


@dataclass(frozen=True)
class ReferenceColumn:
    """What the baseline knows of one model input on the reference."""

    missing_share: float | None
    numerical: bool
    minimum: float | None = None
    maximum: float | None = None


Thresholds = Callable[[str], tuple[float, float, float, float]]
"""column -> (unseen warning, unseen critical, missing warning, missing critical)."""


@dataclass
class _Seen:
    """What the walk found, per check."""

    checks: list[ContractCheck]
    scaler_ranges: dict[str, tuple[float, float, str]]


def not_readable(why: str) -> ContractReport:
    """The report when the model's contract cannot be read (one line says why)."""
    return ContractReport(status=Severity.NORMAL, readable=False,
                          reason=f"the pipeline's contract could not be read: {why}")


def check_contract(model: Any, current: pd.DataFrame, reference: Mapping[str, ReferenceColumn],
                   thresholds: Thresholds, seed: int = 0, significance: float | None = None,
                   reference_rows: int | None = None) -> ContractReport:
    """The contract checks of ``model`` on ``current`` (its input, as the model is given it).

    Parameters
    ----------
    model
        The fitted model; anything but a scikit-learn estimator (or pipeline) is skipped
        with a report saying so.
    current
        The current model input (the columns and dtypes the model is given).
    reference
        Per model input column, its reference missing share, type and range (the baseline).
    thresholds
        Per column, the unseen-share and missing-share thresholds of the round's policy.
    seed
        Seed of the row sample beyond :data:`MAX_ROWS` rows.
    significance
        The significance guard (None: off). A check is raised above NORMAL only when its
        count is significant at this level: one-sided binomial tests of the ``k`` current rows
        out of ``m`` against the share the reference alone would give — ``3 / n`` for rows in
        unknown categories or outside the training range (what a sample of ``n`` rows could
        miss, the "rule of three"; ``n`` = ``reference_rows``), the reference's rate for
        imputed rows. A fitted encoder that fails on unknown categories is CRITICAL from the
        first such row whatever the test says: the model cannot score the batch.
    reference_rows
        Rows of the reference the ranges and rates come from.
    """
    if not _is_sklearn(model):
        return not_readable(f"the model ({type(model).__name__}) is not a scikit-learn "
                            "estimator or pipeline")
    if len(current) > MAX_ROWS:
        rng = np.random.default_rng(seed)
        current = current.iloc[np.sort(rng.choice(len(current), MAX_ROWS, replace=False))]
    names = [str(c) for c in current.columns]
    seen = _Seen(checks=[], scaler_ranges={})
    try:
        with warnings.catch_warnings():  # the model's own warnings are not for the terminal
            warnings.simplefilter("ignore")
            _walk(model, current, names, "", seen, reference, thresholds)
    except Exception as err:  # a step that cannot transform rows the model scored  # noqa: BLE001
        first = (str(err).splitlines() or [type(err).__name__])[0][:200]
        if not seen.checks:
            return not_readable(f"a step failed on the current rows ({first})")
    seen.checks.extend(_ranges(current, reference, seen.scaler_ranges, thresholds))
    if significance is not None:
        seen.checks[:] = [_guarded(c, len(current), significance, reference_rows)
                          for c in seen.checks]
    checks = sorted(seen.checks, key=lambda c: (-c.status.rank, -c.current_share))
    status = Severity.worst([c.status for c in checks]) if checks else Severity.NORMAL
    bad = [c for c in checks if c.status is not Severity.NORMAL]
    if bad:
        shown = "; ".join(c.reason for c in bad[:3]) + (f"; and {len(bad) - 3} more"
                                                         if len(bad) > 3 else "")
        reason = f"{len(bad)} of {len(checks)} contract checks alert: {shown}"
    else:
        reason = (f"all {len(checks)} checks the fitted pipeline implies pass"
                  if checks else "the fitted pipeline implies no check on its input columns")
    return ContractReport(status=status, reason=reason, readable=True, checks=tuple(checks))


def _is_sklearn(model: Any) -> bool:
    return any(k.__module__.startswith("sklearn.") and k.__name__ == "BaseEstimator"
               for k in type(model).__mro__)


def _frame(X: Any, names: list[str] | None) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    arr = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    cols = names if names is not None and len(names) == arr.shape[1] else None
    return pd.DataFrame(arr, columns=cols)


def _walk(est: Any, X: Any, names: list[str] | None, path: str, seen: _Seen,
          reference: Mapping[str, ReferenceColumn], thresholds: Thresholds) -> None:
    """Check ``est`` given its input ``X`` whose columns are the model inputs ``names``
    (None once the columns are no longer the data's)."""
    kind = type(est).__name__
    if kind == "Pipeline":
        for step_name, step in est.steps:
            if step is None or step == "passthrough":
                continue
            if not hasattr(step, "transform"):  # the final estimator
                return
            _walk(step, X, names, f"{path}{step_name}/", seen, reference, thresholds)
            if names is None:
                return
            X = step.transform(X)
            names = _names_after(step, names)
            if names is None:
                return
        return
    if kind == "ColumnTransformer":
        if names is None:
            return
        frame = _frame(X, names)
        for branch, trans, cols in getattr(est, "transformers_", []):
            if isinstance(trans, str):  # "drop" / "passthrough"
                continue
            picked = _columns(cols, names)
            if not picked:
                continue
            sub = frame[[names[i] for i in picked]] if isinstance(X, pd.DataFrame) else \
                frame.iloc[:, picked]
            _walk(trans, sub, [names[i] for i in picked], f"{path}{branch}/", seen,
                  reference, thresholds)
        return
    if names is None:
        return
    step = f"{path.rstrip('/')} ({kind})" if path else kind
    frame = _frame(X, names)
    if kind in ("OneHotEncoder", "OrdinalEncoder"):
        seen.checks.extend(_unknown(est, kind, frame, names, step, thresholds))
    elif kind == "SimpleImputer":
        seen.checks.extend(_imputed(est, frame, names, step, reference, thresholds))
    elif kind == "MinMaxScaler" and hasattr(est, "data_min_"):
        for j, col in enumerate(names):
            seen.scaler_ranges.setdefault(col, (float(est.data_min_[j]),
                                                float(est.data_max_[j]), step))


def _names_after(step: Any, names: list[str]) -> list[str] | None:
    """The model-input names of ``step``'s output columns, when it maps them one to one."""
    kind = type(step).__name__
    if kind == "SimpleImputer":
        if getattr(step, "add_indicator", False):
            return None
        stats = getattr(step, "statistics_", None)
        if stats is not None and len(stats) == len(names):
            keep = getattr(step, "keep_empty_features", False)
            dropped = [i for i, s in enumerate(stats) if _is_missing(s)]
            if dropped and not keep:
                return [n for i, n in enumerate(names) if i not in set(dropped)]
        return names
    if kind in _ONE_TO_ONE:
        return names
    if kind == "FunctionTransformer" and getattr(step, "feature_names_out", None) == "one-to-one":
        return names
    return None


def _columns(cols: Any, names: list[str]) -> list[int]:
    """The positions (in ``names``) a fitted ColumnTransformer branch reads."""
    if isinstance(cols, slice):
        return list(range(len(names)))[cols]
    if isinstance(cols, str):
        cols = [cols]
    arr = np.asarray(cols)
    if arr.dtype == bool:
        return [int(i) for i in np.flatnonzero(arr)]
    out: list[int] = []
    for c in list(cols):
        if isinstance(c, (int, np.integer)) and not isinstance(c, bool):
            out.append(int(c))
        elif str(c) in names:
            out.append(names.index(str(c)))
    return out


def _is_missing(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _guarded(check: ContractCheck, rows: int, significance: float,
             reference_rows: int | None) -> ContractCheck:
    """``check`` back to NORMAL when its count is not significant (see :func:`check_contract`)."""
    from scipy.special import bdtrc

    if check.status is Severity.NORMAL or check.action == "error" or check.rows == 0:
        return check
    if check.kind == "imputation":
        p0 = check.reference_share
    else:
        p0 = min(1.0, 3.0 / reference_rows) if reference_rows else None
    if p0 is None:
        return check
    p = float(bdtrc(check.rows - 1, rows, p0)) if p0 < 1 else 1.0  # P(X >= k), X ~ B(m, p0)
    if p < significance:
        return check
    return replace(check, status=Severity.NORMAL, reason=(
        f"{check.reason}; not significant ({check.rows} of {rows} rows, p = {p:.2g} against "
        f"{100 * p0:.2g} %; the significance guard needs p < {significance:g})"))


def _pct(share: float) -> str:
    return f"{100 * share:.2f} %" if share < 0.001 and share > 0 else f"{100 * share:.1f} %"


def _known(value: Any, cats: np.ndarray, cat_set: set[Any], has_nan: bool) -> bool:
    if _is_missing(value):
        return has_nan
    if value in cat_set:
        return True
    if cats.dtype.kind in "fiu":  # numbers: 1 and 1.0 are one category
        try:
            return float(value) in cat_set
        except (TypeError, ValueError):
            return False
    return str(value) in cat_set


def _unknown(est: Any, kind: str, frame: pd.DataFrame, names: list[str], step: str,
             thresholds: Thresholds) -> list[ContractCheck]:
    handle = getattr(est, "handle_unknown", "error")
    fails = handle == "error"
    action = "error" if fails else "ignored"
    out: list[ContractCheck] = []
    for j, col in enumerate(names):
        cats = np.asarray(est.categories_[j])
        has_nan = any(_is_missing(c) for c in cats)
        cat_set = {c.item() if isinstance(c, np.generic) else c for c in cats
                   if not _is_missing(c)}
        values = frame.iloc[:, j].astype(object).to_numpy()
        rows = len(values)
        unknown = [v for v in values if not _known(v, cats, cat_set, has_nan)]
        share = len(unknown) / rows if rows else 0.0
        warn, crit = thresholds(col)[:2]
        status = level(share, warn, crit)
        if fails and unknown:
            status = Severity.CRITICAL  # the model fails on the whole batch
        examples = ", ".join(quoted(str(v)) for v in list(dict.fromkeys(map(str, unknown)))[:3])
        what = ("the pipeline fails on them (handle_unknown='error')" if fails else
                f"the pipeline ignores them (handle_unknown={handle!r})")
        reason = (f"{quoted(col)}: {_pct(share)} of current rows in categories {kind} "
                  f"({step}) never saw" + (f" ({examples}); {what}" if unknown else
                                          f"; it knows {len(cats)}"))
        out.append(ContractCheck(kind="unknown_category", column=col, step=step, status=status,
                                 reason=reason, current_share=share, rows=len(unknown),
                                 action=action))
    return out


def _imputed(est: Any, frame: pd.DataFrame, names: list[str], step: str,
             reference: Mapping[str, ReferenceColumn], thresholds: Thresholds
             ) -> list[ContractCheck]:
    marker = getattr(est, "missing_values", np.nan)
    stats = getattr(est, "statistics_", None)
    strategy = getattr(est, "strategy", "mean")
    out: list[ContractCheck] = []
    for j, col in enumerate(names):
        values = frame.iloc[:, j]
        mask = values.isna() if _is_missing(marker) else (values == marker)
        rows = int(mask.sum())
        share = rows / len(values) if len(values) else 0.0
        ref = reference.get(col)
        ref_share = ref.missing_share if ref is not None else None
        warn, crit = thresholds(col)[2:]
        # judged by the rise over the reference's rate (not judged when that is unknown)
        status = Severity.NORMAL if ref_share is None else \
            level(share - ref_share, warn, crit)
        fill = None if stats is None or j >= len(stats) else stats[j]
        fill_text = None if fill is None else (
            f"{fill:.6g}" if isinstance(fill, (float, np.floating)) else str(fill))
        ref_text = "the reference's rate is unknown: not judged" if ref_share is None else \
            f"reference {_pct(ref_share)}"
        reason = (f"{quoted(col)}: SimpleImputer ({step}, {strategy}) fills {_pct(share)} of "
                  f"current rows" + (f" with {fill_text}" if fill_text is not None else "")
                  + f" ({ref_text})")
        out.append(ContractCheck(kind="imputation", column=col, step=step, status=status,
                                 reason=reason, current_share=share, rows=rows,
                                 reference_share=ref_share, fill_value=fill_text))
    return out


def _ranges(current: pd.DataFrame, reference: Mapping[str, ReferenceColumn],
            scaler_ranges: Mapping[str, tuple[float, float, str]], thresholds: Thresholds
            ) -> list[ContractCheck]:
    out: list[ContractCheck] = []
    for col in current.columns:
        name = str(col)
        ref = reference.get(name)
        if ref is None or not ref.numerical:
            continue
        if name in scaler_ranges:
            lo, hi, step = scaler_ranges[name]
            source = "scaler"
        elif ref.minimum is not None and ref.maximum is not None:
            lo, hi, step, source = ref.minimum, ref.maximum, "reference", "reference"
        else:
            continue
        values = pd.to_numeric(current[col], errors="coerce").to_numpy(dtype=np.float64,
                                                                       na_value=np.nan)
        known = values[~np.isnan(values)]
        below, above = int((known < lo).sum()), int((known > hi).sum())
        share = (below + above) / len(values) if len(values) else 0.0
        warn, crit = thresholds(name)[:2]
        status = level(share, warn, crit)
        where = "a fitted MinMaxScaler" if source == "scaler" else "the reference"
        reason = (f"{quoted(name)}: {_pct(share)} of current rows outside the training range "
                  f"[{lo:.6g}, {hi:.6g}] ({where}; {below} below, {above} above)")
        out.append(ContractCheck(kind="out_of_range", column=name, step=step, status=status,
                                 reason=reason, current_share=share, rows=below + above,
                                 lower=lo, upper=hi, range_from=source))  # type: ignore[arg-type]
    return out


def round_contract(bl: Any, cfg: Any, model: Any, current: pd.DataFrame | None
                   ) -> tuple[ContractReport | None, list[Any]]:
    """The round's contract report and its findings (one per alerting check, or one saying
    the contract could not be read); (None, []) without a model or with the check disabled.

    ``bl`` is the :class:`~driftscope.baseline.Baseline` (its profiles give the reference's
    missing shares and ranges), ``cfg`` the round's config, ``current`` the current model
    input (:attr:`driftscope.engine.prepare.Side.model_input`)."""
    from driftscope.findings import Finding
    from driftscope.profile.model import NumericProfile

    if model is None or not cfg.pipeline_contract:
        return None, []
    if current is None:
        report = not_readable("the current rows were read batch by batch and not kept")
    else:
        reference: dict[str, ReferenceColumn] = {}
        # a column the feature engineering rewrote under its own name has no reference:
        # the raw profile describes other values than the model sees
        rewritten = set(bl.settings.get("rewritten_columns") or ())
        for col in current.columns:
            if str(col) in rewritten:
                continue
            found = bl.get("raw", str(col)) or bl.get("engineered", str(col))
            if found is None:
                continue
            prof = found[1]
            if isinstance(prof, NumericProfile):
                total = prof.count + prof.missing
                mo = prof.moments
                reference[str(col)] = ReferenceColumn(
                    missing_share=prof.missing / total if total else None, numerical=True,
                    minimum=float(mo.min) if mo.count else None,
                    maximum=float(mo.max) if mo.count else None)
            else:
                total = sum(prof.counts.values()) + prof.missing
                reference[str(col)] = ReferenceColumn(
                    missing_share=prof.missing / total if total else None, numerical=False)

        def thresholds(col: str) -> tuple[float, float, float, float]:
            t = cfg.thresholds_for(col)
            return t.unseen_warning, t.unseen_critical, t.missing_warning, t.missing_critical

        report = check_contract(model, current, reference, thresholds, cfg.seed,
                                significance=cfg.significance if cfg.significance_guard
                                else None, reference_rows=bl.rows)
    if not report.readable:
        return report, [Finding(message=report.reason)]
    return report, [Finding(column=c.column, message=f"pipeline contract {c.status.value}: "
                            f"{c.reason}")
                    for c in report.checks if c.status is not Severity.NORMAL]
