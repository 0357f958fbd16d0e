"""The scenarios of the production simulator: a registry, and transforms that leave their input
alone (what each scenario moves is tested through :func:`simulate` in test_simulate.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftscope.demo import simulate as simulate_module
from driftscope.demo.scenarios import SCENARIOS, Scenario


def test_the_simulator_shares_the_registry() -> None:
    assert simulate_module.SCENARIOS is SCENARIOS and simulate_module.Scenario is Scenario


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_transforms_work_on_a_copy(name: str, reference: pd.DataFrame) -> None:
    scenario = SCENARIOS[name]
    frame = reference.head(500)
    before = frame.copy()
    for transform in (scenario.shift, scenario.corrupt):
        if transform is not None:
            out = transform(frame, np.random.default_rng(0), 1.0)
            assert out is not frame
            pd.testing.assert_frame_equal(frame, before)


def test_a_name_is_registered_once() -> None:
    from driftscope.demo.scenarios import _register

    with pytest.raises(ValueError, match="already registered"):
        _register(SCENARIOS["stable"])
