"""PSI p-values are never reported below what their null draws resolve (1/draws)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import driftscope
from driftscope.backends.local import profile_numeric
from driftscope.classify.levels import pvalue_text
from driftscope.compare import compare_column
from driftscope.compare.psi import psi_significance, pvalue_floor


def _shifted(draws: int = 2000):
    rng = np.random.default_rng(0)
    ref = profile_numeric("x", rng.normal(size=5000))
    cur = profile_numeric("x", rng.normal(1.0, size=3000), ref.binning)
    return compare_column(ref, cur, draws=draws)


@pytest.mark.parametrize("draws", [2000, 150])
def test_the_reported_pvalue_stops_at_one_over_the_draws(draws: int) -> None:
    comp = _shifted(draws)
    raw = comp.values["psi"].pvalue
    assert raw is not None and raw < 1e-10  # the fitted tail, far below what draws show
    assert comp.psi_pvalue_floor == pvalue_floor(draws) == 1 / draws
    m = comp.metrics(psi_adjusted=raw * 3)
    assert m.psi_pvalue == 1 / draws and m.psi_pvalue_adjusted == 1 / draws
    # above the floor nothing changes
    assert comp.metrics(psi_adjusted=0.3).psi_pvalue_adjusted == 0.3


def test_the_computed_pvalue_is_still_the_definition() -> None:
    comp = _shifted()
    b = comp.bins
    assert comp.values["psi"].pvalue == psi_significance(comp.values["psi"].value, b.reference,
                                                         b.current)


@pytest.mark.parametrize(("p", "floor", "text"), [
    (0.0123, 5e-4, "= 0.0123"),
    (6e-4, 5e-4, "= 0.0006"),
    (4.9e-4, 5e-4, "< 0.0005"),
    (0.0, 5e-4, "< 0.0005"),
    (1e-40, 1 / 150, "< 0.0067"),
    (3.2e-12, 0.0, "= 3.2e-12"),  # a formula's p-value: printed down to 1e-16
    (1e-200, 0.0, "< 1e-16"),
    (0.0, 0.0, "< 1e-16"),
])  # fmt: skip
def test_reasons_print_pvalues_down_to_their_floor(p: float, floor: float, text: str) -> None:
    assert pvalue_text(p, floor) == text


def test_a_drifted_feature_reads_p_below_the_floor_everywhere() -> None:
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"x": rng.normal(size=4000), "y": rng.normal(size=4000)})
    cur = pd.DataFrame({"x": rng.normal(0.8, size=2000), "y": rng.normal(size=2000)})
    result = driftscope.run(reference=ref, current=cur)
    x = result.feature("x")
    assert x.status.value == "CRITICAL"
    assert "adjusted p < 0.0005" in x.reason and "e-" not in x.reason
    assert x.metrics.psi_pvalue == x.metrics.psi_pvalue_adjusted == 0.0005
    data = result.to_dict()
    assert min(f["metrics"]["psi_pvalue"] for f in data["features"]) == 0.0005
    assert data["settings"]["psi_pvalue_draws"] == 2000
    assert result.feature("y").metrics.psi_pvalue > 0.0005
    fewer = driftscope.run(reference=ref, current=cur, psi_pvalue_draws=200)
    assert fewer.feature("x").metrics.psi_pvalue == 0.005
    assert "adjusted p < 0.005" in fewer.feature("x").reason
