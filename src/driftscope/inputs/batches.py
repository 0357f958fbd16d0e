"""Where a backend reads a side's rows from: record batches, and one column at a time.

A :class:`BatchSource` hands out the rows in batches (bounded memory) and reads a single
column whole (to sort it for exact Kolmogorov–Smirnov, one column in memory at a time). Three
sources exist: a table already in memory (:class:`TableSource`), CSV or Parquet files read by
row group or block (:class:`FileSource`), and a source whose batches pass through a repair
first (:class:`RepairedSource`, the schema check's casts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import pyarrow as pa

from driftscope.errors import InputError

DEFAULT_BATCH_ROWS = 1 << 18
"""Rows per batch of a file source (about 2 MB a numerical column)."""


@runtime_checkable
class BatchSource(Protocol):
    """Rows of one side, by batch or by column."""

    @property
    def name(self) -> str:
        """How reports name the data (a path, or the table's type)."""
        ...

    @property
    def schema(self) -> pa.Schema: ...

    @property
    def num_rows(self) -> int:
        """How many rows there are (without reading them where the format tells)."""
        ...

    def batches(self, columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
        """The rows in order, a bounded number at a time, with only ``columns``."""
        ...

    def column(self, name: str) -> pa.ChunkedArray:
        """One column, whole."""
        ...


@dataclass(frozen=True, eq=False)
class TableSource:
    """A table in memory: one batch, columns by reference (no copy)."""

    table: pa.Table
    name: str = "<Table>"

    @property
    def schema(self) -> pa.Schema:
        return self.table.schema

    @property
    def num_rows(self) -> int:
        return self.table.num_rows

    def batches(self, columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
        yield self.table if columns is None else self.table.select(list(columns))

    def column(self, name: str) -> pa.ChunkedArray:
        return self.table.column(name)


@dataclass(frozen=True, eq=False)
class RepairedSource:
    """Another source whose batches and columns pass through ``repair`` (a function of a
    table that may only change the columns it is given, e.g. the schema check's casts)."""

    inner: BatchSource
    repair: Callable[[pa.Table], pa.Table]
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.inner.name)

    @property
    def schema(self) -> pa.Schema:
        return self.repair(self.inner.schema.empty_table()).schema

    @property
    def num_rows(self) -> int:
        return self.inner.num_rows

    def batches(self, columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
        if columns is None:
            for batch in self.inner.batches():
                yield self.repair(batch)
            return
        # the inner source is asked only for the columns it has; a column it lacks (a
        # reference column missing from the current data) comes back all missing, as the
        # repair fills it in a whole table
        wanted = list(columns)
        filled = self._fillable()
        for batch in self.inner.batches([c for c in wanted if c not in filled]):
            yield self._filled(self.repair(batch), wanted, batch.num_rows)

    def column(self, name: str) -> pa.ChunkedArray:
        if name in self._fillable():
            return self._filled(pa.table({}), [name], self.inner.num_rows).column(name)
        one = pa.table({name: self.inner.column(name)})
        return self.repair(one).column(name)

    def _fillable(self) -> set[str]:
        """Columns the repair adds (all missing) that the inner source does not have."""
        return set(self.schema.names) - set(self.inner.schema.names)

    def _filled(self, table: pa.Table, wanted: list[str], rows: int) -> pa.Table:
        """``table`` with the ``wanted`` columns the repair adds, all missing (typed as the
        repaired schema types them)."""
        schema = self.schema
        for name in wanted:
            if name not in table.column_names and name in schema.names:
                kind = schema.field(name).type
                table = table.append_column(pa.field(name, kind), pa.nulls(rows, kind))
        return table


class FileSource:
    """CSV or Parquet files (one file, or a folder of files of one format and one schema),
    read a row group or a block at a time; never the whole table."""

    def __init__(self, path: str | Path, batch_rows: int = DEFAULT_BATCH_ROWS) -> None:
        from driftscope.inputs.datasets import data_files, open_dataset

        self.path = Path(path)
        self.name = str(path)
        self.batch_rows = batch_rows
        self.files = data_files(self.path)
        self.dataset = open_dataset(self.files, self.path)
        # pandas' unnamed index column of a CSV (an empty name, first): row labels, not read
        self._schema = pa.schema([f for f in self.dataset.schema if f.name != ""])
        self._rows: int | None = None

    @property
    def schema(self) -> pa.Schema:
        return self._schema

    @property
    def num_rows(self) -> int:
        if self._rows is None:
            self._rows = int(self.dataset.count_rows())
        return self._rows

    def batches(self, columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
        import pyarrow.dataset as ds

        from driftscope.inputs.datasets import dataset_errors

        wanted = None if columns is None else list(columns)
        # file by file, so that an error names the file it comes from, not just the folder;
        # a Parquet file row group by row group, one batch read ahead: pyarrow's scanner
        # otherwise reads ahead as far as the consumer lags (16 batches and more)
        for fragment in self.dataset.get_fragments():
            with dataset_errors(fragment.path):
                parts = (fragment.split_by_row_group()
                         if isinstance(fragment, ds.ParquetFileFragment) else [fragment])
                for part in parts:
                    for batch in part.to_batches(schema=self.schema, columns=wanted,
                                                 batch_size=self.batch_rows,
                                                 batch_readahead=1, fragment_readahead=1,
                                                 use_threads=True):
                        if batch.num_rows:
                            yield pa.Table.from_batches([batch])

    def column(self, name: str) -> pa.ChunkedArray:
        from driftscope.inputs.datasets import dataset_errors

        if name not in self.schema.names:
            raise InputError(f"{self.name}: no column {name!r}")
        chunks: list[pa.Array] = []
        for fragment in self.dataset.get_fragments():
            with dataset_errors(fragment.path):
                part = fragment.to_table(schema=self.schema, columns=[name], use_threads=True)
            chunks.extend(part.column(0).chunks)
        return pa.chunked_array(chunks, type=self.schema.field(name).type)


def sample_rows(source: BatchSource, rows: int, seed: int = 0) -> pa.Table:
    """At most ``rows`` rows of ``source`` drawn across all of it (seeded, each row kept with
    the same chance, in the source's order), read batch by batch; every row when it has no
    more. What a side that is not held whole shows the checks that read rows."""
    import numpy as np

    total = source.num_rows
    rng = np.random.default_rng(seed)
    chance = 1.0 if total <= rows else min(1.0, 1.2 * rows / total)  # a little over
    parts = [batch if chance >= 1.0 else
             batch.filter(pa.array(rng.random(batch.num_rows) < chance))
             for batch in source.batches()]
    if not parts:
        return source.schema.empty_table()
    drawn = pa.concat_tables(parts)
    if drawn.num_rows > rows:  # then down to ``rows``, evenly over the drawn ones
        drawn = drawn.take(pa.array(np.sort(rng.choice(drawn.num_rows, rows, replace=False))))
    return drawn.combine_chunks()
