"""Metrics computed from two profiles of one column. One module per metric."""

from driftscope.compare import chi2, jensen_shannon, ks, missing_share, psi, unseen_share
from driftscope.compare.bins import AlignedBins, align
from driftscope.compare.column import ColumnComparison, compare_column, summarize_side
from driftscope.compare.registry import MetricInput, MetricValue, get_metric, metric, registered

__all__ = [
    "AlignedBins",
    "ColumnComparison",
    "MetricInput",
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
    "summarize_side",
    "unseen_share",
]
