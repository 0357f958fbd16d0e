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
from driftscope.model.loading import load_model
from driftscope.model.metadata import ModelMetadata, load_metadata
from driftscope.model.performance import (
    compute_performance,
    deterioration_pvalues,
    label_text,
)
from driftscope.model.predict import Predictions, logged_predictions, predict
from driftscope.profile.model import ColumnProfile, NumericProfile
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


def _prepare(table: pa.Table, cfg: MonitoringConfig, art: Artifacts, side: str,
             target: str | None) -> Side:
    engineered = None
    predictions = None
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
                    f"metadata names feature {absent[0]!r} that the {side} data lacks"
                    f"{' after feature engineering' if art.feature_fn else ''}; fix the "
                    "metadata's features list or the data"
                )
        # give the model the columns it reads: the metadata's list, else what it was fit on
        wanted = (md.features if md and md.features
                  else [str(c) for c in getattr(art.model, "feature_names_in_", [])])
        if wanted:
            absent = [c for c in wanted if c not in model_input.columns]
            if absent:
                raise ArtifactError(
                    f"the model was fit on column {absent[0]!r} that the {side} data lacks"
                    f"{' after feature engineering' if art.feature_fn else ''}")
            model_input = model_input[wanted]
        predictions = predict(art.model, model_input, art.positive_class(cfg), side,
                              Path(art.model_path or "model").name)
    elif (cfg.proba_column or cfg.prediction_column) and frame is not None:
        predictions = logged_predictions(frame, cfg.proba_column, cfg.prediction_column,
                                         art.positive_class(cfg), side)
    labels = None
    if target is not None and target in table.column_names:
        labels = np.asarray([label_text(v) for v in table.column(target).to_pylist()],
                            dtype=object)
    return Side(table=table, engineered=engineered, predictions=predictions, labels=labels)


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
    if target is None or side.labels is None:
        return []
    return [(ColumnSpec(target, "categorical", "target"),
             profile_categorical(target, pa.array(list(side.labels), type=pa.string())))]


# -- baseline ------------------------------------------------------------------------------

def _excluded(cfg: MonitoringConfig, target: str | None) -> set[str]:
    return {c for c in (target, cfg.proba_column, cfg.prediction_column, cfg.timestamp_column)
            if c}


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
        raise ConfigError(f"target: column {target!r} is not in the reference ({source})")
    specs, findings = infer_columns(table, cfg, _excluded(cfg, target), "raw", source)
    side = _prepare(table, cfg, art, "reference", target)
    prog.stage("profiling reference", len(specs))
    raw = profile_table(table, specs, None, cfg.max_value_bins, cfg.workers, prog.step)
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
        settings={"max_value_bins": cfg.max_value_bins, "target": target},
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
            raise ConfigError(f"columns: {absent[0]!r} is not in the baseline ({where}); "
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
                raise ConfigError(f"{kind}: the baseline holds {s.name!r} as {s.type}; rebuild "
                                  f"the baseline with the new setting")
        chosen.append(s)
    return chosen


def _compare_all(pairs: list[tuple[ColumnProfile, ColumnProfile]], cfg: MonitoringConfig,
                 prog: Progress) -> list[ColumnComparison]:
    def one(pair: tuple[ColumnProfile, ColumnProfile]) -> ColumnComparison:
        out = compare_column(pair[0], pair[1], cfg.psi_pvalue_draws, cfg.seed)
        prog.step()
        return out

    workers = cfg.workers or min(8, os.cpu_count() or 1)
    if workers <= 1 or len(pairs) <= 1:
        return [one(p) for p in pairs]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, pairs))


def _performance(cur: Side, art: Artifacts, cfg: MonitoringConfig) -> PerformanceResult | None:
    if cur.labels is None or cur.predictions is None:
        return None
    positive = cur.predictions.positive_class or art.positive_class(cfg)
    if positive is None:
        return None
    values, n = compute_performance(cur.labels, cur.predictions.proba, cur.predictions.label,
                                    positive)
    baseline = dict(art.metadata.baseline) if art.metadata else {}
    pvalues = deterioration_pvalues(cur.labels, cur.predictions.proba, cur.predictions.label,
                                    positive, values, baseline, cfg.seed)
    return classify_performance(values, baseline, pvalues, n, cfg)


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
    else:
        bl = build_baseline(reference, cfg, art, prog)
    target = art.target(cfg) or bl.settings.get("target")
    cur_table, cur_source = to_arrow(current, "current")
    raw_specs = _select(bl, cfg)
    check_current(raw_specs, cur_table, cur_source, bl.source)
    cur = _prepare(cur_table, cfg, art, "current", target)

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
    performance = _performance(cur, art, cfg)
    pred_status = prediction
    if prediction is None and predicted_class is not None:
        pred_status = predicted_class
    status, reason = round_status(features, cfg, pred_status, performance)
    findings = list(bl.findings)
    for f in features:
        findings += [Finding(column=f.name, message=m) for m in f.findings]
    if cur.labels is None and (cur.predictions is not None):
        findings.append(Finding(message="the current data has no labels"
                                f"{f' (no column {target!r})' if target else ''}: "
                                "performance was not measured"))
    if art.model is None and not (cfg.proba_column or cfg.prediction_column):
        findings.append(Finding(message="no model and no logged prediction columns: "
                                "prediction drift was not measured"))
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
        recommendation=recommend(status, features, pred_status, performance),
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
