"""Population Stability Index and its significance.

PSI = Σ (c_i − r_i) · ln(c_i / r_i) over the bins, where r_i, c_i are the reference and current
bin shares and a share of exactly 0 is replaced by 0.0001 (no renormalisation).

Significance (``psi_pvalue``): under no drift both count vectors are multinomial draws from the
pooled shares. ``draws`` pairs of count vectors (n and m rows) are drawn with a fixed seed, their
PSI computed with the same rule, a scaled chi-square a·χ²(ν) fitted by matching mean and
variance (a = var / (2·mean), ν = 2·mean² / var), and p = 1 − F_χ²(ν)(PSI / a). With zero
variance, p = 1 when PSI ≤ mean, else 0. For large samples without empty bins this tends to the
textbook PSI ≈ (1/n + 1/m)·χ²(K − 1) (Yurdakul, 2018, "Statistical properties of population
stability index").

Resolution: ``draws`` draws show tail shares down to 1/draws and no further; below that the
fitted curve is extrapolation, and a p-value of 1e-40 or 0 would claim a precision the draws
never had. The p-value is computed (and the verdicts decided, Benjamini–Hochberg included)
from the fitted curve, but reported no lower than :func:`pvalue_floor` = 1/draws: a reported
p-value equal to it reads "at most this" (the reasons print "< 0.0005" for 2,000 draws).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from driftscope.compare.registry import MetricField, MetricInput, MetricValue, metric, value_or

EPSILON = 1e-4
_BLOCK_CELLS = 4_000_000  # draws × bins per block, to bound memory for huge category counts


def psi_terms(r: NDArray[np.float64], c: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per-bin PSI contributions of share vectors (last axis = bins)."""
    r = np.where(r == 0, EPSILON, r)
    c = np.where(c == 0, EPSILON, c)
    return (c - r) * np.log(c / r)


def psi_null_draws(
    pooled: NDArray[np.float64], n: int, m: int, draws: int, seed: int
) -> NDArray[np.float64]:
    """PSI of ``draws`` pairs of multinomial count vectors drawn from ``pooled`` shares."""
    rng = np.random.default_rng(seed)
    k = pooled.shape[0]
    block = max(1, min(draws, _BLOCK_CELLS // max(k, 1)))
    out = np.empty(draws)
    for start in range(0, draws, block):
        size = min(block, draws - start)
        ref = rng.multinomial(n, pooled, size=size) / n
        cur = rng.multinomial(m, pooled, size=size) / m
        out[start:start + size] = psi_terms(ref, cur).sum(axis=1)
    return out


def pvalue_floor(draws: int) -> float:
    """The smallest p-value ``draws`` null draws can resolve, and the smallest reported."""
    return 1.0 / draws


def psi_significance(
    psi_value: float, ref_counts: NDArray[np.int64], cur_counts: NDArray[np.int64],
    draws: int = 2000, seed: int = 0,
) -> float:
    """p-value of ``psi_value`` under the no-drift multinomial model (see module docstring)."""
    n = int(ref_counts.sum())
    m = int(cur_counts.sum())
    if n == 0 or m == 0:
        return 1.0
    # a bin empty on both sides adds 0 to every draw's PSI: drawn or not, the null
    # distribution is the same, so it is left out (and cannot shift the random stream)
    occupied = (ref_counts + cur_counts) > 0
    pooled = (ref_counts + cur_counts)[occupied] / (n + m)
    null = psi_null_draws(pooled, n, m, draws, seed)
    mean = float(null.mean())
    var = float(null.var(ddof=1))
    if var <= 0 or mean <= 0:
        return 1.0 if psi_value <= mean else 0.0
    a = var / (2 * mean)
    nu = 2 * mean * mean / var
    from scipy.special import chdtrc  # the chi-square survival function scipy.stats uses

    return float(chdtrc(nu, psi_value / a))


def reported_pvalue(v: MetricValue) -> float:
    """``psi_pvalue`` as reported: 1 when there is none, never below the draws' floor."""
    p = float(v.pvalue if v.pvalue is not None else 1.0)
    return max(p, float(v.extra.get("pvalue_floor", 0.0)))


def reported_adjusted(v: MetricValue) -> float | None:
    """``psi_pvalue_adjusted`` as reported: None outside the correction, else floored too."""
    if v.adjusted_pvalue is None:
        return None
    return max(float(v.adjusted_pvalue), float(v.extra.get("pvalue_floor", 0.0)))


@metric(
    "psi",
    label="PSI",
    description="Population Stability Index over the bins (0 for identical shares).",
    fields=(
        MetricField("psi", "PSI", "Population Stability Index over the bins.",
                    read=value_or(0.0)),
        MetricField("psi_pvalue", "PSI p-value",
                    "Chance of a PSI this large without drift (from null draws, never below "
                    "1 / draws).", read=reported_pvalue, kind="pvalue"),
        MetricField("psi_pvalue_adjusted", "PSI p-value (adjusted)",
                    "PSI's p-value after Benjamini–Hochberg correction over the round's "
                    "columns, with the same floor.", read=reported_adjusted, kind="pvalue",
                    adjusted=True),
    ),
)
def psi(inp: MetricInput) -> MetricValue:
    """PSI over the aligned bins, its per-bin contributions and its p-value."""
    b = inp.bins
    terms = psi_terms(b.reference_shares, b.current_shares)
    value = float(terms.sum())
    pvalue = psi_significance(value, b.reference, b.current, inp.draws, inp.seed)
    return MetricValue(value=value, pvalue=pvalue,
                       extra={"contributions": terms, "pvalue_floor": pvalue_floor(inp.draws)})
