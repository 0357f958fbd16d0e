"""PNG diagnostic plots, one file per column, drawn from a :class:`RunResult` only.

Numerical columns get three panels: the reference and current shares on the bins the metrics
used (overlaid), box plots side by side (from the quantiles 0, 25, 50, 75 and 100 % of each
side) and a Q-Q plot of current against reference quantiles with the diagonal. Categorical
columns get a bar chart of shares and a bar chart of PSI contributions. Nothing is computed
from raw data: every number drawn is read from the result (the panels are drawn by
:mod:`.png_panels`).

Figures are built on :class:`matplotlib.figure.Figure` (never ``pyplot``), so no display and
no global state are involved, and every image has the same size, :data:`IMAGE_SIZE`.

File names come from :func:`plot_filenames` (:mod:`.plot_names`), which turns any column name
into a name that is safe on every operating system, and unique even on case-insensitive file
systems.
"""

from __future__ import annotations

import io
import os
import sys
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from driftscope.errors import ConfigError
from driftscope.outputs import png_panels as panels
from driftscope.outputs.atomic import write_bytes
from driftscope.outputs.plot_names import plot_filenames
from driftscope.result import FeatureResult, RunResult, Severity

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["IMAGE_SIZE", "plot_filenames", "plot_png", "plottable_columns", "write_plots"]

FIGSIZE = (12.0, 4.0)
DPI = 90
IMAGE_SIZE = (round(FIGSIZE[0] * DPI), round(FIGSIZE[1] * DPI))
"""Width and height in pixels of every plot."""


# -- which columns ------------------------------------------------------------------------
def plottable_columns(result: RunResult) -> dict[str, FeatureResult]:
    """Every column of ``result`` that can be plotted, keyed by the name plots use.

    Input features are keyed by their name. The prediction, predicted class and target follow;
    when one of them has the name of an input feature it is keyed ``"<origin>:<name>"``.
    """
    columns: dict[str, FeatureResult] = {}
    for feature in result.features:
        columns.setdefault(feature.name, feature)
    for extra in result.other_columns():
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
    jobs = [(folder / filenames[key], columns[key]) for key in chosen]
    painter = _Painter()
    # the first plot here: it pays matplotlib's imports and font cache before any fork
    _draw(jobs[:1], painter)
    rest = jobs[1:]
    workers = plot_workers(len(rest))
    if workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        shares = [rest[i::workers] for i in range(workers)]
        with ProcessPoolExecutor(workers - 1, mp_context=multiprocessing.get_context("fork")
                                 ) as pool:
            others = [pool.submit(_draw, share) for share in shares[1:]]
            _draw(shares[0], painter)  # this process draws its share meanwhile
            for done in others:
                done.result()
    else:
        _draw(rest, painter)
    return {key: filenames[key] for key in chosen}


PLOTS_PER_WORKER = 3
"""A process draws at least this many plots: fewer do not repay forking it."""


def plot_workers(plots: int) -> int:
    """How many processes draw ``plots`` plots: one per available CPU, at most 4, at least
    :data:`PLOTS_PER_WORKER` plots each; always 1 where ``fork`` is not the safe default
    (only Linux forks here: macOS system libraries do not survive it)."""
    if not sys.platform.startswith("linux"):
        return 1
    cpus = len(os.sched_getaffinity(0))
    return max(1, min(cpus, 4, plots // PLOTS_PER_WORKER))


def _draw(jobs: list[tuple[Path, FeatureResult]], painter: _Painter | None = None) -> None:
    """Draw and write ``jobs`` (file, column) in order; a worker process brings no painter."""
    painter = painter or _Painter()
    for path, column in jobs:
        write_bytes(path, painter.png(column))


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
        panel_count = 2 if column.type == "categorical" else 3
        fig, axes = self._layout(panel_count)
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            # names in scripts the bundled font lacks still render, as boxes
            warnings.filterwarnings("ignore", message=r"Glyph .* missing from")
            panels.header(fig, column)
            if panel_count == 2:
                shown = panels.categories_shown(column.bins)
                panels.category_shares(axes[0], shown, len(column.bins))
                panels.contributions(axes[1], shown)
            else:
                dist = column.distribution
                reference = dist.reference if dist else None
                current = dist.current if dist else None
                panels.histogram(axes[0], column.bins)
                panels.box(axes[1], reference, current)
                panels.qq(axes[2], reference, current)
            fig.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 3})
        return buffer.getvalue()

    def _layout(self, panel_count: int) -> tuple[Figure, list[Axes]]:
        if panel_count in self._layouts:
            fig, axes = self._layouts[panel_count]
            _reset(fig, axes)
            return fig, axes
        from matplotlib.figure import Figure

        # a Figure not made by pyplot is registered nowhere: it is freed with the painter
        fig = Figure(figsize=FIGSIZE, dpi=DPI)
        fig.subplots_adjust(left=0.055, right=0.985, bottom=0.25, top=0.8, wspace=0.28)
        axes = list(fig.subplots(1, panel_count))
        self._layouts[panel_count] = (fig, axes)
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
