"""Splitting the current data into rounds by calendar period or by row count."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftscope.errors import ConfigError, InputError
from driftscope.inputs.chunking import chunk_table, split_table


def table(times: list[object]) -> pa.Table:
    return pa.table({"ts": times, "row": list(range(len(times)))})


def summary(chunks: list[tuple[str, pa.Table]]) -> list[tuple[str, list[int]]]:
    return [(label, t.column("row").to_pylist()) for label, t in chunks]


TIMES = ["2025-12-28", "2025-12-29", "2026-01-31", "2026-02-01T08:00:00",
         "2026-01-31 23:59:59", None]


@pytest.mark.parametrize(("by", "expected"), [
    ("day", [("2025-12-28", [0]), ("2025-12-29", [1]), ("2026-01-31", [2, 4]),
             ("2026-02-01", [3])]),
    # ISO weeks start on Monday; 2025-12-29 already belongs to 2026-W01
    ("week", [("2025-W52", [0]), ("2026-W01", [1]), ("2026-W05", [2, 3, 4])]),
    ("month", [("2025-12", [0, 1]), ("2026-01", [2, 4]), ("2026-02", [3])]),
])
def test_periods(by: str, expected: list[tuple[str, list[int]]]) -> None:
    assert summary(chunk_table(table(TIMES), by, "ts")) == expected  # type: ignore[arg-type]


def test_typed_times_and_zones() -> None:
    dates = pa.table({"ts": [dt.date(2026, 3, 1), dt.date(2026, 3, 2)], "row": [0, 1]})
    assert [label for label, _ in chunk_table(dates, "day", "ts")] == ["2026-03-01",
                                                                       "2026-03-02"]
    # times with a zone are compared in UTC: 01:00+02:00 is the evening before
    zoned = table(["2026-01-26T23:00:00Z", "2026-01-27T01:00:00+02:00"])
    assert summary(chunk_table(zoned, "day", "ts")) == [("2026-01-26", [0, 1])]


@pytest.mark.parametrize(("values", "expected"), [
    (["26/01/2026"], "does not hold ISO dates"),
    ([1_700_000_000, 1_700_100_000], "holds int64 values, not times"),
])
def test_not_times(values: list[object], expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        chunk_table(table(values), "day", "ts")


def test_usage_errors() -> None:
    with pytest.raises(ConfigError, match="either --chunk-by or --chunk-size"):
        chunk_table(table(TIMES), "day", "ts", 2)
    with pytest.raises(ConfigError, match="needs --timestamp-column"):
        chunk_table(table(TIMES), "day", None)
    with pytest.raises(ConfigError, match="'when' is not a column"):
        chunk_table(table(TIMES), "day", "when")
    with pytest.raises(ConfigError, match="at least 1"):
        chunk_table(table(TIMES), size=0)


def test_no_split() -> None:
    assert summary(chunk_table(table(TIMES))) == [("all", list(range(6)))]


@given(st.integers(1, 60), st.integers(1, 25))
def test_row_chunks_cover_every_row_once_in_order(rows: int, size: int) -> None:
    chunks = chunk_table(table([None] * rows), size=size)
    assert [r for _, t in chunks for r in t.column("row").to_pylist()] == list(range(rows))
    assert all(t.num_rows == size for _, t in chunks[:-1]) and 0 < chunks[-1][1].num_rows <= size
    first, last = chunks[-1][0].removeprefix("rows ").split("-")
    assert int(last) == rows - 1 and int(first) == (len(chunks) - 1) * size


def test_split_table_counts_the_rows_without_a_time() -> None:
    chunks, left_out = split_table(table(TIMES + ["", None]), "month", "ts")
    assert left_out == 3  # None, "" and None
    assert sum(t.num_rows for _, t in chunks) == len(TIMES) + 2 - 3
    assert summary(chunks) == summary(chunk_table(table(TIMES + ["", None]), "month", "ts"))
    assert split_table(table(TIMES), size=4)[1] == 0
    assert split_table(table(TIMES))[1] == 0


def test_an_absent_timestamp_column_lists_the_columns_with_an_ellipsis() -> None:
    wide = pa.table({f"col{i}": [1] for i in range(20)})
    with pytest.raises(ConfigError) as info:
        chunk_table(wide, "day", "when")
    assert str(info.value).endswith("col13, col14 …")
    with pytest.raises(ConfigError) as info:
        chunk_table(table(TIMES), "day", "when")
    assert str(info.value).endswith("columns: ts, row")
