"""One full monitoring round on the bundled credit-scoring demo (``src/model_monitoring.py``).

Trains the demo model when its artifacts are missing, simulates a production batch, runs the
round with the model, its metadata and its feature engineering, and writes every output.
"""

from __future__ import annotations

import time
from pathlib import Path

from driftscope.config.models import MonitoringConfig
from driftscope.outputs.writer import write_outputs
from driftscope.result import RunResult

FEATURE_ENGINEERING = "driftscope.demo.features:engineer"


def demo_config(artifacts: Path, out: Path, current: Path) -> MonitoringConfig:
    return MonitoringConfig(
        reference=str(artifacts / "data_referencia.csv"),
        current=str(current),
        model=str(artifacts / "model.joblib"),
        metadata=str(artifacts / "metadata.yaml"),
        feature_engineering=FEATURE_ENGINEERING,
        timestamp_column="application_date",
        out=str(out),
    )


def run_demo(
    out: str | Path = "assets",
    artifacts: str | Path = "artifacts",
    scenario: str = "demo",
    rows: int = 5000,
    seed: int = 7,
    history: str | None = None,
    record: bool = True,
) -> RunResult:
    """Train if needed, simulate ``rows`` rows under ``scenario``, run and write the round."""
    from driftscope.demo.simulate import simulate
    from driftscope.demo.train import train_demo
    from driftscope.monitor import run

    art = Path(artifacts)
    out_dir = Path(out)
    needed = [art / n for n in ("model.joblib", "data_referencia.csv", "metadata.yaml")]
    if not all(p.is_file() for p in needed):
        print(f"driftscope demo: training the credit-scoring model into {art}/ ...")
        t0 = time.perf_counter()
        train_demo(art)
        print(f"driftscope demo: trained in {time.perf_counter() - t0:.1f} s")
    current = art / f"production_{scenario}.parquet"
    batch = simulate(scenario, rows=rows, seed=seed)
    tmp = current.with_name(f".{current.name}.tmp")
    batch.to_parquet(tmp, index=False)
    tmp.replace(current)
    cfg = demo_config(art, out_dir, current)
    store = None
    if record:
        from driftscope.store import HistoryStore, default_history_path

        out_dir.mkdir(parents=True, exist_ok=True)
        store = HistoryStore(history or str(default_history_path(out_dir)))
    try:
        result = run(config=cfg, history=store)
        result = write_outputs(result, out_dir, cfg, store).result
    finally:
        if store is not None:
            store.close()
    return result
