"""The scenarios of the demo's production simulator: how production differs from the reference.

A batch (:func:`driftscope.demo.simulate.simulate`) is generated like the reference
population (:mod:`driftscope.demo.population`) and then changed by a *scenario*. Scenarios step
in at three points:

- ``shift`` changes the applicants themselves, before outcomes are drawn, so the outcome
  follows the changed inputs through the unchanged default behaviour (covariate shift);
- ``corrupt`` changes what the lender receives, after outcomes are drawn (a broken feed);
- ``concept`` swaps the default behaviour itself (:func:`driftscope.demo.truth.concept_logit`).

Every scenario lists the raw input columns it moves in :attr:`Scenario.moves`; all other
input columns keep the reference distribution. With the same seed and batch, all scenarios
share the same applicants and the same dates, so a scenario differs from ``stable`` exactly
in the columns it moves (and in the outcome, which follows from them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["SCENARIOS", "Scenario", "Transform"]

Transform = Callable[[pd.DataFrame, np.random.Generator, float], pd.DataFrame]
"""``(frame, rng, intensity) -> frame``; ``intensity`` is in (0, 1], see
:func:`driftscope.demo.simulate.simulate`."""


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


def _on_copy(change: Callable[[pd.DataFrame, np.random.Generator, float], None]) -> Transform:
    """A :data:`Transform` that applies ``change`` in place to a copy of the frame."""

    def transform(frame: pd.DataFrame, rng: np.random.Generator, intensity: float) -> pd.DataFrame:
        out = frame.copy()
        change(out, rng, intensity)
        return out

    transform.__name__ = transform.__qualname__ = change.__name__
    transform.__doc__ = change.__doc__
    return transform


@_on_copy
def _gradual(out: pd.DataFrame, rng: np.random.Generator, intensity: float) -> None:
    _scale(out, "income", 1.0 + 0.30 * intensity, 10.0)
    _raise_rates(out, 1.2 * intensity)


@_on_copy
def _sudden(out: pd.DataFrame, rng: np.random.Generator, intensity: float) -> None:
    _scale(out, "income", 0.65, 10.0)
    _scale(out, "loan_amount", 1.8, 100.0)


@_on_copy
def _new_category(out: pd.DataFrame, rng: np.random.Generator, intensity: float) -> None:
    _relabel(out, rng, "credit_purpose", 0.10, "crypto")


@_on_copy
def _missing_spike(out: pd.DataFrame, rng: np.random.Generator, intensity: float) -> None:
    _blank(out, rng, "bureau_score", 0.35)


@_on_copy
def _demo_shift(out: pd.DataFrame, rng: np.random.Generator, intensity: float) -> None:
    _scale(out, "income", 1.45, 10.0)
    _scale(out, "loan_amount", 1.6, 100.0)
    _raise_rates(out, 1.1)
    _relabel(out, rng, "employment_type", 0.25, "contractor", among=["salaried"])
    _relabel(out, rng, "credit_purpose", 0.08, "crypto")


@_on_copy
def _demo_corrupt(out: pd.DataFrame, rng: np.random.Generator, intensity: float) -> None:
    _blank(out, rng, "bureau_score", 0.30)


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
