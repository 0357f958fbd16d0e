"""Building a baseline: the reference profiled once, with its predictions, target and settings."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from driftscope.backends import ProfileSettings, get_backend
from driftscope.backends.local import profile_table
from driftscope.baseline import Baseline
from driftscope.config.models import MonitoringConfig
from driftscope.engine.artifacts import Artifacts
from driftscope.engine.derived import prediction_profiles, target_profile
from driftscope.engine.estimation import reference_estimation
from driftscope.engine.identifiers import looks_like_identifier
from driftscope.engine.performance import reference_side_performance
from driftscope.engine.prepare import Side, excluded, logged_columns, prepare
from driftscope.errors import ConfigError, InputError
from driftscope.inputs.batches import FileSource, TableSource, sample_rows
from driftscope.inputs.readers import to_arrow
from driftscope.inputs.schema import infer_columns
from driftscope.limits import quoted
from driftscope.model.scoring import (
    in_sample_evidence,
)
from driftscope.profile.model import ColumnProfile
from driftscope.profile.spec import ColumnSpec
from driftscope.progress import Progress
from driftscope.result import (
    Finding,
)


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
    target = art.target(cfg)
    spark_ref = spark_side = files = None
    from driftscope.inputs.spark_source import open_spark_side, reference_table, wants_spark

    if wants_spark(reference, cfg):  # a Spark DataFrame, a table:name, or backend: spark
        spark_ref = open_spark_side(reference, cfg, "reference")
    if spark_ref is not None:  # profiled on Spark; rows on the driver only for the model
        needs_rows = bool(art.needs_frame or cfg.proba_column or cfg.prediction_column or
                          (target is not None and target in spark_ref.schema.names))
        if needs_rows and art.needs_frame:  # the model and feature engineering on executors
            from driftscope.backends.spark_scoring import spark_prepare

            spark_side = spark_prepare(spark_ref, cfg, art, "reference", target)
        elif needs_rows:  # logged predictions or labels: only their columns to the driver
            from driftscope.backends.spark_logged import spark_logged

            spark_side = spark_logged(spark_ref, cfg, art, "reference", target)
        table = spark_side.table if spark_side is not None else \
            reference_table(spark_ref, needs_rows)
        source = spark_ref.name
    elif streams_reference(reference, cfg, art):
        files, table, spark_side = streamed_reference(reference, cfg, art, target)
        source = files.name
    else:
        table, source = to_arrow(reference, "reference")
    if target is not None and target not in table.column_names and cfg.target \
            and art.feature_fn is None:  # else the feature engineering may make it
        names = table.column_names
        listed = ", ".join(names[:15]) + (", …" if len(names) > 15 else "")
        raise ConfigError(f"target: column {quoted(target)} is not in the reference ({source}); "
                          f"its columns are {listed}")
    specs, findings = infer_columns(table, cfg, excluded(cfg, target), "raw", source)
    side = spark_side if spark_side is not None else \
        prepare(table, cfg, art, "reference", target, progress=prog)
    if target is not None and cfg.target and side.labels is None:
        raise ConfigError(f"target: column {quoted(target)} is in neither the reference "
                          f"({source}) nor the feature engineering's output")
    prog.stage("profiling reference", len(specs))
    # the baseline keeps exact values: its bins and KS are exact whatever the rounds ask
    settings = ProfileSettings(cfg.max_value_bins, cfg.workers, "exact")
    rows = spark_ref if spark_ref is not None else files if files is not None else \
        TableSource(table, source)
    raw = get_backend(cfg.backend).profile(rows, specs, None, settings, prog.step)
    ids: list[ColumnSpec] = []
    for s in specs:
        why = looks_like_identifier(s, raw.columns[s.name], table, cfg)
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
        if getattr(side, "scored", None) is not None:  # engineered on Spark, profiled there
            from driftscope.backends.spark_scoring import spark_engineered_profile

            eng = spark_engineered_profile(side, eng_specs, None, settings)
        else:
            eng = profile_table(side.engineered, eng_specs, None, cfg.max_value_bins,
                                cfg.workers)
        columns += [(s, eng.columns[s.name]) for s in eng_specs]
    columns += prediction_profiles(side, None)
    columns += target_profile(side, target)
    if not specs:
        raise InputError(f"{source}: no column left to monitor; check columns/ignore in the "
                         "config")
    findings += side.findings  # label mapping and coding notes of the reference
    reference_performance = reference_side_performance(side, art, cfg)
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
    # drift impact and the multivariate checks: importance and a reference sample, kept once
    from driftscope.engine.multivariate import reference_sample
    from driftscope.model.importance import baseline_importance

    importance, no_importance = baseline_importance(  # on Spark: the rows the driver sampled
        side.sample or side, table, art, cfg, [s.name for s in specs],
        [s.name for s, _ in columns if s.origin == "engineered"])
    if no_importance:
        findings.append(Finding(message=no_importance))
    sample, sample_of = reference_sample(side.model_input, table, [s.name for s in specs],
                                         side.engineered, cfg.multivariate, cfg.seed)
    return Baseline(
        source=source, rows=raw.rows, columns=tuple(columns), sample=sample,
        findings=tuple(findings), model=art.model_info(cfg),
        settings={"max_value_bins": cfg.max_value_bins, "target": target,
                  "reference_columns": list(table.column_names),
                  "rewritten_columns": rewritten_columns(table, side.model_input)
                  if art.feature_fn is not None else [],
                  "max_categories": cfg.max_categories,
                  "feature_engineering": cfg.feature_engineering,
                  "model_sha256": art.model_sha256,
                  "model_columns": side.model_columns,
                  "labels": side.coding.mapping if side.coding else None,
                  "categories": plain_categories(side.categories),
                  "reference_predictions": cfg.reference_predictions,
                  "in_sample": in_sample,
                  "reference_performance": reference_performance,
                  "importance": importance, "multivariate_sample": sample_of,
                  "estimation": reference_estimation(side, art, cfg, in_sample),
                  "reference_labelled_rows": (None if side.labels is None else
                                              int(sum(v is not None for v in side.labels)))},
    )


def plain_categories(categories: dict[str, list[Any]]) -> dict[str, list[Any]] | None:
    """Categories as JSON values for the baseline (numpy scalars unwrapped); None when a
    category is not a plain value (then the current side re-derives them)."""
    out: dict[str, list[Any]] = {}
    for col, cats in categories.items():
        values = [c.item() if isinstance(c, np.generic) else c for c in cats]
        if not all(isinstance(v, (str, int, float, bool)) for v in values):
            return None
        out[col] = values
    return out or None


def streams_reference(reference: Any, cfg: MonitoringConfig, art: Artifacts) -> bool:
    """Whether the reference is read batch by batch, never whole: a file or folder with
    ``backend: streaming``, and no model nor feature engineering to run on its rows (those
    read it whole; so does a reference in memory)."""
    return cfg.backend == "streaming" and isinstance(reference, (str, os.PathLike)) and \
        not art.needs_frame


def streamed_reference(reference: str | os.PathLike[str], cfg: MonitoringConfig,
                       art: Artifacts, target: str | None
                       ) -> tuple[FileSource, pa.Table, Side | None]:
    """A reference file read batch by batch: the source the streaming backend profiles, a
    seeded sample of its rows (what the column types, the importance and the multivariate
    sample read) and, with logged predictions or a target, the side prepared from those
    columns alone, all rows of them (else None: the sample is prepared as the side)."""
    files = FileSource(Path(reference), cfg.batch_rows)
    if files.num_rows == 0:
        raise InputError(f"{reference}: the file has a header but no rows; add data rows")
    table = sample_rows(files, SAMPLE_ROWS, cfg.seed)
    names = logged_columns(cfg, target, files.schema.names)
    if not names:
        return files, table, None
    narrow = pa.concat_tables(list(files.batches(names)))
    side = prepare(narrow, cfg, art, "reference", target)
    sample = prepare(table, cfg, art, "reference", target)
    return files, table, replace(side, table=table, sample=replace(sample, findings=()))


SAMPLE_ROWS = 10_000
"""Rows of a streamed reference that the checks reading rows see (as on Spark)."""


def rewritten_columns(table: pa.Table, model_input: Any) -> list[str]:
    """Raw columns the feature engineering rewrote under their own name (``df["Income"] =
    np.log1p(df["Income"])``): the model sees other values than the raw profile describes,
    so the pipeline's contract has no reference for them (row for row, the model's input of
    the reference against its raw rows)."""
    if model_input is None or len(model_input) != table.num_rows:
        return []
    import pandas as pd

    out: list[str] = []
    for name in model_input.columns:
        if name not in table.column_names:
            continue
        raw = table.column(name).to_pandas()
        seen = model_input[name].reset_index(drop=True)
        if pd.api.types.is_numeric_dtype(raw) and pd.api.types.is_numeric_dtype(seen):
            a = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            b = pd.to_numeric(seen, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            same = bool(np.array_equal(a, b, equal_nan=True))
        else:
            same = bool((raw.astype(object).where(raw.notna(), None).astype(str)
                         == seen.astype(object).where(seen.notna(), None).astype(str)).all())
        if not same:
            out.append(str(name))
    return out
