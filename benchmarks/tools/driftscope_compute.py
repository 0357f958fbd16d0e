"""driftscope's computation alone, for the ratio to the plain numpy script.

    python benchmarks/tools/driftscope_compute.py REFERENCE.parquet CURRENT.parquet OUT_DIR \
        [--warm TINY_REFERENCE TINY_CURRENT]

Runs ``driftscope.run(reference=…, current=…)`` through the Python API, which writes no
files: reading both Parquet files, profiling both sides, every metric (exact KS, PSI with its
null draws, Jensen–Shannon, chi-square, missing and unseen shares), the policy and the JSON
of the result. ``--warm`` first runs one untimed round on a small pair in the same process, so
that the modules driftscope imports on first use are loaded before the clock starts, as the
numpy script's are. Prints one JSON line: the timed seconds and the flagged columns.
OUT_DIR receives the result's JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import driftscope


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reference")
    ap.add_argument("current")
    ap.add_argument("out")
    ap.add_argument("--warm", nargs=2, metavar=("REFERENCE", "CURRENT"))
    args = ap.parse_args()
    if args.warm:
        driftscope.run(reference=args.warm[0], current=args.warm[1], progress=False).to_json()
    t0 = time.perf_counter()
    result = driftscope.run(reference=args.reference, current=args.current, progress=False)
    text = result.to_json()
    seconds = time.perf_counter() - t0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(text)
    flagged = sorted(f.name for f in result.features if f.status.value != "NORMAL")
    print(json.dumps({"compute_seconds": round(seconds, 3), "flagged": flagged}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
