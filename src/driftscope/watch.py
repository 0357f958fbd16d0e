"""``driftscope watch``: a monitoring round for each data file that lands in a folder.

The watcher looks at the folder every ``poll`` seconds. A CSV or Parquet file (``.csv``,
``.tsv``, gzipped, ``.parquet``, ``.pq``; hidden and ``_``-prefixed names, and anything not at
the top level, are left alone) is taken once it is
**complete**: its size and modification time were the same at two looks ``poll`` seconds
apart. A writer that writes elsewhere and renames the file into the folder (the safest way to
drop a file) is therefore picked up one poll after the rename; one that writes in place is
picked up once it has stopped writing for a poll interval.

Each file is one round through the :class:`~driftscope.monitor.Monitor` (the same round as
``driftscope run``), recorded in the history and written into ``--out``; then the file moves
to ``processed/``, or, when the round fails (bad data, a column the model needs is missing),
to ``failed/`` with ``<name>.reason.txt`` beside it. A failing file never stops the watcher.

**Never twice.** A journal (``.driftscope-watch.json`` in the folder, replaced atomically:
temp file, fsync, rename) records for each file, keyed by its name and SHA-256, the step it
reached: ``started`` before the round, ``recording`` with the run id once the round is
measured and before it is recorded and written, then ``processed`` or ``failed`` after the
move. After a crash:

- before the round was recorded: the file is still in the folder and its round is run again
  (recording is one transaction, so no half round exists);
- after recording but before the move (the dangerous gap): the journal names the run id, the
  history holds it, so the file is moved to ``processed/`` without a second round;
- after the move: the file is gone from the folder; nothing to do.

The same file (same name and content) dropped again after it was processed is moved to
``processed/`` without a round; one that failed is tried again. A lock file keeps a second
watcher off the same folder. SIGINT and SIGTERM stop the watcher after the round in progress
(a round is never cut in half).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftscope.cli_errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from driftscope.config.models import MonitoringConfig
    from driftscope.monitor import Monitor
    from driftscope.store import HistoryStore

__all__ = ["FAILED", "JOURNAL", "PROCESSED", "FolderWatcher", "Outcome", "watch_from_args"]

PROCESSED = "processed"
FAILED = "failed"
JOURNAL = ".driftscope-watch.json"
LOCK = ".driftscope-watch.lock"
FAULT_ENV = "DRIFTSCOPE_WATCH_FAULT"
"""Test hook: ``recorded`` kills the watcher (SIGKILL) after a round is recorded and before
its file moves, the gap a crash is most likely to hurt."""


@dataclass(frozen=True)
class Outcome:
    """What became of one file."""

    name: str
    moved_to: str  # "processed" or "failed"
    run_id: str | None = None
    status: str | None = None
    reason: str | None = None


def _fault(step: str) -> None:
    if os.environ.get(FAULT_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Journal:
    """The steps each file reached, in one JSON file replaced atomically at every step."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        if path.exists():
            try:
                self.entries = dict(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError) as err:
                raise UsageError(f"driftscope watch: the journal {path} cannot be read "
                                 f"({err.__class__.__name__}); move it away to start a new "
                                 "one (files already moved stay where they are)") from None

    def get(self, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    def set(self, key: str, **fields: Any) -> None:
        from driftscope.store.rows import utc_now

        self.entries[key] = {**self.entries.get(key, {}), **fields, "at": utc_now()}
        tmp = self.path.with_name(f"{self.path.name}.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.entries, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        _fsync_dir(self.path.parent)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_data(name: str) -> bool:
    from driftscope.inputs.readers import CSV_SUFFIXES, PARQUET_SUFFIXES

    lowered = name.lower()  # .txt is left alone: a folder often holds a README
    return not name.startswith((".", "_")) and any(
        lowered.endswith(s) for s in (CSV_SUFFIXES | PARQUET_SUFFIXES) - {".txt"})


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or err.__class__.__name__
    return text if len(text) <= 2000 else text[:2000] + "…"


class FolderWatcher:
    """Runs a round for every complete data file of ``folder`` (see the module docstring).

    Parameters
    ----------
    folder : Path
        The watched folder; ``processed/`` and ``failed/`` are made in it.
    monitor : Monitor
        Runs the rounds (its config, baseline and model).
    store : HistoryStore
        Where each round is recorded (and earlier rounds are read).
    out : Path
        Where each round's report is written (the latest round's report).
    say : callable, optional
        Called with one line per file handled (default: nothing).
    """

    def __init__(self, folder: Path, monitor: Monitor, store: HistoryStore, out: Path,
                 say: Callable[[str], None] | None = None) -> None:
        self.folder = folder
        self.monitor = monitor
        self.config: MonitoringConfig = monitor.config
        self.store = store
        self.out = out
        self.say = say or (lambda line: None)
        self.journal = Journal(folder / JOURNAL)
        self._sizes: dict[str, tuple[int, int]] = {}

    # -- finding files -----------------------------------------------------------------
    def look(self) -> list[Path]:
        """The files complete since the previous look (same size and mtime at both)."""
        now: dict[str, tuple[int, int]] = {}
        with os.scandir(self.folder) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False) and _is_data(entry.name):
                    st = entry.stat(follow_symlinks=False)
                    now[entry.name] = (st.st_size, st.st_mtime_ns)
        ready = [self.folder / n for n, sig in sorted(now.items()) if self._sizes.get(n) == sig]
        self._sizes = now
        return ready

    # -- one file ----------------------------------------------------------------------
    def _move(self, path: Path, where: str, reason: str | None = None) -> Path:
        target_dir = self.folder / where
        target_dir.mkdir(exist_ok=True)
        target = target_dir / path.name
        if target.exists():  # the same name came before with other content: keep both
            stem, dot, suffix = path.name.partition(".")
            target = target_dir / f"{stem}-{_sha256(path)[:8]}{dot}{suffix}"
        if reason is not None:
            note = target.with_name(f"{target.name}.reason.txt")
            note.write_text(reason + "\n", encoding="utf-8")
        os.replace(path, target)
        _fsync_dir(target_dir)
        _fsync_dir(self.folder)
        return target

    def process(self, path: Path) -> Outcome:
        """One file: its round, recorded and written, then the move (see the journal)."""
        from driftscope.outputs.writer import write_outputs

        key = f"{path.name}:{_sha256(path)}"
        entry = self.journal.get(key) or {}
        state, run_id = entry.get("state"), entry.get("run_id")
        if state == PROCESSED or (state == "recording" and run_id
                                  and self.store.contains(run_id)):
            # done before (or recorded just before a crash): moved, never run again
            self._move(path, PROCESSED)
            self.journal.set(key, state=PROCESSED, name=path.name)
            return Outcome(path.name, PROCESSED, run_id, entry.get("status"),
                           reason="already processed: moved without a new round")
        self.journal.set(key, state="started", name=path.name, run_id=None)
        try:
            result = self.monitor.run(str(path), source=path.name, history=self.store)
            self.journal.set(key, state="recording", run_id=result.run.id)
            written = write_outputs(result, self.out, self.config, self.store)
        except Exception as err:  # the file's round failed: the watcher goes on
            reason = _one_line(err)
            self._move(path, FAILED, reason)
            self.journal.set(key, state=FAILED, reason=reason)
            return Outcome(path.name, FAILED, reason=reason)
        _fault("recorded")
        if self.config.notifications:
            from driftscope.notify import notify_round

            notify_round(self.config, written.result, self.store)
        status = written.result.status.value
        self._move(path, PROCESSED)
        self.journal.set(key, state=PROCESSED, status=status)
        return Outcome(path.name, PROCESSED, result.run.id, status)

    def _said(self, outcome: Outcome) -> None:
        if outcome.moved_to == FAILED:
            self.say(f"driftscope watch: {outcome.name}: failed: {outcome.reason} -> {FAILED}/")
        elif outcome.reason:
            self.say(f"driftscope watch: {outcome.name}: {outcome.reason} -> {PROCESSED}/")
        else:
            self.say(f"driftscope watch: {outcome.name}: {outcome.status} (run "
                     f"{outcome.run_id}) -> {PROCESSED}/")

    # -- the loop ----------------------------------------------------------------------
    def run(self, stop: threading.Event, poll: float, once: bool = False) -> list[Outcome]:
        """Look every ``poll`` seconds and process what is complete, until ``stop`` is set;
        with ``once``, look twice (``poll`` apart), process what is complete, and return."""
        outcomes: list[Outcome] = []
        self.look()
        while not stop.wait(poll):
            for path in self.look():
                if stop.is_set():
                    break
                if not path.exists():  # taken away meanwhile
                    continue
                outcome = self.process(path)
                outcomes.append(outcome)
                self._said(outcome)
            if once:
                break
        return outcomes


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Hold the folder's lock file for the watcher's lifetime (one watcher per folder)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock
        yield
        return
    with open(folder / LOCK, "a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise UsageError(f"driftscope watch: another watcher is running on {folder} (it "
                             f"holds {folder / LOCK}); stop it first") from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop`` (the round in progress finishes first)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    before = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, old in before.items():
            signal.signal(s, old)


def watch_from_args(ns: argparse.Namespace) -> int:
    """``driftscope watch``: build the Monitor and the store, then watch until stopped."""
    from driftscope.cli_recording import default_history
    from driftscope.config.loader import load_config
    from driftscope.monitor import Monitor
    from driftscope.progress import Progress
    from driftscope.store import HistoryStore

    folder = Path(ns.folder).expanduser()
    if not folder.is_dir():
        raise UsageError(f"driftscope watch: --folder {ns.folder}: no such folder")
    if not ns.poll > 0:
        raise UsageError(f"driftscope watch: --poll must be a positive number of seconds, got "
                         f"{ns.poll}")
    given = {k: v for k, v in (("baseline", ns.baseline), ("out", ns.out)) if v is not None}
    cfg = load_config(ns.config, given)
    if cfg.reference is None and cfg.baseline is None:
        raise UsageError("driftscope watch: give --baseline, or 'baseline' or 'reference' in "
                         "the --config")
    out = Path(cfg.out)
    url = ns.history or default_history(cfg.out)
    if "://" not in url:
        Path(url).expanduser().parent.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    with _folder_lock(folder), HistoryStore(url) as store, _stop_on_signals(stop):
        monitor = Monitor(cfg, history=store, progress=Progress(enabled=False))
        _ = monitor.baseline  # a reference that cannot be profiled is bad input, said now
        watcher = FolderWatcher(folder, monitor, store, out,
                                say=None if ns.quiet else (lambda line: print(line,
                                                                              flush=True)))
        from driftscope.notify import unreachable_receivers

        for warning in unreachable_receivers(cfg):
            print(warning, file=sys.stderr, flush=True)
        if not ns.quiet:
            print(f"driftscope watch: watching {folder} every {ns.poll:g} s"
                  + (" (once)" if ns.once else "; Ctrl-C or SIGTERM stops"), flush=True)
        watcher.run(stop, ns.poll, once=ns.once)
    if not ns.quiet and not ns.once:
        print("driftscope watch: stopped", file=sys.stderr)
    return 0
