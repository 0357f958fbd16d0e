"""Rounds of the service: received rows -> the Monitor -> outputs and history -> notify.

A round over the rows received since the last one is written down in the ingest index before
it runs, recorded in the history store with the report files written into ``STORE/out`` by
:func:`driftscope.write_outputs` (the same publish sequence as ``driftscope run``), then
marked done, so every acknowledged row is in exactly one such round (see
:mod:`driftscope.service.ingest`). Then :func:`driftscope.notify.notify_round` is called and
the round's metrics are updated. Rounds take turns; receiving rows goes on meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftscope.config.models import MonitoringConfig
from driftscope.service.ingest import IngestStore, Pending, fault, read_batches

if TYPE_CHECKING:  # pragma: no cover
    from driftscope.result import RunResult

__all__ = ["HISTORY_NAME", "NoRows", "RoundRunner", "OUT_NAME"]

HISTORY_NAME = "driftscope_history.db"
OUT_NAME = "out"

log = logging.getLogger("driftscope.service")


class NoRows(Exception):
    """A round was asked for but no rows are there to measure."""


@dataclass(frozen=True)
class RoundDone:
    """A round the service ran: its result as written, and the batches it covered."""

    result: RunResult
    after: int
    upto: int
    rows: int
    seconds: float


class RoundRunner:
    """Runs the service's rounds against one baseline, into one history.

    Parameters
    ----------
    config
        The monitoring config (``plots``, ``html`` and the policy act as in ``driftscope run``).
    baseline
        The saved baseline folder.
    store
        The ingest store rows are read from.
    metrics
        A :class:`driftscope.service.metrics.ServiceMetrics`, or None.
    """

    def __init__(self, config: MonitoringConfig, baseline: str, store: IngestStore,
                 metrics: Any = None) -> None:
        from driftscope.monitor import Monitor
        from driftscope.store import HistoryStore

        self.config = config
        self.store = store
        self.metrics = metrics
        self.monitor = Monitor(config, baseline=baseline, progress=False)
        self.history = HistoryStore(str(store.folder / HISTORY_NAME))
        self.out = store.folder / OUT_NAME
        self._lock = threading.Lock()
        self.last: RoundDone | None = None

    def close(self) -> None:
        self.history.close()

    def recover(self) -> tuple[int, int]:
        """Finish or drop what a killed service left (see :meth:`IngestStore.recover`) and
        the report folder's interrupted publish."""
        from driftscope.outputs.writer import recover_outputs

        if self.out.is_dir():
            recover_outputs(self.out, self.history)
        return self.store.recover(self.history.contains)

    def run_pending(self, min_rows: int = 1) -> RoundDone:
        """A round over the rows received since the last round (:class:`NoRows` when fewer
        than ``min_rows``)."""
        with self._lock:
            pending = self.store.pending()
            if pending.rows < min_rows:
                raise NoRows(f"{pending.rows} rows received since the last round; a round "
                             f"needs at least {min_rows}")
            round_id = self.store.begin_round(pending)
            try:
                done = self._run(pending, round_id,
                                 f"service: batches {pending.after + 1}-{pending.upto}")
            except BaseException:
                self.store.end_round(round_id, done=False)
                raise
            labels = self.store.end_round(round_id, done=True)
        if done.result.run.id in self._attach_again(labels):  # labels that came first
            try:
                done = replace(done, result=self.history.load(done.result.run.id))
            except Exception:  # the round stands as run; its labels show in the history
                log.exception("driftscope serve: the labelled round could not be read back")
        return self._after(done)

    def run_window(self, start: float, end: float) -> RoundDone:
        """A round over the rows received from ``start`` up to ``end`` (Unix seconds); it
        does not move the cursor of :meth:`run_pending`."""
        import datetime as dt

        with self._lock:
            pending = self.store.between(start, end)
            if not pending.rows:
                raise NoRows("no rows were received in that window")
            shown = "/".join(dt.datetime.fromtimestamp(t, dt.timezone.utc).isoformat(
                timespec="seconds") for t in (start, end))
            done = self._run(pending, None, f"service: received {shown}")
        return self._after(done)

    def _run(self, pending: Pending, round_id: int | None, source: str) -> RoundDone:
        from driftscope.outputs.writer import write_outputs

        t0 = time.perf_counter()
        name = f"{source} ({pending.rows} rows)"
        if self.config.backend == "streaming":  # read back a batch at a time
            import uuid

            from driftscope.service.ingest import spill_batches

            spilled = self.store.folder / f".round-{uuid.uuid4().hex[:12]}.parquet"
            try:
                result = self.monitor.run(str(spill_batches(pending.files, spilled)),
                                          source=name, history=self.history)
            finally:
                spilled.unlink(missing_ok=True)
        else:
            result = self.monitor.run(read_batches(pending.files), source=name,
                                      history=self.history)
        if round_id is not None:
            self.store.name_round(round_id, result.run.id)
            fault("round-named")
        written = write_outputs(result, self.out, self.config, self.history)
        if round_id is not None:
            fault("round-recorded")
        return RoundDone(result=written.result, after=pending.after, upto=pending.upto,
                         rows=pending.rows, seconds=time.perf_counter() - t0)

    def labels_columns(self) -> tuple[str, str] | None:
        """The id and label columns late labels are matched by, None without an id column."""
        id_column = getattr(self.config, "id_column", None)
        label = self.config.target or self.monitor.baseline.settings.get("target")
        return (id_column, label) if id_column and label else None

    def _attach_again(self, files: tuple[Path, ...]) -> set[str]:
        """Attach the labels that arrived before this round recorded their rows; the ids of
        the rounds they touched."""
        columns = self.labels_columns()
        if not files or columns is None:
            return set()
        try:
            from driftscope.labels import attach_labels

            report = attach_labels(self.history, read_batches(files), id_column=columns[0],
                                   label_column=columns[1], foreign="skip")
            for message in report.foreign:
                log.warning("driftscope serve: stored labels left out: %s", message)
        except Exception:  # the round is recorded; the labels stay stored for a retry
            log.exception("driftscope serve: attaching the stored labels to the round failed")
            return set()
        return {r.run_id for r in report.rounds}

    def labels_attached(self, run_ids: set[str]) -> None:
        """Late labels recomputed these rounds: when the latest is one, its gauges show it as
        stored now (realized performance, statuses). Never fails the labels' request."""
        last = self.last
        if last is None or self.metrics is None or last.result.run.id not in run_ids:
            return
        try:
            now = self.history.load(last.result.run.id)
            self.last = replace(last, result=now)
            self.metrics.refresh_round(now, last.seconds)
        except Exception:  # the labels are attached; the gauges catch up with the next round
            log.exception("driftscope serve: the round's metrics could not be refreshed")

    def _after(self, done: RoundDone) -> RoundDone:
        """Metrics and notifications of a recorded round; neither can fail it."""
        self.last = done
        if self.metrics is not None:
            try:
                self.metrics.observe_round(done.result, done.seconds)
            except Exception:  # a metric must not fail a recorded round
                log.exception("driftscope serve: the round's metrics could not be updated")
        try:
            from driftscope.notify import notify_round
        except ImportError:
            return done
        try:
            notify_round(self.config, done.result, self.history)
        except Exception:  # notify_round never raises by contract; belt and braces
            log.exception("driftscope serve: notifying the round failed")
        return done

    def report(self, run_id: str) -> dict[str, Any]:
        """The ``drift_report.json`` document of a recorded round."""
        return self.history.load(run_id).to_dict()


def store_path(folder: Path) -> str:
    """The history database of a service store folder (for ``driftscope dashboard``)."""
    return str(folder / HISTORY_NAME)
