"""The model-performance part of a round's result: each metric measured with labels and
estimated without them, per class and the confusion matrix for a multiclass model.

Low-level like :mod:`driftscope.result`, which re-exports these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from driftscope.plain import OMIT_WHEN_EMPTY
from driftscope.severity import Severity

__all__ = ["ClassPerformance", "ConfusionMatrix", "PerformanceMetric", "PerformanceResult"]


@dataclass(frozen=True)
class PerformanceMetric:
    current: float | None
    estimated: float | None
    baseline: float | None
    relative_change: float | None = None
    status: Severity = Severity.NORMAL
    estimated_lower: float | None = field(default=None, metadata=OMIT_WHEN_EMPTY)
    """Lower end of the estimate's sampling-error band (see driftscope.model.estimation)."""
    estimated_upper: float | None = field(default=None, metadata=OMIT_WHEN_EMPTY)
    """Upper end of the estimate's sampling-error band."""


@dataclass(frozen=True)
class ClassPerformance:
    """One class of a multiclass model: precision, recall and F1 of that class (None where the
    class was never predicted / never occurred), its labelled rows (``support``) and the rows
    predicted as it. ``one_vs_rest``: for the positive class, the binary metrics of that class
    against all others (accuracy, precision, recall, f1, roc_auc, log_loss, brier); never
    compared with the model's baseline."""

    precision: float | None
    recall: float | None
    f1: float | None = None
    support: int = 0
    predicted: int = 0
    one_vs_rest: dict[str, float | None] | None = field(default=None, metadata=OMIT_WHEN_EMPTY)


@dataclass(frozen=True)
class ConfusionMatrix:
    """Counts of labelled rows: ``counts[i][j]`` rows of true class ``labels[i]`` predicted as
    ``labels[j]`` (the model's classes first, then labels that are not classes of the model)."""

    labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class PerformanceResult:
    status: Severity
    reason: str
    metrics: dict[str, PerformanceMetric]
    labelled_rows: int = 0
    per_class: dict[str, ClassPerformance] | None = field(default=None,
                                                          metadata=OMIT_WHEN_EMPTY)
    """Multiclass models only, keyed by class (the JSON of binary models is unchanged)."""
    confusion_matrix: ConfusionMatrix | None = field(default=None, metadata=OMIT_WHEN_EMPTY)
    """Multiclass models only."""
    estimated_rows: int | None = field(default=None, metadata=OMIT_WHEN_EMPTY)
    """Rows whose performance was estimated without labels (CBPE); None when not estimated."""

    @property
    def multiclass(self) -> bool:
        return self.per_class is not None
