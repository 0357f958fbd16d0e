"""Time one monitoring round on generated data and report wall time and peak memory.

    python benchmarks/bench_round.py [--rows 1000000] [--numerical 40] [--categorical 10]

Reference and current (each ``--rows`` rows) are generated with a fixed seed and written as
Parquet into a temp folder first (not timed). The timed part is ``driftscope.run`` from the two
Parquet files: reading, profiling, every metric (exact KS included), the policy and the JSON
result. Each measurement runs in a fresh subprocess so peak RSS belongs to that round alone.
Targets for issue 2: under 5 s and under 2.5 GB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def generate(folder: Path, rows: int, n_num: int, n_cat: int, seed: int = 0) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    for side, shift in (("reference", 0.0), ("current", 1.0)):
        cols = {}
        for i in range(n_num):
            # every fifth column drifts in the current data
            loc = 0.1 * shift if i % 5 == 0 else 0.0
            values = rng.normal(loc, 1.0, rows)
            if i % 7 == 0:
                values[rng.random(rows) < 0.02] = np.nan
            cols[f"num_{i:02d}"] = values
        cats = np.array([f"cat_{k}" for k in range(12)])
        for j in range(n_cat):
            p = np.linspace(1, 2, len(cats)) if (shift and j % 3 == 0) else np.ones(len(cats))
            cols[f"cat_{j:02d}"] = pa.array(cats[rng.choice(len(cats), rows, p=p / p.sum())])
        pq.write_table(pa.table(cols), folder / f"{side}.parquet")


def measure(folder: Path, workers: int | None) -> dict[str, float]:
    import driftscope

    t0 = time.perf_counter()
    result = driftscope.run(reference=folder / "reference.parquet",
                            current=folder / "current.parquet", workers=workers,
                            progress=False)
    wall = time.perf_counter() - t0
    result.to_json()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"wall_seconds": round(wall, 3), "peak_rss_gb": round(peak_kb / 1024 / 1024, 3),
            "features": len(result.features), "status": result.status.value}


def measure_naive(folder: Path) -> dict[str, float]:
    """The straightforward way, for a ratio within the same run: pandas columns, scipy's
    ks_2samp, np.quantile edges, np.histogram counts, per column in one thread."""
    import numpy as np
    import pandas as pd
    from scipy import stats
    from scipy.spatial import distance

    t0 = time.perf_counter()
    ref = pd.read_parquet(folder / "reference.parquet")
    cur = pd.read_parquet(folder / "current.parquet")
    for col in ref.columns:
        r, c = ref[col].dropna(), cur[col].dropna()
        if r.dtype.kind == "f":
            edges = np.unique(np.quantile(r, np.arange(1, 10) / 10))
            bins = [-np.inf, *edges, np.inf]
            rs = np.histogram(r, bins)[0] / len(r)
            cs = np.histogram(c, bins)[0] / len(c)
            stats.ks_2samp(r, c)
        else:
            cats = sorted(set(r) | set(c))
            rs = r.value_counts(normalize=True).reindex(cats, fill_value=0).to_numpy()
            cs = c.value_counts(normalize=True).reindex(cats, fill_value=0).to_numpy()
        rr, cc = np.where(rs == 0, 1e-4, rs), np.where(cs == 0, 1e-4, cs)
        float(np.sum((cc - rr) * np.log(cc / rr)))
        distance.jensenshannon(rs, cs, base=2)
    wall = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"wall_seconds": round(wall, 3), "peak_rss_gb": round(peak_kb / 1024 / 1024, 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--numerical", type=int, default=40)
    ap.add_argument("--categorical", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--naive", action="store_true",
                    help="also time a straightforward pandas + scipy version (no PSI p-value, "
                         "no policy) in the same run, for a ratio")
    ap.add_argument("--_measure", help=argparse.SUPPRESS)
    ap.add_argument("--_naive", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._measure:
        print(json.dumps(measure(Path(args._measure), args.workers)))
        return 0
    if args._naive:
        print(json.dumps(measure_naive(Path(args._naive))))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        generate(folder, args.rows, args.numerical, args.categorical)
        runs = []
        for _ in range(args.repeat):
            cmd = [sys.executable, __file__, "--_measure", str(folder)]
            if args.workers:
                cmd += ["--workers", str(args.workers)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            runs.append(json.loads(out))
        best = min(r["wall_seconds"] for r in runs)
        peak = max(r["peak_rss_gb"] for r in runs)
        report: dict[str, object] = {
            "rows": args.rows, "numerical": args.numerical, "categorical": args.categorical,
            "runs": runs, "best_wall_seconds": best, "max_peak_rss_gb": peak}
        if args.naive:
            out = subprocess.run([sys.executable, __file__, "--_naive", str(folder)],
                                 check=True, capture_output=True, text=True).stdout
            report["naive"] = json.loads(out)
        print(json.dumps(report, indent=1))
        print(f"round on {args.rows:,} rows x {args.numerical + args.categorical} columns: "
              f"best {best:.2f} s, peak {peak:.2f} GB (targets: < 5 s, < 2.5 GB)")
        if args.naive:
            naive = report["naive"]["wall_seconds"]  # type: ignore[index]
            print(f"straightforward pandas + scipy version: {naive:.2f} s "
                  f"({naive / best:.1f}x the driftscope round)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
