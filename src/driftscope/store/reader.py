"""What reading the history needs: the :class:`HistoryReader` protocol.

The round (trends and persistence read earlier rounds), ``driftscope history``, the CLI and
the dashboard only read the history. They type against this protocol rather than against
:class:`~driftscope.store.HistoryStore`, so any object with these methods can stand in (a
store opened read-only, a wrapper that opens one lazily, an in-memory fake in tests). Every
method returns the frozen records of :mod:`driftscope.store.records` (or results and
profiles), never database rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from driftscope.profile.model import ColumnProfile
    from driftscope.result import RunResult
    from driftscope.store.records import (
        BinSeriesPoint,
        PerformancePoint,
        RunSummary,
        SeriesPoint,
    )

__all__ = ["HistoryReader"]


@runtime_checkable
class HistoryReader(Protocol):
    """Read access to the history of monitoring rounds.

    Lists come oldest round first. ``last`` means the newest ``last`` rounds (a whole number
    from 1 up); ``origins`` filters columns by origin (``raw``, ``engineered``,
    ``prediction``, ``predicted_class``, ``target``).
    """

    url: str
    """Where the history is, password masked (for messages)."""

    def runs(self, last: int | None = None) -> list[RunSummary]:
        """The headers of the stored rounds."""
        ...

    def contains(self, run_id: str) -> bool:
        """Whether a round with this run id is stored."""
        ...

    def load(self, run_id: str) -> RunResult:
        """The full result of one round (``RunNotFoundError`` when it is not stored)."""
        ...

    def latest(self) -> RunResult | None:
        """The newest round's result, None when the history is empty."""
        ...

    def series(
        self,
        names: Sequence[str] | None = None,
        *,
        last: int | None = None,
        origins: Sequence[str] | None = None,
    ) -> list[SeriesPoint]:
        """Columns over rounds, ordered by round, then by position in the round."""
        ...

    def feature_series(
        self, name: str, last: int | None = None, *, origin: str | None = None
    ) -> list[SeriesPoint]:
        """One column over the rounds that have it (a feature before a prediction or target
        of the same name)."""
        ...

    def bin_series(
        self, name: str, last: int | None = None, *, origin: str | None = None
    ) -> list[BinSeriesPoint]:
        """One column's bins over the rounds that have it."""
        ...

    def performance_series(
        self, metric: str | None = None, last: int | None = None
    ) -> list[PerformancePoint]:
        """Performance metrics over rounds."""
        ...

    def column_names(self, origins: Sequence[str] | None = None) -> list[str]:
        """Distinct column names in the history, sorted."""
        ...

    def profiles(self, run_id: str) -> dict[str, ColumnProfile]:
        """The column profiles stored for one round (empty when it has none)."""
        ...
