"""Synthetic credit-application population for the bundled demo.

The generator works in four stages, so that the production simulator can step in between
them without disturbing the others:

1. :func:`draw_applicants` draws the applicants' *true* attributes, plus hidden columns
   (prefixed with ``_``) that the label needs but a lender never sees: a latent credit
   quality, an unobserved risk shock and the uniform draw that decides the outcome.
2. A scenario may change the population (covariate shift).
3. :func:`assign_default` turns the true attributes into a default probability and the
   ``default`` label ("good" / "bad"); see :mod:`driftscope.demo.truth`.
4. :func:`report` hides what real application forms leave blank (income not declared,
   housing not filled in) and drops the hidden columns. A scenario may corrupt the data
   further (a source stops sending a field) before or after this step.

Every stage draws from its own random stream, so two scenarios run with the same seed share
the same applicants and differ only in what the scenario changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from driftscope.demo import truth

__all__ = [
    "CATEGORIES",
    "COLUMNS",
    "POSITIVE_CLASS",
    "REFERENCE_END",
    "REFERENCE_START",
    "TARGET",
    "Streams",
    "assign_default",
    "draw_applicants",
    "generate_population",
    "report",
]

TARGET = "default"
"""Name of the target column."""

POSITIVE_CLASS = "bad"
"""The class the model scores (a defaulted loan); the other class is ``"good"``."""

REFERENCE_START = pd.Timestamp("2024-01-01")
"""First instant of the reference (training) period."""

REFERENCE_END = pd.Timestamp("2025-01-01")
"""End (exclusive) of the reference period; production batches start here."""

TERMS = (12, 24, 36, 48, 60)

CATEGORIES: dict[str, tuple[str, ...]] = {
    "employment_type": ("salaried", "self_employed", "contractor", "unemployed", "retired"),
    "housing": ("rent", "owner", "mortgage", "parents", "other"),
    "credit_purpose": (
        "car",
        "home_improvement",
        "debt_consolidation",
        "education",
        "medical",
        "business",
        "other",
    ),
    "region": ("capital", "north", "south", "east", "west"),
    "channel": ("online", "branch", "broker"),
}
"""The categories each categorical column takes in the reference population."""

COLUMNS: tuple[str, ...] = (
    "application_date",
    "age",
    "employment_type",
    "seniority_years",
    "income",
    "housing",
    "dependents",
    "region",
    "channel",
    "open_loans",
    "debt",
    "delinquencies",
    "bureau_score",
    "credit_purpose",
    "loan_amount",
    "term_months",
    "interest_rate",
    TARGET,
)
"""The columns of a generated population, in order."""

_PURPOSE_SHARE = (0.25, 0.15, 0.25, 0.08, 0.07, 0.08, 0.12)
_PURPOSE_AMOUNT = {
    "car": 15_000.0,
    "home_improvement": 12_000.0,
    "debt_consolidation": 10_000.0,
    "education": 8_000.0,
    "medical": 4_000.0,
    "business": 20_000.0,
    "other": 5_000.0,
}
_PURPOSE_MARKUP = {
    "car": -0.8,
    "home_improvement": -0.3,
    "debt_consolidation": 0.5,
    "education": -0.5,
    "medical": 0.8,
    "business": 1.2,
    "other": 1.0,
}


@dataclass(frozen=True)
class Streams:
    """Independent random generators for the stages of one generated batch.

    Parameters
    ----------
    applicants, shift, label, report, corrupt
        One generator per stage (see the module docstring).
    """

    applicants: np.random.Generator
    shift: np.random.Generator
    label: np.random.Generator
    report: np.random.Generator
    corrupt: np.random.Generator

    @classmethod
    def from_entropy(cls, *entropy: int) -> Streams:
        """Spawn the five streams from one :class:`numpy.random.SeedSequence`.

        Parameters
        ----------
        *entropy
            Non-negative integers that identify the batch (seed, batch number, ...).

        Returns
        -------
        Streams
            Five independent generators, the same for the same ``entropy``.
        """
        children = np.random.SeedSequence(list(entropy)).spawn(5)
        gens = [np.random.default_rng(child) for child in children]
        return cls(*gens)


def _choice(rng: np.random.Generator, options: tuple[str, ...], p: np.ndarray) -> np.ndarray:
    """Draw one option per row, with row-specific probabilities ``p`` (rows sum to 1)."""
    cumulative = np.cumsum(p, axis=1)
    cumulative[:, -1] = 1.0
    u = rng.random(len(p))[:, None]
    idx = (u > cumulative).sum(axis=1)
    return np.asarray(options, dtype=object)[idx]


def _dates(rng: np.random.Generator, n: int, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    span = (end - start).total_seconds()
    seconds = np.sort(rng.random(n) * span).astype("int64")
    return pd.Series(start + pd.to_timedelta(seconds, unit="s"), name="application_date")


def draw_applicants(
    rng: np.random.Generator, n: int, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Draw the true attributes of ``n`` applicants who applied in ``[start, end)``.

    Parameters
    ----------
    rng
        Random generator (the ``applicants`` stream).
    n
        Number of applicants.
    start, end
        Application period; dates are spread uniformly over it and sorted.

    Returns
    -------
    pandas.DataFrame
        All columns of :data:`COLUMNS` except the target, with no reporting gaps (only the
        structural ones: ``bureau_score`` of thin-file applicants, ``seniority_years`` of
        applicants without a job), plus hidden columns ``_quality``, ``_shock`` and ``_u``.
    """
    dates = _dates(rng, n, start, end)

    age = np.clip(np.round(rng.normal(41.0, 13.0, n)), 18, 85).astype("int64")

    # Employment depends on age: retirement from the late fifties on.
    p_emp = np.tile([0.64, 0.13, 0.13, 0.07, 0.03], (n, 1))
    p_emp[age < 25] = [0.58, 0.05, 0.22, 0.15, 0.0]
    p_emp[(age >= 58) & (age < 66)] = [0.50, 0.12, 0.06, 0.07, 0.25]
    p_emp[age >= 66] = [0.12, 0.08, 0.03, 0.02, 0.75]
    employment = _choice(rng, CATEGORIES["employment_type"], p_emp)
    has_job = ~np.isin(employment, ("unemployed", "retired"))

    seniority = np.minimum(rng.gamma(1.6, 3.5, n), age - 17.5)
    seniority = np.where(has_job, np.round(np.maximum(seniority, 0.1), 1), np.nan)

    emp_effect = (
        pd.Series(employment)
        .map(
            {
                "salaried": 0.0,
                "self_employed": 0.12,
                "contractor": 0.05,
                "unemployed": -0.85,
                "retired": -0.30,
            }
        )
        .to_numpy(dtype=float)
    )
    emp_sigma = np.where(employment == "self_employed", 0.65, 0.42)
    log_income = (
        np.log(2_600.0)
        + 0.018 * (age - 40)
        - 0.0006 * (age - 40) ** 2
        + emp_effect
        + emp_sigma * rng.standard_normal(n)
    )
    income = np.round(np.exp(log_income), -1).clip(300.0, None)

    p_house = np.tile([0.32, 0.22, 0.34, 0.07, 0.05], (n, 1))
    p_house[age < 26] = [0.45, 0.03, 0.07, 0.42, 0.03]
    p_house[age >= 60] = [0.20, 0.55, 0.18, 0.01, 0.06]
    housing = _choice(rng, CATEGORIES["housing"], p_house)

    dependents = np.minimum(rng.poisson(np.where((age > 27) & (age < 60), 1.1, 0.3)), 6)
    region = _choice(rng, CATEGORIES["region"], np.tile([0.26, 0.19, 0.22, 0.18, 0.15], (n, 1)))
    channel = _choice(rng, CATEGORIES["channel"], np.tile([0.45, 0.36, 0.19], (n, 1)))

    # Latent credit quality: what a bureau score measures with noise.
    quality = rng.standard_normal(n) + 0.012 * (age - 40) + 0.15 * (housing == "owner")
    open_loans = np.minimum(rng.poisson(np.exp(0.15 + 0.15 * rng.standard_normal(n))), 12)
    debt = open_loans * np.exp(np.log(210.0) + 0.55 * rng.standard_normal(n))
    mortgage = housing == "mortgage"
    debt = debt + np.where(
        mortgage, income * np.exp(np.log(0.22) + 0.3 * rng.standard_normal(n)), 0.0
    )
    debt = np.round(debt, 2)
    delinquencies = np.minimum(rng.poisson(np.exp(-1.9 - 0.9 * quality)), 9)

    thin_file = rng.random(n) < np.where(age < 25, 0.28, 0.05)
    score = 680.0 + 72.0 * quality + 22.0 * rng.standard_normal(n) - 18.0 * delinquencies
    bureau_score = np.where(thin_file, np.nan, np.round(np.clip(score, 300.0, 850.0)))

    purpose = _choice(rng, CATEGORIES["credit_purpose"], np.tile(_PURPOSE_SHARE, (n, 1)))
    base_amount = pd.Series(purpose).map(_PURPOSE_AMOUNT).to_numpy(dtype=float)
    amount = base_amount * (income / 2_600.0) ** 0.45 * np.exp(0.5 * rng.standard_normal(n))
    loan_amount = np.round(np.clip(amount, 500.0, 120_000.0), -2)

    position = (np.log(loan_amount) - np.log(1_500.0)) / (np.log(40_000.0) - np.log(1_500.0))
    term_idx = np.clip(np.round(position * 4 + 0.8 * rng.standard_normal(n)), 0, 4).astype(int)
    term_months = np.asarray(TERMS, dtype="int64")[term_idx]

    seen_quality = np.where(thin_file, -0.6, (bureau_score - 680.0) / 72.0)
    markup = pd.Series(purpose).map(_PURPOSE_MARKUP).to_numpy(dtype=float)
    rate = 7.5 - 2.1 * seen_quality + 0.03 * term_months + markup + 0.9 * rng.standard_normal(n)
    interest_rate = np.round(np.clip(rate, 2.9, 29.9), 2)

    return pd.DataFrame(
        {
            "application_date": dates,
            "age": age,
            "employment_type": employment,
            "seniority_years": seniority,
            "income": income,
            "housing": housing,
            "dependents": dependents.astype("int64"),
            "region": region,
            "channel": channel,
            "open_loans": open_loans.astype("int64"),
            "debt": debt,
            "delinquencies": delinquencies.astype("int64"),
            "bureau_score": bureau_score,
            "credit_purpose": purpose,
            "loan_amount": loan_amount,
            "term_months": term_months,
            "interest_rate": interest_rate,
            "_quality": quality,
            "_shock": rng.standard_normal(n),
            "_u": rng.random(n),
        }
    )


def assign_default(frame: pd.DataFrame, *, concept: bool = False) -> pd.DataFrame:
    """Add the ground-truth default probability (``_p_default``) and the target.

    Parameters
    ----------
    frame
        Output of :func:`draw_applicants`, possibly changed by a scenario.
    concept
        Use the changed default behaviour of the ``concept`` scenario
        (:func:`driftscope.demo.truth.concept_logit`) instead of the reference one.

    Returns
    -------
    pandas.DataFrame
        A copy with ``_p_default`` and :data:`TARGET` ("good" / "bad") added.
    """
    logit = truth.concept_logit(frame) if concept else truth.reference_logit(frame)
    p = truth.sigmoid(logit)
    out = frame.copy()
    out["_p_default"] = p
    out[TARGET] = np.where(frame["_u"].to_numpy() < p, POSITIVE_CLASS, "good")
    return out


def report(
    frame: pd.DataFrame, rng: np.random.Generator, *, keep_probability: bool = False
) -> pd.DataFrame:
    """Return the frame as the lender receives it: blanks where forms have them.

    About 3 % of applicants (8 % of the self-employed) do not declare their income and
    1.5 % leave housing blank. Hidden columns are dropped.

    Parameters
    ----------
    frame
        Output of :func:`assign_default` (or of :func:`draw_applicants`, without a target).
    rng
        Random generator (the ``report`` stream).
    keep_probability
        Keep the ground-truth probability, renamed ``default_probability``.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`COLUMNS` present in ``frame`` (plus ``default_probability``
        when asked), in that order.
    """
    n = len(frame)
    u_income, u_housing = rng.random(n), rng.random(n)
    p_income = np.where(frame["employment_type"].to_numpy() == "self_employed", 0.08, 0.03)
    out = frame.copy()
    out.loc[u_income < p_income, "income"] = np.nan
    out.loc[u_housing < 0.015, "housing"] = np.nan
    columns = [c for c in COLUMNS if c in out.columns]
    if keep_probability and "_p_default" in out.columns:
        out["default_probability"] = out["_p_default"]
        columns.append("default_probability")
    return out[columns].reset_index(drop=True)


def generate_population(
    n: int,
    seed: int,
    *,
    start: pd.Timestamp = REFERENCE_START,
    end: pd.Timestamp = REFERENCE_END,
    include_probability: bool = False,
) -> pd.DataFrame:
    """Generate ``n`` credit applications with their outcome.

    Parameters
    ----------
    n
        Number of rows (at least 1).
    seed
        Seed; the same ``(n, seed)`` always gives the same frame.
    start, end
        Application period ``[start, end)``; the reference year 2024 by default.
    include_probability
        Add the ground-truth default probability as ``default_probability`` (useful to
        study the generator; never give it to a model).

    Returns
    -------
    pandas.DataFrame
        One row per application, sorted by ``application_date``, with the columns of
        :data:`COLUMNS`. The target ``default`` is "bad" for about one application in five.

    Examples
    --------
    >>> frame = generate_population(1000, seed=1)
    >>> sorted(frame["default"].unique())
    ['bad', 'good']
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    streams = Streams.from_entropy(int(seed), 0)
    frame = draw_applicants(streams.applicants, int(n), start, end)
    frame = assign_default(frame)
    return report(frame, streams.report, keep_probability=include_probability)
