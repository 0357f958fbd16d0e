"""The dashboard snapshot ``streamlit_dashboard_data.pkl``: plain data in a pickle.

The file keeps the name and format of the original system, but holds plain data only
(dicts, lists, tuples, str, int, float, bool, None): the round's result as
``RunResult.to_dict()``. Plain builtins pickle without any global reference, so
:func:`read_snapshot` can use an unpickler that refuses every global: a tampered file that
names a class or a function (``os.system``) is refused before anything runs.

Layout::

    {
        "format": "driftscope.dashboard_snapshot",
        "snapshot_version": 1,
        "written_at": "2026-11-26T12:00:05Z",
        "result": {... RunResult.to_dict() ...},
        "history": [],   # always empty: kept so readers of version 1 find the key
    }

The dashboard reads the rounds before this one from the history store, not from here.
"""

from __future__ import annotations

import io
import math
import os
import pickle
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from driftscope.errors import InputError
from driftscope.outputs.atomic import write_bytes
from driftscope.result import RunResult

__all__ = [
    "SNAPSHOT_FORMAT",
    "SNAPSHOT_NAME",
    "SNAPSHOT_VERSION",
    "read_snapshot",
    "write_snapshot",
]

SNAPSHOT_NAME = "streamlit_dashboard_data.pkl"
SNAPSHOT_FORMAT = "driftscope.dashboard_snapshot"
SNAPSHOT_VERSION = 1
_PROTOCOL = 4  # readable by every supported Python; plain data needs no newer opcodes


def _plain(value: Any, where: str) -> Any:
    """``value`` as plain builtins, or a ValueError naming where the foreign object sits."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where} has a non-text key {key!r}")
            out[key] = _plain(item, f"{where}.{key}")
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return _plain(item(), where)
    raise ValueError(
        f"{where} is a {type(value).__name__}; the snapshot holds plain data only "
        "(dict, list, str, int, float, bool, None)"
    )


def write_snapshot(result: RunResult, path: str | os.PathLike[str]) -> Path:
    """Write the dashboard snapshot atomically.

    Parameters
    ----------
    result : RunResult
        The round to snapshot.
    path : str or PathLike
        The file to write; when it is an existing folder, ``streamlit_dashboard_data.pkl``
        inside it.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        When the result holds something that is not plain data (a setting of another type);
        the file is left as it was.
    """
    target = Path(path)
    if target.is_dir():
        target = target / SNAPSHOT_NAME
    data = {
        "format": SNAPSHOT_FORMAT,
        "snapshot_version": SNAPSHOT_VERSION,
        "written_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "result": _plain(result.to_dict(), "result"),
        "history": [],
    }
    write_bytes(target, pickle.dumps(data, protocol=_PROTOCOL))
    return target


class _Refused(pickle.UnpicklingError):
    """The pickle asked for something a plain-data snapshot never needs."""


class _PlainUnpickler(pickle.Unpickler):
    """An unpickler that refuses every global: plain builtins never need one."""

    def find_class(self, module: str, name: str) -> Any:
        raise _Refused(f"refers to {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        raise _Refused("uses a persistent id")


def read_snapshot(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a dashboard snapshot back, refusing anything but plain data.

    Parameters
    ----------
    path : str or PathLike
        The snapshot file (or the folder holding ``streamlit_dashboard_data.pkl``).

    Returns
    -------
    dict
        The snapshot (see the module docstring); ``RunResult.from_dict(data["result"])``
        rebuilds the round.

    Raises
    ------
    InputError
        When the file is missing or unreadable, refers to any class or function (it was
        not written by driftscope, or it was tampered with), or is not a driftscope snapshot.
    """
    source = Path(path)
    if source.is_dir():
        source = source / SNAPSHOT_NAME
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the dashboard snapshot {source}: {exc.strerror}") from None
    try:
        data = _PlainUnpickler(io.BytesIO(raw)).load()
    except _Refused as exc:
        raise InputError(
            f"refused the dashboard snapshot {source}: it {exc}, and a driftscope snapshot "
            "holds plain data only (it may have been tampered with); delete it and rerun the round"
        ) from None
    except Exception as exc:  # truncated or not a pickle at all
        raise InputError(
            f"cannot read the dashboard snapshot {source}: not a valid snapshot "
            f"({type(exc).__name__}: {exc}); delete it and rerun the round"
        ) from None
    if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
        raise InputError(
            f"{source} is not a driftscope dashboard snapshot (no format "
            f"{SNAPSHOT_FORMAT!r}); delete it and rerun the round"
        )
    version = data.get("snapshot_version")
    if not isinstance(version, int) or version > SNAPSHOT_VERSION:
        raise InputError(
            f"the dashboard snapshot {source} has version {version!r}; this driftscope reads "
            f"up to {SNAPSHOT_VERSION}: upgrade driftscope or rerun the round"
        )
    return data
