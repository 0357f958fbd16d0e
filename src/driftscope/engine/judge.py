"""The round's judgement: metrics on every pair of profiles, statuses by the policy and the
history, the verdict, the findings, and the :class:`RunResult` that holds them."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from driftscope.baseline import Baseline
from driftscope.classify.history_policy import apply_history, past_by_column
from driftscope.classify.policy import (
    classify_columns,
    recommend,
    round_status,
    schema_break_advice,
)
from driftscope.compare.column import ColumnComparison, compare_column
from driftscope.config.models import MonitoringConfig
from driftscope.engine.artifacts import Artifacts
from driftscope.engine.estimation import round_estimation
from driftscope.engine.multivariate import round_multivariate
from driftscope.engine.performance import round_performance
from driftscope.engine.prepare import Side
from driftscope.engine.verdict import (
    advice,
    not_judged,
    prediction_status,
    unexplained_shift,
    unused_overrides,
    with_breaks,
)
from driftscope.inputs.schema import ColumnBreak
from driftscope.limits import clip, quoted
from driftscope.model.contract import round_contract
from driftscope.model.importance import status_features, with_impact
from driftscope.profile.model import ColumnProfile
from driftscope.profile.spec import ColumnSpec
from driftscope.progress import Progress
from driftscope.result import (
    DatasetInfo,
    FeatureResult,
    Finding,
    RunInfo,
    RunResult,
    Severity,
)
from driftscope.store.reader import HistoryReader

SMALL_BATCH = 30
"""Fewer current rows than this get a finding: statuses then rarely pass significance."""

Pair = tuple[ColumnSpec, ColumnProfile, ColumnProfile]


@dataclass(frozen=True)
class CurrentData:
    """What the judgement needs to know of the current data besides its profiles."""

    name: str
    rows: int
    columns: int
    window: tuple[str | None, str | None]


def now() -> str:
    import datetime as _dt

    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def version() -> str:
    from driftscope import __version__

    return __version__


def compare_all(pairs: list[tuple[ColumnProfile, ColumnProfile]], cfg: MonitoringConfig,
                prog: Progress) -> list[ColumnComparison]:
    """Every registered metric on every pair, in threads (one column per thread)."""
    def one(pair: tuple[ColumnProfile, ColumnProfile]) -> ColumnComparison:
        out = compare_column(pair[0], pair[1], cfg.psi_pvalue_draws, cfg.seed,
                             max_categories=cfg.max_categories)
        prog.step()
        return out

    workers = cfg.workers or min(8, os.cpu_count() or 1)
    if cfg.backend != "local":  # a comparison reads a whole column back: one at a time
        workers = 1
    if workers <= 1 or len(pairs) <= 1:
        return [one(p) for p in pairs]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, pairs))


def judge(bl: Baseline, cfg: MonitoringConfig, art: Artifacts, cur: Side, data: CurrentData,
          pairs: list[Pair], extra_pairs: list[Pair], breaks: Mapping[str, ColumnBreak],
          pred_findings: list[Finding], schema_findings: list[Finding],
          history: HistoryReader | None, target: str | None,
          started: str, t0: float, prog: Progress) -> RunResult:
    """Compare, classify and judge the round; ``pairs`` are the monitored features,
    ``extra_pairs`` the predictions and the target; the findings in report order."""
    ref_pred = bl.by_origin("prediction", "predicted_class", "class_probability")
    prog.stage("comparing", len(pairs) + len(extra_pairs))
    comps = compare_all([(r, c) for _, r, c in pairs + extra_pairs], cfg, prog)
    feature_comps = comps[:len(pairs)]
    kept = [i for i, (s, _, _) in enumerate(pairs) if s.name not in breaks]
    features = classify_columns([feature_comps[i] for i in kept], cfg,
                                [pairs[i][0].origin for i in kept])
    baseline_id = bl.path or f"{bl.source} ({bl.rows} rows)"
    points = [] if history is None else history.series(
        [f.name for f in features], last=cfg.trend.window, origins=["raw", "engineered"])
    features = apply_history(features, past_by_column(points, baseline_id), cfg)
    features = with_breaks(features, pairs, feature_comps, breaks)
    features = with_impact(features, bl.settings.get("importance"))  # drift × importance
    extra_comps = list(zip(extra_pairs, comps[len(pairs):]))
    singles = {s.origin: classify_columns([c], cfg, [s.origin])[0]
               for (s, _, _), c in extra_comps if s.origin != "class_probability"}
    # the per-class probabilities of a multiclass model: one family (BH across the classes)
    per_class = [c for (s, _, _), c in extra_comps if s.origin == "class_probability"]
    class_probabilities = classify_columns(per_class, cfg, ["class_probability"] * len(per_class))
    prediction: FeatureResult | None = singles.get("prediction")
    predicted_class = singles.get("predicted_class")
    target_result = singles.get("target")
    in_sample = bl.settings.get("in_sample")
    if in_sample:  # reference predictions on the training rows: not a yardstick
        prediction, predicted_class = (not_judged(r) for r in (prediction, predicted_class))
        class_probabilities = [r for r in map(not_judged, class_probabilities) if r]
    performance, perf_findings = round_performance(
        cur, art, cfg, None if in_sample else bl.settings.get("reference_performance"),
        bl.settings.get("reference_labelled_rows"))
    performance, estimation_findings = round_estimation(cur, art, cfg, bl.settings, performance)
    perf_findings += _not_concept_drift(estimation_findings, breaks)
    suspect = None
    if not in_sample and bl.settings.get("reference_predictions", "model") == "model":
        prediction, predicted_class, class_probabilities, suspect = unexplained_shift(
            features, prediction, predicted_class, class_probabilities)
    if suspect:
        perf_findings.append(Finding(message=suspect))
        self_baseline = not (art.metadata and art.metadata.baseline)
        if self_baseline and performance is not None and \
                performance.status is Severity.CRITICAL:  # measured against the same rows
            import dataclasses

            performance = dataclasses.replace(performance, status=Severity.WARNING, reason=(
                f"{performance.reason.rstrip('.')}; the baseline is the model's performance "
                "on a reference that looks in-sample (see the findings), so this is at most "
                "a WARNING."))
    pred_status = prediction_status(prediction, predicted_class, class_probabilities)
    # impact.weigh_status: an unimportant CRITICAL feature counts as WARNING for the round
    judged, capped = (status_features(features, cfg.impact.min_importance_share)
                      if cfg.impact.weigh_status else (list(features), []))
    status, reason = round_status(judged, cfg, pred_status, performance, target_result)
    if capped:
        reason = (f"{reason.rstrip('.')}; {len(capped)} CRITICAL feature(s) below "
                  f"impact.min_importance_share {cfg.impact.min_importance_share:g} count as "
                  f"WARNING ({', '.join(clip(c) for c in capped[:5])}).")
    # the advice for the rest of the round; broken columns get their own (schema_break_advice)
    intact = [f for f in judged if f.name not in breaks]
    intact_status = (round_status(intact, cfg, pred_status, performance, target_result)[0]
                     if breaks else status)
    if breaks:  # a broken feed is never a quiet round, even when features count by share
        status = Severity.worst([status, Severity.WARNING])
        shown = ", ".join(clip(b) for b in list(breaks)[:5]) + (", …" if len(breaks) > 5 else "")
        reason = (f"{reason.rstrip('.')}; the current data breaks the reference's schema "
                  f"({shown}).")
    findings = (list(bl.findings) + list(cur.findings) + pred_findings + perf_findings
                + schema_findings + unused_overrides(cfg, [s.name for s, _ in bl.columns]))
    for f in features:
        findings += [Finding(column=f.name, message=m) for m in f.findings]
    if cur.prediction_error is not None:
        # a model that cannot score production data is itself an alert
        findings.append(Finding(message=f"the model could not score the current data: "
                                f"{cur.prediction_error}"))
        status = Severity.worst([status, Severity.WARNING])
        reason = f"{reason.rstrip('.')}; the model could not score the current data."
    if cur.labels is not None:
        unlabelled = sum(v is None for v in cur.labels)
        if unlabelled:
            findings.append(Finding(column=target, message=(
                f"{unlabelled} of {len(cur.labels)} current rows have no label (yet): target "
                "drift and performance use the labelled rows only")))
    if data.rows < SMALL_BATCH:
        findings.append(Finding(message=(
            f"only {data.rows} current row{'s' if data.rows != 1 else ''}: "
            "drift alerts need statistical "
            "significance, which so few rows rarely reach; judge the numbers, not the status")))
    if cur.labels is None and (cur.predictions is not None):
        findings.append(Finding(message="the current data has no labels"
                                f"{f' (no column {quoted(target)})' if target else ''}: "
                                "performance was not measured"))
    if art.model is None and not (cfg.proba_column or cfg.prediction_column):
        findings.append(Finding(message="no model and no logged prediction columns: "
                                "prediction drift was not measured"
                                + (" although the baseline holds predictions; pass the same "
                                   "--model (or 'model:' in the config)" if ref_pred else "")))
    w_start, w_end = data.window
    counts = {s.value: sum(f.status is s for f in features) for s in Severity}
    # the fitted pipeline's own contract and the multivariate checks (report their statuses;
    # the round's status stays the features' and the model's)
    contract, contract_findings = round_contract(bl, cfg, art.model, cur.model_input)
    findings += contract_findings
    multivariate = round_multivariate(bl, cfg, cur, art.model)
    prog.close()
    return RunResult(
        run=RunInfo(
            id=f"{started.replace(':', '').replace('-', '')}-{uuid.uuid4().hex[:8]}",
            started_at=started,
            finished_at=now(),
            duration_seconds=round(time.perf_counter() - t0, 3),
            reference=DatasetInfo(rows=bl.rows, source=bl.source,
                                  columns=len(bl.by_origin("raw"))),
            current=DatasetInfo(rows=data.rows, source=data.name,
                                columns=data.columns),
            baseline=baseline_id,
            model=art.model_info(cfg) or bl.model,
            window_start=w_start,
            window_end=w_end,
            driftscope_version=version(),
        ),
        status=status,
        reason=reason,
        recommendation=schema_break_advice(
            (advice(recommend(intact_status, intact, pred_status, performance,
                               target_result), bool(in_sample),
                     self_baseline=not (art.metadata and art.metadata.baseline)
                     and bl.settings.get("reference_predictions", "model") == "model",
                     suspect=bool(suspect))
             if cur.prediction_error is None else
             "Investigate why the model could not score the current data "
             "(see the findings) before trusting this round."),
            {name: brk.kind for name, brk in breaks.items()}),
        features=tuple(features),
        counts=counts,
        prediction=prediction,
        predicted_class=predicted_class,
        class_probabilities=tuple(class_probabilities),
        target=target_result,
        performance=performance,
        contract=contract,
        multivariate=multivariate,
        findings=tuple(findings),
        settings={
            "thresholds": cfg.thresholds.model_dump(),
            "overrides": {k: v.model_dump(exclude_none=True) for k, v in cfg.features.items()},
            "significance": cfg.significance,
            "significance_guard": cfg.significance_guard,
            "psi_pvalue_draws": cfg.psi_pvalue_draws,
            "seed": cfg.seed,
            "run_status": cfg.run_status,
        },
    )


def _not_concept_drift(findings: list[Finding], breaks: Mapping[str, ColumnBreak]
                       ) -> list[Finding]:
    """With columns missing or unreadable in the current data, a realized performance below
    the model's confidence is what feeding it filled-in values looks like: the concept-drift
    finding says so instead of advising a retrain."""
    if not breaks:
        return findings
    shown = ", ".join(quoted(b) for b in list(breaks)[:5]) + (", …" if len(breaks) > 5 else "")
    out = []
    for f in findings:
        if f.message.startswith("concept drift:"):
            head = f.message.split("; the relation between inputs and label")[0]
            f = Finding(column=f.column, message=(
                f"{head.replace('concept drift: ', '', 1)}. The current data lacks or cannot "
                f"read {shown}, which the model then sees filled in: that explains a realized "
                "performance below the model's confidence without any concept drift; restore "
                "the columns before judging the model"))
        out.append(f)
    return out
