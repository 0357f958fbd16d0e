"""A backfill: one current table split into chunks (by day, week or month, or by row count),
each chunk a whole monitoring round.

Every chunk is run against the same baseline, in time order, each reading the rounds recorded
before it (so trends and persistence follow the chunks). Each chunk's report is written into
``<out>/chunks/<label>/`` (``drift_report.json`` and, unless HTML is off, ``.html``) by the
publish sequence of :mod:`driftscope.outputs.writer`, which also records it in the history:
a chunk is whole or absent, in its folder and in the history. Then the top-level report in
``<out>`` shows the latest chunk, with its PNGs and snapshot, plus a ``backfill`` block that
names the worst chunk and lists every chunk with its status, rows, window and report.

A chunk with fewer rows than half the median chunk (a week that had only begun, the rest of
``--chunk-size``) is merged into its smaller neighbour first
(:func:`driftscope.inputs.chunking.merge_small_chunks`); the merged chunk's report says so.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa

from driftscope.errors import InputError
from driftscope.inputs.chunking import Chunk, Period, merge_small_chunks, split_table
from driftscope.outputs.writer import (
    CHUNKS,
    HTML_NAME,
    JSON_NAME,
    Recorder,
    WrittenOutputs,
    write_outputs,
)
from driftscope.result import Backfill, ChunkEntry, Finding, RunResult, Severity
from driftscope.store.reader import HistoryReader

if TYPE_CHECKING:
    from driftscope.monitor import Monitor

__all__ = ["BackfillPlan", "BackfillResult", "ChunkRound", "chunk_folder", "plan_backfill",
           "run_backfill"]


@dataclass(frozen=True)
class BackfillPlan:
    """The chunks a backfill will run, after small ones were merged."""

    chunks: tuple[Chunk, ...]
    left_out: int  # rows with no time: they belong to no period
    by: Period | None
    size: int | None
    timestamp_column: str | None
    spilled: Any = None
    """The temporary files of a streamed plan's chunks (:class:`SpilledChunks`), or None."""

    def close(self) -> None:
        """Remove a streamed plan's temporary files (a plan of tables holds none)."""
        if self.spilled is not None:
            self.spilled.close()


@dataclass(frozen=True)
class ChunkRound:
    """One chunk's round, as written under ``<out>/chunks/<folder>``."""

    index: int  # 1-based
    chunk: Chunk
    written: WrittenOutputs

    @property
    def result(self) -> RunResult:
        return self.written.result


@dataclass(frozen=True)
class BackfillResult:
    """Every chunk's round and the top-level report."""

    rounds: tuple[ChunkRound, ...]
    top: WrittenOutputs  # the latest chunk with the ``backfill`` block

    @property
    def status(self) -> Severity:
        """The worst chunk's status (what ``--fail-on`` reads)."""
        return Severity.worst(r.result.status for r in self.rounds)

    @property
    def worst(self) -> ChunkRound:
        """The first chunk with the worst status."""
        reached = self.status
        return next(r for r in self.rounds if r.result.status is reached)


def plan_backfill(data: Any, by: Period | None, timestamp_column: str | None,
                  size: int | None, source: str, batch_rows: int | None = None
                  ) -> BackfillPlan:
    """Split the current data and merge small chunks; InputError when no row belongs to a
    period. ``data`` is a table, or a batch source (a file read by the streaming backend):
    then the chunks are split in one pass over its batches and spilled to temporary files,
    never holding the whole data (close the plan, or let :func:`run_backfill` do it)."""
    if isinstance(data, pa.Table):
        split, left_out = split_table(data, by, timestamp_column, size)
        chunks = tuple(merge_small_chunks(split))
        spilled = None
    else:
        from driftscope.inputs.batches import DEFAULT_BATCH_ROWS
        from driftscope.inputs.spill import SpilledChunks

        spilled = SpilledChunks(data, by, timestamp_column, size,
                                batch_rows or DEFAULT_BATCH_ROWS)
        chunks, left_out = tuple(spilled.chunks), spilled.left_out
    if not chunks:
        if spilled is not None:
            spilled.close()
        raise InputError(f"{source}: no row has a time in column {timestamp_column!r}; "
                         f"nothing to split by {by}")
    return BackfillPlan(chunks, left_out, by, size, timestamp_column, spilled)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def chunk_folder(label: str) -> str:
    """The folder name of a chunk under ``chunks/``: its label with every character other
    than letters, digits, ``.``, ``_`` and ``-`` replaced by ``-`` (``rows 0-199`` ->
    ``rows-0-199``); never hidden, never ``.`` or ``..``."""
    name = _UNSAFE.sub("-", label).strip("-") or "chunk"
    return f"chunk-{name}" if name.startswith(".") else name


def _findings(plan: BackfillPlan, chunk: Chunk, source: str) -> list[Finding]:
    out = []
    if plan.left_out:  # every chunk's record says what was left out
        out.append(Finding(column=plan.timestamp_column, message=(
            f"{plan.left_out} row(s) of {source} have no time in {plan.timestamp_column!r} "
            "and belong to no period; they were left out of every chunk")))
    if chunk.merged:
        sizes = ", ".join(f"{label} ({rows} rows)" for label, rows in chunk.parts)
        out.append(Finding(message=(
            f"this chunk holds {sizes}: a chunk with fewer than half the rows of the median "
            "chunk is merged into its smaller neighbour, so that a partial period is not "
            "judged on its own")))
    return out


class _AlreadyRecorded:
    """The history seen by the top-level write: its round is already recorded (as the
    latest chunk), so nothing is recorded again; recovery may still ask what it holds."""

    def __init__(self, history: Recorder) -> None:
        self._history = history

    def record(self, result: RunResult) -> None:
        return None

    def contains(self, run_id: str) -> bool:
        return self._history.contains(run_id)


def run_backfill(plan: BackfillPlan, monitor: Monitor, out: str | Path, *,
                 history: Recorder | None = None,
                 read_history: Callable[[], HistoryReader | None] | None = None,
                 source: str | None = None,
                 on_chunk: Callable[[ChunkRound, int], None] | None = None) -> BackfillResult:
    """Run and write every chunk of ``plan``, then the top-level report.

    Parameters
    ----------
    plan : BackfillPlan
        From :func:`plan_backfill`.
    monitor : Monitor
        Runs the rounds (its config, model and baseline, loaded once for all chunks); chunk
        folders get no PNGs and no snapshot.
    out : path-like
        The output folder: chunks go into ``out/chunks/<label>/``.
    history : Recorder, optional
        Where every chunk is recorded (None: nowhere; the chunk reports are still written).
    read_history : callable, optional
        Returns the store earlier rounds are read from (or None), called before each chunk,
        so that each chunk sees the ones recorded before it. Default: ``history`` itself.
    source : str, optional
        How the rounds name the current data (``<source> [<label>]``).
    on_chunk : callable, optional
        Called with each written chunk and the number of chunks.
    """
    config = monitor.config
    out_dir = Path(out)
    name = source if source is not None else str(config.current)
    quiet_cfg = config.model_copy(update={"plots": "none", "plot_features": []})
    # by default the store that records the chunks is the one they read
    reader = read_history if read_history is not None else (
        lambda: cast("HistoryReader | None", history))
    rounds: list[ChunkRound] = []
    try:
        for i, (chunk, result) in enumerate(monitor.run_windows(plan, source=name,
                                                                history=reader), 1):
            extra = _findings(plan, chunk, name)
            if extra:
                result = dataclasses.replace(result, findings=(*result.findings, *extra))
            written = write_outputs(result, out_dir / CHUNKS / chunk_folder(chunk.label),
                                    quiet_cfg, history, snapshot=False)
            rounds.append(ChunkRound(i, chunk, written))
            if on_chunk is not None:
                on_chunk(rounds[-1], len(plan.chunks))
    finally:
        plan.close()  # a streamed plan's temporary chunk files
    top = dataclasses.replace(rounds[-1].result, backfill=_backfill_block(rounds, plan))
    written_top = write_outputs(top, out_dir, config,
                                _AlreadyRecorded(history) if history is not None else None)
    return BackfillResult(tuple(rounds), written_top)


def _backfill_block(rounds: list[ChunkRound], plan: BackfillPlan) -> Backfill:
    entries = []
    for r in rounds:
        folder = f"{CHUNKS}/{chunk_folder(r.chunk.label)}"
        entries.append(ChunkEntry(
            label=r.chunk.label, run_id=r.result.run.id, status=r.result.status,
            rows=r.result.run.current.rows, path=f"{folder}/{JSON_NAME}",
            html=f"{folder}/{HTML_NAME}" if r.written.html is not None else None,
            window_start=r.result.run.window_start, window_end=r.result.run.window_end))
    status = Severity.worst(e.status for e in entries)
    worst = next(e for e in entries if e.status is status)
    return Backfill(status=status, worst=worst.label, chunks=tuple(entries),
                    chunk_by=plan.by, chunk_size=plan.size)
