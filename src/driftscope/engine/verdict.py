"""The round's verdict beyond per-feature statuses: schema breaks, predictions that moved while
no input did, findings and the advice."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftscope.baseline import Baseline
from driftscope.classify.policy import (
    classify_schema_break,
)
from driftscope.compare.column import ColumnComparison
from driftscope.config.models import MonitoringConfig
from driftscope.engine.artifacts import Artifacts
from driftscope.inputs.schema import ColumnBreak
from driftscope.limits import quoted
from driftscope.profile.model import ColumnProfile
from driftscope.profile.spec import ColumnSpec
from driftscope.result import (
    FeatureResult,
    Finding,
    Severity,
)


def advice(recommendation: str, in_sample: bool, self_baseline: bool = False,
            suspect: bool = False) -> str:
    """The recommendation, told that prediction drift and performance were not judged, that
    the performance baseline is the model's own score on the reference, or that predictions
    moved while no input did (a sign of an in-sample reference)."""
    if suspect and not recommendation.startswith("Retrain the model: its performance"):
        return (f"{recommendation} The predictions moved while no input did: if the reference "
                "is the model's training set, rebuild it from held-out data or with "
                "reference_predictions: out_of_fold.")
    if self_baseline and recommendation.startswith("Retrain the model: its performance"):
        recommendation = recommendation.replace(
            "Retrain the model: its performance fell well below the baseline",
            "Performance fell well below the model's performance on the reference data", 1)
        return (f"{recommendation} If the reference is the training set, that baseline is "
                "in-sample and overstates the drop: give a holdout baseline in the metadata or "
                "set reference_predictions: out_of_fold before deciding to retrain.")
    if not in_sample:
        return recommendation
    fix = ("Prediction drift and performance were not judged: the reference predictions are "
           "in-sample; rebuild the baseline from a held-out reference or with "
           "reference_predictions: out_of_fold.")
    if recommendation.startswith("Nothing to do"):
        return f"No input drift. {fix}"
    return f"{recommendation} {fix}"


def unused_overrides(cfg: MonitoringConfig, columns: list[str]) -> list[Finding]:
    """A per-feature override (``features:``) that matches no column is most likely a typo:
    say so, with the closest column name."""
    import difflib

    from driftscope.config.models import matches

    out = []
    for pattern in cfg.features:
        if any(matches(c, [pattern]) for c in columns):
            continue
        close = difflib.get_close_matches(pattern, columns, n=1)
        hint = f" (did you mean {quoted(close[0])}?)" if close else ""
        out.append(Finding(message=f"the override features: {quoted(pattern)} matches no "
                           f"column{hint}; it had no effect"))
    return out


def unexplained_shift(features: list[FeatureResult], prediction: FeatureResult | None,
                       predicted_class: FeatureResult | None,
                       class_probabilities: list[FeatureResult]) -> tuple[Any, Any, Any, Any]:
    """Predictions are a function of the inputs: when they drift while no input does, the
    likeliest cause is reference predictions the model made on its own training rows
    (overconfident), not a change in production. The prediction alerts are then at most
    WARNING and a finding names the likely cause and the fix."""
    preds = [r for r in (prediction, predicted_class, *class_probabilities) if r is not None]
    if not preds or any(f.status is not Severity.NORMAL for f in features) or \
            all(r.status is Severity.NORMAL for r in preds):
        return prediction, predicted_class, class_probabilities, None

    def capped(r: FeatureResult | None) -> FeatureResult | None:
        if r is None or r.status is not Severity.CRITICAL:
            return r
        import dataclasses

        return dataclasses.replace(r, status=Severity.WARNING, reason=(
            f"{r.reason.rstrip('.')}; no input drifted, so this is at most a WARNING (see "
            "the findings)."))

    finding = ("the predictions drifted although no input feature did. Predictions follow "
               "the inputs, so the likeliest cause is a reference the model was trained on: "
               "its predictions there are overconfident (in-sample). Use a held-out reference "
               "or reference_predictions: out_of_fold; if the reference is held out, the "
               "inputs moved jointly in a way no single feature shows")
    return (capped(prediction), capped(predicted_class),
            [r for r in map(capped, class_probabilities) if r is not None], finding)


def not_judged(result: FeatureResult | None) -> FeatureResult | None:
    """A prediction column compared with in-sample reference predictions: its numbers are
    kept, its status is not an alert."""
    if result is None:
        return None
    import dataclasses

    return dataclasses.replace(
        result, status=Severity.NORMAL,
        reason=("Not judged: the reference predictions are the model's predictions on its "
                f"own training rows (see the findings); measured PSI {result.metrics.psi:.3f}."))


def with_breaks(features: list[FeatureResult],
                 pairs: list[tuple[ColumnSpec, ColumnProfile, ColumnProfile]],
                 comparisons: list[ColumnComparison], breaks: Mapping[str, ColumnBreak]
                 ) -> list[FeatureResult]:
    """The round's features in column order, a broken column (missing from the current data,
    or of a type that cannot be compared) CRITICAL with its reason. Broken columns stay out
    of the Benjamini–Hochberg family and of the history rules: the break is a fact, not a
    sampling question."""
    if not breaks:
        return features
    by_name = {f.name: f for f in features}
    out: list[FeatureResult] = []
    for (spec, _, _), comp in zip(pairs, comparisons):
        brk = breaks.get(spec.name)
        if brk is not None:
            out.append(classify_schema_break(comp, brk.reason, brk.finding, spec.origin))
        elif spec.name in by_name:
            out.append(by_name[spec.name])
    return out


def filled_findings(filled: tuple[str, ...], art: Artifacts, bl: Baseline) -> list[Finding]:
    """Say that the feature engineering or the model read a missing column as all missing."""
    if not filled or not art.needs_frame:
        return []
    model_columns = bl.settings.get("model_columns")
    read = [c for c in filled if art.feature_fn is not None or model_columns is None
            or c in model_columns]
    who = " and ".join(w for w, present in (("the feature engineering", art.feature_fn),
                                            ("the model", art.model)) if present is not None)
    return [Finding(column=c, message=(
        f"column {quoted(c)} is missing from the current data: {who} read it as all missing "
        "values")) for c in read]


def prediction_status(prediction: FeatureResult | None, predicted_class: FeatureResult | None,
                       class_probabilities: list[FeatureResult]) -> FeatureResult | None:
    """The column that stands for prediction drift in the round's status: the positive
    class's score (binary); for a multiclass model the worst of the score, the predicted-class
    distribution and the per-class probabilities (the first of them on a tie)."""
    if not class_probabilities:
        return prediction if prediction is not None else predicted_class
    candidates = [c for c in (prediction, predicted_class, *class_probabilities) if c]
    return max(candidates, key=lambda c: Severity(c.status).rank)

