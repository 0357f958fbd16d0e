"""Column profiles as ``driftscope_profiles`` rows, and back.

A round's profiles are what its statistics were computed from (bin counts against the
reference binning, category counts, missing counts, exact moments, and, when the profile has
them, its percentiles, distinct count and whether it holds whole numbers only). Storing them
lets later rounds, trends and estimators use a round without its data. The sorted values that
exact Kolmogorov–Smirnov reads are rows of data, not a summary: they are never stored, nor is
a way to read them back or a quantile sketch, so a profile read back has none of these.

Numbers come back exactly as they went in: counts are integers, moments are stored as
doubles (NaN as NULL), and the arrays are JSON text in which floats are written in their
shortest round-tripping form and non-finite floats as the strings ``"nan"``, ``"inf"`` and
``"-inf"``, so that the text stays standard JSON.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from driftscope.errors import HistoryError
from driftscope.profile.model import (
    Binning,
    CategoricalProfile,
    ColumnProfile,
    DatasetProfile,
    Moments,
    NumericProfile,
)

__all__ = ["profile_of", "profile_rows"]


def _floats(values: Iterable[Any]) -> list[float | str]:
    """Floats for JSON: finite ones as numbers, the others as ``"nan"``, ``"inf"``, ``"-inf"``."""
    out: list[float | str] = []
    for v in values:
        f = float(v)
        out.append(f if math.isfinite(f) else str(f))
    return out


def _double(value: float) -> float | None:
    """A moment for a double column: NaN becomes NULL (SQLite has no NaN), infinities stay."""
    return None if math.isnan(value) else float(value)


def _row(seq: int, position: int, name: str, profile: ColumnProfile) -> dict[str, Any]:
    """The row of one profile."""
    row: dict[str, Any] = {
        "run_seq": seq,
        "position": position,
        "name": name,
        "type": profile.type,
        "missing": int(profile.missing),
        "non_missing": int(profile.count),
    }
    if isinstance(profile, NumericProfile):
        mo = profile.moments
        data: dict[str, Any] = {
            "edges": _floats(profile.binning.edges),
            "values": _floats(profile.binning.values),
            "counts": [int(c) for c in np.asarray(profile.counts).ravel()],
        }
        if profile.quantiles is not None:
            data["quantiles"] = _floats(np.asarray(profile.quantiles, dtype=np.float64).ravel())
        if profile.distinct is not None:
            data["distinct"] = int(profile.distinct)
        if profile.whole is not None:
            data["whole"] = bool(profile.whole)
        row.update(
            beyond_float=int(profile.beyond_float),
            binning_kind=profile.binning.kind,
            moment_count=int(mo.count),
            moment_mean=_double(mo.mean),
            moment_m2=_double(mo.m2),
            moment_min=float(mo.min) if mo.count else None,
            moment_max=float(mo.max) if mo.count else None,
        )
    else:
        data = {"categories": [[str(k), int(v)] for k, v in profile.counts.items()]}
        row.update(beyond_float=0, binning_kind=None, moment_count=None, moment_mean=None,
                   moment_m2=None, moment_min=None, moment_max=None)
    row["data_json"] = json.dumps(data, allow_nan=False, separators=(",", ":"))
    return row


def profile_rows(run_id: str, seq: int,
                 profiles: Mapping[str, ColumnProfile] | DatasetProfile) -> list[dict[str, Any]]:
    """The ``driftscope_profiles`` rows of a round's profiles, in their order.

    Raises
    ------
    HistoryError
        When a value is not a :class:`NumericProfile` or :class:`CategoricalProfile`, or is
        keyed by another name than its own (a profile is read back under its name).
    """
    columns = profiles.columns if isinstance(profiles, DatasetProfile) else profiles
    rows = []
    for position, (name, profile) in enumerate(columns.items()):
        if not isinstance(profile, (NumericProfile, CategoricalProfile)):
            raise HistoryError(
                f"cannot record the profiles of round {run_id!r}: the value for {name!r} is "
                f"a {type(profile).__name__}, expected a NumericProfile or CategoricalProfile"
            )
        if name != profile.name:
            raise HistoryError(
                f"cannot record the profiles of round {run_id!r}: the profile of "
                f"{profile.name!r} is keyed {name!r}; key each profile by its column name"
            )
        rows.append(_row(seq, position, name, profile))
    return rows


def profile_of(row: Any) -> ColumnProfile:
    """The profile stored in one ``driftscope_profiles`` row (a mapping of its columns).

    Raises ``KeyError``, ``TypeError`` or ``ValueError`` when the row is damaged; the store
    turns those into a :class:`HistoryError` naming the round.
    """
    data = json.loads(row["data_json"])
    if row["type"] == "categorical":
        return CategoricalProfile(
            name=row["name"],
            counts={str(k): int(v) for k, v in data["categories"]},
            missing=int(row["missing"]),
        )
    if row["type"] != "numerical":
        raise ValueError(f"unknown profile type {row['type']!r}")
    count = int(row["moment_count"])
    mean, m2 = row["moment_mean"], row["moment_m2"]
    moments = Moments(
        count=count,
        mean=math.nan if mean is None else float(mean),
        m2=math.nan if m2 is None else float(m2),
        min=float(row["moment_min"]) if count else math.inf,
        max=float(row["moment_max"]) if count else -math.inf,
    )
    quantiles = data.get("quantiles")
    distinct, whole = data.get("distinct"), data.get("whole")
    return NumericProfile(
        name=row["name"],
        binning=Binning(
            kind=row["binning_kind"],
            edges=tuple(float(e) for e in data["edges"]),
            values=tuple(float(v) for v in data["values"]),
        ),
        counts=np.asarray(data["counts"], dtype=np.int64),
        missing=int(row["missing"]),
        count=int(row["non_missing"]),
        moments=moments,
        beyond_float=int(row["beyond_float"]),
        quantiles=None if quantiles is None else np.asarray([float(q) for q in quantiles],
                                                            dtype=np.float64),
        distinct=None if distinct is None else int(distinct),
        whole=None if whole is None else bool(whole),
    )
