"""A round's row ids (``id_column``): read from the current data, kept with each row's
prediction and label until the round is recorded (:mod:`driftscope.store.row_log`), so that
labels arriving later can be joined to it (:func:`driftscope.labels.attach_labels`)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from driftscope.baseline import Baseline
from driftscope.config.models import MonitoringConfig
from driftscope.engine.artifacts import Artifacts
from driftscope.engine.prepare import Side
from driftscope.errors import InputError
from driftscope.inputs.batches import BatchSource, TableSource
from driftscope.model.performance import label_text
from driftscope.result import Finding, RunResult

__all__ = ["keep_round_rows", "row_ids", "round_context"]


def row_ids(data: BatchSource, id_column: str) -> list[str | None]:
    """The ids of the current rows as text, in row order (None where a row has none).

    Raises
    ------
    InputError
        When the current data has no column ``id_column``.
    """
    names = data.schema.names
    if id_column not in names:
        shown = ", ".join(repr(n) for n in names[:10]) + (", …" if len(names) > 10 else "")
        raise InputError(f"{data.name}: id_column {id_column!r} is not a column of the current "
                         f"data (columns: {shown}); fix --id-column or id_column in the config")
    if isinstance(data, TableSource):
        values = data.table.column(id_column).to_pylist()
    else:
        values = [v for batch in data.batches([id_column])
                  for v in batch.column(id_column).to_pylist()]
    return [label_text(v) for v in values]


def _finite(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _predicted_classes(p: Any) -> list[str]:
    if p is None or p.classes or p.label is None:
        return []
    seen: set[str] = set()
    for v in p.label:
        if v is not None:
            seen.add(str(v))
            if len(seen) > 2:
                break
    return sorted(seen)


def round_context(cur: Side, cfg: MonitoringConfig, art: Artifacts, bl: Baseline,
                  target: str | None) -> dict[str, Any]:
    """What recomputing this round's performance from its stored rows needs, as plain JSON
    data: the same positive class, label mapping, baseline, thresholds and seed."""
    p = cur.predictions
    positive = p.positive_class if p is not None else None
    if positive is None:
        positive = art.positive_class(cfg)
        if positive is not None and cur.coding is not None:
            positive = cur.coding.translate(positive)
    in_sample = bool(bl.settings.get("in_sample"))
    reference = None if in_sample else bl.settings.get("reference_performance")
    ref_rows = bl.settings.get("reference_labelled_rows")
    return {
        "target": target,
        "positive_class": positive,
        "classes": list(p.classes) if p is not None else [],
        # logged predictions have no classes: the predicted ones, up to 3 (late labels
        # judge a label's coding only when a binary round's two classes are known)
        "predicted_classes": _predicted_classes(p),
        "labels": dict(cur.coding.mapping) if cur.coding is not None else {},
        "metadata_baseline": {k: _finite(v) for k, v in
                              (art.metadata.baseline if art.metadata else {}).items()},
        "reference_performance": None if reference is None else
        {k: _finite(v) for k, v in dict(reference).items()},
        "reference_labelled_rows": None if ref_rows is None else int(ref_rows),
        "performance": cfg.performance.model_dump(),
        "significance": cfg.significance,
        "significance_guard": cfg.significance_guard,
        "seed": cfg.seed,
    }


def keep_round_rows(result: RunResult, ids: list[str | None], cur: Side,
                    cfg: MonitoringConfig, art: Artifacts, bl: Baseline,
                    target: str | None) -> RunResult:
    """Hand the round's rows with an id to the store (recorded with the round); returns the
    result, with a finding when rows had no id or the predictions could not be aligned."""
    from driftscope.store.row_log import RoundRows, keep

    assert cfg.id_column is not None
    n = len(ids)
    keep_at = [i for i, v in enumerate(ids) if v is not None]
    p = cur.predictions

    def aligned(values: Any) -> list[Any] | None:
        if values is None or len(values) != n:
            return None
        return [values[i] for i in keep_at]

    proba = aligned(p.proba if p is not None else None)
    rows = RoundRows(
        id_column=cfg.id_column,
        ids=[ids[i] for i in keep_at],  # type: ignore[misc]
        proba=None if proba is None else [_finite(v) for v in proba],
        predicted=aligned(p.label if p is not None else None),
        labels=aligned(cur.labels),
        context=round_context(cur, cfg, art, bl, target))
    keep(result.run.id, rows)
    notes = []
    if len(keep_at) < n:
        notes.append(f"{n - len(keep_at)} of {n} current rows have no value in the id column "
                     f"{cfg.id_column!r}: late labels cannot reach them")
    if p is not None and rows.proba is None and rows.predicted is None:
        notes.append("the predictions could not be aligned with the row ids: late labels "
                     "will not recompute this round's performance")
    if not notes:
        return result
    return dataclasses.replace(result, findings=(
        *result.findings, *(Finding(column=cfg.id_column, message=m) for m in notes)))
