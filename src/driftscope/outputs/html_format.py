"""How the HTML report writes numbers, times and long text.

The Jinja2 filters of the report's template (``num``, ``pvalue``, ``pct``, ``key``,
``short``) and the helpers that format the header's time and a backfill chunk's window.
"""

from __future__ import annotations

import math
from datetime import datetime

from driftscope.limits import clip
from driftscope.outputs.chart_data import finite

__all__ = ["day", "num", "pct", "pvalue", "short", "sort_key", "when"]


def num(value: float | None, digits: int = 3) -> str:
    """A metric for people: ``—`` when absent, scientific notation when tiny or huge."""
    if value is None:
        return "—"
    if not math.isfinite(value):
        return "n/a" if math.isnan(value) else ("∞" if value > 0 else "−∞")
    if value != 0 and (abs(value) < 10**-digits or abs(value) >= 10**6):
        return f"{value:.2e}"
    return f"{value:.{digits}f}"


def pvalue(value: float | None) -> str:
    """A p-value: four decimals, scientific below 0.0001, ``< 0.0001`` below 1e-16."""
    if value is None or not math.isfinite(value):
        return num(value)
    if value < 1e-4:
        return "< 0.0001" if value < 1e-16 else f"{value:.1e}"
    return f"{value:.4f}"


def pct(value: float | None, digits: int = 1) -> str:
    """A share as a percentage (``12.5 %``)."""
    if value is None or not math.isfinite(value):
        return num(value)
    return f"{value * 100:.{digits}f} %"


def sort_key(value: float | None) -> str:
    """What a table cell sorts by: the full number, or empty (sorted last) when absent."""
    return repr(float(value)) if finite(value) else ""


def short(text: str, limit: int = 120) -> str:
    """``text`` cut to ``limit`` characters, the last one ``…`` when cut."""
    return clip(text, limit)


def when(stamp: str) -> str:
    """``2026-11-26 12:00:00 UTC`` from an ISO-8601 time; the text as given otherwise."""
    try:
        moment = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return stamp
    if moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0:  # type: ignore[union-attr]
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.isoformat(sep=" ")


def day(stamp: str | None) -> str:
    """A window bound for the chunk table: the date alone when the time is midnight."""
    if not stamp:
        return "…"
    return stamp.removesuffix("T00:00:00") if len(stamp) == 19 else stamp
