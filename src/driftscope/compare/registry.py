"""The metric registry: ``@metric("name")`` registers a function of a :class:`MetricInput`.

A metric computes a value (and a p-value where one exists) from two profiles; it never sees a
threshold. The registry key is also the module and function name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from driftscope.compare.bins import AlignedBins
from driftscope.errors import ConfigError
from driftscope.profile.model import ColumnProfile


@dataclass(frozen=True, eq=False)
class MetricInput:
    """What a metric may look at: both profiles, their aligned bins and the round's settings."""

    reference: ColumnProfile
    current: ColumnProfile
    bins: AlignedBins
    draws: int = 2000
    seed: int = 0


@dataclass(frozen=True)
class MetricValue:
    """A metric's output: its value, a p-value where one exists, and any extra numbers."""

    value: float | None
    pvalue: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


MetricFn = Callable[[MetricInput], MetricValue]
_REGISTRY: dict[str, MetricFn] = {}


def metric(name: str) -> Callable[[MetricFn], MetricFn]:
    """Register ``fn`` under ``name``; registering a name twice is an error."""

    def deco(fn: MetricFn) -> MetricFn:
        if name in _REGISTRY:
            raise ValueError(f"metric {name!r} is already registered")
        if fn.__name__ != name:
            raise ValueError(f"metric function {fn.__name__!r} must be named {name!r}")
        _REGISTRY[name] = fn
        return fn

    return deco


def get_metric(name: str) -> MetricFn:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"unknown metric {name!r}; registered metrics: {', '.join(sorted(_REGISTRY))}"
        ) from None


def registered() -> tuple[str, ...]:
    return tuple(_REGISTRY)
