"""Alert quality over rounds: persistence (k of n) and hysteresis (lower exit thresholds).

:func:`apply_persistence` is a pure function, no I/O: CRITICAL only after *k* of the last *n*
rounds exceed the threshold, and an alert ends only once PSI falls below a lower threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from driftscope.classify.levels import level
from driftscope.severity import Severity

__all__ = ["PersistenceStep", "apply_persistence"]


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
