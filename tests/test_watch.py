"""``driftscope watch``: files dropped while it runs and while it is stopped are each
processed once (also across a crash between recording a round and moving its file); a bad
file lands in failed/ with its reason and the next good file is processed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from driftscope.store import HistoryStore
from driftscope.watch import FAULT_ENV, JOURNAL, FolderWatcher

pytestmark = pytest.mark.slow

CLI = "import sys; from driftscope.cli import main; sys.exit(main(sys.argv[1:]))"
WAIT = 120.0  # seconds a test waits for the watcher at most (never reached when it works)


def _frame(seed: int, shift: float = 0.0, rows: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(shift, 1, rows), "c": rng.choice(list("ab"), rows)})


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Path]:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    _frame(0).to_csv(tmp_path / "ref.csv", index=False)
    config = tmp_path / "monitoring.yaml"
    config.write_text(f"reference: {tmp_path / 'ref.csv'}\nhtml: false\nplots: none\n")
    return {"incoming": incoming, "config": config, "out": tmp_path / "out",
            "history": tmp_path / "out" / "driftscope_history.db"}


def _drop(folder: Path, name: str, frame: pd.DataFrame) -> None:
    """Written beside the folder, then renamed in (how a producer should drop a file)."""
    tmp = folder.parent / f".{name}.part"
    if name.endswith(".parquet"):
        frame.to_parquet(tmp)
    else:
        frame.to_csv(tmp, index=False)
    os.replace(tmp, folder / name)


def _start(setup: dict[str, Path], *extra: str, env: dict[str, str] | None = None
           ) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CLI, "watch", "--folder", str(setup["incoming"]), "--config",
         str(setup["config"]), "--out", str(setup["out"]), "--poll", "0.2", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})})


def _until(condition: object, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"the watcher did not {what} within {WAIT:g} s")
        time.sleep(0.1)


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def _sources(history: Path) -> list[str]:
    with HistoryStore(history, create=False) as store:
        return sorted(store.load(r).run.current.source or "" for r in store.run_ids())


def test_files_dropped_while_running_and_while_stopped_are_each_processed_once(
        setup: dict[str, Path]) -> None:
    incoming, processed = setup["incoming"], setup["incoming"] / "processed"
    watcher = _start(setup)
    try:
        _drop(incoming, "a.csv", _frame(1))
        _drop(incoming, "b.parquet", _frame(2, shift=1.0))
        _until(lambda: _names(processed) == ["a.csv", "b.parquet"], "process a and b")
        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=WAIT)
    finally:
        if watcher.poll() is None:
            watcher.kill()
    assert watcher.returncode == 0, err
    assert "a.csv: NORMAL" in out and "b.parquet: CRITICAL" in out
    # dropped while it is stopped: picked up by the next start
    _drop(incoming, "c.csv", _frame(3))
    again = _start(setup, "--once")
    out, err = again.communicate(timeout=WAIT)
    assert again.returncode == 0, err
    assert "c.csv" in out and "a.csv" not in out  # the earlier files are not seen again
    assert _names(processed) == ["a.csv", "b.parquet", "c.csv"]
    assert _sources(setup["history"]) == ["a.csv", "b.parquet", "c.csv"]  # once each
    assert json.loads((setup["out"] / "drift_report.json").read_text())["run"]["current"][
        "source"] == "c.csv"
    assert [n for n in _names(incoming) if not n.startswith(".")] == ["processed"]


def test_a_bad_file_fails_with_its_reason_and_the_next_is_processed(
        setup: dict[str, Path]) -> None:
    incoming = setup["incoming"]
    (incoming / "bad.csv").write_text("y,z\n1,2\n")  # no monitored column
    _drop(incoming, "good.csv", _frame(4))
    watcher = _start(setup, "--once")
    out, err = watcher.communicate(timeout=WAIT)
    assert watcher.returncode == 0, err
    assert _names(incoming / "failed") == ["bad.csv", "bad.csv.reason.txt"]
    reason = (incoming / "failed" / "bad.csv.reason.txt").read_text()
    assert "bad.csv" in reason and "column" in reason
    assert _names(incoming / "processed") == ["good.csv"]
    assert "bad.csv: failed:" in out
    assert _sources(setup["history"]) == ["good.csv"]


def test_a_crash_between_recording_and_moving_never_runs_a_file_twice(
        setup: dict[str, Path]) -> None:
    incoming = setup["incoming"]
    _drop(incoming, "a.csv", _frame(5))
    crashed = _start(setup, "--once", env={FAULT_ENV: "recorded"})
    crashed.communicate(timeout=WAIT)
    assert crashed.returncode == -signal.SIGKILL  # died after recording, before the move
    assert _names(incoming) == [".driftscope-watch.json", ".driftscope-watch.lock", "a.csv"]
    assert _sources(setup["history"]) == ["a.csv"]
    again = _start(setup, "--once")
    out, err = again.communicate(timeout=WAIT)
    assert again.returncode == 0, err
    assert "already processed" in out
    assert _names(incoming / "processed") == ["a.csv"]
    assert _sources(setup["history"]) == ["a.csv"]  # recorded once
    # the same file dropped again later is not run again either
    _drop(incoming, "a.csv", _frame(5))
    again = _start(setup, "--once")
    again.communicate(timeout=WAIT)
    assert _sources(setup["history"]) == ["a.csv"]
    assert len(_names(incoming / "processed")) == 2
    journal = json.loads((incoming / JOURNAL).read_text())
    assert [e["state"] for e in journal.values()] == ["processed"]


def test_a_file_still_being_written_waits(setup: dict[str, Path], tmp_path: Path) -> None:
    from driftscope.monitor import Monitor

    incoming = setup["incoming"]
    monitor = Monitor(setup["config"], progress=False)
    with HistoryStore(tmp_path / "h.db") as store:
        watcher = FolderWatcher(incoming, monitor, store, setup["out"])
        path = incoming / "growing.csv"
        path.write_text("x,c\n")
        assert watcher.look() == []  # first seen
        with open(path, "a") as fh:
            fh.write("1.0,a\n")
        assert watcher.look() == []  # it changed since: not complete yet
        assert watcher.look() == [path]  # unchanged across two looks: complete
        stop = threading.Event()
        stop.set()
        assert watcher.run(stop, 0.01) == []  # a stopped watcher processes nothing


def test_sigint_stops_the_watcher_cleanly(setup: dict[str, Path]) -> None:
    watcher = _start(setup)
    try:
        assert watcher.stdout is not None
        assert "watching" in watcher.stdout.readline()  # started (baseline built)
        watcher.send_signal(signal.SIGINT)
        _, err = watcher.communicate(timeout=WAIT)
    finally:
        if watcher.poll() is None:
            watcher.kill()
    assert watcher.returncode == 0 and "driftscope watch: stopped" in err
    assert "Traceback" not in err


def test_one_watcher_per_folder(setup: dict[str, Path]) -> None:
    first = _start(setup)
    try:
        assert first.stdout is not None
        assert "watching" in first.stdout.readline()
        second = _start(setup, "--once")
        _, err = second.communicate(timeout=WAIT)
        assert second.returncode == 2 and "another watcher is running" in err
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=WAIT)


def test_baseline_history_and_quiet_flags(setup: dict[str, Path], tmp_path: Path) -> None:
    from driftscope.cli import main

    assert main(["baseline", "--reference", str(tmp_path / "ref.csv"), "--out",
                 str(tmp_path / "bl"), "--no-progress"]) == 0
    setup["config"].write_text("html: false\nplots: none\n")  # no reference: --baseline only
    _drop(setup["incoming"], "a.csv", _frame(6))
    history = tmp_path / "elsewhere.db"
    watcher = _start(setup, "--once", "--quiet", "--baseline", str(tmp_path / "bl"),
                     "--history", str(history))
    out, err = watcher.communicate(timeout=WAIT)
    assert watcher.returncode == 0, err
    assert out == ""  # --quiet
    assert _sources(history) == ["a.csv"] and not setup["history"].exists()
    with HistoryStore(history, create=False) as store:
        assert store.latest().run.baseline == str(tmp_path / "bl")  # type: ignore[union-attr]
    # without a baseline or a reference: one line, exit 2
    watcher = _start(setup, "--once")
    _, err = watcher.communicate(timeout=WAIT)
    assert watcher.returncode == 2 and "give --baseline" in err
