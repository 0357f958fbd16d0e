"""Write every file of a round into the output folder, and record it: all or nothing.

The publish sequence (each step durable before the next starts)::

    1. stage    JSON, HTML, snapshot and PNGs are written into out/.driftscope-stage-<id>/,
                then its PLAN.json (the run id and the files), fsync'd
    2. record   the round is recorded in the history store (one transaction)
    3. commit   out/.driftscope-stage-<id>/COMMITTED is created
    4. publish  PNGs, snapshot, HTML and last the JSON are moved into place (os.replace);
                then PNGs of earlier rounds that the new set does not use are removed
    5. clean    the stage folder is removed

A process killed at any step leaves a stage folder behind. The next round written into the
same folder (and :func:`recover_outputs`) first finishes what was interrupted: a stage with
``COMMITTED``, or with a ``PLAN.json`` whose round the history already holds, is published
(roll forward); any other stage is deleted (roll back: the previous set stays). So the
history never lacks a published round, and once recovered the folder holds either the old
set or the new one — never JSON of one round with HTML, snapshot or PNGs of another. While a
round is being published, ``out/.driftscope-publishing`` exists; readers that find it know
the set is being switched. Writers of one folder take turns (an advisory lock on the folder).

A backfill writes each chunk's round into ``out/chunks/<label>/`` (JSON and HTML, no
snapshot, no PNGs) by the same sequence, recording it in the history; then the top-level
report into ``out``. Recovering ``out`` also recovers its chunk folders.

The test suite kills the writer at each step through the environment variable
``DRIFTSCOPE_FAULT_AT`` (a step name); it has no other use.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from driftscope.config.models import MonitoringConfig
from driftscope.outputs.json_report import validate_report
from driftscope.outputs.snapshot import SNAPSHOT_NAME
from driftscope.result import Finding, RunResult, Severity, worst_first_key

if TYPE_CHECKING:
    from driftscope.outputs.png import PlotPool

JSON_NAME = "drift_report.json"
HTML_NAME = "drift_report.html"
IMAGES = "images"
STAGE_PREFIX = ".driftscope-stage-"
PLAN = "PLAN.json"
COMMITTED = "COMMITTED"
PUBLISHING = ".driftscope-publishing"
CHUNKS = "chunks"  # out/chunks/<label>/: one folder per chunk of a backfill
FAULT_ENV = "DRIFTSCOPE_FAULT_AT"
VALIDATE_ENV = "DRIFTSCOPE_VALIDATE_REPORTS"
"""Set to 1 to validate each report against the published JSON Schema before it is written.
Off by default (it cost ~0.8 s a round; the report is built from typed dataclasses, and
``report --from`` validates what it reads); on for the whole test suite (``tests/conftest.py``)
so every report a test writes, in process or in a subprocess, is checked."""


class Recorder(Protocol):
    """What the writer needs of a history store."""

    def record(self, result: RunResult) -> None: ...

    def contains(self, run_id: str) -> bool: ...


def _fault(step: str) -> None:
    """Test hook: die here, as a power cut or ``kill -9`` would."""
    if os.environ.get(FAULT_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def _plot_keys(result: RunResult) -> list[tuple[str, Any]]:
    """(key, column) of every plottable column but the predicted class, keyed as the PNG
    writer keys them: the name, or ``<origin>:<name>`` for a prediction or target that shares
    an input feature's name (a feature called ``prediction`` keeps its own plot)."""
    from driftscope.outputs.png import plottable_columns

    return [(k, c) for k, c in plottable_columns(result).items()
            if c.origin != "predicted_class"]


def _plot_targets(result: RunResult, mode: str, requested: list[str] | None = None,
                  limit: int | None = None) -> tuple[list[str], list[str]]:
    """Columns (plot keys) to plot and columns left out by the budget.

    Per ``mode`` (drifted / all / none) plus the ``requested`` ones; at most ``limit`` in all:
    the requested ones first, then the worst (status, then PSI)."""
    from driftscope.config.models import matches

    cols = _plot_keys(result)
    chosen = {
        "none": [],
        "all": cols,
        "drifted": [(k, c) for k, c in cols if c.status is not Severity.NORMAL],
    }[mode]
    chosen = sorted(chosen, key=lambda kc: worst_first_key(kc[1]))
    extra = [k for k, c in cols if requested and matches(c.name, requested)]
    names = list(dict.fromkeys(extra + [k for k, _ in chosen]))
    if limit is None or len(names) <= limit:
        return names, []
    return names[:limit], names[limit:]


def attach_plots(result: RunResult, names: dict[str, str]) -> RunResult:
    """A copy of ``result`` whose columns name their PNG file (``images/<file>``); ``names``
    maps plot keys (see :func:`_plot_keys`) to file names."""
    key_of = {id(c): k for k, c in _plot_keys(result)}

    def fix(f):  # type: ignore[no-untyped-def]
        key = None if f is None else key_of.get(id(f))
        if key is None or key not in names:
            return f
        return dataclasses.replace(f, plot=f"{IMAGES}/{names[key]}")

    return dataclasses.replace(
        result,
        features=tuple(fix(f) for f in result.features),
        prediction=fix(result.prediction),
        target=fix(result.target),
    )


def _budget_finding(left_out: list[str], limit: int) -> Finding:
    from driftscope.limits import clip

    shown = ", ".join(clip(n, 40) for n in left_out[:10]) + (", …" if len(left_out) > 10 else "")
    return Finding(message=(
        f"plots were drawn for {limit} columns (plot_limit); {len(left_out)} more would have "
        f"been drawn and were not: {shown}. Raise plot_limit or use --plot COLUMN"))


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_file(path: Path, data: str | bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        fh.flush()
        os.fsync(fh.fileno())


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    """One writer at a time per output folder (advisory lock; no-op where unsupported)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(out_dir, os.O_RDONLY)  # the folder itself: no lock file is left behind
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _publish(stage: Path, out_dir: Path) -> None:
    """Step 4 and 5 of the sequence, from a committed stage; safe to repeat after a kill."""
    plan = json.loads((stage / PLAN).read_text(encoding="utf-8"))
    marker = out_dir / PUBLISHING
    _write_file(marker, str(plan["run_id"]))
    images = out_dir / IMAGES
    if plan["images"]:
        images.mkdir(exist_ok=True)
    for name in plan["images"]:
        if (stage / IMAGES / name).exists():
            os.replace(stage / IMAGES / name, images / name)
    _fault("published-images")
    for name in (SNAPSHOT_NAME, HTML_NAME, JSON_NAME):  # the JSON, the round's record, last
        if name in plan["files"] and (stage / name).exists():
            os.replace(stage / name, out_dir / name)
            _fault(f"published-{name}")
    if not plan["html"]:  # the HTML of an earlier round would describe another round
        (out_dir / HTML_NAME).unlink(missing_ok=True)
    keep = set(plan["images"])
    if images.is_dir():
        for old in images.glob("drift_plot_*.png"):
            if old.name not in keep:
                old.unlink(missing_ok=True)
    _fsync_dir(out_dir)
    marker.unlink(missing_ok=True)
    _fault("published")
    shutil.rmtree(stage, ignore_errors=True)


def recover_outputs(out: str | os.PathLike[str], history: Recorder | None = None) -> list[str]:
    """Finish or undo rounds whose writing was interrupted in ``out`` and in the chunk
    folders of a backfill under it (``out/chunks/<label>``).

    Returns the run ids that were published by rolling forward.
    """
    out_dir = Path(out)
    if not out_dir.is_dir():
        return []
    with _locked(out_dir):
        return _recover(out_dir, history)


def _recover(out_dir: Path, history: Recorder | None) -> list[str]:
    done = _recover_folder(out_dir, history)
    chunks = out_dir / CHUNKS
    if chunks.is_dir() and not chunks.is_symlink():
        for folder in sorted(chunks.iterdir()):
            if folder.is_dir() and not folder.is_symlink() and \
                    any(folder.glob(f"{STAGE_PREFIX}*")):
                with _locked(folder):
                    done += _recover_folder(folder, history)
    return done


def _recover_folder(out_dir: Path, history: Recorder | None) -> list[str]:
    done: list[str] = []
    for stage in sorted(out_dir.glob(f"{STAGE_PREFIX}*")):
        if not stage.is_dir() or stage.is_symlink():
            continue
        run_id = None
        if (stage / PLAN).is_file():
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                run_id = str(json.loads((stage / PLAN).read_text(encoding="utf-8"))["run_id"])
        committed = (stage / COMMITTED).exists()
        if not committed and run_id is not None and history is not None:
            with contextlib.suppress(Exception):  # an unreadable history cannot vouch
                committed = history.contains(run_id)
        if committed and run_id is not None:
            _publish(stage, out_dir)
            done.append(run_id)
        else:
            shutil.rmtree(stage, ignore_errors=True)
    if not any(out_dir.glob(f"{STAGE_PREFIX}*")):
        (out_dir / PUBLISHING).unlink(missing_ok=True)
    return done


@dataclasses.dataclass(frozen=True)
class WrittenOutputs:
    """What :func:`write_outputs` put in place; iterating over it gives the paths."""

    folder: Path
    json: Path
    html: Path | None
    snapshot: Path | None
    images: tuple[Path, ...]
    result: RunResult  # the round as written: PNG names attached, a plot-budget finding added
    recorded: bool  # whether the round was recorded in a history

    @property
    def paths(self) -> tuple[Path, ...]:
        """Every file written: the JSON, the HTML, the snapshot, then the PNGs."""
        return (*(p for p in (self.json, self.html, self.snapshot) if p is not None),
                *self.images)

    def __iter__(self) -> Iterator[Path]:
        return iter(self.paths)


def write_outputs(result: RunResult, out: str | os.PathLike[str],
                  config: MonitoringConfig | None = None,
                  history: Recorder | str | os.PathLike[str] | None = None, *,
                  snapshot: bool = True, plots: PlotPool | None = None) -> WrittenOutputs:
    """Write JSON, HTML, PNGs and the dashboard snapshot into ``out``, and record the round
    in ``history`` (when given) as one unit; return what was written.

    Parameters
    ----------
    result : RunResult
        The round, as :func:`driftscope.run` returned it.
    out : path-like
        The output folder (created when missing).
    config : MonitoringConfig, optional
        ``plots``, ``plot_features``, ``plot_limit`` and ``html`` are read from it.
    history : HistoryStore, str or path-like, optional
        Where to record the round: a store, or a database URL or SQLite file (opened and
        closed here). ``driftscope.run(history=store)`` only reads earlier rounds; this call
        records the new one, before any file is put in place. None records nothing.
    snapshot : bool
        Write the dashboard snapshot (``streamlit_dashboard_data.pkl``); the chunk folders of
        a backfill have none.
    plots : PlotPool, optional
        Draw the PNGs in this pool (see :class:`driftscope.outputs.png.PlotPool`) while the
        JSON, HTML and snapshot are written here; else they are drawn here first.

    Returns
    -------
    WrittenOutputs
        The paths written (``.json``, ``.html``, ``.snapshot``, ``.images``, or iterate) and
        the result as written (``.result``).

    See the module docstring for the publish sequence and what a crash leaves behind.
    """
    if history is not None and isinstance(history, (str, os.PathLike)):
        from driftscope.store import HistoryStore

        Path(out).mkdir(parents=True, exist_ok=True)  # the history may go into it
        with HistoryStore(os.fspath(history)) as store:
            return write_outputs(result, out, config, store, snapshot=snapshot, plots=plots)
    cfg = config or MonitoringConfig()
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with _locked(out_dir):
        _recover(out_dir, history)
        stage = out_dir / f"{STAGE_PREFIX}{uuid.uuid4().hex[:12]}"
        stage.mkdir()
        try:
            result, plan = _stage(result, stage, cfg, snapshot, plots)
            _fault("staged")
            if history is not None:
                history.record(result)
            _fault("recorded")
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        _write_file(stage / COMMITTED, result.run.id)
        _fsync_dir(stage)
        _fault("committed")
        _publish(stage, out_dir)
    return WrittenOutputs(
        folder=out_dir,
        json=out_dir / JSON_NAME,
        html=out_dir / HTML_NAME if HTML_NAME in plan["files"] else None,
        snapshot=out_dir / SNAPSHOT_NAME if SNAPSHOT_NAME in plan["files"] else None,
        images=tuple(out_dir / IMAGES / name for name in plan["images"]),
        result=result,
        recorded=history is not None,
    )


def _stage(result: RunResult, stage: Path, cfg: MonitoringConfig, snapshot: bool = True,
           plots: PlotPool | None = None) -> tuple[RunResult, dict[str, Any]]:
    targets, left_out = _plot_targets(result, cfg.plots, cfg.plot_features, cfg.plot_limit)
    if left_out:
        result = dataclasses.replace(
            result, findings=(*result.findings, _budget_finding(left_out, cfg.plot_limit)))
    written: dict[str, str] = {}
    drawing = None
    if targets:
        from driftscope.outputs.png import plan_plots, start_drawing

        (stage / IMAGES).mkdir()
        written, jobs = plan_plots(result, stage / IMAGES, features=targets)
        drawing = start_drawing(jobs, plots)  # with a pool: drawn while the rest is written
    try:
        result = attach_plots(result, written)
        files = _stage_files(result, stage, cfg, snapshot)
    except BaseException:
        if drawing is not None:  # the first failure is the one reported
            with contextlib.suppress(Exception):
                drawing.wait()
        raise
    if drawing is not None:
        drawing.wait()
    plan: dict[str, Any] = {"run_id": result.run.id, "files": files,
                            "images": sorted(written.values()), "html": cfg.html}
    _write_file(stage / PLAN, json.dumps(plan))
    _fsync_dir(stage)
    return result, plan


def _stage_files(result: RunResult, stage: Path, cfg: MonitoringConfig, snapshot: bool
                 ) -> list[str]:
    """The JSON, the HTML and the snapshot into ``stage``; the names written."""
    if os.environ.get(VALIDATE_ENV) == "1":
        validate_report(result.to_dict())
    files = [JSON_NAME]
    _write_file(stage / JSON_NAME, result.to_json())
    if cfg.html:
        from driftscope.outputs.html import render_html

        _write_file(stage / HTML_NAME, render_html(result))
        files.append(HTML_NAME)
    if snapshot:
        from driftscope.outputs.snapshot import write_snapshot

        write_snapshot(result, stage / SNAPSHOT_NAME)
        files.append(SNAPSHOT_NAME)
    return files
