"""Split one current table into rounds: by calendar period or by row count."""

from __future__ import annotations

from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from driftscope.errors import ConfigError, InputError
from driftscope.inputs.readers import shown_names

Period = Literal["day", "week", "month"]


def as_timestamp(table: pa.Table, column: str) -> pa.ChunkedArray:
    if column not in table.column_names:
        raise ConfigError(f"timestamp_column: {column!r} is not a column of the current data; "
                          f"columns: {shown_names(table.column_names)}")
    col = table.column(column)
    if pa.types.is_timestamp(col.type) or pa.types.is_date(col.type):
        return pc.cast(col, pa.timestamp("us")) if pa.types.is_date(col.type) else col
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
            or pa.types.is_null(col.type)):
        # numbers could be seconds, milliseconds or days since some epoch: do not guess
        raise InputError(f"timestamp column {column!r} holds {col.type} values, not times; "
                         "write ISO dates or times (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)")
    if not pa.types.is_null(col.type):  # a blank text is a missing time, as in a CSV file
        col = pc.if_else(pc.equal(pc.utf8_trim_whitespace(col), ""),
                         pa.scalar(None, col.type), col)
    try:
        return pc.cast(col, pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    try:  # ISO times with a zone ("Z", "+02:00"): compare them in UTC
        return pc.cast(pc.cast(col, pa.timestamp("us", tz="UTC")), pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return pc.strptime(col, format=fmt, unit="us")
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    raise InputError(f"timestamp column {column!r} does not hold ISO dates or times; "
                     "use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS")


def period_keys(ts: pa.ChunkedArray, by: Period) -> pa.ChunkedArray:
    """A sortable text key per row: the day, the ISO week (Monday start) or the month."""
    if by == "day":
        return pc.strftime(ts, format="%Y-%m-%d")
    if by == "month":
        return pc.strftime(ts, format="%Y-%m")
    if by == "week":
        year = pc.iso_year(ts)
        week = pc.iso_week(ts)
        return pc.binary_join_element_wise(
            pc.cast(year, pa.string()), pc.utf8_lpad(pc.cast(week, pa.string()), 2, "0"), "-W")
    raise ConfigError(f"chunk_by: {by!r} is not one of day, week, month")


def chunk_table(table: pa.Table, by: Period | None = None, timestamp_column: str | None = None,
                size: int | None = None) -> list[tuple[str, pa.Table]]:
    """Chunks of ``table`` in time (or row) order, each with a label.

    Rows with no timestamp are left out of period chunks (they belong to no period);
    :func:`split_table` also says how many.
    """
    return split_table(table, by, timestamp_column, size)[0]


def split_table(table: pa.Table, by: Period | None = None, timestamp_column: str | None = None,
                size: int | None = None) -> tuple[list[tuple[str, pa.Table]], int]:
    """Like :func:`chunk_table`, plus the number of rows left out for having no timestamp."""
    if by is not None and size is not None:
        raise ConfigError("use either --chunk-by or --chunk-size, not both")
    if size is not None:
        if size < 1:
            raise ConfigError("chunk_size: must be at least 1")
        return [(f"rows {start}-{min(start + size, table.num_rows) - 1}",
                 table.slice(start, size)) for start in range(0, table.num_rows, size)], 0
    if by is None:
        return [("all", table)], 0
    if timestamp_column is None:
        raise ConfigError("--chunk-by needs --timestamp-column (the column holding the time)")
    keys = period_keys(as_timestamp(table, timestamp_column), by)
    out = []
    for key in sorted(k for k in pc.unique(keys).to_pylist() if k is not None):
        out.append((key, table.filter(pc.equal(keys, key))))
    return out, keys.null_count
