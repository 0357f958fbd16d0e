"""A hostile or broken metadata file ends in one short ArtifactError line (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftscope.errors import ArtifactError
from driftscope.model.metadata import load_metadata
from tests.config.test_safe_yaml import billion_laughs, nested_block, nested_flow
from tests.conftest import FAST

LONG = 10_000


def _error(path: Path) -> str:
    with pytest.raises(ArtifactError) as info:
        load_metadata(str(path))
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("bomb.yaml", billion_laughs(), "YAML aliases expand to more than 100000 nodes"),
    ("deep.yaml", "name: " + nested_flow(100_000) + "\n", "YAML nesting deeper than 64 levels"),
    ("deep_block.yml", nested_block(100), "YAML nesting deeper than 64 levels"),
    ("cycle.yaml", "features: &f [a, *f]\n", "YAML alias *f refers to a node that contains it"),
    ("deep.json", '{"name": ' + nested_flow(100_000) + "}", "JSON nesting deeper than 64"),
    ("deep65.json", '{"x": ' + nested_flow(64) + "}", "JSON nesting deeper than 64"),
], ids=["alias bomb", "deep yaml", "deep block yaml", "alias cycle", "deep json",
        "json one level too deep"])
def test_hostile_metadata_is_refused(tmp_path: Path, name: str, text: str,
                                     expected: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    message = _error(path)
    assert message.startswith(f"{path}: {expected}") and len(message) < 400


def test_a_metadata_file_above_10_mb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("name: m\n" + ("#" * 1023 + "\n") * (10 * 1024), encoding="utf-8")
    assert "more than the 10.0 MB limit" in _error(path)


@pytest.mark.parametrize(("name", "text"), [
    ("int.yaml", "version: " + "1" * 5000 + "\n"),
    ("int.json", '{"version": ' + "1" * 5000 + "}"),
    ("date.yaml", "trained_at: 2026-02-30\n"),
    ("syntax.yaml", "name: [a, b\n"),
], ids=["huge yaml int", "huge json int", "impossible date", "syntax"])
def test_unreadable_values_are_syntax_errors(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert "metadata is not valid JSON/YAML" in _error(path)


def test_ordinary_aliases_still_work(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("features: &f [age, income]\nused_by_scorer: *f\n", encoding="utf-8")
    assert load_metadata(str(path)).features == ["age", "income"]


@pytest.mark.parametrize("text", [
    "baseline:\n  ? " + "m" * LONG + "\n  : 0.5\n",  # an unknown metric, quoted in the message
    "baseline:\n  ? " + "f" * LONG + "\n  : not a number\n",  # a long key in the location
    "baseline:\n  ? '" + "\\x01" * LONG + "'\n  : 0.5\n",  # control characters, escaped
], ids=["unknown metric", "long location", "control characters"])
def test_echoed_keys_and_values_are_cut(tmp_path: Path, text: str) -> None:
    path = tmp_path / "long.yaml"
    path.write_text(text, encoding="utf-8")
    message = _error(path)
    assert "…" in message and "\x01" not in message
    assert len(message.replace(str(path), "")) < 700


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("bomb.yaml", billion_laughs(), "YAML aliases expand to more than 100000 nodes"),
    ("deep.yaml", "name: " + nested_flow(100_000) + "\n", "YAML nesting deeper than 64 levels"),
    ("deep.json", nested_flow(100_000), "JSON nesting deeper than 64 levels"),
], ids=["alias bomb", "deep yaml", "deep json"])
def test_run_with_hostile_metadata_exits_2_with_one_short_line(cli, data, tmp_path: Path,
                                                               name: str, text: str,
                                                               expected: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = cli("run", "--reference", data.ref_csv, "--current", data.same_csv,
                 "--metadata", path, "--out", tmp_path / "out", *FAST)
    assert result.code == 2
    assert len(result.err) < 1000 and result.err.count("\n") == 1
    assert result.err.startswith(f"driftscope: error: {path}: {expected}")
