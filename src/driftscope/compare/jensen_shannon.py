"""Jensen–Shannon distance, base 2 (in [0, 1]), on the aligned bin shares, no replacement.

JS(r, c) = sqrt((KL(r ‖ μ) + KL(c ‖ μ)) / 2), μ = (r + c) / 2; equal to
``scipy.spatial.distance.jensenshannon(r, c, base=2)`` (Lin, 1991; Endres & Schindelin, 2003).
"""

from __future__ import annotations

import numpy as np

from driftscope.compare.registry import MetricField, MetricInput, MetricValue, metric, value_or


@metric(
    "jensen_shannon",
    label="JS",
    description="Jensen–Shannon distance of the bin shares, base 2 (0 identical, 1 disjoint).",
    fields=(
        MetricField("jensen_shannon", "Jensen–Shannon",
                    "Jensen–Shannon distance of the bin shares, base 2, in [0, 1].",
                    read=value_or(0.0), maximum=1.0),
    ),
)
def jensen_shannon(inp: MetricInput) -> MetricValue:
    r = inp.bins.reference_shares
    c = inp.bins.current_shares
    if r.sum() == 0 or c.sum() == 0:
        return MetricValue(value=0.0 if r.sum() == c.sum() else 1.0)
    from scipy.spatial import distance  # scipy imports cost seconds: only when used
    value = float(distance.jensenshannon(r, c, base=2))
    if not np.isfinite(value):  # rounding can make the divergence a hair below 0
        value = 0.0
    return MetricValue(value=value)
