"""Share of current rows in categories (or, for value-binned numbers, values) the reference
never had, and a one-sided test against the share a reference could have missed.

A category absent from n reference rows may still have a true share up to about 3/n (the
"rule of three", a 95 % upper bound). The p-value is the binomial test of k unseen rows out of m
current rows against p₀ = min(1, 3/n): ``binom.sf(k − 1, m, p₀)``.
"""

from __future__ import annotations

from scipy import stats

from driftscope.compare.registry import MetricInput, MetricValue, metric


@metric("unseen_share")
def unseen_share(inp: MetricInput) -> MetricValue:
    k = inp.bins.unseen_current
    m = inp.current.rows
    n = inp.reference.count
    share = k / m if m else 0.0
    if k == 0:
        return MetricValue(value=share, pvalue=1.0)
    p0 = min(1.0, 3.0 / n) if n else 1.0
    p = float(stats.binom.sf(k - 1, m, p0)) if p0 < 1 else 1.0
    return MetricValue(value=share, pvalue=p, extra={"unseen_rows": k})
