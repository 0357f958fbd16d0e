"""A streamed backfill's chunks: split in one pass, spilled to files, merged like tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from driftscope.errors import ConfigError
from driftscope.inputs.batches import FileSource
from driftscope.inputs.chunking import merge_small_chunks, split_table
from driftscope.inputs.spill import SpilledChunks


def _table(n: int = 2000) -> pa.Table:
    rng = np.random.default_rng(0)
    days = np.array(["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23", None],
                    dtype=object)
    day = days[np.minimum(np.arange(n) * 5 // n, 4)]
    day[rng.random(n) < 0.01] = None
    return pa.table({"x": rng.normal(size=n), "day": pa.array(day, pa.string()),
                     "c": rng.choice(["a", "b"], n)})


@pytest.fixture()
def parquet(tmp_path: Path) -> Path:
    path = tmp_path / "cur.parquet"
    pq.write_table(_table(), path, row_group_size=300)
    return path


def _as_table(chunk_data: FileSource) -> pa.Table:
    return pa.concat_tables(chunk_data.batches())


@pytest.mark.parametrize(("by", "size"), [("week", None), (None, 450), (None, None)])
def test_spilled_chunks_equal_the_chunks_of_the_table(parquet: Path, by: str | None,
                                                      size: int | None) -> None:
    table = pq.read_table(parquet)
    split, left_out = split_table(table, by, "day", size)
    expected = merge_small_chunks(split)
    with SpilledChunks(FileSource(parquet, 250), by, "day", size, 250) as spilled:
        assert spilled.left_out == left_out
        assert [(c.label, c.parts) for c in spilled.chunks] == \
            [(c.label, c.parts) for c in expected]
        for got, want in zip(spilled.chunks, expected, strict=True):
            assert got.table.num_rows == want.table.num_rows == got.rows
            assert _as_table(got.table).equals(want.table)
            assert max(b.num_rows for b in got.table.batches()) <= 250
        folder = spilled.folder
        assert folder.is_dir()
    assert not folder.exists()  # the temporary files go with the plan


def test_a_failing_spill_leaves_no_files(parquet: Path) -> None:
    import tempfile

    before = set(Path(tempfile.gettempdir()).glob("driftscope-chunks-*"))
    with pytest.raises(ConfigError, match="timestamp_column"):
        SpilledChunks(FileSource(parquet), "week", "nope", None, 100)
    assert set(Path(tempfile.gettempdir()).glob("driftscope-chunks-*")) == before


def test_spill_refuses_both_ways_of_chunking(parquet: Path) -> None:
    with pytest.raises(ConfigError, match="either"):
        SpilledChunks(FileSource(parquet), "week", "day", 10, 100)
