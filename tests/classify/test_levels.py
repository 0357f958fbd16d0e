"""Threshold levels and how a reason words a p-value."""

from __future__ import annotations

import pytest

from driftscope.classify.levels import level, pvalue_text
from driftscope.severity import Severity


@pytest.mark.parametrize(("value", "expected"), [
    (0.05, Severity.NORMAL), (0.1, Severity.NORMAL), (0.11, Severity.WARNING),
    (0.25, Severity.WARNING), (0.26, Severity.CRITICAL),
])  # fmt: skip
def test_levels_are_strictly_above_the_thresholds(value: float, expected: Severity) -> None:
    assert level(value, 0.1, 0.25) is expected


def test_pvalue_text_prints_no_lower_than_the_floor() -> None:
    assert pvalue_text(0.0123) == "= 0.0123"
    assert pvalue_text(1e-5, 1 / 2000) == "< 0.0005"
