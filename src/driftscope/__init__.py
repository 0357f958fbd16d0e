"""driftscope: model monitoring for tabular classifiers.

Compare production data with the training data feature by feature (PSI, Kolmogorov–Smirnov,
Jensen–Shannon, Chi-square), watch the model's predictions and performance, and raise
NORMAL / WARNING / CRITICAL alerts.

>>> import driftscope
>>> result = driftscope.run(reference="train.parquet", current="batch.csv")  # doctest: +SKIP
>>> result.status  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from driftscope.errors import (
    ArtifactError,
    BaselineError,
    ConfigError,
    DriftscopeError,
    HistoryError,
    InputError,
    SchemaError,
)
from driftscope.outputs.notebook import register as _show_reports_in_notebooks

# notebooks show a RunResult as its HTML report; driftscope.result itself imports no output
_show_reports_in_notebooks()

if TYPE_CHECKING:  # pragma: no cover
    from driftscope.baseline import Baseline, load_baseline, save_baseline
    from driftscope.config import MonitoringConfig, load_config
    from driftscope.engine.build import build_baseline
    from driftscope.monitor import Monitor, run
    from driftscope.outputs.writer import WrittenOutputs, write_outputs
    from driftscope.result import FeatureResult, RunResult, Severity
    from driftscope.store import HistoryStore, default_history_path

# the engine is imported on first use, so `driftscope --help` and `import driftscope` stay
# quick (scipy.stats alone takes about a second)
_LAZY = {
    "Baseline": "driftscope.baseline",
    "load_baseline": "driftscope.baseline",
    "save_baseline": "driftscope.baseline",
    "MonitoringConfig": "driftscope.config",
    "load_config": "driftscope.config",
    "write_outputs": "driftscope.outputs.writer",
    "WrittenOutputs": "driftscope.outputs.writer",
    "default_history_path": "driftscope.store",
    "HistoryStore": "driftscope.store",
    "build_baseline": "driftscope.engine.build",
    "Monitor": "driftscope.monitor",
    "run": "driftscope.monitor",
    "FeatureResult": "driftscope.result",
    "RunResult": "driftscope.result",
    "Severity": "driftscope.result",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'driftscope' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.1.0"

__all__ = [
    "ArtifactError",
    "Baseline",
    "BaselineError",
    "ConfigError",
    "DriftscopeError",
    "FeatureResult",
    "HistoryError",
    "HistoryStore",
    "InputError",
    "Monitor",
    "MonitoringConfig",
    "RunResult",
    "SchemaError",
    "Severity",
    "WrittenOutputs",
    "__version__",
    "build_baseline",
    "default_history_path",
    "load_baseline",
    "load_config",
    "run",
    "save_baseline",
    "write_outputs",
]
