"""Which columns are monitored, as which type; and whether the current data still fits."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from driftscope.config import FeatureOverride, MonitoringConfig
from driftscope.errors import ConfigError, SchemaError
from driftscope.inputs.schema import ColumnSpec, check_current, infer_columns

TABLE = pa.table({
    "amount": pa.array([1.5, 2.0]),
    "count": pa.array([1, 2], pa.int32()),
    "city": pa.array(["a", "b"]),
    "flag": pa.array([True, False]),
    "empty": pa.nulls(2),
    "day": pa.array([dt.date(2026, 1, 1), dt.date(2026, 1, 2)]),
    "code": pa.array(["x", "y"]).dictionary_encode(),
})


def kinds(specs: list[ColumnSpec]) -> dict[str, str]:
    return {s.name: s.type for s in specs}


def test_types_are_inferred() -> None:
    specs, findings = infer_columns(TABLE, MonitoringConfig(), set())
    assert kinds(specs) == {"amount": "numerical", "count": "numerical", "city": "categorical",
                            "flag": "categorical", "empty": "categorical", "code": "categorical"}
    assert [f.column for f in findings] == ["day"]
    assert "not monitored" in findings[0].message


def test_declared_types_win() -> None:
    cfg = MonitoringConfig(categorical=["count"], numerical=["flag", "empty"])
    specs, _ = infer_columns(TABLE, cfg, set())
    assert kinds(specs)["count"] == "categorical"
    assert kinds(specs)["flag"] == "numerical" and kinds(specs)["empty"] == "numerical"


def test_numerical_for_text_is_refused() -> None:
    with pytest.raises(ConfigError, match="'city' holds string values in reference"):
        infer_columns(TABLE, MonitoringConfig(numerical=["c*"]), set())


def test_selection_keeps_the_table_order() -> None:
    cfg = MonitoringConfig(columns=["city", "amount", "flag"], ignore=["flag"],
                           features={"amount": FeatureOverride(psi_critical=1)})
    specs, _ = infer_columns(TABLE, cfg, {"count"})
    assert [s.name for s in specs] == ["amount", "city"]


def test_excluded_columns_are_never_monitored() -> None:
    specs, _ = infer_columns(TABLE, MonitoringConfig(), {"amount", "city"})
    assert "amount" not in kinds(specs) and "city" not in kinds(specs)


def test_columns_naming_an_absent_column() -> None:
    with pytest.raises(ConfigError, match="'salary' is not a column of ref.csv"):
        infer_columns(TABLE, MonitoringConfig(columns=["salary"]), set(), source="ref.csv")


SPECS = [ColumnSpec("amount", "numerical"), ColumnSpec("city", "categorical")]


@pytest.mark.parametrize("current", [
    pa.table({"amount": [1, 2], "city": ["a", "z"]}),  # int for float: fine
    pa.table({"amount": pa.nulls(2), "city": pa.nulls(2)}),  # all missing: a finding later
    pa.table({"city": [1, 2], "amount": [0.5, 1.0], "new": ["x", "y"]}),  # order, extras
])
def test_current_data_that_fits(current: pa.Table) -> None:
    check_current(SPECS, current, "cur.csv", "ref.csv")


def test_current_without_a_column() -> None:
    with pytest.raises(SchemaError) as info:
        check_current(SPECS, pa.table({"city": ["a"]}), "cur.csv", "ref.csv")
    assert str(info.value).startswith("cur.csv: column 'amount' is missing but the reference "
                                      "(ref.csv) has it")


def test_numbers_turned_to_text() -> None:
    with pytest.raises(SchemaError, match="cur.csv: column 'amount' holds string values"):
        check_current(SPECS, pa.table({"amount": ["1.5"], "city": ["a"]}), "cur.csv", "ref")


@pytest.mark.parametrize(("values", "hint"), [
    (["1,5", "2,25", "3"], "decimal comma? values like '1,5'"),
    (["1.5", "abc"], None),
])
def test_numbers_with_a_decimal_comma(values: list[str], hint: str | None) -> None:
    current = pa.table({"amount": values, "city": ["a"] * len(values)})
    with pytest.raises(SchemaError) as info:
        check_current(SPECS, current, "cur.csv", "ref")
    message = str(info.value)
    assert "column 'amount' holds string values but the reference holds numbers" in message
    assert "declare it categorical" in message
    if hint is None:
        assert "decimal comma" not in message
    else:
        assert hint in message
