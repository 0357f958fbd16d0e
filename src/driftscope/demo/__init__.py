"""The bundled credit-scoring demo: data, feature engineering, model and production simulator.

Modules
-------
population
    :func:`generate_population`: synthetic credit applications with a ground-truth default
    behaviour (target ``default``, positive class ``"bad"``).
truth
    The default behaviour itself (reference and ``concept`` scenario).
features
    :func:`engineer`, the demo's feature engineering
    (``driftscope.demo.features:engineer``).
train
    :func:`train_demo`: fits the model and writes ``model.joblib``, ``data_referencia.csv``
    and ``metadata.yaml``.
scenarios
    :data:`SCENARIOS` and :class:`Scenario`: the documented drifts a batch can carry.
simulate
    :func:`simulate`: production batches under a scenario (also the ``driftscope simulate``
    command).

Names are imported lazily, so importing this package loads neither scikit-learn nor the
generators. The function ``simulate`` is not re-exported here because its module has the
same name: use ``from driftscope.demo.simulate import simulate``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "SCENARIOS",
    "DemoArtifacts",
    "Scenario",
    "engineer",
    "generate_population",
    "train_demo",
]

_HOME = {
    "SCENARIOS": "scenarios",
    "Scenario": "scenarios",
    "DemoArtifacts": "train",
    "train_demo": "train",
    "engineer": "features",
    "generate_population": "population",
}

if TYPE_CHECKING:  # pragma: no cover
    from driftscope.demo.features import engineer
    from driftscope.demo.population import generate_population
    from driftscope.demo.scenarios import SCENARIOS, Scenario
    from driftscope.demo.train import DemoArtifacts, train_demo


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'driftscope.demo' has no attribute {name!r}")
    return getattr(importlib.import_module(f"driftscope.demo.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
