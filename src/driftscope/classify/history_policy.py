"""The policy over rounds: trends and persistence, fed by the history store.

A round is first classified on its own (:mod:`driftscope.classify.policy`). When the history
holds earlier rounds against the same baseline, each feature's PSI series then goes through

- persistence and hysteresis (:func:`~driftscope.classify.persistence.apply_persistence`),
  when configured: CRITICAL only after k of the last n rounds, alerts that end only below
  lower thresholds;
- the trend detector (:func:`~driftscope.classify.trend.detect_trend`): a NORMAL feature whose
  PSI has been rising steadily becomes WARNING, with a reason that names the trend, when the
  rise also has an effect size: PSI now above ``trend.min_level`` × the column's
  ``psi_warning`` and significant on its own (adjusted p below ``significance``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Protocol

from driftscope.classify.levels import level
from driftscope.classify.persistence import apply_persistence
from driftscope.classify.trend import detect_trend
from driftscope.config.models import MonitoringConfig
from driftscope.result import FeatureResult, Severity


class PastPoint(Protocol):
    """One earlier round of one column, as the history store returns it
    (:class:`driftscope.store.SeriesPoint`); read-only, so frozen records fit."""

    @property
    def name(self) -> str: ...

    @property
    def origin(self) -> str: ...

    @property
    def baseline(self) -> str | None: ...

    @property
    def psi(self) -> float | None: ...

    @property
    def status(self) -> str: ...


def _level(psi: float | None, warning: float, critical: float) -> Severity:
    return Severity.NORMAL if psi is None else level(psi, warning, critical)


def _beyond_noise(f: FeatureResult, config: MonitoringConfig) -> bool:
    """Whether this round's PSI is significant on its own (the guard every alert has), so
    that a trend is not read into PSI that sampling noise explains, e.g. smaller batches."""
    if not config.significance_guard:
        return True
    m = f.metrics
    p = m.psi_pvalue_adjusted if m.psi_pvalue_adjusted is not None else m.psi_pvalue
    return p < config.significance


def past_by_column(points: Sequence[PastPoint], baseline: str | None
                   ) -> dict[tuple[str, str], list[PastPoint]]:
    """Group earlier rounds by (origin, name), keeping only rounds against ``baseline``."""
    out: dict[tuple[str, str], list[PastPoint]] = {}
    for p in points:
        if p.baseline == baseline:
            out.setdefault((p.origin, p.name), []).append(p)
    return out


def apply_history(
    features: Sequence[FeatureResult],
    past: Mapping[tuple[str, str], Sequence[PastPoint]],
    config: MonitoringConfig,
) -> list[FeatureResult]:
    """Features with persistence, hysteresis and trend applied over their history."""
    pers = config.persistence
    persistent = (pers.k, pers.n) != (1, 1) or pers.lower_threshold is not None \
        or pers.critical_lower_threshold is not None
    out: list[FeatureResult] = []
    for f in features:
        history = list(past.get((f.origin, f.name), ()))[-config.trend.window:]
        if not history and not persistent:
            out.append(f)
            continue
        t = config.thresholds_for(f.name)
        psi = [p.psi for p in history] + [f.metrics.psi]
        status, reason = f.status, f.reason
        if persistent:
            # an earlier round's own level: NORMAL if it was reported NORMAL (the significance
            # guard may have spoken), else its PSI level (its reported status may already be
            # lowered by persistence, which must not count against it again)
            own = [Severity.NORMAL if p.status == "NORMAL" else _level(p.psi, t.psi_warning,
                                                                       t.psi_critical)
                   for p in history] + [f.status]
            steps = apply_persistence(
                psi, statuses=own, k=pers.k, n=pers.n, threshold=t.psi_critical,
                warning_threshold=t.psi_warning,
                lower_threshold=(None if pers.lower_threshold is None
                                 else min(pers.lower_threshold, t.psi_warning)),
                critical_lower_threshold=(None if pers.critical_lower_threshold is None
                                          else min(pers.critical_lower_threshold,
                                                   t.psi_critical)),
            )
            last = steps[-1]
            if last.status is not status:
                status = last.status
                reason = f"{reason.rstrip('.')}; {last.reason}." if last.reason else reason
        if config.trend.enabled and history and status is Severity.NORMAL \
                and _beyond_noise(f, config):
            verdict = detect_trend(psi, delta=config.trend.delta,
                                   threshold=config.trend.threshold,
                                   min_rise=config.trend.min_rise,
                                   min_level=config.trend.min_level * t.psi_warning)
            if verdict.triggered:
                status = Severity.WARNING
                reason = f"{reason.rstrip('.')}; but {verdict.reason}."
        out.append(dataclasses.replace(f, status=status, reason=reason)
                   if status is not f.status else f)
    return out
