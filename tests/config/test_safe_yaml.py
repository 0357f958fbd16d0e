"""The limited YAML/JSON loader: alias bombs, alias cycles, deep nesting, size, bad values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from driftscope.safe_yaml import (
    MAX_ALIAS_NODES,
    MAX_ALIASES,
    MAX_DEPTH,
    DocumentError,
    DocumentLimitError,
    DocumentSyntaxError,
    json_depth,
    load_json,
    load_yaml,
    read_json_file,
    read_text_file,
    read_yaml_file,
    shorten,
)


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    """The classic alias bomb: ``width ** levels`` strings from a few hundred bytes."""
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def nested_flow(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def nested_block(depth: int) -> str:
    return "".join(f"{'  ' * i}k{i}:\n" for i in range(depth - 1)) + f"{'  ' * (depth - 1)}k: 1\n"


def test_ordinary_documents_load_as_with_safe_load() -> None:
    text = ("base: &base {warning: 0.1, critical: 0.2}\n"
            "psi:\n  <<: *base\n  critical: 0.3\n"
            "names: &n [a, b]\nagain: *n\nwhen: 2026-01-02\n")
    import yaml

    assert load_yaml(text, "c.yaml") == yaml.safe_load(text)
    assert load_yaml("", "c.yaml") is None


def test_an_alias_bomb_is_refused_early_in_one_short_line() -> None:
    with pytest.raises(DocumentLimitError) as info:
        load_yaml(billion_laughs(), "bomb.yaml")
    message = str(info.value)
    assert message.startswith("bomb.yaml: YAML aliases expand to more than")
    assert str(MAX_ALIAS_NODES) in message and "\n" not in message and len(message) < 300


def test_the_alias_budget_counts_expanded_nodes() -> None:
    # 999 nodes under one anchor: 100 aliases of it stay below the budget, 101 do not
    big = "big: &b [" + ", ".join(["1"] * 998) + "]\n"
    assert len(load_yaml(big + "refs: [" + ", ".join(["*b"] * 100) + "]\n", "x")["refs"]) == 100
    with pytest.raises(DocumentLimitError, match="expand to more than"):
        load_yaml(big + "refs: [" + ", ".join(["*b"] * 101) + "]\n", "x")


def test_the_number_of_aliases_is_limited() -> None:
    head = "s: &s 1\nrefs: ["
    assert len(load_yaml(head + ", ".join(["*s"] * MAX_ALIASES) + "]\n", "x")["refs"]) == 1000
    with pytest.raises(DocumentLimitError, match=f"more than {MAX_ALIASES} YAML aliases"):
        load_yaml(head + ", ".join(["*s"] * (MAX_ALIASES + 1)) + "]\n", "x")


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {k: *a}\n", "&r [1, [2, *r]]\n"])
def test_an_alias_inside_its_own_anchor_is_refused(text: str) -> None:
    with pytest.raises(DocumentLimitError, match="refers to a node that contains it"):
        load_yaml(text, "x.yaml")


@pytest.mark.parametrize("make", [nested_flow, nested_block])
def test_nesting_is_limited_to_max_depth(make) -> None:
    load_yaml(make(MAX_DEPTH), "ok.yaml")
    with pytest.raises(DocumentLimitError) as info:
        load_yaml(make(MAX_DEPTH + 1), "deep.yaml")
    assert str(info.value).startswith(f"deep.yaml: YAML nesting deeper than {MAX_DEPTH} levels")


def test_very_deep_yaml_is_refused_without_recursion_error() -> None:
    with pytest.raises(DocumentLimitError, match="nesting deeper than 64"):
        load_yaml("a: " + nested_flow(50_000), "deep.yaml")


@pytest.mark.parametrize(("text", "line"), [("a: [1, 2\n", 2), ("a: b: c\n", 1)])
def test_syntax_errors_keep_their_line(text: str, line: int) -> None:
    with pytest.raises(DocumentSyntaxError) as info:
        load_yaml(text, "s.yaml")
    assert info.value.line == line and "s.yaml: not valid YAML" in str(info.value)


@pytest.mark.parametrize("text", ["a: " + "1" * 5000 + "\n", "a: 2024-13-45\n"])
def test_values_python_cannot_build_are_syntax_errors(text: str) -> None:
    with pytest.raises(DocumentSyntaxError) as info:
        load_yaml("ok: 1\n" + text, "v.yaml")
    assert str(info.value).startswith("v.yaml: not valid YAML (line 2: a value cannot be read")
    assert len(str(info.value)) < 300 and info.value.line == 2


def test_json_depth() -> None:
    assert json_depth(1) == 0
    assert json_depth({"a": [1, {"b": []}]}) == 4
    assert json_depth(json.loads(nested_flow(MAX_DEPTH))) == MAX_DEPTH


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 100_000])
def test_deep_json_is_refused(depth: int) -> None:
    assert load_json(nested_flow(MAX_DEPTH), "ok.json")
    with pytest.raises(DocumentLimitError) as info:
        load_json(nested_flow(depth), "deep.json")
    assert str(info.value) == ("deep.json: JSON nesting deeper than 64 levels; flatten the "
                               "document")


@pytest.mark.parametrize("text", ["{bad", '{"a": ' + "1" * 5000 + "}"])
def test_bad_json_is_a_syntax_error(text: str) -> None:
    with pytest.raises(DocumentSyntaxError) as info:
        load_json(text, "b.json")
    assert len(str(info.value)) < 300


def test_files_larger_than_the_limit_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: 1\n" + "#" * 100 + "\n", encoding="utf-8")
    assert read_yaml_file(path) == {"a": 1}
    with pytest.raises(DocumentLimitError) as info:
        read_yaml_file(path, max_bytes=50)
    assert str(info.value).startswith(f"{path}: the file is ") and "50 bytes limit" in str(
        info.value)
    assert read_json_file(_write(tmp_path / "r.json", "[1]"), max_bytes=None) == [1]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_reading_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_text_file(tmp_path / "missing.yaml")
    with pytest.raises(DocumentError, match="cannot read"):
        read_text_file(tmp_path)  # a folder
    (tmp_path / "latin.yaml").write_bytes("a: é\n".encode("latin-1"))
    with pytest.raises(DocumentSyntaxError, match="not UTF-8"):
        read_yaml_file(tmp_path / "latin.yaml")
    (tmp_path / "bom.json").write_bytes(b"\xef\xbb\xbf{\"a\": 1}")
    assert read_json_file(tmp_path / "bom.json") == {"a": 1}


def test_shorten() -> None:
    assert shorten("abc") == "abc"
    assert shorten("x" * 200) == "x" * 200
    assert shorten("x" * 201) == "x" * 199 + "…"
    assert len(shorten("y" * 10_000, 50)) == 50


def test_shorten_words_keeps_the_explanation_after_a_long_word() -> None:
    from driftscope.safe_yaml import shorten_words

    text = "key " + "k" * 10_000 + " must not exceed 3"
    cut = shorten_words(text)
    assert cut == "key " + "k" * 199 + "… must not exceed 3"
    assert len(shorten_words("x " * 10_000)) == 400
    assert shorten_words("short text") == "short text"
