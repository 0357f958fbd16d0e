"""One monitoring round: inputs → features → profiles → metrics → policy → RunResult."""

from __future__ import annotations

import datetime as _dt
import os
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from driftscope.backends.local import profile_categorical, profile_numeric, profile_table
from driftscope.baseline import Baseline, load_baseline
from driftscope.classify.history_policy import apply_history, past_by_column
from driftscope.classify.policy import (
    classify_columns,
    classify_performance,
    classify_schema_break,
    recommend,
    round_status,
    schema_break_advice,
)
from driftscope.compare.column import ColumnComparison, compare_column
from driftscope.config.loader import build_config, load_config
from driftscope.config.models import MonitoringConfig
from driftscope.errors import ArtifactError, ConfigError, InputError
from driftscope.features import FeatureFn, apply_feature_engineering, load_feature_engineering
from driftscope.inputs.readers import to_arrow
from driftscope.inputs.schema import (
    ColumnBreak,
    ColumnSpec,
    check_current,
    infer_columns,
)
from driftscope.limits import clip, quoted
from driftscope.model.labels import LabelCoding, check_labels
from driftscope.model.loading import load_model
from driftscope.model.metadata import ModelMetadata, load_metadata
from driftscope.model.performance import (
    BINARY_METRICS,
    MULTICLASS_METRICS,
    comparable_baseline,
    compute_performance,
    deterioration_pvalues,
    label_text,
    multiclass_deterioration_pvalues,
    multiclass_performance,
    reference_definition_matches,
)
from driftscope.model.predict import Predictions, logged_predictions, predict
from driftscope.model.scoring import (
    check_inferred_direction,
    check_logged,
    in_sample_evidence,
    labels_from,
    model_classes,
    out_of_fold,
    resolve_coding,
    restore_categoricals,
    select_model_input,
)
from driftscope.profile.model import CategoricalProfile, ColumnProfile, NumericProfile
from driftscope.progress import Progress
from driftscope.result import (
    ClassPerformance,
    ConfusionMatrix,
    DatasetInfo,
    FeatureResult,
    Finding,
    ModelInfo,
    PerformanceResult,
    RunInfo,
    RunResult,
    Severity,
)
from driftscope.usercode import UserCodeExit

SMALL_BATCH = 30
"""Fewer current rows than this get a finding: statuses then rarely pass significance."""


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _version() -> str:
    from driftscope import __version__

    return __version__


# -- artifacts -----------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Artifacts:
    """The model, its metadata and the feature-engineering function, loaded once per round."""

    model: Any = None
    model_path: str | None = None
    metadata: ModelMetadata | None = None
    feature_fn: FeatureFn | None = None

    @classmethod
    def load(cls, cfg: MonitoringConfig) -> Artifacts:
        metadata = load_metadata(cfg.metadata) if cfg.metadata else None
        model = load_model(cfg.model, cfg.model_trusted_types) if cfg.model else None
        fn = (load_feature_engineering(cfg.feature_engineering, cfg.model_trusted_types)
              if cfg.feature_engineering else None)
        return cls(model=model, model_path=cfg.model, metadata=metadata, feature_fn=fn)

    def target(self, cfg: MonitoringConfig) -> str | None:
        return cfg.target or (self.metadata.target if self.metadata else None)

    def positive_class(self, cfg: MonitoringConfig) -> str | None:
        return cfg.positive_class or (self.metadata.positive_class if self.metadata else None)

    def model_info(self, cfg: MonitoringConfig) -> ModelInfo | None:
        if self.metadata is None and self.model is None:
            return None
        md = self.metadata
        name = md.name if md and md.name else (Path(self.model_path).stem if self.model_path
                                               else None)
        return ModelInfo(name=name, version=md.version if md else None,
                         trained_at=md.trained_at if md else None, target=self.target(cfg),
                         positive_class=self.positive_class(cfg))

    @property
    def needs_frame(self) -> bool:
        return self.model is not None or self.feature_fn is not None


@dataclass(frozen=True, eq=False)
class Side:
    """One side's data after feature engineering and scoring."""

    table: pa.Table
    engineered: pa.Table | None
    predictions: Predictions | None
    labels: np.ndarray | None
    prediction_error: str | None = None
    findings: tuple[Finding, ...] = ()
    model_columns: list[str] | None = None
    """The columns the model was given, in order (for the current side to follow)."""
    coding: LabelCoding | None = None
    """How the target's labels map onto the model's classes (the current side follows)."""
    categories: dict[str, list[Any]] = field(default_factory=dict)
    """Categorical dtypes restored for the model (the current side follows)."""
    target_labels: np.ndarray | None = None
    """The target as the data holds it (before ``coding``): target drift is in these terms."""


def _prepare(table: pa.Table, cfg: MonitoringConfig, art: Artifacts, side: str,
             target: str | None, model_columns: list[str] | None = None,
             inherited: Mapping[str, Any] | None = None,
             progress: Progress | None = None) -> Side:
    """Feature engineering, the model's input and predictions, and the labels in the model's
    coding. ``inherited``: what the reference side decided (baseline settings ``labels`` and
    ``categories``), so both sides are scored alike."""
    inh = inherited or {}
    engineered = None
    frame: pd.DataFrame | None = None
    target_from_fe = bool(target and target not in table.column_names and art.feature_fn)
    if art.needs_frame or cfg.proba_column or cfg.prediction_column or target_from_fe:
        frame = table.to_pandas()
    model_input = frame
    if art.feature_fn is not None and frame is not None:
        eng = apply_feature_engineering(art.feature_fn, frame, side)
        model_input = eng
        new_cols = [c for c in eng.columns if c not in set(table.column_names) and c != target]
        try:
            engineered = pa.Table.from_pandas(eng[new_cols], preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
            raise ArtifactError(
                f"feature engineering produced a column with mixed types on the {side} data "
                f"({str(err).splitlines()[0]})"
            ) from None
    # the target: a column of the data, or one the feature engineering made
    raw_labels = _labels(table, target)
    if raw_labels is None:
        raw_labels = labels_from(model_input, target)
    name = Path(art.model_path or "model").name
    md = art.metadata
    explicit = LabelCoding.from_config(cfg.labels or (md.labels if md else None))
    inherited_coding = (LabelCoding(dict(inh["labels"]), inferred=True) if inh.get("labels")
                        and explicit is None else None)
    positive = art.positive_class(cfg)
    messages: list[str] = []
    predictions = None
    used_columns: list[str] | None = None
    categories: dict[str, list[Any]] = {}
    coding: LabelCoding | None
    if art.model is not None and model_input is not None:
        X = select_model_input(model_input, art.model, md.features if md else None,
                               model_columns, _excluded(cfg, target), side,
                               art.feature_fn is not None, name)
        X, categories = restore_categoricals(X, art.model, dict(inh.get("categories") or {}))
        used_columns = [str(c) for c in X.columns]
        classes = model_classes(art.model, name)
        coding = resolve_coding(raw_labels if side == "reference" else None, classes,
                                explicit, inherited_coding, positive)
        positive = coding.translate(positive) if coding else positive
        labels = coding.apply(raw_labels) if coding and raw_labels is not None else raw_labels
        try:
            if side == "reference" and cfg.reference_predictions == "out_of_fold":
                if labels is None:
                    raise ArtifactError("reference_predictions: out_of_fold needs the target "
                                        "on the reference (set --target)")
                if progress is not None:
                    progress.stage(f"out-of-fold reference predictions ({cfg.oof_folds} fits)",
                                   cfg.oof_folds)
                predictions = out_of_fold(art.model, X, labels, positive, cfg.oof_folds,
                                          cfg.seed, name, progress.step if progress else None)
            else:
                predictions = predict(art.model, X, positive, side, name)
        except ArtifactError as err:
            if side == "reference" or isinstance(err, UserCodeExit):
                raise  # an exit or interrupt from the model stops the round on any side
            # production data the model cannot score is a finding of the round, not bad input
            return Side(table=table, engineered=engineered, predictions=None, labels=labels,
                        prediction_error=str(err), coding=coding, categories=categories,
                        target_labels=raw_labels)
        if labels is not None and classes:
            messages += check_labels(labels, classes, side, target, "the model")
        if coding is not None and coding.inferred and side == "reference" and labels is not None:
            check_inferred_direction(labels, predictions, coding, positive)
    elif (cfg.proba_column or cfg.prediction_column) and frame is not None:
        logged = (frame[cfg.prediction_column] if cfg.prediction_column in frame.columns
                  else None)
        values = None if logged is None else sorted(
            {t for t in (label_text(v) for v in logged if not pd.isna(v)) if t is not None})
        coding = resolve_coding(raw_labels if side == "reference" else None, values,
                                explicit, inherited_coding, positive)
        positive = coding.translate(positive) if coding else positive
        labels = coding.apply(raw_labels) if coding and raw_labels is not None else raw_labels
        predictions = logged_predictions(frame, cfg.proba_column, cfg.prediction_column,
                                         positive, side)
        messages += check_logged(predictions, labels, positive, cfg.proba_column,
                                 cfg.prediction_column, side)
    else:
        coding = explicit or inherited_coding
        labels = coding.apply(raw_labels) if coding and raw_labels is not None else raw_labels
    findings = [Finding(column=target, message=m) for m in messages]
    if coding is not None and coding.inferred and side == "reference" and not inh:
        findings.append(Finding(column=target, message=(
            f"the target's labels were mapped to the model's classes ({coding.describe()}) "
            "from positive_class; set 'labels:' in the config to choose another mapping")))
    return Side(table=table, engineered=engineered, predictions=predictions, labels=labels,
                findings=tuple(findings), model_columns=used_columns, coding=coding,
                categories=categories, target_labels=raw_labels)


def _labels(table: pa.Table, target: str | None) -> np.ndarray | None:
    if target is None or target not in table.column_names:
        return None
    return np.asarray([label_text(v) for v in table.column(target).to_pylist()], dtype=object)


def _prediction_profiles(side: Side, reference: Mapping[str, ColumnProfile] | None
                         ) -> list[tuple[ColumnSpec, ColumnProfile]]:
    """The prediction columns of a side: ``prediction`` (the positive class's probability),
    ``predicted_class`` and, for a multiclass model, ``prediction[<class>]`` per class
    (origin ``class_probability``); numerical ones binned like the reference's."""
    out: list[tuple[ColumnSpec, ColumnProfile]] = []
    p = side.predictions
    if p is None:
        return out

    def numeric(name: str, origin: Any, values: np.ndarray) -> None:
        ref = reference.get(name) if reference else None
        binning = ref.binning if isinstance(ref, NumericProfile) else None
        out.append((ColumnSpec(name, "numerical", origin),
                    profile_numeric(name, values, binning)))

    # a multiclass model has a single score only when a positive class is named
    if p.proba is not None and (not p.multiclass or p.positive_class is not None):
        numeric("prediction", "prediction", p.proba)
    if p.label is not None:
        out.append((ColumnSpec("predicted_class", "categorical", "predicted_class"),
                    profile_categorical("predicted_class", pa.array(list(p.label),
                                                                    type=pa.string()))))
    if p.multiclass and p.matrix is not None:
        for j, cls in enumerate(p.classes):
            numeric(class_probability_name(cls), "class_probability",
                    np.asarray(p.matrix[:, j], dtype=np.float64))
    return out


def class_probability_name(cls: str) -> str:
    """The column name of a class's probability: ``prediction[<class>]``."""
    return f"prediction[{cls}]"


def _target_profile(side: Side, target: str | None) -> list[tuple[ColumnSpec, ColumnProfile]]:
    """The label distribution of the labelled rows: labels that have not arrived yet are not a
    shift of the labels (the round's findings count them)."""
    labels = side.target_labels if side.target_labels is not None else side.labels
    if target is None or labels is None:
        return []
    known = [v for v in labels if v is not None]
    if not known:
        return []
    return [(ColumnSpec(target, "categorical", "target"),
             profile_categorical(target, pa.array(known, type=pa.string())))]


# -- baseline ------------------------------------------------------------------------------

def _excluded(cfg: MonitoringConfig, target: str | None) -> set[str]:
    return {c for c in (target, cfg.proba_column, cfg.prediction_column, cfg.timestamp_column)
            if c}


IDENTIFIER_MIN_ROWS = 50


def _looks_like_identifier(spec: ColumnSpec, prof: ColumnProfile, table: pa.Table,
                           cfg: MonitoringConfig) -> str | None:
    """Why a column is an identifier, or None: its "drift" is certain and meaningless (an
    increasing id in a time-ordered batch lies wholly above the reference's). Three rules, each
    independent of how the reference was sampled except the counter's:

    * a column named like an identifier (:func:`driftscope.inputs.schema.identifier_name`:
      ``id``, ``loan_id``, ``LoanId``, ``customerID``, ``uuid``, ``rownames``, ``account_key``,
      …) of text or whole numbers, at least half of whose values are distinct;
    * a text column whose values are (nearly, ≥ 95 %) all distinct (keys, free text);
    * an integer column of nearly distinct, densely numbered values (a counter), whatever its
      name.

    A float column of amounts is never one, however distinct. Columns the config names
    explicitly are kept."""
    from driftscope.config.models import matches
    from driftscope.inputs.schema import identifier_name

    if matches(spec.name, cfg.categorical) or matches(spec.name, cfg.numerical) or \
            (cfg.columns is not None and spec.name in cfg.columns):
        return None
    if prof.count < IDENTIFIER_MIN_ROWS:
        return None
    named = identifier_name(spec.name)
    if isinstance(prof, CategoricalProfile):
        distinct = len(prof.counts)
        if named and distinct >= 0.5 * prof.count:
            return (f"its name reads as an identifier and {distinct} of its {prof.count} "
                    "values are distinct")
        if distinct >= 0.95 * prof.count:
            return f"{distinct} distinct values in {prof.count} rows"
        return None
    if not isinstance(prof, NumericProfile) or prof.sorted_values is None \
            or prof.moments.count != prof.count:
        return None
    v = prof.sorted_values
    distinct = int(np.count_nonzero(v[1:] != v[:-1])) + 1
    t = table.schema.field(spec.name).type
    whole = pa.types.is_integer(t) or bool(np.all(v == np.floor(v)))
    if named and whole and distinct >= 0.5 * prof.count:
        return (f"its name reads as an identifier and {distinct} of its {prof.count} whole "
                "numbers are distinct")
    if pa.types.is_integer(t) and distinct >= 0.95 * prof.count:
        # a counter: nearly all distinct and densely numbered, unlike amounts
        lo, hi = prof.moments.min, prof.moments.max
        if hi - lo + 1 <= 2 * prof.count:
            return (f"a counter: {distinct} distinct integers in {prof.count} rows, numbered "
                    f"densely from {lo:.0f} to {hi:.0f}")
    return None


def build_baseline(
    reference: Any,
    config: MonitoringConfig | None = None,
    artifacts: Artifacts | None = None,
    progress: Progress | None = None,
) -> Baseline:
    """Profile the reference once: bins, counts, sorted values, predictions, target."""
    cfg = config or MonitoringConfig()
    art = artifacts or Artifacts.load(cfg)
    prog = progress or Progress(enabled=False)
    table, source = to_arrow(reference, "reference")
    target = art.target(cfg)
    if target is not None and target not in table.column_names and cfg.target \
            and art.feature_fn is None:  # else the feature engineering may make it
        names = table.column_names
        listed = ", ".join(names[:15]) + (", …" if len(names) > 15 else "")
        raise ConfigError(f"target: column {quoted(target)} is not in the reference ({source}); "
                          f"its columns are {listed}")
    specs, findings = infer_columns(table, cfg, _excluded(cfg, target), "raw", source)
    side = _prepare(table, cfg, art, "reference", target, progress=prog)
    if target is not None and cfg.target and side.labels is None:
        raise ConfigError(f"target: column {quoted(target)} is in neither the reference "
                          f"({source}) nor the feature engineering's output")
    prog.stage("profiling reference", len(specs))
    raw = profile_table(table, specs, None, cfg.max_value_bins, cfg.workers, prog.step)
    ids: list[ColumnSpec] = []
    for s in specs:
        why = _looks_like_identifier(s, raw.columns[s.name], table, cfg)
        if why is not None:
            ids.append(s)
            findings.append(Finding(column=s.name, message=(
                f"column {quoted(s.name)} looks like an identifier ({why}) and is not "
                f"monitored; list it under {s.type} in the config to monitor it anyway")))
    specs = [s for s in specs if s not in ids]
    columns: list[tuple[ColumnSpec, ColumnProfile]] = [(s, raw.columns[s.name]) for s in specs]
    if side.engineered is not None:
        eng_specs, eng_findings = infer_columns(side.engineered, cfg, set(), "engineered",
                                                "engineered reference")
        findings += eng_findings
        eng = profile_table(side.engineered, eng_specs, None, cfg.max_value_bins, cfg.workers)
        columns += [(s, eng.columns[s.name]) for s in eng_specs]
    columns += _prediction_profiles(side, None)
    columns += _target_profile(side, target)
    if not specs:
        raise InputError(f"{source}: no column left to monitor; check columns/ignore in the "
                         "config")
    findings += side.findings  # label mapping and coding notes of the reference
    reference_performance = _reference_performance(side, art, cfg)
    in_sample = None
    if reference_performance and cfg.reference_predictions == "model":
        labelled = 0 if side.labels is None else sum(v is not None for v in side.labels)
        in_sample = in_sample_evidence(reference_performance,
                                       dict(art.metadata.baseline) if art.metadata else {},
                                       labelled)
    if in_sample:
        findings.append(Finding(message=(
            f"the reference predictions look in-sample: {in_sample}. The model scored rows it "
            "was trained on, so its reference predictions are overconfident: prediction drift "
            "and the reference performance are not judged. Use a held-out reference, or set "
            "reference_predictions: out_of_fold")))
    return Baseline(
        source=source, rows=table.num_rows, columns=tuple(columns),
        findings=tuple(findings), model=art.model_info(cfg),
        settings={"max_value_bins": cfg.max_value_bins, "target": target,
                  "reference_columns": list(table.column_names),
                  "max_categories": cfg.max_categories,
                  "feature_engineering": cfg.feature_engineering,
                  "model_sha256": _sha256(art.model_path) if art.model_path else None,
                  "model_columns": side.model_columns,
                  "labels": side.coding.mapping if side.coding else None,
                  "categories": _plain_categories(side.categories),
                  "reference_predictions": cfg.reference_predictions,
                  "in_sample": in_sample,
                  "reference_performance": reference_performance,
                  "reference_labelled_rows": (None if side.labels is None else
                                              int(sum(v is not None for v in side.labels)))},
    )


def _advice(recommendation: str, in_sample: bool, self_baseline: bool = False,
            suspect: bool = False) -> str:
    """The recommendation, told that prediction drift and performance were not judged, that
    the performance baseline is the model's own score on the reference, or that predictions
    moved while no input did (a sign of an in-sample reference)."""
    if suspect and not recommendation.startswith("Retrain the model: its performance"):
        return (f"{recommendation} The predictions moved while no input did: if the reference "
                "is the model's training set, rebuild it from held-out data or with "
                "reference_predictions: out_of_fold.")
    if self_baseline and recommendation.startswith("Retrain the model: its performance"):
        recommendation = recommendation.replace(
            "Retrain the model: its performance fell well below the baseline",
            "Performance fell well below the model's performance on the reference data", 1)
        return (f"{recommendation} If the reference is the training set, that baseline is "
                "in-sample and overstates the drop: give a holdout baseline in the metadata or "
                "set reference_predictions: out_of_fold before deciding to retrain.")
    if not in_sample:
        return recommendation
    fix = ("Prediction drift and performance were not judged: the reference predictions are "
           "in-sample; rebuild the baseline from a held-out reference or with "
           "reference_predictions: out_of_fold.")
    if recommendation.startswith("Nothing to do"):
        return f"No input drift. {fix}"
    return f"{recommendation} {fix}"


def _unused_overrides(cfg: MonitoringConfig, columns: list[str]) -> list[Finding]:
    """A per-feature override (``features:``) that matches no column is most likely a typo:
    say so, with the closest column name."""
    import difflib

    from driftscope.config.models import matches

    out = []
    for pattern in cfg.features:
        if any(matches(c, [pattern]) for c in columns):
            continue
        close = difflib.get_close_matches(pattern, columns, n=1)
        hint = f" (did you mean {quoted(close[0])}?)" if close else ""
        out.append(Finding(message=f"the override features: {quoted(pattern)} matches no "
                           f"column{hint}; it had no effect"))
    return out


def _unexplained_shift(features: list[FeatureResult], prediction: FeatureResult | None,
                       predicted_class: FeatureResult | None,
                       class_probabilities: list[FeatureResult]) -> tuple[Any, Any, Any, Any]:
    """Predictions are a function of the inputs: when they drift while no input does, the
    likeliest cause is reference predictions the model made on its own training rows
    (overconfident), not a change in production. The prediction alerts are then at most
    WARNING and a finding names the likely cause and the fix."""
    preds = [r for r in (prediction, predicted_class, *class_probabilities) if r is not None]
    if not preds or any(f.status is not Severity.NORMAL for f in features) or \
            all(r.status is Severity.NORMAL for r in preds):
        return prediction, predicted_class, class_probabilities, None

    def capped(r: FeatureResult | None) -> FeatureResult | None:
        if r is None or r.status is not Severity.CRITICAL:
            return r
        import dataclasses

        return dataclasses.replace(r, status=Severity.WARNING, reason=(
            f"{r.reason.rstrip('.')}; no input drifted, so this is at most a WARNING (see "
            "the findings)."))

    finding = ("the predictions drifted although no input feature did. Predictions follow "
               "the inputs, so the likeliest cause is a reference the model was trained on: "
               "its predictions there are overconfident (in-sample). Use a held-out reference "
               "or reference_predictions: out_of_fold; if the reference is held out, the "
               "inputs moved jointly in a way no single feature shows")
    return (capped(prediction), capped(predicted_class),
            [r for r in map(capped, class_probabilities) if r is not None], finding)


def _not_judged(result: FeatureResult | None) -> FeatureResult | None:
    """A prediction column compared with in-sample reference predictions: its numbers are
    kept, its status is not an alert."""
    if result is None:
        return None
    import dataclasses

    return dataclasses.replace(
        result, status=Severity.NORMAL,
        reason=("Not judged: the reference predictions are the model's predictions on its "
                f"own training rows (see the findings); measured PSI {result.metrics.psi:.3f}."))


def _plain_categories(categories: dict[str, list[Any]]) -> dict[str, list[Any]] | None:
    """Categories as JSON values for the baseline (numpy scalars unwrapped); None when a
    category is not a plain value (then the current side re-derives them)."""
    out: dict[str, list[Any]] = {}
    for col, cats in categories.items():
        values = [c.item() if isinstance(c, np.generic) else c for c in cats]
        if not all(isinstance(v, (str, int, float, bool)) for v in values):
            return None
        out[col] = values
    return out or None


# -- the round -----------------------------------------------------------------------------

def resolve_config(config: Any, overrides: Mapping[str, Any]) -> MonitoringConfig:
    if config is None:
        return build_config({k: v for k, v in overrides.items() if v is not None})
    if isinstance(config, MonitoringConfig):
        if not overrides:
            return config
        merged = config.model_dump()
        merged.update({k: v for k, v in overrides.items() if v is not None})
        return build_config(merged)
    if isinstance(config, (str, os.PathLike)):
        return load_config(Path(config), dict(overrides))
    if isinstance(config, Mapping):
        merged = dict(config)
        merged.update({k: v for k, v in overrides.items() if v is not None})
        return build_config(merged)
    raise ConfigError(f"config: expected a MonitoringConfig, a mapping or a YAML path, got "
                      f"{type(config).__name__}")


def _select(bl: Baseline, cfg: MonitoringConfig) -> list[ColumnSpec]:
    """The baseline's raw columns this round monitors; settings that contradict the baseline
    (a type or binning it was not built with) are errors, not silently ignored."""
    from driftscope.config.models import matches

    specs = [s for s, _ in bl.by_origin("raw")]
    names = {s.name for s in specs}
    if cfg.columns is not None:
        absent = [c for c in cfg.columns if c not in names]
        if absent:
            where = bl.path or bl.source
            raise ConfigError(f"columns: {quoted(absent[0])} is not in the baseline ({where}); "
                              "rebuild the baseline to monitor it")
    built_bins = bl.settings.get("max_value_bins")
    if ("max_value_bins" in cfg.model_fields_set and built_bins is not None
            and cfg.max_value_bins != built_bins):
        raise ConfigError(f"max_value_bins: the baseline was built with {built_bins}; rebuild "
                          "it to change the binning")
    chosen = []
    for s in specs:
        if not cfg.is_enabled(s.name) or (cfg.columns is not None
                                          and s.name not in cfg.columns):
            continue
        for kind, patterns in (("categorical", cfg.categorical), ("numerical", cfg.numerical)):
            if s.type != kind and matches(s.name, patterns):
                raise ConfigError(f"{kind}: the baseline holds {quoted(s.name)} as {s.type}; "
                                  "rebuild the baseline with the new setting")
        chosen.append(s)
    return chosen


def _compare_all(pairs: list[tuple[ColumnProfile, ColumnProfile]], cfg: MonitoringConfig,
                 prog: Progress) -> list[ColumnComparison]:
    def one(pair: tuple[ColumnProfile, ColumnProfile]) -> ColumnComparison:
        out = compare_column(pair[0], pair[1], cfg.psi_pvalue_draws, cfg.seed,
                             max_categories=cfg.max_categories)
        prog.step()
        return out

    workers = cfg.workers or min(8, os.cpu_count() or 1)
    if workers <= 1 or len(pairs) <= 1:
        return [one(p) for p in pairs]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, pairs))


def _performance(cur: Side, art: Artifacts, cfg: MonitoringConfig,
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


def _prediction_status(prediction: FeatureResult | None, predicted_class: FeatureResult | None,
                       class_probabilities: list[FeatureResult]) -> FeatureResult | None:
    """The column that stands for prediction drift in the round's status: the positive
    class's score (binary); for a multiclass model the worst of the score, the predicted-class
    distribution and the per-class probabilities (the first of them on a tie)."""
    if not class_probabilities:
        return prediction if prediction is not None else predicted_class
    candidates = [c for c in (prediction, predicted_class, *class_probabilities) if c]
    return max(candidates, key=lambda c: Severity(c.status).rank)


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


def _reference_performance(side: Side, art: Artifacts, cfg: MonitoringConfig
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


def _check_baseline(bl: Baseline, cfg: MonitoringConfig, art: Artifacts) -> None:
    """Refuse a round whose model, target or feature engineering the baseline was not built
    with: its numbers would silently leave out or mismatch parts of the report."""
    where = bl.path or bl.source
    has_pred = bool(bl.by_origin("prediction", "predicted_class"))
    if (art.model is not None or cfg.proba_column or cfg.prediction_column) and not has_pred:
        raise ConfigError(f"the baseline {where} was built without a model or prediction "
                          "columns; rebuild it with the same --model / --proba-column to "
                          "monitor predictions")
    built_with = bl.settings.get("model_sha256")
    if art.model_path and built_with and _sha256(art.model_path) != built_with:
        raise ConfigError(f"--model {art.model_path} is not the model the baseline {where} "
                          "was built with; rebuild the baseline with this model")
    target = art.target(cfg)
    if target and not bl.by_origin("target") and bl.settings.get("target") != target:
        raise ConfigError(f"the baseline {where} was built without --target {target}"
                          f"{' and monitors it as a feature' if bl.get('raw', target) else ''}; "
                          "rebuild it with --target")
    fe = bl.settings.get("feature_engineering")
    if (cfg.feature_engineering or None) != (fe or None) and (fe or cfg.feature_engineering):
        raise ConfigError(f"the baseline {where} was built with feature_engineering "
                          f"{fe or 'none'}; use the same one or rebuild the baseline")


def _sha256(path: str) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _window(table: pa.Table, column: str | None) -> tuple[str | None, str | None]:
    """First and last time of the current batch, from the timestamp column."""
    if column is None:
        return None, None
    import pyarrow.compute as pc

    from driftscope.inputs.chunking import as_timestamp

    mm = pc.min_max(as_timestamp(table, column))
    lo, hi = mm["min"].as_py(), mm["max"].as_py()
    return (None if lo is None else lo.isoformat(), None if hi is None else hi.isoformat())


def _with_breaks(features: list[FeatureResult],
                 pairs: list[tuple[ColumnSpec, ColumnProfile, ColumnProfile]],
                 comparisons: list[ColumnComparison], breaks: Mapping[str, ColumnBreak]
                 ) -> list[FeatureResult]:
    """The round's features in column order, a broken column (missing from the current data,
    or of a type that cannot be compared) CRITICAL with its reason. Broken columns stay out
    of the Benjamini–Hochberg family and of the history rules: the break is a fact, not a
    sampling question."""
    if not breaks:
        return features
    by_name = {f.name: f for f in features}
    out: list[FeatureResult] = []
    for (spec, _, _), comp in zip(pairs, comparisons):
        brk = breaks.get(spec.name)
        if brk is not None:
            out.append(classify_schema_break(comp, brk.reason, brk.finding, spec.origin))
        elif spec.name in by_name:
            out.append(by_name[spec.name])
    return out


def _filled_findings(filled: tuple[str, ...], art: Artifacts, bl: Baseline) -> list[Finding]:
    """Say that the feature engineering or the model read a missing column as all missing."""
    if not filled or not art.needs_frame:
        return []
    model_columns = bl.settings.get("model_columns")
    read = [c for c in filled if art.feature_fn is not None or model_columns is None
            or c in model_columns]
    who = " and ".join(w for w, present in (("the feature engineering", art.feature_fn),
                                            ("the model", art.model)) if present is not None)
    return [Finding(column=c, message=(
        f"column {quoted(c)} is missing from the current data: {who} read it as all missing "
        "values")) for c in read]


def run(
    reference: Any = None,
    current: Any = None,
    config: Any = None,
    *,
    baseline: Baseline | str | os.PathLike[str] | None = None,
    progress: Progress | bool | None = None,
    history: Any = None,
    source: str | None = None,
    **overrides: Any,
) -> RunResult:
    """Run one monitoring round and return its typed result.

    Parameters
    ----------
    reference, current
        Paths (CSV, Parquet, a folder of them) or pandas / polars / pyarrow tables. ``reference``
        may be omitted when ``baseline`` is given.
    config
        A :class:`MonitoringConfig`, a mapping of its fields, or the path of a YAML file.
    baseline
        A saved baseline folder (``driftscope baseline``) or a :class:`Baseline`.
    progress
        True / False / a :class:`Progress`; default: show progress when stderr is a terminal.
    source
        How the result names the current data (default: its path, or the table's type).
    history
        A history store (:class:`driftscope.outputs.history.HistoryStore`) with earlier rounds:
        feature statuses then also follow trends and persistence over those rounds. It is
        only read: ``driftscope.write_outputs(result, out, history=store)`` records the round
        (together with its files, in the crash-safe order).
    **overrides
        Any config field (e.g. ``target="Status"``); wins over ``config``.
    """
    cfg = resolve_config(config, overrides)
    if reference is None:
        reference = cfg.reference
    if current is None:
        current = cfg.current
    if baseline is None and cfg.baseline:
        baseline = cfg.baseline
    prog = progress if isinstance(progress, Progress) else Progress(
        enabled=progress if isinstance(progress, bool) else
        (None if cfg.progress == "auto" else cfg.progress == "always"))
    started = _now()
    t0 = time.perf_counter()
    if current is None:
        raise ConfigError("current: no current data given; pass --current or set current in "
                          "the config")
    if reference is None and baseline is None:
        raise ConfigError("reference: no reference data given; pass --reference or --baseline")
    art = Artifacts.load(cfg)
    if baseline is not None:
        bl = baseline if isinstance(baseline, Baseline) else load_baseline(baseline)
        _check_baseline(bl, cfg, art)
    else:
        bl = build_baseline(reference, cfg, art, prog)
    target = art.target(cfg) or bl.settings.get("target")
    cur_table, cur_source = to_arrow(current, "current")
    cur_source = source or cur_source
    raw_specs = _select(bl, cfg)
    # a schema break (a column missing, text for numbers, a new column) is a finding of the
    # round; the data, the feature engineering and the model read the repaired table
    schema = check_current(raw_specs, cur_table, cur_source, bl.source,
                           bl.settings.get("reference_columns"), _excluded(cfg, target))
    breaks = dict(schema.breaks)
    cur = _prepare(schema.table, cfg, art, "current", target, bl.settings.get("model_columns"),
                   inherited=bl.settings)
    schema_findings = list(schema.findings) + _filled_findings(schema.filled, art, bl)

    prog.stage("profiling current", len(raw_specs))
    ref_raw = {s.name: p for s, p in bl.by_origin("raw")}
    cur_raw = profile_table(schema.table, raw_specs, ref_raw, cfg.max_value_bins, cfg.workers,
                            prog.step)
    pairs: list[tuple[ColumnSpec, ColumnProfile, ColumnProfile]] = [
        (s, ref_raw[s.name], cur_raw.columns[s.name]) for s in raw_specs]
    eng = [(s, p) for s, p in bl.by_origin("engineered") if cfg.is_enabled(s.name)]
    if eng:
        if cur.engineered is None:
            raise ConfigError("the baseline holds engineered features; pass the same "
                              "feature_engineering for the current data")
        eng_specs = [s for s, _ in eng]
        eng_schema = check_current(eng_specs, cur.engineered, "engineered current data",
                                   bl.source)
        breaks.update(eng_schema.breaks)
        schema_findings += eng_schema.findings
        ref_eng = {s.name: p for s, p in eng}
        cur_eng = profile_table(eng_schema.table, eng_specs, ref_eng, cfg.max_value_bins,
                                cfg.workers)
        pairs += [(s, ref_eng[s.name], cur_eng.columns[s.name]) for s in eng_specs]
    ref_pred = {s.name: p for s, p in bl.by_origin("prediction", "predicted_class",
                                                   "class_probability")}
    extra_pairs: list[tuple[ColumnSpec, ColumnProfile, ColumnProfile]] = []
    pred_findings: list[Finding] = []
    for spec, prof in _prediction_profiles(cur, ref_pred):
        if spec.name in ref_pred:
            extra_pairs.append((spec, ref_pred[spec.name], prof))
        elif spec.origin == "class_probability" and not pred_findings:
            pred_findings.append(Finding(message=(
                "the reference side holds no per-class probabilities of this multiclass "
                "model (a baseline saved by an earlier driftscope, or reference predictions "
                "without them): their drift was not measured; rebuild the baseline")))
    tgt = bl.by_origin("target")
    for spec, prof in _target_profile(cur, target):
        if tgt:
            extra_pairs.append((spec, tgt[0][1], prof))

    prog.stage("comparing", len(pairs) + len(extra_pairs))
    comps = _compare_all([(r, c) for _, r, c in pairs + extra_pairs], cfg, prog)
    feature_comps = comps[:len(pairs)]
    kept = [i for i, (s, _, _) in enumerate(pairs) if s.name not in breaks]
    features = classify_columns([feature_comps[i] for i in kept], cfg,
                                [pairs[i][0].origin for i in kept])
    baseline_id = bl.path or f"{bl.source} ({bl.rows} rows)"
    points = [] if history is None else history.series(
        [f.name for f in features], last=cfg.trend.window, origins=["raw", "engineered"])
    features = apply_history(features, past_by_column(points, baseline_id), cfg)
    features = _with_breaks(features, pairs, feature_comps, breaks)
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
        prediction, predicted_class = (_not_judged(r) for r in (prediction, predicted_class))
        class_probabilities = [r for r in map(_not_judged, class_probabilities) if r]
    performance, perf_findings = _performance(
        cur, art, cfg, None if in_sample else bl.settings.get("reference_performance"),
        bl.settings.get("reference_labelled_rows"))
    suspect = None
    if not in_sample and bl.settings.get("reference_predictions", "model") == "model":
        prediction, predicted_class, class_probabilities, suspect = _unexplained_shift(
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
    pred_status = _prediction_status(prediction, predicted_class, class_probabilities)
    status, reason = round_status(features, cfg, pred_status, performance, target_result)
    # the advice for the rest of the round; broken columns get their own (schema_break_advice)
    intact = [f for f in features if f.name not in breaks]
    intact_status = (round_status(intact, cfg, pred_status, performance, target_result)[0]
                     if breaks else status)
    if breaks:  # a broken feed is never a quiet round, even when features count by share
        status = Severity.worst([status, Severity.WARNING])
        shown = ", ".join(clip(b) for b in list(breaks)[:5]) + (", …" if len(breaks) > 5 else "")
        reason = (f"{reason.rstrip('.')}; the current data breaks the reference's schema "
                  f"({shown}).")
    findings = (list(bl.findings) + list(cur.findings) + pred_findings + perf_findings
                + schema_findings + _unused_overrides(cfg, [s.name for s, _ in bl.columns]))
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
    if cur_table.num_rows < SMALL_BATCH:
        findings.append(Finding(message=(
            f"only {cur_table.num_rows} current row{'s' if cur_table.num_rows != 1 else ''}: "
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
                                   "--model" if ref_pred else "")))
    w_start, w_end = _window(cur_table, cfg.timestamp_column)
    counts = {s.value: sum(f.status is s for f in features) for s in Severity}
    prog.close()
    return RunResult(
        run=RunInfo(
            id=f"{started.replace(':', '').replace('-', '')}-{uuid.uuid4().hex[:8]}",
            started_at=started,
            finished_at=_now(),
            duration_seconds=round(time.perf_counter() - t0, 3),
            reference=DatasetInfo(rows=bl.rows, source=bl.source,
                                  columns=len(bl.by_origin("raw"))),
            current=DatasetInfo(rows=cur_table.num_rows, source=cur_source,
                                columns=cur_table.num_columns),
            baseline=baseline_id,
            model=art.model_info(cfg) or bl.model,
            window_start=w_start,
            window_end=w_end,
            driftscope_version=_version(),
        ),
        status=status,
        reason=reason,
        recommendation=schema_break_advice(
            (_advice(recommend(intact_status, intact, pred_status, performance,
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
