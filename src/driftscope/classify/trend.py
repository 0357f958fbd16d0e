"""Trends and alert quality over a feature's history of rounds.

Three pure functions, no I/O; the policy feeds them the series it reads from the history
store.

* :func:`detect_trend` watches a PSI series with a one-sided Page–Hinkley test, so a slow
  drift that never crosses a per-round threshold still raises a WARNING.
* :func:`apply_persistence` adds persistence (CRITICAL only after *k* of the last *n* rounds
  exceed the threshold) and hysteresis (an alert ends only once PSI falls below a lower
  threshold).
* :func:`alert_episodes` folds a status series into episodes with a start and an end, so an
  alert that lasts ten rounds is one alert, not ten.

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
from typing import Any

import numpy as np

from driftscope.result import Severity

__all__ = [
    "Episode",
    "PersistenceStep",
    "TrendVerdict",
    "alert_episodes",
    "apply_persistence",
    "detect_trend",
]


# --------------------------------------------------------------------------------------
# Trend detection
# --------------------------------------------------------------------------------------


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
        return TrendVerdict(
            triggered=False,
            since_index=None,
            reason=(f"too few rounds to judge a trend in {metric} ({n} of at least {min_rounds})"),
            statistic=0.0,
            threshold=threshold,
        )

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
        why = (
            f"no sustained rise in {metric} over the last {n} rounds (latest {_fmt(float(x[-1]))})"
        )
        return TrendVerdict(
            triggered=False,
            since_index=None,
            reason=why,
            statistic=statistic,
            threshold=threshold,
            scale=sigma,
        )

    rounds = n - start_pos
    if min_level > 0 and end_level <= min_level:
        return TrendVerdict(
            triggered=False,
            since_index=None,
            reason=(f"{metric} rose over the last {rounds} rounds ({_fmt(start_level)} → "
                    f"{_fmt(end_level)}) but stays at or below {_fmt(min_level)}, too low to "
                    "matter"),
            statistic=statistic,
            threshold=threshold,
            scale=sigma,
        )
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


# --------------------------------------------------------------------------------------
# Persistence and hysteresis
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersistenceStep:
    """The status of one round after persistence and hysteresis.

    Attributes
    ----------
    status : Severity
        The status to report for the round.
    raw : Severity
        The status the round had on its own.
    hits : int
        Rounds among the last ``n`` (this one included) at the CRITICAL level on their own.
    reason : str or None
        Why ``status`` differs from ``raw``; None when they agree.
    """

    status: Severity
    raw: Severity
    hits: int
    reason: str | None = None


def _raw_level(value: float | None, warning: float, critical: float) -> Severity | None:
    if value is None or not math.isfinite(value):
        return None
    from driftscope.classify.policy import level

    return level(value, warning, critical)


def apply_persistence(
    psi: Sequence[float | None],
    *,
    statuses: Sequence[Severity | str | None] | None = None,
    k: int = 1,
    n: int = 1,
    threshold: float = 0.25,
    warning_threshold: float = 0.1,
    lower_threshold: float | None = None,
    critical_lower_threshold: float | None = None,
) -> list[PersistenceStep]:
    """Apply persistence (k of n) and hysteresis (lower exit thresholds) to a series.

    The rules, round by round (oldest first):

    1. The round's own level is ``statuses[t]`` when given (the policy's verdict, with its
       significance guard), else it comes from ``psi[t]``: above ``threshold`` CRITICAL,
       above ``warning_threshold`` WARNING, else NORMAL.
    2. Persistence: a round becomes CRITICAL only when it is CRITICAL on its own and at
       least ``k`` of the last ``n`` rounds (this one included) are too. Until then it is
       reported as WARNING.
    3. Hysteresis: an alerting feature (WARNING or CRITICAL) returns to NORMAL only when
       PSI falls below ``lower_threshold``; until then it is held at WARNING. Likewise a
       CRITICAL feature steps down only when PSI falls below ``critical_lower_threshold``.
    4. A round with neither a status nor a finite PSI keeps the previous status (no news is
       not good news).

    With the defaults (k = n = 1, no lower thresholds) the output equals the input.

    Parameters
    ----------
    psi : sequence of float or None
        PSI per round, oldest first.
    statuses : sequence of Severity or str or None, optional
        The round's own status, one per round (same length as ``psi``).
    k, n : int
        CRITICAL after ``k`` of the last ``n`` rounds are critical; 1 <= k <= n.
    threshold : float
        PSI above which a round is CRITICAL on its own (used when ``statuses`` is None).
    warning_threshold : float
        PSI above which a round is WARNING on its own (used when ``statuses`` is None).
    lower_threshold : float, optional
        PSI below which an alert ends (returns to NORMAL); None: no hysteresis. At most
        ``warning_threshold``.
    critical_lower_threshold : float, optional
        PSI below which CRITICAL steps down; None: no hysteresis on CRITICAL. At most
        ``threshold``.

    Returns
    -------
    list of PersistenceStep
        One step per round with the status to report and, when it differs from the round's
        own level, the reason.

    Raises
    ------
    ValueError
        When the parameters are inconsistent.

    Examples
    --------
    >>> [s.status.value for s in apply_persistence([0.3, 0.3, 0.3], k=2, n=3)]
    ['WARNING', 'CRITICAL', 'CRITICAL']
    """
    if not 1 <= k <= n:
        raise ValueError(f"apply_persistence needs 1 <= k <= n, got k={k}, n={n}")
    if warning_threshold > threshold:
        raise ValueError(
            f"warning_threshold ({warning_threshold}) must not exceed threshold ({threshold})"
        )
    if lower_threshold is not None and lower_threshold > warning_threshold:
        raise ValueError(
            f"lower_threshold ({lower_threshold}) must not exceed warning_threshold "
            f"({warning_threshold}): the alert would end before it could start"
        )
    if critical_lower_threshold is not None and critical_lower_threshold > threshold:
        raise ValueError(
            f"critical_lower_threshold ({critical_lower_threshold}) must not exceed "
            f"threshold ({threshold})"
        )
    if statuses is not None and len(statuses) != len(psi):
        raise ValueError(
            f"statuses has {len(statuses)} entries but psi has {len(psi)}; give one per round"
        )

    steps: list[PersistenceStep] = []
    critical_flags: list[bool] = []
    previous = Severity.NORMAL
    for t, value in enumerate(psi):
        val = float(value) if value is not None and math.isfinite(float(value)) else None
        given = statuses[t] if statuses is not None else None
        own = (
            Severity(given) if given is not None else _raw_level(val, warning_threshold, threshold)
        )
        if own is None:  # nothing is known about this round
            critical_flags.append(False)
            kept = None if previous == Severity.NORMAL else "no PSI this round; status kept"
            steps.append(PersistenceStep(previous, previous, sum(critical_flags[-n:]), kept))
            continue
        critical_flags.append(own == Severity.CRITICAL)
        hits = sum(critical_flags[-n:])
        status = own
        reason: str | None = None
        if own == Severity.CRITICAL and hits < k:
            status = Severity.WARNING
            reason = f"{hits} of the last {n} rounds critical; CRITICAL needs {k}"
        if (
            previous == Severity.CRITICAL
            and status != Severity.CRITICAL
            and critical_lower_threshold is not None
            and val is not None
            and val >= critical_lower_threshold
        ):
            status = Severity.CRITICAL
            reason = (
                f"kept at CRITICAL until PSI falls below {critical_lower_threshold:g} "
                f"(now {val:.3g})"
            )
        elif (
            previous != Severity.NORMAL
            and status == Severity.NORMAL
            and lower_threshold is not None
            and val is not None
            and val >= lower_threshold
        ):
            status = Severity.WARNING
            reason = f"kept at WARNING until PSI falls below {lower_threshold:g} (now {val:.3g})"
        steps.append(PersistenceStep(status, own, hits, reason))
        previous = status
    return steps


# --------------------------------------------------------------------------------------
# Episodes
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Episode:
    """One alert episode: consecutive rounds that are not NORMAL.

    Attributes
    ----------
    start_run : str
        Run id (or index, as text, when no run ids were given) of the first alerting round.
    end_run : str or None
        Run id of the last alerting round; None while the episode is still open (the latest
        round is alerting).
    level : Severity
        The worst level reached during the episode.
    start_index, end_index : int, int or None
        Positions of the first and last alerting rounds in the series given.
    peak_run : str
        The first round at the worst level.
    rounds : int
        Number of rounds in the episode.
    """

    start_run: str
    end_run: str | None
    level: Severity
    start_index: int
    end_index: int | None
    peak_run: str
    rounds: int

    @property
    def open(self) -> bool:
        """True while the episode has not ended."""
        return self.end_run is None


def _status_and_id(item: Any, index: int, run_ids: Sequence[str] | None) -> tuple[Severity, str]:
    status = getattr(item, "status", item)
    run_id = getattr(item, "run_id", None)
    if run_ids is not None:
        run_id = run_ids[index]
    return Severity(status if status is not None else Severity.NORMAL), str(
        run_id if run_id is not None else index
    )


def alert_episodes(
    statuses: Sequence[Any],
    run_ids: Sequence[str] | None = None,
) -> list[Episode]:
    """Fold a status series into alert episodes.

    Parameters
    ----------
    statuses : sequence
        One entry per round, oldest first: a :class:`Severity`, its string value, None
        (treated as NORMAL), or any object with ``status`` and ``run_id`` attributes (such as
        the points of ``HistoryStore.feature_series``).
    run_ids : sequence of str, optional
        Run ids, one per round; default the ``run_id`` attribute of the items, else the
        index as text.

    Returns
    -------
    list of Episode
        Oldest first. An episode starts at a round that is not NORMAL and ends at the last
        such round before a NORMAL one; the last episode is open (``end_run`` None) when the
        latest round is alerting.

    Raises
    ------
    ValueError
        When ``run_ids`` does not have one entry per round, or a status is unknown.
    """
    if run_ids is not None and len(run_ids) != len(statuses):
        raise ValueError(f"run_ids has {len(run_ids)} entries but statuses has {len(statuses)}")
    episodes: list[Episode] = []
    current: dict[str, Any] | None = None
    for i, item in enumerate(statuses):
        level, run_id = _status_and_id(item, i, run_ids)
        if level == Severity.NORMAL:
            if current is not None:
                episodes.append(Episode(**current))
                current = None
            continue
        if current is None:
            current = {
                "start_run": run_id,
                "end_run": run_id,
                "level": level,
                "start_index": i,
                "end_index": i,
                "peak_run": run_id,
                "rounds": 1,
            }
        else:
            current["end_run"] = run_id
            current["end_index"] = i
            current["rounds"] += 1
            if level.rank > current["level"].rank:
                current["level"] = level
                current["peak_run"] = run_id
    if current is not None:
        current["end_run"] = None
        current["end_index"] = None
        episodes.append(Episode(**current))
    return episodes
