"""Performance without labels in the engine: the estimator fitted when the baseline is built,
and the round's estimate, its alerts and the concept-drift finding.

The baseline's ``settings["estimation"]`` holds either the fitted estimator
(:meth:`driftscope.model.estimation.EstimatorState.to_plain` plus ``positive_class`` for a
binary model, :meth:`driftscope.model.estimation_multiclass.MulticlassState.to_plain` for a
multiclass one) or ``{"unavailable": "<why>"}``; a baseline saved before estimation existed has
neither, and its rounds say so in a finding (the Python API fits it from the reference when
one is given too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from driftscope.config.models import MonitoringConfig
from driftscope.engine.artifacts import Artifacts
from driftscope.engine.prepare import Side
from driftscope.limits import quoted
from driftscope.model.performance import label_text
from driftscope.result import Finding, PerformanceResult

__all__ = ["reference_estimation", "round_estimation", "with_estimation"]


def _decisions(proba: NDArray[np.float64] | None, label: NDArray[np.object_] | None,
               positive: str) -> NDArray[np.bool_] | None:
    """The model's decision per row: its predicted class is the positive one; the score ≥ 0.5
    when only a probability was logged (as the realized metrics read it)."""
    if label is not None:
        return np.array([label_text(v) == positive for v in label], dtype=bool)
    if proba is None:
        return None
    return np.asarray(proba, dtype=np.float64) >= 0.5


def reference_estimation(side: Side, art: Artifacts, cfg: MonitoringConfig,
                         in_sample: str | None = None) -> dict[str, Any] | None:
    """What the baseline stores for estimation: the fitted estimator, or why there is none
    (None when estimation is off or the baseline has no predictions)."""
    from driftscope.engine.performance import _is_multiclass, _positive_class
    from driftscope.model.estimation import fit_estimator

    p = side.predictions
    if not cfg.estimation.enabled or p is None:
        return None
    if side.labels is None:
        return {"unavailable": "the reference has no labels to calibrate the model's "
                               "probabilities on"}
    if _is_multiclass(side):
        return _reference_multiclass(side, cfg)
    if p.proba is None:
        return {"unavailable": "there is no probability of the positive class (a prediction "
                               "column alone carries no confidence); pass --proba-column"}
    positive = _positive_class(side, art, cfg)
    if positive is None:
        return {"unavailable": "the labels are not 0/1 and no positive class was given; set "
                               "--positive-class"}
    if in_sample:
        return {"unavailable": "the reference predictions look in-sample, so calibrating on "
                               "them would overstate the performance; use a held-out reference "
                               "or reference_predictions: out_of_fold"}
    truth = [label_text(v) for v in side.labels]
    known = np.array([t is not None for t in truth], dtype=bool) & np.isfinite(p.proba)
    if p.label is not None:
        known &= np.array([label_text(v) is not None for v in p.label], dtype=bool)
    y = np.array([t == positive for t in truth], dtype=bool)[known]
    pred = _decisions(p.proba, p.label, positive)
    assert pred is not None
    proba, pred = np.asarray(p.proba, dtype=np.float64)[known], pred[known]
    try:
        state = fit_estimator(y, proba, pred, cfg.estimation.calibration, cfg.seed)
    except ValueError as err:
        return {"unavailable": str(err)}
    return {**state.to_plain(), "positive_class": positive}


def _class_indices(values: NDArray[np.object_], classes: Sequence[str]) -> NDArray[np.int64]:
    """Each value's index among ``classes`` (-1 for a missing value or another label)."""
    where = {c: i for i, c in enumerate(classes)}
    return np.array([where.get(label_text(v) or "", -1) for v in values], dtype=np.int64)


def _multiclass_rows(p: Any, classes: Sequence[str]
                     ) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """The predicted class index of each row (the largest probability when no class was
    predicted) and the rows that can be estimated (a known class, finite probabilities)."""
    matrix = np.asarray(p.matrix, dtype=np.float64)
    finite = np.isfinite(matrix).all(axis=1)
    if p.label is not None:
        predicted = _class_indices(p.label, classes)
    else:
        predicted = np.argmax(np.where(np.isfinite(matrix), matrix, -1.0), axis=1)
    return predicted, finite & (predicted >= 0)


def _reference_multiclass(side: Side, cfg: MonitoringConfig) -> dict[str, Any]:
    """The multiclass estimator fitted on the labelled reference, or why there is none."""
    from driftscope.model.estimation_multiclass import fit_multiclass

    p = side.predictions
    assert p is not None and side.labels is not None
    if p.matrix is None or not p.classes:
        return {"unavailable": "a multiclass estimate needs the model's probability of every "
                               "class (pass --model); logged columns give at most one"}
    classes = [str(c) for c in p.classes]
    predicted, usable = _multiclass_rows(p, classes)
    truth = _class_indices(side.labels, classes)
    keep = usable & (truth >= 0)
    try:
        state = fit_multiclass(truth[keep], np.asarray(p.matrix)[keep], predicted[keep],
                               classes, cfg.estimation.calibration, cfg.seed)
    except ValueError as err:
        return {"unavailable": str(err)}
    return state.to_plain()


def _stored(settings: Mapping[str, Any], multiclass: bool = False
            ) -> tuple[Any, str | None, str | None]:
    """The baseline's estimator, its positive class, or why there is none."""
    from driftscope.model.estimation import EstimatorState
    from driftscope.model.estimation_multiclass import MulticlassState

    saved = settings.get("estimation")
    if saved is None:
        if "estimation" in settings:  # estimation was off, or nothing to estimate from
            return None, None, ("the baseline was built with estimation.enabled: false or "
                                "without predictions; rebuild it to estimate performance")
        return None, None, ("the baseline was saved by a driftscope without performance "
                            "estimation; rebuild it (driftscope baseline) to estimate "
                            "performance without labels")
    if "unavailable" in saved:
        return None, None, str(saved["unavailable"])
    if bool(saved.get("multiclass")) != multiclass:
        kinds = ("a binary", "a multiclass") if multiclass else ("a multiclass", "a binary")
        return None, None, (f"the baseline's estimator was fitted for {kinds[0]} model, this "
                            f"round scores {kinds[1]} one; rebuild the baseline")
    try:
        if multiclass:
            return MulticlassState.from_plain(saved), None, None
        return EstimatorState.from_plain(saved), saved.get("positive_class"), None
    except ValueError as err:
        return None, None, f"{err}; rebuild the baseline"


def round_estimation(cur: Side, art: Artifacts, cfg: MonitoringConfig,
                     settings: Mapping[str, Any], performance: PerformanceResult | None
                     ) -> tuple[PerformanceResult | None, list[Finding]]:
    """``performance`` with the estimate of the current rows (performance is then non-null
    even without labels), and the findings: why nothing was estimated, or realized values
    outside the estimate's band (concept drift)."""
    from driftscope.engine.performance import _is_multiclass
    from driftscope.model.estimation import estimate

    p = cur.predictions
    if not cfg.estimation.enabled or p is None:
        return performance, []
    if performance is not None and performance.multiclass or _is_multiclass(cur):
        return _round_multiclass(cur, art, cfg, settings, performance)
    state, positive, why = _stored(settings)
    if state is None:
        return performance, [Finding(message=f"performance was not estimated: {why}")]
    fitted_for = positive
    positive = p.positive_class or art.positive_class(cfg) or positive
    if fitted_for is not None and positive is not None and positive != fitted_for:
        return performance, [Finding(message=(
            f"performance was not estimated: the baseline calibrated the probability of class "
            f"{quoted(fitted_for)}, this round scores class {quoted(positive)}; rebuild the "
            "baseline with the same positive class"))]
    if p.proba is None or positive is None:
        return performance, [Finding(message=(
            "performance was not estimated: the current data has no probability of the "
            "positive class" + (f" (no column {quoted(cfg.proba_column)})"
                                if cfg.proba_column else "")))]
    pred = _decisions(p.proba, p.label, positive)
    assert pred is not None
    if p.label is not None:  # rows without a predicted class have no decision
        has = np.array([label_text(v) is not None for v in p.label], dtype=bool)
        proba = np.where(has, p.proba, np.nan)
    else:
        proba = np.asarray(p.proba, dtype=np.float64)
    est = estimate(state, proba, pred)
    if est.rows == 0:
        return performance, [Finding(message="performance was not estimated: no current row "
                                     "has a predicted probability")]
    merged = _with_estimate(performance, est, settings, art, cfg, multiclass=False)
    findings: list[Finding] = []
    if cur.labels is not None and performance is not None and performance.labelled_rows:
        labelled = np.array([label_text(v) is not None for v in cur.labels], dtype=bool)
        on_labelled = estimate(state, np.where(labelled, proba, np.nan), pred)
        findings += _concept_drift(performance, on_labelled, cfg, state.rows)
    return merged, findings


def _round_multiclass(cur: Side, art: Artifacts, cfg: MonitoringConfig,
                      settings: Mapping[str, Any], performance: PerformanceResult | None
                      ) -> tuple[PerformanceResult | None, list[Finding]]:
    """:func:`round_estimation` for a multiclass model."""
    from driftscope.model.estimation_multiclass import estimate_multiclass

    state, _, why = _stored(settings, multiclass=True)
    if state is None:
        return performance, [Finding(message=f"performance was not estimated: {why}")]
    p = cur.predictions
    assert p is not None
    classes = [str(c) for c in p.classes]
    if p.matrix is None or tuple(classes) != state.classes:
        return performance, [Finding(message=(
            "performance was not estimated: the baseline's estimator knows the classes "
            f"{', '.join(state.classes)}, this round's model gives "
            f"{', '.join(classes) or 'no class probabilities'}; rebuild the baseline"))]
    matrix = np.asarray(p.matrix, dtype=np.float64)
    predicted, usable = _multiclass_rows(p, classes)
    est = estimate_multiclass(state, matrix[usable], predicted[usable])
    if est.rows == 0:
        return performance, [Finding(message="performance was not estimated: no current row "
                                     "has class probabilities")]
    merged = _with_estimate(performance, est, settings, art, cfg, multiclass=True)
    findings: list[Finding] = []
    if cur.labels is not None and performance is not None and performance.labelled_rows:
        labelled = usable & np.array([label_text(v) is not None for v in cur.labels],
                                     dtype=bool)
        on_labelled = estimate_multiclass(state, matrix[labelled], predicted[labelled])
        findings += _concept_drift(performance, on_labelled, cfg, state.rows)
    return merged, findings


def _with_estimate(performance: PerformanceResult | None, est: Any,
                   settings: Mapping[str, Any], art: Artifacts, cfg: MonitoringConfig, *,
                   multiclass: bool) -> PerformanceResult | None:
    """``performance`` with the estimate merged in, judged against the baseline a measured
    value would be judged against (the metadata's, else the reference's own when it is not
    in-sample)."""
    from driftscope.classify.estimation import classify_estimate
    from driftscope.engine.performance import _comparable_baseline

    reference_performance = None if settings.get("in_sample") else \
        settings.get("reference_performance")
    baseline, source, _ = _comparable_baseline(art, reference_performance, multiclass)
    ref_rows = settings.get("reference_labelled_rows") if source == "the reference data" \
        else None
    return classify_estimate(performance, est, baseline, cfg, source, ref_rows)


def _concept_drift(performance: PerformanceResult, on_labelled: Any,
                   cfg: MonitoringConfig, reference_rows: int | None) -> list[Finding]:
    """The concept-drift finding: realized metrics further from the estimate on the same
    labelled rows than the realized value's and the calibration's sampling errors explain
    (:func:`driftscope.classify.estimation.disagreements`)."""
    from driftscope.classify.estimation import disagreements

    realized = {k: m.current for k, m in performance.metrics.items()}
    off = disagreements(realized, on_labelled, cfg.significance, reference_rows)
    if not off:
        return []
    shown = "; ".join(f"{name} realized {r:.3f} vs estimated {e:.3f} (± {se:.3f} standard "
                      f"error, adjusted p {q:.2g})" for name, r, e, se, q in off)
    return [Finding(message=(
        f"concept drift: the realized performance disagrees with the estimate from the "
        f"model's calibrated confidence by more than sampling explains on "
        f"{on_labelled.rows} labelled rows ({shown}); the relation between inputs and label "
        "changed, which input drift cannot show — retrain on recent labelled data"))]


def with_estimation(bl: Any, reference: Any, cfg: MonitoringConfig, art: Artifacts) -> Any:
    """A baseline saved before estimation existed, with the estimator fitted now from
    ``reference`` (the same rows it was built from): its predictions are made as the baseline's
    rounds make them (same model input and label coding)."""
    import dataclasses

    from driftscope.engine.prepare import prepare
    from driftscope.inputs.readers import to_arrow

    table, _ = to_arrow(reference, "reference")
    target = art.target(cfg) or bl.settings.get("target")
    side = prepare(table, cfg, art, "reference", target, bl.settings.get("model_columns"),
                   inherited=bl.settings)
    fitted = reference_estimation(side, art, cfg, bl.settings.get("in_sample"))
    return dataclasses.replace(bl, settings={**bl.settings, "estimation": fitted})
