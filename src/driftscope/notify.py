"""Alert notifications: one message per alert episode, to webhooks and Slack.

After a round is recorded, :func:`notify_round` compares it with the previous round of the
history (the newest other than itself) and sends a message when an alert episode starts,
changes level or ends: the round or a feature entering WARNING/CRITICAL, moving between them,
or returning to NORMAL. A feature that stays CRITICAL for ten rounds is one message when it
becomes CRITICAL and one when it recovers, not ten (the episodes of
:mod:`driftscope.classify.episodes`, decided one round at a time). The changes of one round
go to each receiver in one message. Without a history, the previous round counts as all
NORMAL: every round that alerts is sent.

Receivers are configured in ``notifications:`` (:class:`~driftscope.config.notifications.
NotificationTarget`): a generic JSON webhook or a Slack-compatible payload, each with the
levels it wants. A message is retried with exponential backoff on a 5xx answer, a timeout or
a connection error; the receivers are served in parallel and the round waits for them at most
``notifications_deadline_seconds`` in total. A receiver that fails, refuses or hangs never
fails the round: it is a warning on stderr and in the returned :class:`NotifyReport`.

The HTTP client is the standard library's (``urllib``), so notifications need no extra.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from driftscope.severity import Severity

if TYPE_CHECKING:  # pragma: no cover
    from driftscope.config.models import MonitoringConfig
    from driftscope.config.notifications import NotificationTarget
    from driftscope.result import RunResult
    from driftscope.store.reader import HistoryReader

__all__ = ["Delivery", "EpisodeChange", "NotifyReport", "changes", "notify_round",
           "slack_payload", "unreachable_receivers", "webhook_payload"]

BACKOFF_SECONDS = 0.25
"""The first pause between attempts; doubled after each failed attempt."""
MAX_LISTED = 20
"""Changes listed one by one in a Slack message (the rest are counted)."""


@dataclass(frozen=True)
class EpisodeChange:
    """One alert episode starting, changing level or ending in this round.

    ``scope`` is ``"round"`` or ``"feature"``; ``kind`` is ``"started"`` (from NORMAL),
    ``"changed"`` (WARNING <-> CRITICAL) or ``"resolved"`` (back to NORMAL)."""

    scope: str
    name: str
    previous: Severity
    current: Severity
    reason: str

    @property
    def kind(self) -> str:
        if self.previous is Severity.NORMAL:
            return "started"
        return "resolved" if self.current is Severity.NORMAL else "changed"

    def to_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "name": self.name, "kind": self.kind,
                "previous": self.previous.value, "current": self.current.value,
                "reason": self.reason}


@dataclass(frozen=True)
class Delivery:
    """What happened to one receiver's message."""

    receiver: str
    sent: bool
    attempts: int
    status: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"receiver": self.receiver, "sent": self.sent, "attempts": self.attempts,
                "status": self.status, "error": self.error}


@dataclass(frozen=True)
class NotifyReport:
    """The changes found in a round and what each receiver got (nothing when no episode
    started, changed or ended, or no receiver wanted those levels)."""

    changes: tuple[EpisodeChange, ...] = ()
    deliveries: tuple[Delivery, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when no receiver failed."""
        return not self.warnings


def unreachable_receivers(config: MonitoringConfig) -> list[str]:
    """Warnings for receivers whose URL cannot be read now (``url_env`` unset or not an
    http(s) URL), for a long-running command to print when it starts; each round would
    otherwise only warn when it has something to send."""
    said = []
    for target in config.notifications:
        try:
            target.resolved_url()
        except ValueError as err:
            said.append(f"driftscope: warning: notifications: {target.shown()}: {err}; its "
                        "messages will not be sent")
    return said


def _previous(result: RunResult, history: HistoryReader | None) -> RunResult | None:
    """The newest stored round other than ``result`` (None without one)."""
    if history is None:
        return None
    runs = [s for s in history.runs(last=2) if s.run_id != result.run.id]
    return history.load(runs[-1].run_id) if runs else None


def changes(result: RunResult, previous: RunResult | None) -> list[EpisodeChange]:
    """The alert episodes that start, change level or end between ``previous`` (None: all
    NORMAL) and ``result``: the round first, then its features in report order."""
    out: list[EpisodeChange] = []
    before = Severity(previous.status) if previous is not None else Severity.NORMAL
    now = Severity(result.status)
    if before is not now:
        out.append(EpisodeChange("round", "round", before, now, result.reason))
    earlier = {f.name: Severity(f.status) for f in previous.features} if previous else {}
    for f in result.features:
        was, level = earlier.get(f.name, Severity.NORMAL), Severity(f.status)
        if was is not level:
            out.append(EpisodeChange("feature", f.name, was, level, f.reason))
    return out


def _wanted(change: EpisodeChange, levels: Sequence[str]) -> bool:
    return change.previous.value.lower() in levels or change.current.value.lower() in levels


def webhook_payload(result: RunResult, wanted: Sequence[EpisodeChange]) -> dict[str, Any]:
    """The generic JSON document: the round's header and the changes."""
    run = result.run
    return {
        "source": "driftscope",
        "payload_version": 1,
        "run_id": run.id,
        "started_at": run.started_at,
        "window_start": run.window_start,
        "window_end": run.window_end,
        "model": None if run.model is None else {"name": run.model.name,
                                                 "version": run.model.version},
        "status": Severity(result.status).value,
        "reason": result.reason,
        "recommendation": result.recommendation,
        "changes": [c.to_dict() for c in wanted],
    }


_ICON = {Severity.NORMAL: ":white_check_mark:", Severity.WARNING: ":warning:",
         Severity.CRITICAL: ":rotating_light:"}


def _line(c: EpisodeChange) -> str:
    what = "the round" if c.scope == "round" else f"`{c.name}`"
    verb = {"started": f"is {c.current.value}", "changed":
            f"went {c.previous.value} → {c.current.value}",
            "resolved": f"is back to NORMAL (was {c.previous.value})"}[c.kind]
    return f"{_ICON[c.current]} {what} {verb}"


def slack_payload(result: RunResult, wanted: Sequence[EpisodeChange]) -> dict[str, Any]:
    """A Slack incoming-webhook payload: ``text`` (the notification line) and ``blocks``."""
    status = Severity(result.status)
    model = result.run.model
    title = (f"driftscope: {status.value}"
             + (f" — {model.name}" if model is not None and model.name else ""))
    text = f"{title}: " + "; ".join(_line(c) for c in wanted[:3]) + (
        f" (+{len(wanted) - 3} more)" if len(wanted) > 3 else "")
    listed = "\n".join(_line(c) for c in wanted[:MAX_LISTED])
    if len(wanted) > MAX_LISTED:
        listed += f"\n…and {len(wanted) - MAX_LISTED} more"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": listed[:3000]}},
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": f"*Why:* {result.reason}\n*Next:* "
                                     f"{result.recommendation}"[:3000]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"run `{result.run.id}` · {result.run.current.rows} rows · "
            f"{result.run.current.source or 'current data'}")[:3000]}]},
    ]
    return {"text": text[:3000], "blocks": blocks}


def _post(url: str, body: bytes, timeout: float) -> int:
    """POST ``body`` as JSON; the HTTP status (an error status is returned, not raised)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "driftscope"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            answer.read(65536)
            return int(answer.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


def _send(target: NotificationTarget, body: bytes, deadline: float) -> Delivery:
    """One receiver: attempts with backoff until it answers 2xx, refuses (4xx), the retries
    run out or the deadline passes."""
    try:
        url = target.resolved_url()
    except ValueError as err:
        return Delivery(target.shown(), False, 0, error=str(err))
    attempts, pause = 0, BACKOFF_SECONDS
    status: int | None = None
    error: str | None = None
    while attempts <= target.retries:
        left = deadline - time.monotonic()
        if left <= 0.01:
            error = error or "no time left before the deadline"
            break
        attempts += 1
        try:
            status = _post(url, body, min(target.timeout_seconds, left))
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except Exception as err:  # timeouts, refused connections, DNS, TLS: all retried
            cause = getattr(err, "reason", None) or err  # urllib wraps the socket's error
            status, error = None, f"{cause.__class__.__name__}: {cause}"[:200]
        if error is None:
            return Delivery(target.shown(), True, attempts, status)
        if status is not None and status < 500:  # a refusal: sending again changes nothing
            break
        wait = min(pause, deadline - time.monotonic())
        if attempts <= target.retries and wait > 0:
            time.sleep(wait)
        pause *= 2
    return Delivery(target.shown(), False, attempts, status, error)


def notify_round(config: MonitoringConfig, result: RunResult,
                 history: HistoryReader | None, *,
                 stderr: TextIO | None = None) -> NotifyReport:
    """Send this round's alert-episode changes to the configured receivers.

    Call it after the round is recorded in ``history``: the previous round is the newest one
    other than ``result.run.id``. Never raises, and returns within
    ``config.notifications_deadline_seconds`` (plus a few milliseconds) whatever the
    receivers do; a no-op when ``config.notifications`` is empty.

    Parameters
    ----------
    config : MonitoringConfig
        ``notifications`` and ``notifications_deadline_seconds`` are read.
    result : RunResult
        The recorded round.
    history : HistoryReader or None
        Where the previous round is read (None: the previous round counts as all NORMAL).
    stderr : text stream, optional
        Where failures are reported, one line each (default ``sys.stderr``).

    Returns
    -------
    NotifyReport
        The changes, each receiver's delivery and the warnings.
    """
    if not config.notifications:
        return NotifyReport()
    out = stderr if stderr is not None else sys.stderr
    started = time.monotonic()
    deadline = started + config.notifications_deadline_seconds
    try:
        previous = _previous(result, history)
    except Exception as err:  # an unreadable history must not fail the round
        previous = None
        print(f"driftscope: warning: notifications: the previous round could not be read "
              f"({err.__class__.__name__}); compared with an all-NORMAL round", file=out)
    found = changes(result, previous)
    jobs: list[tuple[NotificationTarget, bytes]] = []
    for target in config.notifications:
        wanted = [c for c in found if _wanted(c, target.levels)]
        if wanted:
            payload = (slack_payload if target.type == "slack" else webhook_payload)(
                result, wanted)
            jobs.append((target, json.dumps(payload, ensure_ascii=False).encode("utf-8")))
    deliveries: list[Delivery | None] = [None] * len(jobs)

    def run(i: int) -> None:
        target, body = jobs[i]
        try:
            deliveries[i] = _send(target, body, deadline)
        except Exception as err:  # pragma: no cover - _send catches what sending raises
            deliveries[i] = Delivery(target.shown(), False, 0, error=repr(err)[:200])

    threads = [threading.Thread(target=run, args=(i,), daemon=True,
                                name=f"driftscope-notify-{i}") for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 0.05)
    final = tuple(d if d is not None else Delivery(jobs[i][0].shown(), False, 0,
                                                   error="still sending at the deadline")
                  for i, d in enumerate(deliveries))
    warnings = tuple(f"notifications: {d.receiver} did not take the message of round "
                     f"{result.run.id} ({d.error}; {d.attempts} attempt(s)); the round is "
                     "recorded" for d in final if not d.sent)
    for w in warnings:
        print(f"driftscope: warning: {w}", file=out)
    return NotifyReport(changes=tuple(found), deliveries=final, warnings=warnings)
