"""The model's performance in a round: binary or multiclass, against the reference's own, with
the significance of a drop."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftscope.classify.policy import (
    classify_performance,
)
from driftscope.config.models import MonitoringConfig
from driftscope.engine.artifacts import Artifacts
from driftscope.engine.prepare import Side
from driftscope.limits import quoted
from driftscope.model.performance import (
    BINARY_METRICS,
    MULTICLASS_METRICS,
    comparable_baseline,
    compute_performance,
    deterioration_pvalues,
    multiclass_deterioration_pvalues,
    multiclass_performance,
    reference_definition_matches,
)
from driftscope.result import (
    ClassPerformance,
    ConfusionMatrix,
    Finding,
    PerformanceResult,
    Severity,
)


def round_performance(cur: Side, art: Artifacts, cfg: MonitoringConfig,
                 reference_performance: dict[str, float] | None = None,
                 reference_rows: int | None = None
                 ) -> tuple[PerformanceResult | None, list[Finding]]:
    """Performance of the labelled current rows against the metadata's baseline, else the
    reference's own (measured on ``reference_rows`` labelled rows, whose sampling noise the
    significance test then counts too)."""
    if cur.labels is None or cur.predictions is None:
        return None, []
    if _is_multiclass(cur):
        return _multiclass_performance(cur, art, cfg, reference_performance, reference_rows)
    positive = _positive_class(cur, art, cfg)
    if positive is None:
        return None, [Finding(message="performance was not measured: the labels are not 0/1 "
                              "and no positive class was given; set --positive-class")]
    values, n = compute_performance(cur.labels, cur.predictions.proba, cur.predictions.label,
                                    positive)
    baseline, source, findings = _comparable_baseline(art, reference_performance, False)
    pvalues = deterioration_pvalues(
        cur.labels, cur.predictions.proba, cur.predictions.label, positive, values, baseline,
        cfg.seed, reference_rows=reference_rows if source == "the reference data" else None)
    return classify_performance(values, baseline, pvalues, n, cfg, source), findings


def _is_multiclass(side: Side) -> bool:
    """A model of more than two classes; for logged predictions (no classes known), a
    prediction column or labels holding more than two classes."""
    p = side.predictions
    assert p is not None
    if p.classes:
        return p.multiclass
    predicted = set() if p.label is None else {v for v in p.label if v is not None}
    seen = set() if side.labels is None else {v for v in side.labels if v is not None}
    return len(predicted) > 2 or len(seen) > 2


def _comparable_baseline(art: Artifacts, reference_performance: Mapping[str, Any] | None,
                         multiclass: bool) -> tuple[dict[str, float], str, list[Finding]]:
    """The baseline to compare with, where it comes from, and findings about metrics left out:
    only metrics of this round's definitions (multiclass or binary) are compared."""
    findings: list[Finding] = []
    kind = "multiclass" if multiclass else "binary"
    metadata = dict(art.metadata.baseline) if art.metadata else {}
    baseline, dropped = comparable_baseline(metadata, multiclass)
    if dropped:
        allowed = MULTICLASS_METRICS if multiclass else BINARY_METRICS
        what = ("binary (one-vs-rest) definitions" if multiclass else
                "multiclass definitions")
        findings.append(Finding(message=(
            f"the metadata's baseline {', '.join(map(quoted, dropped))} "
            f"{'is a' if len(dropped) == 1 else 'are'} {what[:-1] if len(dropped) == 1 else what}"
            f" and not compared with this {kind} model; its baseline can give "
            f"{', '.join(allowed)}")))
    source = "the metadata"
    if not baseline and reference_performance:
        # no holdout numbers: the model's performance on the labelled reference (in-sample
        # when the reference is the training set, so an optimistic baseline)
        measured = {k: float(v) for k, v in reference_performance.items() if v is not None}
        if reference_definition_matches(measured, multiclass):
            baseline = comparable_baseline(measured, multiclass)[0]
            source = "the reference data"
        else:
            findings.append(Finding(message=(
                "the baseline's reference performance was measured with other definitions "
                f"than this {kind} model's (one-vs-rest numbers, saved by an earlier "
                "driftscope) and is not compared; rebuild the baseline")))
    return baseline, source, findings


def _multiclass_performance(cur: Side, art: Artifacts, cfg: MonitoringConfig,
                            reference_performance: Mapping[str, Any] | None,
                            reference_rows: int | None = None
                            ) -> tuple[PerformanceResult | None, list[Finding]]:
    """Multiclass metrics compared with a multiclass baseline; the positive class's
    one-vs-rest numbers, when one is named, reported with that class only."""
    import dataclasses

    p = cur.predictions
    assert p is not None and cur.labels is not None
    evaluation = multiclass_performance(cur.labels, p.label, p.matrix, p.classes)
    positive = p.positive_class or art.positive_class(cfg)
    if evaluation is None and p.label is None and p.matrix is None:
        # only the positive class's probability was logged: its one-vs-rest numbers, per class
        finding = Finding(message=(
            "the labels hold more than two classes: multiclass metrics need the predicted "
            "class; pass --prediction-column"))
        ovr, n = (compute_performance(cur.labels, p.proba, None, positive)
                  if positive is not None and p.proba is not None else ({}, 0))
        if not n or positive is None:
            return None, [finding]
        return PerformanceResult(
            status=Severity.NORMAL, metrics={}, labelled_rows=n,
            reason=(f"Only the probability of {quoted(positive)} was logged: its one-vs-rest "
                    f"numbers on {n} labelled rows are reported for that class; nothing is "
                    "compared with the baseline."),
            per_class={positive: ClassPerformance(precision=None, recall=None,
                                                  one_vs_rest=ovr)}), [finding]
    if evaluation is None:
        return classify_performance({}, {}, {}, 0, cfg), []
    baseline, source, findings = _comparable_baseline(art, reference_performance, True)
    pvalues = multiclass_deterioration_pvalues(
        evaluation, evaluation.values, baseline, seed=cfg.seed,
        reference_rows=reference_rows if source == "the reference data" else None)
    n_classes = len(p.classes) or len(evaluation.labels)
    result = classify_performance(evaluation.values, baseline, pvalues, evaluation.rows, cfg,
                                  source, n_classes=n_classes)
    one_vs_rest = None
    if positive is not None and positive in evaluation.per_class:
        one_vs_rest, _ = compute_performance(cur.labels, p.proba, p.label, positive)
    per_class = {
        c: ClassPerformance(precision=v["precision"], recall=v["recall"], f1=v["f1"],
                            support=int(v["support"] or 0), predicted=int(v["predicted"] or 0),
                            one_vs_rest=one_vs_rest if c == positive else None)
        for c, v in evaluation.per_class.items()
    }
    matrix = ConfusionMatrix(labels=evaluation.labels,
                             counts=tuple(tuple(int(x) for x in row)
                                          for row in evaluation.confusion))
    return dataclasses.replace(result, per_class=per_class, confusion_matrix=matrix), findings


def _positive_class(side: Side, art: Artifacts, cfg: MonitoringConfig) -> str | None:
    """The positive class: the model's or the configured one, else inferred from 0/1 or
    True/False labels."""
    assert side.predictions is not None and side.labels is not None
    positive = side.predictions.positive_class or art.positive_class(cfg)
    if positive is None:
        seen = {v for v in side.labels if v is not None}
        for neg, pos in (("0", "1"), ("False", "True"), ("false", "true")):
            if seen and seen <= {neg, pos}:
                return pos
    return positive


def reference_side_performance(side: Side, art: Artifacts, cfg: MonitoringConfig
                           ) -> dict[str, float | None] | None:
    """The model's performance on the labelled reference: the baseline when the metadata has
    none."""
    if side.labels is None or side.predictions is None:
        return None
    p = side.predictions
    if _is_multiclass(side):  # the multiclass metrics, the only ones compared for it
        evaluation = multiclass_performance(side.labels, p.label, p.matrix, p.classes)
        return None if evaluation is None else dict(evaluation.values)
    positive = _positive_class(side, art, cfg)
    if positive is None:
        return None
    values, n = compute_performance(side.labels, p.proba, p.label, positive)
    return values if n else None

