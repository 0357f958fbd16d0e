"""CSV and Parquet files opened as a pyarrow dataset, to be read by batch or by column.

The same files :func:`driftscope.inputs.readers.read_table` reads whole, with the same checks
(a missing or empty path, duplicate column names, the CSV delimiter sniffed from the header,
Parquet page checksums verified), for the streaming backend. Every file of a folder must have
one format and the same columns; a CSV column's type is inferred from the file's first block,
so a column that changes type further down is refused with a pointer to the local backend.
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
    PAGE_CHECKSUMS,
    PARQUET_SUFFIXES,
    _check_columns,
    _suffix,
    data_files,
    sniff_delimiter,
)

CSV_BLOCK = 1 << 24
"""Bytes of a CSV block (the first block of each file also decides the column types)."""

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


def _csv_format(first: Path) -> ds.CsvFileFormat:
    if first.name.lower().endswith(".gz"):
        import gzip

        opener: Any = gzip.open
    else:
        opener = open
    try:
        with opener(first, "rt", encoding="utf-8-sig", newline="") as fh:
            sample = fh.read(1 << 20)
    except (UnicodeDecodeError, OSError, EOFError) as err:
        raise InputError(f"{first}: cannot read as UTF-8 text ({err.__class__.__name__}); "
                         "check the file") from None
    delimiter, header = sniff_delimiter(sample, ".tsv" in first.name.lower())
    if header in ([], [""]):
        raise InputError(f"{first}: the file is empty; expected a CSV header and rows")
    _check_columns(header, str(first))
    return ds.CsvFileFormat(
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        convert_options=pacsv.ConvertOptions(strings_can_be_null=True),
        read_options=pacsv.ReadOptions(block_size=CSV_BLOCK))


def open_dataset(files: list[Path], where: Path) -> ds.Dataset:
    """The files as one dataset; refused in one line when formats or columns differ."""
    kinds = {_is_parquet(f) for f in files}
    if len(kinds) > 1:
        raise InputError(f"{where}: the folder mixes CSV and Parquet files; the streaming "
                         "backend reads one format at a time (convert them, or use "
                         "--backend local)")
    if kinds == {True}:
        for f in files:
            with dataset_errors(str(f)):
                if pq.read_metadata(f).num_rows == 0 and len(files) == 1:
                    raise InputError(f"{f}: the file has a header but no rows; add data rows")
        schema = _parquet_schema(files, where)
        options = (ds.ParquetFragmentScanOptions(page_checksum_verification=True)
                   if PAGE_CHECKSUMS else None)
        fmt: ds.FileFormat = ds.ParquetFileFormat(default_fragment_scan_options=options)
    else:
        fmt = _csv_format(files[0])
        schema = None
    with dataset_errors(str(where)):
        dataset = ds.dataset([str(f) for f in files], format=fmt, schema=schema)
    _check_columns(list(dataset.schema.names), str(where))
    if not dataset.schema.names:
        raise InputError(f"{where}: no columns found; expected a header row")
    return dataset


def _parquet_schema(files: list[Path], where: Path) -> pa.Schema:
    first = pq.read_schema(files[0])
    _check_columns(list(first.names), str(files[0]))
    for f in files[1:]:
        other = pq.read_schema(f)
        if set(other.names) != set(first.names):
            missing = sorted(set(first.names) - set(other.names))
            extra = sorted(set(other.names) - set(first.names))
            what = f"lacks {missing[0]!r}" if missing else f"has extra column {extra[0]!r}"
            raise InputError(f"{f}: {what} unlike {files[0].name} in folder {where}; all "
                             "files in a folder must have the same columns")
        for field in first:
            t = other.field(field.name).type
            if t != field.type and not (_is_number(t) and _is_number(field.type)):
                raise InputError(f"{f}: column {field.name!r} holds {t} values, unlike "
                                 f"{files[0].name} in folder {where}; make every file use "
                                 "the same types")
    # numbers typed differently by file (int in one, float in another) read as float64
    fields = []
    for field in first:
        types = {pq.read_schema(f).field(field.name).type for f in files} if len(files) > 1 \
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
        if "conversion error" in low:
            raise InputError(f"{name}: a CSV column changes type after the first rows "
                             f"({first[:160]}); the streaming backend types each column from "
                             "the first block: convert the file to Parquet, or use --backend "
                             "local") from None
        raise InputError(f"{name}: cannot read ({first[:200]}); check the file") from None
