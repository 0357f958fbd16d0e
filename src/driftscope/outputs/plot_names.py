"""File names of the PNG plots: any column name made safe on every operating system.

:func:`plot_filenames` turns column names into names of ASCII letters, digits, ``_`` and
``-`` that are unique even on case-insensitive file systems (re-exported by :mod:`.png`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence

__all__ = ["PREFIX", "plot_filenames"]

PREFIX = "drift_plot_"

_MAX_STEM = 60
_HASH_LEN = 8
_RESERVED = {
    "con", "prn", "aux", "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}  # fmt: skip


def _digest(name: str) -> str:
    data = name.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:_HASH_LEN]


def _base_stem(name: str) -> str:
    """ASCII letters, digits, ``-`` and ``_`` only; accents dropped; long names hashed."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^A-Za-z0-9-]+", "_", text).strip("_")
    if not text:
        return f"column_{_digest(name)}"
    if len(text) > _MAX_STEM:
        text = f"{text[: _MAX_STEM - _HASH_LEN - 1].rstrip('_')}_{_digest(name)}"
    if text.lower() in _RESERVED:
        text += "_"
    return text


def _hashed_stem(name: str, base: str, counter: int) -> str:
    suffix = f"_{_digest(name)}" + (f"_{counter}" if counter else "")
    return base[: _MAX_STEM - len(suffix)].rstrip("_") + suffix


def plot_filenames(names: Sequence[str]) -> dict[str, str]:
    """Map each column name to a safe, unique PNG file name ``drift_plot_<safe>.png``.

    Parameters
    ----------
    names : Sequence[str]
        Column names, as given; repeated names map to the same file.

    Returns
    -------
    dict[str, str]
        Column name -> file name. File names hold only ASCII letters, digits, ``_`` and
        ``-`` before ``.png`` (so no ``/``, ``\\``, ``..``, control or reserved characters),
        are at most ``len("drift_plot_") + 60 + 4`` characters long, and differ from each
        other even when compared case-insensitively.

    Notes
    -----
    Accents are dropped (``âge`` -> ``age``) and other characters become ``_``. Names that
    end up too long, empty, or equal to another name's file name get a short hash of the
    original name. Names that survive unchanged claim their plain file name first, so the
    result is deterministic and independent of the order of ``names``.
    """
    unique = sorted(set(names), key=lambda n: (_base_stem(n) != n, n))
    used: set[str] = set()
    out: dict[str, str] = {}
    for name in unique:
        base = _base_stem(name)
        stem = base
        counter = 0
        while stem.lower() in used:
            stem = _hashed_stem(name, base, counter)
            counter += 1
        used.add(stem.lower())
        out[name] = f"{PREFIX}{stem}.png"
    return {name: out[name] for name in names}
