"""Run one full monitoring round on the bundled credit-scoring demo.

    python src/model_monitoring.py [--scenario demo] [--rows 5000] [--seed 7]

Trains the demo model into ``artifacts/`` if it is missing, simulates a production batch,
compares it with the training data (features, engineered features, predictions, target and
performance) and refreshes every file under ``assets/``: drift_report.json,
drift_report.html, images/drift_plot_<feature>.png, streamlit_dashboard_data.pkl and the
history database.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

try:
    import driftscope  # noqa: F401
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv: list[str] | None = None) -> int:
    from driftscope.cli_summary import summary as _summary
    from driftscope.demo.round import run_demo
    from driftscope.errors import DriftscopeError

    ap = argparse.ArgumentParser(description="One monitoring round on the credit-scoring demo.")
    ap.add_argument("--scenario", default="demo", help="simulator scenario (default demo)")
    ap.add_argument("--rows", type=int, default=5000, help="rows of the production batch")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="assets")
    ap.add_argument("--artifacts", default="artifacts")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        result = run_demo(args.out, args.artifacts, args.scenario, args.rows, args.seed)
    except DriftscopeError as err:
        print(f"model_monitoring: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    print(_summary(result, Path(args.out)))
    print(f"  finished in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
