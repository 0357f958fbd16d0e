"""Frozen dataclasses to plain JSON-ready data and back."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np

from driftscope.plain import OMIT_WHEN_EMPTY, from_plain, to_plain


class Colour(str, enum.Enum):
    RED = "red"


@dataclass(frozen=True)
class Inner:
    value: float
    colour: Colour = Colour.RED


@dataclass(frozen=True)
class Outer:
    items: tuple[Inner, ...]
    named: dict[str, Inner]
    maybe: Inner | None = None
    rare: tuple[int, ...] = field(default=(), metadata=OMIT_WHEN_EMPTY)


def test_round_trip_through_plain_data() -> None:
    outer = Outer(items=(Inner(1.5),), named={"a": Inner(2.0)}, maybe=Inner(3.0), rare=(1,))
    plain = to_plain(outer)
    assert plain == {"items": [{"value": 1.5, "colour": "red"}],
                     "named": {"a": {"value": 2.0, "colour": "red"}},
                     "maybe": {"value": 3.0, "colour": "red"}, "rare": [1]}  # fmt: skip
    assert from_plain(Outer, plain) == outer


def test_empty_optional_fields_are_left_out_and_odd_numbers_become_plain() -> None:
    plain = to_plain(Outer(items=(Inner(float("nan")),), named={}))
    assert "rare" not in plain and plain["maybe"] is None
    assert plain["items"][0]["value"] is None
    assert to_plain(np.float64(0.25)) == 0.25 and type(to_plain(np.int64(3))) is int
    assert from_plain(Inner, {"value": 2}) == Inner(2.0)
