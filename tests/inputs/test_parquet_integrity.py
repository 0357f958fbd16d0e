"""Parquet page checksums: written by driftscope, verified when read.

A data page changed after writing (a bad disk, a broken copy) must be refused with an
InputError naming the file, not read as wrong values with exit 0. Only files written with
checksums can be verified; a file without them is read as it is (the documented limit).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from driftscope.errors import InputError
from driftscope.inputs import read_table
from driftscope.inputs.readers import PAGE_CHECKSUMS, write_parquet
from tests.conftest import FAST

pytestmark = pytest.mark.skipif(not PAGE_CHECKSUMS, reason="needs pyarrow 15 or later")

N = 1000
TABLE = pa.table({"x": np.arange(N, dtype="float64"), "n": np.arange(N, dtype="int64") * 3})


def corrupt_first_page(path: Path, column: int = 0) -> None:
    """Flip 8 bytes in the middle of the first data page of ``column``: past the page header
    (which holds the page's statistics and checksum), before the end of the page."""
    meta = pq.ParquetFile(path).metadata.row_group(0).column(column)
    first = meta.dictionary_page_offset if meta.has_dictionary_page else meta.data_page_offset
    end = first + meta.total_compressed_size
    start = meta.data_page_offset + (end - meta.data_page_offset) // 2
    assert meta.data_page_offset + 40 < start and start + 8 < end
    raw = bytearray(path.read_bytes())
    for i in range(start, start + 8):
        raw[i] ^= 0xFF
    path.write_bytes(bytes(raw))


def _plain(path: Path, **kwargs: object) -> Path:
    """An uncompressed, dictionary-free file: corruption there decodes silently."""
    write_parquet(TABLE, path, compression="none", use_dictionary=False, **kwargs)
    return path


def test_the_corruption_is_silent_without_verification(tmp_path: Path) -> None:
    # the premise: pyarrow reads the changed page as other numbers, without any error
    path = _plain(tmp_path / "plain.parquet")
    corrupt_first_page(path)
    values = pq.read_table(path).column("x").to_numpy()
    assert (values != TABLE.column("x").to_numpy()).any()


@pytest.mark.parametrize("options", [
    {"compression": "none", "use_dictionary": False},  # only the checksum can tell
    {},  # the defaults of write_parquet: zstd
    {"use_dictionary": True, "compression": "snappy"},
], ids=["uncompressed", "zstd", "snappy"])
def test_a_corrupted_page_is_an_input_error_naming_the_file(tmp_path: Path,
                                                            options: dict[str, object]) -> None:
    path = tmp_path / "batch.parquet"
    write_parquet(TABLE, path, **options)
    assert read_table(path).equals(TABLE)
    corrupt_first_page(path, column=1)
    with pytest.raises(InputError) as info:
        read_table(path)
    message = str(info.value)
    assert message == (f"{path}: corrupted Parquet file: a page does not match its checksum; "
                       "restore the file from a good copy or write it again")


def test_a_corrupted_file_in_a_folder_is_named(tmp_path: Path) -> None:
    write_parquet(TABLE, tmp_path / "a.parquet")
    bad = _plain(tmp_path / "b.parquet")
    corrupt_first_page(bad)
    with pytest.raises(InputError, match=f"^{bad}: corrupted Parquet file"):
        read_table(tmp_path)


def test_without_checksums_a_corrupted_page_cannot_be_detected(tmp_path: Path) -> None:
    # the documented limit: nothing to verify against, the values are read as they are
    path = _plain(tmp_path / "nochecksum.parquet", write_page_checksum=False)
    corrupt_first_page(path)
    assert not read_table(path).equals(TABLE)


def test_write_parquet_defaults_and_inputs(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1.5, 2.5], "s": ["x", "y"]}, index=[7, 9])
    write_parquet(frame, tmp_path / "f.parquet")
    meta = pq.ParquetFile(tmp_path / "f.parquet").metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert read_table(tmp_path / "f.parquet").column_names == ["a", "s"]  # no index
    buffer = io.BytesIO()
    write_parquet(TABLE.to_batches()[0], buffer, compression="snappy")
    assert pq.ParquetFile(io.BytesIO(buffer.getvalue())).metadata.row_group(0).column(
        0).compression == "SNAPPY"


def test_simulated_batches_carry_checksums(tmp_path: Path) -> None:
    from driftscope.demo.simulate import main as simulate

    path = tmp_path / "batch.parquet"
    assert simulate(["--rows", "300", "--out", str(path)]) == 0
    read_table(path)
    corrupt_first_page(path, column=1)
    with pytest.raises(InputError, match="does not match its checksum"):
        read_table(path)


def test_run_on_a_corrupted_parquet_file_exits_2(cli, data, tmp_path: Path) -> None:
    path = tmp_path / "current.parquet"
    frame = pd.read_csv(data.ref_csv)
    write_parquet(frame, path, compression="none", use_dictionary=False)
    numeric = [i for i, t in enumerate(pq.read_schema(path).types) if pa.types.is_floating(t)]
    corrupt_first_page(path, column=numeric[0])
    result = cli("run", "--reference", data.ref_csv, "--current", path,
                 "--out", tmp_path / "out", *FAST)
    assert result.code == 2
    assert result.err.count("\n") == 1 and len(result.err) < 1000
    assert result.err.startswith(f"driftscope: error: {path}: corrupted Parquet file")
