"""Turn a path (CSV, Parquet, a folder of them) or an in-memory table into a pyarrow Table.

Every failure is an :class:`~driftscope.errors.InputError` whose message names the file and
says what to do.

Parquet integrity: Parquet files are read with page checksum (CRC) verification, so a data
or dictionary page whose bytes were changed after writing (a bad disk, a broken copy or
upload) is refused with an InputError naming the file instead of being read as wrong values.
This works only for files written *with* page checksums, as :func:`write_parquet` does
(pyarrow: ``write_page_checksum=True``; most writers, pandas' ``to_parquet`` and Spark among
them, leave them out by default). A file without checksums cannot be verified: a corrupted
page in it is only noticed when it also breaks decompression or decoding; otherwise its
values are read as they are. Checksums need pyarrow 15 or later; with an older pyarrow files
are written and read without them.
"""

from __future__ import annotations

import collections
import inspect
import os
import re
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from driftscope.errors import InputError

CSV_SUFFIXES = {".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz"}
PARQUET_SUFFIXES = {".parquet", ".pq", ".parq"}

PAGE_CHECKSUMS = "page_checksum_verification" in inspect.signature(
    pq.ParquetFile.__init__).parameters
"""Whether this pyarrow writes and verifies Parquet page checksums (pyarrow 15 and later)."""

_PANDAS_INDEX = re.compile(r"__index_level_\d+__\Z")


def pandas_index_names(names: list[str]) -> list[str]:
    """Columns pandas' ``to_parquet`` adds for an unnamed index (``__index_level_0__``, written
    when the frame was filtered or sorted): they are row labels, not data, and are not read."""
    return [n for n in names if _PANDAS_INDEX.match(n)]


PARQUET_WRITE_OPTIONS: dict[str, Any] = {"compression": "zstd"}
if PAGE_CHECKSUMS:
    PARQUET_WRITE_OPTIONS["write_page_checksum"] = True


def write_parquet(table: Any, where: str | os.PathLike[str] | IO[bytes], **kwargs: Any
                  ) -> None:
    """Write ``table`` as a Parquet file with page checksums and zstd compression.

    ``table`` is a pyarrow Table or a pandas DataFrame (written without its index);
    ``where`` a path or a binary file object; ``kwargs`` go to :func:`pyarrow.parquet.
    write_table` and override the defaults (``compression="zstd"``,
    ``write_page_checksum=True``). :func:`read_table` verifies the checksums, so a file
    written here that gets corrupted later is refused instead of read as wrong values.
    """
    if not isinstance(table, pa.Table):
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        else:
            table = pa.Table.from_pandas(table, preserve_index=False)
    pq.write_table(table, where, **{**PARQUET_WRITE_OPTIONS, **kwargs})


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for s in sorted(CSV_SUFFIXES | PARQUET_SUFFIXES, key=len, reverse=True):
        if name.endswith(s):
            return s
    return path.suffix.lower()


def pandas_csv_index(header: list[str]) -> bool:
    """Whether a CSV header starts with the unnamed column pandas' ``to_csv`` writes for the
    index (``,a,b``): row labels, not data; the readers leave it out."""
    return len(header) > 1 and str(header[0]).strip() == "" and \
        all(str(n).strip() for n in header[1:])


def _check_columns(names: list[str], source: str) -> None:
    if pandas_csv_index(names):
        names = names[1:]
    dupes = [n for n, c in collections.Counter(names).items() if c > 1]
    if dupes:
        raise InputError(
            f"{source}: duplicate column name {dupes[0]!r}; give every column a unique name"
        )
    blank = [i for i, n in enumerate(names) if str(n).strip() == ""]
    if blank:
        raise InputError(
            f"{source}: column {blank[0] + 1} has an empty name; name every column in the header"
        )


DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
UTF8_HINT = "save as UTF-8 (e.g. Excel: CSV UTF-8)"


def shown_names(names: list[str], limit: int = 15) -> str:
    """``names`` for a message: the first ``limit``, then "…" when there are more."""
    more = " …" if len(names) > limit else ""
    return ", ".join(str(n) for n in names[:limit]) + more


def sniff_delimiter(sample: str, tsv: bool = False) -> tuple[str, list[str]]:
    """The delimiter of a CSV text and its header fields.

    Among comma, semicolon, tab and pipe, the one that splits the header record into the most
    fields wins; comma wins ties. A ``.tsv`` file is always tab-separated.
    """
    import csv
    import io

    best: tuple[str, list[str]] | None = None
    for delimiter in ("\t",) if tsv else DELIMITERS:
        fields = next(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), [])
        if best is None or len(fields) > len(best[1]):
            best = (delimiter, fields)
    assert best is not None
    return best


_ZERO_PADDED = re.compile(r"[+-]?0[0-9]+")


def zero_padded_columns(sample: str, delimiter: str, header: list[str]) -> list[str]:
    """Columns of a CSV sample holding whole numbers written with leading zeros (``01234``):
    codes such as ZIP codes, account numbers or ids, read as text so that they keep their
    zeros (as a Parquet file that stores them as text does) instead of becoming 1234."""
    import csv
    import io

    lines = sample.splitlines()[1:]
    if len(sample) >= 1 << 20 and lines:
        lines = lines[:-1]  # the sample may end in the middle of a row
    padded: set[int] = set()
    records = csv.reader(io.StringIO("\n".join(lines), newline=""), delimiter=delimiter)
    try:
        for record in records:
            for i, value in enumerate(record[:len(header)]):
                if i not in padded and len(value) < 40 and _ZERO_PADDED.fullmatch(value.strip()):
                    padded.add(i)
    except csv.Error:  # a field beyond the csv module's limit: the rows before it tell
        pass
    return [header[i] for i in sorted(padded)]


def _read_csv(path: Path) -> pa.Table:
    tsv = ".tsv" in path.name.lower()
    # Read the header ourselves first: pyarrow silently renames duplicates in some versions,
    # and the header tells which delimiter the file uses.
    try:
        opener: Any = open
        if path.name.lower().endswith(".gz"):
            import gzip

            opener = gzip.open
        with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
            sample = fh.read(1 << 20)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; {UTF8_HINT}") from None
    except (OSError, EOFError) as err:
        raise InputError(f"{path}: cannot read ({err.__class__.__name__}); check the file"
                         ) from None
    delimiter, header = sniff_delimiter(sample, tsv)
    if header == [] or header == [""]:
        raise InputError(f"{path}: the file is empty; expected a CSV header and rows")
    _check_columns(header, str(path))
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        inside = "semicolons" if ";" in header[0] else "tabs"
        how = ("a .tsv file is read as tab-separated; rename it to .csv" if tsv else
               "the whole header line seems to be quoted: quote each column name on its own")
        raise InputError(
            f"{path}: the header reads as one single column {header[0][:60]!r}, which holds "
            f"{inside}: the file seems to use another delimiter than "
            f"{_DELIMITER_NAMES[delimiter]}; {how}"
        )
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                strings_can_be_null=True,
                column_types={c: pa.string() for c in zero_padded_columns(
                    sample, delimiter, header)}),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else err.__class__.__name__
        if "utf8" in first.lower().replace("-", ""):
            raise InputError(f"{path}: not UTF-8 text; {UTF8_HINT}") from None
        raise InputError(f"{path}: not a readable CSV file ({first}); check the format") from None
    if pandas_csv_index(header):
        table = table.remove_column(0)
    for field in table.schema:
        if pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type):
            # pyarrow reads text that is not valid UTF-8 as bytes instead of refusing it
            raise InputError(f"{path}: column {field.name!r} holds text that is not UTF-8; "
                             f"{UTF8_HINT}")
    return table


_DECIMAL_COMMA = re.compile(r"^\s*[-+]?(\d{1,3}(\.\d{3})+|\d*),\d+\s*$")
_WHOLE_NUMBER = re.compile(r"^\s*[-+]?\d+\s*$")


def decimal_comma_example(column: pa.ChunkedArray | pa.Array) -> str | None:
    """One value of a text column whose values look like numbers written with a decimal comma
    ("1,5", "-0,25", "1.234,5"), else None. Such a column comes from a CSV exported with a
    locale that writes decimals with a comma."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return None
    values = [v for v in column.drop_null().slice(0, 1000).to_pylist() if v.strip()]
    if not all(_DECIMAL_COMMA.match(v) or _WHOLE_NUMBER.match(v) for v in values):
        return None
    return next((v.strip() for v in values if _DECIMAL_COMMA.match(v)), None)


def _read_parquet(path: Path) -> pa.Table:
    """Read a Parquet file, verifying the page checksums it has (see the module docstring)."""
    verify = {"page_checksum_verification": True} if PAGE_CHECKSUMS else {}
    # Check the names on the schema first: reading a file with duplicate names fails with an
    # obscure "Multiple matches for FieldRef" error instead of naming the column.
    try:
        with pq.ParquetFile(path, **verify) as parquet:
            _check_columns(list(parquet.schema_arrow.names), str(path))
            table = parquet.read()
            table = table.drop_columns(pandas_index_names(table.column_names))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else err.__class__.__name__
        if "checksum" in first.lower() or "crc" in first.lower():
            raise InputError(f"{path}: corrupted Parquet file: a page does not match its "
                             "checksum; restore the file from a good copy or write it again"
                             ) from None
        raise InputError(f"{path}: not a readable Parquet file ({first[:200]}); check the file"
                         ) from None
    return table


def _read_file(path: Path) -> pa.Table:
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.__class__.__name__}: {err.strerror}); "
                         "check the file's permissions") from None
    if size == 0:
        raise InputError(f"{path}: the file is empty; expected a CSV or Parquet file with rows")
    suffix = _suffix(path)
    if suffix in PARQUET_SUFFIXES or magic == b"PAR1":  # a Parquet file whatever its name
        return _read_parquet(path)
    if suffix in CSV_SUFFIXES:
        return _read_csv(path)
    raise InputError(
        f"{path}: unsupported file type '{path.suffix or path.name}'; "
        "use CSV (.csv, .tsv) or Parquet (.parquet)"
    )


def _unify(tables: list[pa.Table], paths: list[Path], folder: Path) -> pa.Table:
    first = tables[0]
    for i, (t, p) in enumerate(zip(tables[1:], paths[1:], strict=True), 1):
        if t.column_names != first.column_names and set(t.column_names) == set(
                first.column_names):
            tables[i] = t.select(first.column_names)  # same columns, another order
        elif t.column_names != first.column_names:
            missing = sorted(set(first.column_names) - set(t.column_names))
            extra = sorted(set(t.column_names) - set(first.column_names))
            what = f"lacks {missing[0]!r}" if missing else f"has extra column {extra[0]!r}"
            raise InputError(
                f"{p}: {what} unlike {paths[0].name} in folder {folder}; "
                "all files in a folder must have the same columns"
            )
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    # CSV and Parquet files of one folder often disagree only in how a value was typed
    # (a CSV date against Parquet text, a dictionary against plain text): read such a column
    # as text in every file; the schema check then decides whether text is acceptable.
    for name in first.column_names:
        types = {t.schema.field(name).type for t in tables}
        if len(types) == 1 or all(pa.types.is_integer(x) or pa.types.is_floating(x)
                                  or pa.types.is_null(x) for x in types):
            continue
        for i, (t, p) in enumerate(zip(tables, paths, strict=True)):
            col = t.column(name)
            if pa.types.is_dictionary(col.type):
                col = col.cast(col.type.value_type)
            try:
                col = col.cast(pa.large_string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise InputError(
                    f"{p}: column {name!r} holds {t.schema.field(name).type} values, unlike "
                    f"{paths[0].name} in folder {folder}; make every file use the same types"
                ) from None
            tables[i] = t.set_column(t.column_names.index(name), name, col)
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        raise InputError(
            f"{folder}: files disagree on column types ({str(err).splitlines()[0]}); "
            "make every file use the same types"
        ) from None


def data_files(path: Path) -> list[Path]:
    """The data files of a path: the file itself, or the CSV and Parquet files of a folder
    (hidden and ``_``-prefixed ones left out), in name order."""
    if not path.exists():
        raise InputError(f"{path}: no such file or folder; check the path")
    if not path.is_dir():
        return [path]
    files = sorted(
        p for p in path.rglob("*")
        if p.is_file() and not p.name.startswith((".", "_"))
        and _suffix(p) in CSV_SUFFIXES | PARQUET_SUFFIXES
    )
    if not files:
        raise InputError(f"{path}: the folder holds no CSV or Parquet files")
    return files


def read_table(source: str | Path) -> pa.Table:
    """Read a CSV or Parquet file, or a folder of them, into one table.

    Raises
    ------
    InputError
        When the path does not exist, is empty, has no rows, is not CSV/Parquet, or has
        duplicate column names.
    """
    path = Path(source)
    files = data_files(path)
    if path.is_dir():
        table = _unify([_read_file(p) for p in files], files, path)
    else:
        table = _read_file(path)
    if table.num_columns == 0:
        raise InputError(f"{path}: no columns found; expected a header row")
    if table.num_rows == 0:
        raise InputError(f"{path}: the file has a header but no rows; add data rows")
    return table


def to_arrow(data: Any, name: str) -> tuple[pa.Table, str]:
    """Accept a path, pandas/polars DataFrame, pyarrow Table or a database query
    (:class:`~driftscope.config.sources.SqlInput`); return (table, source label)."""
    if isinstance(data, (str, Path)):
        return read_table(data), str(data)
    from driftscope.config.sources import SqlInput

    if isinstance(data, SqlInput):
        from driftscope.inputs.sql import read_sql_table

        return read_sql_table(data, name)
    if isinstance(data, pa.Table):
        table = data
    elif isinstance(data, pa.RecordBatch):
        table = pa.Table.from_batches([data])
    elif hasattr(data, "to_arrow") and data.__class__.__module__.startswith("polars"):
        table = data.to_arrow()
    elif hasattr(data, "columns") and hasattr(data, "dtypes"):  # pandas
        import pandas as pd

        if not isinstance(data, pd.DataFrame):
            raise InputError(f"{name}: unsupported table type {type(data).__name__}")
        names = [str(c) for c in data.columns]
        _check_columns(names, name)
        try:
            table = pa.Table.from_pandas(data, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
            raise InputError(
                f"{name}: a column mixes types ({str(err).splitlines()[0]}); "
                "give each column one type"
            ) from None
    else:
        raise InputError(
            f"{name}: expected a path, a pandas or polars DataFrame or a pyarrow Table, "
            f"got {type(data).__name__}"
        )
    _check_columns([str(c) for c in table.column_names], name)
    if table.num_rows == 0:
        raise InputError(f"{name}: the table has no rows")
    return table, f"<{type(data).__name__}>"
