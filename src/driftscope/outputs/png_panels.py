"""The panels of a PNG diagnostic plot, drawn on matplotlib axes from a column's result.

A numerical column: :func:`histogram` (shares per bin, both sides overlaid), :func:`box` (box
plots from the percentiles) and :func:`qq` (current against reference percentiles). A
categorical column: :func:`category_shares` and :func:`contributions` (PSI per category).
:func:`header` writes the figure's header. Every number drawn is read from the result;
matplotlib is imported only by the callers that build figures (:mod:`.png`).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from driftscope.limits import clip
from driftscope.outputs.chart_data import bins_shown, finite, quantile_pairs
from driftscope.result import Bin, FeatureResult, SideSummary

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["box", "categories_shown", "category_shares", "contributions", "header", "histogram",
           "qq"]  # fmt: skip

REFERENCE_COLOR = "#4e79a7"
CURRENT_COLOR = "#e8762b"
CONTRIBUTION_COLOR = "#6f4e9c"
STATUS_COLORS = {"NORMAL": "#067647", "WARNING": "#b54708", "CRITICAL": "#b42318"}

MAX_CATEGORIES = 25
"""A categorical plot shows at most this many categories (see :func:`categories_shown`)."""


def _clean(text: str, limit: int) -> str:
    """Text fit for a plot label: control characters shown as ``?``, long text cut."""
    return clip("".join("?" if unicodedata.category(ch).startswith("C") else ch
                        for ch in text), limit)


def header(fig: Figure, column: FeatureResult) -> None:
    """The figure's header: the column's name and kind, the legend, its status and PSI."""
    kind = column.type if column.origin == "raw" else f"{column.type}, {column.origin}"
    fig.text(0.012, 0.93, _clean(column.name, 90), fontsize=14, weight="bold", parse_math=False)
    fig.text(0.012, 0.865, kind, fontsize=10, color="#555555")
    # one legend for the whole figure, as coloured text (cheaper than legend artists)
    fig.text(0.5, 0.93, "■ reference", color=REFERENCE_COLOR, ha="right", fontsize=11)
    fig.text(0.515, 0.93, "■ current", color=CURRENT_COLOR, ha="left", fontsize=11)
    status = column.status.value
    psi = column.metrics.psi
    psi_text = f"PSI {psi:.3f}" if finite(psi) else "PSI n/a"
    fig.text(
        0.985, 0.92, f"{status}  ·  {psi_text}", ha="right", fontsize=12, weight="bold",
        color="white",
        bbox={"boxstyle": "round,pad=0.35", "facecolor": STATUS_COLORS.get(status, "#444444"),
              "edgecolor": "none"},
    )  # fmt: skip


def _no_values(ax: Axes, title: str, message: str = "no values") -> None:
    ax.set_title(title, fontsize=11, y=1.01)
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes,
            fontsize=11, color="#777777")  # fmt: skip
    ax.set_xticks([])
    ax.set_yticks([])


def _short_number(value: float) -> str:
    return f"{value:.3g}"


def histogram(ax: Axes, bins: Sequence[Bin]) -> None:
    """Reference and current shares per bin, overlaid; bins drawn with equal widths."""
    title = "Shares per bin (bins of the metrics)"
    if not bins:
        _no_values(ax, title, "no bins")
        return
    ranges = [b for b in bins if b.kind == "range"]
    others = [b for b in bins if b.kind != "range"]
    ordered = [*ranges, *others]
    gap = 0.5 if ranges and others else 0.0
    lefts = [float(i) + (gap if i >= len(ranges) else 0.0) for i in range(len(ordered))]
    for side, color in (("reference", REFERENCE_COLOR), ("current", CURRENT_COLOR)):
        shares = [getattr(b, f"{side}_share") for b in ordered]
        # one filled outline per side and group of adjacent bins: cheap to draw
        for start, stop in ((0, len(ranges)), (len(ranges), len(ordered))):
            if start < stop:
                edges = [lefts[start] + k for k in range(stop - start + 1)]
                ax.stairs(shares[start:stop], edges, fill=True, color=color, alpha=0.35)
                ax.stairs(shares[start:stop], edges, color=color, linewidth=1.6)
    ticks: list[float] = []
    labels: list[str] = []
    for i in range(1, len(ranges)):  # interior edges at bin boundaries
        edge = ranges[i].lower
        if finite(edge):
            ticks.append(float(i))
            labels.append(_short_number(edge))
    for i, b in enumerate(ordered[len(ranges) :], start=len(ranges)):
        ticks.append(lefts[i] + 0.5)
        # new values of a value-binned number: "< 18", "> 35", "(18, 35) between", uncut
        labels.append(_clean(b.label, 22 if b.kind in ("below", "between", "above") else 14))
    step = max(1, math.ceil(len(ticks) / 14))
    # thinned to every step-th label, but a bin of new values or missing ones always shows
    special = {len(ticks) - len(ordered) + i for i, b in enumerate(ordered)
               if b.kind in ("below", "between", "above", "unseen", "missing")}
    shown = [i for i in range(len(ticks)) if i % step == 0 or i in special]
    ax.set_xticks([ticks[i] for i in shown], labels=[labels[i] for i in shown], rotation=45,
                  ha="right", fontsize=8, parse_math=False)  # fmt: skip
    ax.set_xlim(lefts[0] - 0.2, lefts[-1] + 1.2)
    ax.set_ylabel("share of rows")
    ax.set_title(title, fontsize=11, y=1.01)
    ax.grid(axis="y", alpha=0.3)


_BoxStats = tuple[float, float, float, float, float, float | None]
"""Whisker low, first quartile, median, third quartile, whisker high, mean."""


def _box_stats(side: SideSummary | None) -> _BoxStats | None:
    """Box-plot numbers read from the percentiles of one side (None when it has none)."""
    if side is None or len(side.quantiles) < 101:
        return None
    values = [v for v in side.quantiles if finite(v)]
    q1, med, q3 = side.quantiles[25], side.quantiles[50], side.quantiles[75]
    if not (values and finite(q1) and finite(med) and finite(q3)):
        return None
    # whiskers at min and max; infinite extremes fall back to the last finite percentile
    mean = side.mean if finite(side.mean) else None
    return (values[0], q1, med, q3, values[-1], mean)


def box(ax: Axes, reference: SideSummary | None, current: SideSummary | None) -> None:
    title = "Box plots (whiskers at min and max)"
    sides = [(_box_stats(reference), REFERENCE_COLOR, 1), (_box_stats(current), CURRENT_COLOR, 2)]
    if all(stats is None for stats, _c, _x in sides):
        _no_values(ax, title)
        return
    for stats, color, x in sides:
        if stats is None:
            ax.text(x, 0.5, "no values", ha="center", va="center", color="#777777",
                    transform=ax.get_xaxis_transform())  # fmt: skip
        else:
            _draw_box(ax, stats, color, x)
    ax.set_xticks([1, 2], labels=["reference", "current"])
    ax.set_xlim(0.4, 2.6)
    ax.set_title(title, fontsize=11, y=1.01)
    ax.grid(axis="y", alpha=0.3)


def _draw_box(ax: Axes, stats: _BoxStats, color: str, x: float) -> None:
    """One box (quartiles), median, whiskers with caps, and the mean as a diamond.

    Drawn from plain patches and lines: ``Axes.bxp`` reads every rcParam, which makes
    matplotlib import pyplot to resolve the backend.
    """
    from matplotlib.patches import Rectangle

    lo, q1, med, q3, hi, mean = stats
    half, cap, nan = 0.25, 0.12, float("nan")
    ax.add_patch(Rectangle((x - half, q1), 2 * half, q3 - q1, facecolor=color, alpha=0.6,
                           edgecolor=color, linewidth=1.2))  # fmt: skip
    ax.plot([x - half, x + half], [med, med], color="black", linewidth=1.6)
    ax.plot(
        [x, x, nan, x, x, nan, x - cap, x + cap, nan, x - cap, x + cap],
        [lo, q1, nan, q3, hi, nan, lo, lo, nan, hi, hi],
        color="#333333", linewidth=1,
    )  # fmt: skip
    if mean is not None:
        ax.plot([x], [mean], marker="D", markersize=5, markerfacecolor="white",
                markeredgecolor="black", linestyle="none")  # fmt: skip


def qq(ax: Axes, reference: SideSummary | None, current: SideSummary | None) -> None:
    title = "Q-Q plot (percentiles; dashed: no change)"
    if reference is None or current is None:
        _no_values(ax, title)
        return
    pairs = quantile_pairs(reference, current)
    if not pairs:
        _no_values(ax, title)
        return
    xs = [r for r, _c in pairs]
    ys = [c for _r, c in pairs]
    lo, hi = min(*xs, *ys), max(*xs, *ys)
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    ax.plot([lo, hi], [lo, hi], linestyle="--", color="#888888", linewidth=1)
    ax.plot(xs, ys, "o", markersize=3, color=CURRENT_COLOR)
    ax.set_xlabel("reference quantiles")
    ax.set_ylabel("current quantiles")
    ax.set_title(title, fontsize=11, y=1.01)
    ax.grid(alpha=0.3)


def categories_shown(bins: Sequence[Bin]) -> list[Bin]:
    """At most :data:`MAX_CATEGORIES` bins: missing/unseen always, then the largest PSI
    contributions."""
    return bins_shown(bins, MAX_CATEGORIES)


def category_shares(ax: Axes, shown: Sequence[Bin], total: int) -> None:
    title = "Shares per category"
    if total > len(shown):
        title += f" ({len(shown)} of {total}: largest PSI contributions)"
    if not shown:
        _no_values(ax, title, "no categories")
        return
    x = range(len(shown))
    ax.bar([i - 0.2 for i in x], [b.reference_share for b in shown], width=0.4,
           color=REFERENCE_COLOR, label="reference")  # fmt: skip
    ax.bar([i + 0.2 for i in x], [b.current_share for b in shown], width=0.4,
           color=CURRENT_COLOR, label="current")  # fmt: skip
    _category_ticks(ax, shown)
    ax.set_ylabel("share of rows")
    ax.set_title(title, fontsize=11, y=1.01)
    ax.grid(axis="y", alpha=0.3)


def contributions(ax: Axes, shown: Sequence[Bin]) -> None:
    title = "PSI contribution per category"
    if not shown:
        _no_values(ax, title, "no categories")
        return
    ax.bar(range(len(shown)), [b.psi_contribution for b in shown], width=0.6,
           color=CONTRIBUTION_COLOR)  # fmt: skip
    _category_ticks(ax, shown)
    ax.set_ylabel("(c − r) · ln(c / r)")
    ax.set_title(title, fontsize=11, y=1.01)
    ax.grid(axis="y", alpha=0.3)


def _category_ticks(ax: Axes, shown: Sequence[Bin]) -> None:
    ax.set_xticks(range(len(shown)), labels=[_clean(b.label, 16) for b in shown],
                  rotation=40, ha="right", fontsize=8, parse_math=False)  # fmt: skip
