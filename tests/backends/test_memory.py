"""The streaming backend holds a batch (or, for exact KS, a column per worker), never the
whole table: its peak memory on a Parquet file stays well below the local backend's.

Each backend profiles the same file in a child process that reports how far its peak RSS
(``resource.getrusage``) rose while profiling; the test compares the rises of one run with
each other, not with any absolute number of bytes or seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("resource")

ROWS = 3_000_000
COLUMNS = 4

CHILD = textwrap.dedent("""
    import json, resource, sys

    import driftscope.backends.sketch as sketch
    from driftscope.backends import ProfileSettings, get_backend
    from driftscope.inputs.batches import FileSource
    from driftscope.profile.spec import ColumnSpec

    path, backend, ks, columns = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    sketch._kll()  # every import done before the first measure
    specs = [ColumnSpec(f"c{i}", "numerical") for i in range(columns)]
    source = FileSource(path)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    profile = get_backend(backend).profile(source, specs, None, ProfileSettings(ks=ks))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rise_kb": after - before, "rows": profile.rows}))
""")


LAUNCHER = textwrap.dedent("""
    import subprocess, sys

    done = subprocess.run([sys.executable, "-c", *sys.argv[1:]], check=False)
    sys.exit(done.returncode)
""")
"""Starts the child from a small process: Linux carries a process's peak RSS across exec
(``ru_maxrss`` of a child spawned by pytest starts at pytest's own peak), but not into the
children of a fresh process."""


def peak_rise_kb(path: Path, backend: str, ks: str) -> int:
    """How far the peak RSS of a fresh process rose while ``backend`` profiled ``path``."""
    done = subprocess.run([sys.executable, "-c", LAUNCHER, CHILD, str(path), backend, ks,
                           str(COLUMNS)],
                          capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["rows"] == ROWS
    return int(report["rise_kb"])


@pytest.mark.slow
def test_the_streaming_backend_profiles_a_file_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "large.parquet"
    rng = np.random.default_rng(0)
    table = pa.table({f"c{i}": rng.normal(size=ROWS) for i in range(COLUMNS)})
    data_kb = table.nbytes // 1024  # about 94 MB
    pq.write_table(table, path, row_group_size=1 << 18)
    del table

    local = peak_rise_kb(path, "local", "exact")
    exact = peak_rise_kb(path, "streaming", "exact")
    sketched = peak_rise_kb(path, "streaming", "approximate")
    rises = f"local {local} kB, streaming exact {exact} kB, approximate {sketched} kB"
    assert local > data_kb, rises  # the local backend holds the whole table
    # a column per worker (at most two) instead of the table
    assert exact < local, rises
    # batches only: well below the table, and well below the local backend
    assert sketched < 0.5 * local, rises
    assert sketched < 1.5 * data_kb, rises
