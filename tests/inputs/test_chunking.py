"""Splitting the current data into rounds by calendar period or by row count."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftscope.errors import ConfigError, InputError
from driftscope.inputs.chunking import Chunk, merge_small_chunks, split_table


def table(times: list[object]) -> pa.Table:
    return pa.table({"ts": times, "row": list(range(len(times)))})


def chunks_of(table: pa.Table, by: str | None = None, timestamp_column: str | None = None,
              size: int | None = None) -> list[tuple[str, pa.Table]]:
    """The chunks :func:`split_table` makes (without the count of rows left out)."""
    return split_table(table, by, timestamp_column, size)[0]  # type: ignore[arg-type]


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
    assert summary(chunks_of(table(TIMES), by, "ts")) == expected


def test_typed_times_and_zones() -> None:
    dates = pa.table({"ts": [dt.date(2026, 3, 1), dt.date(2026, 3, 2)], "row": [0, 1]})
    assert [label for label, _ in chunks_of(dates, "day", "ts")] == ["2026-03-01",
                                                                       "2026-03-02"]
    # times with a zone are compared in UTC: 01:00+02:00 is the evening before
    zoned = table(["2026-01-26T23:00:00Z", "2026-01-27T01:00:00+02:00"])
    assert summary(chunks_of(zoned, "day", "ts")) == [("2026-01-26", [0, 1])]


@pytest.mark.parametrize(("values", "expected"), [
    (["26/01/2026"], "does not hold ISO dates"),
    ([1_700_000_000, 1_700_100_000], "holds int64 values, not times"),
])
def test_not_times(values: list[object], expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        chunks_of(table(values), "day", "ts")


def test_usage_errors() -> None:
    with pytest.raises(ConfigError, match="either --chunk-by or --chunk-size"):
        chunks_of(table(TIMES), "day", "ts", 2)
    with pytest.raises(ConfigError, match="needs --timestamp-column"):
        chunks_of(table(TIMES), "day", None)
    with pytest.raises(ConfigError, match="'when' is not a column"):
        chunks_of(table(TIMES), "day", "when")
    with pytest.raises(ConfigError, match="at least 1"):
        chunks_of(table(TIMES), size=0)


def test_no_split() -> None:
    assert summary(chunks_of(table(TIMES))) == [("all", list(range(6)))]


@given(st.integers(1, 60), st.integers(1, 25))
def test_row_chunks_cover_every_row_once_in_order(rows: int, size: int) -> None:
    chunks = chunks_of(table([None] * rows), size=size)
    assert [r for _, t in chunks for r in t.column("row").to_pylist()] == list(range(rows))
    assert all(t.num_rows == size for _, t in chunks[:-1]) and 0 < chunks[-1][1].num_rows <= size
    first, last = chunks[-1][0].removeprefix("rows ").split("-")
    assert int(last) == rows - 1 and int(first) == (len(chunks) - 1) * size


def test_split_table_counts_the_rows_without_a_time() -> None:
    chunks, left_out = split_table(table(TIMES + ["", None]), "month", "ts")
    assert left_out == 3  # None, "" and None
    assert sum(t.num_rows for _, t in chunks) == len(TIMES) + 2 - 3
    assert summary(chunks) == summary(chunks_of(table(TIMES + ["", None]), "month", "ts"))
    assert split_table(table(TIMES), size=4)[1] == 0
    assert split_table(table(TIMES))[1] == 0


def test_an_absent_timestamp_column_lists_the_columns_with_an_ellipsis() -> None:
    wide = pa.table({f"col{i}": [1] for i in range(20)})
    with pytest.raises(ConfigError) as info:
        chunks_of(wide, "day", "when")
    assert str(info.value).endswith("col13, col14 …")
    with pytest.raises(ConfigError) as info:
        chunks_of(table(TIMES), "day", "when")
    assert str(info.value).endswith("columns: ts, row")


# -- small chunks are merged into a neighbour ----------------------------------------------

def sized(*rows: int) -> list[tuple[str, pa.Table]]:
    """Chunks labelled by week, with ``rows`` rows each, numbered on through the chunks."""
    out, start = [], 0
    for i, n in enumerate(rows):
        out.append((f"2026-W{i + 1:02d}", pa.table({"row": list(range(start, start + n))})))
        start += n
    return out


def shape(chunks: list[Chunk]) -> list[tuple[str, int]]:
    return [(c.label, c.table.num_rows) for c in chunks]


def test_a_small_remainder_joins_its_neighbour() -> None:
    merged = merge_small_chunks(sized(280, 290, 300, 105))  # median 285: minimum 142.5
    assert shape(merged) == [("2026-W01", 280), ("2026-W02", 290), ("2026-W03..2026-W04", 405)]
    assert merged[-1].parts == (("2026-W03", 300), ("2026-W04", 105)) and merged[-1].merged
    assert not merged[0].merged
    # a partial first week joins the second one
    assert shape(merge_small_chunks(sized(40, 300, 310))) == [("2026-W01..2026-W02", 340),
                                                             ("2026-W03", 310)]


def test_a_small_chunk_inside_joins_the_smaller_neighbour() -> None:
    assert shape(merge_small_chunks(sized(300, 400, 20, 350, 300))) == [
        ("2026-W01", 300), ("2026-W02", 400), ("2026-W03..2026-W04", 370), ("2026-W05", 300)]
    # on a tie, the earlier neighbour
    assert shape(merge_small_chunks(sized(300, 20, 300))) == [("2026-W01..2026-W02", 320),
                                                             ("2026-W03", 300)]


def test_chunks_of_at_least_half_the_median_are_kept() -> None:
    chunks = sized(300, 300, 150, 300)  # 150 is exactly half the median: kept
    assert shape(merge_small_chunks(chunks)) == shape(
        [Chunk(label, t, ((label, t.num_rows),)) for label, t in chunks])
    assert shape(merge_small_chunks(sized(7))) == [("2026-W01", 7)]
    assert merge_small_chunks([]) == []


def test_row_chunks_keep_a_row_range_label() -> None:
    chunks = chunks_of(table([None] * 1000), size=300)
    assert shape(merge_small_chunks(chunks)) == [("rows 0-299", 300), ("rows 300-599", 300),
                                                 ("rows 600-999", 400)]
    # --chunk-size 10 is what the user asked for: only the 3-row rest is merged
    assert [n for _, n in shape(merge_small_chunks(chunks_of(table([None] * 53), size=10)))
            ] == [10, 10, 10, 10, 13]


@given(st.lists(st.integers(1, 500), min_size=1, max_size=30))
def test_merging_keeps_every_row_once_in_order(rows: list[int]) -> None:
    merged = merge_small_chunks(sized(*rows))
    assert [r for c in merged for r in c.table.column("row").to_pylist()] == list(
        range(sum(rows)))
    assert [label for c in merged for label, _ in c.parts] == [
        f"2026-W{i + 1:02d}" for i in range(len(rows))]
    if len(merged) > 1:
        minimum = sorted(rows)[len(rows) // 2] if len(rows) % 2 else (
            sorted(rows)[len(rows) // 2 - 1] + sorted(rows)[len(rows) // 2]) / 2
        assert all(c.table.num_rows >= minimum / 2 for c in merged)
