"""The history store a ``driftscope run`` records into (``--history`` / ``--no-history``).

Opened lazily: reading earlier rounds creates nothing, and the store is created (in ``--out``
or the folder above per-run folders, by default) only when the first round is recorded.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from driftscope.cli_errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from driftscope.result import RunResult
    from driftscope.store import HistoryStore
    from driftscope.store.reader import HistoryReader


def default_history(out: str) -> str:
    """The history a round written into ``out`` records into when none is named (see
    :func:`driftscope.store.default_history_path`)."""
    from driftscope.store import default_history_path

    return str(default_history_path(out))


class RunHistory:
    """The history store, opened only when the first round is recorded, so that a refused
    round leaves no new file behind."""

    def __init__(self, ns: argparse.Namespace, out: str) -> None:
        self.url = None if ns.no_history else (ns.history or default_history(out))
        self.default = ns.history is None  # then it is in out or a folder above it
        self.init = bool(getattr(ns, "history_init", False))
        self.out = Path(out)
        self.store: HistoryStore | None = None
        if self.url is not None and "://" not in self.url and not self.default:
            folder = Path(self.url).expanduser().parent
            if not folder.is_dir() and folder.resolve() != Path(out).resolve():
                raise UsageError(f"driftscope run: --history {self.url}: the folder {folder} "
                                 "does not exist; create it or choose another path")

    def record(self, result: RunResult) -> None:
        if self.url is None:
            return
        if self.store is None:
            from driftscope.store import HistoryStore

            if "://" not in self.url and (self.default or Path(self.url).expanduser().parent
                                          .resolve() == self.out.resolve()):
                # the default place: --out, or the folder holding per-run --out folders
                Path(self.url).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self.store = HistoryStore(self.url, init=self.init)
        self.store.record(result)

    def contains(self, run_id: str) -> bool:
        """Whether the store already holds this round (read only; creates nothing)."""
        store = self.past()
        return bool(store is not None and store.contains(run_id))

    def past(self) -> HistoryReader | None:
        """The store to read earlier rounds from, or None when there is none yet (nothing is
        created by reading)."""
        if self.url is None:
            return None
        if self.store is not None:
            return self.store
        from driftscope.store import HistoryForeignError, HistoryNotFoundError, HistoryStore

        if "://" not in self.url and not Path(self.url).expanduser().exists():
            return None  # the first round creates it
        try:
            self.store = HistoryStore(self.url, create=False)
        except HistoryNotFoundError:
            return None  # nothing recorded yet: the first round creates it
        except HistoryForeignError as err:
            if not err.tables:  # not a database at all: --history-init cannot help
                raise
            if self.init:  # adopted when the round is recorded
                return None
            # refused before any work, so nothing is replaced
            raise UsageError(f"driftscope run: {str(err).rstrip('.')}, or pass --history-init "
                             "to add driftscope's tables to it") from None
        return self.store

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
