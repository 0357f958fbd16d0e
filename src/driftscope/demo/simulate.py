"""Production simulator of the demo: batches of credit applications after the reference year.

A batch is generated like the reference population (:mod:`driftscope.demo.population`) and
then changed by a *scenario* (:mod:`driftscope.demo.scenarios`, whose :data:`SCENARIOS` and
:class:`Scenario` are re-exported here). With the same seed and batch, all scenarios share the
same applicants and the same dates, so a scenario differs from ``stable`` exactly in the
columns it moves (and in the outcome, which follows from them).

Batch ``k`` of a run covers calendar month ``k + 1`` after the reference period, i.e.
``[2025-01-01 + k months, 2025-01-01 + (k + 1) months)``.

Command line (wired into ``driftscope simulate``)::

    driftscope simulate --scenario NAME --rows N --seed S --out batch.parquet \
        [--batch K --n-batches N] [--no-labels]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from driftscope.demo.population import (
    REFERENCE_END,
    TARGET,
    Streams,
    assign_default,
    draw_applicants,
    report,
)
from driftscope.demo.scenarios import SCENARIOS, Scenario
from driftscope.errors import ConfigError
from driftscope.inputs.readers import write_parquet
from driftscope.outputs.atomic import atomic_open

__all__ = ["SCENARIOS", "Scenario", "batch_period", "main", "simulate"]


# ---------------------------------------------------------------------------- simulation


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{name} must be an integer of at least {minimum}, got {value!r}")
    return int(value)


def _scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except (KeyError, TypeError):
        raise ConfigError(
            f"unknown scenario {name!r}; valid scenarios: {', '.join(sorted(SCENARIOS))}"
        ) from None


def batch_period(batch: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The application period ``[start, end)`` of production batch ``batch``.

    Parameters
    ----------
    batch
        Batch number, 0 for the first month after the reference period.

    Returns
    -------
    tuple of pandas.Timestamp
        Start and (exclusive) end of the calendar month ``batch + 1`` after the reference.
    """
    start = REFERENCE_END + pd.DateOffset(months=batch)
    return start, start + pd.DateOffset(months=1)


def simulate(
    scenario: str,
    rows: int,
    seed: int,
    batch: int = 0,
    n_batches: int = 1,
    labels: bool = True,
) -> pd.DataFrame:
    """Generate one production batch under a scenario.

    Parameters
    ----------
    scenario
        A key of :data:`SCENARIOS`.
    rows
        Number of applications (at least 1).
    seed
        Non-negative seed; the same arguments always give the same frame. Batches are drawn
        independently of the reference population, even with the reference's seed.
    batch
        Batch number in ``range(n_batches)``; sets the period (month ``batch + 1`` after the
        reference) and, for progressive scenarios, the intensity
        ``(batch + 1) / n_batches``.
    n_batches
        Number of batches of the run (at least 1).
    labels
        Keep the target column ``default``; False drops it (unlabelled production data).

    Returns
    -------
    pandas.DataFrame
        The columns of the reference population (without ``default`` when ``labels`` is
        False), sorted by ``application_date``.

    Raises
    ------
    driftscope.errors.ConfigError
        For an unknown scenario (the message lists the valid ones) or an invalid number.
    """
    chosen = _scenario(scenario)
    rows = _check_int("rows", rows, 1)
    seed = _check_int("seed", seed, 0)
    n_batches = _check_int("n_batches", n_batches, 1)
    batch = _check_int("batch", batch, 0)
    if batch >= n_batches:
        raise ConfigError(
            f"batch must be below n_batches (batches are numbered 0..{n_batches - 1}), "
            f"got batch {batch}"
        )
    intensity = (batch + 1) / n_batches
    streams = Streams.from_entropy(seed, 1, batch)
    start, end = batch_period(batch)
    frame = draw_applicants(streams.applicants, rows, start, end)
    if chosen.shift is not None:
        frame = chosen.shift(frame, streams.shift, intensity)
    frame = assign_default(frame, concept=chosen.concept)
    frame = report(frame, streams.report)
    if chosen.corrupt is not None:
        frame = chosen.corrupt(frame, streams.corrupt, intensity)
    if not labels:
        frame = frame.drop(columns=[TARGET])
    return frame


# ---------------------------------------------------------------------------- command line

_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


class _Parser(argparse.ArgumentParser):
    """Argument parser that raises :class:`ConfigError` instead of exiting."""

    def error(self, message: str) -> Any:
        raise ConfigError(f"driftscope simulate: {message} (see --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="driftscope simulate",
        description="Write one simulated production batch of the demo credit data.",
        epilog="scenarios: " + ", ".join(sorted(SCENARIOS)) + " (see --list)",
    )
    parser.add_argument("--scenario", default="demo", help="scenario name (default: demo)")
    parser.add_argument("--rows", type=int, default=5000, help="rows to write (default 5000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, help="output file, .parquet/.pq or .csv")
    parser.add_argument("--batch", type=int, default=0, help="batch number (default 0)")
    parser.add_argument("--n-batches", type=int, default=1, help="batches in the run (default 1)")
    parser.add_argument(
        "--no-labels", action="store_true", help="leave out the target column 'default'"
    )
    parser.add_argument(
        "--list", action="store_true", help="list the scenarios and what they move, then exit"
    )
    return parser


def _write(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "parquet":
        with atomic_open(path, "wb") as fh:
            write_parquet(frame, fh)  # with page checksums, which read_table verifies
    else:
        with atomic_open(path, "w") as fh:
            frame.to_csv(fh, index=False)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of the simulator (``driftscope simulate ...``).

    Parameters
    ----------
    argv
        Arguments after ``simulate``; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        0 when the batch was written (or the list / help printed).

    Raises
    ------
    driftscope.errors.ConfigError
        On a bad argument, an unknown scenario or an unsupported output extension.
    """
    parser = _parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    if args.list:
        for scenario in SCENARIOS.values():
            moved = ", ".join(scenario.moves) or "no input column"
            behaviour = " and the default behaviour" if scenario.concept else ""
            print(f"{scenario.name}: moves {moved}{behaviour}")
            print(f"    {scenario.description}")
        return 0
    if args.out is None:
        raise ConfigError("driftscope simulate: --out is required (a .parquet or .csv file)")
    fmt = _FORMATS.get(args.out.suffix.lower())
    if fmt is None:
        raise ConfigError(
            f"driftscope simulate: cannot write {str(args.out)!r}; use an output file ending "
            f"in {', '.join(_FORMATS)}"
        )
    frame = simulate(
        args.scenario,
        args.rows,
        args.seed,
        batch=args.batch,
        n_batches=args.n_batches,
        labels=not args.no_labels,
    )
    _write(frame, args.out, fmt)
    print(
        f"wrote {len(frame)} rows of scenario {args.scenario!r} (batch {args.batch} of "
        f"{args.n_batches}, labels {'withheld' if args.no_labels else 'included'}) to {args.out}"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
