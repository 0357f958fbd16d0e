"""Which columns are monitored, as which type; and whether the current data still fits."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from driftscope.config import FeatureOverride, MonitoringConfig
from driftscope.errors import ConfigError, SchemaError
from driftscope.inputs.schema import (
    NEW_COLUMNS_LISTED,
    ColumnSpec,
    check_current,
    identifier_name,
    infer_columns,
    parse_numbers,
)

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
    pa.table({"city": [1, 2], "amount": [0.5, 1.0]}),  # order
    pa.table({"amount": pa.array([None, " "], pa.string()), "city": ["a", "b"]}),  # no value
])
def test_current_data_that_fits(current: pa.Table) -> None:
    schema = check_current(SPECS, current, "cur.csv", "ref.csv", ["amount", "city"])
    assert schema.breaks == {} and schema.findings == () and schema.filled == ()


def test_a_missing_column_is_a_break_and_added_as_all_missing() -> None:
    schema = check_current(SPECS, pa.table({"city": ["a", "b"]}), "cur.csv", "ref.csv")
    brk = schema.breaks["amount"]
    assert brk.kind == "missing"
    assert brk.reason.startswith("The column is missing from the current data but the "
                                 "reference has it")
    assert brk.finding == ("column 'amount' is missing from the current data (cur.csv) but the "
                           "reference (ref.csv) has it")
    assert schema.filled == ("amount",)
    assert schema.table.column("amount").to_pylist() == [None, None]
    assert schema.table.schema.field("amount").type == pa.float64()


def test_a_file_sharing_no_monitored_column_is_refused() -> None:
    with pytest.raises(SchemaError) as info:
        check_current(SPECS, pa.table({"other": [1]}), "cur.csv", "ref.csv")
    assert str(info.value) == ("cur.csv: none of the reference's monitored columns ('amount', "
                               "'city') is in the current data (ref.csv is the reference); "
                               "check that the current file is the right one")


def test_percent_signs_are_read_as_numbers_but_the_type_change_is_a_break() -> None:
    current = pa.table({"amount": [" 13.99%", "7%", None, "1,250.5%"], "city": ["a"] * 4})
    schema = check_current(SPECS, current, "cur.csv", "ref.csv")
    assert schema.table.column("amount").to_pylist() == [13.99, 7.0, None, 1250.5]
    brk = schema.breaks["amount"]
    assert brk.kind == "type"
    assert "holds text (string) where the reference holds numbers" in brk.reason
    assert "Every value reads as a number (the trailing % removed, the number kept as " \
           "written: '13.99%' reads as 13.99; thousands separators removed)" in brk.reason
    assert "not numbers" not in brk.reason


def test_text_that_is_not_numbers_gives_the_share_and_examples() -> None:
    values = ["1.5", "forty", "2", "n.a.", "forty", "3", "NA", "", "4.25", "1e3"]
    current = pa.table({"amount": values, "city": ["a"] * len(values)})
    schema = check_current(SPECS, current, "cur.csv", "ref.csv")
    assert schema.table.column("amount").to_pylist() == [
        1.5, None, 2.0, None, None, 3.0, None, None, 4.25, 1000.0]
    brk = schema.breaks["amount"]
    # 8 present values ("NA" and "" are missing), 3 of them not numbers
    assert "37.5% of its 8 values are not numbers (e.g. 'forty', 'n.a.')" in brk.reason
    assert "the 5 values that are numbers are compared, the others count as missing" \
        in brk.reason
    assert brk.finding == ("column 'amount' arrived as text in the current data (cur.csv) "
                           "where the reference holds numbers: 37.5% of its 8 values are not "
                           "numbers (e.g. 'forty', 'n.a.')")


@pytest.mark.parametrize(("values", "hint"), [
    (["1,5", "2,25", "3"], "decimal comma? values like '1,5'"),
    (["1.5", "abc"], None),
])
def test_numbers_with_a_decimal_comma(values: list[str], hint: str | None) -> None:
    current = pa.table({"amount": values, "city": ["a"] * len(values)})
    reason = check_current(SPECS, current, "cur.csv", "ref").breaks["amount"].reason
    assert "holds text (string) where the reference holds numbers" in reason
    if hint is None:
        assert "decimal comma" not in reason
    else:
        assert hint in reason


def test_commas_are_thousands_only_when_every_comma_groups_thousands() -> None:
    assert parse_numbers(pa.array(["1,234", "12,345,678.5"])).values.to_pylist() == [
        1234.0, 12345678.5]
    mixed = parse_numbers(pa.array(["1,234", "1,5"]))  # a decimal comma: nothing is guessed
    assert mixed.values.to_pylist() == [None, None] and mixed.failed == 2
    assert not mixed.grouped


@pytest.mark.parametrize(("column", "spec", "expected"), [
    (pa.array([dt.date(2026, 1, 1)] * 2), ColumnSpec("amount", "numerical"), "numbers"),
    (pa.array([[1], [2]]), ColumnSpec("city", "categorical"), "text"),
])
def test_other_types_are_breaks(column: pa.Array, spec: ColumnSpec, expected: str) -> None:
    other = "city" if spec.name == "amount" else "amount"
    current = pa.table({spec.name: column, other: [1.0, 2.0] if other == "amount" else ["a", "b"]})
    schema = check_current(SPECS, current, "cur.csv", "ref")
    brk = schema.breaks[spec.name]
    assert brk.kind == "type" and f"where the reference holds {expected}" in brk.reason
    assert schema.table.column(spec.name).null_count == 2


def test_new_columns_are_findings_and_unmonitored_reference_columns_are_filled() -> None:
    current = pa.table({"amount": [1.0], "city": ["a"], "extra": [1], "label": ["x"]})
    reference_columns = ["amount", "city", "customer_id", "label", "ts"]
    schema = check_current(SPECS, current, "cur.csv", "ref", reference_columns,
                           roles={"label", "ts"})
    assert schema.breaks == {}
    assert [(f.column, f.message) for f in schema.findings] == [
        ("extra", "column 'extra' is new in the current data (cur.csv): the reference has no "
                  "such column, so it is not monitored; add it to the reference (or rebuild the "
                  "baseline) to monitor it")]
    assert schema.filled == ("customer_id",)  # not "ts": a role the round reports itself
    assert schema.table.column_names == ["amount", "city", "extra", "label", "customer_id"]


def test_many_new_columns_share_one_finding() -> None:
    current = pa.table({"amount": [1.0], "city": ["a"], **{f"n{i}": [i] for i in range(25)}})
    findings = check_current(SPECS, current, "cur.csv", "ref", ["amount", "city"]).findings
    assert len(findings) == NEW_COLUMNS_LISTED + 1
    assert findings[-1].column is None
    assert findings[-1].message.startswith("5 more columns are new in the current data")


@pytest.mark.parametrize(("name", "expected"), [
    ("id", True), ("ID", True), ("loan_id", True), ("LoanId", True), ("customerID", True),
    ("id_client", True), ("request-uuid", True), ("GUID", True), ("rownames", True),
    ("row.names", True), ("Unnamed: 0", True), ("account_key", True), ("rowKey", True),
    ("index", True), ("order_ids", True),
    ("paid", False), ("valid", False), ("PAID", False), ("is_valid", False), ("Idade", False),
    ("keyboard", False), ("key_count", False), ("grid", False), ("amount", False),
    ("identity_score", False), ("credit_index", False),
])
def test_identifier_names(name: str, expected: bool) -> None:
    assert identifier_name(name) is expected
