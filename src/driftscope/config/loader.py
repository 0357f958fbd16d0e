"""Reading the YAML config and merging it with flags (flags win)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from driftscope.config.models import MonitoringConfig
from driftscope.errors import ConfigError


def _describe(err: ValidationError, source: str) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    kind = first["type"]
    if kind == "extra_forbidden":
        model: Any = MonitoringConfig
        for part in first["loc"][:-1]:
            field = model.model_fields.get(str(part)) if hasattr(model, "model_fields") else None
            ann = getattr(field, "annotation", None)
            model = ann if isinstance(ann, type) else None
            if model is None:
                break
        valid = sorted(model.model_fields) if model is not None else []
        hint = f"; valid keys: {', '.join(valid)}" if valid else ""
        return f"{source}: unknown key '{loc}'{hint}"
    got = first.get("input")
    got_txt = f" (got {got!r})" if not isinstance(got, dict) else ""
    return f"{source}: field '{loc}': {first['msg']}{got_txt}"


def build_config(values: dict[str, Any], source: str = "config") -> MonitoringConfig:
    """Validate ``values`` into a config, turning pydantic errors into one-line ConfigErrors."""
    try:
        return MonitoringConfig(**values)
    except ValidationError as err:
        raise ConfigError(_describe(err, source)) from None
    except TypeError as err:  # e.g. non-string keys
        raise ConfigError(f"{source}: {err}") from None


def read_yaml(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: config file not found; pass an existing YAML file to --config")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        line = getattr(getattr(err, "problem_mark", None), "line", None)
        where = f" (line {line + 1})" if line is not None else ""
        raise ConfigError(f"{p}: not valid YAML{where}; fix the syntax") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: expected a mapping of settings at the top level")
    return data


def load_config(
    path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> MonitoringConfig:
    """Build a config from a YAML file (optional) and flag overrides (None values ignored).

    Relative paths in the YAML file are resolved against the file's folder.
    """
    values: dict[str, Any] = {}
    source = "config"
    if path is not None:
        values = read_yaml(path)
        source = str(path)
        base = Path(path).resolve().parent
        for key in ("reference", "current", "baseline", "model", "metadata", "out"):
            v = values.get(key)
            if isinstance(v, str) and v and not Path(v).is_absolute() and "://" not in v:
                values[key] = str(base / v)
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = value
    return build_config(values, source)
