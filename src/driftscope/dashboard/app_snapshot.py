"""The dashboard without a history: the last round of the snapshot a round wrote.

``streamlit_dashboard_data.pkl`` next to the assets holds the round's result as plain data,
read by a restricted unpickler (:mod:`driftscope.outputs.snapshot`); a damaged or foreign file
is one message in the page, never a traceback.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

import streamlit as st

from driftscope.dashboard import app_data as data
from driftscope.dashboard.app_config import DashboardConfig
from driftscope.dashboard.app_text import clip, code, md
from driftscope.errors import DriftscopeError
from driftscope.outputs.snapshot import SNAPSHOT_NAME, read_snapshot
from driftscope.result import RunResult, worst_first

__all__ = ["snapshot_view"]

_log = logging.getLogger("driftscope.dashboard")


def snapshot_view(config: DashboardConfig) -> None:
    """Without a history, the last round of the snapshot a round wrote next to its assets
    (``streamlit_dashboard_data.pkl``, plain data read by a restricted unpickler)."""
    path = config.assets_dir / SNAPSHOT_NAME
    if not path.is_file():
        return
    try:
        heading, caption, rows = _snapshot_parts(path)
    except Exception as exc:  # damaged, tampered with or from another version: one line
        _log.warning("the dashboard snapshot %s cannot be shown:\n%s", path,
                     traceback.format_exc())  # fmt: skip
        why = (
            "it is not a snapshot this driftscope can read (damaged, tampered with or "
            "written by another version)"
            if isinstance(exc, DriftscopeError)
            else "it is damaged or incomplete"
        )
        st.error(
            f"The dashboard snapshot {code(path)} cannot be shown: {why}. Delete it and rerun "
            "`driftscope run` to write it again."
        )
        return
    st.subheader(heading)
    st.caption(caption)
    st.dataframe(rows, hide_index=True, width="stretch")


def _snapshot_parts(path: Path) -> tuple[str, str, list[dict[str, object]]]:
    """Heading, caption and feature rows of the snapshot's round.

    Everything is computed here, before anything is drawn, so a malformed snapshot raises
    (and becomes one message) instead of leaving a half-drawn page and a traceback.
    """
    result = RunResult.from_dict(read_snapshot(path)["result"])
    run = result.run
    heading = f"Last round from the snapshot: {data.badge(result.status)}"
    caption = (
        f"Round {md(run.id)}, {md(data.short_time(run.started_at))}; "
        f"{int(run.current.rows):,} current rows. {md(result.recommendation)}"
    )
    rows: list[dict[str, object]] = [
        {"feature": clip(f.name), "origin": clip(f.origin), "type": clip(f.type),
         "status": f.status.value, "PSI": round(float(f.metrics.psi), 4),
         "reason": clip(f.reason)}
        for f in worst_first(result.features)
    ]  # fmt: skip
    return heading, caption, rows
