"""The history store: every monitoring round remembered in SQLite or PostgreSQL.

Rounds read it (trends and persistence over earlier rounds) and write it (one transaction per
round); ``driftscope history`` and the dashboard read it. It holds each round's result, the
per-column metrics and bins as rows for cheap series over rounds, and, when recorded, the
round's column profiles.

>>> from driftscope.store import HistoryStore, default_history_url
>>> with HistoryStore(default_history_url("assets")) as store:  # doctest: +SKIP
...     store.record(result)
...     store.record_profiles(result.run.id, profiles)
...     print([r.status.value for r in store.runs(last=5)])

Modules: :mod:`.urls` (where a history lives), :mod:`.schema` (tables and migrations),
:mod:`.engine` (connections), :mod:`.prepare` (checks on opening, migrating),
:mod:`.rows` and :mod:`.profiles` (a round and its profiles as rows), :mod:`.history`
(:class:`HistoryStore`, writing), :mod:`.queries` (reading), :mod:`.records` (what reading
returns), :mod:`.reader` (the :class:`HistoryReader` protocol readers type against).
"""

from driftscope.errors import HistoryError
from driftscope.store.errors import (
    HistoryForeignError,
    HistoryNotFoundError,
    HistorySchemaError,
    RunNotFoundError,
)
from driftscope.store.history import HistoryStore
from driftscope.store.reader import HistoryReader
from driftscope.store.records import (
    BinSeriesPoint,
    PerformancePoint,
    RunSummary,
    SeriesPoint,
    StoredBin,
)
from driftscope.store.schema import SCHEMA_VERSION
from driftscope.store.urls import (
    HISTORY_FILENAME,
    default_history_path,
    default_history_url,
    mask_url,
)

__all__ = [
    "HISTORY_FILENAME",
    "SCHEMA_VERSION",
    "BinSeriesPoint",
    "HistoryError",
    "HistoryForeignError",
    "HistoryNotFoundError",
    "HistoryReader",
    "HistorySchemaError",
    "HistoryStore",
    "PerformancePoint",
    "RunNotFoundError",
    "RunSummary",
    "SeriesPoint",
    "StoredBin",
    "default_history_path",
    "default_history_url",
    "mask_url",
]
