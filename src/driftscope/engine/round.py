"""One monitoring round: inputs → features → profiles → metrics → policy → RunResult.

:func:`run_round` is the round itself, given what a :class:`driftscope.monitor.Monitor` holds
(config, artifacts, baseline, history); :func:`driftscope.run` and every front end reach it
through a Monitor.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa

from driftscope.backends import ProfileSettings, get_backend
from driftscope.baseline import Baseline
from driftscope.config.models import MonitoringConfig
from driftscope.engine.artifacts import Artifacts
from driftscope.engine.checks import select_columns, window
from driftscope.engine.derived import prediction_profiles, target_profile
from driftscope.engine.judge import CurrentData, Pair, judge, now
from driftscope.engine.prepare import Side, excluded, logged_columns, prepare
from driftscope.engine.verdict import filled_findings
from driftscope.errors import ConfigError, InputError
from driftscope.inputs.batches import BatchSource, FileSource, RepairedSource, TableSource
from driftscope.inputs.readers import to_arrow
from driftscope.inputs.schema import ColumnBreak, CurrentSchema, check_current
from driftscope.profile.model import ColumnProfile
from driftscope.progress import Progress
from driftscope.result import Finding, RunResult
from driftscope.store.reader import HistoryReader


def run_round(bl: Baseline, cfg: MonitoringConfig, art: Artifacts, current: Any, *,
              history: HistoryReader | None = None, source: str | None = None,
              progress: Progress | None = None) -> RunResult:
    """Measure ``current`` (a path, a table or a :class:`BatchSource`) against ``bl``."""
    started, t0 = now(), time.perf_counter()
    prog = progress or Progress(enabled=False)
    target = art.target(cfg) or bl.settings.get("target")
    data = open_current(current, cfg, source)
    ids = None
    if cfg.id_column is not None:  # read first: a missing id column is bad input
        from driftscope.engine.row_ids import row_ids

        ids = row_ids(data, cfg.id_column)
    raw_specs = select_columns(bl, cfg)
    # a schema break (a column missing, text for numbers, a new column) is a finding of the
    # round; the data, the feature engineering and the model read the repaired rows
    schema, repaired = check_schema(data, raw_specs, bl, cfg, target)
    cur = prepare_current(repaired, cfg, art, target, bl)
    breaks = dict(schema.breaks)
    schema_findings = list(schema.findings) + filled_findings(schema.filled, art, bl)

    backend = get_backend(cfg.backend)
    settings = ProfileSettings(cfg.max_value_bins, cfg.workers, cfg.ks)
    prog.stage("profiling current", len(raw_specs))
    ref_raw = {s.name: p for s, p in bl.by_origin("raw")}
    cur_raw = backend.profile(repaired, raw_specs, ref_raw, settings, prog.step)
    pairs: list[Pair] = [(s, ref_raw[s.name], cur_raw.columns[s.name]) for s in raw_specs]
    pairs += engineered_pairs(bl, cfg, cur, breaks, schema_findings, settings)
    extra_pairs, pred_findings = derived_pairs(bl, cur, target)
    info = CurrentData(name=repaired.name, rows=cur_raw.rows, columns=len(data.schema.names),
                       window=window(data, cfg.timestamp_column))
    result = judge(bl, cfg, art, cur, info, pairs, extra_pairs, breaks, pred_findings,
                   schema_findings + sketch_findings(pairs, cfg.backend) + ks_unused(cfg),
                   history, target,
                   started, t0, prog)
    if ids is not None:  # recorded with the round, for labels that arrive later
        from driftscope.engine.row_ids import keep_round_rows

        result = keep_round_rows(result, ids, cur, cfg, art, bl, target)
    return result


def open_current(current: Any, cfg: MonitoringConfig, source: str | None) -> BatchSource:
    """The current data as a batch source: a path read by batch with a streaming backend,
    else read whole (a table in memory stays as it is)."""
    from driftscope.inputs.spark_source import open_spark_side, wants_spark

    if wants_spark(current, cfg):  # a Spark DataFrame, a table:name, or backend: spark
        spark_side = open_spark_side(current, cfg, "current", source)
        if spark_side is not None:
            return spark_side
    if isinstance(current, TableSource):
        return TableSource(current.table, source) if source else current
    if isinstance(current, RepairedSource):
        return replace(current, name=source) if source else current
    if isinstance(current, FileSource):
        if source:
            current.name = source
        return current
    if cfg.backend != "local" and isinstance(current, (str, os.PathLike)):
        files = FileSource(Path(current), cfg.batch_rows)
        if files.num_rows == 0:
            raise InputError(f"{current}: the file has a header but no rows; add data rows")
        if source:
            files.name = source
        return files
    from driftscope.inputs.sql import SqlInput, SqlSource, open_sql

    if cfg.backend != "local" and isinstance(current, SqlInput):  # a query, read by batch
        current = open_sql(current, cfg.batch_rows, "current")
    if isinstance(current, SqlSource):
        if source:
            current.name = source
        return current
    table, name = to_arrow(current, "current")
    return TableSource(table, source or name)


def check_schema(data: BatchSource, specs: list[Any], bl: Baseline, cfg: MonitoringConfig,
                 target: str | None) -> tuple[CurrentSchema, BatchSource]:
    """The schema check of the current data, and the data as the check repairs it. A table in
    memory is checked whole; a streamed source is judged on its first batch (its types are
    those of every batch) and each batch is repaired alike."""
    roles = excluded(cfg, target)
    ref_columns = bl.settings.get("reference_columns")
    ref_source = bl.source  # the closures below hold the name, not the baseline (they may be
    # shipped to Spark's executors)

    def check(table: pa.Table) -> CurrentSchema:
        return check_current(specs, table, data.name, ref_source, ref_columns, roles)

    if isinstance(data, TableSource):
        schema = check(data.table)
        return schema, TableSource(schema.table, data.name)
    first_batch = getattr(data, "first_batch", None)  # a Spark source: a small limit
    first = first_batch() if first_batch is not None else \
        next(iter(data.batches()), data.schema.empty_table())
    schema = check(first)
    by_name = {s.name: s for s in specs}

    def repair(table: pa.Table) -> pa.Table:
        if table.num_columns == 1 and table.column_names[0] in by_name:  # one column read back
            return check_current([by_name[table.column_names[0]]], table, data.name,
                                 ref_source).table
        if not any(n in by_name for n in table.column_names):
            return table  # no monitored column (the roles' columns, or none): nothing to check
        return check(table).table

    return schema, RepairedSource(data, repair)


def prepare_current(data: BatchSource, cfg: MonitoringConfig, art: Artifacts,
                    target: str | None, bl: Baseline) -> Side:
    """Feature engineering, predictions and labels of the current data, batch by batch when
    it is streamed (the predictions and labels are then joined; the rows are not kept)."""
    model_columns = bl.settings.get("model_columns")
    if isinstance(data, TableSource):
        return prepare(data.table, cfg, art, "current", target, model_columns,
                       inherited=bl.settings)
    needed = art.needs_frame or cfg.proba_column or cfg.prediction_column or \
        (target is not None and target in data.schema.names)
    if not needed:
        return Side(table=data.schema.empty_table(), engineered=None, predictions=None,
                    labels=None)
    if cfg.backend == "spark":  # the model and feature engineering run on the executors;
        from driftscope.backends.spark import as_spark_source  # logged columns come alone
        from driftscope.backends.spark_logged import spark_logged
        from driftscope.backends.spark_scoring import spark_prepare
        from driftscope.backends.spark_session import spark_session

        on_spark = (spark_prepare if art.needs_frame else spark_logged)(
            as_spark_source(data, spark_session(cfg.spark_master)), cfg, art, "current",
            target, model_columns, bl.settings)
        if on_spark is not None:
            return on_spark  # type: ignore[no-any-return]
    # without a model nor a feature engineering, a batch is read for its logged columns only
    # (none of them there: read whole, so prepare names what is missing as it always did)
    columns = None if art.needs_frame else logged_columns(cfg, target, data.schema.names) or None
    sides, rows = [], 0
    for batch in data.batches(columns):
        side = prepare(batch, cfg, art, "current", target, model_columns, inherited=bl.settings)
        rows += batch.num_rows
        if rows > KEPT_MODEL_INPUT_ROWS:  # the contract and multivariate checks go without
            side = replace(side, model_input=None)
        sides.append(side)
    return Side.joined(sides)


KEPT_MODEL_INPUT_ROWS = 200_000
"""Streamed current data keeps the model's input of at most this many rows (for the
pipeline's contract and the multivariate checks, which then see what a local round sees)."""


def engineered_pairs(bl: Baseline, cfg: MonitoringConfig, cur: Side,
                     breaks: dict[str, ColumnBreak], schema_findings: list[Finding],
                     settings: ProfileSettings) -> list[Pair]:
    """The engineered features' pairs (profiled in memory: the feature engineering made them
    there); their schema breaks and findings join the round's."""
    eng = [(s, p) for s, p in bl.by_origin("engineered") if cfg.is_enabled(s.name)]
    if not eng:
        return []
    if cur.engineered is None:
        raise ConfigError("the baseline holds engineered features; pass the same "
                          "feature_engineering for the current data")
    eng_specs = [s for s, _ in eng]
    eng_schema = check_current(eng_specs, cur.engineered, "engineered current data", bl.source)
    breaks.update(eng_schema.breaks)
    schema_findings += eng_schema.findings
    ref_eng = {s.name: p for s, p in eng}
    if getattr(cur, "scored", None) is not None:  # engineered on Spark, profiled there
        from driftscope.backends.spark_scoring import spark_engineered_profile, spark_repair

        cur_eng = spark_engineered_profile(cur, eng_specs, ref_eng, settings,
                                           spark_repair(eng_specs, bl.source))
    else:
        cur_eng = get_backend("local").profile(TableSource(eng_schema.table), eng_specs,
                                               ref_eng, settings)
    return [(s, ref_eng[s.name], cur_eng.columns[s.name]) for s in eng_specs]


def derived_pairs(bl: Baseline, cur: Side, target: str | None
                  ) -> tuple[list[Pair], list[Finding]]:
    """The predictions' and the target's pairs, and a finding when the baseline lacks the
    per-class probabilities the model now gives."""
    ref_pred = {s.name: p for s, p in bl.by_origin("prediction", "predicted_class",
                                                   "class_probability")}
    pairs: list[Pair] = []
    findings: list[Finding] = []
    for spec, prof in prediction_profiles(cur, ref_pred):
        if spec.name in ref_pred:
            pairs.append((spec, ref_pred[spec.name], prof))
        elif spec.origin == "class_probability" and not findings:
            findings.append(Finding(message=(
                "the reference side holds no per-class probabilities of this multiclass "
                "model (a baseline saved by an earlier driftscope, or reference predictions "
                "without them): their drift was not measured; rebuild the baseline")))
    tgt = bl.by_origin("target")
    for spec, prof in target_profile(cur, target):
        if tgt:
            pairs.append((spec, tgt[0][1], prof))
    return pairs, findings


def ks_unused(cfg: MonitoringConfig) -> list[Finding]:
    """Say that ``ks: approximate`` changed nothing: the local backend holds the sorted values,
    so its KS is exact (only the streaming backend sketches)."""
    if cfg.ks != "approximate" or cfg.backend != "local":
        return []
    return [Finding(message=(
        "ks: approximate applies to the streaming backend (data read by batch); the local "
        "backend held the sorted values, so every Kolmogorov–Smirnov statistic is exact"))]


def sketch_findings(pairs: Iterable[tuple[Any, ColumnProfile, ColumnProfile]],
                    backend: str = "") -> list[Finding]:
    """Say how far approximate (sketched) KS statistics may be from the exact ones."""
    from driftscope.backends.sketch import ks_error_bound

    def error(p: ColumnProfile) -> float:
        sketch = getattr(p, "sketch", None)
        return 0.0 if sketch is None else sketch.rank_error

    bounds = [ks_error_bound(error(r), error(c)) for _, r, c in pairs
              if getattr(c, "sketch", None) is not None or getattr(r, "sketch", None) is not None]
    if not bounds:
        return []
    if backend == "spark":  # Spark never holds the sorted values, whatever ks says
        return [Finding(message=(
            f"backend: spark — the Kolmogorov–Smirnov statistics of {len(bounds)} numerical "
            "column(s) come from KLL quantile sketches merged across Spark partitions: each "
            f"is within ±{max(bounds):.4f} of the exact statistic (99 % confidence). Bin "
            "edges, percentiles and every count are exact; use the local or streaming "
            "backend for an exact KS"))]
    return [Finding(message=(
        f"ks: approximate — the Kolmogorov–Smirnov statistics of {len(bounds)} numerical "
        "column(s) come from quantile sketches, not from the sorted values: each is within "
        f"±{max(bounds):.4f} of the exact statistic (99 % confidence), and their percentiles "
        "are approximate too; use ks: exact for exact values"))]
