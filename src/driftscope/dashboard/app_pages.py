"""The pages of the dashboard: overview, features, feature detail, model.

Each page reads the history store (and the PNG files under the assets folder) and never
recomputes a statistic. :func:`render` is the auto-refreshing body of the app: it opens the
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
from pathlib import Path

import streamlit as st

from driftscope.classify.trend import alert_episodes
from driftscope.dashboard import app_charts as charts
from driftscope.dashboard import app_data as data
from driftscope.dashboard.app_config import DashboardConfig
from driftscope.dashboard.app_text import MAX_MESSAGE_CHARS, clip, code, md, md_frame, unique
from driftscope.errors import DriftscopeError, HistoryError
from driftscope.outputs.history import (
    HistoryNotFoundError,
    HistorySchemaError,
    HistoryStore,
    RunSummary,
    mask_url,
)
from driftscope.outputs.history_schema import columns_of
from driftscope.outputs.snapshot import SNAPSHOT_NAME, read_snapshot
from driftscope.result import FeatureResult, RunResult

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
        _snapshot_view(config)
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


def _snapshot_view(config: DashboardConfig) -> None:
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
        for f in sorted(result.features,
                        key=lambda f: (-f.status.rank, -float(f.metrics.psi)))
    ]  # fmt: skip
    return heading, caption, rows


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


# --------------------------------------------------------------------------------------
# pages
# --------------------------------------------------------------------------------------


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
        column_config={
            "PSI": st.column_config.NumberColumn(format="%.4f"),
            "PSI trend": st.column_config.LineChartColumn(
                "PSI trend", help="PSI over the rounds in view", y_min=0.0
            ),
            "KS": st.column_config.TextColumn(help="Kolmogorov–Smirnov statistic; — for "
                                              "categorical columns, where it does not apply"),
            "Jensen–Shannon": st.column_config.NumberColumn(format="%.3f"),
            "Chi² p": st.column_config.NumberColumn(format="%.2g"),
            "Missing (current)": st.column_config.NumberColumn(format="percent"),
            "Unseen": st.column_config.NumberColumn(format="percent"),
        },
    )
    st.caption(
        f"{len(table)} of {len(ctx.result.features)} features · "
        + " · ".join(f"{lvl}: {int((table['Status'] == lvl).sum())}" for lvl in data.LEVELS)
    )


def feature_detail(ctx: Context) -> None:
    """One column: bin shares reference vs current, PSI over time, the PNG diagnostic."""
    st.subheader("Feature detail")
    items = columns_of(ctx.result)
    if not items:
        st.info("This round compared no columns.")
        return
    keys = [f"{origin}:{column.name}" for origin, column in items]
    # selectbox options are plain text (not Markdown): cut, not escaped; distinct labels
    names = [
        clip(column.name) if origin in ("raw", "engineered") else f"{clip(column.name)} ({origin})"
        for origin, column in items
    ]
    labels = dict(zip(keys, unique(names), strict=True))
    if st.session_state.get("feature_choice") not in keys:
        worst = max(range(len(items)), key=lambda i: items[i][1].status.rank)
        st.session_state["feature_choice"] = keys[worst]
    key = st.selectbox(
        "Column",
        keys,
        format_func=lambda value: labels.get(str(value), str(value)),
        key="feature_choice",
    )
    origin, column = items[keys.index(str(key))]
    _column_view(ctx, column, origin)


def _column_view(ctx: Context, column: FeatureResult, origin: str, heading: str = "###") -> None:
    m = column.metrics
    st.markdown(f"{heading} {md(column.name)} {data.badge(column.status)}")
    st.markdown(md(column.reason))
    cols = st.columns(6)
    cols[0].metric("PSI", _fmt(m.psi))
    cols[1].metric("KS", _fmt(m.ks_statistic))
    cols[2].metric("Jensen–Shannon", _fmt(m.jensen_shannon))
    cols[3].metric("Chi² p-value", _fmt(m.chi2_pvalue, "{:.2g}"))
    cols[4].metric("Missing (current)", _fmt(m.missing_share_current, "{:.1%}"))
    cols[5].metric("Unseen (current)", _fmt(m.unseen_share_current, "{:.1%}"))
    for finding in column.findings:
        st.caption(md(finding))

    warning, critical = data.psi_thresholds(ctx.result, column.name)
    left, right = st.columns(2)
    with left:
        st.markdown("**Bin shares: reference vs current**")
        if column.bins:
            st.altair_chart(charts.bins_chart(data.bins_frame(column)), width="stretch")
        else:
            st.caption("No bins stored for this column.")
    with right:
        st.markdown("**PSI over time**")
        points = ctx.store.feature_series(column.name, last=ctx.config.rounds, origin=origin)
        series = data.series_frame(points)
        if series.empty or series["psi"].isna().all():
            st.caption("No PSI stored for this column.")
        else:
            st.altair_chart(
                charts.psi_chart(series, warning, critical, selected_run=ctx.result.run.id),
                width="stretch",
            )
            st.caption(f"Thresholds: WARNING above {warning:g}, CRITICAL above {critical:g}.")

    plot = data.find_plot(column, ctx.config.assets_dir)
    if plot is not None:
        st.markdown("**Diagnostic plots** (histogram, box plot, Q-Q plot)")
        st.image(str(plot), caption=md(plot.name))
    else:
        st.caption(
            "No diagnostic plot for this column in this round (plots are written for columns "
            f"that are not NORMAL, under {code(ctx.config.assets_dir)})."
        )
    with st.expander("Bins"):
        st.dataframe(data.bins_table(column), hide_index=True, width="stretch")


def model(ctx: Context) -> None:
    """Prediction drift and performance, over time, when the history has them."""
    st.subheader("Model")
    result = ctx.result
    pred_points = ctx.store.series(last=ctx.config.rounds, origins=("prediction",))
    perf_points = ctx.store.performance_series(last=ctx.config.rounds)
    if result.prediction is None and result.performance is None and not pred_points \
            and not perf_points and result.predicted_class is None:  # fmt: skip
        st.info(
            "No model results in the rounds in view: give `driftscope run` a model "
            "(`--model`) or a probability column to watch prediction drift, and labels or "
            "a performance estimate to watch performance."
        )
        return

    st.markdown("### Prediction drift")
    if result.prediction is not None:
        _column_view(ctx, result.prediction, "prediction", heading="####")
    elif result.class_probabilities and result.predicted_class is not None:
        # a multiclass model without a positive class: no single score to follow
        _column_view(ctx, result.predicted_class, "predicted_class", heading="####")
    else:
        st.info("This round has no prediction drift (no model or probability column).")
    if result.class_probabilities:
        st.markdown("#### Probability of each class")
        st.dataframe(data.class_probability_frame(result), hide_index=True, width="stretch")

    st.markdown("### Performance")
    perf = result.performance
    if perf is not None:
        st.markdown(f"{data.badge(perf.status)} {md(perf.reason)}")
        st.dataframe(
            data.performance_table(result),
            hide_index=True,
            width="stretch",
            column_config={"Change vs baseline": st.column_config.NumberColumn(format="percent")},
        )
        if data.legacy_one_vs_rest(result):
            st.caption(
                "This round was recorded by an earlier driftscope, which measured this "
                "multiclass model one-vs-rest for its positive class and compared those numbers "
                "with a baseline that describes all classes; that comparison is not shown. "
                "Later rounds report multiclass metrics."
            )
        if perf.labelled_rows:
            st.caption(f"{perf.labelled_rows:,} labelled rows in this round.")
        if perf.per_class:
            _multiclass_performance(result)
    else:
        st.info("This round has no performance (no labels and no estimate).")
    frame = data.performance_frame(perf_points)
    if not frame.empty:
        st.markdown("**Performance over time**")
        st.altair_chart(charts.performance_chart(frame), width="stretch")


def _multiclass_performance(result: RunResult) -> None:
    """Per-class metrics, the positive class's one-vs-rest numbers, the confusion matrix."""
    st.caption(
        "Multiclass model: accuracy and log loss are over all classes, macro F1 averages the "
        "per-class F1, weighted F1 weights it by each class's labelled rows; each is compared "
        "only with a baseline of the same definition."
    )
    st.markdown("**Per class**")
    st.dataframe(data.per_class_frame(result), hide_index=True, width="stretch")
    positive, ovr = data.one_vs_rest_frame(result)
    if positive is not None:
        st.markdown(f"**One-vs-rest: class {md(positive)}** (per-class values, not compared "
                    "with the baseline)")
        st.dataframe(ovr, hide_index=True, width="stretch")
    st.markdown("**Confusion matrix** (rows: true class, columns: predicted class)")
    st.dataframe(data.confusion_frame(result), width="stretch")


def _fmt(value: float | None, pattern: str = "{:.4f}") -> str:
    return "—" if value is None else pattern.format(value)


_RENDERERS: dict[str, Callable[[Context], None]] = {
    "Overview": overview,
    "Features": features,
    "Feature detail": feature_detail,
    "Model": model,
}
