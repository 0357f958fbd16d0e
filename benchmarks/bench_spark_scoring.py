"""Driver memory of a ``--backend spark`` round with a model: scored on the driver (the rows
streamed to it, as before the model ran on the executors) vs scored on the executors.

    python benchmarks/bench_spark_scoring.py [--rows 1000000] [--work /tmp/bench-spark]

The data is ``compare_tools``' 1M x 50 pair (40 numerical, 10 categorical columns) plus a text
label (``yes``/``no``, from two of the columns and noise); the model is a scikit-learn Pipeline
(imputer + one-hot encoder + logistic regression) fit on 20 000 reference rows. Each mode runs
once in its own process on ``local[2]``; the probe prints the peak RSS of the Python driver
(``VmHWM``) and of Spark's JVM (which holds the local executors). Wall times are printed for
information only: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

PROBE = r"""
import json, os, sys, time
mode, argv = sys.argv[1], sys.argv[2:]
if mode == "driver":  # the way before: every row of each side streamed to the driver
    import driftscope.backends.spark_scoring as scoring
    scoring.spark_prepare = lambda *a, **k: None

def peak(pid):
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0

def jvm_peak():
    best = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmd = fh.read()
        except OSError:
            continue
        if ppid == os.getpid() and b"java" in cmd:
            best = max(best, peak(entry))
    return best

from driftscope.cli import main
t = time.perf_counter()
code = main(argv)
print(json.dumps({"mode": mode, "exit": code, "wall_s": round(time.perf_counter() - t, 1),
                  "driver_peak_rss_mb": round(peak(os.getpid()) / 2**20),
                  "jvm_peak_rss_mb": round(jvm_peak() / 2**20)}), flush=True)
"""


def vm_hwm(pid: int) -> int:
    """The peak RSS of process ``pid`` so far (bytes; 0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def with_label(src: Path, dst: Path) -> None:
    """``src`` plus a text label column, written batch by batch."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if dst.exists():
        return
    rng = np.random.default_rng(11)
    reader = pq.ParquetFile(src)
    writer = None
    for batch in reader.iter_batches(batch_size=100_000):
        a = pc.fill_null(batch.column("num_01"), 0.0).to_numpy()
        b = pc.fill_null(batch.column("num_02"), 0.0).to_numpy()
        yes = a + 0.5 * b + rng.normal(0, 1, len(a)) > 0.3
        table = pa.Table.from_batches([batch]).append_column(
            "label", pa.array(np.where(yes, "yes", "no")))
        if writer is None:
            writer = pq.ParquetWriter(dst, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def train(ref: Path, path: Path) -> None:
    import joblib
    import pyarrow.parquet as pq
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    if path.exists():
        return
    frame = pq.ParquetFile(ref).read_row_group(0).to_pandas().head(20_000)
    num = [c for c in frame.columns if c.startswith("num_")]
    cat = [c for c in frame.columns if c.startswith("cat_")]
    pre = ColumnTransformer([
        ("num", SimpleImputer(), num),
        ("cat", Pipeline([("fill", SimpleImputer(strategy="constant", fill_value="none")),
                          ("hot", OneHotEncoder(handle_unknown="ignore"))]), cat)])
    model = Pipeline([("pre", pre), ("lr", LogisticRegression(max_iter=300))])
    joblib.dump(model.fit(frame[num + cat], frame["label"]), path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--work", default="/tmp/bench-spark-scoring")
    parser.add_argument("--modes", default="executors,driver")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(HERE))
    from compare_tools import dataset

    raw_ref, raw_cur = dataset(work, args.rows)
    ref, cur = work / "reference-labelled.parquet", work / "current-labelled.parquet"
    with_label(raw_ref, ref)
    with_label(raw_cur, cur)
    train(ref, work / "model.joblib")
    env = dict(os.environ, PYTHONWARNINGS="ignore", MPLBACKEND="Agg")
    for mode in args.modes.split(","):
        out = work / f"out-{mode}"
        argv = ["run", "--reference", str(ref), "--current", str(cur), "--backend", "spark",
                "--spark-master", "local[2]", "--model", str(work / "model.joblib"),
                "--target", "label", "--positive-class", "yes", "--out", str(out),
                "--no-html", "--plots", "none", "--no-history", "--quiet", "--no-progress"]
        t = time.perf_counter()
        logs = (work / f"{mode}.stdout", work / f"{mode}.stderr")
        with logs[0].open("w") as so, logs[1].open("w") as se:
            child = subprocess.Popen([sys.executable, "-c", PROBE, mode, *argv], env=env,
                                     stdout=so, stderr=se)
            seen = 0  # the driver's peak so far, read while it runs (a timeout still says)
            while child.poll() is None and time.perf_counter() - t < args.timeout:
                seen = max(seen, vm_hwm(child.pid))
                time.sleep(1.0)
            if child.poll() is None:
                child.kill()  # its JVM exits with it (its stdin closes)
                child.wait()
                print(json.dumps({"mode": mode, "exit": "timeout",
                                  "wall_s": round(time.perf_counter() - t, 1),
                                  "driver_peak_rss_mb_so_far": round(seen / 2**20)}),
                      flush=True)
                continue
        lines = [x for x in logs[0].read_text().splitlines() if x.startswith("{")]
        print(lines[-1] if lines else f"{mode}: failed\n{logs[1].read_text()[-2000:]}",
              flush=True)
        report = out / "drift_report.json"
        if report.exists():
            data = json.loads(report.read_text())
            perf = data.get("performance") or {}
            print(f"  {mode}: status {data['status']}, performance "
                  f"{json.dumps(perf.get('metrics', perf))[:300]}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
