"""The verdict on a whole round: its status, why, and what to do.

:func:`round_status` combines the columns' statuses (the worst, or with ``run_status: share``
the share of drifted features) with the prediction, the performance and the target;
:func:`recommend` turns the statuses into one sentence of advice.
"""

from __future__ import annotations

from collections.abc import Sequence

from driftscope.classify.levels import level
from driftscope.config.models import MonitoringConfig
from driftscope.limits import clip
from driftscope.result import FeatureResult, PerformanceResult, Severity, worst_first

__all__ = ["recommend", "round_status"]


def round_status(
    features: Sequence[FeatureResult],
    config: MonitoringConfig,
    prediction: FeatureResult | None = None,
    performance: PerformanceResult | None = None,
    target: FeatureResult | None = None,
) -> tuple[Severity, str]:
    """The round's status and why: worst of features, prediction and performance by default;
    with ``run_status: share``, features count by the share of them that drifted."""
    parts: list[str] = []
    if config.run_status == "share" and features:
        drifted = sum(f.status is not Severity.NORMAL for f in features)
        share = drifted / len(features)
        feat_level = level(share, config.drift_share_warning - 1e-12,
                            config.drift_share_critical - 1e-12)
        parts.append(f"{drifted} of {len(features)} features drifted ({share:.0%})")
    else:
        feat_level = Severity.worst(f.status for f in features)
        worst = [f.name for f in features if f.status is feat_level]
        if feat_level is not Severity.NORMAL:
            shown = ", ".join(clip(w) for w in worst[:5]) + (", …" if len(worst) > 5 else "")
            parts.append(f"{len(worst)} feature(s) {feat_level.value}: {shown}")
        else:
            parts.append("no feature drifted")
    levels = [feat_level]
    if prediction is not None:
        levels.append(prediction.status)
        if prediction.status is not Severity.NORMAL:
            parts.append(f"prediction drift {prediction.status.value}")
    if performance is not None:
        levels.append(performance.status)
        if performance.status is not Severity.NORMAL:
            parts.append(f"performance {performance.status.value}")
    if target is not None:  # a shift of the labels matters as much as one of the inputs
        levels.append(target.status)
        if target.status is not Severity.NORMAL:
            parts.append(f"label shift ({target.name}) {target.status.value}")
    status = Severity.worst(levels)
    return status, "; ".join(parts) + "."


def recommend(
    status: Severity,
    features: Sequence[FeatureResult],
    prediction: FeatureResult | None,
    performance: PerformanceResult | None,
    target: FeatureResult | None = None,
) -> str:
    """One sentence on what to do, derived from the statuses."""
    quiet = all(c is None or c.status is Severity.NORMAL
                for c in (*features, prediction, performance))
    if target is not None and target.status is not Severity.NORMAL and quiet:
        return (f"Investigate the shift of the labels ({target.name}): the inputs look "
                "stable, but the baseline performance may no longer apply.")
    text = _recommend(status, features, prediction, performance)
    if target is not None and target.status is not Severity.NORMAL:
        text = (f"{text.rstrip('.')}; the label distribution ({target.name}) shifted too, "
                "so the baseline performance may no longer apply.")
    return text


def _recommend(
    status: Severity,
    features: Sequence[FeatureResult],
    prediction: FeatureResult | None,
    performance: PerformanceResult | None,
) -> str:
    drifted = worst_first(f for f in features if f.status is not Severity.NORMAL)
    names = ", ".join(clip(f.name) for f in drifted[:5]) + (", …" if len(drifted) > 5 else "")
    if performance is not None and performance.status is Severity.CRITICAL:
        return ("Retrain the model: its performance fell well below the baseline"
                + (f"; the inputs that moved most are {names}." if drifted else
                   " although no input drift is significant (concept drift, or a batch too "
                   "small to show it)."))
    if status is Severity.CRITICAL:
        pred = (" and the predictions shifted" if prediction is not None
                and prediction.status is not Severity.NORMAL else "")
        return (f"Investigate {names}{pred} and plan a retrain if the shift is real."
                if drifted else
                "Investigate the prediction drift and plan a retrain if it is real.")
    if status is Severity.WARNING:
        if drifted:
            return f"Investigate {names}; no retrain needed yet."
        return "Investigate the prediction or performance change; no retrain needed yet."
    if prediction is None and performance is None:
        return "Nothing to do: the data look stable."
    return "Nothing to do: the data and the model look stable."
