"""A hostile or broken config file ends in one short ConfigError line (exit 2), never in a
RecursionError, a huge message or a huge memory use."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftscope.config.loader import build_config, load_config
from driftscope.errors import ConfigError
from tests.config.test_safe_yaml import billion_laughs, nested_block, nested_flow


def _error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def test_an_alias_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs(), encoding="utf-8")
    message = _error(path)
    assert "YAML aliases expand to more than 100000 nodes" in message and len(message) < 400


@pytest.mark.parametrize("text", [
    "workers: " + nested_flow(5000) + "\n",
    "features:\n  x: " + nested_flow(70) + "\n",
    nested_block(200),
], ids=["flow 5000", "flow 70 inside features", "block 200"])
def test_deep_nesting_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    assert f"{path}: YAML nesting deeper than 64 levels" in _error(path)


def test_a_file_above_10_mb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("workers: 2\n" + ("#" * 1023 + "\n") * (10 * 1024), encoding="utf-8")
    message = _error(path)
    assert "more than the 10.0 MB limit" in message


def test_aliases_and_merge_keys_still_work(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("features:\n"
                    "  age: &o {psi_warning: 0.2, psi_critical: 0.3}\n"
                    "  income: *o\n"
                    "  city:\n    <<: *o\n    enabled: false\n", encoding="utf-8")
    features = load_config(path).features
    assert features["income"] == features["age"]
    assert features["city"].psi_critical == 0.3 and not features["city"].enabled


@pytest.mark.parametrize(("text", "expected"), [
    ("workers: " + "9" * 5000 + "\n", "not valid YAML (line 1: a value cannot be read: "),
    ("workers: 2\nx: 2026-02-30\n", "not valid YAML (line 2: a value cannot be read: day "),
], ids=["huge integer", "impossible date"])
def test_a_value_python_cannot_build_is_a_config_error(tmp_path: Path, text: str,
                                                       expected: str) -> None:
    path = tmp_path / "value.yaml"
    path.write_text(text, encoding="utf-8")
    message = _error(path)
    assert message.startswith(f"{path}: {expected}") and len(message) < 400


LONG = 10_000


# keys longer than 1024 characters must be written as explicit keys ("? key") in YAML
@pytest.mark.parametrize("text", [
    "? " + "x" * LONG + "\n: 1\n",
    "workers: " + "x" * LONG + "\n",
    "thresholds:\n  ? " + "y" * LONG + "\n  : {warning: 0.1}\n",
    "features:\n  ? '" + "z" * LONG + "'\n  : {psi_warning: 0.5, psi_critical: 0.1}\n",
], ids=["unknown key", "bad value", "unknown nested key", "rule across fields"])
def test_echoed_keys_and_values_are_cut(tmp_path: Path, text: str) -> None:
    path = tmp_path / "long.yaml"
    path.write_text(text, encoding="utf-8")
    message = _error(path)
    assert "…" in message
    assert len(message.replace(str(path), "")) < 1000


def test_a_long_non_text_key_is_cut() -> None:
    with pytest.raises(ConfigError) as info:
        build_config({("k" * 10_000,): 1})
    assert "…" in str(info.value) and "k" * 250 not in str(info.value)


def test_control_characters_are_escaped_before_cutting(tmp_path: Path) -> None:
    path = tmp_path / "ctl.yaml"
    path.write_text('"' + "\\x01" * 5000 + '": 1\n', encoding="utf-8")
    message = _error(path)
    assert "\x01" not in message and len(message.replace(str(path), "")) < 1000


def test_the_explanation_after_a_long_key_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "rule.yaml"
    path.write_text("features:\n  ? '" + "z" * LONG + "'\n  : {psi_warning: 0.5, "
                    "psi_critical: 0.1}\n", encoding="utf-8")
    message = _error(path)
    assert message.endswith("psi_warning must not exceed psi_critical")
    assert "z" * 200 not in message and "z…" in message


@pytest.mark.parametrize(("text", "expected"), [
    (billion_laughs(), "YAML aliases expand to more than 100000 nodes"),
    ("workers: " + nested_flow(100_000) + "\n", "YAML nesting deeper than 64 levels"),
], ids=["alias bomb", "deep nesting"])
def test_run_with_a_hostile_config_exits_2_with_one_short_line(cli, tmp_path: Path, text: str,
                                                               expected: str) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    result = cli("run", "--config", path, "--out", tmp_path / "out")
    assert result.code == 2
    assert len(result.err) < 1000 and result.err.count("\n") == 1
    assert result.err.startswith(f"driftscope: error: {path}: {expected}")
    assert not (tmp_path / "out").exists()
