"""Slow drift over a feature's history of rounds: :func:`detect_trend`.

A pure function, no I/O; the policy feeds it the PSI series it reads from the history store.
It watches the series with a one-sided Page–Hinkley test, so a slow drift that never crosses
a per-round threshold still raises a WARNING. The other checks over rounds sit next to it:
persistence and hysteresis in :mod:`driftscope.classify.persistence` (re-exported here), alert
episodes in :mod:`driftscope.classify.episodes`.

The Page–Hinkley test
---------------------
For observations :math:`y_1, \\dots, y_t` with running mean :math:`\\bar y_t`,

.. math::

    m_t = \\sum_{i \\le t} (y_i - \\bar y_i - \\delta), \\qquad
    M_t = \\min(0, \\min_{i \\le t} m_i), \\qquad
    \\text{alarm when } m_t - M_t > \\lambda .

The round after the minimum :math:`M_t` is the estimated start of the rise. Here
:math:`y = \\sqrt{\\text{PSI}}`: under no drift PSI behaves like a scaled chi-square whose
spread grows with its level, and the square root evens the spread out. ``delta`` and
``threshold`` are given in units of the series' own noise, :math:`\\sigma`, estimated robustly
from round-to-round differences (:math:`1.4826 \\cdot \\mathrm{MAD}(\\Delta y) / \\sqrt 2`), so
one set of defaults works for batches of fifty rows and of a million. A change point alone is
not an alert, it also needs an effect size: ``min_rise`` asks for a rise that matters in PSI
units, so a tiny but steady creep at PSI 0.001 stays quiet, and ``min_level`` for a level that
matters now (the policy sets it to a fraction of the column's warning threshold), so a step
from PSI 0.03 to 0.05, far below any threshold, stays quiet too.

References
----------
E. S. Page, "Continuous inspection schemes", Biometrika 41 (1954) 100–115.
D. V. Hinkley, "Inference about the change-point from cumulative sum tests",
Biometrika 58 (1971) 509–523.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from driftscope.classify.persistence import apply_persistence

__all__ = ["TrendVerdict", "apply_persistence", "detect_trend"]


@dataclass(frozen=True)
class TrendVerdict:
    """What :func:`detect_trend` concluded about a PSI series.

    Attributes
    ----------
    triggered : bool
        True when the series is rising now (the detector is above its threshold at the
        last round, the rise is at least ``min_rise`` and the level now above ``min_level``).
    since_index : int or None
        Index, in the series given, of the first round of the rise; None when not triggered.
    reason : str
        One sentence for people, naming the trend (or saying there is none).
    statistic : float
        The Page–Hinkley statistic at the last round, in noise units.
    threshold : float
        The threshold it is compared with, in noise units.
    start_level, end_level : float or None
        PSI level before the rise (median of up to three rounds ending at the change point)
        and now (median of the last three rounds); None when not triggered.
    rounds : int
        Number of rounds from ``since_index`` to the end (0 when not triggered).
    scale : float
        The noise scale used, in √PSI units.
    """

    triggered: bool
    since_index: int | None
    reason: str
    statistic: float
    threshold: float
    start_level: float | None = None
    end_level: float | None = None
    rounds: int = 0
    scale: float = 0.0


def _finite_points(series: Sequence[float | None]) -> tuple[list[int], np.ndarray]:
    """Indices and values of the finite, non-negative entries of ``series``."""
    idx: list[int] = []
    vals: list[float] = []
    for i, v in enumerate(series):
        if v is None:
            continue
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            idx.append(i)
            vals.append(max(f, 0.0))
    return idx, np.asarray(vals, dtype=float)


def _noise_scale(y: np.ndarray, floor: float) -> float:
    """Robust noise scale of ``y`` from its first differences (MAD / √2), at least ``floor``."""
    if y.size < 3:
        return floor
    d = np.diff(y)
    mad = float(np.median(np.abs(d - np.median(d))))
    return max(1.4826 * mad / math.sqrt(2.0), floor)


def _quiet(reason: str, statistic: float, threshold: float, scale: float = 0.0) -> TrendVerdict:
    """The verdict of a series that is not rising now."""
    return TrendVerdict(triggered=False, since_index=None, reason=reason, statistic=statistic,
                        threshold=threshold, scale=scale)


def _fmt(value: float) -> str:
    return f"{value:.2f}" if abs(value) >= 0.01 or value == 0 else f"{value:.3f}"


def detect_trend(
    series: Sequence[float | None],
    *,
    delta: float = 1.0,
    threshold: float = 12.0,
    min_rise: float = 0.02,
    min_rounds: int = 6,
    min_scale: float = 0.01,
    window: int | None = None,
    metric: str = "PSI",
    min_level: float = 0.0,
) -> TrendVerdict:
    """Tell whether a PSI series is rising now, with a one-sided Page–Hinkley test.

    Parameters
    ----------
    series : sequence of float or None
        PSI of one feature, one value per round, oldest first. ``None`` and non-finite
        values (rounds where PSI could not be computed) are skipped; indices in the verdict
        still refer to positions in ``series``.
    delta : float
        Allowed drift per round, in noise units; smaller catches slower trends but raises
        more false alarms. Default 1.0.
    threshold : float
        Alarm threshold of the cumulative rise, in noise units. Default 12.0.
    min_rise : float
        Smallest rise worth a warning, in PSI units (level now minus level before the rise).
        Default 0.02.
    min_rounds : int
        No verdict before this many finite values. Default 6.
    min_scale : float
        Floor of the noise scale, in √PSI units, so a nearly constant series does not make
        every wiggle significant. Default 0.01.
    window : int, optional
        Look only at the last ``window`` finite values (None: the whole series).
    metric : str
        Name used in the reason sentence. Default ``"PSI"``.
    min_level : float
        The level now (median of the last three rounds) must exceed this, in PSI units, for a
        rise to count: the effect size a trend needs besides its change point. Default 0.0
        (any level).

    Returns
    -------
    TrendVerdict
        ``triggered`` with the start of the rise and a reason such as
        "PSI has risen steadily over the last 6 rounds (0.02 → 0.09)".

    Raises
    ------
    ValueError
        When a parameter is out of range.

    Examples
    --------
    >>> detect_trend([0.01, 0.012, 0.011, 0.01, 0.013, 0.012]).triggered
    False
    """
    if delta < 0 or threshold <= 0 or min_rise < 0 or min_scale <= 0 or min_level < 0:
        raise ValueError(
            "detect_trend needs delta >= 0, threshold > 0, min_rise >= 0, min_scale > 0 and "
            f"min_level >= 0; got delta={delta}, threshold={threshold}, min_rise={min_rise}, "
            f"min_scale={min_scale}, min_level={min_level}"
        )
    if min_rounds < 2:
        raise ValueError(f"detect_trend needs min_rounds >= 2, got {min_rounds}")
    if window is not None and window < 2:
        raise ValueError(f"detect_trend needs window >= 2 or None, got {window}")

    idx, x = _finite_points(series)
    if window is not None:
        idx, x = idx[-window:], x[-window:]
    n = x.size
    if n < min_rounds:
        return _quiet(f"too few rounds to judge a trend in {metric} ({n} of at least "
                      f"{min_rounds})", 0.0, threshold)

    y = np.sqrt(x)
    sigma = _noise_scale(y, min_scale)
    allowance = delta * sigma
    # Page–Hinkley, one-sided (increase): cumulative deviations from the running mean.
    running_mean = np.cumsum(y) / np.arange(1, n + 1)
    m = np.cumsum(y - running_mean - allowance)
    # include m_0 = 0 (before the first round) so a rise from the very start counts
    m_full = np.concatenate([[0.0], m])
    argmin = int(np.argmin(m_full))  # position in m_full; rise starts at that round index
    statistic = float((m_full[-1] - m_full[argmin]) / sigma)

    start_pos = argmin  # first round (position in x) of the rise
    before = x[max(0, start_pos - 3) : start_pos] if start_pos > 0 else x[:1]
    start_level = float(np.median(before))
    end_level = float(np.median(x[-3:]))
    rise = end_level - start_level

    if statistic <= threshold or rise < min_rise or start_pos >= n:
        return _quiet(f"no sustained rise in {metric} over the last {n} rounds (latest "
                      f"{_fmt(float(x[-1]))})", statistic, threshold, sigma)

    rounds = n - start_pos
    if min_level > 0 and end_level <= min_level:
        return _quiet(f"{metric} rose over the last {rounds} rounds ({_fmt(start_level)} → "
                      f"{_fmt(end_level)}) but stays at or below {_fmt(min_level)}, too low to "
                      "matter", statistic, threshold, sigma)
    # a steady rise reaches less than 60 % of its height in the first half of its rounds;
    # a shift is (nearly) all there from the start
    post = x[start_pos:]
    early = float(np.median(post[: max(1, post.size // 2)]))
    shape = "risen steadily" if (early - start_level) < 0.6 * rise else "shifted up"
    reason = (
        f"{metric} has {shape} over the last {rounds} rounds "
        f"({_fmt(start_level)} → {_fmt(end_level)})"
    )
    return TrendVerdict(
        triggered=True,
        since_index=idx[start_pos],
        reason=reason,
        statistic=statistic,
        threshold=threshold,
        start_level=start_level,
        end_level=end_level,
        rounds=rounds,
        scale=sigma,
    )
