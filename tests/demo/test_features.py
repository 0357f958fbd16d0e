"""Tests of the demo feature engineering."""

from __future__ import annotations

import importlib
import io

import numpy as np
import pandas as pd
import pytest

from driftscope.demo.features import (
    AGE_BUCKETS,
    ENGINEERED_COLUMNS,
    MODEL_FEATURES,
    REQUIRED_COLUMNS,
    engineer,
)
from driftscope.demo.population import TARGET
from driftscope.errors import SchemaError


def _raw(**overrides: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "age": [30, 45],
        "income": [2000.0, 4000.0],
        "debt": [200.0, 0.0],
        "loan_amount": [10_000.0, 6000.0],
        "interest_rate": [12.0, 0.0],
        "term_months": [12, 24],
        "delinquencies": [0, 2],
        "bureau_score": [700.0, np.nan],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def test_adds_columns_and_keeps_inputs(reference: pd.DataFrame) -> None:
    out = engineer(reference)
    assert list(out.columns) == list(reference.columns) + list(ENGINEERED_COLUMNS)
    pd.testing.assert_frame_equal(out[reference.columns], reference)
    assert set(MODEL_FEATURES) <= set(out.columns)


def test_does_not_mutate_input(reference: pd.DataFrame) -> None:
    before = reference.copy(deep=True)
    engineer(reference)
    pd.testing.assert_frame_equal(reference, before)


def test_keeps_index() -> None:
    raw = _raw()
    raw.index = pd.Index([10, 3])
    out = engineer(raw)
    assert list(out.index) == [10, 3]
    assert out.loc[3, "has_delinquency"] == 1.0
    assert out.loc[10, "age_bucket"] == "25-34"


def test_values() -> None:
    out = engineer(_raw())
    # 10 000 at 12 % a year over 12 months: the textbook annuity 888.49
    assert out.loc[0, "installment"] == pytest.approx(888.4879, abs=1e-3)
    assert out.loc[1, "installment"] == pytest.approx(250.0)  # zero rate: amount / term
    assert out.loc[0, "debt_to_income"] == pytest.approx(0.1)
    assert out.loc[0, "installment_to_income"] == pytest.approx(888.4879 / 2000, abs=1e-6)
    assert out.loc[0, "payment_to_income"] == pytest.approx((200 + 888.4879) / 2000, abs=1e-6)
    assert out.loc[1, "loan_to_income"] == pytest.approx(6000 / 48_000)
    assert out.loc[0, "log_income"] == pytest.approx(np.log(2000))
    assert list(out["has_delinquency"]) == [0.0, 1.0]
    assert list(out["thin_file"]) == [0.0, 1.0]
    assert list(out["income_missing"]) == [0.0, 0.0]


@pytest.mark.parametrize("income", [np.nan, 0.0, -10.0])
def test_missing_or_non_positive_income_gives_missing_ratios(income: float) -> None:
    out = engineer(_raw(income=[income, 4000.0]))
    row = out.iloc[0]
    for column in (
        "log_income",
        "debt_to_income",
        "installment_to_income",
        "payment_to_income",
        "loan_to_income",
    ):
        assert np.isnan(row[column]), column
    engineered = [c for c in ENGINEERED_COLUMNS if c != "age_bucket"]
    assert np.isfinite(out.loc[1, engineered].to_numpy(dtype=float)).all()
    assert row["income_missing"] == (1.0 if np.isnan(income) else 0.0)


def test_missing_inputs_give_missing_outputs() -> None:
    out = engineer(_raw(age=[np.nan, 70], delinquencies=[np.nan, 0], term_months=[np.nan, 0]))
    assert out["age_bucket"].isna().tolist() == [True, False]
    assert out.loc[1, "age_bucket"] == "65+"
    assert out["has_delinquency"].isna().tolist() == [True, False]
    assert np.isnan(out["installment"]).all()  # missing and zero terms
    assert not np.isinf(out.select_dtypes("number").to_numpy(dtype=float)).any()


def test_age_buckets() -> None:
    ages = [18, 24, 25, 34, 35, 44, 45, 54, 55, 64, 65, 85]
    n = len(ages)
    columns = {c: [_raw()[c].iloc[0]] * n for c in REQUIRED_COLUMNS}
    raw = _raw(**{**columns, "age": ages})
    expected = [
        "18-24",
        "18-24",
        "25-34",
        "25-34",
        "35-44",
        "35-44",
        "45-54",
        "45-54",
        "55-64",
        "55-64",
        "65+",
        "65+",
    ]
    assert list(engineer(raw)["age_bucket"]) == expected
    assert set(expected) == set(AGE_BUCKETS)


def test_target_not_needed_nor_touched(reference: pd.DataFrame) -> None:
    without = engineer(reference.drop(columns=[TARGET]))
    assert TARGET not in without.columns
    with_target = engineer(reference)
    pd.testing.assert_frame_equal(with_target.drop(columns=[TARGET]), without, check_like=False)


def test_same_result_after_csv_round_trip(reference: pd.DataFrame) -> None:
    head = reference.head(500)
    buffer = io.StringIO()
    head.to_csv(buffer, index=False)
    buffer.seek(0)
    reread = pd.read_csv(buffer, parse_dates=["application_date"])
    a, b = engineer(head), engineer(reread)
    for column in ENGINEERED_COLUMNS:
        if column == "age_bucket":
            assert list(a[column]) == list(b[column])
        else:
            np.testing.assert_allclose(a[column], b[column], equal_nan=True)


def test_idempotent_on_engineered_frame(reference: pd.DataFrame) -> None:
    once = engineer(reference.head(100))
    twice = engineer(once)
    assert list(twice.columns) == list(once.columns)
    pd.testing.assert_frame_equal(twice, once)


def test_missing_required_column_is_a_clear_error() -> None:
    with pytest.raises(SchemaError, match="bureau_score"):
        engineer(_raw().drop(columns=["bureau_score"]))


def test_non_numeric_column_is_a_clear_error() -> None:
    with pytest.raises(SchemaError, match="'income' must be numeric"):
        engineer(_raw(income=["a lot", "4000"]))


def test_numeric_strings_are_accepted() -> None:
    out = engineer(_raw(income=["2000", "4000"]))
    assert out.loc[0, "debt_to_income"] == pytest.approx(0.1)


def test_importable_by_path() -> None:
    module, _, name = "driftscope.demo.features:engineer".partition(":")
    assert getattr(importlib.import_module(module), name) is engineer


def test_empty_frame() -> None:
    out = engineer(_raw().iloc[:0])
    assert len(out) == 0
    assert set(ENGINEERED_COLUMNS) <= set(out.columns)
