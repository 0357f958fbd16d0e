"""Share of current rows in categories (or, for value-binned numbers, values) the reference
never had, and a one-sided test against the share a reference could have missed.

For a value-binned number, every current value that is not one of the reference's values is
new: below its minimum, above its maximum, or between two of its values. The last counts too,
also for integers: a gap in the reference's integers is a value it never saw, like a category
it never saw, and whether the reference could simply have missed it is what the test below
decides.

How much probability mass can a reference of n rows miss? At least the "rule of three" bound
3/n (a 95 % upper bound for a category never seen), and for a long-tailed column the
Good–Turing estimate N₁/n, where N₁ is the number of categories seen exactly once (Good, 1953,
"The population frequencies of species and the estimation of population parameters"); N₁ is
itself random, so its upper 99 % bound N₁ + 2.33·√N₁ is used. The p-value is the binomial test
of k unseen rows out of m current rows against p₀ = min(1, max(3, N₁ + 2.33·√N₁) / n):
``binom.sf(k − 1, m, p₀)``.
"""

from __future__ import annotations

from driftscope.compare.registry import (
    MetricField,
    MetricInput,
    MetricValue,
    corrected_or_own,
    metric,
    value_or,
)
from driftscope.profile.model import CategoricalProfile, NumericProfile


def singletons(inp: MetricInput) -> int:
    """Reference categories (or values, for value-binned numbers) seen exactly once."""
    ref = inp.reference
    if isinstance(ref, CategoricalProfile):
        return sum(1 for c in ref.counts.values() if c == 1)
    if isinstance(ref, NumericProfile) and ref.binning.kind == "value":
        return int((ref.counts[:len(ref.binning.values)] == 1).sum())
    return 0



@metric(
    "unseen_share",
    label="Unseen",
    description="Share of current rows in categories (or values) the reference never had.",
    fields=(
        MetricField("unseen_share_current", "Unseen (current)",
                    "Share of current rows in categories, or for value-binned numbers values, "
                    "the reference never had.", read=value_or(0.0), kind="share"),
        MetricField("unseen_pvalue", "Unseen p-value",
                    "Binomial test of the unseen rows against the share a reference this size "
                    "could have missed, after the round's correction.", read=corrected_or_own,
                    kind="pvalue", adjusted=True),
    ),
)
def unseen_share(inp: MetricInput) -> MetricValue:
    k = inp.bins.unseen_current
    m = inp.current.rows
    n = inp.reference.count
    share = k / m if m else 0.0
    if k == 0:
        return MetricValue(value=share, pvalue=1.0)
    n1 = float(singletons(inp))
    # N1 is itself random: take its upper 99 % bound (Poisson, normal approximation)
    p0 = min(1.0, max(3.0, n1 + 2.33 * n1 ** 0.5) / n) if n else 1.0
    from scipy import stats  # scipy.stats costs ~1.5 s to import: only when used
    p = float(stats.binom.sf(k - 1, m, p0)) if p0 < 1 else 1.0
    return MetricValue(value=share, pvalue=p, extra={"unseen_rows": k, "missable_share": p0})
