"""Model metadata (JSON or YAML): name, version, training date, target, features, baseline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from driftscope.errors import ArtifactError

PERFORMANCE_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier")


class ModelMetadata(BaseModel):
    """The metadata format of SPEC.md. Unknown keys are kept but not used."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str | None = None
    version: str | None = None
    trained_at: str | None = None
    target: str | None = None
    positive_class: str | None = None
    features: list[str] | None = None
    baseline: dict[str, float] = Field(default_factory=dict)

    @field_validator("version", "trained_at", "positive_class", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return None if v is None else str(v)

    @field_validator("baseline")
    @classmethod
    def _known_metrics(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = [k for k in v if k not in PERFORMANCE_METRICS]
        if unknown:
            raise ValueError(
                f"unknown metric {unknown[0]!r}; known: {', '.join(PERFORMANCE_METRICS)}"
            )
        return v


def load_metadata(path: str) -> ModelMetadata:
    p = Path(path)
    if not p.is_file():
        raise ArtifactError(f"{p}: metadata file not found; check the path")
    try:
        text = p.read_text(encoding="utf-8")
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError, UnicodeDecodeError) as err:
        raise ArtifactError(f"{p}: metadata is not valid JSON/YAML ({err.__class__.__name__}); "
                            "fix the syntax") from None
    if not isinstance(data, dict):
        raise ArtifactError(f"{p}: metadata must be a mapping of fields (name, version, ...)")
    try:
        return ModelMetadata(**{str(k): v for k, v in data.items()})
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise ArtifactError(f"{p}: metadata field '{loc}': {first['msg']}") from None
