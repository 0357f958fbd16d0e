"""The model, its metadata and the feature-engineering function, loaded and hashed once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from driftscope.config.models import MonitoringConfig
from driftscope.features import FeatureFn, load_feature_engineering
from driftscope.model.loading import load_model
from driftscope.model.metadata import ModelMetadata, load_metadata
from driftscope.result import (
    ModelInfo,
)


@dataclass(frozen=True, eq=False)
class Artifacts:
    """The model, its metadata and the feature-engineering function, loaded (and the model
    file hashed) once per :class:`driftscope.monitor.Monitor`, whatever the number of
    rounds."""

    model: Any = None
    model_path: str | None = None
    metadata: ModelMetadata | None = None
    feature_fn: FeatureFn | None = None

    @classmethod
    def load(cls, cfg: MonitoringConfig) -> Artifacts:
        metadata = load_metadata(cfg.metadata) if cfg.metadata else None
        model = load_model(cfg.model, cfg.model_trusted_types) if cfg.model else None
        fn = (load_feature_engineering(cfg.feature_engineering, cfg.model_trusted_types)
              if cfg.feature_engineering else None)
        return cls(model=model, model_path=cfg.model, metadata=metadata, feature_fn=fn)

    def target(self, cfg: MonitoringConfig) -> str | None:
        return cfg.target or (self.metadata.target if self.metadata else None)

    def positive_class(self, cfg: MonitoringConfig) -> str | None:
        return cfg.positive_class or (self.metadata.positive_class if self.metadata else None)

    def model_info(self, cfg: MonitoringConfig) -> ModelInfo | None:
        if self.metadata is None and self.model is None:
            return None
        md = self.metadata
        name = md.name if md and md.name else (Path(self.model_path).stem if self.model_path
                                               else None)
        return ModelInfo(name=name, version=md.version if md else None,
                         trained_at=md.trained_at if md else None, target=self.target(cfg),
                         positive_class=self.positive_class(cfg))

    @cached_property
    def model_sha256(self) -> str | None:
        """The model file's SHA-256 (a baseline records it; a round checks it)."""
        return sha256(self.model_path) if self.model_path else None

    @property
    def needs_frame(self) -> bool:
        return self.model is not None or self.feature_fn is not None


def sha256(path: str) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

