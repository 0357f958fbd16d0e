"""The configuration model. Immutable, validated when built; unknown keys are errors."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from driftscope.config.notifications import NotificationTarget
from driftscope.config.sources import SqlInput


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_PAIRS = (
    ("psi_warning", "psi_critical"),
    ("missing_warning", "missing_critical"),
    ("unseen_warning", "unseen_critical"),
)


class Thresholds(_Frozen):
    """Alert thresholds for one column (defaults from SPEC.md)."""

    psi_warning: float = Field(0.1, ge=0, description="PSI above this is WARNING")
    psi_critical: float = Field(0.25, ge=0, description="PSI above this is CRITICAL")
    missing_warning: float = Field(
        0.05, ge=0, le=1, description="missing share up by more than this is WARNING"
    )
    missing_critical: float = Field(
        0.20, ge=0, le=1, description="missing share up by more than this is CRITICAL"
    )
    unseen_warning: float = Field(
        0.01, ge=0, le=1, description="unseen share above this is WARNING"
    )
    unseen_critical: float = Field(
        0.05, ge=0, le=1, description="unseen share above this is CRITICAL"
    )

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        for low, high in _PAIRS:
            if getattr(self, low) > getattr(self, high):
                raise ValueError(f"{low} must not exceed {high}")
        return self


class FeatureOverride(_Frozen):
    """Per-feature changes to the defaults; every field is optional."""

    psi_warning: float | None = Field(None, ge=0)
    psi_critical: float | None = Field(None, ge=0)
    missing_warning: float | None = Field(None, ge=0, le=1)
    missing_critical: float | None = Field(None, ge=0, le=1)
    unseen_warning: float | None = Field(None, ge=0, le=1)
    unseen_critical: float | None = Field(None, ge=0, le=1)
    enabled: bool = True


class PerformanceThresholds(_Frozen):
    """Relative drop of a performance metric against its baseline that raises an alert."""

    warning: float = Field(0.05, ge=0, le=1)
    critical: float = Field(0.10, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> PerformanceThresholds:
        if self.warning > self.critical:
            raise ValueError("warning must not exceed critical")
        return self


class TrendSettings(_Frozen):
    """Slow-drift detection over a feature's PSI history (Page–Hinkley on √PSI)."""

    enabled: bool = True
    window: int = Field(50, ge=6, description="rounds of history the detector reads")
    delta: float = Field(1.0, gt=0, description="allowed rise per round, in noise units")
    threshold: float = Field(12.0, gt=0, description="alarm level, in noise units")
    min_rise: float = Field(0.02, ge=0, description="smallest PSI rise worth a warning")
    min_level: float = Field(
        0.5, ge=0, le=1, description="a trend warns only once PSI is above this fraction of "
        "the column's psi_warning (and significant on its own): the effect size besides the "
        "change point")


class PersistenceSettings(_Frozen):
    """Alert quality over rounds: CRITICAL only after k of the last n rounds, and alerts that
    end only below lower thresholds (hysteresis)."""

    k: int = Field(1, ge=1)
    n: int = Field(1, ge=1)
    lower_threshold: float | None = Field(
        None, ge=0, description="PSI below which a WARNING/CRITICAL feature returns to NORMAL")
    critical_lower_threshold: float | None = Field(
        None, ge=0, description="PSI below which a CRITICAL feature steps down")

    @model_validator(mode="after")
    def _k_within_n(self) -> PersistenceSettings:
        if self.k > self.n:
            raise ValueError("persistence.k must not exceed persistence.n")
        return self


class ImpactSettings(_Frozen):
    """Which drift matters: feature importance measured when the baseline is built, and
    optionally a round status that weighs important features more."""

    enabled: bool = Field(True, description="measure each feature's importance when the "
                          "baseline is built (permutation importance, or the logged "
                          "probability's sensitivity)")
    rows: int = Field(2000, ge=50, le=1_000_000, description="labelled reference rows the "
                      "permutation importance uses at most (a seeded sample)")
    repeats: int = Field(3, ge=1, le=50, description="shuffles per column")
    weigh_status: bool = Field(
        False, description="a CRITICAL feature whose importance share is below "
        "min_importance_share counts as WARNING for the round's status")
    min_importance_share: float = Field(0.05, ge=0, le=1)


class MultivariateSettings(_Frozen):
    """Drift no single feature shows: a domain classifier and a PCA reconstruction error on
    bounded, seeded samples of both sides."""

    enabled: bool | None = Field(
        None, description="run the checks: true, false, or unset (the default) to run them "
        "when the round has a model (a round without one then never loads scikit-learn)")
    rows: int = Field(2000, ge=100, le=200_000, description="rows per side at most (a seeded "
                      "sample; the baseline keeps this many reference rows)")
    folds: int = Field(5, ge=2, le=20, description="cross-validation folds of the domain "
                       "classifier")
    auc_warning: float = Field(0.6, gt=0.5, le=1, description="domain classifier ROC AUC "
                               "at or above this is WARNING (when the interval excludes 0.5)")
    auc_critical: float = Field(0.75, gt=0.5, le=1)
    pca_variance: float = Field(0.9, gt=0, lt=1, description="share of the standardised "
                                "reference's variance the PCA keeps")
    pca_sigmas: float = Field(3.0, gt=0, description="reconstruction error above the "
                              "reference chunks' mean + this many standard deviations is "
                              "WARNING; twice as many is CRITICAL")

    @model_validator(mode="after")
    def _ordered(self) -> MultivariateSettings:
        if self.auc_warning > self.auc_critical:
            raise ValueError("auc_warning must not exceed auc_critical")
        return self


class EstimationSettings(_Frozen):
    """Performance without labels (confidence-based performance estimation; see
    :mod:`driftscope.model.estimation`)."""

    enabled: bool = Field(True, description="estimate accuracy, precision, recall, F1, ROC "
                          "AUC, log loss and Brier (multiclass: accuracy, macro and weighted "
                          "F1, log loss) from the calibrated probabilities")
    calibration: Literal["auto", "isotonic", "none"] = Field(
        "auto", description="isotonic calibration on the labelled reference: always "
        "(isotonic), never (none: the scores are calibrated already), or when it beats the "
        "raw scores on held-out folds (auto)")
    band_sigmas: float = Field(
        3.0, gt=0, le=10, description="the band is the estimate ± this many standard errors "
        "at the batch's size; realized outside it is a concept-drift finding")


class ServiceSettings(_Frozen):
    """``driftscope serve``: the token, the request size limit and the round schedule."""

    token: str | None = Field(
        None, min_length=16, description="bearer token every endpoint but /healthz requires; "
        "the environment variable DRIFTSCOPE_TOKEN wins over it")
    max_request_bytes: int = Field(
        64 * 1024 * 1024, ge=1024, description="larger request bodies are refused (413)")
    every_minutes: float | None = Field(
        None, gt=0, description="run a round over the rows received since the last one every "
        "N minutes")
    cron: str | None = Field(
        None, description="run that round on a cron expression instead (5 fields, UTC), e.g. "
        "'0 * * * *'")
    min_rows: int = Field(
        1, ge=1, description="a scheduled round with fewer new rows is skipped (the rows wait "
        "for the next one)")

    @field_validator("cron")
    @classmethod
    def _cron_fields(cls, v: str | None) -> str | None:
        if v is not None and len(v.split()) != 5:
            raise ValueError(f"cron {v!r} must have 5 fields: minute hour day month weekday")
        return v

    @model_validator(mode="after")
    def _one_schedule(self) -> ServiceSettings:
        if self.every_minutes is not None and self.cron is not None:
            raise ValueError("service: give every_minutes or cron, not both")
        return self


class MonitoringConfig(_Frozen):
    """Everything a round needs to know. Built from YAML, flags and keyword arguments."""

    # inputs
    reference: str | SqlInput | None = Field(
        None, description="reference data: a path, or {sql|table, url|url_env}")
    current: str | SqlInput | None = Field(
        None, description="current data: a path, or {sql|table, url|url_env}")
    baseline: str | None = None
    model: str | None = None
    metadata: str | None = None
    target: str | None = None
    out: str = "assets"
    feature_engineering: str | None = Field(
        None, description="'package.module:function' or a fitted transformer file (.joblib)"
    )
    proba_column: str | None = None
    prediction_column: str | None = None
    positive_class: str | None = Field(
        None, description="the class to monitor; a number or boolean is read as its text "
        "(1, True), a raw label is translated through labels")
    labels: dict[str, str] | None = Field(
        None, description="raw target value -> model class, e.g. {bad: 1, good: 0}; applied "
        "to the target before any performance (wins over the metadata's)")
    reference_predictions: Literal["model", "out_of_fold"] = Field(
        "model", description="reference predictions from the fitted model (model), or from "
        "clones refitted K-fold on the labelled reference (out_of_fold): honest when the "
        "reference is the training set")
    oof_folds: int = Field(10, ge=2, le=50, description="folds for out_of_fold predictions "
                           "(each clone is fit on (K-1)/K of the labelled reference)")
    timestamp_column: str | None = Field(
        None, description="time column: sets the round's window; never monitored as a feature"
    )
    model_trusted_types: list[str] = Field(
        default_factory=list, description="extra types trusted when loading a .skops model"
    )
    id_column: str | None = Field(
        None, description="row id column: the history keeps each row's id with its "
        "prediction, so labels that arrive later attach to the round ('driftscope labels'); "
        "never monitored as a feature")

    # columns
    columns: list[str] | None = Field(None, description="monitor only these columns")
    ignore: list[str] = Field(default_factory=list, description="never monitor these (globs)")
    categorical: list[str] = Field(default_factory=list, description="treat as categorical (globs)")
    numerical: list[str] = Field(default_factory=list, description="treat as numerical (globs)")
    max_categories: int = Field(
        100, ge=2, description="when the reference and current data hold more than N "
        "categories together, the N most frequent in both (pooled counts) keep their bins and "
        "the rest, new ones included, share one '(other: …)' bin; new categories folded into "
        "it still count toward unseen_share")
    max_value_bins: int = Field(
        20, ge=1, description="numbers with at most this many distinct values are binned by value"
    )

    # policy
    thresholds: Thresholds = Field(default_factory=lambda: Thresholds.model_validate({}))
    features: dict[str, FeatureOverride] = Field(
        default_factory=dict, description="per-feature overrides; keys may be glob patterns"
    )
    significance: float = Field(0.01, gt=0, lt=1)
    significance_guard: bool = True
    performance: PerformanceThresholds = Field(
        default_factory=lambda: PerformanceThresholds.model_validate({}))
    estimation: EstimationSettings = Field(
        default_factory=lambda: EstimationSettings.model_validate({}),
        description="performance without labels: enabled, calibration, band_sigmas")
    trend: TrendSettings = Field(default_factory=lambda: TrendSettings.model_validate({}))
    persistence: PersistenceSettings = Field(
        default_factory=lambda: PersistenceSettings.model_validate({}))
    run_status: Literal["worst", "share"] = "worst"
    drift_share_warning: float = Field(0.2, gt=0, le=1)
    drift_share_critical: float = Field(0.5, gt=0, le=1)

    # statistics
    psi_pvalue_draws: int = Field(2000, ge=100, le=1_000_000)
    seed: int = Field(0, ge=0)

    # model-aware checks
    pipeline_contract: bool = Field(
        True, description="check the current rows against what the fitted scikit-learn "
        "pipeline learned (encoder categories, imputation, training ranges)")
    impact: ImpactSettings = Field(default_factory=lambda: ImpactSettings.model_validate({}))
    multivariate: MultivariateSettings = Field(
        default_factory=lambda: MultivariateSettings.model_validate({}))

    # outputs / behaviour
    fail_on: Literal["warning", "critical"] | None = None
    plots: Literal["drifted", "all", "none"] = "drifted"
    plot_limit: int = Field(50, ge=0, description="draw at most this many PNGs per round (the "
                            "requested ones, then the worst); the rest are listed in a finding")
    plot_features: list[str] = Field(
        default_factory=list, description="also plot these columns (globs), whatever their status")
    html: bool = True
    progress: Literal["auto", "always", "never"] = "auto"
    workers: int | None = Field(None, ge=1, description="threads for profiling; default CPUs")
    service: ServiceSettings = Field(
        default_factory=lambda: ServiceSettings.model_validate({}),
        description="driftscope serve: token, max_request_bytes, every_minutes or cron")

    # engine
    backend: str = Field("local", description="how the data is profiled: 'local' (the whole "
                         "table in memory), 'streaming' (files read by batch, one column in "
                         "memory at most) or 'spark' (on a Spark cluster; pip install "
                         "'driftscope[spark]')")
    ks: Literal["exact", "approximate"] = Field(
        "exact", description="Kolmogorov-Smirnov from the sorted values ('exact'), or, with "
        "the streaming backend, from quantile sketches ('approximate': no column is ever held; "
        "the report states the error bound)")
    batch_rows: int = Field(262_144, ge=1_000, le=50_000_000,
                            description="rows per batch the streaming backend reads")
    spark_master: str | None = Field(
        None, description="with backend: spark, where Spark runs: a master URL (local[*], "
        "spark://host:7077, yarn); default: the active session (spark-submit), else local[*]")

    # notifications (driftscope.notify)
    notifications: list[NotificationTarget] = Field(
        default_factory=list, description="receivers of one message per alert episode: "
        "[{type: webhook|slack, url | url_env, levels, timeout_seconds, retries}]")
    notifications_deadline_seconds: float = Field(
        5.0, gt=0, le=120, description="the most a round waits for all receivers together; "
        "a receiver still failing then is a warning, never a failed round")

    @field_validator("reference", "current", mode="before")
    @classmethod
    def _path_or_sql(cls, v: Any) -> Any:
        from driftscope.config.sources import sql_input_or_path

        return sql_input_or_path(v)

    @field_validator("positive_class", mode="before")
    @classmethod
    def _class_as_text(cls, v: Any) -> Any:
        from driftscope.model.labels import class_as_text

        return class_as_text(v)

    @field_validator("labels", mode="before")
    @classmethod
    def _labels_as_text(cls, v: Any) -> Any:
        from driftscope.model.labels import labels_as_text

        return labels_as_text(v)

    @model_validator(mode="after")
    def _ordered(self) -> MonitoringConfig:
        if self.drift_share_warning > self.drift_share_critical:
            raise ValueError("drift_share_warning must not exceed drift_share_critical")
        # An override may set one level of a pair and rely on another pattern for the other,
        # so only a pair set within one override is checked here; thresholds_for checks the
        # combination a column actually gets.
        for pattern, override in self.features.items():
            for low, high in _PAIRS:
                lo, hi = getattr(override, low), getattr(override, high)
                if lo is not None and hi is not None and lo > hi:
                    raise ValueError(f"features.{pattern}: {low} must not exceed {high}")
        return self

    def thresholds_for(self, column: str) -> Thresholds:
        """The thresholds for ``column``: defaults, then matching overrides in file order."""
        merged = self.thresholds.model_dump()
        for pattern, override in self.features.items():
            if pattern == column or fnmatch.fnmatchcase(column, pattern):
                merged.update({k: v for k, v in override.model_dump().items()
                               if v is not None and k != "enabled"})
        try:
            return Thresholds(**merged)
        except ValidationError as err:  # several patterns combined into an impossible pair
            from driftscope.errors import ConfigError

            msg = err.errors()[0]["msg"].removeprefix("Value error, ")
            raise ConfigError(f"features: the thresholds of column {column!r} (defaults and "
                              f"the overrides matching it) break the rule: {msg}; set both "
                              "levels of the pair") from None

    @classmethod
    def from_round_settings(cls, settings: Mapping[str, Any]) -> MonitoringConfig:
        """The policy a round recorded in ``RunResult.settings`` (its ``thresholds`` and
        per-feature ``overrides``) as a config, so :meth:`thresholds_for` resolves a column as
        that round did; every other field keeps its default.

        Raises
        ------
        pydantic.ValidationError
            When the settings do not describe a valid policy (a report edited by hand).
        """
        return cls.model_validate({"thresholds": settings.get("thresholds") or {},
                                   "features": settings.get("overrides") or {}})

    def is_enabled(self, column: str) -> bool:
        enabled = True
        for pattern, override in self.features.items():
            if pattern == column or fnmatch.fnmatchcase(column, pattern):
                enabled = override.enabled
        if any(p == column or fnmatch.fnmatchcase(column, p) for p in self.ignore):
            return False
        return enabled


def matches(column: str, patterns: list[str]) -> bool:
    """True when ``column`` equals or glob-matches one of ``patterns``."""
    return any(p == column or fnmatch.fnmatchcase(column, p) for p in patterns)
