"""Split one current table into rounds: by calendar period or by row count."""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

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


def split_table(table: pa.Table, by: Period | None = None, timestamp_column: str | None = None,
                size: int | None = None) -> tuple[list[tuple[str, pa.Table]], int]:
    """Chunks of ``table`` in time (or row) order, each with a label, and the number of rows
    left out of period chunks for having no timestamp (they belong to no period)."""
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


MIN_SHARE_OF_MEDIAN = 0.5
"""A chunk with fewer rows than this share of the median chunk is merged into a neighbour."""


@dataclass(frozen=True)
class Chunk:
    """One round of a backfill: its label, its rows, and the periods (or row ranges) it holds
    with their row counts (more than one when small chunks were merged into it)."""

    label: str
    table: Any
    """The chunk's rows: a table, or a batch source over the files they were spilled to by
    a streamed backfill (:mod:`driftscope.inputs.spill`); either has ``num_rows``."""
    parts: tuple[tuple[str, int], ...]

    @property
    def rows(self) -> int:
        return sum(n for _, n in self.parts)

    @property
    def merged(self) -> bool:
        return len(self.parts) > 1


def _joined_label(parts: Sequence[str]) -> str:
    rows = [_ROWS.fullmatch(p) for p in parts]
    if all(rows):
        return f"rows {rows[0].group(1)}-{rows[-1].group(2)}"  # type: ignore[union-attr]
    return parts[0] if len(parts) == 1 else f"{parts[0]}..{parts[-1]}"


_ROWS = re.compile(r"rows (\d+)-(\d+)")


def merge_small_chunks(chunks: Sequence[tuple[str, pa.Table]],
                       share: float = MIN_SHARE_OF_MEDIAN) -> list[Chunk]:
    """Merge every chunk with fewer rows than ``share`` of the median chunk into a neighbour.

    A partial first or last period (a week that had only begun, the rest of ``--chunk-size``)
    would otherwise be a round of its own: on few rows PSI reads high from sampling alone, and
    as the newest round it would decide the report and the trends. The smallest such chunk is
    merged first, into its smaller neighbour (the earlier one on a tie); merging repeats until
    no chunk is below the minimum, which is fixed by the chunks as split. Order is kept.
    """
    out = []
    for group in merge_groups([t.num_rows for _, t in chunks], share):
        parts = [chunks[i] for i in group]
        table = parts[0][1] if len(parts) == 1 else pa.concat_tables([t for _, t in parts])
        out.append(Chunk(_joined_label([label for label, _ in parts]), table,
                         tuple((label, t.num_rows) for label, t in parts)))
    return out


def merge_groups(rows: Sequence[int], share: float = MIN_SHARE_OF_MEDIAN) -> list[list[int]]:
    """Which consecutive chunks :func:`merge_small_chunks` joins, from their row counts alone
    (so that chunks spilled to files merge the same way as tables)."""
    groups: list[list[int]] = [[i] for i in range(len(rows))]
    if len(groups) < 2:
        return groups
    minimum = statistics.median(rows) * share

    def size(group: list[int]) -> int:
        return sum(rows[i] for i in group)

    while len(groups) > 1:
        small = [i for i, group in enumerate(groups) if size(group) < minimum]
        if not small:
            break
        i = min(small, key=lambda k: (size(groups[k]), k))
        neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(groups)]
        j = min(neighbours, key=lambda k: (size(groups[k]), k))
        first, second = sorted((i, j))
        groups[first] = groups[first] + groups[second]
        del groups[second]
    return groups


def joined_label(parts: Sequence[str]) -> str:
    """The label of chunks joined into one (``rows 0-999`` or ``2026-W01..2026-W03``)."""
    return _joined_label(parts)
