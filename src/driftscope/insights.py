"""Result types of the model-aware checks of a round: the fitted pipeline's own contract and
the multivariate drift checks (the impact of each feature's drift is two fields of
:class:`driftscope.result.FeatureResult`).

A low-level module (it imports only :mod:`driftscope.severity`), so that
:mod:`driftscope.result` can hold these types without importing the model code that fills
them; :mod:`driftscope.result` re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from driftscope.severity import Severity

__all__ = ["ContractCheck", "ContractReport", "DomainClassifierResult", "MultivariateResult",
           "PcaReconstructionResult"]

ContractKind = Literal["unknown_category", "imputation", "out_of_range"]


@dataclass(frozen=True)
class ContractCheck:
    """One check the fitted pipeline implies for one of its input columns.

    ``unknown_category``: share of current rows in categories a fitted one-hot or ordinal
    encoder never saw (``action``: ``ignored`` or ``error``, from its ``handle_unknown``).
    ``imputation``: share of current rows a fitted imputer fills, ``reference_share`` on the
    reference. ``out_of_range``: share of current values outside ``[lower, upper]``, the
    training range (a fitted min-max scaler's, else the reference's; ``range_from`` says
    which)."""

    kind: ContractKind
    column: str
    step: str
    status: Severity
    reason: str
    current_share: float
    rows: int
    reference_share: float | None = None
    action: str | None = None
    fill_value: str | None = None
    lower: float | None = None
    upper: float | None = None
    range_from: Literal["scaler", "reference"] | None = None


@dataclass(frozen=True)
class ContractReport:
    """The pipeline's contract checks of a round, worst first; ``readable`` False (and no
    checks) when the model is not a scikit-learn estimator whose steps could be read."""

    status: Severity
    reason: str
    readable: bool
    checks: tuple[ContractCheck, ...] = ()


@dataclass(frozen=True)
class DomainClassifierResult:
    """A classifier trained to tell reference rows from current rows (cross-validated): ROC
    AUC near 0.5 means the two samples cannot be told apart."""

    status: Severity
    reason: str
    auc: float | None
    auc_lower: float | None
    auc_upper: float | None
    fold_aucs: tuple[float, ...]
    reference_rows: int
    current_rows: int
    features: int


@dataclass(frozen=True)
class PcaReconstructionResult:
    """Mean reconstruction error of current rows by a PCA fitted on the standardised
    reference, against the spread of the same mean over reference chunks of the same size."""

    status: Severity
    reason: str
    components: int
    variance_kept: float
    reference_error: float | None
    current_error: float | None
    warning_threshold: float | None
    critical_threshold: float | None
    reference_rows: int
    current_rows: int


@dataclass(frozen=True)
class MultivariateResult:
    """Drift of the joint distribution that no single feature shows (None when a check was
    not run, with the reason in ``reason``)."""

    status: Severity
    reason: str
    sample_rows: int
    seed: int
    domain_classifier: DomainClassifierResult | None = None
    pca_reconstruction: PcaReconstructionResult | None = None
