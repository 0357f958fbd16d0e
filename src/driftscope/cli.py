"""The ``driftscope`` command: argv -> config -> Monitor -> outputs -> exit code.

Exit codes: 0 the command ran (whatever the round found); 1 ``--fail-on`` level reached;
2 bad input or usage (one line on stderr, no traceback); 3 an internal error.

The command is split by purpose:

========================  ==================================================================
``cli_parser``            every subcommand, flag and help text (:func:`build_parser`)
``cli_run``               ``run``: one round or a backfill over chunks
``cli_recording``         the history store a run records into
``cli_summary``           what ``run`` prints: the summary of a round or a backfill
``cli_commands``          ``baseline``, ``report``, ``simulate``, ``history``, ``dashboard``
``cli_errors``            exit codes, :class:`UsageError`, errors turned into one line
``service.command``       ``serve``: the ingestion service (:mod:`driftscope.service`)
========================  ==================================================================

This module parses argv and dispatches; :func:`main` is the console entry point.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from driftscope.cli_commands import (
    cmd_baseline,
    cmd_dashboard,
    cmd_history,
    cmd_report,
    cmd_simulate,
)
from driftscope.cli_errors import (
    EXIT_FAIL_ON,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    report_error,
)
from driftscope.cli_operations import operations_commands
from driftscope.cli_parser import build_parser
from driftscope.cli_run import cmd_run
from driftscope.service.command import cmd_serve

__all__ = ["COMMANDS", "EXIT_FAIL_ON", "EXIT_INTERNAL", "EXIT_OK", "EXIT_USAGE", "UsageError",
           "build_parser", "main"]

Command = Callable[[argparse.Namespace], int]

COMMANDS: dict[str, Command] = {
    "run": cmd_run, "baseline": cmd_baseline, "report": cmd_report, "simulate": cmd_simulate,
    "history": cmd_history, "dashboard": cmd_dashboard,
}
COMMANDS.update(operations_commands())
COMMANDS["serve"] = cmd_serve


def _guarded(command: Command, ns: argparse.Namespace) -> int:
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
    except (Exception, KeyboardInterrupt) as err:  # one line and an exit code, no traceback
        return report_error(err, debug)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
