"""The Monitor: one object per monitored model that every front end runs rounds through.

It holds the config, the loaded artifacts (the model unpickled and hashed once), the baseline
(loaded, or built from the reference on first use) and the history store rounds read, and
runs rounds over tables, files, batch sources or windows of one table. The CLI, the Python
:func:`driftscope.run` and a long-running service all call it; a front end's own work is
reading its arguments and writing the outputs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from driftscope.baseline import Baseline, load_baseline
from driftscope.config.models import MonitoringConfig
from driftscope.engine.artifacts import Artifacts
from driftscope.engine.build import build_baseline
from driftscope.engine.checks import check_baseline, resolve_config
from driftscope.engine.round import run_round
from driftscope.errors import ConfigError
from driftscope.progress import Progress
from driftscope.result import RunResult
from driftscope.store.reader import HistoryReader

__all__ = ["Monitor", "run"]


class Monitor:
    """Rounds against one baseline with one model.

    Parameters
    ----------
    config
        A :class:`MonitoringConfig`, a mapping of its fields, or the path of a YAML file.
    baseline
        A saved baseline folder (``driftscope baseline``) or a :class:`Baseline`; default: the
        config's ``baseline``, else one built from ``reference`` when first needed.
    reference
        The reference data (path or table) when there is no saved baseline.
    history
        A store of earlier rounds (:class:`driftscope.store.HistoryStore`): feature statuses
        then also follow trends and persistence. Only read; recording a round is an output's
        job (:func:`driftscope.write_outputs`).
    progress
        True / False / a :class:`Progress`; default: shown when stderr is a terminal.
    **overrides
        Any config field (e.g. ``target="Status"``); wins over ``config``.
    """

    def __init__(self, config: Any = None, *,
                 baseline: Baseline | str | os.PathLike[str] | None = None,
                 reference: Any = None, history: HistoryReader | None = None,
                 progress: Progress | bool | None = None, **overrides: Any) -> None:
        self.config: MonitoringConfig = resolve_config(config, overrides)
        cfg = self.config
        self.history = history
        self.progress = progress if isinstance(progress, Progress) else Progress(
            enabled=progress if isinstance(progress, bool) else
            (None if cfg.progress == "auto" else cfg.progress == "always"))
        self._reference = reference if reference is not None else cfg.reference
        given = baseline if baseline is not None else cfg.baseline
        if given is None and self._reference is None:
            raise ConfigError("reference: no reference data given; pass --reference or "
                              "--baseline")
        self.artifacts = Artifacts.load(cfg)
        self._baseline: Baseline | None = None
        if given is not None:
            bl = given if isinstance(given, Baseline) else load_baseline(given)
            check_baseline(bl, cfg, self.artifacts)
            if "estimation" not in bl.settings and self._reference is not None \
                    and cfg.estimation.enabled:  # saved before estimation: fit it now
                from driftscope.engine.estimation import with_estimation

                bl = with_estimation(bl, self._reference, cfg, self.artifacts)
            self._baseline = bl

    @property
    def baseline(self) -> Baseline:
        """The baseline rounds are measured against (built from the reference once)."""
        if self._baseline is None:
            self._baseline = build_baseline(self._reference, self.config, self.artifacts,
                                            self.progress)
        return self._baseline

    def run(self, current: Any = None, *, source: str | None = None,
            history: HistoryReader | None = None) -> RunResult:
        """One round over ``current`` (a path, a table or a batch source; default: the
        config's ``current``). ``source`` names the data in the result; ``history`` replaces
        the Monitor's store for this round."""
        data = current if current is not None else self.config.current
        if data is None:
            raise ConfigError("current: no current data given; pass --current or set current "
                              "in the config")
        try:
            return run_round(self.baseline, self.config, self.artifacts, data,
                             history=history if history is not None else self.history,
                             source=source, progress=self.progress)
        finally:
            self.progress.close()

    def run_windows(self, plan: Any, *, source: str | None = None,
                    history: Any = None) -> Iterator[tuple[Any, RunResult]]:
        """One round per chunk of a backfill plan (:func:`driftscope.backfill.plan_backfill`),
        in time order, yielded as ``(chunk, result)``. The next round is computed only when
        the caller asks for it, after it has recorded this one, so each reads the rounds
        before it: ``history`` is a store, or a function returning the store to read."""
        name = source if source is not None else str(self.config.current)
        for chunk in plan.chunks:
            store = history() if callable(history) else history
            yield chunk, self.run(chunk.table, source=f"{name} [{chunk.label}]",
                                  history=store if store is not None else self.history)


def run(
    reference: Any = None,
    current: Any = None,
    config: Any = None,
    *,
    baseline: Baseline | str | os.PathLike[str] | None = None,
    progress: Progress | bool | None = None,
    history: HistoryReader | None = None,
    source: str | None = None,
    **overrides: Any,
) -> RunResult:
    """Run one monitoring round and return its typed result (a :class:`Monitor` made for
    one round).

    Parameters
    ----------
    reference, current
        Paths (CSV, Parquet, a folder of them) or pandas / polars / pyarrow tables. ``reference``
        may be omitted when ``baseline`` is given. With ``backend="spark"``: Spark DataFrames
        too, or ``"table:db.name"``, profiled on the cluster (see
        :mod:`driftscope.backends.spark`).
    config
        A :class:`MonitoringConfig`, a mapping of its fields, or the path of a YAML file.
    baseline
        A saved baseline folder (``driftscope baseline``) or a :class:`Baseline`.
    progress
        True / False / a :class:`Progress`; default: show progress when stderr is a terminal.
    source
        How the result names the current data (default: its path, or the table's type).
    history
        A history store with earlier rounds (see :class:`Monitor`); only read:
        ``driftscope.write_outputs(result, out, history=store)`` records the round.
    **overrides
        Any config field (e.g. ``target="Status"``); wins over ``config``.
    """
    cfg = resolve_config(config, overrides)
    if current is None and cfg.current is None:
        raise ConfigError("current: no current data given; pass --current or set current in "
                          "the config")
    monitor = Monitor(cfg, baseline=baseline, reference=reference, history=history,
                      progress=progress)
    return monitor.run(current, source=source)
