"""Evidently's data-drift report, as its users make it (runs in Evidently's own environment).

    python benchmarks/tools/evidently_drift.py REFERENCE.parquet CURRENT.parquet OUT_DIR

Reads both files with pandas, declares the float columns numerical and the others
categorical, runs a ``Report([DataDriftPreset()])`` with Evidently's defaults (it chooses the
test per column from its type and the number of rows: above 1,000 rows the normed
Wasserstein distance for numbers and the Jensen–Shannon distance for categories), and saves
the snapshot as HTML and JSON. Prints one JSON line on stdout: the seconds after the imports
and the columns Evidently calls drifted.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("EVIDENTLY_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

import pandas as pd  # noqa: E402
from evidently import DataDefinition, Dataset, Report  # noqa: E402
from evidently.presets import DataDriftPreset  # noqa: E402


def drifted(snapshot: dict) -> tuple[list[str], int | None]:
    """Columns whose ValueDrift crosses its threshold, and Evidently's own count."""
    out, count = [], None
    for metric in snapshot["metrics"]:
        config = metric.get("config", {})
        kind = config.get("type", "")
        if kind.endswith("DriftedColumnsCount"):
            count = int(metric["value"]["count"])
        elif kind.endswith("ValueDrift"):
            value, threshold = float(metric["value"]), float(config["threshold"])
            # p-value tests drift below their threshold, distances at or above it
            hit = value < threshold if "p_value" in config.get("method", "") \
                else value >= threshold
            if hit:
                out.append(config["column"])
    return sorted(out), count


def main() -> int:
    ref_path, cur_path, out_dir = sys.argv[1:4]
    t0 = time.perf_counter()
    ref = pd.read_parquet(ref_path)
    cur = pd.read_parquet(cur_path)
    numerical = [c for c in ref.columns if pd.api.types.is_numeric_dtype(ref[c])]
    categorical = [c for c in ref.columns if c not in numerical]
    definition = DataDefinition(numerical_columns=numerical, categorical_columns=categorical)
    snapshot = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(cur, data_definition=definition),
        Dataset.from_pandas(ref, data_definition=definition))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    snapshot.save_html(str(out / "evidently_data_drift.html"))
    snapshot.save_json(str(out / "evidently_data_drift.json"))
    seconds = time.perf_counter() - t0
    flagged, count = drifted(snapshot.dict())
    methods = sorted({m["config"].get("method", "") for m in snapshot.dict()["metrics"]
                      if m.get("config", {}).get("type", "").endswith("ValueDrift")})
    print(json.dumps({"compute_seconds": round(seconds, 3), "flagged": flagged,
                      "evidently_count": count, "rule": "; ".join(methods)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
