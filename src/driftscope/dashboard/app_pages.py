"""The frame of every dashboard page, and the pages by name.

Each page reads the history store (and the PNG files under the assets folder) and never
recomputes a statistic: Overview and Features in :mod:`.app_overview`, Feature detail and
Model in :mod:`.app_columns`, and without a history the snapshot of the last round
(:mod:`.app_snapshot`). :func:`render` is the auto-refreshing body of the app: it opens the
store, handles an empty, missing, damaged or other-version history with a one-line message in
the page (never a traceback), draws the run selector and then the chosen page.

Every data-derived string (names, values, reasons, findings, ids, messages) reaches
Markdown-reading elements through :mod:`.app_text` only (``md``, ``code``, ``md_frame``),
cut to ``app_text.MAX_CHARS`` (200) characters.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import streamlit as st

from driftscope.dashboard import app_data as data
from driftscope.dashboard.app_columns import feature_detail, model
from driftscope.dashboard.app_config import DashboardConfig
from driftscope.dashboard.app_overview import features, overview
from driftscope.dashboard.app_snapshot import snapshot_view
from driftscope.dashboard.app_text import MAX_MESSAGE_CHARS, code, md, unique
from driftscope.errors import HistoryError
from driftscope.result import RunResult
from driftscope.store import (
    HistoryNotFoundError,
    HistorySchemaError,
    HistoryStore,
    RunSummary,
    mask_url,
)

_log = logging.getLogger("driftscope.dashboard")

PAGES = ("Overview", "Features", "Feature detail", "Model")
LATEST = "__latest__"


@dataclass(frozen=True)
class Context:
    """What a page needs: the settings, the open store, the rounds and the chosen one."""

    config: DashboardConfig
    store: HistoryStore
    summaries: list[RunSummary]
    summary: RunSummary
    result: RunResult


# --------------------------------------------------------------------------------------
# frame of every page
# --------------------------------------------------------------------------------------


def render(page: str, config: DashboardConfig) -> None:
    """Draw ``page`` from the history; every problem becomes a message, never a traceback."""
    url = mask_url(config.history_url)
    try:
        store = HistoryStore(config.history_url, create=False, migrate=False)
    except HistoryNotFoundError:
        st.info(
            f"No history yet at {code(url)}. Record a round with "
            f"{code(f'driftscope run ... --history {url}')} (or "
            f"`python src/model_monitoring.py`); this page checks again every "
            f"{config.refresh_seconds:g} s."
        )
        snapshot_view(config)
        return
    except HistorySchemaError as exc:
        st.error(_message(exc))
        if exc.older:
            st.caption("The dashboard only reads the history; a writer upgrades it.")
        return
    except HistoryError as exc:
        st.error(_message(exc))
        return
    except Exception as exc:  # a bug: one line in the page, the traceback in the log
        _log.error("opening the history %s failed:\n%s", url, traceback.format_exc())
        st.error(
            f"The dashboard could not open the history at {code(url)} "
            f"({md(type(exc).__name__)}); check {code('--history')}. The details are in "
            "the dashboard's log."
        )
        return
    try:
        summaries = store.runs(last=config.rounds)
        if not summaries:
            st.info(
                f"The history at {code(url)} has no rounds yet. Run `driftscope run ...` to "
                f"record one; this page checks again every {config.refresh_seconds:g} s."
            )
            return
        summary = _run_selector(summaries)
        result = store.load(summary.run_id)
        ctx = Context(config, store, summaries, summary, result)
        _header(ctx)
        _RENDERERS.get(page, overview)(ctx)
    except HistoryError as exc:
        st.error(_message(exc))
    except Exception as exc:  # a bug: say so in one line, keep the traceback in the log
        _log.error("dashboard page %r failed:\n%s", page, traceback.format_exc())
        st.error(
            f"The dashboard could not draw this page ({md(type(exc).__name__)}: {md(exc)}) "
            f"from the history at {code(url)}. The details are in the dashboard's log; if the "
            f"history is damaged, point {code('--history')} at a good copy."
        )
    finally:
        store.close()


def _message(exc: BaseException) -> str:
    """A driftscope error's one-line message, as literal text (it may quote stored data)."""
    return md(" ".join(str(exc).split()), limit=MAX_MESSAGE_CHARS)


def _run_selector(summaries: list[RunSummary]) -> RunSummary:
    """The round to show: the newest one (following new rounds) or one the user picked."""
    by_id = {s.run_id: s for s in summaries}
    newest = summaries[-1]
    options = [LATEST, *[s.run_id for s in reversed(summaries)]]
    if st.session_state.get("run_choice") not in options:
        st.session_state["run_choice"] = LATEST
    # labels never change for a given option: the browser keeps showing the label it has
    labels = {LATEST: "Latest round (follows new rounds)"}
    labels.update(zip([s.run_id for s in summaries],
                      unique(data.run_label(s) for s in summaries), strict=True))  # fmt: skip
    choice = st.selectbox(
        "Round",
        options,
        format_func=lambda value: labels.get(value, value),
        key="run_choice",
        help="The newest round is followed automatically; pick one to look at the past.",
    )
    return newest if choice == LATEST else by_id.get(str(choice), newest)


def _header(ctx: Context) -> None:
    run = ctx.result.run
    parts = [f"Round **{md(run.id)}**", f"started {md(data.short_time(run.started_at))}"]
    if run.window_start or run.window_end:
        parts.append(f"data {md(run.window_start or '…')} → {md(run.window_end or '…')}")
    if run.model is not None and run.model.name:
        version = f" {md(run.model.version)}" if run.model.version else ""
        parts.append(f"model {md(run.model.name)}{version}")
    if run.baseline:
        parts.append(f"baseline {md(run.baseline)}")
    st.markdown(" · ".join(parts) + f" — {data.badge(ctx.result.status)}")
    checked = datetime.now(timezone.utc).strftime("%H:%M:%S UTC")
    st.caption(
        f"{len(ctx.summaries)} rounds in view · newest {md(ctx.summaries[-1].run_id)} · "
        f"checked {checked}, again every {ctx.config.refresh_seconds:g} s"
    )


_RENDERERS: dict[str, Callable[[Context], None]] = {
    "Overview": overview,
    "Features": features,
    "Feature detail": feature_detail,
    "Model": model,
}
