"""Progress on a terminal, silence elsewhere. Writes one updating line to stderr."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class Progress:
    """Counts finished steps of a stage; prints only when ``enabled`` (default: stderr is a TTY)."""

    def __init__(self, enabled: bool | None = None, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._lock = threading.Lock()
        self._label = ""
        self._total = 0
        self._done = 0
        self._last = 0.0

    def stage(self, label: str, total: int = 0) -> None:
        with self._lock:
            self._label, self._total, self._done = label, total, 0
            self._draw(force=True)

    def step(self, _name: str | None = None) -> None:
        with self._lock:
            self._done += 1
            self._draw(force=self._done == self._total)

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        count = f" {self._done}/{self._total}" if self._total else ""
        self.stream.write(f"\r\033[Kdriftscope: {self._label}{count}")
        self.stream.flush()
