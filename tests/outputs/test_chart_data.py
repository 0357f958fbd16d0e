"""What the charts of a column draw: the HTML report and the PNG plots pick the same bins."""

from __future__ import annotations

import dataclasses

from driftscope.outputs.chart_data import bins_shown, finite, quantile_pairs
from driftscope.outputs.html_charts import MAX_BARS, bar_chart
from driftscope.outputs.png_panels import categories_shown
from driftscope.result import Bin, SideSummary
from tests.outputs.factories_extra import make_many_categories_feature


def _bin(label: str, contribution: float, kind: str = "category") -> Bin:
    return Bin(label=label, lower=None, upper=None, reference_count=1, current_count=1,
               reference_share=0.1, current_share=0.1, psi_contribution=contribution,
               kind=kind)  # type: ignore[arg-type]


def test_few_bins_are_all_shown() -> None:
    bins = [_bin("a", 0.1), _bin("b", 0.0)]
    assert bins_shown(bins, 2) == bins


def test_special_bins_first_then_the_largest_contributions_in_bin_order() -> None:
    bins = [_bin("small", 0.001), _bin("big", -0.5), _bin("missing", 0.0, "missing"),
            _bin("mid", 0.2), _bin("new", 0.0, "above")]
    assert [b.label for b in bins_shown(bins, 4)] == ["big", "missing", "mid", "new"]
    # the special bins are kept even beyond the limit
    assert [b.label for b in bins_shown(bins, 1)] == ["missing", "new"]


def test_the_html_and_png_charts_of_a_long_column_agree() -> None:
    column = make_many_categories_feature(n=300)
    chart = bar_chart(column.bins)
    assert [r.label for r in chart.rows] == [b.label for b in bins_shown(column.bins, MAX_BARS)]
    assert chart.hidden == len(column.bins) - MAX_BARS
    assert categories_shown(column.bins) == bins_shown(column.bins, 25)


def test_quantile_pairs_skip_values_that_are_not_finite() -> None:
    side = SideSummary(count=3, missing=0, mean=None, std=None, min=None, max=None,
                       quantiles=(0.0, float("inf"), 2.0, None))
    other = dataclasses.replace(side, quantiles=(1.0, 1.0, float("nan"), 3.0, 4.0))
    assert quantile_pairs(side, other) == [(0.0, 1.0)]
    assert finite(1.0) and not finite(None) and not finite(float("-inf"))
