"""Reading CSV, Parquet, folders and in-memory tables; every failure names the file."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from driftscope.errors import InputError
from driftscope.inputs import read_table, to_arrow

FRAME = pd.DataFrame({"x": [1.5, 2.5, np.nan], "n": [1, 2, 3], "s": ["a", None, "c"],
                      "b": [True, False, True]})


def test_csv_and_parquet_read_alike(tmp_path: Path) -> None:
    FRAME.to_csv(tmp_path / "f.csv", index=False)
    FRAME.to_parquet(tmp_path / "f.parquet", index=False)
    from_csv, from_parquet = read_table(tmp_path / "f.csv"), read_table(tmp_path / "f.parquet")
    assert from_csv.column_names == from_parquet.column_names == ["x", "n", "s", "b"]
    for name in FRAME.columns:
        assert from_csv.column(name).to_pylist() == from_parquet.column(name).to_pylist()


def test_tsv_gzip_and_bom(tmp_path: Path) -> None:
    (tmp_path / "f.tsv").write_text("a\tb\n1\tx\n2\ty\n")
    assert read_table(tmp_path / "f.tsv").column_names == ["a", "b"]
    with gzip.open(tmp_path / "f.csv.gz", "wt") as fh:
        fh.write("a,b\n1,x\n")
    assert read_table(tmp_path / "f.csv.gz").num_rows == 1
    (tmp_path / "bom.csv").write_text("a,b\n1,2\n", encoding="utf-8-sig")
    assert read_table(tmp_path / "bom.csv").column_names == ["a", "b"]


def test_a_parquet_file_is_recognised_by_its_content(tmp_path: Path) -> None:
    FRAME.to_parquet(tmp_path / "export.csv")  # wrong suffix
    FRAME.to_parquet(tmp_path / "export.dat")  # unknown suffix
    assert read_table(tmp_path / "export.csv").num_rows == 3
    assert read_table(tmp_path / "export.dat").num_rows == 3


def test_infinities_and_missing_markers(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_text("v,w\ninf,1\n-inf,1\n1,1\nnan,1\n,1\nNA,1\n")
    assert read_table(tmp_path / "f.csv").column("v").to_pylist() == [
        float("inf"), float("-inf"), 1.0, None, None, None]


def test_a_folder_of_mixed_files(tmp_path: Path) -> None:
    (tmp_path / "2026" / "01").mkdir(parents=True)
    FRAME.iloc[:2].to_csv(tmp_path / "a.csv", index=False)
    FRAME.iloc[2:].to_parquet(tmp_path / "2026" / "01" / "b.parquet", index=False)
    FRAME[["s", "x", "n", "b"]].to_csv(tmp_path / "c.csv", index=False)  # other column order
    (tmp_path / ".hidden.csv").write_text("junk\n")
    (tmp_path / "_SUCCESS").write_text("")
    (tmp_path / "notes.md").write_text("not data")
    table = read_table(tmp_path)
    assert table.num_rows == 6 and table.column_names == ["x", "n", "s", "b"]


def test_a_folder_whose_files_type_a_column_differently(tmp_path: Path) -> None:
    # a CSV infers dates, the Parquet file stores text: read as text, not refused
    (tmp_path / "a.csv").write_text("when,v\n2026-01-02,1\n")
    pd.DataFrame({"when": ["2026-01-03"], "v": [2.5]}).to_parquet(tmp_path / "b.parquet")
    table = read_table(tmp_path)
    assert table.column("when").to_pylist() == ["2026-01-02", "2026-01-03"]
    assert table.column("v").to_pylist() == [1.0, 2.5]


def _message(source: Path) -> str:
    with pytest.raises(InputError) as info:
        read_table(source)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_folder_errors_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert "holds no CSV or Parquet files" in _message(tmp_path / "empty")
    FRAME.to_csv(tmp_path / "a.csv", index=False)
    FRAME.drop(columns=["s"]).to_csv(tmp_path / "b.csv", index=False)
    message = _message(tmp_path)
    assert "b.csv" in message and "lacks 's'" in message
    (tmp_path / "b.csv").unlink()
    FRAME.assign(extra=1).to_csv(tmp_path / "c.csv", index=False)
    assert "has extra column 'extra'" in _message(tmp_path)


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("nothing.csv", b"", "the file is empty"),
    ("header.csv", b"a,b\n", "no rows"),
    ("blank.csv", b"\n\n", "empty"),
    ("dup.csv", b"a,b,a\n1,2,3\n", "duplicate column name 'a'"),
    ("noname.csv", b"a,,c\n1,2,3\n", "column 2 has an empty name"),
    ("ragged.csv", b"a,b\n1,2\n3,4,5\n", "not a readable CSV"),
    ("latin1.csv", "é,b\n1,2\n".encode("latin-1"), "not UTF-8"),
    ("sheet.xlsx", b"PK\x03\x04rest", "unsupported file type '.xlsx'"),
    ("noise.parquet", b"\x00" * 64, "not a readable Parquet file"),
    ("cut.parquet", None, "not a readable Parquet file"),
])
def test_bad_files(tmp_path: Path, name: str, content: bytes | None, expected: str) -> None:
    path = tmp_path / name
    if content is None:  # a Parquet file cut short
        FRAME.to_parquet(path)
        path.write_bytes(path.read_bytes()[:-20])
    else:
        path.write_bytes(content)
    message = _message(path)
    assert expected in message and name in message


def test_duplicate_names_in_parquet(tmp_path: Path) -> None:
    pq.write_table(pa.table([pa.array([1]), pa.array([2])], names=["v", "v"]),
                   tmp_path / "d.parquet")
    assert "duplicate column name 'v'" in _message(tmp_path / "d.parquet")


def test_missing_path(tmp_path: Path) -> None:
    assert "no such file or folder" in _message(tmp_path / "nope.csv")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.csv"
    path.write_text("a\n1\n")
    path.chmod(0)
    try:
        assert "cannot read" in _message(path)
    finally:
        path.chmod(0o600)


def test_in_memory_tables() -> None:
    table, source = to_arrow(FRAME, "reference")
    assert table.num_rows == 3 and source == "<DataFrame>"
    assert to_arrow(pa.Table.from_pandas(FRAME), "current")[0].num_rows == 3
    batch = pa.RecordBatch.from_pandas(FRAME)
    assert to_arrow(batch, "current")[0].num_rows == 3


@pytest.mark.parametrize(("data", "expected"), [
    (pd.DataFrame([[1, 2]], columns=["a", "a"]), "duplicate column name 'a'"),
    (pd.DataFrame({"a": []}), "no rows"),
    (pd.DataFrame({"a": [1, "x", 2.5]}), "mixes types"),
    ([1, 2, 3], "got list"),
    (np.zeros((2, 2)), "got ndarray"),
])
def test_bad_in_memory_tables(data: object, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        to_arrow(data, "current")


def test_polars_frames() -> None:
    pl = pytest.importorskip("polars")
    table, _ = to_arrow(pl.DataFrame({"a": [1, 2]}), "current")
    assert table.column("a").to_pylist() == [1, 2]
