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


# -- delimiters, decimal commas and encodings ----------------------------------------------

@pytest.mark.parametrize(("name", "text"), [
    ("semicolon.csv", "a;b;c\n1;x;2.5\n2;y;3.5\n"),
    ("tab.csv", "a\tb\tc\n1\tx\t2.5\n2\ty\t3.5\n"),
    ("pipe.txt", "a|b|c\n1|x|2.5\n2|y|3.5\n"),
    ("comma.csv", "a,b,c\n1,x,2.5\n2,y,3.5\n"),
    ("quoted.csv", '"a",b,"c"\n1,"x;y",2.5\n2,y,3.5\n'),  # a semicolon inside a value
])
def test_the_delimiter_is_detected_from_the_header(tmp_path: Path, name: str,
                                                   text: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    table = read_table(tmp_path / name)
    assert table.column_names == ["a", "b", "c"]
    assert table.column("a").to_pylist() == [1, 2]
    assert table.column("c").to_pylist() == [2.5, 3.5]


@pytest.mark.parametrize(("header", "delimiter"), [
    ("a,b;c", ","),  # two fields either way: comma wins the tie
    ("a;b;c,d", ";"),  # three fields against two
    ('"x,y";z', ";"),  # a quoted comma is not a delimiter
    ("a|b\tc|d", "|"),
    ("single", ","),
])
def test_sniffing_picks_the_delimiter_with_most_fields(header: str, delimiter: str) -> None:
    from driftscope.inputs.readers import sniff_delimiter

    assert sniff_delimiter(header + "\n1\n")[0] == delimiter
    assert sniff_delimiter(header + "\n", tsv=True)[0] == "\t"


def test_a_tsv_file_stays_tab_separated(tmp_path: Path) -> None:
    (tmp_path / "f.tsv").write_text("a,b\tc\n1,2\t3\n", encoding="utf-8")
    assert read_table(tmp_path / "f.tsv").column_names == ["a,b", "c"]


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("whole.csv", '"a;b;c"\n"1;2;3"\n', ["one single column 'a;b;c'", "semicolons",
                                         "quote each column name"]),
    ("semi.tsv", "a;b\n1;2\n", ["one single column 'a;b'", "semicolons", "tab",
                                "rename it to .csv"]),
    ("tabs.csv", '"a\tb"\n1\n', ["one single column 'a\\tb'", "tabs"]),
])
def test_a_header_read_as_one_column_is_explained(tmp_path: Path, name: str, text: str,
                                                  expected: list[str]) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    message = _message(tmp_path / name)
    assert name in message and "delimiter" in message
    for part in expected:
        assert part in message


def test_a_decimal_comma_file_reads_as_text(tmp_path: Path) -> None:
    (tmp_path / "de.csv").write_text("amount;city\n1,5;Köln\n-2,25;Bonn\n1.234,5;Ulm\n",
                                     encoding="utf-8")
    table = read_table(tmp_path / "de.csv")
    assert table.column_names == ["amount", "city"]
    assert table.column("amount").to_pylist() == ["1,5", "-2,25", "1.234,5"]


@pytest.mark.parametrize(("values", "expected"), [
    (["1,5", "-2,25", None, "3", " 1.234,5 "], "1,5"),
    (pa.array(["0,5", "0,5"]).dictionary_encode(), "0,5"),
    (["1,5", "abc"], None),  # text, not numbers
    (["1.5", "2"], None),  # a decimal point: not this problem
    (["3", "4"], None),  # no comma at all
    ([None, None], None),
])
def test_decimal_comma_example(values: object, expected: str | None) -> None:
    from driftscope.inputs.readers import decimal_comma_example

    column = values if isinstance(values, pa.Array) else pa.array(values, pa.string())
    assert decimal_comma_example(column) == expected
    assert decimal_comma_example(pa.array([1.5, 2.5])) is None


@pytest.mark.parametrize("where", ["header", "first row", "after the first megabyte"])
def test_a_file_that_is_not_utf8_says_how_to_save_it(tmp_path: Path, where: str) -> None:
    rows = "".join(f"{i},x\n" for i in range(200_000)) if where.startswith("after") else ""
    if where == "header":
        content = "é,b\n1,2\n".encode("latin-1")
    else:
        content = ("a,b\n" + rows).encode() + "1,café\n".encode("cp1252")
    (tmp_path / "excel.csv").write_bytes(content)
    message = _message(tmp_path / "excel.csv")
    assert "excel.csv" in message and "not UTF-8" in message
    assert "save as UTF-8 (e.g. Excel: CSV UTF-8)" in message


def test_shown_names_ends_with_an_ellipsis_when_cut() -> None:
    from driftscope.inputs.readers import shown_names

    assert shown_names(["a", "b"]) == "a, b"
    assert shown_names([f"c{i}" for i in range(15)]).endswith("c14")
    assert shown_names([f"c{i}" for i in range(16)]) == ", ".join(
        f"c{i}" for i in range(15)) + " …"


def test_zero_padded_codes_in_a_csv_are_read_as_text(tmp_path: Path) -> None:
    """ZIP codes and ids written with leading zeros keep them (read as text, as a Parquet
    file storing text keeps them); numbers without such zeros are still numbers."""
    from driftscope.inputs.batches import FileSource

    path = tmp_path / "codes.csv"
    path.write_text("zip,count,share,flag\n01234,0,0.5,1\n00501,12,0.25,0\n12345,7,1.0,1\n")
    table = read_table(path)
    assert table.column("zip").to_pylist() == ["01234", "00501", "12345"]
    assert pa.types.is_integer(table.schema.field("count").type)
    assert pa.types.is_floating(table.schema.field("share").type)
    assert pa.types.is_integer(table.schema.field("flag").type)
    streamed = pa.concat_tables(list(FileSource(path).batches()))
    assert streamed.column("zip").to_pylist() == ["01234", "00501", "12345"]


@pytest.mark.slow  # two rounds
def test_a_parquet_reference_of_codes_against_a_csv_batch_sees_no_drift(tmp_path: Path) -> None:
    import driftscope

    rng = np.random.default_rng(4)
    codes = [f"{z:05d}" for z in rng.integers(500, 3000, 40)]
    frame = pd.DataFrame({"zip": rng.choice(codes, 3000), "x": rng.normal(size=3000)})
    frame.iloc[:2000].to_parquet(tmp_path / "ref.parquet", index=False)
    frame.iloc[2000:].to_csv(tmp_path / "cur.csv", index=False)
    frame.iloc[2000:].to_parquet(tmp_path / "cur.parquet", index=False)
    as_csv = driftscope.run(reference=tmp_path / "ref.parquet", current=tmp_path / "cur.csv")
    as_parquet = driftscope.run(reference=tmp_path / "ref.parquet",
                                current=tmp_path / "cur.parquet")
    zips = [next(f for f in r.features if f.name == "zip") for r in (as_csv, as_parquet)]
    assert zips[0].metrics.psi == zips[1].metrics.psi
    assert zips[0].status.value == "NORMAL"


def test_the_index_column_pandas_to_csv_writes_is_left_out(tmp_path: Path) -> None:
    """``df.to_csv(path)`` (pandas' default, index=True) starts the header with an empty
    name: that column holds row labels, and neither reader reads it; an empty name elsewhere
    is still refused."""
    from driftscope.inputs.batches import FileSource

    frame = pd.DataFrame({"a": [1.5, 2.5, 3.5], "b": ["x", "y", "z"]}, index=[7, 3, 9])
    frame.to_csv(tmp_path / "indexed.csv")
    assert read_table(tmp_path / "indexed.csv").column_names == ["a", "b"]
    files = FileSource(tmp_path / "indexed.csv")
    assert files.schema.names == ["a", "b"]
    assert pa.concat_tables(list(files.batches())).column("b").to_pylist() == ["x", "y", "z"]
    (tmp_path / "blank.csv").write_text("a,,b\n1,2,3\n")
    with pytest.raises(InputError, match="column 2 has an empty name"):
        read_table(tmp_path / "blank.csv")
