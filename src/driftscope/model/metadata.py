"""Model metadata (JSON or YAML): name, version, training date, target, features, baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from driftscope.errors import ArtifactError
from driftscope.safe_yaml import (
    ECHO_LIMIT,
    DocumentError,
    DocumentSyntaxError,
    read_json_file,
    read_yaml_file,
    shorten,
    shorten_words,
)

PERFORMANCE_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier",
                       "macro_f1", "weighted_f1")


class ModelMetadata(BaseModel):
    """The metadata format of SPEC.md. Unknown keys are kept but not used."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str | None = None
    version: str | None = None
    trained_at: str | None = None
    target: str | None = None
    positive_class: str | None = None
    labels: dict[str, str] | None = None
    features: list[str] | None = None
    baseline: dict[str, float] = Field(default_factory=dict)

    @field_validator("version", "trained_at", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return None if v is None else str(v)

    @field_validator("positive_class", mode="before")
    @classmethod
    def _class_text(cls, v: Any) -> Any:
        from driftscope.model.labels import class_as_text

        return class_as_text(v)

    @field_validator("labels", mode="before")
    @classmethod
    def _labels_text(cls, v: Any) -> Any:
        from driftscope.model.labels import labels_as_text

        return labels_as_text(v)

    @field_validator("baseline")
    @classmethod
    def _known_metrics(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = [k for k in v if k not in PERFORMANCE_METRICS]
        if unknown:
            raise ValueError(
                f"unknown metric {shorten(repr(unknown[0]), ECHO_LIMIT)}; known: "
                f"{', '.join(PERFORMANCE_METRICS)}"
            )
        return v


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def load_metadata(path: str) -> ModelMetadata:
    """Read a metadata file: JSON when it ends in ``.json``, YAML otherwise.

    The file is read within the limits of :mod:`driftscope.safe_yaml` (10 MB, 64 levels of
    nesting, no YAML alias bombs); every failure is a one-line :class:`ArtifactError` naming
    the file.
    """
    p = Path(path)
    if not p.is_file():
        raise ArtifactError(f"{p}: metadata file not found; check the path")
    try:
        data = read_json_file(p) if p.suffix.lower() == ".json" else read_yaml_file(p)
    except FileNotFoundError:
        raise ArtifactError(f"{p}: metadata file not found; check the path") from None
    except DocumentSyntaxError as err:
        where = f" at line {err.line}" if err.line is not None else ""
        raise ArtifactError(f"{p}: metadata is not valid JSON/YAML ({err.reason}{where}); "
                            "fix the syntax") from None
    except DocumentError as err:  # too large, too deep, an alias bomb, unreadable
        raise ArtifactError(str(err)) from None
    if not isinstance(data, dict):
        raise ArtifactError(f"{p}: metadata must be a mapping of fields (name, version, ...)")
    try:
        return ModelMetadata(**{str(k): v for k, v in data.items()})
    except ValidationError as err:
        first = err.errors()[0]
        loc = shorten(_printable(".".join(str(x) for x in first["loc"])), ECHO_LIMIT)
        msg = shorten_words(_printable(str(first["msg"])))
        raise ArtifactError(f"{p}: metadata field '{loc}': {msg}") from None
