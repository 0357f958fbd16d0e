"""How the target's labels map onto the model's classes.

Users fit models on recoded targets all the time: ``(Status == "bad").astype(int)`` while the
data keeps "good"/"bad", or ``y.map({"Yes": 1, "No": 0})``. driftscope compares labels with
predictions only in the model's coding, so the target is translated first:

- an explicit mapping, ``labels: {bad: 1, good: 0}`` in the config (wins) or the metadata;
- otherwise, when the labels are not the model's classes, the model's classes are 0/1 (or
  False/True), the target has two values and ``positive_class`` names one of them, that one is
  mapped to 1 and the other to 0 (the round says so in a finding);
- otherwise labels that are none of the model's classes are an error naming the fix.

``positive_class`` may be given in either coding (``bad`` or ``1``): a label of the mapping is
translated to its class.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from driftscope.errors import ArtifactError
from driftscope.limits import quoted
from driftscope.model.performance import label_text

BINARY_CLASSES = ({"0", "1"}, {"False", "True"})


def class_as_text(value: Any) -> Any:
    """A positive class given as a number or boolean (YAML ``1``, ``true``) as its label text;
    anything else unchanged (for a pydantic "before" validator)."""
    return label_text(value) if isinstance(value, (bool, int, float)) else value


def labels_as_text(value: Any) -> Any:
    """A ``labels:`` mapping with every label and class as text (``{bad: 1}`` ->
    ``{"bad": "1"}``); anything but a mapping unchanged (for a pydantic validator)."""
    if not isinstance(value, dict):
        return value
    if any(isinstance(x, (dict, list)) or x is None for x in (*value.keys(), *value.values())):
        raise ValueError("each label maps to one class: {label: class, ...}")
    return {label_text(k): label_text(x) for k, x in value.items()}


@dataclass(frozen=True)
class LabelCoding:
    """Raw target value (as text) -> model class (as text)."""

    mapping: dict[str, str] = field(default_factory=dict)
    inferred: bool = False

    @classmethod
    def from_config(cls, raw: Mapping[Any, Any] | None) -> LabelCoding | None:
        if not raw:
            return None
        mapping = {}
        for k, v in raw.items():
            key, value = label_text(k), label_text(v)
            if key is None or value is None:
                raise ArtifactError(f"labels: {quoted(k)}: {quoted(v)} maps a missing value; "
                                    "every label and class must be given")
            mapping[key] = value
        return cls(mapping)

    def apply(self, labels: NDArray[np.object_]) -> NDArray[np.object_]:
        """Translate labels; values outside the mapping stay as they are."""
        if not self.mapping:
            return labels
        return np.asarray([None if v is None else self.mapping.get(v, v) for v in labels],
                          dtype=object)

    def translate(self, positive: str | None) -> str | None:
        """A positive class given as a raw label becomes the model's class."""
        if positive is None:
            return None
        return self.mapping.get(positive, positive)

    def describe(self) -> str:
        return ", ".join(f"{quoted(k)} → {quoted(v)}" for k, v in self.mapping.items())


def infer_coding(labels: NDArray[np.object_], classes: Iterable[str],
                 positive: str | None) -> LabelCoding | None:
    """A 0/1 coding of two-valued text labels when ``positive`` names one of them; None when
    the labels already are the model's classes or nothing can be inferred."""
    classes = set(classes)
    seen = {v for v in labels if v is not None}
    if not seen or seen <= classes:
        return None
    binary = next((c for c in BINARY_CLASSES if classes == c), None)
    if binary is None or len(seen) != 2 or positive is None or positive not in seen:
        return None
    neg_class, pos_class = sorted(binary)  # "0" < "1", "False" < "True"
    (other,) = seen - {positive}
    return LabelCoding({positive: pos_class, other: neg_class}, inferred=True)


def _example(foreign: list[str], classes: list[str]) -> str:
    """The shape of the mapping to write: data values first, the model's classes to choose
    from second (which goes with which is the user's to say)."""
    choices = " or ".join(str(c) for c in classes[:3]) + (" or …" if len(classes) > 3 else "")
    return ", ".join(f"{label}: <{choices}>" for label in foreign[:2]) + (
        ", …" if len(foreign) > 2 else "")


def check_labels(labels: NDArray[np.object_], classes: Iterable[str], side: str,
                 target: str | None, where: str) -> list[str]:
    """Messages about labels that are not classes of the model; raises when none is."""
    classes = list(classes)
    seen = {v for v in labels if v is not None}
    foreign = sorted(seen - set(classes))
    if seen and foreign == sorted(seen):
        raise ArtifactError(
            f"the {side} target {quoted(target)} holds {', '.join(map(quoted, foreign[:5]))}, "
            f"none of which is a class of {where} ({', '.join(map(quoted, classes[:10]))}); "
            "map each value in the data to a model class with 'labels:' in the config or the "
            f"metadata (labels: {{{_example(foreign, classes)}}}), or name the positive label "
            "with --positive-class")
    if foreign:
        return [f"{side} labels {', '.join(map(quoted, foreign[:5]))} are not classes of "
                f"{where} ({', '.join(map(quoted, classes[:10]))}); those rows count as wrong "
                "predictions"]
    return []
