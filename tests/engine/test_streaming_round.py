"""A round with the streaming backend: the same report as the local backend, batch by batch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import driftscope

pytestmark = pytest.mark.slow  # whole rounds with a model, several in subprocesses

VOLATILE = ("id", "started_at", "finished_at", "duration_seconds")


def _frames(n: int, seed: int, shift: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, n)
    k = rng.integers(0, 5 + int(shift > 0), n).astype(float)
    k[rng.random(n) < 0.03] = np.nan
    return pd.DataFrame({
        "income": x * 1000 + 5000,
        "age": rng.integers(18, 80, n),
        "grade": k,
        "home": rng.choice(["rent", "own", "mortgage"], n, p=[0.5 - shift / 10, 0.3, 0.2 +
                                                              shift / 10]),
        "day": pd.date_range("2026-01-05", periods=n, freq="h").astype(str),
        "default": np.where(rng.random(n) < 1 / (1 + np.exp(-x)), "yes", "no"),
    })


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("streaming")
    ref, cur = _frames(3000, 1, 0.0), _frames(5000, 2, 0.4)
    model = make_pipeline(StandardScaler(), LogisticRegression())
    model.fit(ref[["income", "age"]], ref["default"])
    joblib.dump(model, root / "model.joblib")
    ref.to_parquet(root / "ref.parquet")
    # many row groups: the streaming backend reads them one by one
    pq.write_table(pa.Table.from_pandas(cur, preserve_index=False), root / "cur.parquet",
                   row_group_size=700)
    cur.to_csv(root / "cur.csv", index=False)
    return {"root": root, "ref": root / "ref.parquet", "cur": root / "cur.parquet",
            "csv": root / "cur.csv", "model": root / "model.joblib"}


def _report(result: Any) -> dict[str, Any]:
    doc = json.loads(result.to_json())
    for key in VOLATILE:
        doc["run"].pop(key, None)
    return doc


def _round(files: dict[str, Path], current: Path, **kw: Any) -> dict[str, Any]:
    return _report(driftscope.run(
        reference=files["ref"], current=current, model=str(files["model"]), target="default",
        positive_class="yes", timestamp_column="day", progress=False, **kw))


@pytest.mark.parametrize("current", ["cur", "csv"])
def test_streaming_gives_the_local_report_to_the_last_digit(files: dict[str, Path],
                                                            current: str) -> None:
    local = _round(files, files[current])
    streamed = _round(files, files[current], backend="streaming", batch_rows=1000)
    assert streamed == local
    assert local["performance"] is not None and local["prediction"] is not None


def test_logged_predictions_are_streamed_for_their_own_columns_only(
        files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a model, a streamed current batch is prepared from its logged probability and
    target alone (the other columns are profiled, never held as rows); the report is the
    local one."""
    from driftscope.engine import round as round_module

    model = joblib.load(files["model"])
    for name in ("ref", "cur"):
        frame = pd.read_parquet(files[name])
        frame["proba"] = model.predict_proba(frame[["income", "age"]])[:, 1]
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False),
                       tmp_path / f"{name}.parquet", row_group_size=700)
    seen: list[list[str]] = []
    prepare = round_module.prepare

    def spy(table: pa.Table, *args: Any, **kw: Any) -> Any:
        seen.append(table.column_names)
        return prepare(table, *args, **kw)

    monkeypatch.setattr(round_module, "prepare", spy)
    settings = {"reference": tmp_path / "ref.parquet", "current": tmp_path / "cur.parquet",
                "proba_column": "proba", "target": "default", "positive_class": "yes",
                "progress": False}
    streamed = _report(driftscope.run(backend="streaming", batch_rows=1000, **settings))
    assert len(seen) > 1 and all(names == ["proba", "default"] for names in seen)
    assert streamed == _report(driftscope.run(**settings))
    assert streamed["prediction"] is not None and streamed["performance"] is not None


@pytest.mark.parametrize("logged", [False, True])
def test_a_reference_file_is_streamed_too_and_gives_the_local_report(
        files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        logged: bool) -> None:
    """Without a model, ``backend: streaming`` reads a reference file batch by batch (never
    whole) and builds the baseline the local backend builds, saved or not."""
    from driftscope.engine import build

    frame = pd.read_parquet(files["ref"])
    settings: dict[str, Any] = {"progress": False}
    if logged:
        model = joblib.load(files["model"])
        frame["proba"] = model.predict_proba(frame[["income", "age"]])[:, 1]
        settings |= {"proba_column": "proba", "target": "default", "positive_class": "yes"}
    cur = pd.read_parquet(files["cur"])
    if logged:
        cur["proba"] = model.predict_proba(cur[["income", "age"]])[:, 1]
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "ref.parquet",
                   row_group_size=500)
    pq.write_table(pa.Table.from_pandas(cur, preserve_index=False), tmp_path / "cur.parquet")
    local = _report(driftscope.run(reference=tmp_path / "ref.parquet",
                                   current=tmp_path / "cur.parquet", **settings))

    def whole(*args: Any, **kw: Any) -> Any:
        raise AssertionError("the reference was read whole")

    monkeypatch.setattr(build, "to_arrow", whole)
    streamed = _report(driftscope.run(reference=tmp_path / "ref.parquet",
                                      current=tmp_path / "cur.parquet", backend="streaming",
                                      batch_rows=1000, **settings))
    assert streamed == local
    assert any(f["metrics"]["ks_pvalue"] is not None for f in streamed["features"])
    assert (streamed["performance"] is not None) == logged
    from driftscope.cli import main

    flags = ["--proba-column", "proba", "--target", "default", "--positive-class", "yes"]
    assert main(["baseline", "--reference", str(tmp_path / "ref.parquet"), "--backend",
                 "streaming", "--out", str(tmp_path / "baseline"),
                 "--no-progress", *(flags if logged else [])]) == 0
    monkeypatch.undo()
    again = _report(driftscope.run(baseline=tmp_path / "baseline",
                                   current=tmp_path / "cur.parquet", **settings))
    for doc in (again, local):
        doc["run"].pop("baseline")  # the folder, or the reference file it was built from
    assert again == local


@pytest.mark.parametrize("case", ["numbers only", "a column missing"])
def test_streaming_takes_the_inputs_local_takes(tmp_path: Path, case: str) -> None:
    """Only numerical monitored columns (no categorical one to count batch by batch), and a
    reference column the current CSV lacks: the streamed round is the local one."""
    ref, cur = _frames(3000, 1, 0.0), _frames(4000, 2, 0.4)
    if case == "numbers only":
        ref, cur = ref[["income", "age", "grade"]], cur[["income", "age", "grade"]]
    else:
        cur = cur.drop(columns=["income"])
    ref.to_parquet(tmp_path / "ref.parquet")
    cur.to_csv(tmp_path / "cur.csv", index=False)
    settings: dict[str, Any] = {"reference": tmp_path / "ref.parquet",
                                "current": tmp_path / "cur.csv", "progress": False}
    local = _report(driftscope.run(**settings))
    assert _report(driftscope.run(backend="streaming", batch_rows=1000, **settings)) == local
    if case == "a column missing":
        income = next(f for f in local["features"] if f["name"] == "income")
        assert income["status"] == "CRITICAL"


def test_approximate_ks_states_its_error_bound_and_keeps_every_count(
        files: dict[str, Path]) -> None:
    exact = _round(files, files["cur"], backend="streaming")
    approx = _round(files, files["cur"], backend="streaming", ks="approximate")
    note = [f["message"] for f in approx["findings"] if f["message"].startswith("ks: approx")]
    assert len(note) == 1 and "±0.0" in note[0]
    bound = float(note[0].split("±")[1].split()[0])
    for a, b in zip(exact["features"], approx["features"], strict=True):
        assert [x["current_count"] for x in a["bins"]] == [x["current_count"] for x in b["bins"]]
        ks_a, ks_b = a["metrics"]["ks_statistic"], b["metrics"]["ks_statistic"]
        if ks_a is not None:
            assert abs(ks_a - ks_b) <= bound
    assert not [f for f in exact["findings"] if f["message"].startswith("ks: approx")]


def test_batch_rows_sets_the_batches_the_streaming_backend_reads(
        files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from driftscope.inputs import batches

    seen: list[int] = []
    real = batches.FileSource.batches

    def spy(self: Any, columns: Any = None) -> Any:
        for b in real(self, columns):
            seen.append(b.num_rows)
            yield b

    monkeypatch.setattr(batches.FileSource, "batches", spy)
    _round(files, files["csv"], backend="streaming", batch_rows=1000)
    assert seen and max(seen) <= 1000
    seen.clear()
    _round(files, files["csv"], backend="streaming", batch_rows=5000)
    assert max(seen) > 1000


def test_an_unknown_backend_is_one_line_exit_2(files: dict[str, Path], tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "driftscope.cli", "run", "--reference", str(files["ref"]),
         "--current", str(files["cur"]), "--out", str(tmp_path / "o"), "--backend", "spark2"],
        capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "backend" in proc.stderr and "streaming" in \
        proc.stderr


def test_backend_and_ks_flags_reach_the_round(files: dict[str, Path], tmp_path: Path) -> None:
    def run(*flags: str) -> dict[str, Any]:
        out = tmp_path / "-".join(flags).replace("-", "")
        proc = subprocess.run(
            [sys.executable, "-m", "driftscope.cli", "run", "--reference", str(files["ref"]),
             "--current", str(files["cur"]), "--out", str(out), "--plots", "none",
             "--no-history", "--quiet", *flags], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        return json.loads((out / "drift_report.json").read_text())

    approx = run("--backend", "streaming", "--ks", "approximate")
    assert any(f["message"].startswith("ks: approx") for f in approx["findings"])
    # --ks approximate asks for sketches; the local backend holds the values and stays exact
    local = run("--ks", "approximate")
    said = [f["message"] for f in local["findings"] if f["message"].startswith("ks: approx")]
    assert len(said) == 1 and "quantile sketches" not in said[0] and "exact" in said[0]


def test_a_baseline_built_with_the_streaming_backend_is_the_local_one(
        files: dict[str, Path], tmp_path: Path) -> None:
    for backend in ("local", "streaming"):
        proc = subprocess.run(
            [sys.executable, "-m", "driftscope.cli", "baseline", "--reference",
             str(files["ref"]), "--out", str(tmp_path / backend), "--backend", backend],
            capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    unknown = subprocess.run(
        [sys.executable, "-m", "driftscope.cli", "baseline", "--reference", str(files["ref"]),
         "--out", str(tmp_path / "x"), "--backend", "nosuch"], capture_output=True, text=True)
    assert unknown.returncode == 2 and "backend" in unknown.stderr  # the flag reaches the build
    manifests = [json.loads((tmp_path / b / "manifest.json").read_text())
                 for b in ("local", "streaming")]
    for m in manifests:
        m.pop("created_at", None)
    assert manifests[0]["columns"] == manifests[1]["columns"]


def test_a_streamed_backfill_from_the_command_line(files: dict[str, Path],
                                                   tmp_path: Path) -> None:
    """``--chunk-by`` with the streaming backend: the chunk reports of the local backfill,
    and no temporary chunk files left behind."""
    import tempfile

    before = set(Path(tempfile.gettempdir()).glob("driftscope-chunks-*"))
    docs = {}
    for backend in ("local", "streaming"):
        out = tmp_path / backend
        proc = subprocess.run(
            [sys.executable, "-m", "driftscope.cli", "run", "--reference", str(files["ref"]),
             "--current", str(files["cur"]), "--model", str(files["model"]), "--target",
             "default", "--positive-class", "yes", "--timestamp-column", "day", "--chunk-by",
             "week", "--backend", backend, "--out", str(out), "--plots", "none",
             "--no-history", "--quiet"], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        docs[backend] = {p.parent.name: json.loads(p.read_text())
                         for p in sorted((out / "chunks").glob("*/drift_report.json"))}
    assert set(Path(tempfile.gettempdir()).glob("driftscope-chunks-*")) == before
    assert len(docs["local"]) > 3 and docs["local"].keys() == docs["streaming"].keys()
    for label, local in docs["local"].items():
        streamed = docs["streaming"][label]
        for doc in (local, streamed):
            for key in VOLATILE:
                doc["run"].pop(key, None)
        assert local == streamed, label


def test_ks_approximate_with_the_local_backend_says_it_changed_nothing(
        files: dict[str, Path]) -> None:
    local = _report(driftscope.run(reference=files["ref"], current=files["cur"],
                                   ks="approximate", progress=False))
    said = [f["message"] for f in local["findings"] if f["message"].startswith("ks: approx")]
    assert len(said) == 1 and "every Kolmogorov–Smirnov statistic is exact" in said[0]
    exact = _report(driftscope.run(reference=files["ref"], current=files["cur"],
                                   progress=False))
    assert [f["metrics"] for f in local["features"]] == [f["metrics"] for f in exact["features"]]
