"""A request body read and checked against the baseline's schema: refused whole, naming the
row and column, or stored in one canonical form whatever the format."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from driftscope.baseline import load_baseline
from driftscope.config.models import MonitoringConfig
from driftscope.service.validate import BatchRefused, BatchSchema, read_body
from tests.service.conftest import BODIES, TYPES, rows


@pytest.fixture(scope="module")
def schema(baseline: Path) -> BatchSchema:
    cfg = MonitoringConfig(target="status", timestamp_column="ts")
    return BatchSchema.of(load_baseline(baseline), cfg)


def _checked(schema: BatchSchema, body: bytes, kind: str) -> pa.Table:
    return schema.check(read_body(body, TYPES[kind]))


def _refused(schema: BatchSchema, body: bytes, kind: str = "json") -> BatchRefused:
    with pytest.raises(BatchRefused) as err:
        _checked(schema, body, kind)
    return err.value


@pytest.mark.parametrize("kind", sorted(TYPES))
def test_every_format_gives_the_same_canonical_table(schema: BatchSchema, kind: str) -> None:
    frame = rows(50, seed=4)
    table = _checked(schema, BODIES[kind](frame), kind)
    reference = _checked(schema, BODIES["json"](frame), "json")
    assert table.num_rows == 50
    assert table.schema.field("age").type == pa.float64()
    assert table.schema.field("children").type == pa.float64()
    assert table.schema.field("home").type == pa.string()
    assert table.schema.field("ts").type == pa.timestamp("us")
    assert table.column("has_phone").to_pylist() == [
        "true" if v else "false" for v in frame["has_phone"]]
    for name in ("age", "income", "children", "home", "has_phone", "ts", "status"):
        assert table.column(name).to_pylist() == reference.column(name).to_pylist(), name


@pytest.mark.parametrize("kind", sorted(TYPES))
def test_a_text_in_a_numerical_column_names_its_row_and_column(schema: BatchSchema,
                                                               kind: str) -> None:
    frame = rows(30, seed=5)
    frame["income"] = frame["income"].astype(str)  # numbers as text are read as numbers
    frame.loc[17, "income"] = "lots"
    err = _refused(schema, BODIES[kind](frame), kind)
    assert (err.status, err.reason, err.row, err.column) == (422, "schema", 17, "income")
    assert "row 17, column 'income'" in err.message and "'lots'" in err.message


def test_numbers_written_as_text_are_read_and_missing_words_are_missing(
        schema: BatchSchema) -> None:
    frame = rows(3, seed=6)
    frame["age"] = ["41.5", "NA", None]
    table = _checked(schema, BODIES["json"](frame), "json")
    assert table.column("age").to_pylist() == [41.5, None, None]


def test_a_bad_time_names_its_row(schema: BatchSchema) -> None:
    frame = rows(10, seed=7)
    frame.loc[4, "ts"] = "yesterday"
    err = _refused(schema, BODIES["csv"](frame), "csv")
    assert (err.row, err.column) == (4, "ts") and "'yesterday'" in err.message


def test_unknown_and_missing_columns_nested_values_and_empty_batches_are_refused(
        schema: BatchSchema) -> None:
    frame = rows(5, seed=8)
    unknown = _refused(schema, BODIES["json"](frame.assign(agee=1.0)))
    assert (unknown.column, unknown.row) == ("agee", None)
    missing = _refused(schema, BODIES["json"](frame.drop(columns=["home"])))
    assert missing.column == "home" and "missing" in missing.message
    nested = _refused(schema, b'[{"age": 1, "income": 2, "children": 0, "home": ["a"], '
                              b'"has_phone": true}]')
    assert (nested.row, nested.column) == (0, "home")
    empty = _refused(schema, b"[]")
    assert (empty.status, empty.reason) == (422, "empty")


def test_the_target_and_time_may_be_left_out_and_a_missing_key_is_a_missing_value(
        schema: BatchSchema) -> None:
    body = (b'[{"age": 30, "income": 1000, "children": 1, "home": "own", "has_phone": true},'
            b' {"income": 2000, "children": 0, "home": "rent", "has_phone": false}]')
    table = _checked(schema, body, "json")
    assert table.column("age").to_pylist() == [30.0, None]
    assert "status" not in table.column_names


@pytest.mark.parametrize(("body", "ctype", "status"), [
    (b"{not json", "application/json", 400),
    (b'{"age": 1}', "application/json", 400),
    (b'[1, 2]', "application/json", 400),
    (b"PAR1garbage", "application/vnd.apache.parquet", 400),
    (b'a,b\n1,2,3\n', "text/csv", 400),
    (b"age\n1\n", "application/xml", 415),
    (b"age\n1\n", None, 415),
])
def test_unreadable_bodies_and_other_content_types(body: bytes, ctype: str | None,
                                                   status: int) -> None:
    with pytest.raises(BatchRefused) as err:
        read_body(body, ctype)
    assert err.value.status == status and err.value.reason == "format"


def test_records_may_be_wrapped_and_the_content_type_may_carry_a_charset(
        schema: BatchSchema) -> None:
    frame = rows(4, seed=9)
    wrapped = b'{"records": ' + BODIES["json"](frame) + b"}"
    table = schema.check(read_body(wrapped, "application/json; charset=utf-8"))
    assert table.num_rows == 4


def test_the_id_column_is_kept_as_text_when_the_config_names_one(baseline: Path) -> None:
    cfg = MonitoringConfig(target="status", timestamp_column="ts", id_column="rid")
    schema = BatchSchema.of(load_baseline(baseline), cfg)
    table = schema.check(read_body(BODIES["json"](rows(3, seed=2).assign(rid=[7, 8, 9])),
                                   TYPES["json"]))
    assert table.column("rid").to_pylist() == ["7", "8", "9"]


@pytest.mark.parametrize("kind", sorted(TYPES))
def test_a_logged_probability_outside_0_1_names_its_row(baseline: Path, kind: str) -> None:
    # stored, it would make every later round over the pending rows refuse them again
    cfg = MonitoringConfig(target="status", timestamp_column="ts", proba_column="p")
    schema = BatchSchema.of(load_baseline(baseline), cfg)
    frame = rows(20, seed=8)
    frame["p"] = [0.5] * 20
    frame.loc[3, "p"] = None  # missing is fine
    assert _checked(schema, BODIES[kind](frame), kind).num_rows == 20
    frame.loc[12, "p"] = 37.5  # a percentage
    err = _refused(schema, BODIES[kind](frame), kind)
    assert (err.status, err.reason, err.row, err.column) == (422, "schema", 12, "p")
    assert err.message == "row 12, column 'p': a probability must be between 0 and 1, got 37.5"


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_an_infinite_number_names_its_row_and_nan_is_missing(schema: BatchSchema,
                                                             kind: str) -> None:
    frame = rows(20, seed=9)
    frame["income"] = frame["income"].astype(float)
    frame.loc[4, "income"] = float("nan")
    assert _checked(schema, BODIES[kind](frame), kind).num_rows == 20  # NaN: missing
    frame.loc[11, "income"] = float("-inf")  # a model cannot score it
    err = _refused(schema, BODIES[kind](frame), kind)
    assert (err.status, err.row, err.column) == (422, 11, "income")
    assert err.message == "row 11, column 'income': expected a finite number or null, got -inf"
