"""Bounded memory: one round over a large current Parquet file with the streaming backend.

    python benchmarks/bench_streaming.py [--rows 20000000] [--reference-rows 1000000]
        [--compare-local-rows 2000000] [--keep DIR]

Writes a current file of ``--rows`` rows × 50 columns (40 numerical, every fifth shifted, some
with 2 % missing; 10 categorical with 12 categories) row group by row group (the generator
itself never holds the table), and a reference of ``--reference-rows`` rows; saves a baseline
with ``driftscope baseline``; then times ``driftscope run --baseline … --backend streaming``
with ``--ks exact`` and ``--ks approximate`` (no plots, no history, JSON and HTML written),
each in a fresh process whose peak RSS is measured. ``--compare-local-rows`` also runs the local
and the streaming backend on a smaller file in the same run, for the memory ratio.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N_NUM, N_CAT, GROUP = 40, 10, 500_000


def write(path: Path, rows: int, shift: float, seed: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    cats = np.array([f"cat_{k}" for k in range(12)])
    writer = None
    done = 0
    while done < rows:
        n = min(GROUP, rows - done)
        cols = {}
        for i in range(N_NUM):
            values = rng.normal(0.1 * shift if i % 5 == 0 else 0.0, 1.0, n)
            if i % 7 == 0:
                values[rng.random(n) < 0.02] = np.nan
            cols[f"num_{i:02d}"] = values
        for j in range(N_CAT):
            p = np.ones(12)
            if shift and j % 3 == 0:
                p[:3] *= 1.5
            cols[f"cat_{j}"] = pa.array(cats[rng.choice(12, n, p=p / p.sum())]) \
                .dictionary_encode()
        table = pa.table(cols)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema, compression="zstd")
        writer.write_table(table)
        done += n
    assert writer is not None
    writer.close()


def timed(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB) of ``driftscope <args>`` in a fresh process."""
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "rc = subprocess.run(sys.argv[1:]).returncode; "
             "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN)"
             ".ru_maxrss, rc)")
    out = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "driftscope.cli",
                          *args], capture_output=True, text=True, check=True).stdout.split()
    if out[-1] != "0":
        raise SystemExit(f"driftscope {' '.join(args)} failed with exit {out[-1]}")
    return float(out[-3]), int(out[-2]) / 1024 / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000_000)
    ap.add_argument("--reference-rows", type=int, default=1_000_000)
    ap.add_argument("--compare-local-rows", type=int, default=2_000_000)
    ap.add_argument("--keep", help="folder for the generated files (default: a temp folder)")
    ap.add_argument("--ks", choices=("exact", "approximate"), action="append",
                    help="measure only this KS mode (repeatable; default both)")
    ns = ap.parse_args()
    folder = Path(ns.keep or tempfile.mkdtemp(prefix="driftscope-stream-"))
    folder.mkdir(parents=True, exist_ok=True)
    ref, big, small = folder / "reference.parquet", folder / "current.parquet", \
        folder / "current_small.parquet"
    t = time.perf_counter()
    if not ref.exists():
        write(ref, ns.reference_rows, 0.0, 1)
    if not big.exists():
        write(big, ns.rows, 1.0, 2)
    if ns.compare_local_rows and not small.exists():
        write(small, ns.compare_local_rows, 1.0, 3)
    print(f"generated in {time.perf_counter() - t:.0f} s ({big.stat().st_size / 1e9:.1f} GB "
          "current file)", file=sys.stderr)
    baseline = folder / "baseline"
    if not baseline.exists():
        timed(["baseline", "--reference", str(ref), "--out", str(baseline), "--no-progress"])
    common = ["--baseline", str(baseline), "--plots", "none", "--no-history", "--no-progress",
              "--quiet"]
    rows = []
    for name, path, n in (("small", small, ns.compare_local_rows), ("big", big, ns.rows)):
        if not n:
            continue
        cases = (("local", "exact"), ("streaming", "exact"), ("streaming", "approximate"))
        for backend, ks in cases:
            if name == "big" and backend == "local":
                continue  # the point of the streaming backend: the local one holds it all
            if ns.ks and ks not in ns.ks:
                continue
            out = folder / f"out-{name}-{backend}-{ks}"
            wall, rss = timed(["run", "--current", str(path), "--out", str(out),
                               "--backend", backend, "--ks", ks, *common])
            status = json.loads((out / "drift_report.json").read_text())["status"]
            rows.append((n, backend, ks, wall, rss, status))
            print(f"{n:>11,} rows  {backend:<9} ks {ks:<11} {wall:7.1f} s  {rss:5.2f} GB  "
                  f"{status}", flush=True)
    print("\n| current rows × 50 columns | backend | ks | wall time | peak RSS |")
    print("|---|---|---|---|---|")
    for n, backend, ks, wall, rss, _ in rows:
        print(f"| {n:,} | {backend} | {ks} | {wall:.1f} s | {rss:.2f} GB |")


if __name__ == "__main__":
    main()
