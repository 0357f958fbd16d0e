"""Files opened as a pyarrow dataset for the streaming backend: every refusal is a one-line
InputError that names the file at fault (and, where :func:`read_table` refuses the same
input, says what it says)."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import driftscope.inputs.datasets as datasets
from driftscope.errors import InputError
from driftscope.inputs import read_table
from driftscope.inputs.batches import FileSource
from driftscope.inputs.readers import PAGE_CHECKSUMS, write_parquet
from tests.inputs.test_parquet_integrity import corrupt_first_page

TABLE = pa.table({"x": np.arange(1000, dtype="float64"), "n": np.arange(1000) * 3})


def refusal(action: Callable[[], object]) -> str:
    """The message of the InputError ``action`` raises; it must be one line."""
    with pytest.raises(InputError) as info:
        action()
    message = str(info.value)
    assert "\n" not in message, message
    return message


def read_all(path: Path, **kwargs: int) -> None:
    """Open ``path`` and read every batch and every column, as a backend would."""
    source = FileSource(path, **kwargs)
    for _ in source.batches():
        pass
    for name in source.schema.names:
        source.column(name)


def both_refuse(path: Path) -> str:
    """The streaming read refuses ``path`` with the message :func:`read_table` gives."""
    message = refusal(lambda: read_all(path))
    assert refusal(lambda: read_table(path)) == message
    return message


# --- folders --------------------------------------------------------------------------------


def test_a_folder_mixing_csv_and_parquet_is_refused(tmp_path: Path) -> None:
    write_parquet(TABLE, tmp_path / "a.parquet")
    pacsv.write_csv(TABLE, tmp_path / "b.csv")
    message = refusal(lambda: FileSource(tmp_path))
    assert message.startswith(f"{tmp_path}: the folder mixes CSV and Parquet files")
    assert "--backend local" in message


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize(("other", "what"), [
    ({"x": [1.0], "m": [2]}, "lacks 'n'"),
    ({"x": [1.0], "n": [2], "extra": [3]}, "has extra column 'extra'"),
])  # fmt: skip
def test_a_folder_whose_files_have_other_columns_names_the_file(
        tmp_path: Path, fmt: str, other: dict[str, list[float]], what: str) -> None:
    first, second = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    for path, table in ((first, TABLE), (second, pa.table(other))):
        write_parquet(table, path) if fmt == "parquet" else pacsv.write_csv(table, path)
    message = both_refuse(tmp_path)
    assert message == (f"{second}: {what} unlike a.{fmt} in folder {tmp_path}; all files in "
                       "a folder must have the same columns")


def test_a_folder_whose_csv_files_use_other_delimiters_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x,n\n1,2\n")
    (tmp_path / "b.csv").write_text("x;n\n3;4\n")
    message = refusal(lambda: FileSource(tmp_path))
    assert message.startswith(f"{tmp_path / 'b.csv'}: columns separated by semicolons, "
                              "unlike a.csv (commas)")


def test_a_folder_whose_parquet_files_type_a_column_differently_names_the_file(
        tmp_path: Path) -> None:
    write_parquet(pa.table({"x": [1.0], "s": ["a"]}), tmp_path / "a.parquet")
    write_parquet(pa.table({"x": [2.0], "s": [3]}), tmp_path / "b.parquet")
    message = refusal(lambda: FileSource(tmp_path))
    assert message.startswith(f"{tmp_path / 'b.parquet'}: column 's' holds int64 values, "
                              "unlike a.parquet")


def test_a_folder_with_a_duplicate_column_in_a_later_file_names_it(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x,n\n1,2\n")
    (tmp_path / "b.csv").write_text("x,n,n\n1,2,3\n")
    assert refusal(lambda: FileSource(tmp_path)) == (
        f"{tmp_path / 'b.csv'}: duplicate column name 'n'; give every column a unique name")


def test_an_empty_folder_and_a_missing_path_are_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt.bak").write_text("not data")
    assert both_refuse(tmp_path) == f"{tmp_path}: the folder holds no CSV or Parquet files"
    missing = tmp_path / "nope.parquet"
    assert both_refuse(missing) == f"{missing}: no such file or folder; check the path"


# --- CSV typing -----------------------------------------------------------------------------


def _typed_then_text(path: Path, rows: int) -> None:
    """A CSV whose column ``a`` is whole numbers for ``rows`` rows, then text."""
    lines = ["a,b"] + [f"{i},{i * 0.5}" for i in range(rows)] + ["x1,1.5", "7,2.5"]
    path.write_text("\n".join(lines) + "\n")


def test_a_csv_column_that_changes_type_after_the_first_block_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(datasets, "CSV_BLOCK", 1 << 12)
    path = tmp_path / "drifting.csv"
    _typed_then_text(path, 3000)  # about 30 kB: several blocks of 4 kB
    assert path.stat().st_size > 4 * datasets.CSV_BLOCK
    source = FileSource(path, batch_rows=500)
    assert source.schema.field("a").type == pa.int64()
    for action in (lambda: list(source.batches()), lambda: source.column("a")):
        message = refusal(action)
        assert message.startswith(f"{path}: a CSV column changes type after the first rows")
        assert "'x1'" in message and "--backend local" in message
    assert len(source.column("b")) == 3002  # the other columns still read
    assert read_table(path).column("a").type == pa.string()  # read whole, it is text


@pytest.mark.slow
def test_a_csv_larger_than_a_block_reads_by_blocks(tmp_path: Path) -> None:
    path = tmp_path / "large.csv"
    n = 1_200_000  # over 16 MB: more than one block of the default size
    pacsv.write_csv(pa.table({"a": np.arange(n), "b": np.arange(n) * 0.25}), path)
    assert path.stat().st_size > datasets.CSV_BLOCK
    source = FileSource(path, batch_rows=1 << 16)
    assert sum(b.num_rows for b in source.batches(["a"])) == n
    assert source.column("b").type == pa.float64()


def test_a_csv_folder_widens_the_types_of_its_files(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("a,b,c,d\n1,,x,1\n")  # b empty: typed null here
    (tmp_path / "b.csv").write_text("a,b,c,d\n2.5,7,y,text\n")
    source = FileSource(tmp_path)
    assert [f.type for f in source.schema] == [pa.float64(), pa.int64(), pa.string(),
                                               pa.large_string()]
    assert pa.concat_tables(source.batches()).to_pydict() == {
        "a": [1.0, 2.5], "b": [None, 7], "c": ["x", "y"], "d": ["1", "text"]}
    # as read_table reads them
    assert read_table(tmp_path).column("d").to_pylist() == ["1", "text"]


def test_a_csv_folder_whose_first_file_has_no_rows_takes_the_types_of_the_others(
        tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x,n\n")
    (tmp_path / "b.csv").write_text("x,n\n1.5,2\n")
    source = FileSource(tmp_path)
    assert source.schema.field("x").type == pa.float64()
    assert source.column("x").to_pylist() == [1.5]


def test_a_later_csv_file_whose_column_changes_type_late_names_that_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(datasets, "CSV_SAMPLE_BLOCK", 1 << 10)
    (tmp_path / "a.csv").write_text("a,b\n1,2\n3,4\n")
    _typed_then_text(tmp_path / "b.csv", 500)  # the text comes after the sampled kilobyte
    message = refusal(lambda: read_all(tmp_path))
    assert message.startswith(f"{tmp_path / 'b.csv'}: a CSV column changes type")


def test_text_that_is_not_utf8_is_refused(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    early = tmp_path / "early.csv"
    early.write_bytes(b"x,y\n1,abc\n2,\xe9t\xe9\n")
    assert refusal(lambda: FileSource(early)) == (
        f"{early}: cannot read as UTF-8 text (UnicodeDecodeError); check the file")
    # beyond the sniffed sample but in the first block: typed as bytes by pyarrow
    late = tmp_path / "late.csv"
    late.write_bytes(b"x,y\n" + b"".join(b"%d,abc\n" % i for i in range(200_000))
                     + b"5,\xe9t\xe9\n")
    assert refusal(lambda: FileSource(late)).startswith(
        f"{late}: column 'y' holds text that is not UTF-8")
    # beyond the first block: refused while reading
    monkeypatch.setattr(datasets, "CSV_BLOCK", 1 << 16)
    source = FileSource(late)
    assert refusal(lambda: list(source.batches())).startswith(f"{late}: not UTF-8 text")


def test_gzip_and_semicolons_read(tmp_path: Path) -> None:
    path = tmp_path / "d.csv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("x;y\n1;a\n2;b\n")
    assert pa.concat_tables(FileSource(path).batches()).to_pydict() == {"x": [1, 2],
                                                                       "y": ["a", "b"]}


# --- damaged and empty files ----------------------------------------------------------------


@pytest.mark.skipif(not PAGE_CHECKSUMS, reason="needs pyarrow 15 or later")
@pytest.mark.parametrize("in_folder", [False, True], ids=["file", "folder"])
def test_a_corrupted_parquet_page_is_refused_naming_the_file(tmp_path: Path,
                                                             in_folder: bool) -> None:
    write_parquet(TABLE, tmp_path / "a.parquet")
    bad = tmp_path / "b.parquet"
    write_parquet(TABLE, bad, compression="none", use_dictionary=False)
    corrupt_first_page(bad, column=1)
    source = FileSource(tmp_path if in_folder else bad, batch_rows=100)
    expected = (f"{bad}: corrupted Parquet file: a page does not match its checksum; "
                "restore the file from a good copy or write it again")
    assert refusal(lambda: list(source.batches())) == expected
    assert refusal(lambda: source.column("n")) == expected
    assert len(source.column("x")) == (2000 if in_folder else 1000)  # the page is in n
    assert refusal(lambda: read_table(tmp_path if in_folder else bad)) == expected


@pytest.mark.parametrize("name", ["empty.csv", "empty.parquet"])
@pytest.mark.parametrize("in_folder", [False, True], ids=["file", "folder"])
def test_an_empty_file_is_refused_naming_it(tmp_path: Path, name: str,
                                            in_folder: bool) -> None:
    empty = tmp_path / name
    empty.write_bytes(b"")
    if in_folder:
        good = tmp_path / ("a.csv" if name.endswith(".csv") else "a.parquet")
        write_parquet(TABLE, good) if good.suffix == ".parquet" else pacsv.write_csv(TABLE,
                                                                                      good)
    message = both_refuse(tmp_path if in_folder else empty)
    assert message == f"{empty}: the file is empty; expected a CSV or Parquet file with rows"


def test_a_file_with_a_header_and_no_rows_is_refused(tmp_path: Path) -> None:
    header_only = tmp_path / "h.csv"
    header_only.write_text("x,n\n\n")
    assert both_refuse(header_only) == (
        f"{header_only}: the file has a header but no rows; add data rows")
    no_rows = tmp_path / "z.parquet"
    write_parquet(TABLE.slice(0, 0), no_rows)
    assert both_refuse(no_rows) == f"{no_rows}: the file has a header but no rows; add data rows"


def test_a_folder_without_any_row_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x,n\n")
    (tmp_path / "b.csv").write_text("x,n\n")
    assert refusal(lambda: FileSource(tmp_path)) == (
        f"{tmp_path}: the file has a header but no rows; add data rows")


def test_a_row_of_missing_values_is_a_row(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("x,n\n,\n")
    assert FileSource(path).column("x").to_pylist() == [None]


def test_a_file_that_is_neither_csv_nor_parquet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 this is not really parquet")
    message = refusal(lambda: FileSource(path))
    assert message.startswith(f"{path}: cannot read (")


def test_duplicate_and_blank_csv_column_names_are_refused(tmp_path: Path) -> None:
    dup = tmp_path / "dup.csv"
    dup.write_text("x,x\n1,2\n")
    assert both_refuse(dup) == f"{dup}: duplicate column name 'x'; give every column a unique name"
    blank = tmp_path / "blank.csv"
    blank.write_text("x,,y\n1,2,3\n")
    assert refusal(lambda: FileSource(blank)) == (
        f"{blank}: column 2 has an empty name; name every column in the header")


def test_parquet_files_are_read_by_row_group(tmp_path: Path) -> None:
    path = tmp_path / "groups.parquet"
    pq.write_table(TABLE, path, row_group_size=100)
    source = FileSource(path, batch_rows=1000)
    sizes = [b.num_rows for b in source.batches(["x"])]
    assert sum(sizes) == 1000 and max(sizes) <= 1000


def test_pandas_unnamed_index_columns_are_not_read_by_either_reader(tmp_path: Path) -> None:
    """A filtered frame saved with pandas keeps its index as ``__index_level_0__``: row labels,
    not data. Neither the whole-table reader nor the batch reader returns it, also in a folder
    where only some files have it."""
    import pandas as pd

    folder = tmp_path / "parts"
    folder.mkdir()
    frame = pd.DataFrame({"income": [1.0, 2.0, 3.0, 4.0], "home": list("abab")})
    frame[frame.income != 3.0].to_parquet(folder / "a.parquet")  # index [0, 1, 3]: a column
    frame.to_parquet(folder / "b.parquet")  # a RangeIndex is saved as metadata only
    assert "__index_level_0__" in pq.read_schema(folder / "a.parquet").names
    assert read_table(folder / "a.parquet").column_names == ["income", "home"]
    assert read_table(folder).num_rows == 7
    source = FileSource(folder)
    assert source.schema.names == ["income", "home"]
    assert sum(b.num_rows for b in source.batches()) == 7
    assert all(b.column_names == ["income", "home"] for b in source.batches())
