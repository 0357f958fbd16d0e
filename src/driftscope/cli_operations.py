"""``driftscope labels`` (late labels attached to recorded rounds) and ``driftscope watch``
(a round for each file that lands in a folder): argv -> library call -> printed summary."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from driftscope.cli_errors import EXIT_OK, UsageError
from driftscope.cli_errors import printable as _printable
from driftscope.cli_recording import default_history

__all__ = ["cmd_labels", "cmd_watch", "operations_commands"]


def operations_commands() -> dict[str, Callable[[argparse.Namespace], int]]:
    """The subcommands of this module, by name (merged into ``driftscope.cli.COMMANDS``)."""
    return {"labels": cmd_labels, "watch": cmd_watch}


def cmd_labels(ns: argparse.Namespace) -> int:
    """Attach the labels of ``--file`` to the recorded rounds; print matches and coverage."""
    from driftscope.inputs.readers import read_table
    from driftscope.labels import attach_labels
    from driftscope.store import HistoryNotFoundError, HistoryStore, mask_url
    from driftscope.store.row_log import targets

    url = ns.history or default_history("assets")
    if "://" not in url and not Path(url).expanduser().exists():
        raise UsageError(f"driftscope labels: no history at {url} yet; run 'driftscope run "
                         "--id-column ...' first, or pass --history URL")
    if not Path(ns.file).expanduser().is_file():
        raise UsageError(f"driftscope labels: --file {ns.file}: no such file")
    table = read_table(Path(ns.file).expanduser())
    try:
        store = HistoryStore(url)  # a writer: brings an older store to the new schema
    except HistoryNotFoundError:
        raise UsageError(f"driftscope labels: no history at {mask_url(url)} yet; run "
                         "'driftscope run --id-column ...' first, or pass --history URL"
                         ) from None
    try:
        label_column = ns.label_column
        if label_column is None:
            known = targets(store)
            if not known:
                raise UsageError("driftscope labels: no recorded round kept row ids (run "
                                 "rounds with --id-column), or none had a target; pass "
                                 "--label-column")
            label_column = known[0]
            if label_column not in table.column_names:
                raise UsageError(f"driftscope labels: {ns.file} has no column "
                                 f"{label_column!r} (the rounds' target); pass --label-column")
        report = attach_labels(store, table, id_column=ns.id_column, label_column=label_column)
    finally:
        store.close()
    if ns.format == "json":
        print(json.dumps(report.to_dict(), indent=2))
        return EXIT_OK
    print(f"driftscope labels: {report.labels} labelled id(s) in {_printable(ns.file)}: "
          f"{report.matched} matched a recorded row, {report.unmatched} unmatched"
          + (f"; {report.without_id} row(s) without an id and {report.without_label} "
             "without a label left out" if report.without_id or report.without_label else ""))
    if not report.rounds:
        print("  no recorded round kept these ids (rounds keep them with --id-column)")
    for r in report.rounds:
        perf = r.performance_status or "not recomputed (no predictions kept)"
        print(f"  {_printable(r.run_id)}: +{r.newly_labelled} labelled, {r.labelled}/{r.rows} "
              f"rows ({r.coverage:.1%}), performance {perf}, round {r.status}")
    return EXIT_OK


def cmd_watch(ns: argparse.Namespace) -> int:
    """Watch ``--folder``: a round per file that lands, until SIGINT/SIGTERM (or ``--once``)."""
    from driftscope.watch import watch_from_args

    return watch_from_args(ns)
