"""Turn one round's metric values into column statuses (``classify`` alone reads thresholds).

Per column: PSI above ``psi_warning`` / ``psi_critical``; missing share up by more than
``missing_warning`` / ``missing_critical``; unseen share above ``unseen_warning`` /
``unseen_critical``. Each is guarded by its p-value after Benjamini–Hochberg correction over the
round's columns (one family per kind of test), so sampling noise raises nothing.

The rest of the policy sits next to it: the performance verdict in
:mod:`driftscope.classify.performance`, the round's status and recommendation in
:mod:`driftscope.classify.verdict` (both re-exported here, where the engine imports them),
the threshold levels and p-value wording in :mod:`driftscope.classify.levels` and the
Benjamini–Hochberg correction in :mod:`driftscope.classify.correction`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from driftscope.classify.correction import bh_adjust
from driftscope.classify.levels import level, pvalue_text
from driftscope.classify.performance import classify_performance
from driftscope.classify.verdict import recommend, round_status
from driftscope.compare.column import ColumnComparison
from driftscope.config.models import MonitoringConfig, Thresholds
from driftscope.limits import clip, quoted
from driftscope.result import FeatureResult, Severity

__all__ = [
    "bh_adjust",
    "classify_columns",
    "classify_one",
    "classify_performance",
    "classify_schema_break",
    "level",
    "recommend",
    "round_status",
    "schema_break_advice",
]


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
            f"but is not significant (adjusted p {pvalue_text(psi_p, comp.psi_pvalue_floor)} ≥ "
            f"{alpha:g}, "
            f"{comp.current_rows} current rows): treated as sampling noise"
        )
    else:
        limit = t.psi_critical if psi_level is Severity.CRITICAL else t.psi_warning
        sig = f", adjusted p {pvalue_text(psi_p, comp.psi_pvalue_floor)}" if guard else ""
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
                f"(adjusted p {pvalue_text(missing_p)})"
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
                f"(adjusted p {pvalue_text(unseen_p)})"
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
    if "(concept drift" in recommendation:  # the model is fed filled-in columns: no verdict
        return (f"{fix} The model's performance fell, which columns it sees filled in explain; "
                "judge it again on complete data before deciding to retrain.")
    return f"{fix} Beyond that: {recommendation[0].lower()}{recommendation[1:]}"
