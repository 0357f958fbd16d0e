"""One monitoring round: inputs → features → profiles → metrics → policy → RunResult."""

from __future__ import annotations

import datetime as _dt
import os
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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
    recommend,
    round_status,
)
from driftscope.compare.column import ColumnComparison, compare_column
from driftscope.config.loader import build_config, load_config
from driftscope.config.models import MonitoringConfig
from driftscope.errors import ArtifactError, ConfigError, InputError
from driftscope.features import FeatureFn, apply_feature_engineering, load_feature_engineering
from driftscope.inputs.readers import to_arrow
from driftscope.inputs.schema import ColumnSpec, check_current, infer_columns
from driftscope.limits import quoted
from driftscope.model.loading import load_model
from driftscope.model.metadata import ModelMetadata, load_metadata
from driftscope.model.performance import (
    compute_performance,
    deterioration_pvalues,
    label_text,
)
from driftscope.model.predict import Predictions, logged_predictions, predict
from driftscope.profile.model import CategoricalProfile, ColumnProfile, NumericProfile
from driftscope.progress import Progress
from driftscope.result import (
    DatasetInfo,
    FeatureResult,
    Finding,
    ModelInfo,
    PerformanceResult,
    RunInfo,
    RunResult,
    Severity,
)
from driftscope.usercode import user_code

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


def _prepare(table: pa.Table, cfg: MonitoringConfig, art: Artifacts, side: str,
             target: str | None, model_columns: list[str] | None = None) -> Side:
    engineered = None
    predictions = None
    used_columns: list[str] | None = None
    frame: pd.DataFrame | None = None
    if art.needs_frame or cfg.proba_column or cfg.prediction_column:
        frame = table.to_pandas()
    model_input = frame
    if art.feature_fn is not None and frame is not None:
        eng = apply_feature_engineering(art.feature_fn, frame, side)
        model_input = eng
        new_cols = [c for c in eng.columns if c not in set(table.column_names)]
        try:
            engineered = pa.Table.from_pandas(eng[new_cols], preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
            raise ArtifactError(
                f"feature engineering produced a column with mixed types on the {side} data "
                f"({str(err).splitlines()[0]})"
            ) from None
    if art.model is not None and model_input is not None:
        md = art.metadata
        if md and md.features:
            absent = [f for f in md.features if f not in model_input.columns]
            if absent:
                raise ArtifactError(
                    f"metadata names feature {quoted(absent[0])} that the {side} data lacks"
                    f"{' after feature engineering' if art.feature_fn else ''}; fix the "
                    "metadata's features list or the data"
                )
        # give the model the columns it reads: the metadata's list, else what it was fit on,
        # else every column but the target and the logged / time columns
        with user_code(f"{Path(art.model_path or 'model').name}: reading the model's "
                       "feature_names_in_ failed"):
            names_in = getattr(art.model, "feature_names_in_", None)
            wanted = (md.features if md and md.features
                      else [] if names_in is None else [str(c) for c in names_in])
        if wanted:
            absent = [c for c in wanted if c not in model_input.columns]
            if absent:
                raise ArtifactError(
                    f"the model was fit on column {quoted(absent[0])} that the {side} data lacks"
                    f"{' after feature engineering' if art.feature_fn else ''}")
            model_input = model_input[wanted]
        elif model_columns is not None:  # the reference's columns, in the reference's order
            absent = [c for c in model_columns if c not in model_input.columns]
            if absent:
                raise ArtifactError(f"the model reads column {quoted(absent[0])} that the {side} "
                                    "data lacks; add it to the data")
            model_input = model_input[model_columns]
        else:
            drop = [c for c in model_input.columns if c in _excluded(cfg, target)]
            model_input = model_input.drop(columns=drop)
        used_columns = [str(c) for c in model_input.columns]
        try:
            predictions = predict(art.model, model_input, art.positive_class(cfg), side,
                                  Path(art.model_path or "model").name)
        except ArtifactError as err:
            if side == "reference":
                raise
            # production data the model cannot score is a finding of the round, not bad input
            return Side(table=table, engineered=engineered, predictions=None,
                        labels=_labels(table, target), prediction_error=str(err))
    elif (cfg.proba_column or cfg.prediction_column) and frame is not None:
        predictions = logged_predictions(frame, cfg.proba_column, cfg.prediction_column,
                                         art.positive_class(cfg), side)
    labels = _labels(table, target)
    findings: list[Finding] = []
    if labels is not None and predictions is not None and predictions.classes:
        seen = {v for v in labels if v is not None}
        foreign = sorted(seen - set(predictions.classes))
        if seen and foreign == sorted(seen):
            raise ArtifactError(
                f"the {side} target {quoted(target)} holds "
                f"{', '.join(map(quoted, foreign[:5]))}, none "
                f"of which is a class of the model ({', '.join(predictions.classes)}); check "
                "--target and how the labels are coded"
            )
        if foreign:
            findings.append(Finding(column=target, message=(
                f"{side} labels {', '.join(map(quoted, foreign[:5]))} are not classes of the "
                f"model ({', '.join(predictions.classes)})")))
    return Side(table=table, engineered=engineered, predictions=predictions, labels=labels,
                findings=tuple(findings), model_columns=used_columns)


def _labels(table: pa.Table, target: str | None) -> np.ndarray | None:
    if target is None or target not in table.column_names:
        return None
    return np.asarray([label_text(v) for v in table.column(target).to_pylist()], dtype=object)


def _prediction_profiles(side: Side, reference: Mapping[str, ColumnProfile] | None
                         ) -> list[tuple[ColumnSpec, ColumnProfile]]:
    out: list[tuple[ColumnSpec, ColumnProfile]] = []
    p = side.predictions
    if p is None:
        return out
    if p.proba is not None:
        ref = reference.get("prediction") if reference else None
        binning = ref.binning if isinstance(ref, NumericProfile) else None
        out.append((ColumnSpec("prediction", "numerical", "prediction"),
                    profile_numeric("prediction", p.proba, binning)))
    if p.label is not None:
        out.append((ColumnSpec("predicted_class", "categorical", "predicted_class"),
                    profile_categorical("predicted_class", pa.array(list(p.label),
                                                                    type=pa.string()))))
    return out


def _target_profile(side: Side, target: str | None) -> list[tuple[ColumnSpec, ColumnProfile]]:
    """The label distribution of the labelled rows: labels that have not arrived yet are not a
    shift of the labels (the round's findings count them)."""
    if target is None or side.labels is None:
        return []
    known = [v for v in side.labels if v is not None]
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
                           cfg: MonitoringConfig) -> bool:
    """A text column whose values are (nearly) all distinct (ids, keys, free text), or an
    integer column of (nearly) distinct, densely numbered values (a counter): its "drift" is
    certain and meaningless. Columns the config names explicitly are kept."""
    from driftscope.config.models import matches

    if matches(spec.name, cfg.categorical) or matches(spec.name, cfg.numerical) or \
            (cfg.columns is not None and spec.name in cfg.columns):
        return False
    if prof.count < IDENTIFIER_MIN_ROWS:
        return False
    if isinstance(prof, CategoricalProfile):
        return len(prof.counts) >= 0.95 * prof.count
    t = table.schema.field(spec.name).type
    if isinstance(prof, NumericProfile) and pa.types.is_integer(t) \
            and prof.sorted_values is not None and prof.moments.count == prof.count:
        # integers, nearly all distinct and densely numbered (a counter), unlike amounts
        v = prof.sorted_values
        distinct = int(np.count_nonzero(v[1:] != v[:-1])) + 1
        span = prof.moments.max - prof.moments.min + 1
        return distinct >= 0.95 * prof.count and span <= 2 * prof.count
    return False


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
    if target is not None and target not in table.column_names and cfg.target:
        names = table.column_names
        listed = ", ".join(names[:15]) + (", …" if len(names) > 15 else "")
        raise ConfigError(f"target: column {quoted(target)} is not in the reference ({source}); "
                          f"its columns are {listed}")
    specs, findings = infer_columns(table, cfg, _excluded(cfg, target), "raw", source)
    side = _prepare(table, cfg, art, "reference", target)
    prog.stage("profiling reference", len(specs))
    raw = profile_table(table, specs, None, cfg.max_value_bins, cfg.workers, prog.step)
    ids = [s for s in specs if _looks_like_identifier(s, raw.columns[s.name], table, cfg)]
    for s in ids:
        prof = raw.columns[s.name]
        if isinstance(prof, CategoricalProfile):
            distinct = len(prof.counts)
        else:
            sv = prof.sorted_values if prof.sorted_values is not None else np.empty(0)
            distinct = int(np.count_nonzero(sv[1:] != sv[:-1])) + 1
        findings.append(Finding(column=s.name, message=(
            f"column {quoted(s.name)} looks like an identifier ({distinct} distinct values in "
            f"{prof.count} rows) and is not monitored; list it under {s.type} in the config "
            "to monitor it anyway")))
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
    return Baseline(
        source=source, rows=table.num_rows, columns=tuple(columns),
        findings=tuple(findings), model=art.model_info(cfg),
        settings={"max_value_bins": cfg.max_value_bins, "target": target,
                  "max_categories": cfg.max_categories,
                  "feature_engineering": cfg.feature_engineering,
                  "model_sha256": _sha256(art.model_path) if art.model_path else None,
                  "model_columns": side.model_columns,
                  "reference_performance": _reference_performance(side, art, cfg)},
    )


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
                 reference_performance: dict[str, float] | None = None
                 ) -> tuple[PerformanceResult | None, list[Finding]]:
    if cur.labels is None or cur.predictions is None:
        return None, []
    positive = _positive_class(cur, art, cfg)
    if positive is None:
        return None, [Finding(message="performance was not measured: the labels are not 0/1 "
                              "and no positive class was given; set --positive-class")]
    values, n = compute_performance(cur.labels, cur.predictions.proba, cur.predictions.label,
                                    positive)
    baseline = dict(art.metadata.baseline) if art.metadata else {}
    source = "the metadata"
    if not baseline and reference_performance:
        # no holdout numbers: the model's performance on the labelled reference (in-sample
        # when the reference is the training set, so an optimistic baseline)
        baseline = {k: v for k, v in reference_performance.items() if v is not None}
        source = "the reference data"
    pvalues = deterioration_pvalues(cur.labels, cur.predictions.proba, cur.predictions.label,
                                    positive, values, baseline, cfg.seed)
    return classify_performance(values, baseline, pvalues, n, cfg, source), []


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
    positive = _positive_class(side, art, cfg)
    if positive is None:
        return None
    values, n = compute_performance(side.labels, side.predictions.proba,
                                    side.predictions.label, positive)
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
        feature statuses then also follow trends and persistence over those rounds.
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
    check_current(raw_specs, cur_table, cur_source, bl.source)
    cur = _prepare(cur_table, cfg, art, "current", target, bl.settings.get("model_columns"))

    prog.stage("profiling current", len(raw_specs))
    ref_raw = {s.name: p for s, p in bl.by_origin("raw")}
    cur_raw = profile_table(cur_table, raw_specs, ref_raw, cfg.max_value_bins, cfg.workers,
                            prog.step)
    pairs: list[tuple[ColumnSpec, ColumnProfile, ColumnProfile]] = [
        (s, ref_raw[s.name], cur_raw.columns[s.name]) for s in raw_specs]
    eng = [(s, p) for s, p in bl.by_origin("engineered") if cfg.is_enabled(s.name)]
    if eng:
        if cur.engineered is None:
            raise ConfigError("the baseline holds engineered features; pass the same "
                              "feature_engineering for the current data")
        eng_specs = [s for s, _ in eng]
        check_current(eng_specs, cur.engineered, "engineered current data", bl.source)
        ref_eng = {s.name: p for s, p in eng}
        cur_eng = profile_table(cur.engineered, eng_specs, ref_eng, cfg.max_value_bins,
                                cfg.workers)
        pairs += [(s, ref_eng[s.name], cur_eng.columns[s.name]) for s in eng_specs]
    ref_pred = {s.name: p for s, p in bl.by_origin("prediction", "predicted_class")}
    extra_pairs: list[tuple[ColumnSpec, ColumnProfile, ColumnProfile]] = []
    for spec, prof in _prediction_profiles(cur, ref_pred):
        if spec.name in ref_pred:
            extra_pairs.append((spec, ref_pred[spec.name], prof))
    tgt = bl.by_origin("target")
    for spec, prof in _target_profile(cur, target):
        if tgt:
            extra_pairs.append((spec, tgt[0][1], prof))

    prog.stage("comparing", len(pairs) + len(extra_pairs))
    comps = _compare_all([(r, c) for _, r, c in pairs + extra_pairs], cfg, prog)
    feature_comps = comps[:len(pairs)]
    features = classify_columns(feature_comps, cfg, [s.origin for s, _, _ in pairs])
    baseline_id = bl.path or f"{bl.source} ({bl.rows} rows)"
    points = [] if history is None else history.series(
        [f.name for f in features], last=cfg.trend.window, origins=["raw", "engineered"])
    features = apply_history(features, past_by_column(points, baseline_id), cfg)
    singles = {s.origin: classify_columns([c], cfg, [s.origin])[0]
               for (s, _, _), c in zip(extra_pairs, comps[len(pairs):])}
    prediction: FeatureResult | None = singles.get("prediction")
    predicted_class = singles.get("predicted_class")
    target_result = singles.get("target")
    performance, perf_findings = _performance(cur, art, cfg,
                                              bl.settings.get("reference_performance"))
    pred_status = prediction
    if prediction is None and predicted_class is not None:
        pred_status = predicted_class
    status, reason = round_status(features, cfg, pred_status, performance, target_result)
    findings = list(bl.findings) + list(cur.findings) + perf_findings
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
        recommendation=(recommend(status, features, pred_status, performance, target_result)
                        if cur.prediction_error is None else
                        "Investigate why the model could not score the current data "
                        "(see the findings) before trusting this round."),
        features=tuple(features),
        counts=counts,
        prediction=prediction,
        predicted_class=predicted_class,
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
