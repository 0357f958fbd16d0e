"""Configuration: one immutable pydantic model tree, read from YAML and command-line flags."""

from driftscope.config.loader import load_config
from driftscope.config.models import (
    FeatureOverride,
    MonitoringConfig,
    PerformanceThresholds,
    Thresholds,
)

__all__ = [
    "FeatureOverride",
    "MonitoringConfig",
    "PerformanceThresholds",
    "Thresholds",
    "load_config",
]
