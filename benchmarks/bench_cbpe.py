"""Performance without labels: driftscope's estimate against NannyML's CBPE, on the shape of
NannyML's car-loan benchmark.

    python benchmarks/bench_cbpe.py [--rows 50000] [--chunk 5000] [--seed 7] [--no-nannyml]
        [--calibration auto|isotonic|none] [--out benchmarks/RESULTS.md] [--json]

1. Generates, with a fixed seed, a car-loan-like dataset (no download): applicants with a car
   value, a salary range (categorical), a debt-to-income ratio, a loan length, whether they
   repaid a previous car loan, the down payment share and the driver's tenure; the label
   ``repaid`` (1 = repaid) follows a fixed logistic rule with an interaction and a threshold
   effect. ``--rows`` training rows fit a scikit-learn ``HistGradientBoostingClassifier``
   (not calibrated on purpose: boosted trees are mildly over-confident), which scores a
   ``--rows`` labelled reference and ``--rows`` later rows (the analysis period). The second
   half of the analysis period carries covariate shift (dearer cars, higher debt ratios, more
   low salaries, shorter tenure), the first half none; the rule from inputs to label never
   changes (CBPE's assumption).
2. Labels withheld: driftscope builds a baseline from the reference (``--proba-column
   y_pred_proba --prediction-column y_pred --target repaid``) and runs one round per
   ``--chunk`` rows of the analysis period without its labels; NannyML's ``CBPE`` (in its own
   virtual environment, ``benchmarks/tools/nannyml_cbpe.py``; created by ``compare_tools.py``'s
   ``ensure_venv`` on first use) fits on the reference and estimates the same chunks.
3. Labels revealed: the realized ROC AUC and accuracy of every chunk (scikit-learn), and the
   mean absolute error of each tool's estimate against them; also how many chunks' realized
   value lies within each tool's band (driftscope: its ``estimated_lower``/``upper``;
   NannyML: estimate ± 3 sampling errors, its default band).

Prints the Markdown section (and the raw numbers with ``--json``); ``--out FILE`` also writes
it between ``<!-- bench_cbpe:begin -->`` and ``<!-- bench_cbpe:end -->`` of FILE.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SALARY = np.array(["0 - 20K €", "20K - 40K €", "40K - 60K €", "60K+ €"], dtype=object)
FEATURES = ["car_value", "salary_range", "debt_to_income_ratio", "loan_length",
            "repaid_loan_on_prev_car", "size_of_downpayment", "driver_tenure"]


def applicants(rng: np.random.Generator, n: int, shift: float = 0.0) -> pd.DataFrame:
    """``n`` applicants; ``shift`` in [0, 1] moves the covariates (not the label rule)."""
    salary_p = np.array([0.2, 0.35, 0.3, 0.15]) * (1 - shift) + \
        np.array([0.4, 0.35, 0.17, 0.08]) * shift
    return pd.DataFrame({
        "car_value": np.round(rng.lognormal(10.2 + 0.25 * shift, 0.45, n), -1),
        "salary_range": rng.choice(SALARY, size=n, p=salary_p),
        "debt_to_income_ratio": rng.beta(2.0 + 1.5 * shift, 5.0, n),
        "loan_length": rng.choice([12, 24, 36, 48, 60, 72], size=n),
        "repaid_loan_on_prev_car": rng.random(n) < 0.55 - 0.1 * shift,
        "size_of_downpayment": np.round(rng.beta(2.0, 6.0, n), 2),
        "driver_tenure": np.round(rng.gamma(3.0, 2.5 * (1 - 0.3 * shift), n), 1),
    })


def model_input(frame: pd.DataFrame) -> np.ndarray:
    salary = np.searchsorted(SALARY.astype(str), frame["salary_range"].to_numpy(str))
    order = np.argsort(np.argsort(SALARY.astype(str)))  # the labels' rank by income
    return np.column_stack([
        np.log(frame["car_value"].to_numpy(float)), order[salary],
        frame["debt_to_income_ratio"], frame["loan_length"],
        frame["repaid_loan_on_prev_car"].astype(float), frame["size_of_downpayment"],
        frame["driver_tenure"]]).astype(float)


def label(rng: np.random.Generator, frame: pd.DataFrame) -> np.ndarray:
    """The fixed rule: the probability of repaying, drawn once per row."""
    x = model_input(frame)
    logit = (1.2 - 1.1 * (x[:, 0] - 10.2) + 0.55 * x[:, 1] - 5.0 * x[:, 2]
             - 0.02 * (x[:, 3] - 36) + 0.9 * x[:, 4] + 3.5 * x[:, 5]
             + 0.12 * np.minimum(x[:, 6], 8.0) - 1.5 * (x[:, 2] > 0.45) * (x[:, 1] < 1.5))
    return (rng.random(len(frame)) < 1 / (1 + np.exp(-logit))).astype(int)


def make_data(rows: int, chunk: int, seed: int
              ) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Reference (labelled, scored), analysis (scored, labels apart) and its labels."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(seed)
    train = applicants(rng, rows)
    y_train = label(rng, train)
    model = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.1,
                                           random_state=seed)
    model.fit(model_input(train), y_train)
    reference = applicants(rng, rows)
    reference["repaid"] = label(rng, reference)
    n_chunks = rows // chunk
    parts = []
    for i in range(n_chunks):  # the second half drifts, more with every chunk
        shift = 0.0 if i < n_chunks // 2 else (i - n_chunks // 2 + 1) / (n_chunks - n_chunks // 2)
        parts.append(applicants(rng, chunk, shift))
    analysis = pd.concat(parts, ignore_index=True)
    truth = label(rng, analysis)
    for frame in (reference, analysis):
        proba = model.predict_proba(model_input(frame))[:, 1]
        frame["y_pred_proba"] = proba
        frame["y_pred"] = model.predict(model_input(frame)).astype(int)
    return reference, analysis, truth


def realized(truth: np.ndarray, frame: pd.DataFrame) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, roc_auc_score

    return {"roc_auc": float(roc_auc_score(truth, frame["y_pred_proba"])),
            "accuracy": float(accuracy_score(truth, frame["y_pred"]))}


def run_driftscope(reference: pd.DataFrame, analysis: pd.DataFrame, chunk: int,
                   calibration: str) -> tuple[list[dict[str, Any]], float]:
    import pyarrow as pa

    from driftscope.config.models import MonitoringConfig
    from driftscope.monitor import Monitor

    # the multivariate checks (a domain classifier per round) are not what is compared here
    quick = ({"multivariate": {"enabled": False}}
             if "multivariate" in MonitoringConfig.model_fields else {})
    cfg = MonitoringConfig(proba_column="y_pred_proba", prediction_column="y_pred",
                           target="repaid", progress="never", html=False,
                           estimation={"calibration": calibration}, **quick)
    t0 = time.perf_counter()
    monitor = Monitor(cfg, reference=pa.Table.from_pandas(reference, preserve_index=False))
    out = []
    for start in range(0, len(analysis), chunk):
        part = analysis.iloc[start:start + chunk]
        result = monitor.run(pa.Table.from_pandas(part, preserve_index=False))
        assert result.performance is not None, "no estimate"
        row: dict[str, Any] = {"start": start}
        for name in ("roc_auc", "accuracy"):
            m = result.performance.metrics[name]
            row.update({name: m.estimated, f"{name}_lower": m.estimated_lower,
                        f"{name}_upper": m.estimated_upper})
        out.append(row)
    state = monitor.baseline.settings["estimation"]
    out[0]["calibration"] = state.get("kind")
    return out, time.perf_counter() - t0


def run_nannyml(reference: pd.DataFrame, analysis: pd.DataFrame, chunk: int, folder: Path
                ) -> tuple[list[dict[str, Any]], float, str]:
    sys.path.insert(0, str(HERE))
    from compare_tools import ensure_venv, venv_root, versions

    python = ensure_venv(venv_root(None), "nannyml")
    ref_path, ana_path = folder / "reference.parquet", folder / "analysis.parquet"
    reference.to_parquet(ref_path)
    analysis.to_parquet(ana_path)  # no labels in it
    done = subprocess.run([str(python), str(HERE / "tools" / "nannyml_cbpe.py"), str(ref_path),
                           str(ana_path), "--chunk-size", str(chunk)],
                          capture_output=True, text=True, timeout=1800)
    if done.returncode:
        raise SystemExit(f"nannyml_cbpe.py failed:\n{done.stderr[-3000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    version = versions(python, ["nannyml"]).get("nannyml", "?")
    return report["chunks"], float(report["seconds"]), version


def section(rows: int, chunk: int, seed: int, table: list[dict[str, Any]],
            summary: dict[str, dict[str, float]], times: dict[str, float],
            versions: dict[str, str], calibration: str) -> str:
    tools = list(summary)
    lines = [
        "## Performance without labels: `bench_cbpe.py` — driftscope vs NannyML CBPE",
        "",
        f"NannyML's car-loan benchmark shape, generated here (seed {seed}): a {rows:,}-row "
        f"labelled reference and {rows:,} later rows in {rows // chunk} chunks of "
        f"{chunk:,}, covariate shift growing over the second half, the rule from inputs to "
        "label unchanged; a `HistGradientBoostingClassifier` trained on another "
        f"{rows:,} rows scores both. Labels withheld, each tool estimates every chunk; then "
        "the labels are revealed. driftscope calibration setting: "
        f"`{calibration}` (chosen: `{table[0].get('driftscope_calibration')}`).",
        "",
        "| chunk | shift | realized ROC AUC | " + " | ".join(
            f"{t} ROC AUC" for t in tools) + " | realized accuracy | " + " | ".join(
            f"{t} accuracy" for t in tools) + " |",
        "|---|---|---|" + "---|" * len(tools) + "---|" + "---|" * len(tools),
    ]
    for i, r in enumerate(table):
        lines.append(
            f"| {i + 1} | {'yes' if r['shifted'] else 'no'} | {r['realized_roc_auc']:.4f} | "
            + " | ".join(f"{r[f'{t}_roc_auc']:.4f}" for t in tools)
            + f" | {r['realized_accuracy']:.4f} | "
            + " | ".join(f"{r[f'{t}_accuracy']:.4f}" for t in tools) + " |")
    lines += ["", "| tool | MAE ROC AUC | MAE accuracy | realized within band (ROC AUC, "
              "accuracy) | seconds |", "|---|---|---|---|---|"]
    for t in tools:
        s = summary[t]
        lines.append(f"| {t} {versions.get(t, '')} | {s['mae_roc_auc']:.4f} | "
                     f"{s['mae_accuracy']:.4f} | {int(s['in_band_roc_auc'])}/{len(table)}, "
                     f"{int(s['in_band_accuracy'])}/{len(table)} | {times[t]:.1f} |")
    lines += ["", "Bands: driftscope's `estimated_lower`–`estimated_upper` (estimate ± 3 "
              "standard errors from bootstrapped reference chunks, scaled to the chunk's "
              "size); NannyML's estimate ± 3 × its `sampling_error`. Seconds: driftscope's "
              "baseline and ten whole rounds (the drift of every column included, the "
              "multivariate checks off); NannyML's fit and estimate after its imports. "
              "Target: MAE ≤ 0.02 and no worse than NannyML's. "
              f"Python {platform.python_version()}, {dt.date.today().isoformat()}.", ""]
    return "\n".join(lines)


BEGIN, END = "<!-- bench_cbpe:begin -->", "<!-- bench_cbpe:end -->"


def write_section(path: Path, text: str) -> None:
    """Replace the delimited section of ``path``, or append it."""
    block = f"{BEGIN}\n{text}{END}\n"
    old = path.read_text() if path.exists() else "# Benchmark results\n"
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + block + rest.split(END, 1)[1].lstrip("\n")
    else:
        new = old.rstrip("\n") + "\n\n" + block
    path.write_text(new)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--chunk", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--calibration", default="auto", choices=["auto", "isotonic", "none"])
    ap.add_argument("--no-nannyml", action="store_true")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    reference, analysis, truth = make_data(args.rows, args.chunk, args.seed)
    n_chunks = args.rows // args.chunk
    results: dict[str, list[dict[str, Any]]] = {}
    times: dict[str, float] = {}
    vers: dict[str, str] = {}
    blind = analysis  # the labels are apart (truth)
    results["driftscope"], times["driftscope"] = run_driftscope(reference, blind, args.chunk,
                                                                args.calibration)
    from driftscope import __version__

    vers["driftscope"] = __version__
    if not args.no_nannyml:
        with tempfile.TemporaryDirectory() as tmp:
            chunks, seconds, version = run_nannyml(reference, blind, args.chunk, Path(tmp))
        results["nannyml"], times["nannyml"], vers["nannyml"] = chunks, seconds, version
    table = []
    for i in range(n_chunks):
        part = slice(i * args.chunk, (i + 1) * args.chunk)
        real = realized(truth[part], analysis.iloc[part])
        row: dict[str, Any] = {"shifted": i >= n_chunks // 2,
                               "realized_roc_auc": real["roc_auc"],
                               "realized_accuracy": real["accuracy"],
                               "driftscope_calibration": results["driftscope"][0].get(
                                   "calibration")}
        for tool, chunks in results.items():
            c = chunks[i]
            for m in ("roc_auc", "accuracy"):
                row[f"{tool}_{m}"] = c[m]
                if tool == "driftscope":
                    lo, hi = c[f"{m}_lower"], c[f"{m}_upper"]
                else:
                    se = c[f"{m}_sampling_error"]
                    lo, hi = c[m] - 3 * se, c[m] + 3 * se
                row[f"{tool}_{m}_in_band"] = bool(lo <= real[m] <= hi)
        table.append(row)
    summary = {tool: {
        f"mae_{m}": float(np.mean([abs(r[f"{tool}_{m}"] - r[f"realized_{m}"]) for r in table]))
        for m in ("roc_auc", "accuracy")} for tool in results}
    for tool in results:
        for m in ("roc_auc", "accuracy"):
            summary[tool][f"in_band_{m}"] = float(sum(r[f"{tool}_{m}_in_band"] for r in table))
    text = section(args.rows, args.chunk, args.seed, table, summary, times, vers,
                   args.calibration)
    print(text)
    if args.json:
        print(json.dumps({"table": table, "summary": summary, "seconds": times}, indent=1))
    if args.out:
        write_section(args.out, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
