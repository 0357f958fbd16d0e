"""The columns a round derives rather than reads: predictions, per-class probabilities and the
target, profiled like the data's own columns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from driftscope.backends.local import profile_categorical, profile_numeric
from driftscope.engine.prepare import Side
from driftscope.profile.model import ColumnProfile, NumericProfile
from driftscope.profile.spec import ColumnSpec


def prediction_profiles(side: Side, reference: Mapping[str, ColumnProfile] | None
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


def target_profile(side: Side, target: str | None) -> list[tuple[ColumnSpec, ColumnProfile]]:
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

