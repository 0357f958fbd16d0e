"""The pages of one round as a whole: Overview (health, counts, status over time, recent
rounds) and Features (every feature with its PSI trend, filtered and sorted)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st

from driftscope.classify.episodes import alert_episodes
from driftscope.dashboard import app_charts as charts
from driftscope.dashboard import app_data as data
from driftscope.dashboard.app_insights import insights
from driftscope.dashboard.app_text import md, md_frame
from driftscope.store import RunSummary

if TYPE_CHECKING:
    from driftscope.dashboard.app_pages import Context

__all__ = ["features", "overview"]


def overview(ctx: Context) -> None:
    """Current health, counts per level, recommendation, status over time, recent rounds."""
    result = ctx.result
    st.subheader("Overview")
    counts = {level: 0 for level in data.LEVELS}
    for f in result.features:
        counts[f.status.value] += 1
    cols = st.columns(5)
    cols[0].metric("Round status", result.status.value)
    for col, level in zip(cols[1:4], data.LEVELS, strict=True):
        col.metric(f"{level} features", counts[level])
    cols[4].metric("Current rows", f"{result.run.current.rows:,}")
    st.markdown(f"**Recommendation:** {md(result.recommendation)}")
    st.markdown(f"**Why:** {md(result.reason)}")
    if result.prediction is not None or result.performance is not None:
        pred = result.prediction.status if result.prediction else None
        perf = result.performance.status if result.performance else None
        st.markdown(f"Prediction drift {data.badge(pred)} · performance {data.badge(perf)}")
    _episodes(ctx.summaries)
    insights(ctx)  # multivariate drift and the pipeline's contract
    if result.findings:
        with st.expander(f"Findings ({len(result.findings)})"):
            for finding in result.findings:
                st.markdown(f"- {md(finding.message)}")

    runs = data.runs_frame(ctx.summaries)
    left, right = st.columns(2)
    with left:
        st.markdown("**Round status over time**")
        st.altair_chart(charts.status_timeline(runs), width="stretch")
    with right:
        st.markdown("**Features per level**")
        st.altair_chart(charts.levels_chart(data.levels_frame(ctx.summaries)), width="stretch")
    st.markdown("**Recent rounds**")
    st.table(md_frame(data.recent_rounds_table(ctx.summaries)))


def _episodes(summaries: list[RunSummary]) -> None:
    episodes = alert_episodes(summaries)
    if not episodes:
        st.caption("No alert in the rounds in view.")
        return
    last = episodes[-1]
    if last.open:
        st.markdown(
            f"Alert open since round **{md(last.start_run)}** ({last.rounds} rounds, worst "
            f"{data.badge(last.level)}, reached in {md(last.peak_run)})."
        )
    else:
        st.caption(
            f"Last alert: {md(last.start_run)} → {md(last.end_run)} ({last.rounds} rounds, worst "
            f"{last.level.value}); {len(episodes)} episodes in view."
        )


def features(ctx: Context) -> None:
    """All features of the round with a small PSI trend each; filter and sort."""
    st.subheader("Features")
    left, right = st.columns([3, 1])
    chosen = left.multiselect(
        "Status", list(data.LEVELS), default=list(data.LEVELS), key="status_filter"
    )
    sort_labels = {"status": "Status (worst first)", "psi": "PSI (highest first)", "name": "Name"}
    if any(f.impact is not None for f in ctx.result.features):  # the baseline held importance
        sort_labels["impact"] = "Impact (PSI × importance, highest first)"
    sort = right.selectbox(
        "Sort by",
        list(sort_labels),
        format_func=lambda value: sort_labels.get(str(value), str(value)),
        key="feature_sort",
    )
    trends: dict[str, list[float]] = {}
    for point in ctx.store.series(last=ctx.config.rounds, origins=("raw", "engineered")):
        if point.psi is not None:
            trends.setdefault(point.name, []).append(point.psi)
    table = data.features_table(ctx.result, trends, statuses=chosen, sort=str(sort))
    if table.empty:
        st.info("No feature has the chosen status in this round.")
        return
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config=_feature_columns(),
    )
    st.caption(
        f"{len(table)} of {len(ctx.result.features)} features · "
        + " · ".join(f"{lvl}: {int((table['Status'] == lvl).sum())}" for lvl in data.LEVELS)
    )


def _feature_columns() -> dict[str, Any]:
    """How the features table shows each column: the registered metrics' formats and
    descriptions (:func:`driftscope.dashboard.app_data.features_table_columns`), and the PSI
    trend as a sparkline."""
    config: dict[str, Any] = {}
    for label, how in data.features_table_columns().items():
        if how["kind"] == "text":  # "—" where the metric does not apply
            config[label] = st.column_config.TextColumn(help=how["help"])
        else:
            config[label] = st.column_config.NumberColumn(format=how["format"],
                                                          help=how["help"])
    config["PSI trend"] = st.column_config.LineChartColumn(
        "PSI trend", help="PSI over the rounds in view", y_min=0.0)
    config["Impact"] = st.column_config.NumberColumn(
        format="%.4f", help="PSI × the feature's importance share (from the baseline)")
    config["Importance"] = st.column_config.NumberColumn(
        format="%.3f", help="the feature's share of the model's importance among its origin")
    return config
