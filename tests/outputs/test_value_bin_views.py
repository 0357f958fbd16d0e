"""The bins of new values of a value-binned number ("< 18", "> 35", "(18, 35) between") in
the PNG and the HTML report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import driftscope
from driftscope.outputs.html import render_html
from driftscope.outputs.png import plot_png
from driftscope.outputs.png_panels import histogram


@pytest.fixture(scope="module")
def ages() -> driftscope.RunResult:
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"age": rng.integers(18, 36, 1500)})  # 18 values: value bins
    cur = pd.DataFrame({"age": np.concatenate([rng.integers(14, 70, 700), [20.5] * 30])})
    return driftscope.run(reference=ref, current=cur)


def test_the_bins_name_where_the_new_values_lie(ages: driftscope.RunResult) -> None:
    bins = ages.feature("age").bins
    assert [b.kind for b in bins[:2]] == ["below", "value"]
    assert [(b.label, b.kind, b.lower, b.upper) for b in bins[-2:]] == [
        ("> 35", "above", 35.0, None), ("(18, 35) between", "between", 18.0, 35.0)]
    assert bins[0].label == "< 18" and (bins[0].lower, bins[0].upper) == (None, 18.0)
    new = sum(b.current_count for b in bins if b.kind in ("below", "between", "above"))
    assert ages.feature("age").metrics.unseen_share_current == pytest.approx(new / 730)


def test_the_png_labels_every_bin_of_new_values(ages: driftscope.RunResult) -> None:
    fig = Figure()
    ax = fig.add_subplot()
    bins = ages.feature("age").bins
    histogram(ax, bins)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(labels) < len(bins)  # 21 bins: the value labels are thinned out ...
    assert {"< 18", "> 35", "(18, 35) between"} <= set(labels)  # ... these never
    assert plot_png(ages.feature("age")).startswith(b"\x89PNG")


def test_the_html_shows_them(ages: driftscope.RunResult) -> None:
    page = render_html(ages)
    for label in ("&lt; 18", "&gt; 35", "(18, 35) between"):
        assert label in page
    assert 'class="row k-above"' in page and 'class="row k-between"' in page
