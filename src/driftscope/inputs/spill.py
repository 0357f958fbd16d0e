"""A streamed backfill's chunks: the current data split by period (or row count) in one pass
over its batches, each chunk's rows spilled to Parquet files in a temporary folder.

A backfill over a year of data then holds one batch at a time, not the year: each chunk is
read back by the streaming backend like any file. Small chunks are merged as
:func:`driftscope.inputs.chunking.merge_small_chunks` merges tables (the same rule, from the
row counts), by moving their files into one folder.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from driftscope.errors import ConfigError
from driftscope.inputs.batches import BatchSource, FileSource
from driftscope.inputs.chunking import (
    Chunk,
    Period,
    as_timestamp,
    joined_label,
    merge_groups,
    period_keys,
)
from driftscope.inputs.readers import PARQUET_WRITE_OPTIONS


class SpilledChunks:
    """The chunks of one streamed backfill and the temporary folder that holds them (removed
    by :meth:`close`, or when the object is used as a context manager and left)."""

    def __init__(self, source: BatchSource, by: Period | None, timestamp_column: str | None,
                 size: int | None, batch_rows: int) -> None:
        if by is not None and size is not None:
            raise ConfigError("use either --chunk-by or --chunk-size, not both")
        if size is not None and size < 1:
            raise ConfigError("chunk_size: must be at least 1")
        if by is not None and timestamp_column is None:
            raise ConfigError("--chunk-by needs --timestamp-column (the column holding the "
                              "time)")
        self.folder = Path(tempfile.mkdtemp(prefix="driftscope-chunks-"))
        self.left_out = 0
        try:
            split = self._spill(source, by, timestamp_column, size)
            self.chunks = self._merge(split, batch_rows)
        except BaseException:
            self.close()
            raise

    def _spill(self, source: BatchSource, by: Period | None, timestamp_column: str | None,
               size: int | None) -> list[tuple[str, int, Path]]:
        writers: dict[str, pq.ParquetWriter] = {}
        rows: dict[str, int] = {}
        total = source.num_rows if size is not None else 0
        offset = 0
        try:
            for batch in source.batches():
                for key, part in self._parts(batch, offset, by, timestamp_column, size):
                    if key not in writers:
                        path = self.folder / f"{len(writers):06d}" / "part.parquet"
                        path.parent.mkdir()
                        writers[key] = pq.ParquetWriter(path, part.schema,
                                                        **PARQUET_WRITE_OPTIONS)
                        rows[key] = 0
                    writers[key].write_table(part)
                    rows[key] += part.num_rows
                offset += batch.num_rows
        finally:
            for w in writers.values():
                w.close()
        paths = {key: self.folder / f"{i:06d}" for i, key in enumerate(writers)}
        out = []
        for key in sorted(writers):
            label = key
            if size is not None:
                start = int(key) * size
                label = f"rows {start}-{min(start + size, total) - 1}"
            out.append((label, rows[key], paths[key]))
        return out

    def _parts(self, batch: pa.Table, offset: int, by: Period | None,
               timestamp_column: str | None, size: int | None
               ) -> Iterator[tuple[str, pa.Table]]:
        """A batch's rows by chunk key: the row range's index, or the period."""
        if size is not None:
            start, end = offset, offset + batch.num_rows
            while start < end:
                index = start // size
                stop = min((index + 1) * size, end)
                yield f"{index:012d}", batch.slice(start - offset, stop - start)
                start = stop
            return
        if by is None:
            yield "all", batch
            return
        keys = period_keys(as_timestamp(batch, timestamp_column or ""), by)
        self.left_out += keys.null_count
        for key in pc.unique(keys).to_pylist():
            if key is not None:
                yield key, batch.filter(pc.equal(keys, key))

    def _merge(self, split: list[tuple[str, int, Path]], batch_rows: int) -> list[Chunk]:
        chunks = []
        for n, group in enumerate(merge_groups([r for _, r, _ in split])):
            parts = [split[i] for i in group]
            folder = parts[0][2]
            if len(parts) > 1:  # the group's files in one folder, in time order
                folder = self.folder / f"merged-{n:06d}"
                folder.mkdir()
                for k, (_, _, path) in enumerate(parts):
                    shutil.move(str(path / "part.parquet"), folder / f"{k:06d}.parquet")
            label = joined_label([label for label, _, _ in parts])
            source = FileSource(folder, batch_rows)
            source.name = label
            chunks.append(Chunk(label, source, tuple((lb, r) for lb, r, _ in parts)))
        return chunks

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> SpilledChunks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
