"""CSV and Parquet files opened as a pyarrow dataset, to be read by batch or by column.

The same files :func:`driftscope.inputs.readers.read_table` reads whole, with the same checks
(a missing or empty path, duplicate column names, the CSV delimiter sniffed from the header,
Parquet page checksums verified), for the streaming backend. Every file of a folder must have
one format and the same columns (a CSV folder, one delimiter); a CSV column's type is inferred
from the file's first block (a folder's, from the first file's first block widened by the
start of every other file), so a column that changes type further down is refused, naming the
file, with a pointer to the local backend. Errors name the file they come from.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from driftscope.errors import InputError
from driftscope.inputs.readers import (
    _DELIMITER_NAMES,
    PAGE_CHECKSUMS,
    PARQUET_SUFFIXES,
    UTF8_HINT,
    _check_columns,
    _suffix,
    data_files,
    pandas_index_names,
    sniff_delimiter,
    zero_padded_columns,
)

CSV_BLOCK = 1 << 24
"""Bytes of a CSV block (the first block of each file also decides the column types)."""

CSV_SAMPLE_BLOCK = 1 << 20
"""Bytes of each further file of a CSV folder read to widen the column types."""

HEADER_CHARS = 1 << 24
"""The longest CSV header line read to find the columns."""

__all__ = ["data_files", "dataset_errors", "open_dataset"]


def _is_parquet(path: Path) -> bool:
    if _suffix(path) in PARQUET_SUFFIXES:
        return True
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"PAR1"
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.__class__.__name__}: {err.strerror}); "
                         "check the file's permissions") from None


def _csv_sample(path: Path, chars: int) -> str:
    """The first ``chars`` characters of a CSV file (gzip or plain), as UTF-8 text."""
    opener: Any = open
    if path.name.lower().endswith(".gz"):
        import gzip

        opener = gzip.open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
            sample = fh.read(chars)
            while "\n" not in sample and len(sample) < HEADER_CHARS:  # a very wide header
                more = fh.read(chars)
                if not more:
                    break
                sample += more
    except (UnicodeDecodeError, OSError, EOFError) as err:
        raise InputError(f"{path}: cannot read as UTF-8 text ({err.__class__.__name__}); "
                         "check the file") from None
    return sample


def _csv_header(path: Path, chars: int) -> tuple[str, list[str], bool, list[str]]:
    """A CSV file's delimiter, header, whether it has a data row (assumed when the sample
    ends before the file does) and its zero-padded code columns (read as text, see
    :func:`~driftscope.inputs.readers.zero_padded_columns`); refused when it has no
    header."""
    import csv
    import io

    sample = _csv_sample(path, chars)
    delimiter, header = sniff_delimiter(sample, ".tsv" in path.name.lower())
    if header in ([], [""]):
        raise InputError(f"{path}: the file is empty; expected a CSV header and rows")
    _check_columns(header, str(path))
    padded = zero_padded_columns(sample, delimiter, header)
    if len(sample) >= chars:
        return delimiter, header, True, padded
    records = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    next(records, None)
    has_rows = any(records)  # a blank line is no row (for pyarrow either); "," is one
    return delimiter, header, has_rows, padded


def _csv_format(files: list[Path], where: Path) -> ds.CsvFileFormat:
    """The CSV format of the files (the first one's delimiter); every file of a folder must
    have the same columns and delimiter, and one of them a data row."""
    first = files[0]
    delimiter, header, has_rows, padded = _csv_header(first, 1 << 20)
    for f in files[1:]:
        other_delimiter, other, rows, more = _csv_header(f, 1 << 16)
        has_rows = has_rows or rows
        padded += [c for c in more if c not in padded]
        if set(other) != set(header):
            raise InputError(_columns_differ(f, header, other, first, where))
        if other_delimiter != delimiter:
            raise InputError(f"{f}: columns separated by {_DELIMITER_NAMES[other_delimiter]}s, "
                             f"unlike {first.name} ({_DELIMITER_NAMES[delimiter]}s) in folder "
                             f"{where}; make every file use one delimiter")
    if not has_rows:
        raise InputError(f"{where}: the file has a header but no rows; add data rows")
    return ds.CsvFileFormat(
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        convert_options=pacsv.ConvertOptions(
            strings_can_be_null=True, column_types={c: pa.string() for c in padded}),
        read_options=pacsv.ReadOptions(block_size=CSV_BLOCK))


def _csv_schema(files: list[Path], fmt: ds.CsvFileFormat) -> pa.Schema | None:
    """The column types of a folder of CSV files: those of the first file's first block,
    widened by the first :data:`CSV_SAMPLE_BLOCK` bytes of every other file — a column
    empty in one file (typed null) takes another file's type, whole numbers in one and
    decimals in another read as float64, other disagreements as text (as
    :func:`~driftscope.inputs.readers.read_table` reads them). None for one file: the
    dataset types it from its first block."""
    if len(files) == 1:
        return None
    schemas = []
    for i, f in enumerate(files):
        block = CSV_BLOCK if i == 0 else min(CSV_BLOCK, CSV_SAMPLE_BLOCK)
        with dataset_errors(str(f)):
            reader = pacsv.open_csv(f, read_options=pacsv.ReadOptions(block_size=block),
                                    parse_options=fmt.parse_options,
                                    convert_options=fmt.default_fragment_scan_options
                                    .convert_options)
            schemas.append(reader.schema)
            reader.close()
    fields = []
    for field in schemas[0]:
        types = {s.field(field.name).type for s in schemas} - {pa.null()}
        if len(types) > 1:
            numbers = all(_is_number(t) for t in types)
            field = field.with_type(pa.float64() if numbers else pa.large_string())
        elif types:
            field = field.with_type(types.pop())
        fields.append(field)
    return pa.schema(fields)


def _columns_differ(f: Path, first_names: list[str], names: list[str], first: Path,
                    where: Path) -> str:
    missing = sorted(set(first_names) - set(names))
    extra = sorted(set(names) - set(first_names))
    what = f"lacks {missing[0]!r}" if missing else f"has extra column {extra[0]!r}"
    return (f"{f}: {what} unlike {first.name} in folder {where}; all files in a folder must "
            "have the same columns")


def open_dataset(files: list[Path], where: Path) -> ds.Dataset:
    """The files as one dataset; refused in one line when formats or columns differ."""
    for f in files:
        try:
            empty = f.stat().st_size == 0
        except OSError as err:
            raise InputError(f"{f}: cannot read ({err.__class__.__name__}: {err.strerror}); "
                             "check the file's permissions") from None
        if empty:
            raise InputError(f"{f}: the file is empty; expected a CSV or Parquet file with "
                             "rows")
    kinds = {_is_parquet(f) for f in files}
    if len(kinds) > 1:
        raise InputError(f"{where}: the folder mixes CSV and Parquet files; the streaming "
                         "backend reads one format at a time (convert them, or use "
                         "--backend local)")
    if kinds == {True}:
        rows = 0
        for f in files:
            with dataset_errors(str(f)):
                rows += pq.read_metadata(f).num_rows
        if rows == 0:
            raise InputError(f"{where}: the file has a header but no rows; add data rows")
        schema = _parquet_schema(files, where)
        # no pre-buffering: it reads whole row groups ahead of the batches asked for, and
        # memory is meant to hold a batch, not a file
        checksums = {"page_checksum_verification": True} if PAGE_CHECKSUMS else {}
        options = ds.ParquetFragmentScanOptions(pre_buffer=False, **checksums)
        fmt: ds.FileFormat = ds.ParquetFileFormat(default_fragment_scan_options=options)
    else:
        csv_format = _csv_format(files, where)
        schema = _csv_schema(files, csv_format)
        fmt = csv_format
    with dataset_errors(str(where)):
        dataset = ds.dataset([str(f) for f in files], format=fmt, schema=schema)
    _check_columns(list(dataset.schema.names), str(where))
    if not dataset.schema.names:
        raise InputError(f"{where}: no columns found; expected a header row")
    for field in dataset.schema:
        if pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type):
            # pyarrow types CSV text that is not valid UTF-8 as bytes instead of refusing it
            # (the types come from the first file)
            raise InputError(f"{files[0]}: column {field.name!r} holds text that is not "
                             f"UTF-8; {UTF8_HINT}")
    return dataset


def _read_schema(path: Path) -> pa.Schema:
    """A Parquet file's schema without pandas' unnamed index columns (not data; not read)."""
    schema = pq.read_schema(path)
    for name in pandas_index_names(schema.names):
        schema = schema.remove(schema.get_field_index(name))
    return schema


def _parquet_schema(files: list[Path], where: Path) -> pa.Schema:
    first = _read_schema(files[0])
    _check_columns(list(first.names), str(files[0]))
    for f in files[1:]:
        other = _read_schema(f)
        if set(other.names) != set(first.names):
            raise InputError(_columns_differ(f, list(first.names), list(other.names),
                                             files[0], where))
        for field in first:
            t = other.field(field.name).type
            if t != field.type and not (_is_number(t) and _is_number(field.type)):
                raise InputError(f"{f}: column {field.name!r} holds {t} values, unlike "
                                 f"{files[0].name} in folder {where}; make every file use "
                                 "the same types")
    # numbers typed differently by file (int in one, float in another) read as float64
    fields = []
    for field in first:
        types = {_read_schema(f).field(field.name).type for f in files} if len(files) > 1 \
            else {field.type}
        if len(types) > 1 and all(_is_number(t) for t in types):
            field = field.with_type(pa.float64())
        fields.append(field)
    return pa.schema(fields)


def _is_number(t: pa.DataType) -> bool:
    return bool(pa.types.is_integer(t) or pa.types.is_floating(t))


@contextmanager
def dataset_errors(name: str) -> Iterator[None]:
    """Turn pyarrow's read errors into one-line InputErrors naming the source."""
    try:
        yield
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OSError,
            UnicodeDecodeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else \
            err.__class__.__name__
        low = first.lower()
        if "checksum" in low or "crc" in low:
            raise InputError(f"{name}: corrupted Parquet file: a page does not match its "
                             "checksum; restore the file from a good copy or write it again"
                             ) from None
        if "invalid utf8" in low or "invalid utf-8" in low:
            raise InputError(f"{name}: not UTF-8 text; {UTF8_HINT}") from None
        if "conversion error" in low:
            raise InputError(f"{name}: a CSV column changes type after the first rows "
                             f"({first[:160]}); the streaming backend types each column from "
                             "the first block: convert the file to Parquet, or use --backend "
                             "local") from None
        raise InputError(f"{name}: cannot read ({first[:200]}); check the file") from None
