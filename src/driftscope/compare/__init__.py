"""Metrics computed from two profiles of one column. One module per metric.

Importing a metric module registers it (:mod:`driftscope.compare.registry`). The built-in
metrics are imported below in the order their fields appear in ``features[].metrics``: that
order is part of the JSON contract, so keep it (a new metric goes at the end).
"""

# isort: off
from driftscope.compare import psi, ks, jensen_shannon, chi2, missing_share, unseen_share
# isort: on
from driftscope.compare.bins import AlignedBins, align
from driftscope.compare.column import ColumnComparison, compare_column, summarize_side
from driftscope.compare.registry import (
    MetricField,
    MetricInput,
    MetricSpec,
    MetricValue,
    get_metric,
    metric,
    registered,
    specs,
    unregister,
)

__all__ = [
    "AlignedBins",
    "ColumnComparison",
    "MetricField",
    "MetricInput",
    "MetricSpec",
    "MetricValue",
    "align",
    "chi2",
    "compare_column",
    "get_metric",
    "jensen_shannon",
    "ks",
    "metric",
    "missing_share",
    "psi",
    "registered",
    "specs",
    "summarize_side",
    "unregister",
    "unseen_share",
]
