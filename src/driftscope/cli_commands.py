"""The commands of ``driftscope`` other than ``run``: baseline, report, simulate, history and
dashboard."""

from __future__ import annotations

import argparse
from pathlib import Path

from driftscope.cli_errors import EXIT_OK, UsageError
from driftscope.cli_parser import overrides
from driftscope.cli_recording import default_history


def cmd_baseline(ns: argparse.Namespace) -> int:
    """Profile the reference once and save the baseline into ``--out``."""
    from driftscope.baseline import check_baseline_target, save_baseline
    from driftscope.config.loader import load_config
    from driftscope.monitor import Monitor

    cfg = load_config(ns.config, overrides(ns))
    if cfg.reference is None:
        raise UsageError("driftscope baseline: --reference (or --reference-sql) is required")
    check_baseline_target(ns.out)  # refuse before the work, not after it
    monitor = Monitor(cfg)  # its progress display is the one cfg.progress asks for
    bl = monitor.baseline
    monitor.progress.close()
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
    """Re-render the HTML report from a saved JSON report."""
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
    """Write a simulated production batch of the demo (the simulator parses its options)."""
    from driftscope.demo.simulate import main as simulate_main

    return int(simulate_main(list(ns.args)))


def cmd_history(ns: argparse.Namespace) -> int:
    """Print the recorded rounds, or one feature's series, as a table, JSON or CSV."""
    from driftscope.outputs.history_report import history_report
    from driftscope.store import HistoryNotFoundError, HistoryStore, mask_url
    from driftscope.store.queries import MAX_LAST, shown

    if ns.last is not None and not 1 <= ns.last <= MAX_LAST:
        raise UsageError(f"driftscope history: --last must be a whole number of rounds from 1 "
                         f"to {MAX_LAST}, got {shown(ns.last)} (see driftscope history --help)")
    url = ns.history or default_history("assets")
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
    """Start the Streamlit dashboard over a history."""
    from driftscope.dashboard import launch

    history = ns.history or default_history(ns.assets or "assets")
    assets = ns.assets
    if assets is None:  # the PNGs of a round sit next to its history file by default
        assets = str(Path(history).expanduser().parent) if "://" not in history else "assets"
    return int(launch(history, port=ns.port, refresh_seconds=ns.refresh, assets_dir=assets,
                      host=ns.host))


def _is_our_report(path: Path) -> bool:
    """An HTML page driftscope wrote (its generator tag near the top), safe to replace."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError:
        return False
    return b'<meta name="generator" content="driftscope' in head
