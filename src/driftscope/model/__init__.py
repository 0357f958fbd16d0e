"""The model in the loop: loading, metadata, predictions and labelled performance."""

from driftscope.model.loading import load_model
from driftscope.model.metadata import ModelMetadata, load_metadata
from driftscope.model.performance import compute_performance
from driftscope.model.predict import Predictions, predict

__all__ = [
    "ModelMetadata",
    "Predictions",
    "compute_performance",
    "load_metadata",
    "load_model",
    "predict",
]
