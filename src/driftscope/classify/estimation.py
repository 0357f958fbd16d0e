"""The verdict on estimated performance: each estimate against its baseline, and where the
realized performance disagrees with it.

An estimate whose relative drop against the baseline exceeds ``performance.warning`` /
``performance.critical`` raises an alert, guarded like the realized one: the one-sided p-value
that the metric is truly below its baseline, ``Φ((estimate − baseline) / SE)`` (sign-flipped
for log loss and Brier), with SE the estimate's standard error at the batch's size (widened by
``sqrt(1 + n / reference_rows)`` when the baseline is the reference's own performance, as for
the realized metrics), Benjamini–Hochberg over the metrics. When a metric is also measured
with labels, the measurement decides its status; the estimate only decides where no label is.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

from driftscope.classify.correction import bh_adjust
from driftscope.classify.levels import pvalue_text
from driftscope.classify.performance import guarded_drop
from driftscope.config.models import MonitoringConfig
from driftscope.model.estimation import Estimate
from driftscope.result import PerformanceMetric, PerformanceResult, Severity

__all__ = ["classify_estimate", "disagreements"]

MIN_POSITIVES = 10
"""Precision, recall and F1 estimates are judged only with at least this many predicted
positives (precision), expected positive labels (recall), or both (F1)."""


def _few_positives(name: str, est: Estimate) -> bool:
    few = {"precision": est.predicted_positive < MIN_POSITIVES,
           "recall": est.expected_positive < MIN_POSITIVES,
           "f1": min(est.predicted_positive, est.expected_positive) < MIN_POSITIVES}
    return few.get(name, False)


def _pvalue(name: str, value: float, base: float, se: float) -> float:
    """One-sided p-value that the metric's true value is worse than ``base``."""
    from scipy import stats

    from driftscope.model.performance import LOWER_IS_BETTER

    if se <= 0:
        worse = value > base if name in LOWER_IS_BETTER else value < base
        return 0.0 if worse else 1.0
    z = (value - base) / se
    return float(stats.norm.sf(z) if name in LOWER_IS_BETTER else stats.norm.cdf(z))


def classify_estimate(
    performance: PerformanceResult | None, est: Estimate, baseline: Mapping[str, float],
    config: MonitoringConfig, baseline_source: str = "the metadata",
    reference_rows: int | None = None,
) -> PerformanceResult:
    """``performance`` (None without labels) with each metric's estimate, band and, where no
    label measured it, the estimate's status; the round's performance status is the worst."""
    from driftscope.model.metadata import PERFORMANCE_METRICS
    from driftscope.model.performance import relative_change

    t = config.performance
    k = config.estimation.band_sigmas
    widen = (1.0 + est.rows / reference_rows) ** 0.5 if reference_rows else 1.0
    old = dict(performance.metrics) if performance is not None else {}
    names = [m for m in PERFORMANCE_METRICS if m in old or m in est.values or m in baseline]
    pvalues: dict[str, float] = {}
    for name in names:
        value, se, base = est.values.get(name), est.standard_errors.get(name), baseline.get(name)
        if value is None or se is None or base is None:
            continue
        pvalues[name] = 1.0 if _few_positives(name, est) else _pvalue(name, value, base,
                                                                       se * widen)
    adjusted = dict(zip(pvalues, bh_adjust(list(pvalues.values()))))
    metrics: dict[str, PerformanceMetric] = {}
    raised: list[tuple[float, str]] = []
    noise: list[str] = []
    for name in names:
        value, base = est.values.get(name), baseline.get(name)
        lower, upper = est.band(name, k)
        measured = old.get(name)
        if measured is not None and measured.current is not None:  # labels decide
            metrics[name] = dataclasses.replace(measured, estimated=value,
                                                estimated_lower=lower, estimated_upper=upper)
            continue
        change = relative_change(name, value, base)
        lvl = guarded_drop(name, change, adjusted.get(name, 1.0), config, raised, noise)
        metrics[name] = PerformanceMetric(current=None, estimated=value, baseline=base,
                                          relative_change=change, status=lvl,
                                          estimated_lower=lower, estimated_upper=upper)
    status = Severity.worst(m.status for m in metrics.values())
    rows = f"{est.rows} rows without labels (confidence-based estimate)"
    if raised:
        change, name = min(raised)
        m = metrics[name]
        note = (f"estimated {name} is {-change:.1%} worse than its baseline from "
                f"{baseline_source} ({m.estimated:.3f}, band {m.estimated_lower:.3f}–"
                f"{m.estimated_upper:.3f}, vs {m.baseline:.3f}) on {rows}, a significant drop "
                f"(adjusted p {pvalue_text(adjusted.get(name, 0.0))})")
    elif not baseline:
        note = f"estimated on {rows}; not compared: no baseline"
    else:
        note = (f"estimated on {rows}: no metric fell more than {t.warning:.0%} below its "
                f"baseline from {baseline_source}")
        note += (f" beyond sampling noise ({', '.join(noise)} dropped but not significantly)"
                 if noise else "")
    if performance is None or performance.labelled_rows == 0:
        return PerformanceResult(status=status, reason=note[0].upper() + note[1:] + ".",
                                 metrics=metrics, labelled_rows=0, estimated_rows=est.rows)
    # labels measured the round: their reason stands, the estimates sit beside the values
    status = Severity.worst([status, performance.status])
    return dataclasses.replace(performance, status=status, metrics=metrics,
                               estimated_rows=est.rows)


DISAGREEMENT_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "macro_f1",
                        "weighted_f1")
"""Metrics whose disagreement with the estimate is a concept-drift finding. Log loss and Brier
measure the calibration itself: the estimate inherits any small calibration error of the
reference, and their bands are narrow enough for that bias alone to leave them."""


def disagreements(realized: Mapping[str, float | None], est: Estimate, significance: float,
                  reference_rows: int | None = None
                  ) -> list[tuple[str, float, float, float, float]]:
    """Metrics of :data:`DISAGREEMENT_METRICS` whose realized value differs from the estimate
    (made on the same labelled rows) by more than sampling explains: ``(name, realized,
    estimate, standard error of the difference, adjusted p-value)`` each.

    Two errors separate them without any concept drift: the realized value's own sampling
    error at ``n`` rows, ``s / √n``, and the calibration's, fitted on ``reference_rows``
    labelled reference rows, ``s / √reference_rows``; the difference's standard error is
    ``s · √(1/n + 1/reference_rows)``. The two-sided normal p-values of the metrics judged are
    adjusted by Benjamini–Hochberg and compared with ``significance`` (the guard every alert
    has), so five correlated metrics do not give five chances of a false finding.
    """
    from scipy.special import ndtr

    judged: list[tuple[str, float, float, float, float]] = []
    for name in DISAGREEMENT_METRICS:
        value, measured = est.values.get(name), realized.get(name)
        se = est.standard_errors.get(name)
        if value is None or measured is None or se is None or _few_positives(name, est):
            continue
        ratio = est.rows / reference_rows if reference_rows else 0.0
        se_diff = float(se) * math.sqrt(1.0 + ratio)
        gap = float(measured) - float(value)
        p = (0.0 if gap else 1.0) if se_diff <= 0 else \
            float(2.0 * ndtr(-abs(gap) / se_diff))
        judged.append((name, float(measured), float(value), se_diff, p))
    adjusted = bh_adjust([j[4] for j in judged])
    return [(name, measured, value, se_diff, q)
            for (name, measured, value, se_diff, _p), q in zip(judged, adjusted)
            if q < significance]
