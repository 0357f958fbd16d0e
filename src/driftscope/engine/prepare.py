"""One side's data after feature engineering and scoring: the model's input, its predictions
and the labels in the model's coding."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from driftscope.config.models import MonitoringConfig
from driftscope.engine.artifacts import Artifacts
from driftscope.errors import ArtifactError
from driftscope.features import apply_feature_engineering
from driftscope.model.labels import LabelCoding, check_labels
from driftscope.model.performance import (
    label_text,
)
from driftscope.model.predict import Predictions, logged_predictions, predict
from driftscope.model.scoring import (
    check_inferred_direction,
    check_logged,
    labels_from,
    model_classes,
    out_of_fold,
    resolve_coding,
    restore_categoricals,
    select_model_input,
)
from driftscope.progress import Progress
from driftscope.result import (
    Finding,
)
from driftscope.usercode import UserCodeExit


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
    model_input: pd.DataFrame | None = None
    """The rows as the model is given them (its columns, categorical dtypes restored); None
    without a model, and on a side joined from streamed batches beyond
    ``engine.round.KEPT_MODEL_INPUT_ROWS`` rows."""
    sample: Side | None = None
    """A side prepared where its rows are not all held (Spark, a streamed reference): a seeded
    sample of its rows, prepared row for row with their labels and predictions (what the
    reference's importance is measured on); None when ``table`` holds the rows prepared."""

    @classmethod
    def joined(cls, sides: Sequence[Side]) -> Side:
        """The sides of consecutive batches as one: predictions, labels and engineered
        columns joined in row order, findings once each; the rows themselves are not kept.
        A batch the model could not score makes the whole side unscored."""
        first = sides[0]
        error = next((s.prediction_error for s in sides if s.prediction_error), None)
        findings = tuple(dict.fromkeys(f for s in sides for f in s.findings))
        engineered = None
        if all(s.engineered is not None for s in sides):
            engineered = pa.concat_tables([s.engineered for s in sides],  # type: ignore[misc]
                                          promote_options="permissive")
        return replace(
            first, table=first.table.schema.empty_table(), engineered=engineered,
            predictions=None if error else _joined_predictions([s.predictions for s in sides]),
            labels=_joined([s.labels for s in sides]), prediction_error=error,
            findings=findings, target_labels=_joined([s.target_labels for s in sides]),
            model_input=_joined_frames([s.model_input for s in sides]))


def _joined_frames(parts: Sequence[pd.DataFrame | None]) -> pd.DataFrame | None:
    """The batches' model input as one frame; None when a batch did not keep its own (the
    round keeps it for a bounded number of rows)."""
    if not parts or any(p is None for p in parts):
        return None
    return pd.concat(parts, ignore_index=True)  # type: ignore[arg-type]


def _joined(parts: Sequence[np.ndarray | None]) -> np.ndarray | None:
    if any(p is None for p in parts):
        return None
    return np.concatenate(parts)  # type: ignore[arg-type]


def _joined_predictions(parts: Sequence[Predictions | None]) -> Predictions | None:
    if any(p is None for p in parts):
        return None
    first = parts[0]
    assert first is not None
    return replace(first, proba=_joined([p.proba for p in parts]),  # type: ignore[union-attr]
                   label=_joined([p.label for p in parts]),  # type: ignore[union-attr]
                   matrix=_joined([p.matrix for p in parts]))  # type: ignore[union-attr]


def prepare(table: pa.Table, cfg: MonitoringConfig, art: Artifacts, side: str,
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
    raw_labels = labels_of(table, target)
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
                               model_columns, excluded(cfg, target), side,
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
                        target_labels=raw_labels, model_input=X)
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
                categories=categories, target_labels=raw_labels,
                model_input=X if art.model is not None and model_input is not None else None)


def labels_of(table: pa.Table, target: str | None) -> np.ndarray | None:
    if target is None or target not in table.column_names:
        return None
    return np.asarray([label_text(v) for v in table.column(target).to_pylist()], dtype=object)


def logged_columns(cfg: MonitoringConfig, target: str | None, names: list[str]) -> list[str]:
    """The columns a side without a model nor a feature engineering is prepared from: the
    logged probability and decision and the target, those the side has."""
    wanted = (cfg.proba_column, cfg.prediction_column, target)
    return list(dict.fromkeys(c for c in wanted if c is not None and c in names))


def excluded(cfg: MonitoringConfig, target: str | None) -> set[str]:
    return {c for c in (target, cfg.proba_column, cfg.prediction_column, cfg.timestamp_column,
                        cfg.id_column)
            if c}

