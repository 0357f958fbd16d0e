"""Ground truth of the demo: how likely an applicant is to default.

The reference behaviour is a logistic model of sensible drivers — latent credit quality
(which the bureau score measures with noise), payment burden, past delinquencies,
employment, housing, purpose, age, job seniority, channel — plus an unobserved shock, so a
model trained on the observable columns reaches a ROC AUC near 0.8, not 1.

The ``concept`` scenario swaps in :func:`concept_logit`: the same applicants, but a shock
that changes who defaults (a downturn that hits the capital and the south, renters, young
and short-tenure workers, contractors and the self-employed, while the bureau score and the
payment burden lose much of their power). Inputs keep their distribution; a model trained on
the reference loses much of its ranking power.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["installment", "reference_logit", "concept_logit", "sigmoid"]

_INTERCEPT = -2.25

_EMPLOYMENT = {
    "salaried": 0.0,
    "self_employed": 0.25,
    "contractor": 0.3,
    "unemployed": 0.8,
    "retired": 0.05,
}
_HOUSING = {"rent": 0.15, "owner": -0.3, "mortgage": -0.15, "parents": 0.1, "other": 0.2}
_PURPOSE = {
    "car": -0.2,
    "home_improvement": -0.25,
    "debt_consolidation": 0.3,
    "education": 0.1,
    "medical": 0.2,
    "business": 0.35,
    "other": 0.1,
}
_UNKNOWN_PURPOSE = 0.6  # a purpose the reference never had (e.g. "crypto") is risky
_CHANNEL = {"online": 0.0, "branch": -0.1, "broker": 0.25}


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, ``1 / (1 + exp(-x))``."""
    return 1.0 / (1.0 + np.exp(-x))


def installment(amount: np.ndarray, annual_rate_pct: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Monthly annuity payment of a loan.

    Parameters
    ----------
    amount
        Principal.
    annual_rate_pct
        Nominal annual interest rate in percent.
    months
        Term in months.

    Returns
    -------
    numpy.ndarray
        ``amount * r / (1 - (1 + r) ** -months)`` with ``r`` the monthly rate, or
        ``amount / months`` when the rate is 0; NaN where an input is missing or the term
        is not positive.
    """
    amount = np.asarray(amount, dtype=float)
    r = np.asarray(annual_rate_pct, dtype=float) / 1200.0
    n = np.asarray(months, dtype=float)
    n = np.where(n > 0, n, np.nan)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        annuity = amount * r / (1.0 - (1.0 + r) ** -n)
        flat = amount / n
    return np.where(r == 0, flat, annuity)


def _mapped(
    frame: pd.DataFrame, column: str, effects: dict[str, float], default: float
) -> np.ndarray:
    values = frame[column].astype(object).map(effects)
    return values.fillna(default).to_numpy(dtype=float)


def _burden(frame: pd.DataFrame) -> np.ndarray:
    """Share of income that goes to debt service once the new loan is paid."""
    pay = installment(
        frame["loan_amount"].to_numpy(),
        frame["interest_rate"].to_numpy(),
        frame["term_months"].to_numpy(),
    )
    income = frame["income"].to_numpy(dtype=float)
    return np.clip((frame["debt"].to_numpy(dtype=float) + pay) / income, 0.0, 2.0)


def reference_logit(frame: pd.DataFrame) -> np.ndarray:
    """Log-odds of default under the reference (training-time) behaviour.

    Parameters
    ----------
    frame
        True applicant attributes with the hidden ``_quality`` and ``_shock`` columns
        (see :func:`driftscope.demo.population.draw_applicants`).

    Returns
    -------
    numpy.ndarray
        One log-odds per row.
    """
    age = frame["age"].to_numpy(dtype=float)
    seniority = frame["seniority_years"].to_numpy(dtype=float)
    thin = frame["bureau_score"].isna().to_numpy()
    return (
        _INTERCEPT
        - 0.85 * frame["_quality"].to_numpy()
        + 0.35 * thin
        + 2.2 * (_burden(frame) - 0.35)
        + 0.3 * np.minimum(frame["delinquencies"].to_numpy(), 3)
        + 0.06 * frame["open_loans"].to_numpy()
        + _mapped(frame, "employment_type", _EMPLOYMENT, 0.3)
        + _mapped(frame, "housing", _HOUSING, 0.1)
        + _mapped(frame, "credit_purpose", _PURPOSE, _UNKNOWN_PURPOSE)
        + _mapped(frame, "channel", _CHANNEL, 0.1)
        + 0.35 * (age < 25)
        + 0.15 * (age > 70)
        + 0.25 * np.nan_to_num(seniority < 1.0)
        + 0.6 * frame["_shock"].to_numpy()
    )


def concept_logit(frame: pd.DataFrame) -> np.ndarray:
    """Log-odds of default after a change in default behaviour (``concept`` scenario).

    Parameters
    ----------
    frame
        As for :func:`reference_logit`.

    Returns
    -------
    numpy.ndarray
        One log-odds per row; the drivers of the reference behaviour keep about a quarter
        of their weight and new ones dominate.
    """
    age = frame["age"].to_numpy(dtype=float)
    seniority = frame["seniority_years"].to_numpy(dtype=float)
    region = frame["region"].astype(object).map({"capital": 0.9, "south": 0.7}).fillna(-0.4)
    employment = (
        frame["employment_type"]
        .astype(object)
        .map({"contractor": 0.9, "self_employed": 0.8, "unemployed": -0.2, "retired": -0.5})
        .fillna(0.0)
    )
    housing = frame["housing"].astype(object).map({"rent": 0.7, "parents": 0.4}).fillna(-0.3)
    old = reference_logit(frame) - _INTERCEPT - 0.6 * frame["_shock"].to_numpy()
    return (
        -2.1
        + 0.25 * old
        + region.to_numpy(dtype=float)
        + employment.to_numpy(dtype=float)
        + housing.to_numpy(dtype=float)
        + 0.5 * (age < 30)
        + 0.5 * np.nan_to_num(seniority < 2.0)
        + 0.6 * frame["_shock"].to_numpy()
    )
