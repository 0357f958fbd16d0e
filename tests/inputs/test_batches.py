"""Batch sources: a table in memory, CSV or Parquet files read a bounded number of rows at a
time, and a source whose batches and columns pass through a repair."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from driftscope.errors import InputError
from driftscope.inputs.batches import (
    DEFAULT_BATCH_ROWS,
    BatchSource,
    FileSource,
    RepairedSource,
    TableSource,
)

N = 2500


def make_table(n: int = N, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    x[::17] = np.nan
    return pa.table({
        "x": x,
        "n": pa.array(np.arange(n, dtype=np.int64)),
        "s": pa.array([None if i % 11 == 0 else f"c{i % 7}" for i in range(n)]),
        "b": pa.array(rng.random(n) < 0.4),
    })


TABLE = make_table()


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    path = tmp_path / "data.parquet"
    pq.write_table(TABLE, path, row_group_size=700)
    return path


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    path = tmp_path / "data.csv"
    pacsv.write_csv(TABLE, path)
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    where = tmp_path / "parts"
    where.mkdir()
    pq.write_table(TABLE.slice(0, 1000), where / "part-0.parquet", row_group_size=300)
    pq.write_table(TABLE.slice(1000), where / "part-1.parquet", row_group_size=900)
    (where / "_SUCCESS").write_text("")  # left out, like hidden files
    return where


def same_values(a: pa.Table, b: pa.Table) -> bool:
    """Equal column by column, NaN equal to NaN (a CSV has no NaN: it reads as missing)."""
    if a.column_names != b.column_names or a.num_rows != b.num_rows:
        return False
    for name in a.column_names:
        left, right = a.column(name), b.column(name)
        if pa.types.is_floating(left.type):
            left = pc.if_else(pc.is_nan(left), None, left)
            right = pc.if_else(pc.is_nan(right), None, right)
        if left.to_pylist() != right.to_pylist():
            return False
    return True


@pytest.mark.parametrize("kind", ["parquet", "csv", "folder"])
@pytest.mark.parametrize("batch_rows", [1, 128, 333, 10_000])
def test_file_batches_are_bounded_and_together_are_the_table(
        request: pytest.FixtureRequest, kind: str, batch_rows: int) -> None:
    if batch_rows == 1 and kind == "csv":
        batch_rows = 7  # one-row batches of a CSV only take longer
    source = FileSource(request.getfixturevalue(kind), batch_rows=batch_rows)
    assert isinstance(source, BatchSource)
    batches = list(source.batches())
    assert all(0 < b.num_rows <= batch_rows for b in batches)
    if batch_rows < N:
        assert len(batches) >= N // batch_rows
    whole = pa.concat_tables(batches)
    assert same_values(whole, TABLE)
    assert source.num_rows == N


@pytest.mark.parametrize("kind", ["parquet", "csv", "folder"])
def test_batches_carry_only_the_asked_columns_in_the_asked_order(
        request: pytest.FixtureRequest, kind: str) -> None:
    source = FileSource(request.getfixturevalue(kind), batch_rows=500)
    batches = list(source.batches(["s", "x"]))
    assert {tuple(b.column_names) for b in batches} == {("s", "x")}
    assert same_values(pa.concat_tables(batches), TABLE.select(["s", "x"]))
    counted = list(source.batches([]))  # no column: rows only
    assert sum(b.num_rows for b in counted) == N
    assert all(b.num_columns == 0 for b in counted)


class _Spy:
    """Wraps a pyarrow dataset and records the columns each read asks its fragments for."""

    def __init__(self, dataset: Any) -> None:
        self._dataset = dataset
        self.asked: list[list[str] | None] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dataset, name)

    def get_fragments(self) -> Any:
        spy = self

        class Fragment:
            def __init__(self, inner: Any) -> None:
                self._inner = inner

            def __getattr__(self, name: str) -> Any:
                return getattr(self._inner, name)

            def to_table(self, **kwargs: Any) -> pa.Table:
                spy.asked.append(kwargs.get("columns"))
                return self._inner.to_table(**kwargs)

            def to_batches(self, **kwargs: Any) -> Any:
                spy.asked.append(kwargs.get("columns"))
                return self._inner.to_batches(**kwargs)

        return [Fragment(f) for f in self._dataset.get_fragments()]

    def to_table(self, **kwargs: Any) -> pa.Table:
        self.asked.append(kwargs.get("columns"))
        return self._dataset.to_table(**kwargs)

    def scanner(self, **kwargs: Any) -> Any:
        self.asked.append(kwargs.get("columns"))
        return self._dataset.scanner(**kwargs)


@pytest.mark.parametrize("kind", ["parquet", "csv", "folder"])
def test_column_reads_one_column_whole(request: pytest.FixtureRequest, kind: str) -> None:
    source = FileSource(request.getfixturevalue(kind), batch_rows=100)
    spy = _Spy(source.dataset)
    source.dataset = spy  # type: ignore[assignment]
    column = source.column("n")
    assert isinstance(column, pa.ChunkedArray)
    assert column.to_pylist() == TABLE.column("n").to_pylist()
    assert spy.asked and all(asked == ["n"] for asked in spy.asked)


def test_a_folder_of_numbers_typed_differently_reads_them_as_float(tmp_path: Path) -> None:
    pq.write_table(pa.table({"v": pa.array([1, 2], pa.int64())}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"v": pa.array([2.5], pa.float64())}), tmp_path / "b.parquet")
    source = FileSource(tmp_path)
    assert source.schema.field("v").type == pa.float64()
    assert source.column("v").to_pylist() == [1.0, 2.0, 2.5]
    assert [b.column("v").type for b in source.batches()] == [pa.float64()] * 2


def test_a_folder_with_columns_in_another_order_reads_them_by_name(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x,y\n1,2\n")
    (tmp_path / "b.csv").write_text("y,x\n20,10\n")
    source = FileSource(tmp_path)
    assert pa.concat_tables(source.batches(["x", "y"])).to_pydict() == {"x": [1, 10],
                                                                       "y": [2, 20]}


def test_a_missing_column_is_an_input_error_naming_the_file(parquet: Path) -> None:
    with pytest.raises(InputError, match=f"^{parquet}: no column 'nope'$"):
        FileSource(parquet).column("nope")


def test_the_default_batch_is_bounded(parquet: Path) -> None:
    source = FileSource(parquet)
    assert source.batch_rows == DEFAULT_BATCH_ROWS
    assert source.name == str(parquet) and source.files == [parquet]


def test_a_table_source_is_one_batch_by_reference() -> None:
    source = TableSource(TABLE)
    assert isinstance(source, BatchSource)
    (batch,) = source.batches()
    assert batch is TABLE
    (selected,) = source.batches(["b", "x"])
    assert selected.column_names == ["b", "x"]

    def address(column: pa.ChunkedArray) -> int:
        return column.chunk(0).buffers()[1].address

    # no copy: the same memory as the table's
    assert address(selected.column("x")) == address(TABLE.column("x"))
    assert address(source.column("x")) == address(TABLE.column("x"))
    assert source.num_rows == N and source.schema == TABLE.schema
    assert source.name == "<Table>"


def _parse_amounts(table: pa.Table) -> pa.Table:
    """A repair like the schema check's: text amounts with a decimal comma become floats."""
    if "amount" not in table.column_names:
        return table
    i = table.column_names.index("amount")
    fixed = pc.cast(pc.replace_substring(table.column(i), ",", "."), pa.float64())
    return table.set_column(i, "amount", fixed)


REPAIRABLE = pa.table({"amount": ["1,5", "2,25", None, "-3,0"], "k": ["a", "b", "c", "d"]})


@pytest.mark.parametrize("kind", ["table", "csv"])
def test_a_repaired_source_repairs_schema_batches_and_columns(tmp_path: Path,
                                                              kind: str) -> None:
    if kind == "table":
        inner: BatchSource = TableSource(REPAIRABLE, name="<frame>")
    else:
        path = tmp_path / "amounts.csv"
        path.write_text('amount,k\n"1,5",a\n"2,25",b\n,c\n"-3,0",d\n')
        inner = FileSource(path, batch_rows=3)
    seen: list[list[str]] = []

    def repair(table: pa.Table) -> pa.Table:
        seen.append(table.column_names)
        return _parse_amounts(table)

    source = RepairedSource(inner, repair)
    assert isinstance(source, BatchSource)
    assert source.name == inner.name
    assert source.schema.field("amount").type == pa.float64()
    assert source.schema.field("k").type == inner.schema.field("k").type
    batches = list(source.batches(["amount"]))
    assert all(b.column("amount").type == pa.float64() for b in batches)
    assert pa.concat_tables(batches).column("amount").to_pylist() == [1.5, 2.25, None, -3.0]
    assert source.column("amount").to_pylist() == [1.5, 2.25, None, -3.0]
    assert source.column("k").to_pylist() == ["a", "b", "c", "d"]
    assert ["amount"] in seen  # the repair saw each batch and the one column
    assert RepairedSource(inner, repair, name="renamed").name == "renamed"


def test_a_repaired_source_passes_the_inner_errors(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a\n1\n")
    source = RepairedSource(FileSource(path), lambda t: t)
    with pytest.raises(InputError, match="no column 'b'"):
        source.column("b")


def test_sample_rows_draws_across_the_whole_source_seeded_and_in_order(tmp_path: Path) -> None:
    from driftscope.inputs.batches import FileSource, TableSource, sample_rows

    table = pa.table({"i": np.arange(50_000), "x": np.linspace(0, 1, 50_000)})
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=4_000)
    files = FileSource(tmp_path / "t.parquet", batch_rows=4_000)
    drawn = sample_rows(files, 5_000, seed=3)
    ids = drawn.column("i").to_numpy()
    assert 4_500 <= drawn.num_rows <= 5_000 and drawn.schema == table.schema
    assert (np.diff(ids) > 0).all()  # in the source's order, no row twice
    assert ids.max() > 45_000  # from the last row groups too, not the first rows only
    assert sample_rows(files, 5_000, seed=3).equals(drawn)
    assert not sample_rows(files, 5_000, seed=4).equals(drawn)
    assert sample_rows(TableSource(table), 60_000).equals(table)  # fewer rows: all of them
