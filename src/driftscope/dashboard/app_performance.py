"""The model's performance as the dashboard shows it: the metrics over rounds and, for a
multiclass model, per class, one-vs-rest and the confusion matrix (stored values only, nothing
recomputed from data)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from driftscope.dashboard.app_data import metric_cells, metric_specs, with_time
from driftscope.dashboard.app_text import clip, unique
from driftscope.result import RunResult
from driftscope.store import PerformancePoint


def performance_frame(points: Sequence[PerformancePoint]) -> pd.DataFrame:
    """Long form: metric, kind (current / estimated / baseline), value per round."""
    rows = []
    for p in points:
        for kind, value in (("current", p.current), ("estimated", p.estimated),
                            ("baseline", p.baseline)):  # fmt: skip
            if value is not None:
                rows.append({"run": p.run_id, "started_at": p.started_at, "metric": p.metric,
                             "kind": kind, "value": value, "status": p.status.value,
                             "window_start": p.window_start,
                             "window_end": p.window_end})  # fmt: skip
    return with_time(pd.DataFrame(rows))


# -- performance (multiclass) ---------------------------------------------------------------
BINARY_ONLY_METRICS = ("precision", "recall", "f1", "roc_auc", "brier")


def predicted_classes(result: RunResult) -> int:
    """How many classes the model predicted on the reference (from the predicted-class bins)."""
    column = result.predicted_class
    if column is None:
        return 0
    return sum(1 for b in column.bins if b.kind == "category" and b.reference_count > 0)


def legacy_one_vs_rest(result: RunResult) -> bool:
    """A multiclass round recorded by an earlier driftscope: it measured the positive class
    one-vs-rest and compared those numbers with a baseline that describes all classes, so its
    baseline comparison means nothing."""
    perf = result.performance
    return (perf is not None and perf.per_class is None and predicted_classes(result) > 2
            and any(name in perf.metrics for name in BINARY_ONLY_METRICS))


def performance_table(result: RunResult) -> list[dict[str, Any]]:
    """The round's performance metrics; a comparison of different definitions (see
    :func:`legacy_one_vs_rest`) is left blank."""
    perf = result.performance
    if perf is None:
        return []
    legacy = legacy_one_vs_rest(result)
    return [
        {
            "Metric": clip(name) + (" (one-vs-rest)" if legacy else ""),
            "Current": metric.current,
            "Estimated": metric.estimated,
            "Estimated band": (None if metric.estimated_lower is None
                               or metric.estimated_upper is None else
                               f"{metric.estimated_lower:.3f}–{metric.estimated_upper:.3f}"),
            "Baseline": None if legacy else metric.baseline,
            "Change vs baseline": None if legacy else metric.relative_change,
            "Status": metric.status.value,
        }
        for name, metric in perf.metrics.items()
    ]


def per_class_frame(result: RunResult) -> pd.DataFrame:
    """Per-class precision, recall and F1 of a multiclass round (empty otherwise)."""
    perf = result.performance
    if perf is None or not perf.per_class:
        return pd.DataFrame()
    return pd.DataFrame([
        {"Class": clip(c), "Labelled rows": v.support, "Predicted": v.predicted,
         "Precision": v.precision, "Recall": v.recall, "F1": v.f1}
        for c, v in perf.per_class.items()
    ])


def one_vs_rest_frame(result: RunResult) -> tuple[str | None, pd.DataFrame]:
    """The positive class of a multiclass round and its one-vs-rest metrics."""
    perf = result.performance
    for c, v in ((perf.per_class or {}) if perf is not None else {}).items():
        if v.one_vs_rest:
            return c, pd.DataFrame([{"Metric": k, "Value": x} for k, x in v.one_vs_rest.items()])
    return None, pd.DataFrame()


def confusion_frame(result: RunResult) -> pd.DataFrame:
    """The confusion matrix: one row per true class, one column per predicted class."""
    perf = result.performance
    cm = perf.confusion_matrix if perf is not None else None
    if cm is None:
        return pd.DataFrame()
    labels = unique([clip(label) for label in cm.labels])
    return pd.DataFrame([list(row) for row in cm.counts], columns=labels,
                        index=pd.Index(labels, name="true \\ predicted"))


def class_probability_frame(result: RunResult) -> pd.DataFrame:
    """The drift of each class's probability in a multiclass round."""
    specs = metric_specs()
    return pd.DataFrame([
        {"Column": clip(c.name), "Status": c.status.value, **metric_cells(c, specs),
         "Reason": clip(c.reason)}
        for c in result.class_probabilities
    ])
