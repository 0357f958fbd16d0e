"""Late labels: labels that arrive after the round, attached to the rounds already stored.

In credit scoring the label (did the borrower default?) comes months after the decision. A
round run with ``id_column`` keeps each row's id with its prediction in the history
(:mod:`driftscope.store.row_log`); :func:`attach_labels` joins labels to those rows by id,
translates them into the model's classes as the round did (``labels: {bad: 1, good: 0}``,
``positive_class``), recomputes the realized performance of every round it touched with the
round's own code (:func:`driftscope.engine.performance.round_performance`, against the same
baseline, thresholds and seed), and rewrites those rounds' performance in the history, all in
one transaction.

A round's status can only rise with late labels (it becomes the worst of its recorded status
and the new performance status): its drift verdict was measured on its data and stays.

>>> from driftscope.labels import attach_labels  # doctest: +SKIP
>>> report = attach_labels(store, pq.read_table("labels.parquet"), id_column="ID",
...                        label_column="Status")  # doctest: +SKIP
>>> report.matched, report.unmatched, [c.coverage for c in report.rounds]  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from driftscope.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

    from driftscope.result import PerformanceResult
    from driftscope.store.history import HistoryStore
    from driftscope.store.row_log import StoredRows

__all__ = ["LATE_LABELS", "LabelReport", "RoundCoverage", "attach_labels",
           "performance_of_rows"]

LATE_LABELS = "late labels:"
"""How the finding a round gets from late labels begins (replaced by the next attach)."""

NO_LABELS = "the current data has no labels"
"""How the round's finding about its missing labels begins (dropped once labels arrive)."""


@dataclass(frozen=True)
class RoundCoverage:
    """One round late labels touched: rows labelled now, labelled rows, rows with an id, and
    the recomputed performance status (None when the round kept no predictions)."""

    run_id: str
    newly_labelled: int
    labelled: int
    rows: int
    performance_status: str | None = None
    status: str | None = None

    @property
    def coverage(self) -> float:
        """Share of the round's rows (with an id) that have a label."""
        return self.labelled / self.rows if self.rows else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "newly_labelled": self.newly_labelled,
                "labelled": self.labelled, "rows": self.rows,
                "coverage": round(self.coverage, 6),
                "performance_status": self.performance_status, "status": self.status}


@dataclass(frozen=True)
class LabelReport:
    """What :func:`attach_labels` did.

    ``labels``: rows of the label table with an id and a label; ``matched`` / ``unmatched``:
    distinct ids that did / did not match a stored row; ``without_id`` and ``without_label``:
    rows of the table left out; ``rounds``: per round touched, its coverage."""

    labels: int
    matched: int
    unmatched: int
    without_id: int
    without_label: int
    rounds: tuple[RoundCoverage, ...]
    foreign: tuple[str, ...] = ()
    """With ``foreign="skip"``: what was said of each label left out because it is not a
    class of the round's model (one message per label)."""

    @property
    def rounds_updated(self) -> int:
        return len(self.rounds)

    def to_dict(self) -> dict[str, Any]:
        return {"labels": self.labels, "matched": self.matched, "unmatched": self.unmatched,
                "without_id": self.without_id, "without_label": self.without_label,
                "rounds_updated": self.rounds_updated,
                "rounds": [r.to_dict() for r in self.rounds], "foreign": list(self.foreign)}


def _column(table: pa.Table, name: str, what: str) -> list[Any]:
    if name not in table.column_names:
        shown = ", ".join(repr(c) for c in table.column_names[:10])
        raise InputError(f"labels: the label data has no {what} column {name!r} (columns: "
                         f"{shown or 'none'}); fix --{what.replace(' ', '-')}-column")
    return list(table.column(name).to_pylist())


def _coded(raw: str | None, context: dict[str, Any]) -> str | None:
    """A raw label in the round's coding (its ``labels`` mapping; others unchanged)."""
    if raw is None:
        return None
    return dict(context.get("labels") or {}).get(raw, raw)


def known_classes(context: dict[str, Any]) -> list[str]:
    """The classes a round's labels may take in the model's coding: the model's classes (and
    those its ``labels`` mapping names); for logged predictions, which have no list of
    classes, the mapping's classes, the positive class and the predicted classes when they
    are exactly two (a binary round). Empty when the classes are not known, and then any
    label is taken."""
    mapped = [*dict(context.get("labels") or {}).values(), context.get("positive_class")]
    classes = list(context.get("classes") or ())
    if classes:
        return sorted({str(c) for c in (*classes, *mapped) if c is not None})
    seen = {str(c) for c in (*mapped, *(context.get("predicted_classes") or ()))
            if c is not None}
    return sorted(seen) if len(seen) == 2 else []


def _foreign_message(raw: str, context: dict[str, Any], count: int | None = None) -> str:
    mapping = dict(context.get("labels") or {})
    classes = ", ".join(repr(c) for c in known_classes(context))
    mapped = (f" nor a label its target mapped to one ({', '.join(map(repr, sorted(mapping)))})"
              if mapping else "")
    many = f" ({count} row(s))" if count is not None else ""
    return (f"the label {raw!r}{many} is not a class of the model ({classes}){mapped}; "
            "recode the labels as the rounds' target was coded")


def performance_of_rows(rows: StoredRows) -> PerformanceResult | None:
    """The realized performance of a stored round's rows, computed as the round computes it
    (:func:`driftscope.engine.performance.round_performance`) with the round's context;
    None when the round kept no predictions."""
    import numpy as np
    import pyarrow as pa

    from driftscope.config.models import MonitoringConfig
    from driftscope.engine.artifacts import Artifacts
    from driftscope.engine.performance import round_performance
    from driftscope.engine.prepare import Side
    from driftscope.model.metadata import ModelMetadata
    from driftscope.model.predict import Predictions

    ctx = rows.context
    have_proba = any(v is not None for v in rows.proba)
    have_label = any(v is not None for v in rows.predicted)
    if not (have_proba or have_label):
        return None
    positive = ctx.get("positive_class")
    predictions = Predictions(
        proba=np.array([np.nan if v is None else float(v) for v in rows.proba], dtype=float)
        if have_proba else None,
        label=np.asarray(rows.predicted, dtype=object) if have_label else None,
        positive_class=positive, classes=tuple(ctx.get("classes") or ()))
    side = Side(table=pa.table({}), engineered=None, predictions=predictions,
                labels=np.asarray(rows.labels, dtype=object))
    cfg = MonitoringConfig(performance=ctx.get("performance") or {},
                           significance=ctx.get("significance", 0.01),
                           significance_guard=ctx.get("significance_guard", True),
                           seed=ctx.get("seed", 0), positive_class=positive)
    baseline = {k: v for k, v in (ctx.get("metadata_baseline") or {}).items() if v is not None}
    art = Artifacts(metadata=ModelMetadata(baseline=baseline, positive_class=positive))
    reference = ctx.get("reference_performance")
    performance, _ = round_performance(side, art, cfg, reference,
                                       ctx.get("reference_labelled_rows"))
    return performance


def _with_estimates(old: PerformanceResult | None, new: PerformanceResult | None
                    ) -> PerformanceResult | None:
    """The recomputed (realized) performance keeping what the round estimated without labels:
    every ``estimated*`` field of its metrics, and the metrics only estimated (the labels
    decide the status of a metric they measure)."""
    from driftscope.result import Severity

    if old is None or new is None:
        return new if new is not None else old
    metrics = dict(new.metrics)
    for name, before in old.metrics.items():
        if name not in metrics:
            if getattr(before, "estimated", None) is not None:
                metrics[name] = before
            continue
        carried = {f.name: getattr(before, f.name) for f in dataclasses.fields(before)
                   if f.name.startswith("estimated")}
        metrics[name] = dataclasses.replace(metrics[name], **carried)
    extra = {f.name: getattr(old, f.name) for f in dataclasses.fields(old)
             if f.name.startswith("estimated")}
    status = Severity.worst([new.status, *(m.status for m in metrics.values())])
    return dataclasses.replace(new, metrics=metrics, status=status, **extra)


def _updated(result: Any, performance: PerformanceResult | None, labelled: int,
             rows: int, stamp: str, context: dict[str, Any] | None = None) -> Any:
    """The stored result with the recomputed performance, a status no lower than before, the
    advice of that status when the performance got worse, and one finding saying how many
    rows are labelled."""
    from driftscope.result import Finding, Severity

    before = result.performance.status if result.performance is not None else Severity.NORMAL
    performance = _with_estimates(result.performance, performance)
    findings = [f for f in result.findings if not f.message.startswith(LATE_LABELS)
                and not (labelled and f.message.startswith(NO_LABELS))]  # no longer true
    findings.append(Finding(message=(
        f"{LATE_LABELS} {labelled} of {rows} rows with an id are labelled (last attached "
        f"{stamp}); the realized performance was recomputed on them")))
    status, reason = result.status, result.reason
    if performance is not None and performance.status.rank > Severity(status).rank:
        status = performance.status
        reason = (f"{reason.rstrip('.')}; performance {performance.status.value} on late "
                  "labels.")
    recommendation = result.recommendation
    if performance is not None and performance.status.rank > Severity(before).rank:
        recommendation = _advice(result, performance, Severity(status), context or {})
    return dataclasses.replace(result, performance=performance, status=status, reason=reason,
                               recommendation=recommendation, findings=tuple(findings))


def _advice(result: Any, performance: PerformanceResult, status: Any,
            context: dict[str, Any]) -> str:
    """The round's recommendation given the performance the late labels revealed, worded as
    a round with those labels would word it."""
    from driftscope.classify.verdict import recommend
    from driftscope.engine.verdict import advice

    text = recommend(status, result.features, result.prediction, performance, result.target)
    own = not any(v is not None for v in (context.get("metadata_baseline") or {}).values())
    return advice(text, in_sample=False, self_baseline=own)


def attach_labels(store: HistoryStore, labels: pa.Table, *, id_column: str,
                  label_column: str, foreign: str = "refuse") -> LabelReport:
    """Attach late labels to the stored rounds that kept row ids, and recompute their
    realized performance.

    Parameters
    ----------
    store : HistoryStore
        The history (written: one transaction for every round touched).
    labels : pyarrow.Table
        One row per labelled id; other columns are ignored. When an id appears several
        times the last row wins; rows without an id or a label are left out.
    id_column, label_column : str
        The columns of ``labels`` holding the id (joined, as text, with the rounds' ids:
        ``17`` and ``17.0`` are the same id) and the label (raw, as in the target column:
        mapped into the model's classes as the round mapped it).
    foreign : {"refuse", "skip"}
        A label that, mapped as the round maps its target, is not a class of the round's
        model (``"BAD"`` for a model of ``0``/``1`` whose round mapped ``bad``/``good``):
        ``"refuse"`` raises :class:`InputError` and attaches nothing; ``"skip"`` leaves those
        rows as they are and says so in :attr:`LabelReport.foreign`.

    Returns
    -------
    LabelReport
        Matched and unmatched ids, and per round touched its label coverage.

    Raises
    ------
    InputError
        When ``labels`` lacks one of the columns, or (``foreign="refuse"``) holds a label
        that is not a class of a matched round's model; nothing is changed then.
    HistoryError
        When the history cannot be written; nothing is changed then.
    """
    from driftscope.model.performance import label_text
    from driftscope.store import row_log
    from driftscope.store.rows import utc_now

    ids = _column(labels, id_column, "id")
    values = _column(labels, label_column, "label")
    by_id: dict[str, str | None] = {}
    without_id = without_label = 0
    for raw_id, raw in zip(ids, values):
        key, value = label_text(raw_id), label_text(raw)
        if key is None:
            without_id += 1
        elif value is None:
            without_label += 1
        else:
            by_id[key] = value
    stamp = utc_now()
    statuses: dict[str, tuple[str | None, str]] = {}

    def recompute(conn: Any, rows: StoredRows) -> None:
        performance = performance_of_rows(rows)
        result = _updated(row_log.stored_result(conn, rows.run_seq), performance,
                          rows.labelled, len(rows.labels), stamp, rows.context)
        row_log.replace_result(conn, rows.run_seq, result)
        statuses[rows.run_id] = (None if performance is None else performance.status.value,
                                 result.status.value)

    skipped: dict[str, tuple[int, dict[str, Any]]] = {}

    def coded(raw: str | None, context: dict[str, Any]) -> str | None:
        value = _coded(raw, context)
        known = known_classes(context)
        if raw is None or value is None or not known or value in known:
            return value
        if foreign == "refuse":
            raise InputError(f"labels: {_foreign_message(raw, context)}; nothing was attached")
        count = skipped.get(raw, (0, context))[0]
        skipped[raw] = (count + 1, context)
        return row_log.SKIP

    with store._db.errors("write to"):
        matched, touched = row_log.attach(store, by_id, coded, recompute)
    rounds = tuple(RoundCoverage(run_id=run_id, newly_labelled=new, labelled=labelled,
                                 rows=n, performance_status=statuses[run_id][0],
                                 status=statuses[run_id][1])
                   for run_id, (new, labelled, n) in touched.items())
    return LabelReport(labels=len(by_id), matched=len(matched),
                       unmatched=len(by_id) - len(matched), without_id=without_id,
                       without_label=without_label, rounds=rounds,
                       foreign=tuple(_foreign_message(raw, ctx, n)
                                     for raw, (n, ctx) in sorted(skipped.items())))
