"""Benjamini–Hochberg correction over a family of p-values."""

from __future__ import annotations

import pytest
from scipy import stats

from driftscope.classify.correction import bh_adjust


def test_bh_matches_scipy() -> None:
    p = [0.001, 0.02, 0.04, 0.5, 0.03]
    assert bh_adjust(p) == pytest.approx(list(stats.false_discovery_control(p, method="bh")))
    assert bh_adjust([]) == []


def test_pvalues_outside_zero_one_are_clipped() -> None:
    assert bh_adjust([-0.1, 1.5]) == pytest.approx([0.0, 1.0])
