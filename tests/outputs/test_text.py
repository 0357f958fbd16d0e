"""Text from the data made safe for terminals and JSON."""

from __future__ import annotations

import json
import re

import pytest

from driftscope.outputs.text import json_safe, printable

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                    "\u2066-\u2069]")  # fmt: skip


def test_printable() -> None:
    assert printable("plain ünïcødé 年齢") == "plain ünïcødé 年齢"
    assert printable("a\x1bb\x07c\x08d\x7fe\x9bf") == "a\\x1bb\\x07c\\x08d\\x7fe\\x9bf"
    assert printable("a\tb\nc\rd") == "a\\tb\\nc\\rd"
    assert printable("\u202aa\u202eb\u2066c\u2069d\u200f") == (
        "\\u202aa\\u202eb\\u2066c\\u2069d\\u200f"
    )
    assert printable("x" * 200) == "x" * 200
    assert printable("x" * 201) == "x" * 199 + "…"
    assert printable("x" * 5000, None) == "x" * 5000
    assert printable("abcdef", limit=4) == "abc…"
    assert printable("ab\x1bcdef", limit=5) == "ab…"  # an escape is not cut in two
    assert printable("\ud800") == "\\ud800"  # a lone surrogate could not even be printed
    with pytest.raises(ValueError):
        printable("x", limit=0)


def test_json_safe_is_valid_json() -> None:
    data = {"k\u202e": ["\x1b", "\x85", "\u2028", "\ud800", "é\t\n"]}
    text = json_safe(json.dumps(data, indent=2, ensure_ascii=False))
    assert json.loads(text) == data
    assert not UNSAFE.search(text)
    assert "é" in text
