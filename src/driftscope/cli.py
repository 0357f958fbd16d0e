"""The ``driftscope`` command: argv -> config -> pipeline -> outputs -> exit code.

Exit codes: 0 the command ran (whatever the round found); 1 ``--fail-on`` level reached;
2 bad input or usage (one line on stderr, no traceback); 3 an internal error.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from driftscope.errors import DriftscopeError

EXIT_OK, EXIT_FAIL_ON, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _add_round_args(p: argparse.ArgumentParser, policy: bool = True) -> None:
    """Flags shared by ``run`` and ``baseline``; ``policy`` adds those only a round uses."""
    p.add_argument("--reference", help="reference (training) data: CSV, Parquet or a folder")
    p.add_argument("--config", help="monitoring.yaml; flags win over its values")
    p.add_argument("--model", help="fitted model (.joblib/.pkl/.skops); loading runs its code")
    p.add_argument("--metadata", help="model metadata (JSON or YAML)")
    p.add_argument("--target", help="target column")
    p.add_argument("--positive-class", dest="positive_class", help="positive class label")
    p.add_argument("--feature-engineering", dest="feature_engineering",
                   help="'package.module:function' or a fitted transformer file")
    p.add_argument("--proba-column", dest="proba_column",
                   help="column with the logged probability of the positive class")
    p.add_argument("--prediction-column", dest="prediction_column",
                   help="column with the logged predicted class")
    p.add_argument("--timestamp-column", dest="timestamp_column",
                   help="time column: sets the round's window, used by --chunk-by")
    p.add_argument("--categorical", action="append", help="treat column (glob) as categorical")
    p.add_argument("--ignore", action="append", help="do not monitor column (glob)")
    if policy:  # a baseline holds profiles only: significance and draws act in the round
        p.add_argument("--significance", type=float, help="significance level (default 0.01)")
        p.add_argument("--seed", type=int, help="seed of the PSI significance draws (default 0)")
        p.add_argument("--ks", choices=("exact", "approximate"),
                       help="Kolmogorov-Smirnov from the sorted values (exact, default) or, "
                       "with --backend streaming, from quantile sketches (approximate)")
    p.add_argument("--workers", type=int, help="threads used for profiling (default: CPUs)")
    p.add_argument("--backend", help="how the data is profiled: local (in memory, default) or "
                   "streaming (files read by batch, bounded memory)")
    prog = p.add_mutually_exclusive_group()
    prog.add_argument("--progress", dest="progress", action="store_const", const="always",
                      help="always show progress")
    prog.add_argument("--no-progress", dest="progress", action="store_const", const="never",
                      help="never show progress")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="driftscope", description="Model monitoring: data drift, prediction "
                     "drift and performance of a classification model in production.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = sub.add_parser("run", help="run one monitoring round")
    _add_round_args(run)
    run.add_argument("--current", help="current (production) data: CSV, Parquet or a folder")
    run.add_argument("--baseline", help="saved baseline folder instead of --reference")
    run.add_argument("--out", help="output folder (default assets)")
    run.add_argument("--fail-on", dest="fail_on", choices=["warning", "critical"],
                     help="exit 1 when the round reaches this level")
    run.add_argument("--plots", choices=["drifted", "all", "none"],
                     help="PNG plots for drifted features (default), all, or none")
    run.add_argument("--plot-limit", dest="plot_limit", type=int, metavar="N",
                     help="draw at most N PNGs (default 50): the --plot ones, then the worst")
    run.add_argument("--plot", dest="plot_features", action="append", metavar="COLUMN",
                     help="also plot this column (glob; repeatable), whatever its status")
    run.add_argument("--no-html", dest="html", action="store_const", const=False,
                     help="do not write the HTML report")
    record = run.add_mutually_exclusive_group()
    record.add_argument("--history", help="history database URL or SQLite file "
                        "(default: <out>/driftscope_history.db, or in the folder above "
                        "per-run folders such as runs/2026-01-05)")
    record.add_argument("--no-history", action="store_true", help="do not record the round")
    run.add_argument("--history-init", dest="history_init", action="store_true",
                     help="add driftscope's tables to an existing database that holds other "
                     "tables (refused without this flag)")
    run.add_argument("--chunk-by", dest="chunk_by", choices=["day", "week", "month"],
                     help="split the current data into one round per period")
    run.add_argument("--chunk-size", dest="chunk_size", type=int,
                     help="split the current data into rounds of N rows")
    run.add_argument("--quiet", action="store_true", help="print nothing on success")

    base = sub.add_parser("baseline", help="profile the reference once and save it")
    _add_round_args(base, policy=False)
    base.add_argument("--out", required=True, help="baseline folder to write")

    rep = sub.add_parser("report", help="re-render the HTML report from a saved JSON report")
    rep.add_argument("--from", dest="source", required=True, help="drift_report.json")
    rep.add_argument("--out", required=True, help="HTML file to write")

    sim = sub.add_parser("simulate", help="write a simulated production batch (demo)",
                         add_help=False)
    sim.add_argument("args", nargs=argparse.REMAINDER)

    hist = sub.add_parser("history", help="print the recorded rounds")
    hist.add_argument("--history", help="history database URL or SQLite file "
                      "(default assets/driftscope_history.db, where 'driftscope run' records "
                      "with the default --out)")
    hist.add_argument("--feature", help="show this feature's series")
    hist.add_argument("--last", type=int, help="only the last N rounds")
    hist.add_argument("--format", choices=["table", "json", "csv"], default="table")

    dash = sub.add_parser("dashboard", help="start the Streamlit dashboard")
    dash.add_argument("--history", help="history database URL or SQLite file (default: "
                      "where a round written into --assets is recorded)")
    dash.add_argument("--port", type=int, default=8501)
    dash.add_argument("--host", default="127.0.0.1")
    dash.add_argument("--refresh", type=int, default=30, help="seconds between refreshes")
    dash.add_argument("--assets", help="folder with the PNG diagnostics (default: the "
                      "history file's folder, else ./assets)")
    return parser


_ROUND_KEYS = ("reference", "model", "metadata", "target", "positive_class",
               "feature_engineering", "proba_column", "prediction_column", "timestamp_column",
               "categorical", "ignore", "significance", "seed", "workers", "progress",
               "backend", "ks")


def _overrides(ns: argparse.Namespace, extra: Sequence[str] = ()) -> dict[str, Any]:
    return {k: getattr(ns, k) for k in (*_ROUND_KEYS, *extra) if getattr(ns, k, None) is not None}


def _default_history(out: str) -> str:
    """The history a round written into ``out`` records into when none is named (see
    :func:`driftscope.store.default_history_path`)."""
    from driftscope.store import default_history_path

    return str(default_history_path(out))


def _summary(result: Any, out: Path, html: bool = True) -> str:
    """The terminal summary of a round; every name and sentence from the data is made
    printable (control characters and bidi overrides shown as escapes, long values cut)."""
    from driftscope.limits import VALUE_IN_SENTENCE
    from driftscope.outputs.text import printable as p
    from driftscope.result import Severity

    def name(text: str) -> str:
        return p(text, VALUE_IN_SENTENCE)

    c = result.counts
    lines = [
        f"driftscope: round {result.run.id}: {result.status.value}",
        f"  features: {c.get('CRITICAL', 0)} CRITICAL, {c.get('WARNING', 0)} WARNING, "
        f"{c.get('NORMAL', 0)} NORMAL of {len(result.features)}",
    ]
    top = sorted((f for f in result.features if f.status is not Severity.NORMAL),
                 key=lambda f: (-f.status.rank, -f.metrics.psi))[:5]
    for f in top:
        lines.append(f"  - {name(f.name)}: {f.status.value} (PSI {f.metrics.psi:.3f})")
    # the prediction's verdict: the score of the positive class, else (multiclass without
    # one) the predicted classes and each class's probability, the worst of them
    shown = [c for c in (result.prediction,) if c is not None] or [
        c for c in (result.predicted_class, *getattr(result, "class_probabilities", ()))
        if c is not None]
    if shown:
        worst = max(shown, key=lambda c: (c.status.rank, c.metrics.psi))
        judged = "not judged, " if worst.reason.startswith("Not judged") else ""
        what = "" if worst is result.prediction else f"{name(worst.name)}, "
        lines.append(f"  prediction: {worst.status.value} "
                     f"({what}{judged}PSI {worst.metrics.psi:.3f})")
    if result.performance is not None:
        lines.append(f"  performance: {result.performance.status.value}")
    lines.append(f"  {p(result.recommendation, 1000)}")
    html_txt = f", {p(str(out / 'drift_report.html'), None)}" if html else ""
    lines.append(f"  report: {p(str(out / 'drift_report.json'), None)}{html_txt}")
    return "\n".join(lines)


def _progress(cfg: Any) -> Any:
    from driftscope.progress import Progress

    return Progress(enabled=None if cfg.progress == "auto" else cfg.progress == "always")


class _History:
    """The history store, opened only when the first round is recorded, so that a refused
    round leaves no new file behind."""

    def __init__(self, ns: argparse.Namespace, out: str) -> None:
        self.url = None if ns.no_history else (ns.history or _default_history(out))
        self.default = ns.history is None  # then it is in out or a folder above it
        self.init = bool(getattr(ns, "history_init", False))
        self.out = Path(out)
        self.store: Any = None
        if self.url is not None and "://" not in self.url and not self.default:
            folder = Path(self.url).expanduser().parent
            if not folder.is_dir() and folder.resolve() != Path(out).resolve():
                raise UsageError(f"driftscope run: --history {self.url}: the folder {folder} "
                                 "does not exist; create it or choose another path")

    def record(self, result: Any) -> None:
        if self.url is None:
            return
        if self.store is None:
            from driftscope.store import HistoryStore

            if "://" not in self.url and (self.default or Path(self.url).expanduser().parent
                                          .resolve() == self.out.resolve()):
                # the default place: --out, or the folder holding per-run --out folders
                Path(self.url).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self.store = HistoryStore(self.url, init=self.init)
        self.store.record(result)

    def contains(self, run_id: str) -> bool:
        """Whether the store already holds this round (read only; creates nothing)."""
        store = self.past()
        return bool(store is not None and store.contains(run_id))

    def past(self) -> Any:
        """The store to read earlier rounds from, or None when there is none yet (nothing is
        created by reading)."""
        if self.url is None:
            return None
        if self.store is not None:
            return self.store
        from driftscope.store import HistoryForeignError, HistoryNotFoundError, HistoryStore

        if "://" not in self.url and not Path(self.url).expanduser().exists():
            return None  # the first round creates it
        try:
            self.store = HistoryStore(self.url, create=False)
        except HistoryNotFoundError:
            return None  # nothing recorded yet: the first round creates it
        except HistoryForeignError as err:
            if not err.tables:  # not a database at all: --history-init cannot help
                raise
            if self.init:  # adopted when the round is recorded
                return None
            # refused before any work, so nothing is replaced
            raise UsageError(f"driftscope run: {str(err).rstrip('.')}, or pass --history-init "
                             "to add driftscope's tables to it") from None
        return self.store

    def close(self) -> None:
        if self.store is not None and hasattr(self.store, "close"):
            self.store.close()


def cmd_run(ns: argparse.Namespace) -> int:
    from driftscope.config.loader import load_config
    from driftscope.monitor import Monitor
    from driftscope.outputs.writer import write_outputs
    from driftscope.result import Severity

    cfg = load_config(ns.config, _overrides(ns, ("current", "baseline", "out", "fail_on",
                                                 "plots", "plot_limit", "plot_features", "html")))
    if cfg.current is None:
        raise UsageError("driftscope run: --current is required (or 'current' in the config)")
    if cfg.reference is None and cfg.baseline is None:
        raise UsageError("driftscope run: give --reference or --baseline")
    if cfg.reference is not None and cfg.baseline is not None:
        raise UsageError(f"driftscope run: {_given(ns, 'reference')} and "
                         f"{_given(ns, 'baseline')} are both given; choose one (a baseline "
                         "already holds the profile of its reference)")
    history = _History(ns, cfg.out)
    out = Path(cfg.out)
    try:
        if ns.chunk_by is not None or ns.chunk_size is not None:
            backfill = _backfill(ns, cfg, out, history, Monitor)
            reached = backfill.status
            worst = backfill.worst
            what = f"chunk {worst.index}/{len(backfill.rounds)} {_printable(worst.chunk.label)}"
            summary = _backfill_summary(backfill, out, cfg.html)
        else:
            with _writing(out):
                monitor = Monitor(cfg, history=history.past(), progress=_progress(cfg))
                written = write_outputs(monitor.run(), out, cfg,
                                        history if history.url is not None else None)
            reached = written.result.status
            what = "round"
            summary = _summary(written.result, out, cfg.html)
    finally:
        history.close()
    if not ns.quiet:
        print(summary)
        if history.url is not None:
            from driftscope.store import mask_url

            print(f"  history: {_printable(mask_url(history.url))}")
    if cfg.fail_on is not None:  # with chunks: the worst chunk decides
        level = Severity.WARNING if cfg.fail_on == "warning" else Severity.CRITICAL
        if reached.rank >= level.rank:
            print(f"driftscope: {what} status {reached.value} reached --fail-on "
                  f"{cfg.fail_on}: exit {EXIT_FAIL_ON}", file=sys.stderr)
            return EXIT_FAIL_ON
    return EXIT_OK


def _backfill(ns: argparse.Namespace, cfg: Any, out: Path, history: _History,
              monitor_type: Any) -> Any:
    """``--chunk-by`` / ``--chunk-size``: every chunk a round with its own report under
    ``<out>/chunks/``, then the top-level report (see :mod:`driftscope.backfill`)."""
    from driftscope.backfill import plan_backfill, run_backfill
    from driftscope.inputs.readers import read_table

    plan = plan_backfill(read_table(cfg.current), ns.chunk_by, cfg.timestamp_column,
                         ns.chunk_size, str(cfg.current))
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
                  f"{done.result.status.value} ({done.chunk.table.num_rows} rows)")

    with _writing(out):
        return run_backfill(plan, monitor, out,
                            history=history if history.url is not None else None,
                            read_history=history.past, source=str(cfg.current), on_chunk=said)


def _backfill_summary(backfill: Any, out: Path, html: bool) -> str:
    """The terminal summary of a backfill: the verdict of the worst chunk first, with its
    details and report, then where the latest chunk and every chunk's report are."""
    from driftscope.outputs.text import printable as p
    from driftscope.result import Severity

    rounds = backfill.rounds
    n = len(rounds)
    counts = {level: sum(r.result.status is level for r in rounds) for level in Severity}
    by = backfill.top.result.backfill
    how = f" by {by.chunk_by}" if by.chunk_by else f" of {by.chunk_size} rows"
    worst, latest = backfill.worst, rounds[-1]
    lines = [f"driftscope: backfill of {n} chunk{'s' if n != 1 else ''}{how}: "
             f"{backfill.status.value} (the worst chunk)",
             f"  chunks: {counts[Severity.CRITICAL]} CRITICAL, {counts[Severity.WARNING]} "
             f"WARNING, {counts[Severity.NORMAL]} NORMAL"]
    block = _summary(worst.result, worst.written.folder, html).splitlines()
    lines.append(f"  worst chunk {worst.index}/{n} {p(worst.chunk.label)}: "
                 f"{worst.result.status.value}")
    lines += ["  " + line for line in block[1:]]
    lines.append(f"  latest chunk {n}/{n} {p(latest.chunk.label)}: "
                 f"{latest.result.status.value}")
    html_txt = f", {p(str(out / 'drift_report.html'), None)}" if html else ""
    lines.append(f"  report: {p(str(out / 'drift_report.json'), None)}{html_txt} (the latest "
                 f"chunk; lists and links all {n} chunk reports in "
                 f"{p(str(out / 'chunks'), None)})")
    return "\n".join(lines)


def _printable(text: str) -> str:
    from driftscope.outputs.text import printable

    return printable(text)


def _is_our_report(path: Path) -> bool:
    """An HTML page driftscope wrote (its generator tag near the top), safe to replace."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError:
        return False
    return b'<meta name="generator" content="driftscope' in head


def _printable_error(text: str) -> str:
    """An error message for the terminal: control characters visible, at most 2,000
    characters, one line."""
    from driftscope.outputs.text import printable

    return printable(text, 2000)


def _given(ns: argparse.Namespace, key: str) -> str:
    """How a setting of ``run`` was given, for messages: its flag or its key in the config."""
    if getattr(ns, key, None) is not None or ns.config is None:
        return f"--{key.replace('_', '-')}"
    return f"{key!r} in {ns.config}"


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


def cmd_baseline(ns: argparse.Namespace) -> int:
    from driftscope.baseline import check_baseline_target, save_baseline
    from driftscope.config.loader import load_config
    from driftscope.monitor import Monitor

    overrides = _overrides(ns)
    cfg = load_config(ns.config, overrides)
    if cfg.reference is None:
        raise UsageError("driftscope baseline: --reference is required")
    check_baseline_target(ns.out)  # refuse before the work, not after it
    progress = _progress(cfg)
    bl = Monitor(cfg, progress=progress).baseline
    progress.close()
    try:
        path = save_baseline(bl, ns.out)
    except OSError as err:
        raise UsageError(f"driftscope baseline: cannot write the baseline into {ns.out} "
                         f"({err.strerror or err.__class__.__name__}); choose another --out "
                         "or fix the folder's permissions") from None
    print(f"driftscope: baseline of {bl.rows} rows, {len(bl.by_origin('raw'))} columns "
          f"written to {path}")
    return EXIT_OK


def cmd_report(ns: argparse.Namespace) -> int:
    from driftscope.outputs.html import report_from_json

    out = Path(ns.out)
    if out.is_dir():
        raise UsageError(f"driftscope report: --out {ns.out} is a folder; give the HTML file "
                         f"to write, e.g. --out {out / 'drift_report.html'}")
    if not out.parent.is_dir():
        raise UsageError(f"driftscope report: --out {ns.out}: the folder {out.parent} does not "
                         "exist; create it first or choose another path")
    if out.exists() and not _is_our_report(out):
        raise UsageError(f"driftscope report: --out {ns.out} exists and is not an HTML report "
                         "driftscope wrote; nothing was written. Choose a new file name")
    report_from_json(ns.source, ns.out)
    print(f"driftscope: report written to {ns.out}")
    return EXIT_OK


def cmd_simulate(ns: argparse.Namespace) -> int:
    from driftscope.demo.simulate import main as simulate_main

    return int(simulate_main(list(ns.args)))


def cmd_history(ns: argparse.Namespace) -> int:
    from driftscope.outputs.history_report import history_report
    from driftscope.store import HistoryNotFoundError, HistoryStore, mask_url
    from driftscope.store.queries import MAX_LAST, shown

    if ns.last is not None and not 1 <= ns.last <= MAX_LAST:
        raise UsageError(f"driftscope history: --last must be a whole number of rounds from 1 "
                         f"to {MAX_LAST}, got {shown(ns.last)} (see driftscope history --help)")
    url = ns.history or _default_history("assets")
    if "://" not in url and not Path(url).expanduser().exists():
        raise UsageError(f"driftscope history: no history at {url} yet; run 'driftscope run' "
                         "first, or pass --history URL")
    try:
        store = HistoryStore(url, create=False)
    except HistoryNotFoundError:
        raise UsageError(f"driftscope history: no history at {mask_url(url)} yet; run "
                         "'driftscope run' first, or pass --history URL") from None
    try:
        print(history_report(store, ns.feature, ns.last, ns.format))
    finally:
        store.close()
    return EXIT_OK


def cmd_dashboard(ns: argparse.Namespace) -> int:
    from driftscope.dashboard import launch

    history = ns.history or _default_history(ns.assets or "assets")
    assets = ns.assets
    if assets is None:  # the PNGs of a round sit next to its history file by default
        assets = str(Path(history).expanduser().parent) if "://" not in history else "assets"
    return int(launch(history, port=ns.port, refresh_seconds=ns.refresh, assets_dir=assets,
                      host=ns.host))


def _guarded(command: Any, ns: argparse.Namespace) -> int:
    """Run a command; a ``SystemExit`` from code the command called (a model, a feature
    function, a module it imports) is not an exit of driftscope: it is bad input."""
    try:
        return int(command(ns))
    except SystemExit as err:
        if command is cmd_simulate and err.code in (0, None):  # the simulator's --help
            return EXIT_OK
        if command is cmd_simulate and isinstance(err.code, int):
            return err.code
        raise UsageError(f"driftscope: error: code called during the round exited "
                         f"(sys.exit({err.code!r})); nothing was written. Check the model "
                         "and the feature engineering") from None


COMMANDS = {"run": cmd_run, "baseline": cmd_baseline, "report": cmd_report,
            "simulate": cmd_simulate, "history": cmd_history, "dashboard": cmd_dashboard}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``driftscope`` command; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    try:
        parser = build_parser()
        if args and args[0] == "simulate":  # the simulator parses its own options
            return _guarded(cmd_simulate, argparse.Namespace(args=args[1:]))
        try:
            ns = parser.parse_args(args)
        except SystemExit as err:  # argparse --help
            return int(err.code or 0) if not isinstance(err.code, str) else EXIT_USAGE
        if ns.version:
            from driftscope import __version__

            print(f"driftscope {__version__}")
            return EXIT_OK
        if ns.command is None:
            parser.print_help()
            return EXIT_USAGE
        return _guarded(COMMANDS[ns.command], ns)
    except UsageError as err:
        print(_printable_error(str(err)), file=sys.stderr)
        return EXIT_USAGE
    except DriftscopeError as err:
        if debug:
            traceback.print_exc()
        message = _printable_error(" ".join(str(err).split()))
        print(f"driftscope: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("driftscope: interrupted; earlier results are intact", file=sys.stderr)
        return 130
    except RecursionError:
        print("driftscope: error: an input is nested too deeply to be read; check the files "
              "given", file=sys.stderr)
        return EXIT_USAGE
    except Exception as err:  # noqa: BLE001 - last resort: one line, not a traceback
        if debug:
            traceback.print_exc()
        print(f"driftscope: internal error: {err.__class__.__name__}: "
              f"{_printable_error(str(err))} "
              "(rerun with --debug for the traceback and report it)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
