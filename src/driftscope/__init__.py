"""driftscope: model monitoring for tabular classifiers.

Compare production data with the training data feature by feature (PSI, Kolmogorov–Smirnov,
Jensen–Shannon, Chi-square), watch the model's predictions and performance, and raise
NORMAL / WARNING / CRITICAL alerts.

>>> import driftscope
>>> result = driftscope.run(reference="train.parquet", current="batch.csv")  # doctest: +SKIP
>>> result.status  # doctest: +SKIP
"""

from driftscope.baseline import Baseline, load_baseline, save_baseline
from driftscope.config import MonitoringConfig, load_config
from driftscope.errors import (
    ArtifactError,
    BaselineError,
    ConfigError,
    DriftscopeError,
    HistoryError,
    InputError,
    SchemaError,
)
from driftscope.outputs.writer import write_outputs
from driftscope.pipeline import build_baseline, run
from driftscope.result import FeatureResult, RunResult, Severity

__version__ = "0.1.0"

__all__ = [
    "ArtifactError",
    "Baseline",
    "BaselineError",
    "ConfigError",
    "DriftscopeError",
    "FeatureResult",
    "HistoryError",
    "InputError",
    "MonitoringConfig",
    "RunResult",
    "SchemaError",
    "Severity",
    "__version__",
    "build_baseline",
    "load_baseline",
    "load_config",
    "run",
    "save_baseline",
    "write_outputs",
]
