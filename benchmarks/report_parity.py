"""Report parity: the same cases, written by two versions of driftscope, compared field by field.

Issue 9 (the redesign of driftscope's insides) is proven by "every JSON field, status and reason
identical before and after the redesign on the demo and on the test suite's data". This script
writes a fixed list of cases with whatever ``driftscope`` the interpreter imports, through the
Python API and the command line (``sys.executable -m driftscope.cli``, so the interpreter
decides), and compares two such sets::

    # the landed code (commit 16ccfba), from a separate clone (no worktree: /work/main/.git
    # stays untouched); PYTHONPATH puts it before the editable install of /work/main
    git clone -q /work/main /tmp/before && git -C /tmp/before checkout -q 16ccfba
    PYTHONPATH=/tmp/before/src python -c "import driftscope; print(driftscope.__file__)"
    PYTHONPATH=/tmp/before/src python benchmarks/report_parity.py write /tmp/parity/before
    # the code under /work/main (named explicitly: the shared editable install may point at
    # another checkout)
    PYTHONPATH=/work/main/src python benchmarks/report_parity.py write /tmp/parity/now
    python benchmarks/report_parity.py compare /tmp/parity/before /tmp/parity/now

``write OUTDIR [--case NAME ...] [--force]``
    Runs every case (or the named ones) into ``OUTDIR/<case>/``; the inputs are generated into
    ``OUTDIR/_data/`` from fixed seeds (scikit-learn's bundled data sets, no download).
    ``OUTDIR/_harness.json`` says which driftscope wrote the set; ``OUTDIR/_inputs.json`` holds
    the SHA-256 of every input file (the demo's trained artifacts included), so a difference in
    the inputs shows before any difference in the outputs. Each command-line step leaves
    ``cli_<step>.json`` (argv, exit code, stdout and stderr lines); each API round leaves
    ``api_result.json`` (``RunResult.to_dict()``) next to the ``drift_report.json`` written by
    ``driftscope.write_outputs``. Histories are dumped with ``driftscope history --format json``
    and the dashboard snapshot as ``snapshot.json``. A case that raises leaves ``error.json``
    and the others still run. ``write`` refuses to start when the command line would import
    another driftscope than this process (print ``driftscope.__file__`` to check; if an
    editable install ever wins over PYTHONPATH, use a venv made with
    ``python -m venv --system-site-packages`` and ``pip install --no-deps -e /tmp/before``).
    Command-line steps run with ``PYTHONHASHSEED=0``. About 4 minutes on 2 idle cores.
    Exit 0 when every case ran with the exit codes it expects, 1 otherwise.

``compare DIR_A DIR_B [--only KIND ...] [--ignore-key-order] [--max N]``
    Compares every JSON document of the two sets field by field and prints each difference with
    its JSON path (lists of named objects, such as ``features``, are matched by name and their
    order compared separately; the order of an object's keys is compared too, unless
    ``--ignore-key-order``). Numbers compare exactly, and an int never equals a float.
    ``--only`` (repeatable) restricts the comparison to one kind of document: report
    (``drift_report.json``), api (``RunResult.to_dict()``), cli, manifest, history, snapshot,
    inputs, error.
    Only what must vary between two runs is normalised:

    - the values of ``started_at``, ``finished_at``, ``duration_seconds``,
      ``driftscope_version``, ``recorded_at``, ``created_at``, ``written_at`` (the key must
      still be present on both sides);
    - run ids (``20261130T201451Z-3f698188``), renumbered in order of first appearance within
      each document, so "this chunk's run_id is that report's run.id" is still compared;
    - the absolute path of each set's OUTDIR (``<OUT>``) and of the driftscope source it ran
      (``<SRC>``);
    - ``trained_at`` when it equals the date of the document's own run (the demo model is
      trained on the day the set is written);
    - in command-line output only, durations printed as ``in 3.6 s``.

    Exit 0 when both sets hold the same documents and they are identical, 1 otherwise.

``list``
    Prints the cases.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import pickle
import re
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HARNESS = "_harness.json"
INPUTS = "_inputs.json"
DATA = "_data"
FAST = ("--plots", "none", "--no-html")

# -- the test suite's data (a copy of tests/conftest.py at 16ccfba, so both sides read the
#    same rows whatever the redesign does to the tests) ----------------------------------------

CHUNK_DATES = ("2026-01-26", "2026-01-30", "2026-02-02", "2026-02-09")
HOSTILE_NAMES = ("monthly income", 'say "hi"', "it's", "ünïcødé 年齢", "<b>bold</b>&amp;", "a,b")


def make_frame(n: int, seed: int, drift: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(55.0 if drift else 40.0, 10.0, n).round(1)
    income = rng.lognormal(10.0, 0.5, n).round(2)
    children = rng.integers(0, 4, n)
    home_p = [0.15, 0.25, 0.6] if drift else [0.5, 0.3, 0.2]
    home = rng.choice(["rent", "own", "parents"], n, p=home_p)
    has_phone = rng.random(n) < 0.7
    logit = 0.08 * (age - 45.0) - 0.8 * (np.log(income) - 10.0) + 0.3 * children
    bad = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    return pd.DataFrame({"age": age, "income": income, "children": children, "home": home,
                         "has_phone": has_phone, "status": np.where(bad, "bad", "good")})


def _train_suite(frame: pd.DataFrame, y: Any = None) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    select = ColumnTransformer([("num", StandardScaler(), ["age", "income", "children"])])
    model = Pipeline([("select", select), ("lr", LogisticRegression())])
    return model.fit(frame.drop(columns=["status"]), frame["status"] if y is None else y)


SUITE_METADATA = (
    "name: credit-test\n"
    'version: "2.0.1"\n'
    'trained_at: "2026-01-15"\n'
    "target: status\n"
    "positive_class: bad\n"
    "features: [age, income, children]\n"
    "baseline:\n"
    "  accuracy: 0.99\n"
    "  roc_auc: 0.99\n"
)

FE_MODULE = '''
import numpy as np


def add_ratio(df):
    out = df.copy()
    out["age_per_child"] = out["age"] / (out["children"] + 1)
    out["log_income"] = np.log(out["income"])
    return out
'''


def _write_yaml(path: Path, data: dict[str, Any]) -> Path:
    import yaml

    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _dump_model(model: Any, path: Path) -> Path:
    import joblib

    joblib.dump(model, path)
    return path


class Data:
    """Input files, generated once per set into OUTDIR/_data/<group>/ (lazily, per group)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: dict[str, Path] = {}

    def group(self, name: str) -> Path:
        if name not in self._made:
            folder = self.root / name
            folder.mkdir(parents=True, exist_ok=True)
            getattr(self, f"_make_{name}")(folder)
            self._made[name] = folder
        return self._made[name]

    # the test suite's session data (tests/conftest.py: data, hostile)
    def _make_suite(self, d: Path) -> None:
        ref = make_frame(600, seed=1)
        same = make_frame(400, seed=2)
        drift = make_frame(400, seed=3, drift=True)
        days = np.resize(np.array(CHUNK_DATES), 400)
        same["ts"] = days
        drift["ts"] = days
        ref.drop(columns=["status"]).to_csv(d / "ref.csv", index=False)
        ref.drop(columns=["status"]).to_parquet(d / "ref.parquet", index=False)
        same.drop(columns=["status"]).to_csv(d / "same.csv", index=False)
        drift.drop(columns=["status"]).to_csv(d / "drift.csv", index=False)
        drift.drop(columns=["status"]).to_parquet(d / "drift.parquet", index=False)
        model = _train_suite(ref)
        for name, frame in (("lab_ref.csv", ref), ("lab_cur.csv", drift.drop(columns=["ts"]))):
            out = frame.copy()
            out["proba"] = model.predict_proba(frame)[:, list(model.classes_).index("bad")].round(6)
            out["pred"] = model.predict(frame)
            out.to_csv(d / name, index=False)
        _dump_model(model, d / "model.joblib")
        (d / "metadata.yaml").write_text(SUITE_METADATA, encoding="utf-8")
        # labelled rounds with the model: the same rows with their target
        ref.to_csv(d / "ref_labelled.csv", index=False)
        drift.to_csv(d / "cur_labelled.csv", index=False)
        same.to_csv(d / "same_labelled.csv", index=False)
        drift.head(20).to_csv(d / "small_labelled.csv", index=False)
        # a model fit on a recoded target (1 = bad) while the data keeps "good"/"bad"
        _dump_model(_train_suite(ref, (ref["status"] == "bad").astype(int)),
                    d / "model_01.joblib")
        (d / "metadata_01.yaml").write_text(
            SUITE_METADATA.replace("positive_class: bad\n", ""), encoding="utf-8")
        (d / "ds_fe_hook.py").write_text(FE_MODULE, encoding="utf-8")
        # hostile column names
        rng = np.random.default_rng(7)

        def hostile(n: int, shift: float) -> pd.DataFrame:
            cols: dict[str, Any] = {}
            for i, name in enumerate(HOSTILE_NAMES):
                if i % 2:
                    cols[name] = rng.choice(["<script>x</script>", "b & c", "ä"], n)
                else:
                    cols[name] = rng.normal(shift * i, 1.0, n)
            return pd.DataFrame(cols)

        hostile(300, 0.0).to_csv(d / "hostile_ref.csv", index=False)
        hostile(200, 1.0).to_csv(d / "hostile_cur.csv", index=False)
        # schema breaks: income missing, age as text, a new column
        cur = drift.drop(columns=["ts"]).copy()
        age_text = cur["age"].map(lambda v: f" {v} ").astype(object)
        age_text.iloc[::25] = "n/a"
        age_text.iloc[3::40] = "unknown"
        age_text.iloc[7::50] = ""
        cur["age"] = age_text
        cur = cur.drop(columns=["income"]).assign(channel=np.resize(["web", "branch"], len(cur)))
        cur.to_csv(d / "broken_labelled.csv", index=False)
        cur.drop(columns=["status"]).to_csv(d / "broken.csv", index=False)
        # every value still a number, but as text with a unit and thousands separators
        cur2 = drift.drop(columns=["ts", "status"]).copy()
        cur2["age"] = cur2["age"].map(lambda v: f"{v}%")
        cur2["income"] = cur2["income"].map(lambda v: f"{v:,.2f}")
        cur2.to_csv(d / "as_text.csv", index=False)
        pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "c"]}).to_csv(d / "wrong_file.csv",
                                                                    index=False)
        # a fitted transformer as feature engineering
        from sklearn.compose import ColumnTransformer
        from sklearn.preprocessing import StandardScaler

        fe = ColumnTransformer([("z", StandardScaler(), ["age", "income"])])
        fe.set_output(transform="pandas")
        _dump_model(fe.fit(ref), d / "fe_transformer.joblib")

    # scikit-learn's bundled breast cancer data: a Pipeline(StandardScaler, LogisticRegression)
    def _make_breast_cancer(self, d: Path) -> None:
        from sklearn.datasets import load_breast_cancer
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import accuracy_score, roc_auc_score
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        bunch = load_breast_cancer(as_frame=True)
        frame = bunch.frame.rename(columns={"target": "diagnosis"})  # 0 malignant, 1 benign
        order = np.random.default_rng(0).permutation(len(frame))
        train, ref, cur = (frame.iloc[order[:300]], frame.iloc[order[300:435]],
                           frame.iloc[order[435:]].copy())
        x_cols = [c for c in frame.columns if c != "diagnosis"]
        model = Pipeline([("scale", StandardScaler()),
                          ("lr", LogisticRegression(max_iter=5000))])
        model.fit(train[x_cols], train["diagnosis"])
        rng = np.random.default_rng(1)
        cur["mean radius"] = (cur["mean radius"] * 1.12).round(3)
        cur["mean texture"] = (cur["mean texture"] + rng.normal(3.0, 1.0, len(cur))).round(2)
        cur["worst area"] = (cur["worst area"] * 1.25).round(1)
        ref.to_csv(d / "reference.csv", index=False)
        cur.to_csv(d / "current.csv", index=False)
        ref.to_parquet(d / "reference.parquet", index=False)
        _dump_model(model, d / "model.joblib")
        p0 = model.predict_proba(ref[x_cols])[:, 0]
        _write_yaml(d / "metadata.yaml", {
            "name": "breast-cancer-lr", "version": "1.0", "trained_at": "2026-01-15",
            "target": "diagnosis", "positive_class": 0, "features": x_cols,
            "baseline": {
                "accuracy": round(float(accuracy_score(ref["diagnosis"],
                                                       model.predict(ref[x_cols]))), 4),
                "roc_auc": round(float(roc_auc_score(ref["diagnosis"] == 0, p0)), 4),
            },
        })

    # scikit-learn's bundled wine data: a three-class model with string labels
    def _make_wine(self, d: Path) -> None:
        from sklearn.datasets import load_wine
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        bunch = load_wine(as_frame=True)
        frame = bunch.frame.rename(columns={"target": "cultivar"})
        frame["cultivar"] = frame["cultivar"].map(lambda k: f"class_{k}")
        order = np.random.default_rng(3).permutation(len(frame))
        train, ref, cur = (frame.iloc[order[:90]], frame.iloc[order[90:134]],
                           frame.iloc[order[134:]].copy())
        x_cols = [c for c in frame.columns if c != "cultivar"]
        model = Pipeline([("scale", StandardScaler()),
                          ("lr", LogisticRegression(max_iter=5000))])
        model.fit(train[x_cols], train["cultivar"])
        cur["alcohol"] = (cur["alcohol"] + 1.0).round(2)
        cur["color_intensity"] = (cur["color_intensity"] * 1.5).round(2)
        cur["proline"] = (cur["proline"] * 1.3).round(0)
        ref.to_csv(d / "reference.csv", index=False)
        cur.to_csv(d / "current.csv", index=False)
        _dump_model(model, d / "model.joblib")
        _write_yaml(d / "metadata.yaml", {
            "name": "wine-cultivar", "version": "3", "trained_at": "2026-02-01",
            "target": "cultivar", "positive_class": "class_1",
            "baseline": {"accuracy": 0.97, "macro_f1": 0.96, "weighted_f1": 0.97,
                         "log_loss": 0.08, "roc_auc": 0.99},
        })

    # gradient boosting on pandas categoricals (HistGradientBoostingClassifier)
    def _make_gbm(self, d: Path) -> None:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.metrics import accuracy_score, roc_auc_score

        rng = np.random.default_rng(11)

        def frame(n: int, shift: bool) -> pd.DataFrame:
            age = rng.integers(18, 75, n)
            income = rng.lognormal(10.3 if shift else 10.0, 0.6, n).round(0)
            debt_ratio = rng.beta(2.0, 5.0 if not shift else 3.0, n).round(4)
            home = rng.choice(["rent", "own", "mortgage", "parents"], n,
                              p=[0.2, 0.2, 0.2, 0.4] if shift else [0.35, 0.25, 0.3, 0.1])
            region = rng.choice([f"R{k}" for k in range(8)], n)
            n_loans = rng.poisson(1.5, n)
            z = (-1.5 + 5.0 * debt_ratio - 1.5 * (np.log(income) - 10.0) + 0.4 * n_loans
                 + np.where(home == "rent", 1.0, 0.0) - 0.03 * (age - 40))
            y = rng.random(n) < 1.0 / (1.0 + np.exp(-z))
            return pd.DataFrame({"age": age, "income": income, "debt_ratio": debt_ratio,
                                 "home": home, "region": region, "n_loans": n_loans,
                                 "default": np.where(y, "yes", "no")})

        train, holdout, cur = frame(1500, False), frame(750, False), frame(750, True)
        cats = {"home": ["mortgage", "own", "parents", "rent"],
                "region": [f"R{k}" for k in range(8)]}

        def typed(f: pd.DataFrame) -> pd.DataFrame:
            f = f.copy()
            for c, levels in cats.items():
                f[c] = pd.Categorical(f[c], categories=levels)
            return f

        x_cols = ["age", "income", "debt_ratio", "home", "region", "n_loans"]
        model = HistGradientBoostingClassifier(max_iter=60, max_leaf_nodes=15,
                                               categorical_features="from_dtype",
                                               random_state=0)
        model.fit(typed(train)[x_cols], train["default"])
        # the same booster behind an OrdinalEncoder: fits on the text columns as read from CSV
        from sklearn.compose import ColumnTransformer
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import OrdinalEncoder

        encode = ColumnTransformer([("cat", OrdinalEncoder(), ["home", "region"])],
                                   remainder="passthrough")
        piped = Pipeline([("encode", encode), ("hgb", HistGradientBoostingClassifier(
            max_iter=60, max_leaf_nodes=15, categorical_features=[0, 1], random_state=0))])
        _dump_model(piped.fit(train[x_cols], train["default"]), d / "model_encoded.joblib")
        train.to_csv(d / "train.csv", index=False)
        holdout.to_csv(d / "holdout.csv", index=False)
        cur.to_csv(d / "current.csv", index=False)
        _dump_model(model, d / "model.joblib")
        h = typed(holdout)[x_cols]
        p = model.predict_proba(h)[:, list(model.classes_).index("yes")]
        _write_yaml(d / "metadata.yaml", {
            "name": "credit-hgb", "version": "0.9", "trained_at": "2026-03-01",
            "target": "default", "positive_class": "yes", "features": x_cols,
            "baseline": {
                "accuracy": round(float(accuracy_score(holdout["default"],
                                                       model.predict(h))), 4),
                "roc_auc": round(float(roc_auc_score(holdout["default"] == "yes", p)), 4),
            },
        })

    # categories, value bins, identifiers, infinities, big integers, a missing spike
    def _make_categories(self, d: Path) -> None:
        rng = np.random.default_rng(21)

        def frame(n: int, cur: bool) -> pd.DataFrame:
            homes = ["rent", "own", "parents"] + (["council", "boat"] if cur else [])
            hp = [0.38, 0.3, 0.27, 0.04, 0.01] if cur else [0.4, 0.32, 0.28]
            k = np.arange(150 + (20 if cur else 0))
            w = 1.0 / (k + 1.0)
            if cur:
                w[150:] = 0.002
            region = [f"reg_{i:03d}" for i in rng.choice(k, n, p=w / w.sum())]
            if cur:
                age_years = rng.integers(18, 61, n)
            else:
                age_years = rng.choice([a for a in range(18, 36) if a != 33], n)
            score = rng.normal(600.0, 50.0, n).round(1)
            score[rng.random(n) < (0.10 if cur else 0.01)] = np.nan
            ratio = rng.exponential(1.0, n).round(4)
            ratio[rng.random(n) < 0.02] = np.inf
            ratio[rng.random(n) < 0.01] = -np.inf
            start = 1_000_000 if cur else 0
            return pd.DataFrame({
                "home": rng.choice(homes, n, p=hp),
                "region": region,
                "age_years": age_years,
                "flag": rng.random(n) < (0.5 if cur else 0.3),
                "score": score,
                "ratio": ratio,
                "loan_id": np.arange(start, start + n),
                "customer_ref": [f"C{start + i:08d}x" for i in range(n)],
                "big_hash": (np.int64(2**60) + rng.integers(0, 2**40, n)).astype(np.int64),
                "inf_only": np.full(n, np.inf) if not cur else rng.normal(0.0, 1.0, n),
                "ts": pd.Timestamp("2026-03-02") + pd.to_timedelta(np.sort(
                    rng.integers(0, 14 * 86400, n)), unit="s") if cur else pd.NaT,
            })

        ref, cur = frame(2000, False), frame(1500, True)
        ref.drop(columns=["ts"]).to_parquet(d / "reference.parquet", index=False)
        cur.to_csv(d / "current.csv", index=False)


# -- running cases ----------------------------------------------------------------------------

RUN_ID = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{8}")


@dataclass
class Ctx:
    out: Path
    data: Data
    case: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def dir(self) -> Path:
        d = self.out / self.case
        d.mkdir(parents=True, exist_ok=True)
        return d

    def cli(self, step: str, *args: Any, expect: int = 0, cwd: Path | None = None,
            script: Path | None = None, stdout_to: Path | None = None
            ) -> subprocess.CompletedProcess[str]:
        """Run ``sys.executable -m driftscope.cli ARGS`` (or a script) and keep what it said."""
        argv = [sys.executable, str(script)] if script else [sys.executable, "-m",
                                                             "driftscope.cli"]
        argv += [str(a) for a in args]
        env = dict(os.environ, PYTHONHASHSEED="0", COLUMNS="100")
        env.pop("DRIFTSCOPE_FAULT_AT", None)
        proc = subprocess.run(argv, cwd=cwd or self.dir, env=env, capture_output=True,
                              text=True, timeout=1800)
        shown = ["driftscope" if not script else script.name] + argv[2 if script else 3:]
        stdout: Any = proc.stdout.splitlines()
        if stdout_to is not None and proc.returncode == 0:
            # JSON on stdout is kept as a document of its own, normalised field by field
            _dump(stdout_to, json.loads(proc.stdout))
            stdout = f"(parsed into {stdout_to.name})"
        _dump(self.dir / f"cli_{step}.json", {
            "argv": shown, "exit_code": proc.returncode, "stdout": stdout,
            "stderr": proc.stderr.splitlines()})
        if proc.returncode != expect:
            self.warnings.append(f"{self.case}/{step}: exit {proc.returncode}, expected "
                                 f"{expect}: {proc.stderr.strip()[-400:]}")
        return proc

    def history(self, step: str, db: Path, *extra: Any) -> None:
        """Dump a history database with ``driftscope history --format json``."""
        self.cli(f"history_{step}", "history", "--history", db, "--format", "json", *extra,
                 stdout_to=self.dir / f"history_{step}.json")

    def api_round(self, out: Path, *, write_config: Any = None, history: Any = None,
                  **kwargs: Any) -> Any:
        """``driftscope.run(**kwargs)`` then ``driftscope.write_outputs``; keeps to_dict()."""
        import driftscope

        result = driftscope.run(progress=False, history=history, **kwargs)
        out.mkdir(parents=True, exist_ok=True)
        _dump(out / "api_result.json", result.to_dict())
        cfg = write_config if write_config is not None else driftscope.MonitoringConfig(
            plots="none", html=False)
        driftscope.write_outputs(result, out, cfg, history)
        return result


def _dump(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False, allow_nan=True,
                               default=repr) + "\n", encoding="utf-8")


def _snapshot(assets: Path, target: Path) -> None:
    with open(assets / "streamlit_dashboard_data.pkl", "rb") as fh:
        _dump(target, pickle.load(fh))  # a file this harness just had written


CASES: dict[str, tuple[str, Callable[[Ctx], None]]] = {}


def case(doc: str) -> Callable[[Callable[[Ctx], None]], Callable[[Ctx], None]]:
    def register(fn: Callable[[Ctx], None]) -> Callable[[Ctx], None]:
        CASES[fn.__name__] = (doc, fn)
        return fn
    return register


def _demo_src() -> Path:
    import driftscope

    return Path(driftscope.__file__).resolve().parent.parent


DEMO_FE = "driftscope.demo.features:engineer"


@case("CLI: `python src/model_monitoring.py` (trains the demo model into artifacts/, simulates "
      "the demo batch, full round with PNGs, HTML, snapshot and history)")
def demo(ctx: Ctx) -> None:
    script = _demo_src() / "model_monitoring.py"
    ctx.cli("model_monitoring", "--out", ctx.dir / "assets", "--artifacts",
            ctx.dir / "artifacts", script=script)
    _snapshot(ctx.dir / "assets", ctx.dir / "snapshot.json")
    ctx.history("assets", ctx.dir / "assets" / "driftscope_history.db")


def _demo_artifacts(ctx: Ctx) -> Path:
    art = ctx.out / "demo" / "artifacts"
    if not (art / "model.joblib").is_file():
        raise RuntimeError("run the 'demo' case first (its artifacts are shared)")
    return art


@case("API: the demo model over seven simulated batches (`driftscope simulate`: stable, "
      "gradual, sudden, new_category, missing_spike, concept, stable), one history; the "
      "baseline built and saved once with driftscope.build_baseline/save_baseline "
      "(trends and persistence read the earlier rounds)")
def demo_rounds_api(ctx: Ctx) -> None:
    import driftscope

    art = _demo_artifacts(ctx)
    cfg = driftscope.MonitoringConfig(
        reference=str(art / "data_referencia.csv"), model=str(art / "model.joblib"),
        metadata=str(art / "metadata.yaml"), feature_engineering=DEMO_FE,
        timestamp_column="application_date", plots="none", html=False)
    bl = driftscope.build_baseline(str(art / "data_referencia.csv"), cfg)
    driftscope.save_baseline(bl, ctx.dir / "baseline")
    out = ctx.dir / "out"
    out.mkdir(exist_ok=True)
    store = driftscope.HistoryStore(str(out / "driftscope_history.db"))
    try:
        scenarios = ["stable", "gradual", "sudden", "new_category", "missing_spike", "concept",
                     "stable"]
        for i, scen in enumerate(scenarios, 1):
            batch = ctx.dir / "batches" / f"{i:02d}_{scen}.parquet"
            batch.parent.mkdir(exist_ok=True)
            ctx.cli(f"simulate_{i:02d}", "simulate", "--scenario", scen, "--rows", 2000,
                    "--seed", 100 + i, "--out", batch)
            result = driftscope.run(current=str(batch), config=cfg,
                                    baseline=str(ctx.dir / "baseline"), history=store,
                                    progress=False)
            _dump(ctx.dir / "rounds" / f"{i:02d}_{scen}.api_result.json", result.to_dict())
            driftscope.write_outputs(result, out, cfg, store)
            shutil.copy(out / "drift_report.json",
                        ctx.dir / "rounds" / f"{i:02d}_{scen}.drift_report.json")
    finally:
        store.close()
    _snapshot(out, ctx.dir / "snapshot.json")
    ctx.history("out", out / "driftscope_history.db")
    ctx.history("out_income", out / "driftscope_history.db", "--feature", "income")


@case("CLI: backfill of the demo batch by week (--chunk-by week --timestamp-column "
      "application_date: five ISO weeks of January 2025), the demo model and feature "
      "engineering, history")
def demo_backfill(ctx: Ctx) -> None:
    art = _demo_artifacts(ctx)
    ctx.cli("run", "run", "--reference", art / "data_referencia.csv",
            "--current", art / "production_demo.parquet", "--model", art / "model.joblib",
            "--metadata", art / "metadata.yaml", "--feature-engineering", DEMO_FE,
            "--timestamp-column", "application_date", "--chunk-by", "week", *FAST,
            "--out", ctx.dir / "out")
    ctx.history("out", ctx.dir / "out" / "driftscope_history.db")


@case("CLI + API: the test suite's reference vs drifted and unchanged batches, no model "
      "(CSV and Parquet, PNGs for the drifted features)")
def suite_data_only(ctx: Ctx) -> None:
    s = ctx.data.group("suite")
    ctx.cli("drift_csv", "run", "--reference", s / "ref.csv", "--current", s / "drift.csv",
            "--no-html", "--no-history", "--out", ctx.dir / "drift_csv")
    ctx.cli("same_parquet", "run", "--reference", s / "ref.parquet", "--current",
            s / "same.csv", *FAST, "--no-history", "--out", ctx.dir / "same_parquet")
    ctx.api_round(ctx.dir / "api_drift_parquet", reference=str(s / "ref.parquet"),
                  current=str(s / "drift.parquet"))
    # pandas and pyarrow tables instead of files
    import pyarrow as pa

    ctx.api_round(ctx.dir / "api_frames", reference=pd.read_csv(s / "ref.csv"),
                  current=pa.Table.from_pandas(pd.read_csv(s / "same.csv")))


@case("CLI + API: the test suite's model (Pipeline on string labels good/bad) with labelled "
      "reference and current: prediction, target and performance against the metadata")
def string_labels(ctx: Ctx) -> None:
    s = ctx.data.group("suite")
    ctx.cli("run", "run", "--reference", s / "ref_labelled.csv", "--current",
            s / "cur_labelled.csv", "--model", s / "model.joblib", "--metadata",
            s / "metadata.yaml", *FAST, "--no-history", "--out", ctx.dir / "cli")
    ctx.cli("fail_on", "run", "--reference", s / "ref_labelled.csv", "--current",
            s / "cur_labelled.csv", "--model", s / "model.joblib", "--metadata",
            s / "metadata.yaml", *FAST, "--no-history", "--fail-on", "critical",
            "--out", ctx.dir / "fail_on", expect=1)
    ctx.api_round(ctx.dir / "api", reference=str(s / "ref_labelled.csv"),
                  current=str(s / "same_labelled.csv"), model=str(s / "model.joblib"),
                  metadata=str(s / "metadata.yaml"))


@case("CLI + API: a model fit on a 0/1 recoding while the data keeps good/bad "
      "(--positive-class bad; labels: {bad: 1, good: 0} in the config)")
def labels_recoded(ctx: Ctx) -> None:
    s = ctx.data.group("suite")
    ctx.cli("positive_class", "run", "--reference", s / "ref_labelled.csv", "--current",
            s / "cur_labelled.csv", "--model", s / "model_01.joblib", "--metadata",
            s / "metadata_01.yaml", "--positive-class", "bad", *FAST, "--no-history",
            "--out", ctx.dir / "cli")
    ctx.api_round(ctx.dir / "api", reference=str(s / "ref_labelled.csv"),
                  current=str(s / "cur_labelled.csv"), model=str(s / "model_01.joblib"),
                  metadata=str(s / "metadata_01.yaml"), labels={"bad": "1", "good": "0"})


@case("CLI + API: logged predictions (--proba-column proba --prediction-column pred "
      "--target status --positive-class bad), no model")
def logged_predictions(ctx: Ctx) -> None:
    s = ctx.data.group("suite")
    ctx.cli("run", "run", "--reference", s / "lab_ref.csv", "--current", s / "lab_cur.csv",
            "--target", "status", "--positive-class", "bad", "--proba-column", "proba",
            "--prediction-column", "pred", *FAST, "--no-history", "--out", ctx.dir / "cli")
    ctx.api_round(ctx.dir / "api_proba_only", reference=str(s / "lab_ref.csv"),
                  current=str(s / "lab_cur.csv"), target="status", positive_class="bad",
                  proba_column="proba")


@case("CLI + API: scikit-learn's breast_cancer, Pipeline(StandardScaler, LogisticRegression) "
      "pickled by joblib, holdout reference vs a shifted current, integer target with "
      "positive_class 0")
def breast_cancer(ctx: Ctx) -> None:
    b = ctx.data.group("breast_cancer")
    ctx.cli("run", "run", "--reference", b / "reference.csv", "--current", b / "current.csv",
            "--model", b / "model.joblib", "--metadata", b / "metadata.yaml", "--no-html",
            "--out", ctx.dir / "cli")
    ctx.history("cli", ctx.dir / "cli" / "driftscope_history.db")
    ctx.api_round(ctx.dir / "api", reference=str(b / "reference.parquet"),
                  current=str(b / "current.csv"), model=str(b / "model.joblib"),
                  metadata=str(b / "metadata.yaml"))


@case("CLI: scikit-learn's wine, a three-class LogisticRegression pipeline with string "
      "classes and positive_class class_1 (per-class, one-vs-rest, confusion matrix, a binary "
      "baseline metric not compared; 44 rows: drift held back as noise); API without "
      "metadata or positive class at significance 0.05")
def wine_multiclass(ctx: Ctx) -> None:
    w = ctx.data.group("wine")
    ctx.cli("run", "run", "--reference", w / "reference.csv", "--current", w / "current.csv",
            "--model", w / "model.joblib", "--metadata", w / "metadata.yaml", *FAST,
            "--no-history", "--out", ctx.dir / "cli")
    ctx.api_round(ctx.dir / "api_no_positive", reference=str(w / "reference.csv"),
                  current=str(w / "current.csv"), model=str(w / "model.joblib"),
                  target="cultivar", significance=0.05)


@case("CLI + API: HistGradientBoostingClassifier on pandas categoricals (CSV text columns "
      "at scoring): holdout reference; its training rows as reference (in-sample finding); "
      "reference_predictions: out_of_fold with 5 folds (the booster behind an OrdinalEncoder; "
      "the categorical-dtype booster refused, exit 2, as at 16ccfba)")
def gradient_boosting(ctx: Ctx) -> None:
    g = ctx.data.group("gbm")
    common = ("--current", g / "current.csv", "--model", g / "model.joblib", "--metadata",
              g / "metadata.yaml", *FAST, "--no-history")
    ctx.cli("holdout", "run", "--reference", g / "holdout.csv", *common,
            "--out", ctx.dir / "holdout")
    ctx.api_round(ctx.dir / "in_sample_api", reference=str(g / "train.csv"),
                  current=str(g / "current.csv"), model=str(g / "model.joblib"),
                  metadata=str(g / "metadata.yaml"))
    cfg = _write_yaml(ctx.dir / "oof.yaml", {"reference_predictions": "out_of_fold",
                                             "oof_folds": 5})
    ctx.cli("out_of_fold", "run", "--config", cfg, "--reference", g / "train.csv",
            "--current", g / "current.csv", "--model", g / "model_encoded.joblib",
            "--metadata", g / "metadata.yaml", *FAST, "--no-history",
            "--out", ctx.dir / "out_of_fold")
    # at 16ccfba the clones are refit on the text columns, which a booster fit on pandas
    # categoricals (categorical_features="from_dtype") cannot read: exit 2, kept as it is
    ctx.cli("out_of_fold_category_dtype", "run", "--config", cfg, "--reference",
            g / "train.csv", *common, "--out", ctx.dir / "out_of_fold_category_dtype",
            expect=2)


@case("CLI + API: a saved baseline (driftscope baseline / build_baseline + save_baseline, "
      "manifest compared) then rounds against it, with model and metadata")
def saved_baseline(ctx: Ctx) -> None:
    import driftscope

    s = ctx.data.group("suite")
    model = ("--model", s / "model.joblib", "--metadata", s / "metadata.yaml")
    ctx.cli("baseline", "baseline", "--reference", s / "ref_labelled.csv", *model,
            "--out", ctx.dir / "baseline")
    ctx.cli("run", "run", "--baseline", ctx.dir / "baseline", "--current",
            s / "cur_labelled.csv", *model, *FAST, "--no-history", "--out", ctx.dir / "cli")
    cfg = driftscope.MonitoringConfig(model=str(s / "model.joblib"),
                                      metadata=str(s / "metadata.yaml"), plots="none",
                                      html=False)
    bl = driftscope.build_baseline(str(s / "ref_labelled.csv"), cfg)
    driftscope.save_baseline(bl, ctx.dir / "baseline_api")
    ctx.api_round(ctx.dir / "api", current=str(s / "same_labelled.csv"), config=cfg,
                  baseline=driftscope.load_baseline(ctx.dir / "baseline_api"))


@case("CLI + API: schema breaks: income missing, age as text (n/a, unknown, empty), a new "
      "column, with the model (which cannot score); every value a number but as text "
      "(13.99%, 1,234.50); a file with no monitored column (exit 2)")
def schema_break(ctx: Ctx) -> None:
    s = ctx.data.group("suite")
    ctx.cli("broken_with_model", "run", "--reference", s / "ref_labelled.csv", "--current",
            s / "broken_labelled.csv", "--model", s / "model.joblib", "--metadata",
            s / "metadata.yaml", *FAST, "--no-history", "--out", ctx.dir / "with_model")
    ctx.api_round(ctx.dir / "api_no_model", reference=str(s / "ref.csv"),
                  current=str(s / "broken.csv"))
    ctx.cli("as_text", "run", "--reference", s / "ref.csv", "--current", s / "as_text.csv",
            *FAST, "--no-history", "--out", ctx.dir / "as_text")
    ctx.cli("wrong_file", "run", "--reference", s / "ref.csv", "--current",
            s / "wrong_file.csv", *FAST, "--no-history", "--out", ctx.dir / "wrong_file",
            expect=2)


@case("CLI + API: new categories, more than max_categories categories, an integer column "
      "binned by value with a gap, a missing spike, identifiers by name and by distinctness, "
      "±inf, an all-infinite reference column, int64 beyond 2^53 (Parquet reference, CSV "
      "current)")
def new_categories(ctx: Ctx) -> None:
    c = ctx.data.group("categories")
    ctx.cli("run", "run", "--reference", c / "reference.parquet", "--current",
            c / "current.csv", "--timestamp-column", "ts", "--no-html", "--no-history",
            "--out", ctx.dir / "cli")
    ctx.api_round(ctx.dir / "api", reference=str(c / "reference.parquet"),
                  current=str(c / "current.csv"), timestamp_column="ts", max_categories=40)


@case("CLI + API: feature engineering: a module:function from the working folder "
      "(ds_fe_hook:add_ratio of tests/test_cli.py), by flag and by config; and a fitted "
      "ColumnTransformer file (.joblib)")
def feature_engineering(ctx: Ctx) -> None:
    s = ctx.data.group("suite")
    shutil.copy(s / "ds_fe_hook.py", ctx.dir / "ds_fe_hook.py")
    ctx.cli("flag", "run", "--reference", s / "ref.csv", "--current", s / "drift.csv",
            "--feature-engineering", "ds_fe_hook:add_ratio", *FAST, "--no-history",
            "--out", ctx.dir / "flag")
    cfg = _write_yaml(ctx.dir / "fe.yaml", {"feature_engineering": "ds_fe_hook:add_ratio",
                                            "model": str(s / "model.joblib"),
                                            "metadata": str(s / "metadata.yaml")})
    ctx.cli("config_with_model", "run", "--config", cfg, "--reference", s / "ref_labelled.csv",
            "--current", s / "cur_labelled.csv", *FAST, "--no-history",
            "--out", ctx.dir / "config_with_model")
    ctx.cli("transformer", "run", "--reference", s / "ref.csv", "--current", s / "drift.csv",
            "--feature-engineering", s / "fe_transformer.joblib", *FAST, "--no-history",
            "--out", ctx.dir / "transformer")
    sys.path.insert(0, str(ctx.dir))
    try:
        ctx.api_round(ctx.dir / "api", reference=str(s / "ref.csv"),
                      current=str(s / "drift.csv"), feature_engineering="ds_fe_hook:add_ratio")
    finally:
        sys.path.remove(str(ctx.dir))


@case("CLI: backfills of the test suite's drifted batch: --chunk-by week, --chunk-by day "
      "(4 days), --chunk-size 180 (the 40-row rest merged), with history")
def backfill(ctx: Ctx) -> None:
    s = ctx.data.group("suite")
    model = ("--model", s / "model.joblib", "--metadata", s / "metadata.yaml")
    ctx.cli("week", "run", "--reference", s / "ref_labelled.csv", "--current",
            s / "cur_labelled.csv", *model, "--timestamp-column", "ts", "--chunk-by", "week",
            *FAST, "--out", ctx.dir / "week")
    ctx.history("week", ctx.dir / "week" / "driftscope_history.db")
    ctx.cli("day", "run", "--reference", s / "ref.csv", "--current", s / "drift.csv",
            "--timestamp-column", "ts", "--chunk-by", "day", *FAST, "--out", ctx.dir / "day")
    ctx.history("day", ctx.dir / "day" / "driftscope_history.db", "--feature", "age")
    ctx.cli("size", "run", "--reference", s / "ref.csv", "--current", s / "drift.csv",
            "--chunk-size", 180, *FAST, "--no-history", "--out", ctx.dir / "size")


@case("CLI + API: a batch of 20 labelled rows (small-batch finding, significance guards)")
def small_batch(ctx: Ctx) -> None:
    s = ctx.data.group("suite")
    ctx.cli("run", "run", "--reference", s / "ref_labelled.csv", "--current",
            s / "small_labelled.csv", "--model", s / "model.joblib", "--metadata",
            s / "metadata.yaml", *FAST, "--no-history", "--out", ctx.dir / "cli")
    ctx.api_round(ctx.dir / "api", reference=str(s / "ref.csv"),
                  current=str(s / "small_labelled.csv"))


CONFIG = {
    "reference": "../_data/suite/ref_labelled.csv",
    "current": "../_data/suite/cur_labelled.csv",
    "model": "../_data/suite/model.joblib",
    "metadata": "../_data/suite/metadata.yaml",
    "target": "status",
    "ignore": ["has_*"],
    "categorical": ["children"],
    "thresholds": {"psi_warning": 0.05, "psi_critical": 0.5, "missing_warning": 0.02,
                   "missing_critical": 0.1, "unseen_warning": 0.005, "unseen_critical": 0.02},
    "features": {"inc*": {"psi_warning": 0.01, "psi_critical": 0.02},
                 "home": {"enabled": False},
                 "agee": {"psi_warning": 0.3}},
    "significance": 0.05,
    "performance": {"warning": 0.02, "critical": 0.5},
    "run_status": "share",
    "drift_share_warning": 0.3,
    "drift_share_critical": 0.6,
    "psi_pvalue_draws": 500,
    "seed": 3,
    "max_value_bins": 10,
    "max_categories": 50,
    "plots": "none",
    "html": False,
    "fail_on": "warning",
}


@case("CLI + API: a YAML config with relative paths, per-feature overrides (a glob, a disabled "
      "feature, one matching no column), thresholds, significance, performance, "
      "run_status: share, draws, seed, value bins, fail_on warning (exit 1); flags winning "
      "over it; an unknown key (exit 2)")
def config_overrides(ctx: Ctx) -> None:
    cfg = _write_yaml(ctx.dir / "monitoring.yaml", CONFIG)
    ctx.data.group("suite")
    ctx.cli("config", "run", "--config", cfg, "--no-history", "--out", ctx.dir / "cli",
            expect=1)
    ctx.cli("flags_win", "run", "--config", cfg, "--significance", "0.01", "--seed", 0,
            "--no-history", "--out", ctx.dir / "flags_win", expect=1)
    ctx.api_round(ctx.dir / "api", config=str(cfg))
    typo = _write_yaml(ctx.dir / "typo.yaml", dict(CONFIG, signficance=0.05))
    ctx.cli("unknown_key", "run", "--config", typo, "--no-history", "--out",
            ctx.dir / "typo", expect=2)


@case("CLI: four daily rounds into runs/<date>/ sharing runs/driftscope_history.db, "
      "persistence {k: 2, n: 3} (CRITICAL only after 2 of the last 3 rounds)")
def persistence_rounds(ctx: Ctx) -> None:
    s = ctx.data.group("suite")
    cfg = _write_yaml(ctx.dir / "persist.yaml", {"persistence": {"k": 2, "n": 3},
                                                 "plots": "none", "html": False})
    for day, cur in (("2026-01-05", "drift.csv"), ("2026-01-06", "same.csv"),
                     ("2026-01-07", "drift.csv"), ("2026-01-08", "drift.csv")):
        ctx.cli(day, "run", "--config", cfg, "--reference", s / "ref.csv", "--current",
                s / cur, "--out", ctx.dir / "runs" / day)
    ctx.history("runs", ctx.dir / "runs" / "driftscope_history.db")


@case("CLI: awkward column names (spaces, quotes, unicode, HTML, the CSV delimiter)")
def hostile_names(ctx: Ctx) -> None:
    s = ctx.data.group("suite")
    ctx.cli("run", "run", "--reference", s / "hostile_ref.csv", "--current",
            s / "hostile_cur.csv", "--no-html", "--no-history", "--out", ctx.dir / "cli")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _git_commit(src: Path) -> str | None:
    try:
        proc = subprocess.run(["git", "-C", str(src), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=30)
        dirty = subprocess.run(["git", "-C", str(src), "status", "--porcelain", "--", "."],
                               capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode:
        return None
    return proc.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def cmd_write(args: argparse.Namespace) -> int:
    import driftscope

    out = Path(args.outdir).resolve()
    if out.exists() and any(out.iterdir()):
        if not (args.force and (out / HARNESS).is_file()):
            print(f"report_parity: {out} is not empty (--force replaces a set this script "
                  "wrote)", file=sys.stderr)
            return 2
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    src = Path(driftscope.__file__).resolve().parent.parent
    child = subprocess.run([sys.executable, "-c", "import driftscope; print(driftscope.__file__)"],
                           capture_output=True, text=True, cwd=out, check=True).stdout.strip()
    if Path(child).resolve() != Path(driftscope.__file__).resolve():
        print(f"report_parity: the command line would import {child}, this process "
              f"{driftscope.__file__}", file=sys.stderr)
        return 2
    import sklearn

    meta = {"driftscope_file": str(Path(driftscope.__file__).resolve()), "src": str(src),
            "git_commit": _git_commit(src), "driftscope_version": driftscope.__version__,
            "python": sys.version.split()[0], "executable": sys.executable,
            "numpy": np.__version__, "pandas": pd.__version__, "sklearn": sklearn.__version__,
            "out": str(out), "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    _dump(out / HARNESS, meta)
    print(f"report_parity: driftscope from {meta['driftscope_file']} "
          f"(commit {meta['git_commit']}) -> {out}")
    names = args.case or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        print(f"report_parity: unknown case(s) {unknown}; see 'list'", file=sys.stderr)
        return 2
    if any(n.startswith("demo_") for n in names) and "demo" not in names:
        names.insert(0, "demo")
    ctx = Ctx(out=out, data=Data(out / DATA))
    failed: list[str] = []
    for name in names:
        ctx.case = name
        t0 = time.perf_counter()
        try:
            CASES[name][1](ctx)
            state = "ok"
        except Exception as err:  # noqa: BLE001 - one case failing must not hide the others
            failed.append(name)
            _dump(ctx.dir / "error.json", {"type": type(err).__name__, "message": str(err)})
            (ctx.dir / "error.traceback.txt").write_text(traceback.format_exc())
            state = f"ERROR {type(err).__name__}: {str(err)[:300]}"
        print(f"  {name:<22} {time.perf_counter() - t0:6.1f} s  {state}", flush=True)
    inputs: dict[str, str] = {}
    roots = [out / DATA] + ([out / "demo" / "artifacts"] if (out / "demo").is_dir() else [])
    for root in roots:
        for p in sorted(root.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                inputs[str(p.relative_to(out))] = _sha256(p)
    _dump(out / INPUTS, inputs)
    for w in ctx.warnings:
        print(f"  warning: {w}")
    print(f"report_parity: {len(names) - len(failed)} of {len(names)} cases ran"
          + (f"; failed: {', '.join(failed)}" if failed else "")
          + (f"; {len(ctx.warnings)} unexpected exit code(s)" if ctx.warnings else ""))
    return 1 if failed or ctx.warnings else 0


# -- comparing --------------------------------------------------------------------------------

VOLATILE_KEYS = {"started_at", "finished_at", "duration_seconds", "driftscope_version",
                 "recorded_at", "created_at", "written_at"}
DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
DURATION = re.compile(r"\b(in|took) \d+(?:\.\d+)? ?s\b")
MISSING = object()


class Normaliser:
    def __init__(self, replacements: list[tuple[str, str]]) -> None:
        # longest first, so /tmp/x/src is replaced before /tmp/x
        self.replacements = sorted({r for r in replacements if r[0]}, key=lambda r: -len(r[0]))

    def document(self, doc: Any) -> Any:
        run_ids: dict[str, str] = {}
        dates: set[str] = set()

        def collect(o: Any) -> None:
            if isinstance(o, dict):
                for k, v in o.items():
                    if k in VOLATILE_KEYS and isinstance(v, str) and DATE.match(v):
                        dates.add(v[:10])
                    collect(v)
            elif isinstance(o, list):
                for v in o:
                    collect(v)

        collect(doc)

        def text(s: str, key: str | None) -> str:
            for old, new in self.replacements:
                s = s.replace(old, new)
            s = RUN_ID.sub(lambda m: run_ids.setdefault(m.group(0), f"<run-id-{len(run_ids)}>"),
                           s)
            if key in ("stdout", "stderr"):
                s = DURATION.sub(r"\1 <t> s", s)
            return s

        def walk(o: Any, key: str | None) -> Any:
            if isinstance(o, dict):
                return {text(k, None): (f"<{k}>" if k in VOLATILE_KEYS else
                                        "<date of the run>" if k == "trained_at" and
                                        isinstance(v, str) and v in dates else walk(v, k))
                        for k, v in o.items()}
            if isinstance(o, list):
                return [walk(v, key) for v in o]
            if isinstance(o, str):
                return text(o, key)
            return o

        return walk(doc, None)


def _kind(rel: str) -> str:
    name = rel.rsplit("/", 1)[-1]
    if rel == INPUTS:
        return "inputs"
    if name.endswith("drift_report.json"):
        return "report"
    if name == "manifest.json":
        return "manifest"
    if name.startswith("history_"):
        return "history"
    if name == "snapshot.json":
        return "snapshot"
    if name.startswith("cli_"):
        return "cli"
    if name.endswith("api_result.json"):
        return "api"
    if name == "error.json":
        return "error"
    return "other"


def _fmt(v: Any) -> str:
    if v is MISSING:
        return "(absent)"
    s = json.dumps(v, ensure_ascii=False, allow_nan=True)
    return s if len(s) <= 160 else s[:157] + "..."


def _keyed(items: list[Any]) -> str | None:
    """The key that names every element of a list of objects uniquely, if any."""
    for key in ("name", "label", "run_id"):
        if items and all(isinstance(i, dict) and isinstance(i.get(key), str) for i in items):
            values = [i[key] for i in items]
            if len(set(values)) == len(values):
                return key
    return None


def diff(a: Any, b: Any, path: str = "$", key_order: bool = True) -> Iterator[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            yield from diff(a.get(k, MISSING), b.get(k, MISSING), f"{path}.{k}", key_order)
        if key_order and [k for k in a if k in b] != [k for k in b if k in a]:
            yield f"{path}: key order {list(a)} != {list(b)}"
        return
    if isinstance(a, list) and isinstance(b, list):
        key = _keyed(a) if _keyed(a) == _keyed(b) else None
        if key:
            na, nb = [i[key] for i in a], [i[key] for i in b]
            if na != nb:
                yield f"{path}: {key}s {_fmt(na)} != {_fmt(nb)}"
            ia, ib = {i[key]: i for i in a}, {i[key]: i for i in b}
            for n in na + [n for n in nb if n not in ia]:
                yield from diff(ia.get(n, MISSING), ib.get(n, MISSING), f"{path}[{n!r}]",
                                key_order)
            return
        if len(a) != len(b):
            yield f"{path}: length {len(a)} != {len(b)}"
        for i in range(max(len(a), len(b))):
            yield from diff(a[i] if i < len(a) else MISSING, b[i] if i < len(b) else MISSING,
                            f"{path}[{i}]", key_order)
        return
    if type(a) is not type(b):
        yield f"{path}: {_fmt(a)} != {_fmt(b)}"
        return
    if isinstance(a, float):
        if a == b or (math.isnan(a) and math.isnan(b)):
            return
        yield f"{path}: {a!r} != {b!r} (difference {b - a:.3g})"
        return
    if isinstance(a, str) and a != b and max(len(a), len(b)) > 150:
        i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        start = max(0, i - 40)
        yield (f"{path}: strings differ at character {i}: "
               f"{_fmt(('…' if start else '') + a[start:])} != "
               f"{_fmt(('…' if start else '') + b[start:])}")
    elif a != b:
        yield f"{path}: {_fmt(a)} != {_fmt(b)}"


def _load_set(root: Path) -> tuple[dict[str, Any], Normaliser]:
    meta = json.loads((root / HARNESS).read_text(encoding="utf-8"))
    repl = [(str(root.resolve()), "<OUT>"), (meta.get("out", ""), "<OUT>"),
            (meta.get("src", ""), "<SRC>")]
    return meta, Normaliser(repl)


def cmd_compare(args: argparse.Namespace) -> int:
    ra, rb = Path(args.dir_a), Path(args.dir_b)
    for r in (ra, rb):
        if not (r / HARNESS).is_file():
            print(f"report_parity: {r} is not a set written by 'write'", file=sys.stderr)
            return 2
    (ma, na), (mb, nb) = _load_set(ra), _load_set(rb)
    for tag, r, m in (("A", ra, ma), ("B", rb, mb)):
        print(f"{tag}: {r}  driftscope {m['driftscope_file']} (commit {m['git_commit']}), "
              f"written {m['written_at']}")

    def files(root: Path) -> set[str]:
        return {str(p.relative_to(root)) for p in root.rglob("*.json")
                if p.name != HARNESS and DATA not in p.relative_to(root).parts[:1]}

    fa, fb = files(ra), files(rb)
    if args.only:
        fa = {f for f in fa if _kind(f) in args.only}
        fb = {f for f in fb if _kind(f) in args.only}
    order = ["inputs", "error", "report", "api", "cli", "manifest", "history", "snapshot",
             "other"]
    total = 0
    per_kind: dict[str, list[int]] = {}
    for rel in sorted(fa | fb, key=lambda f: (order.index(_kind(f)), f)):
        kind = _kind(rel)
        stats = per_kind.setdefault(kind, [0, 0, 0])  # documents, differing, differences
        stats[0] += 1
        if rel not in fa or rel not in fb:
            stats[1] += 1
            stats[2] += 1
            total += 1
            print(f"\n{rel}: only in {'B' if rel not in fa else 'A'}")
            continue
        da = na.document(json.loads((ra / rel).read_text(encoding="utf-8")))
        db = nb.document(json.loads((rb / rel).read_text(encoding="utf-8")))
        found = list(diff(da, db, key_order=not args.ignore_key_order))
        if not found:
            continue
        stats[1] += 1
        stats[2] += len(found)
        total += len(found)
        print(f"\n{rel}: {len(found)} difference(s)")
        shown = found if args.max == 0 else found[:args.max]
        for line in shown:
            print(f"  {line}")
        if len(shown) < len(found):
            print(f"  ... and {len(found) - len(shown)} more (--max 0 shows all)")
    print("\nsummary (documents / differing / differences):")
    for kind in order:
        if kind in per_kind:
            d, n, k = per_kind[kind]
            print(f"  {kind:<9} {d:4d} / {n:4d} / {k}")
    docs = sum(v[0] for v in per_kind.values())
    if total == 0:
        print(f"IDENTICAL: {docs} JSON documents, every field equal after normalisation")
        return 0
    print(f"DIFFERENT: {total} difference(s) in {sum(v[1] for v in per_kind.values())} of "
          f"{docs} JSON documents")
    return 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write", help="run every case with the importable driftscope")
    w.add_argument("outdir")
    w.add_argument("--case", action="append", help="only this case (repeatable)")
    w.add_argument("--force", action="store_true", help="replace a set this script wrote")
    c = sub.add_parser("compare", help="compare two sets field by field")
    c.add_argument("dir_a")
    c.add_argument("dir_b")
    c.add_argument("--only", action="append",
                   choices=["inputs", "error", "report", "api", "cli", "manifest", "history",
                            "snapshot", "other"], help="compare only this kind (repeatable)")
    c.add_argument("--ignore-key-order", action="store_true",
                   help="do not report objects whose keys come in another order")
    c.add_argument("--max", type=int, default=40, help="differences shown per document "
                   "(0: all; default 40)")
    sub.add_parser("list", help="print the cases")
    args = ap.parse_args(argv)
    if args.command == "write":
        return cmd_write(args)
    if args.command == "compare":
        return cmd_compare(args)
    for name, (doc, _) in CASES.items():
        print(f"{name}: {doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
