"""The read protocol: the store is a HistoryReader, and so is anything with its methods, which
is all the code that reads the history needs."""

from __future__ import annotations

import json
from collections.abc import Sequence

from driftscope.outputs.history_report import history_report
from driftscope.profile.model import ColumnProfile
from driftscope.result import RunResult
from driftscope.store import (
    BinSeriesPoint,
    HistoryReader,
    HistoryStore,
    PerformancePoint,
    RunSummary,
    SeriesPoint,
)
from tests.store.helpers import result_at


class Recorded:
    """A history in memory: the rounds recorded in a store, read back once, then served
    from lists (what a cache or a test double of the history would be)."""

    def __init__(self, store: HistoryStore) -> None:
        self.url = "memory"
        self._runs = store.runs()
        self._points = store.series()

    def runs(self, last: int | None = None) -> list[RunSummary]:
        return self._runs[-last:] if last else list(self._runs)

    def contains(self, run_id: str) -> bool:
        return any(r.run_id == run_id for r in self._runs)

    def load(self, run_id: str) -> RunResult:
        raise LookupError(run_id)

    def latest(self) -> RunResult | None:
        return None

    def series(self, names: Sequence[str] | None = None, *, last: int | None = None,
               origins: Sequence[str] | None = None) -> list[SeriesPoint]:
        return [p for p in self._points if names is None or p.name in names]

    def feature_series(self, name: str, last: int | None = None, *,
                       origin: str | None = None) -> list[SeriesPoint]:
        return [p for p in self._points if p.name == name and p.origin in ("raw", "engineered")]

    def bin_series(self, name: str, last: int | None = None, *,
                   origin: str | None = None) -> list[BinSeriesPoint]:
        return []

    def performance_series(self, metric: str | None = None,
                           last: int | None = None) -> list[PerformancePoint]:
        return []

    def column_names(self, origins: Sequence[str] | None = None) -> list[str]:
        return sorted({p.name for p in self._points})

    def profiles(self, run_id: str) -> dict[str, ColumnProfile]:
        return {}


def test_the_store_is_a_history_reader(store: HistoryStore) -> None:
    reader: HistoryReader = store  # what mypy checks in the code that reads
    assert isinstance(reader, HistoryReader)
    store.record(result_at(1))
    assert [r.run_id for r in reader.runs()] == ["run-001"]


def test_any_object_with_the_read_methods_serves_driftscope_history(
    store: HistoryStore,
) -> None:
    for i in range(3):
        store.record(result_at(i))
    memory = Recorded(store)
    assert isinstance(memory, HistoryReader)
    assert history_report(memory, fmt="json") == history_report(store, fmt="json")
    series = json.loads(history_report(memory, feature="income", fmt="json"))
    assert [p["run_id"] for p in series] == ["run-000", "run-001", "run-002"]


def test_a_writer_only_is_not_a_reader() -> None:
    class Recorder:
        url = "nowhere"

        def record(self, result: RunResult) -> None: ...

        def contains(self, run_id: str) -> bool:
            return False

    assert not isinstance(Recorder(), HistoryReader)
