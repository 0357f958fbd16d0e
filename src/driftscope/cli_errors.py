"""Exit codes of the ``driftscope`` command and how an error becomes one.

Exit codes: 0 the command ran (whatever the round found); 1 ``--fail-on`` level reached;
2 bad input or usage (one line on stderr, no traceback); 3 an internal error; 130
interrupted. :func:`report_error` turns any error that escapes a command into its one line
and its code.
"""

from __future__ import annotations

import os
import sys
import traceback

from driftscope.errors import DriftscopeError

EXIT_OK, EXIT_FAIL_ON, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad usage the user can fix: its message is printed as it is, exit 2."""


def printable(text: str) -> str:
    """``text`` for the terminal: control characters and bidi overrides shown as escapes."""
    from driftscope.outputs.text import printable

    return printable(text)


def printable_error(text: str) -> str:
    """An error message for the terminal: control characters visible, at most 2,000
    characters, one line."""
    from driftscope.outputs.text import printable

    return printable(text, 2000)


def report_error(err: BaseException, debug: bool) -> int:
    """Print ``err`` on stderr as one line and return the exit code it means.

    Call it from the ``except`` block that caught ``err``: with ``debug`` the traceback being
    handled is printed first (for a driftscope or an internal error).
    """
    if isinstance(err, UsageError):
        print(printable_error(str(err)), file=sys.stderr)
        return EXIT_USAGE
    if isinstance(err, DriftscopeError):
        if debug:
            traceback.print_exc()
        message = printable_error(" ".join(str(err).split()))
        print(f"driftscope: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(err, KeyboardInterrupt):
        print("driftscope: interrupted; earlier results are intact", file=sys.stderr)
        return EXIT_INTERRUPTED
    if isinstance(err, RecursionError):
        print("driftscope: error: an input is nested too deeply to be read; check the files "
              "given", file=sys.stderr)
        return EXIT_USAGE
    # last resort: one line, not a traceback
    if debug:
        traceback.print_exc()
    print(f"driftscope: internal error: {err.__class__.__name__}: "
          f"{printable_error(str(err))} "
          "(rerun with --debug for the traceback and report it)", file=sys.stderr)
    return EXIT_INTERNAL


def say(text: str) -> None:
    """Print a line to stdout now. A reader that went away (``driftscope run … | head -1``)
    is not an error of the command: the rest of its output goes nowhere, and its exit code
    (``--fail-on``) stands."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
