"""PNG diagnostic plots, one file per column, drawn from a :class:`RunResult` only.

Numerical columns get three panels: the reference and current shares on the bins the metrics
used (overlaid), box plots side by side (from the quantiles 0, 25, 50, 75 and 100 % of each
side) and a Q-Q plot of current against reference quantiles with the diagonal. Categorical
columns get a bar chart of shares and a bar chart of PSI contributions. Nothing is computed
from raw data: every number drawn is read from the result.

Figures are built on :class:`matplotlib.figure.Figure` (never ``pyplot``), so no display and
no global state are involved, and every image has the same size, :data:`IMAGE_SIZE`.

File names come from :func:`plot_filenames`, which turns any column name into a name that is
safe on every operating system, and unique even on case-insensitive file systems.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeGuard

from driftscope.errors import ConfigError
from driftscope.outputs.atomic import write_bytes
from driftscope.result import Bin, FeatureResult, RunResult, Severity, SideSummary

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["IMAGE_SIZE", "plot_filenames", "plot_png", "plottable_columns", "write_plots"]

PREFIX = "drift_plot_"
FIGSIZE = (12.0, 4.0)
DPI = 90
IMAGE_SIZE = (round(FIGSIZE[0] * DPI), round(FIGSIZE[1] * DPI))
"""Width and height in pixels of every plot."""

REFERENCE_COLOR = "#4e79a7"
CURRENT_COLOR = "#e8762b"
CONTRIBUTION_COLOR = "#6f4e9c"
STATUS_COLORS = {"NORMAL": "#067647", "WARNING": "#b54708", "CRITICAL": "#b42318"}

_MAX_STEM = 60
_HASH_LEN = 8
_MAX_CATEGORIES = 25
_RESERVED = {
    "con", "prn", "aux", "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}  # fmt: skip


# -- file names --------------------------------------------------------------------------
def _digest(name: str) -> str:
    data = name.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:_HASH_LEN]


def _base_stem(name: str) -> str:
    """ASCII letters, digits, ``-`` and ``_`` only; accents dropped; long names hashed."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^A-Za-z0-9-]+", "_", text).strip("_")
    if not text:
        return f"column_{_digest(name)}"
    if len(text) > _MAX_STEM:
        text = f"{text[: _MAX_STEM - _HASH_LEN - 1].rstrip('_')}_{_digest(name)}"
    if text.lower() in _RESERVED:
        text += "_"
    return text


def _hashed_stem(name: str, base: str, counter: int) -> str:
    suffix = f"_{_digest(name)}" + (f"_{counter}" if counter else "")
    return base[: _MAX_STEM - len(suffix)].rstrip("_") + suffix


def plot_filenames(names: Sequence[str]) -> dict[str, str]:
    """Map each column name to a safe, unique PNG file name ``drift_plot_<safe>.png``.

    Parameters
    ----------
    names : Sequence[str]
        Column names, as given; repeated names map to the same file.

    Returns
    -------
    dict[str, str]
        Column name -> file name. File names hold only ASCII letters, digits, ``_`` and
        ``-`` before ``.png`` (so no ``/``, ``\\``, ``..``, control or reserved characters),
        are at most ``len("drift_plot_") + 60 + 4`` characters long, and differ from each
        other even when compared case-insensitively.

    Notes
    -----
    Accents are dropped (``âge`` -> ``age``) and other characters become ``_``. Names that
    end up too long, empty, or equal to another name's file name get a short hash of the
    original name. Names that survive unchanged claim their plain file name first, so the
    result is deterministic and independent of the order of ``names``.
    """
    unique = sorted(set(names), key=lambda n: (_base_stem(n) != n, n))
    used: set[str] = set()
    out: dict[str, str] = {}
    for name in unique:
        base = _base_stem(name)
        stem = base
        counter = 0
        while stem.lower() in used:
            stem = _hashed_stem(name, base, counter)
            counter += 1
        used.add(stem.lower())
        out[name] = f"{PREFIX}{stem}.png"
    return {name: out[name] for name in names}


# -- which columns ------------------------------------------------------------------------
def plottable_columns(result: RunResult) -> dict[str, FeatureResult]:
    """Every column of ``result`` that can be plotted, keyed by the name plots use.

    Input features are keyed by their name. The prediction, predicted class and target follow;
    when one of them has the name of an input feature it is keyed ``"<origin>:<name>"``.
    """
    columns: dict[str, FeatureResult] = {}
    for feature in result.features:
        columns.setdefault(feature.name, feature)
    for extra in (result.prediction, result.predicted_class, result.target):
        if extra is not None:
            key = extra.name if extra.name not in columns else f"{extra.origin}:{extra.name}"
            columns.setdefault(key, extra)
    return columns


def write_plots(
    result: RunResult,
    images_dir: str | os.PathLike[str],
    features: Iterable[str] | None = None,
    include_normal: bool = False,
) -> dict[str, str]:
    """Write one diagnostic PNG per column that is not NORMAL, or per named column.

    Parameters
    ----------
    result : RunResult
        The round to plot.
    images_dir : path-like
        Folder for the images; created when missing. Each file is written atomically.
    features : Iterable[str], optional
        Plot exactly these columns (keys of :func:`plottable_columns`), whatever their status.
    include_normal : bool
        Without ``features``: also plot NORMAL columns.

    Returns
    -------
    dict[str, str]
        Column name -> file name relative to ``images_dir``, for the files written.

    Raises
    ------
    ConfigError
        When ``features`` names a column the result does not have.
    """
    columns = plottable_columns(result)
    # names come from every column, so a file name never depends on which ones are drawn
    filenames = plot_filenames(list(columns))
    if features is None:
        chosen = [k for k, c in columns.items() if include_normal or c.status != Severity.NORMAL]
    else:
        chosen = list(dict.fromkeys(features))
        unknown = [name for name in chosen if name not in columns]
        if unknown:
            known = ", ".join(repr(k) for k in list(columns)[:20])
            raise ConfigError(
                f"cannot plot {', '.join(map(repr, unknown[:5]))}: the result has no such "
                f"column; expected one of {known}{' …' if len(columns) > 20 else ''}"
            )
    folder = Path(images_dir)
    folder.mkdir(parents=True, exist_ok=True)
    painter = _Painter()
    written: dict[str, str] = {}
    for key in chosen:
        write_bytes(folder / filenames[key], painter.png(columns[key]))
        written[key] = filenames[key]
    return written


# -- drawing ------------------------------------------------------------------------------
def plot_png(column: FeatureResult) -> bytes:
    """The diagnostic figure of one column as PNG bytes of size :data:`IMAGE_SIZE`."""
    return _Painter().png(column)


class _Painter:
    """Draws columns one after another, reusing one figure per layout.

    Building a figure and its axes costs more than drawing the data, so a painter keeps
    them and, between columns, removes the data artists and resets scales and ticks. The
    PNG bytes are the same as from a fresh figure (a test checks this). A painter lives
    for one :func:`write_plots` call; nothing is shared between calls.
    """

    def __init__(self) -> None:
        self._layouts: dict[int, tuple[Figure, list[Axes]]] = {}

    def png(self, column: FeatureResult) -> bytes:
        panels = 2 if column.type == "categorical" else 3
        fig, axes = self._layout(panels)
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            # names in scripts the bundled font lacks still render, as boxes
            warnings.filterwarnings("ignore", message=r"Glyph .* missing from")
            _title(fig, column)
            if panels == 2:
                shown = _categories_shown(column.bins)
                _category_shares(axes[0], shown, len(column.bins))
                _contributions(axes[1], shown)
            else:
                dist = column.distribution
                reference = dist.reference if dist else None
                current = dist.current if dist else None
                _histogram(axes[0], column.bins)
                _box(axes[1], reference, current)
                _qq(axes[2], reference, current)
            fig.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 3})
        return buffer.getvalue()

    def _layout(self, panels: int) -> tuple[Figure, list[Axes]]:
        if panels in self._layouts:
            fig, axes = self._layouts[panels]
            _reset(fig, axes)
            return fig, axes
        from matplotlib.figure import Figure

        # a Figure not made by pyplot is registered nowhere: it is freed with the painter
        fig = Figure(figsize=FIGSIZE, dpi=DPI)
        fig.subplots_adjust(left=0.055, right=0.985, bottom=0.25, top=0.8, wspace=0.28)
        axes = list(fig.subplots(1, panels))
        self._layouts[panels] = (fig, axes)
        return fig, axes


def _reset(fig: Figure, axes: list[Axes]) -> None:
    """Bring a used figure back to the state of a fresh one (data, texts, scales, ticks)."""
    from matplotlib.ticker import AutoLocator, ScalarFormatter

    for text in list(fig.texts):
        text.remove()
    for ax in axes:
        for container in list(ax.containers):
            container.remove()
        for artist in [*ax.lines, *ax.patches, *ax.texts, *ax.collections]:
            artist.remove()
        ax.set_title("")
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.grid(False)
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(AutoLocator())
            axis.set_major_formatter(ScalarFormatter())
        ax.relim()
        ax.set_autoscale_on(True)
        ax.autoscale_view()


def _clean(text: str, limit: int) -> str:
    """Text fit for a plot label: control characters shown as ``?``, long text cut."""
    text = "".join("?" if unicodedata.category(ch).startswith("C") else ch for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _title(fig: Figure, column: FeatureResult) -> None:
    kind = column.type if column.origin == "raw" else f"{column.type}, {column.origin}"
    fig.text(0.012, 0.93, _clean(column.name, 90), fontsize=14, weight="bold", parse_math=False)
    fig.text(0.012, 0.865, kind, fontsize=10, color="#555555")
    # one legend for the whole figure, as coloured text (cheaper than legend artists)
    fig.text(0.5, 0.93, "■ reference", color=REFERENCE_COLOR, ha="right", fontsize=11)
    fig.text(0.515, 0.93, "■ current", color=CURRENT_COLOR, ha="left", fontsize=11)
    status = column.status.value
    psi = column.metrics.psi
    psi_text = f"PSI {psi:.3f}" if psi is not None and math.isfinite(psi) else "PSI n/a"
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


def _finite(value: float | None) -> TypeGuard[float]:
    return value is not None and math.isfinite(value)


def _short_number(value: float) -> str:
    return f"{value:.3g}"


def _histogram(ax: Axes, bins: Sequence[Bin]) -> None:
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
        if _finite(edge):
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
    finite = [v for v in side.quantiles if _finite(v)]
    q1, med, q3 = side.quantiles[25], side.quantiles[50], side.quantiles[75]
    if not (finite and _finite(q1) and _finite(med) and _finite(q3)):
        return None
    # whiskers at min and max; infinite extremes fall back to the last finite percentile
    mean = side.mean if _finite(side.mean) else None
    return (finite[0], q1, med, q3, finite[-1], mean)


def _box(ax: Axes, reference: SideSummary | None, current: SideSummary | None) -> None:
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


def _qq(ax: Axes, reference: SideSummary | None, current: SideSummary | None) -> None:
    title = "Q-Q plot (percentiles; dashed: no change)"
    if reference is None or current is None:
        _no_values(ax, title)
        return
    pairs = [
        (r, c)
        for r, c in zip(reference.quantiles, current.quantiles, strict=False)
        if _finite(r) and _finite(c)
    ]
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


def _categories_shown(bins: Sequence[Bin]) -> list[Bin]:
    """At most 25 bins: missing/unseen always, then the largest PSI contributions."""
    if len(bins) <= _MAX_CATEGORIES:
        return list(bins)
    keep = {i for i, b in enumerate(bins) if b.kind in ("missing", "unseen", "other")}
    ranked = sorted(range(len(bins)), key=lambda i: -abs(bins[i].psi_contribution))
    for i in ranked:
        if len(keep) >= _MAX_CATEGORIES:
            break
        keep.add(i)
    return [b for i, b in enumerate(bins) if i in keep]


def _category_shares(ax: Axes, shown: Sequence[Bin], total: int) -> None:
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


def _contributions(ax: Axes, shown: Sequence[Bin]) -> None:
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
