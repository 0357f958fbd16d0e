"""Backend-free per-column profiles: what every statistic is computed from."""

from driftscope.profile.model import (
    Binning,
    CategoricalProfile,
    ColumnProfile,
    DatasetProfile,
    NumericProfile,
)
from driftscope.profile.quantiles import sorted_quantiles

__all__ = [
    "Binning",
    "CategoricalProfile",
    "ColumnProfile",
    "DatasetProfile",
    "NumericProfile",
    "sorted_quantiles",
]
