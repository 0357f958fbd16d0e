"""Run every registered metric on one column's reference and current profiles."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from driftscope.compare.bins import AlignedBins, align
from driftscope.compare.registry import MetricInput, MetricValue, get_metric, registered
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
                unseen_adjusted: float | None = None) -> Metrics:
        v = self.values
        missing = v["missing_share"]
        # the PSI p-value comes from null draws: reported no lower than they resolve
        floor = self.psi_pvalue_floor
        psi_p = float(v["psi"].pvalue if v["psi"].pvalue is not None else 1.0)
        return Metrics(
            psi=float(v["psi"].value or 0.0),
            psi_pvalue=max(psi_p, floor),
            ks_statistic=v["ks"].value,
            ks_pvalue=v["ks"].pvalue,
            jensen_shannon=float(v["jensen_shannon"].value or 0.0),
            chi2_statistic=float(v["chi2"].value or 0.0),
            chi2_pvalue=float(v["chi2"].pvalue if v["chi2"].pvalue is not None else 1.0),
            missing_share_reference=float(missing.extra["reference"]),
            missing_share_current=float(missing.value or 0.0),
            unseen_share_current=float(v["unseen_share"].value or 0.0),
            psi_pvalue_adjusted=None if psi_adjusted is None else max(psi_adjusted, floor),
            missing_pvalue=missing_adjusted if missing_adjusted is not None else missing.pvalue,
            unseen_pvalue=(unseen_adjusted if unseen_adjusted is not None
                           else v["unseen_share"].pvalue),
        )

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
    """Compute every registered metric (or ``metrics``) for one column."""
    bins = align(reference, current, max_categories)
    inp = MetricInput(reference=reference, current=current, bins=bins, draws=draws, seed=seed)
    values = {name: get_metric(name)(inp) for name in (metrics or registered())}
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
