"""Frozen dataclasses to JSON-ready plain data and back.

:func:`to_plain` turns a dataclass tree (enums, dicts, tuples, floats, numpy scalars) into
dicts, lists, str, int, float and None; a float that is not finite becomes None, and a field
whose metadata holds :data:`OMIT_WHEN_EMPTY` is left out when None or empty.
:func:`from_plain` rebuilds the tree from the type hints of the dataclasses. The result of a
round (:class:`driftscope.result.RunResult`) round-trips through JSON with these two.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
from typing import Any, Literal

__all__ = ["OMIT_WHEN_EMPTY", "from_plain", "to_plain"]

OMIT_WHEN_EMPTY = {"omit_when_empty": True}
"""Field metadata: the field is left out of the JSON when None or empty (a field that only
some rounds have, e.g. multiclass performance, so other rounds keep their exact shape)."""


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (tuple, list, dict)) and not value)


_PLAIN_TYPES = (str, int, bool, type(None))
_FIELDS: dict[type, tuple[tuple[str, bool], ...]] = {}


def _fields(cls: type) -> tuple[tuple[str, bool], ...]:
    """(name, omit when empty) of each field of dataclass ``cls``, computed once per class."""
    found = _FIELDS.get(cls)
    if found is None:
        found = tuple((f.name, bool(f.metadata.get("omit_when_empty")))
                      for f in dataclasses.fields(cls))
        _FIELDS[cls] = found
    return found


def to_plain(obj: Any) -> Any:
    """``obj`` as plain JSON-ready data (see the module docstring)."""
    kind = type(obj)
    if kind in _PLAIN_TYPES:
        return obj
    if kind is float:
        return obj if math.isfinite(obj) else None
    if isinstance(obj, enum.Enum):
        return obj.value
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {}
        for name, omit in _fields(kind):
            value = getattr(obj, name)
            if not (omit and _empty(value)):
                out[name] = to_plain(value)
        return out
    if isinstance(obj, dict):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return to_plain(obj.item())
    return obj


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def from_plain(tp: Any, value: Any) -> Any:
    """``value`` (plain data) rebuilt as type ``tp``: dataclasses from their fields' type
    hints, enums from their values, tuples, dicts and optional values element by element."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        return from_plain(non_none[0], value) if len(non_none) == 1 else value
    if origin is tuple:
        return tuple(from_plain(args[0], v) for v in value)
    if origin is dict:
        return {k: from_plain(args[1], v) for k, v in value.items()}
    if origin is Literal:
        return value
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(value)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = _hints(tp)
        kwargs = {
            f.name: from_plain(hints[f.name], value[f.name])
            for f in dataclasses.fields(tp)
            if f.name in value
        }
        return tp(**kwargs)
    if tp is float and isinstance(value, int):
        return float(value)
    return value
