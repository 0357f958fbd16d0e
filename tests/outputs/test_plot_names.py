"""File names of the PNG plots: safe on every operating system, unique, deterministic."""

from __future__ import annotations

import re

from driftscope.outputs.plot_names import plot_filenames
from tests.outputs.factories_extra import HOSTILE_NAMES

SAFE = re.compile(r"drift_plot_[A-Za-z0-9_-]{1,60}\.png")
WINDOWS_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}


def test_plain_names_stay_readable() -> None:
    assert plot_filenames(["income", "Age_2", "debt-ratio"]) == {
        "income": "drift_plot_income.png",
        "Age_2": "drift_plot_Age_2.png",
        "debt-ratio": "drift_plot_debt-ratio.png",
    }


def test_hostile_names_give_safe_unique_names() -> None:
    names = plot_filenames(HOSTILE_NAMES + ["", " ", "..", ".", "a/b", "a\\b", "é", "e"])
    files = list(names.values())
    for file in files:
        assert SAFE.fullmatch(file), file
        assert ".." not in file and "/" not in file and "\\" not in file
        assert all(32 < ord(ch) < 127 for ch in file)
        stem = file.removeprefix("drift_plot_").removesuffix(".png")
        assert stem.lower() not in WINDOWS_RESERVED
    assert len({f.lower() for f in files}) == len(files)


def test_accents_dropped_and_long_names_shortened_with_a_hash() -> None:
    names = plot_filenames(["âge", "x" * 10_000, "x" * 9_999])
    assert names["âge"] == "drift_plot_age.png"
    long_a, long_b = names["x" * 10_000], names["x" * 9_999]
    assert len(long_a) <= len("drift_plot_") + 60 + 4
    assert long_a != long_b and re.search(r"_[0-9a-f]{8}\.png$", long_a)


def test_collisions_resolved_case_insensitively_and_deterministically() -> None:
    names = ["Age", "age", "AGE", "a ge", "a_ge", "a-ge"]
    first = plot_filenames(names)
    assert len({f.lower() for f in first.values()}) == len(names)
    assert first["a_ge"] == "drift_plot_a_ge.png"  # unchanged names keep their plain file
    assert first["AGE"] == "drift_plot_AGE.png"  # first in code-point order among equals
    assert first["a ge"].startswith("drift_plot_a_ge_")
    assert plot_filenames(list(reversed(names))) == first  # order does not matter
    assert plot_filenames(names) == first


def test_a_hash_suffix_cannot_steal_another_name() -> None:
    hashed = plot_filenames(["a ge", "a_ge"])["a ge"]
    stem = hashed.removeprefix("drift_plot_").removesuffix(".png")
    names = plot_filenames(["a ge", "a_ge", stem])
    assert len(set(names.values())) == 3


def test_repeated_names_share_a_file() -> None:
    assert plot_filenames(["a", "a"]) == {"a": "drift_plot_a.png"}
