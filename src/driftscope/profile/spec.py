"""What a monitored column is: its name, how it is compared and where it comes from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["numerical", "categorical"]

Origin = Literal["raw", "engineered", "target", "prediction", "predicted_class",
                 "class_probability"]


@dataclass(frozen=True)
class ColumnSpec:
    """A monitored column: its name, how it is compared, and where it comes from."""

    name: str
    type: ColumnType
    origin: Origin = "raw"
