"""Chi-square test of homogeneity on the 2 × K table of bin counts.

Bins empty on both sides are dropped; statistic and p-value equal
``scipy.stats.chi2_contingency(table, correction=False)`` (Pearson, 1900).
"""

from __future__ import annotations

import numpy as np

from driftscope.compare.registry import (
    MetricField,
    MetricInput,
    MetricValue,
    metric,
    pvalue_or,
    value_or,
)


@metric(
    "chi2",
    label="χ² p-value",
    description="Chi-square test of homogeneity of the bin counts (reference vs current).",
    fields=(
        MetricField("chi2_statistic", "χ² statistic",
                    "Pearson's chi-square statistic of the 2 × K table of bin counts.",
                    read=value_or(0.0)),
        MetricField("chi2_pvalue", "χ² p-value",
                    "Chance of a chi-square statistic this large if both sides shared one "
                    "distribution.", read=pvalue_or(1.0), kind="pvalue"),
    ),
    headline="chi2_pvalue",
)
def chi2(inp: MetricInput) -> MetricValue:
    table = np.vstack([inp.bins.reference, inp.bins.current])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return MetricValue(value=0.0, pvalue=1.0, extra={"dof": 0})
    from scipy import stats  # scipy.stats costs ~1.5 s to import: only when used
    res = stats.chi2_contingency(table, correction=False)
    return MetricValue(value=float(res.statistic), pvalue=float(res.pvalue),
                       extra={"dof": int(res.dof)})
