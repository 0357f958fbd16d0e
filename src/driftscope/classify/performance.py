"""The verdict on a model's performance: its metrics against their baseline.

A relative drop of a metric against its baseline above ``performance.warning`` /
``performance.critical`` raises an alert, guarded by the one-sided p-value of a real
deterioration (Benjamini–Hochberg over the metrics), so a small labelled batch raises no noise.
"""

from __future__ import annotations

from driftscope.classify.correction import bh_adjust
from driftscope.classify.levels import PRINT_FLOOR, level, pvalue_text
from driftscope.config.models import MonitoringConfig
from driftscope.result import PerformanceMetric, PerformanceResult, Severity

__all__ = ["classify_performance", "guarded_drop"]


_MULTICLASS_NAMES = {"accuracy": "accuracy (over all classes)",
                     "log_loss": "log_loss (over all classes)"}


def _floor(metric: str) -> float:
    """The smallest deterioration p-value ``metric``'s test resolves: 1/draws for one read
    off bootstrap resamples, else the formula's floor."""
    from driftscope.model.performance import BOOTSTRAP_METRICS, PVALUE_DRAWS

    return 1.0 / PVALUE_DRAWS if metric in BOOTSTRAP_METRICS else PRINT_FLOOR


def classify_performance(
    values: dict[str, float | None],
    baseline: dict[str, float],
    pvalues: dict[str, float],
    labelled_rows: int,
    config: MonitoringConfig,
    baseline_source: str = "the metadata",
    n_classes: int | None = None,
) -> PerformanceResult:
    """Status of each performance metric: relative drop against the baseline above
    ``performance.warning`` / ``performance.critical``, guarded by the one-sided p-value of a
    real deterioration (BH over the metrics) so a small labelled batch raises no noise.

    ``baseline`` holds only metrics of the same definition as ``values``
    (:func:`driftscope.model.performance.comparable_baseline`); ``n_classes`` marks a
    multiclass model, whose metrics the reason names as such."""
    from driftscope.model.metadata import PERFORMANCE_METRICS
    from driftscope.model.performance import relative_change

    n = labelled_rows
    if n == 0:
        return PerformanceResult(status=Severity.NORMAL, reason="No labelled rows with a "
                                 "prediction in the current data.", metrics={}, labelled_rows=0)
    t = config.performance
    names = [m for m in PERFORMANCE_METRICS if m in values or m in baseline]
    tested = [m for m in names if m in pvalues]
    adjusted = dict(zip(tested, bh_adjust([pvalues[m] for m in tested])))
    metrics: dict[str, PerformanceMetric] = {}
    raised: list[tuple[float, str]] = []
    noise: list[str] = []
    for name in names:
        cur_v, base_v = values.get(name), baseline.get(name)
        change = relative_change(name, cur_v, base_v)
        lvl = guarded_drop(name, change, adjusted.get(name, 0.0), config, raised, noise)
        metrics[name] = PerformanceMetric(current=cur_v, estimated=None, baseline=base_v,
                                          relative_change=change, status=lvl)
    status = Severity.worst(m.status for m in metrics.values())
    rows = f"{n} labelled rows" + (f" ({n_classes} classes)" if n_classes else "")
    if not baseline:
        what = "a multiclass baseline" if n_classes else "a baseline"
        reason = (f"Measured on {rows}; not compared: neither the metadata nor the "
                  f"reference data give {what}.")
    elif raised:
        change, name = min(raised)
        m = metrics[name]
        label = _MULTICLASS_NAMES.get(name, name) if n_classes else name
        reason = (f"{label} is {-change:.1%} worse than its baseline from {baseline_source} "
                  f"({m.current:.3f} vs {m.baseline:.3f}) on {rows}, a significant drop "
                  f"(adjusted p {pvalue_text(adjusted.get(name, 0.0), _floor(name))}).")
    else:
        reason = (f"Measured on {rows}; no metric fell more than {t.warning:.0%} "
                  f"below its baseline from {baseline_source}")
        reason += (f" beyond sampling noise ({', '.join(noise)} dropped but not significantly)."
                   if noise else ".")
    return PerformanceResult(status=status, reason=reason, metrics=metrics, labelled_rows=n)


def guarded_drop(name: str, change: float | None, adjusted_p: float, config: MonitoringConfig,
                 raised: list[tuple[float, str]], noise: list[str]) -> Severity:
    """The level of a metric's relative ``change`` against its baseline (a drop beyond
    ``performance.warning`` / ``critical``), kept only when its BH-adjusted p-value is below
    ``significance`` (with the guard on). A raised metric is appended to ``raised``, one the
    guard kept NORMAL to ``noise`` (the reason names both). Measured and estimated metrics
    are judged by this one rule."""
    if change is None:
        return Severity.NORMAL
    t = config.performance
    lvl = level(-change, t.warning, t.critical)
    if lvl is not Severity.NORMAL and config.significance_guard \
            and adjusted_p >= config.significance:
        noise.append(name)
        return Severity.NORMAL
    if lvl is not Severity.NORMAL:
        raised.append((change, name))
    return lvl
