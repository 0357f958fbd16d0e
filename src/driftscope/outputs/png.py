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

import contextlib
import io
import os
import sys
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftscope.errors import ConfigError
from driftscope.outputs import png_panels as panels
from driftscope.outputs.atomic import write_bytes
from driftscope.outputs.plot_names import plot_filenames
from driftscope.result import FeatureResult, RunResult, Severity

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["IMAGE_SIZE", "Drawing", "PlotPool", "plan_plots", "plot_filenames", "plot_png",
           "plottable_columns", "start_drawing", "write_plots"]

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
    pool: PlotPool | None = None,
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
    pool : PlotPool, optional
        Draw in this pool's processes (started before the round) instead of here.

    Returns
    -------
    dict[str, str]
        Column name -> file name relative to ``images_dir``, for the files written.

    Raises
    ------
    ConfigError
        When ``features`` names a column the result does not have.
    """
    names, jobs = plan_plots(result, images_dir, features, include_normal)
    start_drawing(jobs, pool).wait()
    return names


def plan_plots(
    result: RunResult,
    images_dir: str | os.PathLike[str],
    features: Iterable[str] | None = None,
    include_normal: bool = False,
) -> tuple[dict[str, str], list[tuple[Path, FeatureResult]]]:
    """What :func:`write_plots` writes, without drawing it: column name -> file name, and the
    (file, column) jobs for :func:`start_drawing`. Creates ``images_dir``."""
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
    return {key: filenames[key] for key in chosen}, jobs


def start_drawing(jobs: list[tuple[Path, FeatureResult]], pool: PlotPool | None = None
                  ) -> Drawing:
    """Draw ``jobs``: in ``pool``'s processes while the caller goes on (wait on the returned
    :class:`Drawing`), or here, done when this returns."""
    if not jobs:
        return Drawing(None)
    if pool is not None:
        return pool.submit(jobs)
    painter = _Painter()
    # the first plot here: it pays matplotlib's imports and font cache before any fork
    _draw(jobs[:1], painter)
    _draw_shared(jobs[1:], painter)
    return Drawing(None)


def _draw_shared(rest: list[tuple[Path, FeatureResult]], painter: _Painter) -> None:
    """Draw ``rest`` with a warm ``painter``, sharing the work with forked processes."""
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


# -- drawing in a pool started before the round -------------------------------------------
class Drawing:
    """PNGs being drawn: :meth:`wait` returns when every file is written, or raises what
    stopped the drawing."""

    def __init__(self, conn: Connection | None) -> None:
        self._conn = conn

    def wait(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            failure = conn.recv()
        except (EOFError, OSError):
            failure = RuntimeError("the process drawing the PNG plots stopped before it was "
                                  "done; run again, or pass --plots none")
        if failure is not None:
            raise failure


class PlotPool:
    """A process forked before the round: it imports matplotlib and draws a first figure
    while the round computes (on another CPU), then draws the round's PNGs, forking one more
    process per further CPU, while the caller writes the other outputs.

    ``driftscope run`` starts one; :func:`write_plots` and
    :func:`driftscope.outputs.writer.write_outputs` take it as ``pool``/``plots``. Only on
    Linux (the one platform where forking is safe by default): :meth:`start` gives None
    elsewhere, and the plots are drawn in the caller's process. Close it (or use it as a
    context manager) to end the process.
    """

    def __init__(self, process: Any, conn: Connection) -> None:
        self._process = process
        self._conn = conn

    @classmethod
    def start(cls) -> PlotPool | None:
        if not sys.platform.startswith("linux"):
            return None
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        mine, theirs = ctx.Pipe()
        process = ctx.Process(target=_serve, args=(theirs, mine), name="driftscope-plots")
        process.start()
        theirs.close()
        return cls(process, mine)

    def submit(self, jobs: list[tuple[Path, FeatureResult]]) -> Drawing:
        """Send ``jobs`` to the pool; the returned :class:`Drawing` says when they are done."""
        try:
            self._conn.send(jobs)
        except (OSError, ValueError):  # the process is gone: draw here
            return start_drawing(jobs)
        return Drawing(self._conn)

    def close(self) -> None:
        """End the pool's process (it finishes the drawing it is doing first)."""
        with contextlib.suppress(OSError, ValueError):
            self._conn.send(None)
        self._conn.close()
        self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()

    def __enter__(self) -> PlotPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(conn: Connection, parent_end: Connection) -> None:
    """The pool's process: warm up, then draw each list of jobs received until None."""
    parent_end.close()
    painter = _Painter()
    with contextlib.suppress(Exception):  # a failed warm-up only loses its head start
        painter.warm()
    while True:
        try:
            jobs = conn.recv()
        except (EOFError, OSError):  # the round's process is gone
            return
        if jobs is None:
            return
        try:
            _draw_shared(jobs, painter)
        except BaseException as err:  # noqa: BLE001 - sent to the round's process, raised there
            conn.send(_sendable(err))
        else:
            conn.send(None)


def _sendable(err: BaseException) -> BaseException:
    """``err`` if it survives pickling, else a RuntimeError with its message."""
    import pickle

    try:
        pickle.loads(pickle.dumps(err))
    except Exception:  # noqa: BLE001
        return RuntimeError(f"drawing the PNG plots failed: {type(err).__name__}: {err}")
    return err


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

    def warm(self) -> None:
        """Build both layouts and render each once: matplotlib's imports, fonts and
        renderer are then ready (what a pool does while the round computes)."""
        for panel_count in (3, 2):
            fig, _axes = self._layout(panel_count)
            fig.savefig(io.BytesIO(), format="png", dpi=DPI, pil_kwargs={"compress_level": 3})

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
