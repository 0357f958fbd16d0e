"""The inline SVG charts of the HTML report, as geometry the template draws.

Per column a bin chart (reference and current shares side by side, and each bin's PSI
contribution) and, for numbers, a Q-Q chart of current against reference percentiles. Every
number is read from the result; this module only places it (SVG user units; the template
uses the same numbers through :data:`GEOMETRY`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from driftscope.outputs.chart_data import bins_shown, finite, quantile_pairs
from driftscope.outputs.html_format import short
from driftscope.result import Bin, SideSummary

__all__ = ["GEOMETRY", "BarChart", "BarRow", "QQChart", "Tick", "bar_chart", "qq_chart"]

MAX_BARS = 40
"""A detail chart shows at most this many bins (missing/unseen first, then the largest
PSI contributions); the JSON keeps them all."""
_LABEL_CHARS = 26

# geometry of the bin chart
_ROW = 22.0
_TOP = 26.0
_SHARE_X, _SHARE_W = 190.0, 250.0
_CONTRIB_X, _CONTRIB_W = 575.0, 85.0

# geometry of the Q-Q chart
_QQ_W, _QQ_H = 300.0, 260.0
_QQ_LEFT, _QQ_RIGHT, _QQ_TOP, _QQ_BOTTOM = 56.0, 22.0, 10.0, 40.0

GEOMETRY = {
    "width": 720.0,
    "label_x": _SHARE_X - 8,
    "share_x": _SHARE_X,
    "contrib_x": _CONTRIB_X,
    "qq_w": _QQ_W,
    "qq_h": _QQ_H,
    "qq_left": _QQ_LEFT,
    "qq_right": _QQ_W - _QQ_RIGHT,
    "qq_top": _QQ_TOP,
    "qq_bottom": _QQ_H - _QQ_BOTTOM,
}
"""The chart geometry the template reads (``geo``)."""


@dataclass(frozen=True)
class BarRow:
    """One bin drawn as a row: reference and current bars, and its PSI contribution."""

    label: str
    short: str
    kind: str
    y: float
    reference: float
    current: float
    contribution: float
    reference_width: float
    current_width: float
    contribution_width: float

    @property
    def share_text_x(self) -> float:
        return _SHARE_X + max(self.reference_width, self.current_width) + 5

    @property
    def contribution_text_x(self) -> float:
        return _CONTRIB_X + self.contribution_width + 5


@dataclass(frozen=True)
class BarChart:
    rows: tuple[BarRow, ...]
    height: float
    hidden: int
    total: int


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class QQChart:
    """A Q-Q chart: ``dots`` is SVG path data drawing one dot per quantile pair."""

    dots: str
    diagonal: tuple[float, float, float, float]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    pairs: int


def bar_chart(bins: tuple[Bin, ...]) -> BarChart:
    """The bin chart of a column: at most :data:`MAX_BARS` bins, bars scaled to the largest
    share and the largest PSI contribution shown."""
    shown = bins_shown(bins, MAX_BARS)
    shares = [s for b in shown for s in (b.reference_share, b.current_share) if finite(s)]
    top_share = max([*shares, 1e-12])
    contribs = [abs(b.psi_contribution) for b in shown if finite(b.psi_contribution)]
    top_contrib = max([*contribs, 1e-12])

    def width(value: float, top: float, full: float) -> float:
        return round(full * min(abs(value), top) / top, 1) if finite(value) else 0.0

    rows = tuple(
        BarRow(
            label=b.label,
            short=short(b.label, _LABEL_CHARS),
            kind=b.kind,
            y=_TOP + i * _ROW,
            reference=b.reference_share,
            current=b.current_share,
            contribution=b.psi_contribution,
            reference_width=width(b.reference_share, top_share, _SHARE_W),
            current_width=width(b.current_share, top_share, _SHARE_W),
            contribution_width=width(b.psi_contribution, top_contrib, _CONTRIB_W),
        )
        for i, b in enumerate(shown)
    )
    return BarChart(rows, _TOP + len(rows) * _ROW + 6, len(bins) - len(shown), len(bins))


def qq_chart(reference: SideSummary, current: SideSummary) -> QQChart | None:
    """The Q-Q chart of a numerical column; None when no pair of percentiles is finite."""
    pairs = quantile_pairs(reference, current)
    if not pairs:
        return None
    values = [v for pair in pairs for v in pair]
    lo, hi = min(values), max(values)
    if lo == hi:
        pad = abs(lo) * 0.05 or 0.5
        lo, hi = lo - pad, hi + pad
    span = hi - lo
    inner_w = _QQ_W - _QQ_LEFT - _QQ_RIGHT
    inner_h = _QQ_H - _QQ_TOP - _QQ_BOTTOM

    def x(v: float) -> float:
        return round(_QQ_LEFT + (v - lo) / span * inner_w, 1)

    def y(v: float) -> float:
        return round(_QQ_TOP + inner_h - (v - lo) / span * inner_h, 1)

    dots = "".join(f"M{x(r)} {y(c)}h0" for r, c in pairs)
    marks = _nice_ticks(lo, hi)
    return QQChart(
        dots=dots,
        diagonal=(x(lo), y(lo), x(hi), y(hi)),
        x_ticks=tuple(Tick(x(v), _tick_label(v)) for v in marks),
        y_ticks=tuple(Tick(y(v), _tick_label(v)) for v in marks),
        pairs=len(pairs),
    )


def _nice_ticks(lo: float, hi: float, target: int = 4) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) inside ``[lo, hi]``."""
    raw = (hi - lo) / target
    if not (math.isfinite(raw) and raw > 0):
        return [lo, hi]
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step) * step
    ticks = []
    k = 0
    while first + k * step <= hi + step * 1e-9 and k <= 2 * target:
        ticks.append(first + k * step)
        k += 1
    return ticks


def _tick_label(value: float) -> str:
    return f"{0.0 if abs(value) < 1e-12 else value:.4g}"
