"""Shared fixtures of the demo tests: the reference population and one trained demo model."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from driftscope.demo.population import generate_population
from driftscope.demo.train import DemoArtifacts, train_demo


@pytest.fixture(scope="session")
def reference() -> pd.DataFrame:
    """The demo reference population (the rows ``train_demo`` writes by default)."""
    return generate_population(20_000, seed=42)


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> DemoArtifacts:
    """The demo artifacts, trained once per session with the default size and seed."""
    out: Path = tmp_path_factory.mktemp("demo-artifacts")
    return train_demo(out)
