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

Sparse bins (some bin expects fewer than :data:`SPARSE_EXPECTED` (15) rows on the smaller side:
small batches, rare categories, a thin missing bin): there the fit underestimates the tail, by
orders of magnitude (50-row batches of a real credit table drew p = 7e-7 for a PSI that 0.2 %
of no-drift batches reach), so p is the larger of the fit and the Monte Carlo p-value
(1 + draws at least as large) / (1 + draws), with more draws (up to :data:`MORE_DRAWS` times)
while fewer than :data:`TAIL_HITS` reach the observed PSI. The Monte Carlo p-value is valid
whatever the tail's shape, so the guard holds its level on small batches.

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

    fitted = float(chdtrc(nu, psi_value / a))
    if min(n, m) * float(pooled.min()) >= SPARSE_EXPECTED:
        return fitted
    return max(fitted, _drawn_tail(psi_value, null, pooled, n, m, seed))


SPARSE_EXPECTED = 15.0
"""Below this many expected rows in some bin on the smaller side PSI's null distribution has
a heavier tail than a scaled chi-square: a bin left empty (chance about e^−expected) adds
about r·ln(r / 0.0001) at once, a jump the fit does not see. At 15 that chance is 3e-7, below
any level Benjamini–Hochberg asks of a few hundred features; at Cochran's usual 5 it is 7e-3,
and 50-row batches of a real loan table drew fitted p-values 100× too small."""

MORE_DRAWS = 25
"""In the sparse case, the draws go on up to this many times ``draws`` while fewer than
:data:`TAIL_HITS` of them reach the observed PSI."""

TAIL_HITS = 10


def _drawn_tail(psi_value: float, null: NDArray[np.float64], pooled: NDArray[np.float64],
                n: int, m: int, seed: int) -> float:
    """The Monte Carlo p-value (1 + hits) / (1 + draws) of ``psi_value``: the share of null
    draws at least as large, which is valid whatever the shape of the tail. While fewer than
    :data:`TAIL_HITS` draws reach it, more are drawn (seeded, block after block), up to
    :data:`MORE_DRAWS` times the first ones and at most about 20M cells."""
    hits, total, block = int((null >= psi_value).sum()), null.shape[0], null.shape[0]
    most = max(block, min(block * MORE_DRAWS, 20_000_000 // max(pooled.shape[0], 1)))
    extra = 0
    while hits < TAIL_HITS and total + block <= most:
        extra += 1
        more = psi_null_draws(pooled, n, m, block, int(np.random.SeedSequence(
            [seed, extra]).generate_state(1)[0]))
        hits += int((more >= psi_value).sum())
        total += block
    return (1 + hits) / (1 + total)


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
