"""Threshold levels and how a reason words a p-value.

Shared by every part of the policy (columns, performance, the round) and by persistence over
rounds, so a level means the same everywhere: strictly above a threshold.
"""

from __future__ import annotations

from driftscope.severity import Severity

__all__ = ["PRINT_FLOOR", "level", "pvalue_text"]

PRINT_FLOOR = 1e-16
"""The smallest p-value a reason prints from a formula (an exact or asymptotic test): below
the double-precision epsilon the digits say nothing the test's own assumptions (independent
rows) could back. p-values from draws print no lower than 1/draws (see :func:`pvalue_text`)."""


def level(value: float, warning: float, critical: float) -> Severity:
    """CRITICAL above ``critical``, WARNING above ``warning``, else NORMAL."""
    if value > critical:
        return Severity.CRITICAL
    if value > warning:
        return Severity.WARNING
    return Severity.NORMAL


def pvalue_text(p: float, floor: float = PRINT_FLOOR) -> str:
    """'= 0.012', or '< 0.0005' below ``floor``: the smallest p-value the method resolves
    (1/draws for one read off null draws, as PSI's; :data:`PRINT_FLOOR` for a formula)."""
    floor = max(floor, PRINT_FLOOR)
    return f"< {floor:.2g}" if p < floor else f"= {_fmt_p(p)}"


def _fmt_p(p: float) -> str:
    return f"{p:.3g}" if p >= 1e-4 else f"{p:.1e}"
