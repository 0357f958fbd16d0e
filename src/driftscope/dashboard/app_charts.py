"""Altair charts of the dashboard, built from the frames of :mod:`.app_data`."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from driftscope.dashboard.app_data import (
    DATA_WINDOW,
    LEVEL_COLORS,
    LEVELS,
    RUN_TIME,
    TIME_BASIS,
)

_LEVEL_SCALE = alt.Scale(domain=list(LEVELS), range=[LEVEL_COLORS[v] for v in LEVELS])


def time_title(frame: pd.DataFrame) -> str:
    """The title of a time axis: the data window of the rounds when they have one (see
    :func:`.app_data.with_time`), else when they ran."""
    basis = set(frame[TIME_BASIS]) if TIME_BASIS in frame else {RUN_TIME}
    if basis == {DATA_WINDOW}:
        return "data window (UTC)"
    if DATA_WINDOW in basis:
        return "data window, else started (UTC)"
    return "started (UTC)"


def _x(frame: pd.DataFrame, title: str = "round") -> Any:
    """Time axis when every round has a parseable time, else the round number."""
    if "time" in frame and frame["time"].notna().all() and frame["time"].nunique() > 1:
        return alt.X("time:T", title=time_title(frame))
    return alt.X("round:O", title=title)


def status_timeline(runs: pd.DataFrame) -> alt.Chart:
    """The round's status over time: one coloured mark per round."""
    return (
        alt.Chart(runs)
        .mark_circle(size=140, opacity=1)
        .encode(
            x=_x(runs),
            y=alt.Y("status:N", sort=list(reversed(LEVELS)), title=None),
            color=alt.Color("status:N", scale=_LEVEL_SCALE, legend=None),
            tooltip=["run", "started_at", "window", "status", "NORMAL", "WARNING", "CRITICAL"],
        )
        .properties(height=150)
    )


def levels_chart(levels: pd.DataFrame) -> alt.Chart:
    """Features per level per round, stacked."""
    x = alt.X("round:O", title="round")
    return (
        alt.Chart(levels)
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("features:Q", title="features", stack=True),
            color=alt.Color("level:N", scale=_LEVEL_SCALE, title="level"),
            order=alt.Order("level:N", sort="descending"),
            tooltip=["run", "started_at", "level", "features"],
        )
        .properties(height=220)
    )


def psi_chart(
    series: pd.DataFrame,
    warning: float,
    critical: float,
    selected_run: str | None = None,
    title: str = "PSI",
) -> alt.LayerChart:
    """PSI over rounds with the warning and critical thresholds drawn."""
    x = _x(series)
    line = (
        alt.Chart(series)
        .mark_line(point=True, color="#455a64")
        .encode(
            x=x,
            y=alt.Y("psi:Q", title=title),
            tooltip=["run", "started_at", "window", "status",
                     alt.Tooltip("psi:Q", format=".4f")],
        )
    )
    points = (
        alt.Chart(series)
        .mark_circle(size=90)
        .encode(x=x, y="psi:Q", color=alt.Color("status:N", scale=_LEVEL_SCALE, legend=None))
    )
    limits = pd.DataFrame(
        {
            "psi": [warning, critical],
            "threshold": [f"warning {warning:g}", f"critical {critical:g}"],
        }  # fmt: skip
    )
    rules = (
        alt.Chart(limits)
        .mark_rule(strokeDash=[6, 4])
        .encode(
            y="psi:Q",
            color=alt.Color(
                "threshold:N",
                scale=alt.Scale(range=[LEVEL_COLORS["WARNING"], LEVEL_COLORS["CRITICAL"]]),
                sort=None,
                title="threshold",
            ),
        )
    )
    layers: list[Any] = [rules, line, points]
    if selected_run is not None and selected_run in set(series["run"]):
        chosen = series[series["run"] == selected_run]
        layers.append(
            alt.Chart(chosen)
            .mark_point(size=260, shape="circle", color="#1565c0", filled=False, strokeWidth=2)
            .encode(x=x, y="psi:Q")  # fmt: skip
        )
    return alt.layer(*layers).resolve_scale(color="independent").properties(height=260)


def metric_chart(
    series: pd.DataFrame,
    field: str,
    title: str,
    selected_run: str | None = None,
) -> alt.LayerChart:
    """Any metric field of one column over rounds (a column of ``series``), points coloured by
    the column's status; the selected round circled."""
    x = _x(series)
    y = alt.Y(f"{field}:Q", title=title)
    line = (
        alt.Chart(series)
        .mark_line(point=True, color="#455a64")
        .encode(x=x, y=y, tooltip=["run", "started_at", "window", "status",
                                   alt.Tooltip(f"{field}:Q", title=title, format=".4g")])
    )
    points = (
        alt.Chart(series)
        .mark_circle(size=90)
        .encode(x=x, y=y, color=alt.Color("status:N", scale=_LEVEL_SCALE, legend=None))
    )
    layers: list[Any] = [line, points]
    if selected_run is not None and selected_run in set(series["run"]):
        chosen = series[series["run"] == selected_run]
        layers.append(
            alt.Chart(chosen)
            .mark_point(size=260, shape="circle", color="#1565c0", filled=False, strokeWidth=2)
            .encode(x=x, y=y)  # fmt: skip
        )
    return alt.layer(*layers).resolve_scale(color="independent").properties(height=260)


def bins_chart(bins: pd.DataFrame) -> alt.Chart:
    """Reference and current share per bin, side by side, bins in their order."""
    order = list(dict.fromkeys(bins.sort_values("position")["bin"]))
    return (
        alt.Chart(bins)
        .mark_bar()
        .encode(
            x=alt.X("bin:N", sort=order, title=None, axis=alt.Axis(labelAngle=-40)),
            xOffset=alt.XOffset("side:N", sort=["reference", "current"]),
            y=alt.Y("share:Q", title="share", axis=alt.Axis(format="%")),
            color=alt.Color(
                "side:N",
                scale=alt.Scale(domain=["reference", "current"], range=["#90a4ae", "#1565c0"]),
                title=None,
            ),
            tooltip=[
                "bin",
                "side",
                alt.Tooltip("share:Q", format=".2%"),
                "count",
                alt.Tooltip("psi_contribution:Q", format=".4f"),
            ],  # fmt: skip
        )
        .properties(height=280)
    )


def performance_chart(perf: pd.DataFrame) -> alt.Chart:
    """Performance metrics over rounds: current solid, estimated dashed, baseline dotted."""
    x = (
        alt.X("time:T", title=time_title(perf))
        if perf["time"].notna().all() and perf["time"].nunique() > 1
        else alt.X("run:N", title="round", sort=None)
    )
    return (
        alt.Chart(perf)
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("value:Q", title="value", scale=alt.Scale(zero=False)),
            color=alt.Color("metric:N", title="metric"),
            strokeDash=alt.StrokeDash(
                "kind:N",
                scale=alt.Scale(
                    domain=["current", "estimated", "baseline"], range=[[1, 0], [6, 4], [2, 3]]
                ),  # fmt: skip
                title=None,
            ),
            tooltip=["run", "metric", "kind", alt.Tooltip("value:Q", format=".4f"), "status"],
        )
        .properties(height=260)
    )
