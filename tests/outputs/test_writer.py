"""The output writer: one round is whole or absent, in the folder and in the history.

The fault-injection test kills a real ``driftscope run`` (SIGKILL, in a subprocess) at each step
of the publish sequence and checks what a user and the next round find.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from driftscope.outputs.snapshot import read_snapshot
from driftscope.outputs.writer import (
    FAULT_ENV,
    HTML_NAME,
    JSON_NAME,
    PUBLISHING,
    SNAPSHOT_NAME,
    STAGE_PREFIX,
    recover_outputs,
)
from driftscope.store import HistoryStore

STEPS = ["staged", "recorded", "committed", "published-images",
         f"published-{SNAPSHOT_NAME}", f"published-{HTML_NAME}", f"published-{JSON_NAME}",
         "published"]


def _frames(tmp_path: Path) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(3)
    n = 800
    ref = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(4)})
    ref["grp"] = rng.choice(["a", "b", "c"], n)
    # round A: x0 and x1 drifted; round B: x2 and x3 drifted (other PNGs)
    a = pd.DataFrame({f"x{i}": rng.normal(1.5 if i < 2 else 0.0, 1.0, 500) for i in range(4)})
    a["grp"] = rng.choice(["a", "b", "c"], 500)
    b = pd.DataFrame({f"x{i}": rng.normal(1.5 if i >= 2 else 0.0, 1.0, 500) for i in range(4)})
    b["grp"] = rng.choice(["a", "b", "c"], 500, p=[0.8, 0.1, 0.1])
    for name, frame in (("ref.csv", ref), ("a.csv", a), ("b.csv", b)):
        frame.to_csv(tmp_path / name, index=False)
    return tmp_path / "ref.csv", tmp_path / "a.csv", tmp_path / "b.csv"


def _run(out: Path, ref: Path, cur: Path, fault: str | None = None, *args: str) -> int:
    env = dict(os.environ)
    env.pop(FAULT_ENV, None)
    if fault:
        env[FAULT_ENV] = fault
    done = subprocess.run(
        [sys.executable, "-m", "driftscope.cli", "run", "--reference", str(ref), "--current",
         str(cur), "--out", str(out), "--quiet", *args], env=env, capture_output=True,
        text=True)
    assert done.returncode in (0, -9), done.stderr
    return done.returncode


def _state(out: Path) -> dict[str, Any]:
    """Which round each output shows, and whether every PNG the JSON names exists."""
    report = json.loads((out / JSON_NAME).read_text(encoding="utf-8"))
    html = (out / HTML_NAME).read_text(encoding="utf-8")
    html_id = re.search(r"<dt>Run ID</dt><dd><code>([^<]+)</code>", html)
    snap = read_snapshot(out / SNAPSHOT_NAME)
    plots = [f["plot"] for f in report["features"] if f.get("plot")]
    return {
        "json": report["run"]["id"],
        "html": html_id.group(1) if html_id else None,
        "snapshot": snap["result"]["run"]["id"],
        "plots_exist": all((out / p).is_file() for p in plots),
        "plots": sorted(plots),
        "pngs": sorted(p.name for p in (out / "images").glob("*.png")),
    }


def _history_ids(out: Path) -> list[str]:
    with HistoryStore(str(out / "driftscope_history.db"), create=False) as store:
        return store.run_ids()


@pytest.fixture(scope="module")
def round_a(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Inputs and an output folder holding one whole round A (copied by each test)."""
    folder = tmp_path_factory.mktemp("round_a")
    ref, a, b = _frames(folder)
    assert _run(folder / "assets", ref, a) == 0
    return ref, b, folder / "assets"


@pytest.mark.slow
@pytest.mark.parametrize("step", STEPS)
def test_a_kill_at_any_step_leaves_one_whole_round(tmp_path: Path, step: str,
                                                   round_a: tuple[Path, Path, Path]) -> None:
    ref, b, original = round_a
    out = tmp_path / "assets"
    shutil.copytree(original, out)
    first = _state(out)
    assert first["json"] == first["html"] == first["snapshot"] and first["plots_exist"]
    [round_a] = _history_ids(out)

    assert _run(out, ref, b, fault=step) == -9  # killed by the hook
    ids = _history_ids(out)
    assert ids[0] == round_a and len(ids) <= 2
    shown = json.loads((out / JSON_NAME).read_text(encoding="utf-8"))["run"]["id"]
    assert shown in ids  # the history never lacks the round the JSON shows
    if step in ("staged",):
        assert ids == [round_a] and _state(out) == first  # nothing of round B is visible

    # the next writer (or recover_outputs) finishes or undoes the interrupted round
    with HistoryStore(str(out / "driftscope_history.db"), create=False) as store:
        recover_outputs(out, store)
    after = _state(out)
    assert after["json"] == after["html"] == after["snapshot"], after
    assert after["plots_exist"]
    assert after["pngs"] == [p.removeprefix("images/") for p in after["plots"]]
    assert after["json"] in ids
    if len(ids) == 2:  # recorded: the round is published, not lost
        assert after["json"] == ids[1]
    else:
        assert after == first
    assert not list(out.glob(f"{STAGE_PREFIX}*")) and not (out / PUBLISHING).exists()


@pytest.mark.slow
def test_the_next_round_cleans_what_a_killed_round_left(tmp_path: Path) -> None:
    ref, a, b = _frames(tmp_path)
    out = tmp_path / "assets"
    assert _run(out, ref, b, fault="staged") == -9
    assert len(list(out.glob(f"{STAGE_PREFIX}*"))) == 1
    assert not (out / JSON_NAME).exists()
    assert _run(out, ref, a) == 0
    state = _state(out)
    assert state["json"] == state["html"] == state["snapshot"] and state["plots_exist"]
    assert not list(out.glob(f"{STAGE_PREFIX}*"))
    assert _history_ids(out) == [state["json"]]


@pytest.mark.slow  # two rounds with HTML and PNGs
def test_a_history_that_refuses_the_round_leaves_the_outputs_alone(tmp_path: Path) -> None:
    import driftscope
    from driftscope.errors import HistoryError

    ref, a, b = _frames(tmp_path)
    out = tmp_path / "assets"
    first = driftscope.run(reference=ref, current=a, progress=False)
    driftscope.write_outputs(first, out)
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    class Broken:
        def record(self, result: Any) -> None:
            raise HistoryError("the history is down")

        def contains(self, run_id: str) -> bool:
            return False

    second = driftscope.run(reference=ref, current=b, progress=False)
    with pytest.raises(HistoryError):
        driftscope.write_outputs(second, out, history=Broken())
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not list(out.glob(f"{STAGE_PREFIX}*"))


def test_stale_stages_without_a_plan_are_removed_and_others_kept(tmp_path: Path) -> None:
    out = tmp_path / "assets"
    (out / f"{STAGE_PREFIX}dead" / "images").mkdir(parents=True)
    (out / "mine.txt").write_text("user file")
    assert recover_outputs(out) == []
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]


# -- plot budget ---------------------------------------------------------------------------

def _many_drifted(tmp_path: Path, k: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(9)
    ref = pd.DataFrame({f"c{i:03d}": rng.normal(size=400) for i in range(k)})
    cur = pd.DataFrame({f"c{i:03d}": rng.normal(1.0 + i / k, 1.0, 300) for i in range(k)})
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_csv(tmp_path / "cur.csv", index=False)
    return tmp_path / "ref.csv", tmp_path / "cur.csv"


@pytest.mark.slow  # a round with HTML and PNGs
def test_plot_budget_draws_the_worst_and_lists_the_rest(cli: Any, tmp_path: Path) -> None:
    ref, cur = _many_drifted(tmp_path, 8)
    out = tmp_path / "o"
    result = cli("run", "--reference", ref, "--current", cur, "--out", out, "--no-history",
                 "--plot-limit", "3", "--plot", "c000")
    assert result.code == 0, result.err
    report = json.loads((out / JSON_NAME).read_text())
    plotted = [f["name"] for f in report["features"] if f.get("plot")]
    assert len(list((out / "images").glob("*.png"))) == 3 and len(plotted) == 3
    assert "c000" in plotted  # asked for by name: first in the budget
    worst = sorted(report["features"], key=lambda f: -f["metrics"]["psi"])
    assert worst[0]["name"] in plotted
    note = [f["message"] for f in report["findings"] if "plot_limit" in f["message"]]
    assert note and "5 more" in note[0]


@pytest.mark.slow  # two rounds, 5 PNGs
def test_plot_limit_in_the_config_and_default(cli: Any, tmp_path: Path) -> None:
    ref, cur = _many_drifted(tmp_path, 4)
    cfg = tmp_path / "m.yaml"
    cfg.write_text("plot_limit: 1\n")
    out = tmp_path / "o"
    assert cli("run", "--reference", ref, "--current", cur, "--out", out, "--no-history",
               "--config", cfg).code == 0
    assert len(list((out / "images").glob("*.png"))) == 1
    out2 = tmp_path / "o2"
    assert cli("run", "--reference", ref, "--current", cur, "--out", out2,
               "--no-history").code == 0
    assert len(list((out2 / "images").glob("*.png"))) == 4  # under the default of 50


@pytest.mark.slow  # two rounds with PNGs
def test_no_html_removes_the_html_of_an_earlier_round(cli: Any, tmp_path: Path) -> None:
    ref, cur = _many_drifted(tmp_path, 2)
    out = tmp_path / "o"
    assert cli("run", "--reference", ref, "--current", cur, "--out", out, "--no-history").code == 0
    assert (out / HTML_NAME).exists()
    assert cli("run", "--reference", ref, "--current", cur, "--out", out, "--no-history",
               "--no-html").code == 0
    assert not (out / HTML_NAME).exists()  # it would describe another round than the JSON


# -- what write_outputs returns; recording from Python -----------------------------------

def test_write_outputs_returns_the_paths_it_wrote(tmp_path: Path) -> None:
    import driftscope
    from driftscope.config import MonitoringConfig

    ref, a, _ = _frames(tmp_path)
    result = driftscope.run(reference=ref, current=a, progress=False)
    out = tmp_path / "assets"
    written = driftscope.write_outputs(result, out)
    assert isinstance(written, driftscope.WrittenOutputs)
    assert written.json == out / JSON_NAME and written.html == out / HTML_NAME
    assert written.snapshot == out / SNAPSHOT_NAME and written.folder == out
    assert written.images and all(p.parent == out / "images" for p in written.images)
    on_disk = {p for p in out.rglob("*") if p.is_file()}
    assert set(written) == set(written.paths) == on_disk  # every file, and only those
    # the result as written names its PNGs; nothing was recorded
    assert {f"images/{p.name}" for p in written.images} == {
        f.plot for f in written.result.features if f.plot}
    assert written.recorded is False
    bare = driftscope.write_outputs(result, tmp_path / "bare",
                                    MonitoringConfig(plots="none", html=False))
    assert bare.html is None and bare.images == ()
    assert list(bare) == [tmp_path / "bare" / JSON_NAME, tmp_path / "bare" / SNAPSHOT_NAME]


@pytest.mark.slow  # two rounds with HTML, 5 PNGs and a history
def test_recording_a_round_from_python_is_one_call(tmp_path: Path) -> None:
    import driftscope

    ref, a, b = _frames(tmp_path)
    out, db = tmp_path / "assets", tmp_path / "assets" / "driftscope_history.db"
    first = driftscope.run(reference=ref, current=a, progress=False)
    written = driftscope.write_outputs(first, out, history=db)  # a file or a database URL
    assert written.recorded
    with driftscope.HistoryStore(db, create=False) as store:
        assert store.run_ids() == [first.run.id]
        second = driftscope.run(reference=ref, current=b, progress=False, history=store)
        assert store.run_ids() == [first.run.id]  # run() reads the history, never records
        driftscope.write_outputs(second, out, history=store)
        assert store.run_ids() == [first.run.id, second.run.id]
    assert driftscope.default_history_path(tmp_path / "runs" / "2026-01-05") == (
        tmp_path / "runs" / "driftscope_history.db")
    assert driftscope.default_history_path(out) == db


def test_interrupted_chunk_folders_are_recovered_with_the_output_folder(tmp_path: Path) -> None:
    chunk = tmp_path / "out" / "chunks" / "2026-W02"
    (chunk / f"{STAGE_PREFIX}dead").mkdir(parents=True)
    (chunk / f"{STAGE_PREFIX}dead" / "PLAN.json").write_text('{"run_id": "r1"}')

    class Holds:
        def record(self, result: Any) -> None:
            raise AssertionError("recovery records nothing")

        def contains(self, run_id: str) -> bool:
            return False

    assert recover_outputs(tmp_path / "out", Holds()) == []
    assert list(chunk.iterdir()) == []  # not recorded: rolled back


# -- a backfill killed at each step -------------------------------------------------------

def _weekly(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(4)
    ref = pd.DataFrame({"x": rng.normal(size=600)})
    days = np.repeat(["2026-01-05", "2026-01-12", "2026-01-19"], 200)
    cur = pd.DataFrame({"x": rng.normal(size=600), "day": days})
    cur.loc[cur["day"] == "2026-01-12", "x"] += 1.0
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_csv(tmp_path / "cur.csv", index=False)
    return tmp_path / "ref.csv", tmp_path / "cur.csv"


def _backfill(out: Path, ref: Path, cur: Path, fault: str | None = None) -> int:
    return _run(out, ref, cur, fault, "--chunk-by", "week", "--timestamp-column", "day")


@pytest.mark.slow
@pytest.mark.parametrize("step", ["staged", "recorded", "committed",
                                  f"published-{HTML_NAME}", "published"])
def test_a_backfill_killed_at_any_step_leaves_whole_chunks(tmp_path: Path, step: str) -> None:
    ref, cur = _weekly(tmp_path)
    out = tmp_path / "out"
    assert _backfill(out, ref, cur, fault=step) == -9  # killed while writing the first chunk
    if (out / "driftscope_history.db").exists():
        ids = _history_ids(out)
        with HistoryStore(str(out / "driftscope_history.db"), create=False) as store:
            recover_outputs(out, store)
    else:  # killed before the first record: nothing to vouch for the staged chunk
        ids = []
        recover_outputs(out)
    reports = sorted((out / "chunks").glob(f"*/{JSON_NAME}"))
    assert len(reports) == len(ids) <= 1  # a chunk is in the history and shown, or neither
    for path in reports:
        run_id = json.loads(path.read_text("utf-8"))["run"]["id"]
        html = (path.parent / HTML_NAME).read_text("utf-8")
        assert run_id in ids and f"<code>{run_id}</code>" in html
    assert not list(out.rglob(f"{STAGE_PREFIX}*"))
    # the next backfill finishes the job: every chunk whole, the top-level report listing them
    assert _backfill(out, ref, cur) == 0
    top = json.loads((out / JSON_NAME).read_text("utf-8"))
    assert [c["status"] for c in top["backfill"]["chunks"]] == ["NORMAL", "CRITICAL", "NORMAL"]
    assert all((out / c["path"]).is_file() for c in top["backfill"]["chunks"])


@pytest.mark.slow  # a round with HTML and PNGs
def test_a_feature_named_prediction_keeps_its_own_plot(cli: Any, tmp_path: Path) -> None:
    rng = np.random.default_rng(11)

    def side(n: int, shift: float) -> pd.DataFrame:
        return pd.DataFrame({"prediction": rng.normal(shift, 1.0, n),
                             "p": np.clip(rng.normal(0.3 + shift / 5, 0.1, n), 0, 1),
                             "y": rng.choice(["0", "1"], n)})

    side(600, 0.0).to_csv(tmp_path / "r.csv", index=False)
    side(400, 2.0).to_csv(tmp_path / "c.csv", index=False)
    out = tmp_path / "o"
    result = cli("run", "--reference", tmp_path / "r.csv", "--current", tmp_path / "c.csv",
                 "--proba-column", "p", "--target", "y", "--out", out, "--no-history")
    assert result.code == 0, result.err
    report = json.loads((out / JSON_NAME).read_text())
    feature_plot = next(f["plot"] for f in report["features"] if f["name"] == "prediction")
    assert report["prediction"]["plot"] and feature_plot
    assert report["prediction"]["plot"] != feature_plot
    assert (out / feature_plot).is_file() and (out / report["prediction"]["plot"]).is_file()


def test_reports_are_validated_before_writing_only_when_asked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    import jsonschema

    from driftscope.outputs.writer import VALIDATE_ENV, write_outputs
    from tests.factories import make_result

    broken = dataclasses.replace(make_result(), reason=12345)  # the schema wants a string
    monkeypatch.setenv(VALIDATE_ENV, "1")  # as the whole test suite runs
    with pytest.raises(jsonschema.ValidationError):
        write_outputs(broken, tmp_path / "checked")
    assert not (tmp_path / "checked" / JSON_NAME).exists()
    monkeypatch.delenv(VALIDATE_ENV)  # as users run: no schema check on the way out
    written = write_outputs(broken, tmp_path / "unchecked")
    assert json.loads(written.json.read_text())["reason"] == 12345
