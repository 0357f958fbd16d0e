"""Production simulator of the demo: batches of credit applications after the reference year.

A batch is generated like the reference population (:mod:`driftscope.demo.population`) and
then changed by a *scenario*. Scenarios step in at two points:

- ``shift`` changes the applicants themselves, before outcomes are drawn, so the outcome
  follows the changed inputs through the unchanged default behaviour (covariate shift);
- ``corrupt`` changes what the lender receives, after outcomes are drawn (a broken feed);
- ``concept`` swaps the default behaviour itself (:func:`driftscope.demo.truth.concept_logit`).

Every scenario lists the raw input columns it moves in :attr:`Scenario.moves`; all other
input columns keep the reference distribution. With the same seed and batch, all scenarios
share the same applicants and the same dates, so a scenario differs from ``stable`` exactly
in the columns it moves (and in the outcome, which follows from them).

Batch ``k`` of a run covers calendar month ``k + 1`` after the reference period, i.e.
``[2025-01-01 + k months, 2025-01-01 + (k + 1) months)``.

Command line (wired into ``driftscope simulate``)::

    driftscope simulate --scenario NAME --rows N --seed S --out batch.parquet \
        [--batch K --n-batches N] [--no-labels]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
from driftscope.errors import ConfigError
from driftscope.inputs.readers import write_parquet
from driftscope.outputs.atomic import atomic_open

__all__ = ["SCENARIOS", "Scenario", "batch_period", "main", "simulate"]

Transform = Callable[[pd.DataFrame, np.random.Generator, float], pd.DataFrame]
"""``(frame, rng, intensity) -> frame``; ``intensity`` is in (0, 1], see :func:`simulate`."""


@dataclass(frozen=True)
class Scenario:
    """One way production data can differ from the reference.

    Parameters
    ----------
    name
        Registry key (snake_case).
    description
        One paragraph: what happens in the world and what a monitor should see.
    moves
        Raw input columns whose distribution the scenario changes (the target is not listed:
        it follows from the inputs, or, when ``concept`` is true, from a new behaviour).
    shift
        Change of the applicants, applied before outcomes are drawn.
    corrupt
        Change of the delivered data, applied after outcomes are drawn.
    concept
        Draw outcomes from the changed default behaviour.
    """

    name: str
    description: str
    moves: tuple[str, ...]
    shift: Transform | None = None
    corrupt: Transform | None = None
    concept: bool = False


SCENARIOS: dict[str, Scenario] = {}
"""Every registered scenario, by name."""


def _register(scenario: Scenario) -> None:
    if scenario.name in SCENARIOS:
        raise ValueError(f"scenario {scenario.name!r} is already registered")
    SCENARIOS[scenario.name] = scenario


# ---------------------------------------------------------------------------- transforms


def _scale(frame: pd.DataFrame, column: str, factor: float | np.ndarray, step: float) -> None:
    """Multiply ``column`` by ``factor`` and round to ``step`` (in place on a copy)."""
    frame[column] = np.round(frame[column].to_numpy(dtype=float) * factor / step) * step


def _raise_rates(frame: pd.DataFrame, points: float) -> None:
    rate = frame["interest_rate"].to_numpy(dtype=float) + points
    frame["interest_rate"] = np.round(np.clip(rate, 2.9, 29.9), 2)


def _relabel(
    frame: pd.DataFrame,
    rng: np.random.Generator,
    column: str,
    share: float,
    value: str,
    among: Sequence[str] | None = None,
) -> None:
    """Set ``column`` to ``value`` in a random ``share`` of the rows (of the ``among`` rows)."""
    eligible = np.ones(len(frame), dtype=bool)
    if among is not None:
        eligible = frame[column].isin(among).to_numpy()
    chosen = eligible & (rng.random(len(frame)) < share)
    values = frame[column].astype(object).to_numpy(copy=True)
    values[chosen] = value
    frame[column] = values


def _blank(frame: pd.DataFrame, rng: np.random.Generator, column: str, share: float) -> None:
    frame.loc[rng.random(len(frame)) < share, column] = np.nan


def _gradual(frame: pd.DataFrame, rng: np.random.Generator, intensity: float) -> pd.DataFrame:
    out = frame.copy()
    _scale(out, "income", 1.0 + 0.30 * intensity, 10.0)
    _raise_rates(out, 1.2 * intensity)
    return out


def _sudden(frame: pd.DataFrame, rng: np.random.Generator, intensity: float) -> pd.DataFrame:
    out = frame.copy()
    _scale(out, "income", 0.65, 10.0)
    _scale(out, "loan_amount", 1.8, 100.0)
    return out


def _new_category(frame: pd.DataFrame, rng: np.random.Generator, intensity: float) -> pd.DataFrame:
    out = frame.copy()
    _relabel(out, rng, "credit_purpose", 0.10, "crypto")
    return out


def _missing_spike(frame: pd.DataFrame, rng: np.random.Generator, intensity: float) -> pd.DataFrame:
    out = frame.copy()
    _blank(out, rng, "bureau_score", 0.35)
    return out


def _demo_shift(frame: pd.DataFrame, rng: np.random.Generator, intensity: float) -> pd.DataFrame:
    out = frame.copy()
    _scale(out, "income", 1.45, 10.0)
    _scale(out, "loan_amount", 1.6, 100.0)
    _raise_rates(out, 1.1)
    _relabel(out, rng, "employment_type", 0.25, "contractor", among=["salaried"])
    _relabel(out, rng, "credit_purpose", 0.08, "crypto")
    return out


def _demo_corrupt(frame: pd.DataFrame, rng: np.random.Generator, intensity: float) -> pd.DataFrame:
    out = frame.copy()
    _blank(out, rng, "bureau_score", 0.30)
    return out


_register(
    Scenario(
        name="stable",
        description=(
            "Production looks like the reference year: new applicants drawn from the same "
            "population with the same default behaviour. Every feature should stay NORMAL and "
            "performance should match the baseline up to sampling noise."
        ),
        moves=(),
    )
)
_register(
    Scenario(
        name="gradual",
        description=(
            "Slow inflation: declared incomes and interest rates creep up a little more with "
            "every batch. With intensity t = (batch + 1) / n_batches, income is multiplied by "
            "1 + 0.3 t and interest_rate rises by 1.2 t percentage points, so the last batch "
            "carries the full shift and earlier ones proportionally less. The outcome follows "
            "the inputs through the unchanged default behaviour."
        ),
        moves=("income", "interest_rate"),
        shift=_gradual,
    )
)
_register(
    Scenario(
        name="sudden",
        description=(
            "A new broker partnership brings a very different clientele overnight: incomes are "
            "35 % lower and requested loan amounts 80 % higher than in the reference. Both "
            "columns (and every engineered ratio built on them) should go CRITICAL; the default "
            "rate rises because the payment burden does."
        ),
        moves=("income", "loan_amount"),
        shift=_sudden,
    )
)
_register(
    Scenario(
        name="new_category",
        description=(
            "The product team opens lending for a purpose the model never saw: about 10 % of "
            'applications now have credit_purpose "crypto" (taken at random from the other '
            "purposes). The monitor should report the unseen share; the model's one-hot encoder "
            "ignores the new value."
        ),
        moves=("credit_purpose",),
        shift=_new_category,
    )
)
_register(
    Scenario(
        name="missing_spike",
        description=(
            "The credit-bureau feed fails for part of the traffic: bureau_score arrives empty for "
            "about 35 % of applications on top of the usual thin files (about 40 % missing in "
            "all). The applicants and their outcomes are unchanged; only the delivered data is "
            "worse, so the missing share should raise an alert and performance degrades."
        ),
        moves=("bureau_score",),
        corrupt=_missing_spike,
    )
)
_register(
    Scenario(
        name="concept",
        description=(
            "A regional downturn changes who defaults while the applicants look the same: "
            "defaults concentrate in the capital and the south, among renters, young and "
            "short-tenure workers, contractors and the self-employed, and the bureau score and "
            "payment burden lose most of their power. Every input keeps its distribution; with "
            "labels the realized performance drops clearly below the baseline."
        ),
        moves=(),
        concept=True,
    )
)
_register(
    Scenario(
        name="demo",
        description=(
            "The default batch of the bundled demo, showing every alert level at once. Strong "
            "drift (PSI > 0.25 on ~5000 rows): income x1.45 and loan_amount x1.6. Mild drift "
            "(PSI about 0.1-0.25): interest_rate +1.1 points and a quarter of the salaried "
            'applicants now contractors (employment_type). A new category: "crypto" in about 8 % '
            "of credit_purpose. A missing-value spike: bureau_score empty for another 30 % of "
            "rows. Everything else (age, housing, region, channel, term, debt, ...) is stable."
        ),
        moves=(
            "income",
            "loan_amount",
            "interest_rate",
            "employment_type",
            "credit_purpose",
            "bureau_score",
        ),
        shift=_demo_shift,
        corrupt=_demo_corrupt,
    )
)


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
