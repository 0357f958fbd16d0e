"""Reading the YAML config and merging it with flags (flags win)."""

from __future__ import annotations

import difflib
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from driftscope.config.models import MonitoringConfig
from driftscope.errors import ConfigError
from driftscope.safe_yaml import (
    ECHO_LIMIT,
    DocumentError,
    DocumentSyntaxError,
    read_yaml_file,
    shorten,
    shorten_words,
)


def _model_at(loc: tuple[Any, ...]) -> Any:
    """The pydantic model that holds the last key of ``loc`` (None when unknown)."""
    model: Any = MonitoringConfig
    for part in loc:
        field = model.model_fields.get(str(part)) if hasattr(model, "model_fields") else None
        if field is None:
            if isinstance(model, dict):  # a key of a mapping field, e.g. features.<pattern>
                model = model["value"]  # (or an item of a list field, notifications.<n>)
                continue
            return None
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
        elif typing.get_origin(ann) is dict:
            value = typing.get_args(ann)[1]
            model = {"value": value} if isinstance(value, type) else None
        elif typing.get_origin(ann) is list and isinstance(typing.get_args(ann)[0], type):
            model = {"value": typing.get_args(ann)[0]}
        else:
            return None
    return model if hasattr(model, "model_fields") else None


def _name(key: str, flags: frozenset[str] | set[str]) -> str:
    return f"--{key.replace('_', '-')}" if key in flags else key


def _describe(err: ValidationError, source: str, flags: frozenset[str] | set[str] = frozenset()
              ) -> str:
    """One line: control characters in keys or values are shown escaped."""
    return _printable(_describe_raw(err, source, flags))


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _did_you_mean(key: Any, valid: list[str]) -> str:
    """' (did you mean 'significance'?)' for a key that is a near miss of a valid one."""
    close = difflib.get_close_matches(str(key).lower(), valid, n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _describe_raw(err: ValidationError, source: str,
                  flags: frozenset[str] | set[str] = frozenset()) -> str:
    first = err.errors()[0]
    loc = shorten(_printable(".".join(str(p) for p in first["loc"])), ECHO_LIMIT)
    kind = first["type"]
    top = str(first["loc"][0]) if first["loc"] else ""
    if top in flags:  # the value came from a command-line flag, not the file
        source = "command line"
        loc = _name(top, flags) + loc[len(top):]
    if kind == "extra_forbidden":
        model = _model_at(first["loc"][:-1])
        valid = sorted(model.model_fields) if model is not None else []
        hint = f"; valid keys: {', '.join(valid)}" if valid else ""
        return f"{source}: unknown key '{loc}'{_did_you_mean(first['loc'][-1], valid)}{hint}"
    msg = shorten_words(_printable(str(first["msg"]).removeprefix("Value error, ")))
    if not loc:  # a rule across fields
        return f"{source}: {msg}"
    got = first.get("input")
    got_txt = f" (got {shorten(repr(got), ECHO_LIMIT)})" if not isinstance(got, dict) else ""
    what = "flag" if top in flags else "field"
    return f"{source}: {what} '{loc}': {msg}{got_txt}"


def build_config(values: dict[str, Any], source: str = "config",
                 flags: set[str] | frozenset[str] = frozenset()) -> MonitoringConfig:
    """Validate ``values`` into a config, turning pydantic errors into one-line ConfigErrors.

    ``flags`` names the keys whose values came from command-line flags, so that an error about
    one of them names the flag rather than the file.
    """
    bad = [k for k in values if not isinstance(k, str)]
    if bad:
        raise ConfigError(f"{source}: unknown key {shorten(repr(bad[0]), ECHO_LIMIT)} (keys must "
                          "be text); valid keys: "
                          f"{', '.join(sorted(MonitoringConfig.model_fields))}")
    try:
        return MonitoringConfig(**values)
    except ValidationError as err:
        raise ConfigError(_describe(err, source, set(flags))) from None


def read_yaml(path: str | Path) -> dict[str, Any]:
    """The top-level mapping of a YAML config file ({} when the file is empty).

    The file is read within the limits of :mod:`driftscope.safe_yaml` (10 MB, 64 levels of
    nesting, no alias bombs); every failure is a one-line :class:`ConfigError` naming the file.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: config file not found; pass an existing YAML file to --config")
    try:
        data = read_yaml_file(p)
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found; pass an existing YAML file to --config"
                          ) from None
    except DocumentSyntaxError as err:
        if err.reason in ("ValueError", "TypeError", "OverflowError"):  # a value, e.g. a date
            raise ConfigError(str(err)) from None
        where = f" (line {err.line})" if err.line is not None else ""
        raise ConfigError(f"{p}: not valid YAML{where}; fix the syntax") from None
    except DocumentError as err:  # too large, too deep, an alias bomb, unreadable
        raise ConfigError(str(err)) from None
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
    flags = set()
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = value
            flags.add(key)
    return build_config(values, source, flags)
