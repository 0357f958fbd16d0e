"""Feature engineering and model scoring of a Spark side on the executors.

With ``backend: spark`` a side whose rows a model scores or a feature engineering reads is not
brought to the driver. Instead:

1. the driver reads a seeded sample of the side (about :data:`HEAD_ROWS` rows, drawn across
   the whole side) and prepares it with :func:`driftscope.engine.prepare.prepare`, exactly as
   the local backend prepares a table: that decides the model's columns, the categorical
   dtypes, the engineered columns' types and the predictions' shape, and gives the model
   input of those rows (the pipeline contract, the multivariate sample and the reference's
   permutation importance are measured on them, where the local backend samples all rows);
2. the label coding is decided from the distinct target values of the whole side (one Spark
   aggregation), as the local backend decides it from the whole column;
3. the model, the feature engineering and what step 1 decided are pickled once, broadcast, and
   one ``mapInArrow`` runs the same driftscope code the local path runs
   (:func:`~driftscope.features.apply_feature_engineering`,
   :func:`~driftscope.model.scoring.select_model_input`,
   :func:`~driftscope.model.scoring.restore_categoricals`,
   :func:`~driftscope.model.predict.predict`) on each Arrow batch. The feature engineering
   therefore sees one batch at a time: it must be row-wise, as it must be for streaming;
4. the engineered columns are profiled by the ``spark`` backend's own passes over that scored
   frame (persisted on the executors while it is profiled), never on the driver;
5. only the few per-row columns the shared code needs — the positive-class probability, the
   predicted class, a multiclass model's per-class probabilities and the raw target — come to
   the driver, as Arrow batches a partition at a time, and are held there as arrays (about
   8 bytes a row per probability plus the class and label text: tens of MB for a million
   rows, against the gigabytes of the rows themselves). The labelled performance, the
   prediction drift, the CBPE estimation and the label checks are then the shared code on
   those arrays, so they equal the local backend's.

Logged predictions or labels without a model take the same road without step 3
(:mod:`driftscope.backends.spark_logged`): only the logged probability, the logged decision
and the target come to the driver, and the shared code prepares them as it prepares a local
table.

A current batch the model cannot score makes the whole side unscored (a finding of the
round), as locally. A reference scored out of fold (``reference_predictions: out_of_fold``
fits the model on the whole reference) and a side whose sample the model cannot score keep
the driver path of :mod:`driftscope.inputs.spark_source`.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from driftscope.engine.prepare import Side
from driftscope.errors import ArtifactError, DriftscopeError
from driftscope.inputs.spark_source import gather_columns

HEAD_ROWS = 10_000
"""Rows of a side the driver prepares itself (a seeded sample of the whole side): to decide
what every batch must give, and for what needs the model's input row by row (the pipeline
contract, the multivariate sample, the reference's permutation importance)."""

PROBA = "__driftscope_proba"
CLASS = "__driftscope_class"
TARGET = "__driftscope_target"
ERROR = "__driftscope_error"
CLASS_PROBA = "__driftscope_p"
"""Reserved column names of the scored frame (prefix for the per-class probabilities)."""


@dataclass(frozen=True)
class ScoringJob:
    """What every executor needs to prepare a batch as the driver prepared the head."""

    side: str
    target: str | None
    model: Any
    model_name: str
    feature_fn: Any
    features: tuple[str, ...] | None
    model_columns: tuple[str, ...] | None
    excluded: frozenset[str]
    positive: str | None
    categories: dict[str, list[Any]]
    engineered: pa.Schema | None
    out_schema: pa.Schema
    classes: int = 0
    current: bool = field(default=False)


def score_batch(job: ScoringJob, table: pa.Table) -> pa.Table:
    """One batch of a side prepared as :func:`driftscope.engine.prepare.prepare` prepares a
    table: its engineered columns, its predictions and its raw target, as ``job.out_schema``."""
    from driftscope.engine.prepare import labels_of
    from driftscope.features import apply_feature_engineering
    from driftscope.model.predict import predict
    from driftscope.model.scoring import labels_from, restore_categoricals, select_model_input
    from driftscope.usercode import UserCodeExit

    n = table.num_rows
    frame = table.to_pandas()
    model_input = frame
    cols: dict[str, pa.Array | pa.ChunkedArray] = {}
    if job.feature_fn is not None:
        model_input = apply_feature_engineering(job.feature_fn, frame, job.side)
        if job.engineered is not None and job.engineered.names:
            try:
                eng = pa.Table.from_pandas(model_input[job.engineered.names],
                                           preserve_index=False).cast(job.engineered)
            except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError, ValueError) as err:
                raise ArtifactError(
                    f"feature engineering produced columns on a batch of the {job.side} data "
                    f"that differ from its first rows ({str(err).splitlines()[0]}); it must "
                    "give the same columns and types on every batch") from None
            for name in job.engineered.names:
                cols[name] = eng.column(name)
    error = None
    if job.model is not None:
        try:
            X = select_model_input(model_input, job.model, job.features,
                                   list(job.model_columns) if job.model_columns else None,
                                   set(job.excluded), job.side, job.feature_fn is not None,
                                   job.model_name)
            X, _ = restore_categoricals(X, job.model, dict(job.categories))
            p = predict(job.model, X, job.positive, job.side, job.model_name)
        except ArtifactError as err:
            if not job.current or isinstance(err, UserCodeExit):
                raise
            error = str(err)
        else:
            if PROBA in job.out_schema.names:
                cols[PROBA] = pa.array(p.proba, type=pa.float64())
            if CLASS in job.out_schema.names:
                cols[CLASS] = pa.array(list(p.label), type=pa.string())  # type: ignore[arg-type]
            for j in range(job.classes):
                cols[f"{CLASS_PROBA}{j}"] = pa.array(
                    np.asarray(p.matrix[:, j], dtype=np.float64))  # type: ignore[index]
    if TARGET in job.out_schema.names:
        raw = labels_of(table, job.target)
        if raw is None:
            raw = labels_from(model_input, job.target)
        cols[TARGET] = pa.array([None] * n if raw is None else list(raw), type=pa.string())
    cols[ERROR] = pa.array([error] * n, type=pa.string())
    arrays = [cols[f.name] if f.name in cols else pa.nulls(n, f.type) for f in job.out_schema]
    return pa.Table.from_arrays(arrays, schema=job.out_schema)


def _run_scoring(broadcast: Any, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    from driftscope.inputs.spark_source import spark_safe

    job: ScoringJob = pickle.loads(broadcast.value)  # once per partition
    safe = spark_safe(job.out_schema)
    for batch in batches:
        out = score_batch(job, pa.Table.from_batches([batch]))
        yield from (out if out.schema == safe else out.cast(safe)).to_batches()


@dataclass(frozen=True, eq=False)
class Scored:
    """A Spark side scored on the executors: the frame of its engineered and derived columns
    (persisted on the executors until :meth:`release`) and its name."""

    frame: Any
    name: str
    engineered: pa.Schema | None
    persisted: bool

    def source(self) -> Any:
        """The engineered columns as a source the ``spark`` backend profiles."""
        from driftscope.inputs.spark_source import SparkSource, quoted_column

        assert self.engineered is not None
        frame = self.frame.select(*[quoted_column(n) for n in self.engineered.names])
        return SparkSource(frame, self.name, self.engineered)

    def release(self) -> None:
        """Drop the persisted frame from the executors."""
        if self.persisted:
            self.frame.unpersist()


@dataclass(frozen=True, eq=False)
class SparkSide(Side):
    """A side prepared on Spark: ``scored`` holds its engineered columns on the executors
    (None without a feature engineering)."""

    scored: Scored | None = None


def spark_prepare(src: Any, cfg: Any, art: Any, side: str, target: str | None,
                  model_columns: list[str] | None = None,
                  inherited: Mapping[str, Any] | None = None) -> Any:
    """``src`` (a :class:`~driftscope.inputs.spark_source.SparkSource`) prepared on the
    executors: a :class:`driftscope.engine.prepare.Side` whose predictions, labels and target
    are the whole side's (the few columns brought to the driver), whose ``table``,
    ``model_input`` and ``engineered`` are those of a seeded sample of about
    :data:`HEAD_ROWS` rows, and
    whose engineered columns are to be profiled on Spark (:func:`spark_engineered_profile`).
    None when this side keeps the driver path (no model nor feature engineering, a reference
    scored out of fold, a side whose sample the model cannot score)."""
    from driftscope.backends.spark import spark_error_line
    from driftscope.backends.spark_session import quiet_pyspark, spark_session
    from driftscope.engine.prepare import excluded, prepare
    from driftscope.model.labels import LabelCoding
    from driftscope.model.scoring import model_classes, resolve_coding

    if not art.needs_frame:
        return None
    if side == "reference" and art.model is not None and \
            cfg.reference_predictions == "out_of_fold":
        return None
    inh = dict(inherited or {})
    session = spark_session(cfg.spark_master)
    head = src.sample_rows(HEAD_ROWS, cfg.seed)
    name = Path(art.model_path or "model").name
    md = art.metadata
    explicit = LabelCoding.from_config(cfg.labels or (md.labels if md else None))
    positive = art.positive_class(cfg)
    coding = None
    decided_here = False
    if art.model is not None and explicit is None and not inh.get("labels") \
            and side == "reference" and target is not None and target in src.schema.names:
        # the coding is inferred from the labels seen: all of the side's, as locally
        coding = resolve_coding(_distinct_labels(src, target), model_classes(art.model, name),
                                None, None, positive)
        if coding is not None:
            inh["labels"] = coding.mapping
            decided_here = True
    probe = prepare(head, cfg, art, side, target, model_columns, inherited=inh or None)
    if probe.prediction_error is not None:
        return None
    if probe.coding is not None:
        coding = probe.coding
    if decided_here and coding is not None:  # prepare says it only when it inferred it
        coding = LabelCoding(dict(coding.mapping), inferred=True)
    pred = probe.predictions
    fields = list(probe.engineered.schema) if probe.engineered is not None else []
    classes = 0
    if pred is not None:
        if pred.proba is not None:
            fields.append(pa.field(PROBA, pa.float64()))
        if pred.label is not None:
            fields.append(pa.field(CLASS, pa.string()))
        if pred.multiclass and pred.matrix is not None:
            classes = len(pred.classes)
            fields += [pa.field(f"{CLASS_PROBA}{j}", pa.float64()) for j in range(classes)]
    has_target = probe.target_labels is not None
    if has_target:
        fields.append(pa.field(TARGET, pa.string()))
    fields.append(pa.field(ERROR, pa.string()))
    job = ScoringJob(
        side=side, target=target, model=art.model, model_name=name, feature_fn=art.feature_fn,
        features=tuple(md.features) if md and md.features else None,
        model_columns=tuple(probe.model_columns) if probe.model_columns else None,
        excluded=frozenset(excluded(cfg, target)),
        positive=coding.translate(positive) if coding else positive,
        categories=dict(probe.categories), engineered=(probe.engineered.schema if
                                                       probe.engineered is not None else None),
        out_schema=pa.schema(fields), classes=classes, current=side != "reference")
    scored = _scored_frame(session, src, job)
    try:
        with quiet_pyspark():
            own = set(job.engineered.names) if job.engineered is not None else set()
            wanted = pa.schema([f for f in job.out_schema if f.name not in own])
            if wanted.names == [ERROR] and job.model is None:  # a feature engineering only
                got = wanted.empty_table()
            else:
                got = gather_columns(scored.frame, wanted)
    except DriftscopeError:
        raise
    except Exception as err:  # an executor's error arrives wrapped in Java's
        scored.release()
        raise ArtifactError(f"{src.name}: Spark could not prepare the {side} data "
                            f"({spark_error_line(err)})") from None
    if job.engineered is None or not job.engineered.names:
        scored.release()
        scored = replace(scored, engineered=None)
    return _side_from(probe, got, job, coding, target, scored, cfg, art, side)


def _distinct_labels(src: Any, target: str) -> np.ndarray:
    """The distinct target values of a side, as label text (one Spark aggregation)."""
    from driftscope.inputs.spark_source import quoted_column
    from driftscope.model.performance import label_text

    rows = src.typed().select(quoted_column(target)).distinct().collect()
    return np.asarray([label_text(r[0]) for r in rows], dtype=object)


def _scored_frame(session: Any, src: Any, job: ScoringJob) -> Scored:
    from functools import partial

    from pyspark import StorageLevel
    from pyspark.cloudpickle import dumps

    from driftscope.inputs.spark_source import spark_safe, spark_type_schema

    shipped = session.sparkContext.broadcast(_pickled(job, dumps))
    frame = src.typed().mapInArrow(partial(_run_scoring, shipped),
                                   spark_type_schema(spark_safe(job.out_schema)))
    engineered = job.engineered is not None and bool(job.engineered.names)
    if engineered:  # profiled in several passes: scored once
        frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
    return Scored(frame, src.name, job.engineered, engineered)


def _pickled(job: ScoringJob, dumps: Any) -> bytes:
    """``job`` pickled once for the executors; the module of a ``module:function`` feature
    engineering that is the user's own (not an installed package) travels by value, so the
    executors need not have it on their path."""
    import sys
    import sysconfig

    from pyspark import cloudpickle

    fn = job.feature_fn
    inner = [c.cell_contents for c in getattr(fn, "__closure__", None) or ()
             if callable(c.cell_contents)]  # the user's function inside driftscope's wrapper
    installed = (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"])
    own = []
    for f in [fn, *inner]:
        module = sys.modules.get(getattr(f, "__module__", "") or "")
        if module is not None and not module.__name__.startswith("driftscope") and \
                getattr(module, "__file__", None) is not None and \
                not str(module.__file__).startswith(installed):
            own.append(module)
    for module in own:
        cloudpickle.register_pickle_by_value(module)
    try:
        return bytes(dumps(job))
    finally:
        for module in own:
            cloudpickle.unregister_pickle_by_value(module)


def _side_from(probe: Any, got: pa.Table, job: ScoringJob, coding: Any, target: str | None,
               scored: Scored, cfg: Any, art: Any, side: str) -> Any:
    """The side as :func:`~driftscope.engine.prepare.prepare` would give it on all rows."""
    from driftscope.model.labels import check_labels
    from driftscope.model.scoring import check_inferred_direction, model_classes
    from driftscope.result import Finding

    errors = [e for e in (got.column(ERROR).to_pylist() if ERROR in got.column_names else [])
              if e is not None]
    raw = None
    if TARGET in got.column_names:
        raw = np.asarray(got.column(TARGET).to_pylist(), dtype=object)
    labels = coding.apply(raw) if coding is not None and raw is not None else raw
    pred = probe.predictions
    predictions = None
    if pred is not None and not errors:
        def floats(name: str) -> np.ndarray:
            return got.column(name).to_numpy(zero_copy_only=False).astype(np.float64)

        matrix = None
        if job.classes:
            matrix = np.column_stack([floats(f"{CLASS_PROBA}{j}") for j in range(job.classes)])
        predictions = replace(
            pred, proba=floats(PROBA) if PROBA in got.column_names else None,
            label=(np.asarray(got.column(CLASS).to_pylist(), dtype=object)
                   if CLASS in got.column_names else None), matrix=matrix)
    findings = [f for f in probe.findings if not f.message.startswith(
        (f"{side} labels ",))]  # said again below for all rows
    messages: list[str] = []
    if art.model is not None and labels is not None:
        classes = model_classes(art.model, Path(art.model_path or "model").name)
        if classes:
            messages += check_labels(labels, classes, side, target, "the model")
        if coding is not None and coding.inferred and side == "reference" and \
                predictions is not None:
            check_inferred_direction(labels, predictions, coding, job.positive)
    findings = [Finding(column=target, message=m) for m in messages] + findings
    if coding is not None and coding.inferred and side == "reference" and \
            not any(f.message.startswith("the target's labels were mapped") for f in findings):
        findings.append(Finding(column=target, message=(
            f"the target's labels were mapped to the model's classes ({coding.describe()}) "
            "from positive_class; set 'labels:' in the config to choose another mapping")))
    return SparkSide(
        table=probe.table, engineered=probe.engineered, predictions=predictions,
        labels=labels, prediction_error=errors[0] if errors else None,
        findings=tuple(findings), model_columns=probe.model_columns, coding=coding,
        categories=probe.categories, target_labels=raw, model_input=probe.model_input,
        scored=scored if scored.engineered is not None else None,
        sample=replace(probe, findings=()))


def spark_engineered_profile(side: Any, specs: Any, reference: Any, settings: Any,
                             repair: Any = None) -> Any:
    """The engineered columns of a side prepared on Spark, profiled by the ``spark`` backend
    on the executors (``repair``: the schema check's repair of each batch); the persisted
    scored frame is released afterwards."""
    from driftscope.backends.spark import SparkBackend
    from driftscope.inputs.spark_source import SparkSource

    scored: Scored = side.scored
    src = scored.source()
    if repair is not None:
        src = SparkSource(src.frame, src.name, src.schema, repair)
    try:
        return SparkBackend().profile(src, specs, reference, settings)
    finally:
        scored.release()


def spark_repair(specs: Any, ref_source: str) -> Any:
    """The schema check's repair of each engineered batch (run on the executors), as the
    engine repairs the engineered columns of a side in memory."""
    from driftscope.inputs.schema import check_current

    def repair(table: pa.Table) -> pa.Table:
        return check_current(specs, table, "engineered current data", ref_source).table

    return repair
