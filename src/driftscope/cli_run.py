"""``driftscope run``: one monitoring round, or one round per chunk (``--chunk-by``,
``--chunk-size``); argv -> config -> Monitor -> outputs -> exit code."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from driftscope.cli_errors import EXIT_FAIL_ON, EXIT_OK, UsageError, say
from driftscope.cli_errors import printable as _printable
from driftscope.cli_parser import overrides
from driftscope.cli_recording import RunHistory
from driftscope.cli_summary import backfill_summary, summary


def cmd_run(ns: argparse.Namespace) -> int:
    """Run the round (or the backfill), write and record it, print its summary; exit 1 when
    ``--fail-on`` is reached."""
    from driftscope.config.loader import load_config
    from driftscope.monitor import Monitor
    from driftscope.outputs.writer import write_outputs
    from driftscope.result import Severity

    cfg = load_config(ns.config, overrides(ns, ("current", "baseline", "out", "fail_on",
                                                "plots", "plot_limit", "plot_features", "html",
                                                "id_column")))
    if cfg.current is None:
        raise UsageError("driftscope run: --current (or --current-sql) is required (or "
                         "'current' in the config)")
    if cfg.reference is None and cfg.baseline is None:
        raise UsageError("driftscope run: give --reference or --baseline")
    if cfg.reference is not None and cfg.baseline is not None:
        raise UsageError(f"driftscope run: {_given(ns, 'reference')} and "
                         f"{_given(ns, 'baseline')} are both given; choose one (a baseline "
                         "already holds the profile of its reference)")
    if ns.metrics_file is not None:  # before the round: a bad path must not follow a record
        _check_metrics_file(ns.metrics_file)
    history = RunHistory(ns, cfg.out)
    out = Path(cfg.out)
    try:
        if ns.chunk_by is not None or ns.chunk_size is not None:
            backfill = _backfill(ns, cfg, out, history, Monitor)
            reached = backfill.status
            latest = backfill.rounds[-1].result  # chunks run in time order
            worst = backfill.worst
            what = f"chunk {worst.index}/{len(backfill.rounds)} {_printable(worst.chunk.label)}"
            shown = backfill_summary(backfill, out, cfg.html)
        else:
            with _writing(out), _plot_pool(cfg) as pool:
                monitor = Monitor(cfg, history=history.past(), progress=_progress(cfg))
                written = write_outputs(monitor.run(), out, cfg,
                                        history if history.url is not None else None,
                                        plots=pool)
            if cfg.notifications:  # after recording: the previous round is in the history
                from driftscope.notify import notify_round

                notify_round(cfg, written.result, history.past())
            reached = written.result.status
            latest = written.result
            what = "round"
            shown = summary(written.result, out, cfg.html)
    finally:
        history.close()
    if ns.metrics_file is not None:
        _write_metrics(ns.metrics_file, latest)
    if not ns.quiet:
        say(shown)
        if history.url is not None:
            from driftscope.store import mask_url

            say(f"  history: {_printable(mask_url(history.url))}")
    if cfg.fail_on is not None:  # with chunks: the worst chunk decides
        level = Severity.WARNING if cfg.fail_on == "warning" else Severity.CRITICAL
        if reached.rank >= level.rank:
            print(f"driftscope: {what} status {reached.value} reached --fail-on "
                  f"{cfg.fail_on}: exit {EXIT_FAIL_ON}", file=sys.stderr)
            return EXIT_FAIL_ON
    return EXIT_OK


@contextlib.contextmanager
def _plot_pool(cfg: Any) -> Iterator[Any]:
    """A :class:`~driftscope.outputs.png.PlotPool` for the round, started now so matplotlib
    is ready when the round is (None when no plot is asked for, or off Linux)."""
    if cfg.plots == "none" and not cfg.plot_features:
        yield None
        return
    from driftscope.outputs.png import PlotPool

    pool = PlotPool.start()
    try:
        yield pool
    finally:
        if pool is not None:
            pool.close()


def _backfill(ns: argparse.Namespace, cfg: Any, out: Path, history: RunHistory,
              monitor_type: Any) -> Any:
    """``--chunk-by`` / ``--chunk-size``: every chunk a round with its own report under
    ``<out>/chunks/``, then the top-level report (see :mod:`driftscope.backfill`)."""
    from driftscope.backfill import plan_backfill
    from driftscope.config.sources import SqlInput
    from driftscope.inputs.readers import read_table
    from driftscope.inputs.spark_source import TABLE_PREFIX

    if str(cfg.current).startswith(TABLE_PREFIX):  # chunks are split from a file's batches
        raise UsageError(f"driftscope run: --chunk-by/--chunk-size split a file or a query; "
                         f"{cfg.current} is a Spark table: select each period in Spark and "
                         "run a round per period, or export the table to Parquet")
    if isinstance(cfg.current, SqlInput):  # a query: whole, or by batch when streamed
        from driftscope.inputs.readers import to_arrow
        from driftscope.inputs.sql import open_sql

        data: Any = (to_arrow(cfg.current, "current")[0] if cfg.backend == "local" else
                     open_sql(cfg.current, cfg.batch_rows, "current"))
    elif cfg.backend == "local":
        data = read_table(cfg.current)
    else:  # split in one pass over the file's batches, the chunks spilled to temporary files
        from driftscope.inputs.batches import FileSource

        data = FileSource(Path(cfg.current), cfg.batch_rows)
    plan = plan_backfill(data, ns.chunk_by, cfg.timestamp_column, ns.chunk_size,
                         str(cfg.current), cfg.batch_rows)
    try:
        return _run_plan(ns, cfg, out, history, monitor_type, plan)
    finally:
        plan.close()  # (run_backfill closes it too; this covers a failure before it)


def _run_plan(ns: argparse.Namespace, cfg: Any, out: Path, history: RunHistory,
              monitor_type: Any, plan: Any) -> Any:
    from driftscope.backfill import run_backfill

    if not ns.quiet:
        if plan.left_out:
            col = repr(cfg.timestamp_column)
            print(f"driftscope: 1 row has no value in {col} and belongs to no period; it "
                  "was left out" if plan.left_out == 1 else
                  f"driftscope: {plan.left_out} rows have no value in {col} and belong to no "
                  "period; they were left out")
        for chunk in plan.chunks:
            if chunk.merged:
                parts = " + ".join(f"{label} ({rows} rows)" for label, rows in chunk.parts)
                print(f"driftscope: {_printable(parts)} run as one chunk "
                      f"{_printable(chunk.label)}: a chunk with fewer than half the rows of "
                      "the median chunk is merged into its smaller neighbour")
    progress = _progress(cfg)
    monitor = monitor_type(cfg, progress=progress)
    _ = monitor.baseline  # built once for every chunk, before the first is written
    progress.close()

    def said(done: Any, total: int) -> None:
        if not ns.quiet:
            print(f"driftscope: chunk {done.index}/{total} {_printable(done.chunk.label)}: "
                  f"{done.result.status.value} ({done.chunk.rows} rows)")
        if cfg.notifications:  # each chunk is a round: its episodes are notified
            from driftscope.notify import notify_round

            notify_round(cfg, done.result, history.past())

    with _writing(out):
        return run_backfill(plan, monitor, out,
                            history=history if history.url is not None else None,
                            read_history=history.past, source=str(cfg.current), on_chunk=said)


def _check_metrics_file(path: str) -> None:
    """``--metrics-file`` refused before the round: prometheus_client missing, or a path
    that is a folder or lies under a file."""
    import importlib.util

    if importlib.util.find_spec("prometheus_client") is None:
        raise UsageError("driftscope run: --metrics-file needs prometheus_client: pip install "
                         "'driftscope[metrics]'")
    target = Path(path).expanduser()
    if target.is_dir():
        raise UsageError(f"driftscope run: --metrics-file {_printable(path)} is a folder; give "
                         "a file path such as textfile/driftscope.prom")
    blocked = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
    if blocked is not None:
        raise UsageError(f"driftscope run: --metrics-file {_printable(path)}: {blocked} is a "
                         "file, not a folder")


def _write_metrics(path: str, result: Any) -> None:
    """``--metrics-file``: the round's Prometheus metrics for node_exporter's textfile
    collector (:func:`driftscope.service.metrics.write_round_textfile`)."""
    from driftscope.service.metrics import write_round_textfile

    try:
        write_round_textfile(path, result)
    except OSError as err:
        raise UsageError(f"driftscope run: cannot write --metrics-file {path} "
                         f"({err.strerror or err.__class__.__name__}); choose another path "
                         "or fix the folder's permissions") from None


def _given(ns: argparse.Namespace, key: str) -> str:
    """How a setting of ``run`` was given, for messages: its flag or its key in the config."""
    if getattr(ns, key, None) is not None or ns.config is None:
        return f"--{key.replace('_', '-')}"
    return f"{key!r} in {ns.config}"


def _progress(cfg: Any) -> Any:
    """The progress display ``cfg.progress`` asks for (auto: when stderr is a terminal)."""
    from driftscope.progress import Progress

    return Progress(enabled=None if cfg.progress == "auto" else cfg.progress == "always")


@contextlib.contextmanager
def _writing(out: Path) -> Iterator[None]:
    """Writing the round's files and recording it: a folder that cannot be written is the
    user's to fix."""
    try:
        yield
    except OSError as err:
        where = err.filename or out
        raise UsageError(f"driftscope run: cannot write the report into {out} ({where}: "
                         f"{err.strerror or err.__class__.__name__}); choose another --out "
                         "or fix the folder's permissions") from None
