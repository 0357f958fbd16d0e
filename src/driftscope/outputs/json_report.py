"""The JSON report and its published JSON Schema (``schemas/drift_report.schema.json``)."""

from __future__ import annotations

import functools
import json
import os
from importlib import resources
from typing import Any

from driftscope.errors import InputError
from driftscope.outputs.atomic import write_text
from driftscope.result import RunResult, check_schema_version
from driftscope.safe_yaml import (
    DocumentError,
    DocumentSyntaxError,
    read_json_file,
    shorten,
    shorten_words,
)

REPORT_MAX_BYTES: int | None = None
"""Largest saved report :func:`read_json` accepts (None: no limit). A report grows with the
number of columns and JSON has no aliases, so only its nesting depth is limited (64 levels,
see :mod:`driftscope.safe_yaml`)."""


@functools.lru_cache(maxsize=1)
def report_schema() -> dict[str, Any]:
    """The JSON Schema every ``drift_report.json`` validates against."""
    text = resources.files("driftscope").joinpath("schemas/drift_report.schema.json").read_text(
        encoding="utf-8")
    return dict(json.loads(text))


def validate_report(data: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` when ``data`` breaks the published schema."""
    _validator().validate(data)


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(report_schema())
    return jsonschema.Draft202012Validator(report_schema())


def write_json(result: RunResult, path: str | os.PathLike[str]) -> None:
    data = result.to_dict()
    validate_report(data)
    write_text(path, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False))


def read_json(path: str | os.PathLike[str]) -> RunResult:
    """Read a saved ``drift_report.json`` back into a :class:`RunResult`.

    The file must validate against the published schema and nest at most 64 levels deep;
    every failure is an InputError whose one-line message names the file.
    """
    import jsonschema

    try:
        data = read_json_file(path, max_bytes=REPORT_MAX_BYTES)
    except FileNotFoundError:
        raise InputError(f"{path}: no such report; pass the drift_report.json a round wrote"
                         ) from None
    except DocumentSyntaxError as err:
        raise InputError(f"{path}: not valid JSON ({err.reason}); expected a "
                         "drift_report.json written by driftscope") from None
    except DocumentError as err:  # nested too deeply, too large, unreadable
        raise InputError(str(err)) from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: holds a JSON {type(data).__name__}, expected a report object")
    # The version first (a 2.x report breaks the schema everywhere), then the schema, and
    # only then the typed result: a partial report names the field it lacks.
    try:
        if "schema_version" in data:  # when absent, the schema says so
            check_schema_version(data)
    except InputError as err:
        raise InputError(f"{path}: {shorten_words(str(err))}") from None
    try:
        validate_report(data)
    except jsonschema.ValidationError as err:
        where = shorten("/".join(str(p) for p in err.absolute_path) or "top level")
        raise InputError(f"{path}: not a valid driftscope report at {where}: "
                         f"{shorten(' '.join(err.message[:1000].split()))} (a partial or edited "
                         "file, or not a driftscope report)") from None
    try:
        return RunResult.from_dict(data)
    except InputError as err:
        raise InputError(f"{path}: {shorten_words(str(err))}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise InputError(f"{path}: not a driftscope report (missing or bad field: "
                         f"{shorten_words(str(err))})") from None
