"""Alert episodes: a status series folded into alerts with a start and an end.

:func:`alert_episodes` is a pure function, no I/O, so an alert that lasts ten rounds is one
alert, not ten (the dashboard shows the open or last one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from driftscope.severity import Severity

__all__ = ["Episode", "alert_episodes"]


@dataclass(frozen=True)
class Episode:
    """One alert episode: consecutive rounds that are not NORMAL.

    Attributes
    ----------
    start_run : str
        Run id (or index, as text, when no run ids were given) of the first alerting round.
    end_run : str or None
        Run id of the last alerting round; None while the episode is still open (the latest
        round is alerting).
    level : Severity
        The worst level reached during the episode.
    start_index, end_index : int, int or None
        Positions of the first and last alerting rounds in the series given.
    peak_run : str
        The first round at the worst level.
    rounds : int
        Number of rounds in the episode.
    """

    start_run: str
    end_run: str | None
    level: Severity
    start_index: int
    end_index: int | None
    peak_run: str
    rounds: int

    @property
    def open(self) -> bool:
        """True while the episode has not ended."""
        return self.end_run is None


def _status_and_id(item: Any, index: int, run_ids: Sequence[str] | None) -> tuple[Severity, str]:
    status = getattr(item, "status", item)
    run_id = getattr(item, "run_id", None)
    if run_ids is not None:
        run_id = run_ids[index]
    return Severity(status if status is not None else Severity.NORMAL), str(
        run_id if run_id is not None else index
    )


def alert_episodes(
    statuses: Sequence[Any],
    run_ids: Sequence[str] | None = None,
) -> list[Episode]:
    """Fold a status series into alert episodes.

    Parameters
    ----------
    statuses : sequence
        One entry per round, oldest first: a :class:`Severity`, its string value, None
        (treated as NORMAL), or any object with ``status`` and ``run_id`` attributes (such as
        the points of ``HistoryStore.feature_series``).
    run_ids : sequence of str, optional
        Run ids, one per round; default the ``run_id`` attribute of the items, else the
        index as text.

    Returns
    -------
    list of Episode
        Oldest first. An episode starts at a round that is not NORMAL and ends at the last
        such round before a NORMAL one; the last episode is open (``end_run`` None) when the
        latest round is alerting.

    Raises
    ------
    ValueError
        When ``run_ids`` does not have one entry per round, or a status is unknown.
    """
    if run_ids is not None and len(run_ids) != len(statuses):
        raise ValueError(f"run_ids has {len(run_ids)} entries but statuses has {len(statuses)}")
    episodes: list[Episode] = []
    current: dict[str, Any] | None = None
    for i, item in enumerate(statuses):
        level, run_id = _status_and_id(item, i, run_ids)
        if level == Severity.NORMAL:
            if current is not None:
                episodes.append(Episode(**current))
                current = None
            continue
        if current is None:
            current = {
                "start_run": run_id,
                "end_run": run_id,
                "level": level,
                "start_index": i,
                "end_index": i,
                "peak_run": run_id,
                "rounds": 1,
            }
        else:
            current["end_run"] = run_id
            current["end_index"] = i
            current["rounds"] += 1
            if level.rank > current["level"].rank:
                current["level"] = level
                current["peak_run"] = run_id
    if current is not None:
        current["end_run"] = None
        current["end_index"] = None
        episodes.append(Episode(**current))
    return episodes
