"""Tests of the synthetic credit-application population."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from driftscope.demo.population import (
    CATEGORIES,
    COLUMNS,
    POSITIVE_CLASS,
    REFERENCE_END,
    REFERENCE_START,
    TARGET,
    generate_population,
)

NUMERIC_INT = ("age", "dependents", "open_loans", "delinquencies", "term_months")
NUMERIC_FLOAT = (
    "seniority_years",
    "income",
    "debt",
    "bureau_score",
    "loan_amount",
    "interest_rate",
)


def test_shape_columns_and_types(reference: pd.DataFrame) -> None:
    assert reference.shape == (20_000, len(COLUMNS))
    assert tuple(reference.columns) == COLUMNS
    for column in NUMERIC_INT:
        assert pd.api.types.is_integer_dtype(reference[column]), column
    for column in NUMERIC_FLOAT:
        assert pd.api.types.is_float_dtype(reference[column]), column
    for column, categories in CATEGORIES.items():
        values = set(reference[column].dropna())
        assert values == set(categories), column
        assert pd.api.types.is_string_dtype(reference[column]), column
    assert set(reference[TARGET]) == {"good", POSITIVE_CLASS}
    assert pd.api.types.is_datetime64_any_dtype(reference["application_date"])


def test_value_ranges(reference: pd.DataFrame) -> None:
    assert reference["age"].between(18, 85).all()
    assert set(reference["term_months"]) == {12, 24, 36, 48, 60}
    assert reference["bureau_score"].dropna().between(300, 850).all()
    assert reference["interest_rate"].between(2.9, 29.9).all()
    assert (reference["income"].dropna() > 0).all()
    assert (reference["loan_amount"] >= 500).all()
    assert (reference["debt"] >= 0).all()
    assert (reference["delinquencies"] == 0).mean() > 0.75
    assert (reference["delinquencies"] > 0).any()
    dates = reference["application_date"]
    assert dates.is_monotonic_increasing
    assert dates.min() >= REFERENCE_START
    assert dates.max() < REFERENCE_END


def test_missing_values_where_real_applications_have_them(reference: pd.DataFrame) -> None:
    share = reference.isna().mean()
    assert 0.05 < share["bureau_score"] < 0.12
    assert 0.02 < share["income"] < 0.06
    assert 0.005 < share["housing"] < 0.03
    never_missing = [
        "application_date",
        "age",
        "employment_type",
        "region",
        "channel",
        "loan_amount",
        "term_months",
        "interest_rate",
        "credit_purpose",
        TARGET,
    ]
    assert share[never_missing].eq(0).all()
    # seniority is missing exactly for applicants without a job
    jobless = reference["employment_type"].isin(["unemployed", "retired"])
    assert (reference["seniority_years"].isna() == jobless).all()
    # thin files are more frequent among young applicants
    thin = reference["bureau_score"].isna()
    assert thin[reference["age"] < 25].mean() > 2 * thin[reference["age"] >= 25].mean()
    # the self-employed leave income blank more often
    blank = reference["income"].isna()
    assert blank[reference["employment_type"] == "self_employed"].mean() > blank.mean()


def test_default_rate_and_real_signal() -> None:
    frame = generate_population(20_000, seed=3, include_probability=True)
    bad = (frame[TARGET] == POSITIVE_CLASS).to_numpy()
    assert 0.15 <= bad.mean() <= 0.25
    p = frame["default_probability"]
    assert p.between(0, 1).all()
    assert abs(p.mean() - bad.mean()) < 0.02
    assert 0.75 < roc_auc_score(bad, p) < 0.9  # noisy truth: strong signal, never perfect
    # sensible drivers: delinquent and unemployed applicants default more
    assert bad[frame["delinquencies"] > 0].mean() > bad[frame["delinquencies"] == 0].mean()
    assert bad[frame["employment_type"] == "unemployed"].mean() > bad.mean()


def test_probability_column_is_opt_in(reference: pd.DataFrame) -> None:
    assert "default_probability" not in reference.columns


def test_deterministic_with_seed() -> None:
    a = generate_population(500, seed=11)
    b = generate_population(500, seed=11)
    c = generate_population(500, seed=12)
    pd.testing.assert_frame_equal(a, b)
    assert not a["income"].equals(c["income"])


def test_custom_period() -> None:
    start, end = pd.Timestamp("2020-03-01"), pd.Timestamp("2020-04-01")
    frame = generate_population(300, seed=1, start=start, end=end)
    assert frame["application_date"].between(start, end, inclusive="left").all()


@pytest.mark.parametrize("n", [0, -5, 2.5, True])
def test_invalid_size(n: object) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        generate_population(n, seed=1)  # type: ignore[arg-type]


def test_small_population() -> None:
    frame = generate_population(1, seed=0)
    assert len(frame) == 1
    assert np.isin(frame[TARGET], ["good", "bad"]).all()
