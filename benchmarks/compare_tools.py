"""driftscope, NannyML, Evidently and a plain numpy script side by side, on the same files.

    python benchmarks/compare_tools.py [--sizes 1e5,1e6] [--repeat 3] [--scaling]
        [--tools driftscope,nannyml,evidently,numpy] [--keep DIR] [--out benchmarks/RESULTS.md]

One command does it all:

1. Generates, with a fixed seed, a reference and a current Parquet file of N rows × 50 columns
   (40 numerical, 10 categorical with 12 categories) for every size: every fifth numerical
   column is shifted by 0.4, 0.5 or 0.6 standard deviations and every third categorical one
   is reweighted (12 drifted columns, the "planted" ones); some columns have missing values.
2. Creates a virtual environment per outside tool on first use, under
   ``~/.cache/driftscope-bench/venvs`` (``--venvs`` or ``DRIFTSCOPE_BENCH_VENVS``), with the
   versions pinned below; creating them is not timed.
3. Runs every tool once on a 1,000-row pair, not timed (font caches, byte code, a check that
   it works at all), then measures each run in a fresh process (wall time from the spawn to
   the exit, peak RSS of the process from ``getrusage``), ``--repeat`` times, the tools
   interleaved so that a noisy minute hurts them alike:
   - driftscope: the whole default ``driftscope run --reference … --current … --out DIR``
     (JSON, HTML, PNGs of the drifted features, history, dashboard snapshot) in this Python;
   - NannyML: ``UnivariateDriftCalculator`` (KS and Jensen–Shannon on the numerical columns,
     chi-square and Jensen–Shannon on the categorical ones, one chunk = the whole current),
     fit on the reference, calculate on the current, results written as CSV;
   - Evidently: a ``Report`` with ``DataDriftPreset`` on the two datasets, saved as HTML and
     JSON (its defaults pick the tests);
   - numpy: ``benchmarks/tools/plain_numpy.py``, the same metrics as driftscope written plainly
     with numpy and pyarrow (the floor for the computation);
   - the fixed cost: ``python -c "import numpy, pandas, pyarrow.parquet, matplotlib,
     sqlalchemy"`` (the floor) and a default driftscope round on the 1,000-row pair;
   - driftscope's computation alone (``tools/driftscope_compute.py``: the Python API, no
     files, timed after a first untimed round in the same process), for the ratio to numpy.
   Evidently runs once at ``--evidently-once-from`` rows and above (default 1,000,000): it
   takes minutes there.
4. ``--scaling`` adds driftscope alone on larger pairs, once each: ``--scaling-local``
   (default 1e7, local backend) and ``--scaling-streaming`` (default 2e7, ``--backend
   streaming``; ``--approximate`` adds a run with ``--ks approximate``), for seconds per
   million rows.
5. Writes the Markdown tables (medians, ratios, the machine, the versions, the date) between
   the markers ``<!-- compare_tools:begin -->`` and ``<!-- compare_tools:end -->`` of
   ``--out`` (default ``benchmarks/RESULTS.md``; the other sections are kept), and the raw
   measurements as JSON beside the data (``--keep``) or on stdout with ``--json``.

Progress goes to stderr. Data and outputs live in a temp folder that is removed at the end,
unless ``--keep DIR`` is given (the data there is reused by the next run with the same sizes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOOLS_DIR = HERE / "tools"
N_NUM, N_CAT, N_CATEGORIES = 40, 10, 12
CHUNK = 1_000_000  # rows generated and written at a time (one Parquet row group)
SEED = 20261130
TINY = 1_000
ALL_TOOLS = ("driftscope", "nannyml", "evidently", "numpy")

# The outside tools, each in its own virtual environment. The versions are pinned so that a
# rerun measures the same code; they are the newest that install and run together on
# Python 3.11 (see README.md for why each pin is there).
VENV_PINS: dict[str, list[str]] = {
    "nannyml": [
        "nannyml==0.13.1",
        "statsmodels==0.15.0",  # imported by `import nannyml`, but not among its requirements
        "pandas==3.1.1",  # what pip picks for it today, as for driftscope here
        "numpy==2.4.6",
        "pyarrow==26.0.1",
        "scipy==1.17.1",
    ],
    "evidently": [
        "evidently==0.7.23",
        "pandas==2.3.3",  # Evidently 0.7 fails to import with pandas 3 (infer_dtype_from_object)
        "numpy==2.4.6",
        "pyarrow==26.0.1",
        "scipy==1.17.1",
        "statsmodels==0.15.0",
    ],
}
# keep the tools from phoning home (there is no internet here, and a telemetry call that
# waits for a timeout would be timed as the tool's work)
QUIET_ENV = {
    "NML_DISABLE_USAGE_LOGGING": "1",
    "EVIDENTLY_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "MPLBACKEND": "Agg",
    "PYTHONWARNINGS": "ignore",
}

# A fresh process per measurement: this probe (not timed itself) spawns the command, waits
# for it and prints its wall time, the peak RSS of its largest process and its exit code.
PROBE = (
    "import json, os, resource, subprocess, sys, time\n"
    "limit = float(os.environ.pop('COMPARE_TOOLS_TIMEOUT', '0')) or None\n"
    "t = time.perf_counter()\n"
    "try:\n"
    "    p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE,\n"
    "                       timeout=limit)\n"
    "    code, out, err = p.returncode, p.stdout, p.stderr\n"
    "except subprocess.TimeoutExpired as e:\n"
    "    code, out, err = 'timeout', e.stdout or b'', e.stderr or b''\n"
    "wall = time.perf_counter() - t\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "sys.stderr.buffer.write(err[-4000:])\n"
    "print(json.dumps([wall, rss, code, out.decode(errors='replace')]))\n"
)


def log(msg: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def parse_size(text: str) -> int:
    value = float(text)
    if value != int(value) or value < 1:
        raise argparse.ArgumentTypeError(f"not a row count: {text}")
    return int(value)


def sizes_arg(text: str) -> list[int]:
    return [parse_size(t) for t in text.split(",") if t.strip()]


def fmt_rows(n: int) -> str:
    return f"{n:,}"


# --------------------------------------------------------------------------- data


def planted() -> list[str]:
    """The columns whose distribution differs between reference and current."""
    return ([f"num_{i:02d}" for i in range(N_NUM) if i % 5 == 0]
            + [f"cat_{j:02d}" for j in range(N_CAT) if j % 3 == 0])


def write_side(path: Path, rows: int, current: bool) -> None:
    """Write one side chunk by chunk (the generator never holds more than ``CHUNK`` rows)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    categories = pa.array([f"cat_{k}" for k in range(N_CATEGORIES)])
    uniform = np.full(N_CATEGORIES, 1 / N_CATEGORIES)
    tilted = np.linspace(1.0, 4.0, N_CATEGORIES)
    tilted /= tilted.sum()
    tmp = path.with_suffix(".tmp")
    writer = None
    for index, start in enumerate(range(0, rows, CHUNK)):
        n = min(CHUNK, rows - start)
        rng = np.random.default_rng([SEED, int(current), index])
        cols: dict[str, pa.Array] = {}
        for i in range(N_NUM):
            shift = (0.4 + 0.1 * ((i // 5) % 3)) if current and i % 5 == 0 else 0.0
            values = rng.normal(shift, 1.0, n)
            # 2 % missing (nulls) in every seventh numerical column
            mask = rng.random(n) < 0.02 if i % 7 == 0 else None
            cols[f"num_{i:02d}"] = pa.array(values, mask=mask)
        for j in range(N_CAT):
            p = tilted if current and j % 3 == 0 else uniform
            idx = rng.choice(N_CATEGORIES, n, p=p)
            # 1 % missing in every fourth categorical column
            mask = rng.random(n) < 0.01 if j % 4 == 1 else None
            cols[f"cat_{j:02d}"] = categories.take(pa.array(idx, mask=mask))
        table = pa.table(cols)
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema)
        writer.write_table(table, row_group_size=CHUNK)
    assert writer is not None
    writer.close()
    tmp.rename(path)


def dataset(root: Path, rows: int) -> tuple[Path, Path]:
    """The pair of files for ``rows`` (made once; both sides written in parallel)."""
    folder = root / "data" / f"rows-{rows}"
    folder.mkdir(parents=True, exist_ok=True)
    ref, cur = folder / "reference.parquet", folder / "current.parquet"
    todo = [(path, current) for path, current in ((ref, False), (cur, True))
            if not path.exists()]
    if todo:
        t = time.perf_counter()
        with ProcessPoolExecutor(len(todo)) as pool:
            list(pool.map(write_side, [p for p, _ in todo], [rows] * len(todo),
                          [c for _, c in todo]))
        size = sum(p.stat().st_size for p, _ in todo) / 1e6
        log(f"generated {folder.name} ({len(todo)} file(s), {size:,.0f} MB) "
            f"in {time.perf_counter() - t:.1f} s")
    return ref, cur


# --------------------------------------------------------------------------- environments


def venv_root(arg: str | None) -> Path:
    if arg:
        return Path(arg).expanduser()
    env = os.environ.get("DRIFTSCOPE_BENCH_VENVS")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "driftscope-bench" / "venvs"


def ensure_venv(root: Path, tool: str) -> Path:
    """The Python of ``tool``'s virtual environment, created and installed on first use."""
    pins = VENV_PINS[tool]
    tag = hashlib.sha1(json.dumps([sys.version_info[:2], pins]).encode()).hexdigest()[:10]
    folder = root / f"{tool}-{tag}"
    python = folder / "bin" / "python"
    marker = folder / "installed.json"
    if marker.exists():
        return python
    if folder.exists():
        shutil.rmtree(folder)  # a half-made one from an interrupted install
    log(f"creating the {tool} environment in {folder} (once; not timed): {' '.join(pins)}")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                           "--disable-pip-version-check", *pins],
                          capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"could not install {tool} ({' '.join(pins)}); see above")
    freeze = subprocess.run([str(python), "-m", "pip", "freeze", "--disable-pip-version-check"],
                            capture_output=True, text=True, check=True).stdout.split()
    marker.write_text(json.dumps({"pins": pins, "freeze": freeze}, indent=1))
    log(f"{tool} environment ready in {time.perf_counter() - t:.0f} s")
    return python


def versions(python: Path | str, modules: list[str]) -> dict[str, str]:
    code = ("import importlib.metadata as m, json, sys\n"
            "out = {}\n"
            "for name in sys.argv[1:]:\n"
            "    try:\n"
            "        out[name] = m.version(name)\n"
            "    except m.PackageNotFoundError:\n"
            "        pass\n"
            "print(json.dumps(out))\n")
    done = subprocess.run([str(python), "-c", code, *modules], capture_output=True, text=True)
    return json.loads(done.stdout) if done.returncode == 0 else {}


# --------------------------------------------------------------------------- measuring


TIMEOUT = {"seconds": 0.0}  # set from --timeout


def measure(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, object]:
    """Wall seconds, peak RSS (GB) and stdout of ``cmd`` in a fresh process."""
    full_env = {**os.environ, **QUIET_ENV, **(env or {}),
                "COMPARE_TOOLS_TIMEOUT": str(TIMEOUT["seconds"])}
    done = subprocess.run([sys.executable, "-c", PROBE, *cmd], capture_output=True, text=True,
                          env=full_env)
    if done.returncode:
        raise RuntimeError(f"the probe failed: {done.stderr[-2000:]}")
    wall, rss_kb, code, stdout = json.loads(done.stdout)
    if code == "timeout":
        raise RuntimeError(f"stopped after {wall:.0f} s (--timeout)")
    if code:
        raise RuntimeError(f"{' '.join(cmd[:3])} … exited {code}:\n{done.stderr[-2500:]}")
    return {"wall": wall, "rss_gb": rss_kb / 1024 / 1024, "stdout": stdout}


def driftscope_cmd(ref: Path, cur: Path, out: Path, extra: list[str] | None = None) -> list[str]:
    """``driftscope run …`` as a user types it: the console script installed beside this
    Python (not a shell shim in front of it), else ``python -m driftscope.cli``."""
    script = Path(sys.executable).parent / "driftscope"
    head = [str(script)] if script.exists() else [sys.executable, "-m", "driftscope.cli"]
    return [*head, "run", "--reference", str(ref), "--current", str(cur), "--out", str(out),
            *(extra or [])]


def driftscope_verdict(out: Path) -> dict[str, object]:
    report = json.loads((out / "drift_report.json").read_text())
    flagged = sorted(f["name"] for f in report["features"] if f["status"] != "NORMAL")
    images = out / "images"
    return {"flagged": flagged, "status": report["status"],
            "compute_seconds": report["run"].get("duration_seconds"),
            "pngs": len(list(images.glob("*.png"))) if images.exists() else 0}


class Runner:
    """Runs one tool on one pair of files and returns a measurement."""

    def __init__(self, work: Path, pythons: dict[str, Path], tiny: tuple[Path, Path]):
        self.work = work
        self.pythons = pythons
        self.tiny = tiny
        self.count = 0
        self.failures: list[str] = []

    def out_dir(self, label: str) -> Path:
        self.count += 1
        out = self.work / "outputs" / f"{self.count:03d}-{label}"
        if out.exists():
            shutil.rmtree(out)
        return out

    def run(self, tool: str, ref: Path, cur: Path, label: str,
            extra: list[str] | None = None) -> dict[str, object]:
        out = self.out_dir(label)
        if tool == "driftscope":
            m = measure(driftscope_cmd(ref, cur, out, extra))
            m.update(driftscope_verdict(out))
        elif tool == "driftscope-compute":
            m = measure([sys.executable, str(TOOLS_DIR / "driftscope_compute.py"), str(ref),
                         str(cur), str(out), "--warm", *map(str, self.tiny)])
            m.update(json.loads(str(m["stdout"]).strip().splitlines()[-1]))
        elif tool == "floor":
            m = measure([sys.executable, "-c",
                         "import numpy, pandas, pyarrow.parquet, matplotlib, sqlalchemy"])
        else:
            python = self.pythons.get(tool, Path(sys.executable))
            script = TOOLS_DIR / {"nannyml": "nannyml_drift.py",
                                  "evidently": "evidently_drift.py",
                                  "numpy": "plain_numpy.py"}[tool]
            m = measure([str(python), str(script), str(ref), str(cur), str(out)])
            lines = [ln for ln in str(m["stdout"]).splitlines() if ln.startswith("{")]
            m.update(json.loads(lines[-1]) if lines else {})
        m.pop("stdout", None)
        return m

    def attempt(self, tool: str, ref: Path, cur: Path, label: str,
                extra: list[str] | None = None) -> dict[str, object] | None:
        """``run``, but a failure is logged and recorded instead of ending the benchmark."""
        try:
            return self.run(tool, ref, cur, label, extra)
        except (RuntimeError, OSError, ValueError, KeyError) as err:
            log(f"FAILED: {tool} ({label}): {err}")
            self.failures.append(f"{tool} ({label}): {str(err).strip().splitlines()[-1]}")
            return None


# --------------------------------------------------------------------------- the plan


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def summarise(runs: list[dict[str, object]]) -> dict[str, object]:
    s: dict[str, object] = {
        "runs": len(runs),
        "wall": median([float(r["wall"]) for r in runs]),  # type: ignore[arg-type]
        "rss_gb": median([float(r["rss_gb"]) for r in runs]),  # type: ignore[arg-type]
        "walls": [round(float(r["wall"]), 3) for r in runs],  # type: ignore[arg-type]
    }
    comp = [r.get("compute_seconds") for r in runs]
    if all(isinstance(c, (int, float)) for c in comp) and comp:
        s["compute"] = median([float(c) for c in comp])  # type: ignore[arg-type]
    last = runs[-1]
    for key in ("flagged", "status", "pngs", "rule"):
        if key in last:
            s[key] = last[key]
    return s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=sizes_arg, default=[100_000, 1_000_000],
                    help="rows per side for the side-by-side comparison (default 1e5,1e6)")
    ap.add_argument("--tools", default=",".join(ALL_TOOLS),
                    help=f"comma-separated subset of {','.join(ALL_TOOLS)}")
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool and size (median)")
    ap.add_argument("--evidently-once-from", type=parse_size, default=1_000_000,
                    help="run Evidently once from this many rows on (default 1e6)")
    ap.add_argument("--scaling", action="store_true",
                    help="add driftscope's scaling series (larger files, one run each)")
    ap.add_argument("--scaling-local", type=sizes_arg, default=[10_000_000],
                    help="rows per side with the local backend in the series (default 1e7)")
    ap.add_argument("--scaling-streaming", type=sizes_arg, default=[20_000_000],
                    help="rows per side with --backend streaming in the series (default 2e7)")
    ap.add_argument("--approximate", action="store_true",
                    help="in the series, also run the streaming pairs with --ks approximate")
    ap.add_argument("--tiny", type=parse_size, default=TINY,
                    help="rows of the fixed-cost round (default 1000)")
    ap.add_argument("--keep", help="keep the data and every output in this folder (and reuse "
                                   "the data found there)")
    ap.add_argument("--out", default=str(HERE / "RESULTS.md"),
                    help="Markdown file whose compare_tools section is replaced "
                         "(default benchmarks/RESULTS.md; '-' prints the section instead)")
    ap.add_argument("--venvs", help="folder of the tools' virtual environments (default "
                                    "$DRIFTSCOPE_BENCH_VENVS or ~/.cache/driftscope-bench/venvs)")
    ap.add_argument("--timeout", type=float, default=1800,
                    help="stop a run after this many seconds and record it as failed "
                         "(default 1800; 0: no limit)")
    ap.add_argument("--json", action="store_true", help="also print the raw results as JSON")
    args = ap.parse_args()
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = set(tools) - set(ALL_TOOLS)
    if unknown:
        ap.error(f"unknown tool(s): {', '.join(sorted(unknown))}")
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")

    TIMEOUT["seconds"] = args.timeout
    started = time.perf_counter()
    date = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="driftscope-cmp-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        pythons = {t: ensure_venv(venv_root(args.venvs), t) for t in tools if t in VENV_PINS}
        tiny_ref, tiny_cur = dataset(work, args.tiny)
        runner = Runner(work, pythons, (tiny_ref, tiny_cur))
        results: dict[str, object] = {"date": date, "tools": tools, "repeat": args.repeat}

        log("warm-up: every tool once on the tiny pair (not timed)")
        for tool in list(tools):
            m = runner.attempt(tool, tiny_ref, tiny_cur, f"warmup-{tool}")
            if m is None:
                tools.remove(tool)  # it cannot run at all: measuring it would only fail again
                continue
            log(f"  {tool}: {m['wall']:.1f} s")

        if "driftscope" in tools:
            runs: dict[str, list[dict[str, object]]] = {"floor": [], "tiny": []}
            for rep in range(args.repeat):
                for key, tool in (("floor", "floor"), ("tiny", "driftscope")):
                    m = runner.attempt(tool, tiny_ref, tiny_cur, key)
                    if m is not None:
                        runs[key].append(m)
                        log(f"fixed cost {rep + 1}/{args.repeat}: {key} {m['wall']:.2f} s")
            if runs["floor"] and runs["tiny"]:
                results["fixed"] = {k: summarise(v) for k, v in runs.items()}

        comparison: dict[str, dict[str, object]] = {}
        for rows in args.sizes:
            ref, cur = dataset(work, rows)
            # driftscope's computation alone, for the ratio to the numpy script
            measured = tools + (["driftscope-compute"] if {"driftscope", "numpy"} <= set(tools)
                                else [])
            per_tool: dict[str, list[dict[str, object]]] = {t: [] for t in measured}
            for rep in range(args.repeat):
                for tool in measured:
                    if tool == "evidently" and rows >= args.evidently_once_from and rep:
                        continue
                    m = runner.attempt(tool, ref, cur, f"{tool}-{rows}")
                    if m is None:
                        continue
                    per_tool[tool].append(m)
                    flagged = m.get("flagged")
                    log(f"{fmt_rows(rows)} rows, {tool} run {rep + 1}: {m['wall']:.2f} s, "
                        f"{m['rss_gb']:.2f} GB, flagged "
                        f"{len(flagged) if isinstance(flagged, list) else '?'}")
            comparison[str(rows)] = {t: summarise(v) for t, v in per_tool.items() if v}
        results["comparison"] = comparison

        if args.scaling and "driftscope" in tools:
            series = []
            plan: list[tuple[int, str, str]] = [(n, "local", "exact") for n in args.scaling_local]
            for n in args.scaling_streaming:
                plan.append((n, "streaming", "exact"))
                if args.approximate:
                    plan.append((n, "streaming", "approximate"))
            for step, (rows, backend, ks) in enumerate(plan):
                ref, cur = dataset(work, rows)
                extra = ["--backend", backend, "--ks", ks] if backend != "local" else []
                m = runner.attempt("driftscope", ref, cur, f"scaling-{rows}-{backend}-{ks}",
                                   extra)
                if m is not None:
                    log(f"scaling {fmt_rows(rows)} rows, {backend}, ks {ks}: {m['wall']:.1f} s,"
                        f" {m['rss_gb']:.2f} GB")
                    series.append({"rows": rows, "backend": backend, "ks": ks,
                                   **summarise([m])})
                last_use = all(n != rows for n, _, _ in plan[step + 1:])
                if last_use and not args.keep:  # free the disk before the next, bigger pair
                    shutil.rmtree(ref.parent, ignore_errors=True)
            results["scaling"] = series

        results["machine"] = machine()
        results["versions"] = {
            "driftscope": versions(sys.executable, ["driftscope", "numpy", "pandas", "pyarrow",
                                                    "scipy", "matplotlib"]),
            **{t: versions(p, [t, "pandas", "numpy", "pyarrow", "scipy", "statsmodels"])
               for t, p in pythons.items()},
        }
        results["failures"] = runner.failures
        results["total_seconds"] = round(time.perf_counter() - started, 1)
        section = render(results, args)
        if args.out == "-":
            print(section)
        else:
            write_section(Path(args.out), section)
            log(f"wrote the results into {args.out}")
        if args.keep:
            (work / "results.json").write_text(json.dumps(results, indent=1))
        if args.json:
            print(json.dumps(results, indent=1))
        log(f"done in {time.perf_counter() - started:.0f} s")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


# --------------------------------------------------------------------------- the report


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        found = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
        if found:
            ram = f"{int(found.group(1)) / 1024 / 1024:.1f} GB"
    except (OSError, AttributeError):
        pass
    commit = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(HERE.parent), "status", "--porcelain", "src"],
                           capture_output=True, text=True).stdout.strip()
    if commit and dirty:
        commit += " with uncommitted changes in src/"
    return {"cpu": cpu, "cores": str(os.cpu_count()), "ram": ram,
            "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "commit": commit}


def fmt_s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.2f} s" if x < 10 else f"{x:.1f} s"


def ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "—"
    return f"{a / b:.1f}×"


TOOL_NAMES = {
    "driftscope": "driftscope `run` (all default outputs)",
    "nannyml": "NannyML univariate drift",
    "evidently": "Evidently DataDriftPreset",
    "numpy": "plain numpy + pyarrow",
}


def render(res: dict[str, object], args: argparse.Namespace) -> str:
    m = res["machine"]
    v = res["versions"]
    assert isinstance(m, dict) and isinstance(v, dict)
    ds_v = v.get("driftscope", {})
    lines = [
        "## Side by side: `compare_tools.py` — driftscope, NannyML, Evidently, plain numpy",
        "",
        "```bash",
        "python " + " ".join(["benchmarks/compare_tools.py", *sys.argv[1:]]),
        "```",
        "",
        f"Measured {res['date']} on {m['cpu']}, {m['cores']} cores, {m['ram']} RAM, "
        f"{m['os']}, Python {m['python']}, driftscope {ds_v.get('driftscope', '?')} "
        f"(commit {m['commit'] or '?'}; numpy {ds_v.get('numpy', '?')}, pandas "
        f"{ds_v.get('pandas', '?')}, pyarrow {ds_v.get('pyarrow', '?')}, matplotlib "
        f"{ds_v.get('matplotlib', '?')}).",
    ]
    for tool in ("nannyml", "evidently"):
        tv = v.get(tool)
        if tv:
            extras = ", ".join(f"{k} {tv[k]}" for k in ("pandas", "numpy", "pyarrow", "scipy",
                                                       "statsmodels") if k in tv)
            lines[-1] += f" {tool.capitalize() if tool == 'evidently' else 'NannyML'} " \
                         f"{tv.get(tool, '?')} in its own environment ({extras})."
    once = ""
    if "evidently" in res["tools"] and any(  # type: ignore[operator]
            n >= args.evidently_once_from for n in args.sizes):
        once = f" (Evidently: one run from {fmt_rows(args.evidently_once_from)} rows on)"
    lines += [
        f"Median of {res['repeat']} run(s) per tool and size{once}, each a fresh process; "
        "peak RSS is "
        "the largest process's maximum resident set. Every pair has N rows per side × 50 "
        "columns (40 numerical, 10 categorical), 12 of them drifted by construction "
        f"({', '.join(planted())}). The whole command took "
        f"{float(res['total_seconds']) / 60:.1f} minutes.",  # type: ignore[arg-type]
        "",
    ]
    comp = res.get("comparison", {})
    assert isinstance(comp, dict)
    if comp:
        lines += [
            "| rows × 50 columns | tool | runs | wall time | peak RSS | time: tool ÷ driftscope "
            "| memory: driftscope ÷ tool | flagged (of them planted) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        truth = set(planted())
        for rows, per_tool in comp.items():
            ds = per_tool.get("driftscope")
            for tool in ALL_TOOLS:
                s = per_tool.get(tool)
                if not s:
                    continue
                flagged = s.get("flagged")
                flag_txt = "—" if flagged is None else \
                    f"{len(flagged)} ({len(truth & set(flagged))})"
                if ds and tool != "driftscope":
                    faster = ratio(s["wall"], ds["wall"])
                    mem = f"{ds['rss_gb'] / s['rss_gb']:.2f}×" if s["rss_gb"] else "—"
                else:
                    faster = mem = ""
                lines.append(
                    f"| {fmt_rows(int(rows))} | {TOOL_NAMES[tool]} | {s['runs']} | "
                    f"{fmt_s(s['wall'])} | {s['rss_gb']:.2f} GB | {faster} | {mem} | "
                    f"{flag_txt} |")
        lines += [
            "",
            "Time: the tool's median wall time over driftscope's (above 1× means driftscope "
            "is faster). Memory: driftscope's median peak RSS over the tool's (below 1× means "
            "driftscope uses less). Flagged columns: driftscope's WARNING and CRITICAL "
            "features, NannyML's alerts on any method, Evidently's drifted columns, the numpy "
            "script's PSI ≥ 0.1. Targets (issue 10): ≥ 10× NannyML at 1M rows, ≥ 20× Evidently "
            "at 1M and ≥ 10× at 100k, with lower peak memory than each.",
            "",
        ]
    fixed = res.get("fixed")
    if isinstance(fixed, dict):
        floor, tiny = fixed["floor"], fixed["tiny"]
        lines += [
            "Fixed cost of a round (target: within 0.5 s of the floor):",
            "",
            "| | wall time (median) | peak RSS |",
            "|---|---|---|",
            f"| floor: `python -c \"import numpy, pandas, pyarrow.parquet, matplotlib, "
            f"sqlalchemy\"` | {fmt_s(floor['wall'])} | {floor['rss_gb']:.2f} GB |",
            f"| default driftscope round, {fmt_rows(args.tiny)} rows × 50 columns, every output "
            f"({tiny.get('pngs', 0)} PNGs) | {fmt_s(tiny['wall'])} | {tiny['rss_gb']:.2f} GB |",
            f"| **fixed cost = round − floor** | **{tiny['wall'] - floor['wall']:.2f} s** | |",
            "",
        ]
    compute_rows = []
    for rows, per_tool in comp.items():
        ds, npy = per_tool.get("driftscope-compute"), per_tool.get("numpy")
        if ds and npy and ds.get("compute") and npy.get("compute"):
            compute_rows.append(
                f"| {fmt_rows(int(rows))} | {fmt_s(ds['compute'])} | {fmt_s(npy['compute'])} | "
                f"{ds['compute'] / npy['compute']:.2f}× |")
    if compute_rows:
        lines += [
            "Computation alone (target: driftscope within 1.5× of plain numpy at 1M rows), "
            "median of the same number of runs: driftscope's is `driftscope.run(reference=…, "
            "current=…)` through the Python API in a process that has already run a "
            "1,000-row round, so no import is timed (`tools/driftscope_compute.py`: reading "
            "and profiling both sides, every metric with PSI's 2,000 null draws, the policy, "
            "the result's JSON; no files written); the numpy script's is its time after its "
            "imports (reading and the metrics):",
            "",
            "| rows × 50 columns | driftscope computation | plain numpy computation | ratio |",
            "|---|---|---|---|",
            *compute_rows,
            "",
        ]
    scaling = res.get("scaling")
    if isinstance(scaling, list):
        series = []
        for rows, per_tool in comp.items():
            ds = per_tool.get("driftscope")
            if ds:
                series.append({"rows": int(rows), "backend": "local", "ks": "exact", **ds})
        series += scaling
        fixed_wall = fixed["tiny"]["wall"] if isinstance(fixed, dict) else None
        lines += [
            "Scaling (driftscope alone, the whole default `driftscope run`; the larger pairs "
            "run once). Per million rows means per million rows of one side (the other side "
            "has as many); \"beyond the fixed cost\" first subtracts the median 1,000-row "
            "round above, so a straight line shows as a constant:",
            "",
            "| rows × 50 columns (each side) | backend | ks | runs | wall time | peak RSS "
            "| s per 1M rows | s per 1M rows beyond the fixed cost |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for s in series:
            millions = s["rows"] / 1e6
            beyond = "—" if fixed_wall is None else f"{(s['wall'] - fixed_wall) / millions:.2f}"
            lines.append(
                f"| {fmt_rows(s['rows'])} | {s['backend']} | {s['ks']} | {s['runs']} | "
                f"{fmt_s(s['wall'])} | {s['rss_gb']:.2f} GB | {s['wall'] / millions:.2f} | "
                f"{beyond} |")
        lines.append("")
    failures = res.get("failures")
    if isinstance(failures, list) and failures:
        lines += ["Runs that failed (left out of the medians):", ""]
        lines += [f"- {f}" for f in failures]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


BEGIN, END = "<!-- compare_tools:begin -->", "<!-- compare_tools:end -->"


def write_section(path: Path, section: str) -> None:
    """Replace the delimited section, or insert it before the first ``## `` heading."""
    block = f"{BEGIN}\n{section}{END}\n"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        text = head + block + ("\n" + tail if tail else "")
    else:
        at = text.find("\n## ")
        if at < 0:
            text = text.rstrip("\n") + "\n\n" + block
        else:
            text = text[:at + 1] + block + "\n" + text[at + 1:]
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
