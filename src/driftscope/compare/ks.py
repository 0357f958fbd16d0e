"""Two-sample Kolmogorov–Smirnov test on the non-missing values (numerical columns only).

D = sup_x |F_R(x) − F_C(x)| over the empirical CDFs; the p-value is that of
``scipy.stats.ks_2samp(R, C)`` with method "auto": exact when both samples have at most 10,000
values, else Smirnov's asymptotic ``kstwo.sf(D, round(n·m / (n + m)))``.

The profiles hold sorted values, so for large samples D is computed here from them with the same
integer counts and divisions as scipy (bit-identical), without re-sorting; small samples go to
scipy directly.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import NDArray

from driftscope.compare.registry import MetricField, MetricInput, MetricValue, metric, pvalue_or
from driftscope.profile.model import NumericProfile

SCIPY_MAX_AUTO_N = 10_000


def _run_ends(s: NDArray[np.float64]) -> NDArray[np.intp] | None:
    """Indices of the last element of each run of equal values in sorted ``s``; None when all
    values are distinct (every index ends a run)."""
    if s.shape[0] < 2:
        return None
    differs = s[1:] != s[:-1]
    if differs.all():
        return None
    return np.flatnonzero(np.concatenate([differs, [True]]))


def ks_statistic_sorted(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """sup |F_a − F_b| of two sorted samples, bit-identical to scipy's evaluation.

    F_a − F_b rises only at points of ``a`` and falls only at points of ``b``, so its maximum
    is reached at the last element of a run of equal values of ``a`` and its minimum at one of
    ``b``. One binary search of ``b`` in ``a`` gives every count needed; they are the same
    integers scipy divides, so the result is the same float.
    """
    n1, n2 = a.shape[0], b.shape[0]
    left = np.searchsorted(a, b, side="left")  # #a < b_j
    # #b <= a_i: the b values v with #a < v <= i, counted through their insertion points
    b_le = np.cumsum(np.bincount(left, minlength=n1 + 1)[:n1])
    ia = _run_ends(a)
    if ia is None:
        d_plus = float(np.max(np.arange(1, n1 + 1) / n1 - b_le / n2))
    else:
        d_plus = float(np.max((ia + 1) / n1 - b_le[ia] / n2))
    # #a <= b_j: add the a values equal to b_j (rare for continuous data)
    right = left
    hit = left < n1
    hit[hit] = a[left[hit]] == b[hit]
    if hit.any():
        right = left.copy()
        right[hit] = np.searchsorted(a, b[hit], side="right")
    ib = _run_ends(b)
    if ib is None:
        d_minus = float(np.min(right / n1 - np.arange(1, n2 + 1) / n2))
    else:
        d_minus = float(np.min(right[ib] / n1 - (ib + 1) / n2))
    min_s = float(np.clip(-d_minus, 0, 1))
    return min_s if min_s > d_plus else d_plus


def ks_2samp_sorted(a: NDArray[np.float64], b: NDArray[np.float64]) -> tuple[float, float]:
    """Statistic and p-value equal to ``scipy.stats.ks_2samp(a, b)`` for sorted inputs."""
    from scipy import stats  # scipy.stats costs ~1.5 s to import: only when used

    n1, n2 = a.shape[0], b.shape[0]
    if max(n1, n2) <= SCIPY_MAX_AUTO_N:
        with warnings.catch_warnings():  # scipy's own fallback to "asymp" is part of "auto"
            warnings.simplefilter("ignore", RuntimeWarning)
            res = stats.ks_2samp(a, b)
        return float(res.statistic), float(res.pvalue)
    d = ks_statistic_sorted(a, b)
    m, n = sorted([float(n1), float(n2)], reverse=True)
    en = m * n / (m + n)
    p = float(np.clip(stats.kstwo.sf(d, np.round(en)), 0, 1))
    return d, p


@metric(
    "ks",
    label="KS",
    description="Two-sample Kolmogorov–Smirnov statistic of the values (numerical columns).",
    fields=(
        MetricField("ks_statistic", "KS statistic",
                    "Largest gap between the two empirical distribution functions.",
                    nullable=True, maximum=1.0),
        MetricField("ks_pvalue", "KS p-value", "p-value of the two-sample KS test.",
                    read=pvalue_or(None), kind="pvalue", nullable=True),
    ),
    kinds=("numerical",),
    needs=("values",),
)
def ks(inp: MetricInput) -> MetricValue:
    """KS statistic and p-value; None for categorical columns or an empty side. Exact from the
    sorted values; from quantile sketches when a side was profiled with ``ks: approximate``
    (then ``extra["error_bound"]`` bounds the statistic's error)."""
    ref, cur = inp.reference, inp.current
    if not (isinstance(ref, NumericProfile) and isinstance(cur, NumericProfile)):
        return MetricValue(value=None, pvalue=None)
    exact = ref.has_values and cur.has_values
    if not exact and not all(p.has_values or p.sketch is not None for p in (ref, cur)):
        return MetricValue(value=None, pvalue=None, extra={"reason": "values not kept"})
    if ref.count == 0 or cur.count == 0:
        side = "reference" if ref.count == 0 else "current"
        return MetricValue(value=None, pvalue=None, extra={"reason": f"no values in {side}"})
    if not exact:
        return _approximate(ref, cur)
    a, b = ref.load_values(), cur.load_values()
    assert a is not None and b is not None
    d, p = ks_2samp_sorted(a, b)
    return MetricValue(value=d, pvalue=p)


def _approximate(ref: NumericProfile, cur: NumericProfile) -> MetricValue:
    from driftscope.backends.sketch import approximate_ks

    if cur.sketch is None:
        # only the reference is sketched (a baseline built on spark): the current side's exact
        # values against the reference's sketch, KS being symmetric — sketching the values
        # here would make the statistic differ from round to round (KLL compacts at random)
        values = cur.load_values()
        assert values is not None and ref.sketch is not None
        d, bound = approximate_ks(values, None, ref.sketch)
    else:
        d, bound = approximate_ks(ref.load_values() if ref.sketch is None else None, ref.sketch,
                                  cur.sketch)
    n1 = ref.moments.count
    n2 = cur.moments.count
    if n1 == 0 or n2 == 0:
        return MetricValue(value=None, pvalue=None, extra={"reason": "no finite values"})
    m, n = sorted([float(n1), float(n2)], reverse=True)
    # the p-value of the smallest statistic the sketches allow: on huge samples the sketch's
    # own error would otherwise read as significant drift (identical data, p ≈ 0)
    from scipy import stats  # scipy.stats costs ~1.5 s to import: only when used
    p = float(np.clip(stats.kstwo.sf(max(d - bound, 0.0), np.round(m * n / (m + n))), 0, 1))
    return MetricValue(value=d, pvalue=p, extra={"approximate": True, "error_bound": bound})
