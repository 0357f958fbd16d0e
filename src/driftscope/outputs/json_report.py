"""The JSON report and its published JSON Schema (``driftscope/schemas/drift_report.schema.json``)."""

from __future__ import annotations

import functools
import json
import os
from importlib import resources
from typing import Any

from driftscope.errors import InputError
from driftscope.outputs.atomic import write_text
from driftscope.result import RunResult


@functools.lru_cache(maxsize=1)
def report_schema() -> dict[str, Any]:
    """The JSON Schema every ``drift_report.json`` validates against."""
    text = resources.files("driftscope").joinpath("schemas/drift_report.schema.json").read_text(
        encoding="utf-8")
    return dict(json.loads(text))


def validate_report(data: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` when ``data`` breaks the published schema."""
    import jsonschema

    jsonschema.validate(data, report_schema(), cls=jsonschema.Draft202012Validator)


def write_json(result: RunResult, path: str | os.PathLike[str]) -> None:
    data = result.to_dict()
    validate_report(data)
    write_text(path, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False))


def read_json(path: str | os.PathLike[str]) -> RunResult:
    """Read a saved report back into a :class:`RunResult`."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise InputError(f"{path}: no such report; check the path") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not a valid JSON report ({err.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a driftscope report (expected a JSON object)")
    try:
        return RunResult.from_dict(data)
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(f"{path}: not a driftscope report (missing or bad field: {err})"
                         ) from None
