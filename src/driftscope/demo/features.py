"""Feature engineering of the demo model (the counterpart of an MLOps ``ft_engineering.py``).

:func:`engineer` is a pure function, DataFrame in and DataFrame out. The monitoring round
names it as ``driftscope.demo.features:engineer`` and applies it identically to the
reference and the current data; training applies it before fitting the model.

Added columns
-------------
================== ===========================================================================
``log_income``     natural log of the monthly income
``debt_to_income`` existing monthly debt payments / monthly income
``installment``    monthly annuity of the requested loan (amount, annual rate %, term)
``installment_to_income``  installment / monthly income
``payment_to_income``      (existing debt payments + installment) / monthly income
``loan_to_income`` loan amount / annual income (12 x monthly income)
``has_delinquency`` 1 if the applicant has at least one past delinquency, else 0
``thin_file``      1 if the bureau score is missing (no credit history), else 0
``income_missing`` 1 if the income was not declared, else 0
``age_bucket``     "18-24", "25-34", "35-44", "45-54", "55-64" or "65+"
================== ===========================================================================

Missing inputs give missing outputs (never an error): a ratio is NaN when the income is
missing or not positive, ``has_delinquency`` and ``age_bucket`` are missing when their input
is. The target column is neither needed nor touched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from driftscope.demo.truth import installment as _annuity
from driftscope.errors import SchemaError

__all__ = [
    "AGE_BUCKETS",
    "CATEGORICAL_FEATURES",
    "ENGINEERED_COLUMNS",
    "MODEL_FEATURES",
    "NUMERIC_FEATURES",
    "REQUIRED_COLUMNS",
    "engineer",
]

REQUIRED_COLUMNS: tuple[str, ...] = (
    "age",
    "income",
    "debt",
    "loan_amount",
    "interest_rate",
    "term_months",
    "delinquencies",
    "bureau_score",
)
"""Raw columns :func:`engineer` reads."""

ENGINEERED_COLUMNS: tuple[str, ...] = (
    "log_income",
    "debt_to_income",
    "installment",
    "installment_to_income",
    "payment_to_income",
    "loan_to_income",
    "has_delinquency",
    "thin_file",
    "income_missing",
    "age_bucket",
)
"""Columns :func:`engineer` adds, in order."""

AGE_BUCKETS: tuple[str, ...] = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
_AGE_EDGES = (25, 35, 45, 55, 65)

NUMERIC_FEATURES: tuple[str, ...] = (
    "age",
    "seniority_years",
    "log_income",
    "dependents",
    "open_loans",
    "debt",
    "delinquencies",
    "bureau_score",
    "loan_amount",
    "term_months",
    "interest_rate",
    "debt_to_income",
    "installment",
    "installment_to_income",
    "payment_to_income",
    "loan_to_income",
    "has_delinquency",
    "thin_file",
    "income_missing",
)
"""Numerical columns of the engineered frame the demo model reads."""

CATEGORICAL_FEATURES: tuple[str, ...] = (
    "employment_type",
    "housing",
    "credit_purpose",
    "region",
    "channel",
    "age_bucket",
)
"""Categorical columns of the engineered frame the demo model reads."""

MODEL_FEATURES: tuple[str, ...] = NUMERIC_FEATURES + CATEGORICAL_FEATURES
"""Every column the demo model reads (the ``features`` list of its metadata)."""


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    try:
        return pd.to_numeric(frame[column]).to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise SchemaError(
            f"column {column!r} must be numeric for the demo feature engineering "
            f"({exc}); fix the data source or cast the column"
        ) from exc


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, NaN where the denominator is missing or not positive."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / denominator
    return np.where(denominator > 0, ratio, np.nan)


def _flag(condition: np.ndarray, known: np.ndarray | None = None) -> np.ndarray:
    """0/1 flag as float; NaN where the input is unknown (when ``known`` is given)."""
    flag = condition.astype(float)
    if known is not None:
        flag = np.where(known, flag, np.nan)
    return flag


def engineer(df: pd.DataFrame) -> pd.DataFrame:
    """Add the demo model's engineered features to a raw application frame.

    Parameters
    ----------
    df
        Raw applications with at least :data:`REQUIRED_COLUMNS`; other columns (the target,
        ``application_date``, categorical inputs) are passed through unchanged.

    Returns
    -------
    pandas.DataFrame
        A new frame: every input column plus :data:`ENGINEERED_COLUMNS`. The input is not
        modified.

    Raises
    ------
    driftscope.errors.SchemaError
        When a required column is absent or not numeric.

    Examples
    --------
    >>> raw = pd.DataFrame({"age": [30], "income": [2000.0], "debt": [200.0],
    ...                     "loan_amount": [6000.0], "interest_rate": [0.0],
    ...                     "term_months": [24], "delinquencies": [0],
    ...                     "bureau_score": [None]})
    >>> row = engineer(raw).iloc[0]
    >>> float(row["installment"]), float(row["thin_file"]), row["age_bucket"]
    (250.0, 1.0, '25-34')
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise SchemaError(
            f"the demo feature engineering needs the columns {missing} which the data lacks; "
            f"expected raw credit applications with {list(REQUIRED_COLUMNS)}"
        )
    age = _numeric(df, "age")
    income = _numeric(df, "income")
    debt = _numeric(df, "debt")
    amount = _numeric(df, "loan_amount")
    delinquencies = _numeric(df, "delinquencies")
    pay = _annuity(amount, _numeric(df, "interest_rate"), _numeric(df, "term_months"))

    with np.errstate(divide="ignore", invalid="ignore"):
        log_income = np.where(income > 0, np.log(np.where(income > 0, income, 1.0)), np.nan)

    bucket_idx = np.searchsorted(_AGE_EDGES, age, side="right")
    labels = np.asarray(AGE_BUCKETS, dtype=object)[np.minimum(bucket_idx, len(AGE_BUCKETS) - 1)]
    age_bucket = np.where(np.isnan(age), np.nan, labels)

    added = pd.DataFrame(
        {
            "log_income": log_income,
            "debt_to_income": _ratio(debt, income),
            "installment": pay,
            "installment_to_income": _ratio(pay, income),
            "payment_to_income": _ratio(debt + pay, income),
            "loan_to_income": _ratio(amount, 12.0 * income),
            "has_delinquency": _flag(delinquencies > 0, ~np.isnan(delinquencies)),
            "thin_file": _flag(df["bureau_score"].isna().to_numpy()),
            "income_missing": _flag(df["income"].isna().to_numpy()),
            "age_bucket": age_bucket,
        },
        index=df.index,
    )
    out = df.drop(columns=[c for c in ENGINEERED_COLUMNS if c in df.columns])
    return pd.concat([out, added], axis=1)
