"""The pages of single columns: Feature detail (one column's metrics, bins, any metric over
time and PNG diagnostic) and Model (prediction drift and performance, multiclass included).

The metrics shown are the registered ones: one tile per metric, and a choice of every
measured field for the chart over time (PSI by default, drawn with its thresholds)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from driftscope.dashboard import app_charts as charts
from driftscope.dashboard import app_data as data
from driftscope.dashboard import app_performance as perf_data
from driftscope.dashboard.app_text import clip, code, md, unique
from driftscope.result import FeatureResult, RunResult
from driftscope.store.rows import columns_of

if TYPE_CHECKING:
    from driftscope.dashboard.app_pages import Context

__all__ = ["feature_detail", "model"]


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
    st.markdown(f"{heading} {md(column.name)} {data.badge(column.status)}")
    st.markdown(md(column.reason))
    tiles = data.metric_tiles(column)
    for tile, (label, text, description) in zip(st.columns(len(tiles)), tiles, strict=True):
        tile.metric(label, text, help=description)
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
        fields = dict(data.series_fields())
        field = st.selectbox(
            "Over time",
            list(fields),
            format_func=lambda name: fields.get(str(name), str(name)),
            key=f"over_time:{origin}",
        ) if len(fields) > 1 else "psi"
        label = fields.get(str(field), str(field))
        st.markdown(f"**{md(label)} over time**")
        points = ctx.store.feature_series(column.name, last=ctx.config.rounds, origin=origin)
        series = data.series_frame(points)
        if series.empty or field not in series or series[field].isna().all():
            st.caption(f"No {md(label)} stored for this column.")
        elif field == "psi":
            st.altair_chart(
                charts.psi_chart(series, warning, critical, selected_run=ctx.result.run.id),
                width="stretch",
            )
            st.caption(f"Thresholds: WARNING above {warning:g}, CRITICAL above {critical:g}.")
        else:
            st.altair_chart(
                charts.metric_chart(series, str(field), label, selected_run=ctx.result.run.id),
                width="stretch",
            )

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
        st.dataframe(perf_data.class_probability_frame(result), hide_index=True, width="stretch")

    st.markdown("### Performance")
    perf = result.performance
    if perf is not None:
        st.markdown(f"{data.badge(perf.status)} {md(perf.reason)}")
        st.dataframe(
            perf_data.performance_table(result),
            hide_index=True,
            width="stretch",
            column_config={"Change vs baseline": st.column_config.NumberColumn(format="percent")},
        )
        if perf_data.legacy_one_vs_rest(result):
            st.caption(
                "This round was recorded by an earlier driftscope, which measured this "
                "multiclass model one-vs-rest for its positive class and compared those numbers "
                "with a baseline that describes all classes; that comparison is not shown. "
                "Later rounds report multiclass metrics."
            )
        if perf.labelled_rows:
            st.caption(f"{perf.labelled_rows:,} labelled rows in this round.")
        if perf.estimated_rows:
            st.caption(f"Estimated without labels from the model's calibrated confidence on "
                       f"{perf.estimated_rows:,} rows; the band is the estimate ± its sampling "
                       "error at this batch size.")
        if perf.per_class:
            _multiclass_performance(result)
    else:
        st.info("This round has no performance (no labels and no estimate).")
    frame = perf_data.performance_frame(perf_points)
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
    st.dataframe(perf_data.per_class_frame(result), hide_index=True, width="stretch")
    positive, ovr = perf_data.one_vs_rest_frame(result)
    if positive is not None:
        st.markdown(f"**One-vs-rest: class {md(positive)}** (per-class values, not compared "
                    "with the baseline)")
        st.dataframe(ovr, hide_index=True, width="stretch")
    st.markdown("**Confusion matrix** (rows: true class, columns: predicted class)")
    st.dataframe(perf_data.confusion_frame(result), width="stretch")

