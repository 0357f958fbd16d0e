"""Shared fixtures: small generated reference and current data (CSV and Parquet), a tiny model
with its metadata, and a helper that runs the command line in-process.

Everything here is generated from fixed seeds and is small on purpose: a round on these files
takes a fraction of a second.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

# The tests test this checkout's code, in process and in the subprocesses they start, whatever
# checkout an editable install of driftscope points at.
SRC = str(Path(__file__).resolve().parents[1] / "src")
if sys.path[:1] != [SRC]:
    sys.path.insert(0, SRC)
    for name in [m for m in sys.modules if m == "driftscope" or m.startswith("driftscope.")]:
        del sys.modules[name]
os.environ["PYTHONPATH"] = os.pathsep.join([SRC, *filter(None, [os.environ.get("PYTHONPATH")])])
# Every report a test writes (in process or in a subprocess) is validated against the published
# JSON Schema before it is written; users skip that cost (driftscope.outputs.writer).
os.environ["DRIFTSCOPE_VALIDATE_REPORTS"] = "1"

# Flags that keep a round to its JSON report: no PNG, no HTML, no history database.
FAST = ("--plots", "none", "--no-html", "--no-history")

# Current rows carry a time; the dates span 4 days, 3 ISO weeks and 2 months.
CHUNK_DATES = ("2026-01-26", "2026-01-30", "2026-02-02", "2026-02-09")

HOSTILE_NAMES = (
    "monthly income",  # space
    'say "hi"',  # double quotes
    "it's",  # single quote
    "ünïcødé 年齢",  # unicode
    "<b>bold</b>&amp;",  # HTML
    "a,b",  # the CSV delimiter
)


def make_frame(n: int, seed: int, drift: bool = False) -> pd.DataFrame:
    """Applicants: two continuous numbers, a small integer, a category, a flag and a label.

    ``drift=True`` moves ``age`` up by more than one standard deviation and turns the ``home``
    mix around; ``income``, ``children`` and ``has_phone`` keep their distribution.
    """
    rng = np.random.default_rng(seed)
    age = rng.normal(55.0 if drift else 40.0, 10.0, n).round(1)
    income = rng.lognormal(10.0, 0.5, n).round(2)
    children = rng.integers(0, 4, n)
    home_p = [0.15, 0.25, 0.6] if drift else [0.5, 0.3, 0.2]
    home = rng.choice(["rent", "own", "parents"], n, p=home_p)
    has_phone = rng.random(n) < 0.7
    logit = 0.08 * (age - 45.0) - 0.8 * (np.log(income) - 10.0) + 0.3 * children
    bad = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    return pd.DataFrame({
        "age": age,
        "income": income,
        "children": children,
        "home": home,
        "has_phone": has_phone,
        "status": np.where(bad, "bad", "good"),
    })


@dataclass(frozen=True)
class DataFiles:
    """Paths of the generated files (all in one session folder)."""

    folder: Path
    ref_csv: Path  # 600 rows, no target/prediction columns
    ref_parquet: Path  # the same rows as Parquet
    same_csv: Path  # 400 rows from the reference distribution, with a ``ts`` column
    drift_csv: Path  # 400 rows with age and home drifted, with a ``ts`` column
    drift_parquet: Path
    lab_ref_csv: Path  # reference with ``status`` (target), ``proba`` and ``pred`` columns
    lab_cur_csv: Path  # drifted current with the same extra columns
    model: Path  # joblib: LogisticRegression pipeline reading age, income, children
    metadata: Path  # YAML metadata of that model, with an optimistic baseline


def _features(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=["status"])


def _train(frame: pd.DataFrame) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    select = ColumnTransformer([("num", StandardScaler(), ["age", "income", "children"])])
    model = Pipeline([("select", select), ("lr", LogisticRegression())])
    return model.fit(frame.drop(columns=["status"]), frame["status"])


@pytest.fixture(scope="session")
def data(tmp_path_factory: pytest.TempPathFactory) -> DataFiles:
    import joblib

    folder = tmp_path_factory.mktemp("data")
    ref = make_frame(600, seed=1)
    same = make_frame(400, seed=2)
    drift = make_frame(400, seed=3, drift=True)
    days = np.resize(np.array(CHUNK_DATES), 400)
    same["ts"] = days
    drift["ts"] = days

    _features(ref).to_csv(folder / "ref.csv", index=False)
    _features(ref).to_parquet(folder / "ref.parquet", index=False)
    _features(same).to_csv(folder / "same.csv", index=False)
    _features(drift).to_csv(folder / "drift.csv", index=False)
    _features(drift).to_parquet(folder / "drift.parquet", index=False)

    model = _train(ref)
    for name, frame in (("lab_ref.csv", ref), ("lab_cur.csv", drift.drop(columns=["ts"]))):
        out = frame.copy()
        out["proba"] = model.predict_proba(frame)[:, list(model.classes_).index("bad")].round(6)
        out["pred"] = model.predict(frame)
        out.to_csv(folder / name, index=False)
    joblib.dump(model, folder / "model.joblib")
    (folder / "metadata.yaml").write_text(
        "name: credit-test\n"
        'version: "2.0.1"\n'
        'trained_at: "2026-01-15"\n'
        "target: status\n"
        "positive_class: bad\n"
        "features: [age, income, children]\n"
        "baseline:\n"
        "  accuracy: 0.99\n"
        "  roc_auc: 0.99\n",
        encoding="utf-8",
    )
    return DataFiles(
        folder=folder,
        ref_csv=folder / "ref.csv",
        ref_parquet=folder / "ref.parquet",
        same_csv=folder / "same.csv",
        drift_csv=folder / "drift.csv",
        drift_parquet=folder / "drift.parquet",
        lab_ref_csv=folder / "lab_ref.csv",
        lab_cur_csv=folder / "lab_cur.csv",
        model=folder / "model.joblib",
        metadata=folder / "metadata.yaml",
    )


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Reference and current CSV whose column names are awkward (see ``HOSTILE_NAMES``)."""
    folder = tmp_path_factory.mktemp("hostile")
    rng = np.random.default_rng(7)

    def frame(n: int, shift: float) -> pd.DataFrame:
        cols: dict[str, Any] = {}
        for i, name in enumerate(HOSTILE_NAMES):
            if i % 2:
                cols[name] = rng.choice(["<script>x</script>", "b & c", "ä"], n)
            else:
                cols[name] = rng.normal(shift * i, 1.0, n)
        return pd.DataFrame(cols)

    frame(300, 0.0).to_csv(folder / "ref.csv", index=False)
    frame(200, 1.0).to_csv(folder / "cur.csv", index=False)
    return folder / "ref.csv", folder / "cur.csv"


# -- running the command line -------------------------------------------------------------

@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str

    def report(self, folder: Path) -> dict[str, Any]:
        return json.loads((folder / "drift_report.json").read_text(encoding="utf-8"))


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``driftscope.cli.main`` in-process; returns exit code, stdout and stderr."""
    from driftscope.cli import main

    def call(*args: Any) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return call


def feature(report: dict[str, Any], name: str) -> dict[str, Any]:
    """The feature entry called ``name`` in a parsed report."""
    for f in report["features"]:
        if f["name"] == name:
            return f
    raise AssertionError(f"no feature {name!r} in {[f['name'] for f in report['features']]}")
