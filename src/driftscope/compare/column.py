"""Run every registered metric on one column's reference and current profiles."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from driftscope.compare.bins import AlignedBins, align
from driftscope.compare.registry import MetricInput, MetricValue, build_metrics, get_spec, specs
from driftscope.profile.model import ColumnProfile, NumericProfile
from driftscope.profile.quantiles import percentiles_of_sorted
from driftscope.result import Bin, Distribution, Metrics, SideSummary


@dataclass(frozen=True, eq=False)
class ColumnComparison:
    """All metric values of one column, before any threshold is applied."""

    name: str
    type: str
    bins: AlignedBins
    values: dict[str, MetricValue]
    reference_rows: int
    current_rows: int
    reference_count: int
    current_count: int
    distribution: Distribution | None
    notes: tuple[str, ...] = ()
    """Findings about the data behind the numbers (for example rounded integers)."""

    @property
    def psi_pvalue_floor(self) -> float:
        """The smallest PSI p-value the null draws resolve (1/draws), 0 when unknown."""
        return float(self.values["psi"].extra.get("pvalue_floor", 0.0)) \
            if "psi" in self.values else 0.0

    def metrics(self, psi_adjusted: float | None = None, missing_adjusted: float | None = None,
                unseen_adjusted: float | None = None, *,
                adjusted: Mapping[str, float | None] | None = None) -> Metrics:
        """The report's metrics: every field of every registered metric (see
        :func:`~driftscope.compare.registry.build_metrics`).

        ``adjusted`` maps a metric name to its p-value after the round's correction; the
        positional arguments are the same for ``psi``, ``missing_share`` and ``unseen_share``
        (the form the policy has always called).
        """
        corrected = {"psi": psi_adjusted, "missing_share": missing_adjusted,
                     "unseen_share": unseen_adjusted, **(adjusted or {})}
        return build_metrics(self.type, self.values, corrected)

    def result_bins(self) -> tuple[Bin, ...]:
        b = self.bins
        rs = b.reference_shares
        cs = b.current_shares
        contrib = self.values["psi"].extra["contributions"]
        return tuple(
            Bin(
                label=b.labels[i],
                lower=b.lowers[i],
                upper=b.uppers[i],
                reference_count=int(b.reference[i]),
                current_count=int(b.current[i]),
                reference_share=float(rs[i]),
                current_share=float(cs[i]),
                psi_contribution=float(contrib[i]),
                kind=b.kinds[i],  # type: ignore[arg-type]
            )
            for i in range(len(b.labels))
        )


def summarize_side(profile: NumericProfile) -> SideSummary:
    """Count, moments and the 101 percentiles of the finite values of one side (for plots)."""
    mo = profile.moments
    known = profile.quantiles
    if known is None and mo.count:  # not profiled with them: from the values, if they exist
        values = profile.load_values()
        known = None if values is None else percentiles_of_sorted(values)
    quantiles: tuple[float | None, ...] = () if known is None else tuple(float(q) for q in known)
    return SideSummary(
        count=profile.count,
        missing=profile.missing,
        mean=mo.mean if mo.count else None,
        std=mo.std,
        min=mo.min if mo.count else None,
        max=mo.max if mo.count else None,
        quantiles=quantiles,
    )


def compare_column(
    reference: ColumnProfile,
    current: ColumnProfile,
    draws: int = 2000,
    seed: int = 0,
    metrics: tuple[str, ...] | None = None,
    max_categories: int | None = None,
) -> ColumnComparison:
    """Compute every registered metric (or ``metrics``) for one column; a metric that does
    not apply to the column's kind is not called and has no value."""
    bins = align(reference, current, max_categories)
    inp = MetricInput(reference=reference, current=current, bins=bins, draws=draws, seed=seed)
    chosen = specs() if metrics is None else tuple(get_spec(name) for name in metrics)
    values = {spec.name: spec.fn(inp) if spec.applies_to(reference.type)
              else MetricValue(value=None, pvalue=None) for spec in chosen}
    distribution = None
    notes: list[str] = []
    if isinstance(reference, NumericProfile) and isinstance(current, NumericProfile):
        distribution = Distribution(summarize_side(reference), summarize_side(current))
        rounded = _rounded_integers(reference, current)
        if rounded:
            notes.append(rounded)
    return ColumnComparison(
        name=reference.name,
        type=reference.type,
        bins=bins,
        values=values,
        reference_rows=reference.rows,
        current_rows=current.rows,
        reference_count=reference.count,
        current_count=current.count,
        distribution=distribution,
        notes=tuple(notes),
    )


def _rounded_integers(reference: NumericProfile, current: NumericProfile) -> str | None:
    """The finding for integers beyond ±2^53, which were compared as the nearest float64."""
    if not (reference.beyond_float or current.beyond_float):
        return None
    largest = max(abs(v) for p in (reference, current) if p.moments.count
                  for v in (p.moments.min, p.moments.max))
    gap = float(np.spacing(largest))
    return (f"integers beyond ±2^53 ({reference.beyond_float} in the reference, "
            f"{current.beyond_float} in the current data, up to {largest:.3g}) cannot be held "
            f"exactly as float64: they were compared as the nearest float64, so values less "
            f"than {gap:,.0f} apart may count as one")
