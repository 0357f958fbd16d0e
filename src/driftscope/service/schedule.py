"""Scheduled rounds: every N minutes, or on a cron expression (UTC, parsed by croniter).

A background thread sleeps until the next time, then runs a round over the rows received
since the last round (skipped, not failed, when fewer than ``service.min_rows`` arrived). A
round that fails is logged and the schedule goes on.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from driftscope.config.models import ServiceSettings
from driftscope.errors import ConfigError

__all__ = ["Schedule", "next_time"]

log = logging.getLogger("driftscope.service")


def next_time(settings: ServiceSettings, after: dt.datetime) -> dt.datetime | None:
    """When the next scheduled round is due after ``after`` (UTC); None without a schedule."""
    if settings.every_minutes is not None:
        return after + dt.timedelta(minutes=settings.every_minutes)
    if settings.cron is not None:
        from croniter import croniter

        return croniter(settings.cron, after).get_next(dt.datetime)  # type: ignore[no-any-return]
    return None


def check_cron(expression: str) -> None:
    """A :class:`ConfigError` naming the field when croniter cannot read ``expression``."""
    from croniter import croniter

    if not croniter.is_valid(expression):
        raise ConfigError(f"service.cron: {expression!r} is not a valid cron expression; "
                          "write 5 fields (minute hour day month weekday), e.g. '*/15 * * * *'")


class Schedule:
    """The thread that runs ``job`` at the times ``settings`` gives, until :meth:`stop`."""

    def __init__(self, settings: ServiceSettings, job: Callable[[], object]) -> None:
        self.settings = settings
        self.job = job
        self.next: dt.datetime | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="driftscope-schedule",
                                        daemon=True)

    @property
    def active(self) -> bool:
        return self.settings.every_minutes is not None or self.settings.cron is not None

    def start(self) -> None:
        if self.active:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        while not self._stop.is_set():
            self.next = next_time(self.settings, now)
            if self.next is None:  # pragma: no cover - started only with a schedule
                return
            wait = (self.next - dt.datetime.now(dt.timezone.utc)).total_seconds()
            if self._stop.wait(max(wait, 0.0)):
                return
            try:
                self.job()
            except Exception:  # the schedule outlives one failed round
                log.exception("driftscope serve: the scheduled round failed")
            # a round longer than the interval: the next one is due from now, not a burst
            now = max(self.next, dt.datetime.now(dt.timezone.utc))
