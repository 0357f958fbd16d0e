"""Missing-value share of each side, and a one-sided test that it went up.

The p-value is Fisher's exact test (alternative "greater") on the 2 × 2 table
[[missing_current, present_current], [missing_reference, present_reference]]: the chance of a
current missing share at least this high if both sides shared one missing rate.
"""

from __future__ import annotations

from driftscope.compare.registry import (
    MetricField,
    MetricInput,
    MetricValue,
    corrected_or_own,
    extra,
    metric,
    value_or,
)


@metric(
    "missing_share",
    label="Missing",
    description="Share of rows with a missing value, reference → current.",
    fields=(
        MetricField("missing_share_reference", "Missing (reference)",
                    "Share of reference rows with a missing value.", read=extra("reference"),
                    kind="share"),
        MetricField("missing_share_current", "Missing (current)",
                    "Share of current rows with a missing value.", read=value_or(0.0),
                    kind="share", reference="missing_share_reference"),
        MetricField("missing_pvalue", "Missing p-value",
                    "One-sided test that the missing share rose (Fisher), after the round's "
                    "correction.", read=corrected_or_own, kind="pvalue", adjusted=True),
    ),
    headline="missing_share_current",
)
def missing_share(inp: MetricInput) -> MetricValue:
    ref, cur = inp.reference, inp.current
    r_share = ref.missing / ref.rows if ref.rows else 0.0
    c_share = cur.missing / cur.rows if cur.rows else 0.0
    if cur.missing == 0 or c_share <= r_share:
        p = 1.0
    else:
        table = [[cur.missing, cur.rows - cur.missing], [ref.missing, ref.rows - ref.missing]]
        from scipy import stats  # scipy.stats costs ~1.5 s to import: only when used
        p = float(stats.fisher_exact(table, alternative="greater").pvalue)
    return MetricValue(value=c_share, pvalue=p, extra={"reference": r_share})
