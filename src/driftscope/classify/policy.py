"""Turn metric values into statuses. The only place that reads thresholds.

Per column: PSI above ``psi_warning`` / ``psi_critical``; missing share up by more than
``missing_warning`` / ``missing_critical``; unseen share above ``unseen_warning`` /
``unseen_critical``. Each is guarded by its p-value after Benjamini–Hochberg correction over the
round's columns (one family per kind of test), so sampling noise raises nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats

from driftscope.compare.column import ColumnComparison
from driftscope.config.models import MonitoringConfig, Thresholds
from driftscope.limits import clip, quoted
from driftscope.result import FeatureResult, PerformanceMetric, PerformanceResult, Severity


def bh_adjust(pvalues: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (``scipy.stats.false_discovery_control``)."""
    if not pvalues:
        return []
    arr = np.clip(np.asarray(pvalues, dtype=float), 0.0, 1.0)
    return [float(v) for v in stats.false_discovery_control(arr, method="bh")]


PRINT_FLOOR = 1e-16
"""The smallest p-value a reason prints from a formula (an exact or asymptotic test): below
the double-precision epsilon the digits say nothing the test's own assumptions (independent
rows) could back. p-values from draws print no lower than 1/draws (see ``_eq``)."""


def _eq(p: float, floor: float = PRINT_FLOOR) -> str:
    """'= 0.012', or '< 0.0005' below ``floor``: the smallest p-value the method resolves
    (1/draws for one read off null draws, as PSI's; :data:`PRINT_FLOOR` for a formula)."""
    floor = max(floor, PRINT_FLOOR)
    return f"< {floor:.2g}" if p < floor else f"= {_fmt_p(p)}"


def _fmt_p(p: float) -> str:
    return f"{p:.3g}" if p >= 1e-4 else f"{p:.1e}"


def level(value: float, warning: float, critical: float) -> Severity:
    """CRITICAL above ``critical``, WARNING above ``warning``, else NORMAL."""
    if value > critical:
        return Severity.CRITICAL
    if value > warning:
        return Severity.WARNING
    return Severity.NORMAL


def classify_one(
    comp: ColumnComparison,
    t: Thresholds,
    psi_p: float,
    missing_p: float,
    unseen_p: float,
    alpha: float,
    guard: bool,
) -> tuple[Severity, str, list[str]]:
    """Status, reason sentence and findings of one column."""
    v = comp.values
    psi = float(v["psi"].value or 0.0)
    parts: list[str] = []
    findings: list[str] = []
    levels: list[Severity] = []

    psi_level = level(psi, t.psi_warning, t.psi_critical)
    if psi_level is Severity.NORMAL:
        parts.append(f"PSI {psi:.3f} is within the warning threshold {t.psi_warning:g}")
    elif guard and psi_p >= alpha:
        parts.append(
            f"PSI {psi:.3f} exceeds "
            f"{t.psi_warning if psi_level is Severity.WARNING else t.psi_critical:g} "
            f"but is not significant (adjusted p {_eq(psi_p, comp.psi_pvalue_floor)} ≥ "
            f"{alpha:g}, "
            f"{comp.current_rows} current rows): treated as sampling noise"
        )
    else:
        limit = t.psi_critical if psi_level is Severity.CRITICAL else t.psi_warning
        sig = f", adjusted p {_eq(psi_p, comp.psi_pvalue_floor)}" if guard else ""
        parts.append(f"PSI {psi:.3f} > {limit:g}{sig}")
        levels.append(psi_level)

    r_miss = float(v["missing_share"].extra["reference"])
    c_miss = float(v["missing_share"].value or 0.0)
    rise = c_miss - r_miss
    miss_level = level(rise, t.missing_warning, t.missing_critical)
    if miss_level is not Severity.NORMAL:
        if guard and missing_p >= alpha:
            parts.append(
                f"missing share rose {r_miss:.1%} → {c_miss:.1%} but not significantly "
                f"(adjusted p {_eq(missing_p)})"
            )
        else:
            limit = t.missing_critical if miss_level is Severity.CRITICAL else t.missing_warning
            parts.append(
                f"missing share rose {r_miss:.1%} → {c_miss:.1%} (+{rise * 100:.1f} points > "
                f"{limit * 100:g})"
            )
            levels.append(miss_level)
    elif c_miss or r_miss:
        parts.append(f"missing share {r_miss:.1%} → {c_miss:.1%}")

    unseen = float(v["unseen_share"].value or 0.0)
    unseen_level = level(unseen, t.unseen_warning, t.unseen_critical)
    what = "categories" if comp.type == "categorical" else "values"
    if unseen_level is not Severity.NORMAL:
        if guard and unseen_p >= alpha:
            parts.append(
                f"{unseen:.1%} of current rows hold {what} unseen in the reference, "
                f"not significantly more than the reference could have missed "
                f"(adjusted p {_eq(unseen_p)})"
            )
        else:
            new = [lab for lab, k, r, c in zip(comp.bins.labels, comp.bins.kinds,
                                               comp.bins.reference, comp.bins.current)
                   if (k == "category" and r == 0 and c > 0)]
            more = ", …" if len(new) > 3 else ""
            names = f" ({', '.join(quoted(x) for x in new[:3])}{more})" if new else ""
            limit = t.unseen_critical if unseen_level is Severity.CRITICAL else t.unseen_warning
            missable = v["unseen_share"].extra.get("missable_share")
            could = (f"; a reference this size could have missed up to {missable:.1%}"
                     if missable is not None and missable >= 0.001 else "")
            parts.append(f"{unseen:.1%} of current rows hold unseen {what}{names} "
                         f"(> {limit:.0%}{could})")
            levels.append(unseen_level)
    elif unseen > 0:
        parts.append(f"{unseen:.1%} of current rows hold unseen {what}")

    if comp.current_count == 0:
        findings.append("the current data has no values in this column (all missing)")
    if comp.reference_count == 0:
        findings.append("the reference has no values in this column (all missing)")
    if v["ks"].extra.get("reason") and comp.type == "numerical":
        findings.append(f"KS not computed: {v['ks'].extra['reason']}")
    no_finite = (comp.distribution is not None and comp.reference_count > 0
                 and comp.distribution.reference.mean is None)
    if no_finite:
        # every reference value is ±inf: one bin [-inf, +inf) holds both sides, so PSI says 0
        # whatever the current data holds; the column cannot be judged by its bins
        cur = comp.distribution.current if comp.distribution is not None else None
        finite_now = cur is not None and cur.mean is not None
        findings.append(f"the reference holds no finite value ({comp.reference_count} "
                        "infinite): its bins cannot describe the column; fix the reference or "
                        "ignore the column")
        parts = [f"the reference holds no finite value ({comp.reference_count} infinite), so "
                 "PSI cannot measure this column"
                 + ("; the current data holds finite values (KS "
                    f"{v['ks'].value:.3f})" if finite_now and v["ks"].value is not None
                    else "; the current data holds finite values" if finite_now else "")]
        levels.append(Severity.CRITICAL if finite_now else Severity.WARNING)
    elif comp.reference_count > 0 and len([k for k, r in zip(comp.bins.kinds,
                                                             comp.bins.reference)
                                           if k != "missing" and r > 0]) == 1:
        findings.append("the column is constant in the reference")
    findings.extend(comp.notes)  # about the data behind the numbers (rounded integers)

    status = Severity.worst(levels)
    reason = "; ".join(parts) + "."
    reason = reason[0].upper() + reason[1:]
    return status, reason, findings


def _p(comp: ColumnComparison, name: str) -> float:
    p = comp.values[name].pvalue
    return 1.0 if p is None else float(p)


def classify_columns(
    comparisons: Sequence[ColumnComparison],
    config: MonitoringConfig,
    origins: Sequence[str],
) -> list[FeatureResult]:
    """Statuses for one family of columns, with BH correction across the family."""
    alpha = config.significance
    guard = config.significance_guard
    psi_adj = bh_adjust([_p(c, "psi") for c in comparisons])
    miss_adj = bh_adjust([_p(c, "missing_share") for c in comparisons])
    unseen_adj = bh_adjust([_p(c, "unseen_share") for c in comparisons])
    out: list[FeatureResult] = []
    for i, comp in enumerate(comparisons):
        status, reason, findings = classify_one(
            comp, config.thresholds_for(comp.name), psi_adj[i], miss_adj[i], unseen_adj[i],
            alpha, guard,
        )
        out.append(
            FeatureResult(
                name=comp.name,
                type=comp.type,  # type: ignore[arg-type]
                status=status,
                reason=reason,
                metrics=comp.metrics(psi_adj[i], miss_adj[i], unseen_adj[i]),
                bins=comp.result_bins(),
                origin=origins[i],  # type: ignore[arg-type]
                distribution=comp.distribution,
                findings=tuple(findings),
            )
        )
    return out


_MULTICLASS_NAMES = {"accuracy": "accuracy (over all classes)",
                     "log_loss": "log_loss (over all classes)"}


def _floor(metric: str) -> float:
    """The smallest deterioration p-value ``metric``'s test resolves: 1/draws for one read
    off bootstrap resamples, else the formula's floor."""
    from driftscope.model.performance import BOOTSTRAP_METRICS, PVALUE_DRAWS

    return 1.0 / PVALUE_DRAWS if metric in BOOTSTRAP_METRICS else PRINT_FLOOR


def classify_schema_break(comp: ColumnComparison, reason: str, finding: str,
                          origin: str = "raw") -> FeatureResult:
    """A column the current data lacks or holds in a type that cannot be compared: CRITICAL
    with ``reason``, whatever its metrics. The metrics and bins are the comparison of what
    could be read (a missing column's current rows all missing, text that is not numbers as
    missing), with unadjusted p-values: the column is outside the round's
    Benjamini–Hochberg family."""
    measured = ""
    if comp.current_count > 0 and comp.values["psi"].value is not None:
        psi = float(comp.values["psi"].value)
        measured = f" Measured on the values that could be read: PSI {psi:.3f}."
    return FeatureResult(
        name=comp.name,
        type=comp.type,  # type: ignore[arg-type]
        status=Severity.CRITICAL,
        reason=reason + measured,
        metrics=comp.metrics(),
        bins=comp.result_bins(),
        origin=origin,  # type: ignore[arg-type]
        distribution=comp.distribution,
        findings=(finding,),
    )


def schema_break_advice(recommendation: str, breaks: Mapping[str, str]) -> str:
    """The recommendation led by the repair of the data when columns are missing
    (``breaks[name] == "missing"``) or changed type (any other kind): a retrain does not fix
    a broken feed. ``recommendation`` is the one for the rest of the round."""
    if not breaks:
        return recommendation
    parts = []
    for missing in (True, False):
        names = [n for n, k in breaks.items() if (k == "missing") is missing]
        if names:
            shown = ", ".join(clip(n) for n in names[:5]) + (", …" if len(names) > 5 else "")
            verb = ("is missing" if len(names) == 1 else "are missing") if missing \
                else "changed type"
            parts.append(f"{shown} {verb}")
    fix = f"Fix the current data first: {' and '.join(parts)} (see the findings)."
    if recommendation.startswith("Nothing to do"):
        return f"{fix} The rest of the round looks stable."
    return f"{fix} Beyond that: {recommendation[0].lower()}{recommendation[1:]}"


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
        lvl = Severity.NORMAL
        if change is not None:
            lvl = level(-change, t.warning, t.critical)
            if (lvl is not Severity.NORMAL and config.significance_guard
                    and adjusted.get(name, 0.0) >= config.significance):
                noise.append(name)
                lvl = Severity.NORMAL
            if lvl is not Severity.NORMAL:
                raised.append((change, name))
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
                  f"(adjusted p {_eq(adjusted.get(name, 0.0), _floor(name))}).")
    else:
        reason = (f"Measured on {rows}; no metric fell more than {t.warning:.0%} "
                  f"below its baseline from {baseline_source}")
        reason += (f" beyond sampling noise ({', '.join(noise)} dropped but not significantly)."
                   if noise else ".")
    return PerformanceResult(status=status, reason=reason, metrics=metrics, labelled_rows=n)


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
    drifted = sorted((f for f in features if f.status is not Severity.NORMAL),
                     key=lambda f: (-f.status.rank, -f.metrics.psi))
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
