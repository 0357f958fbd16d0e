"""Missing-value share of each side, and a one-sided test that it went up.

The p-value is Fisher's exact test (alternative "greater") on the 2 × 2 table
[[missing_current, present_current], [missing_reference, present_reference]]: the chance of a
current missing share at least this high if both sides shared one missing rate.
"""

from __future__ import annotations

from scipy import stats

from driftscope.compare.registry import MetricInput, MetricValue, metric


@metric("missing_share")
def missing_share(inp: MetricInput) -> MetricValue:
    ref, cur = inp.reference, inp.current
    r_share = ref.missing / ref.rows if ref.rows else 0.0
    c_share = cur.missing / cur.rows if cur.rows else 0.0
    if cur.missing == 0 or c_share <= r_share:
        p = 1.0
    else:
        table = [[cur.missing, cur.rows - cur.missing], [ref.missing, ref.rows - ref.missing]]
        p = float(stats.fisher_exact(table, alternative="greater").pvalue)
    return MetricValue(value=c_share, pvalue=p, extra={"reference": r_share})
