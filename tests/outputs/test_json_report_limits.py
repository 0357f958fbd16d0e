"""Reading a saved report back (``report --from``): deep or hostile JSON is one short
InputError line (exit 2), never a RecursionError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from driftscope.errors import InputError
from driftscope.outputs.json_report import read_json
from tests.factories import make_result

LONG = 10_000


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _error(path: Path) -> str:
    with pytest.raises(InputError) as info:
        read_json(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


@pytest.mark.parametrize("text", [
    _nested(100_000),  # the JSON decoder itself runs out of stack
    '{"schema_version": "1.0", "run": ' + _nested(65) + "}",  # parses; too deep to walk
    '{"schema_version": "1.0", "x": {"a": ' * 200 + "1" + "}}" * 200,
], ids=["decoder recursion", "65 levels", "deep objects"])
def test_deeply_nested_json_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.json"
    path.write_text(text, encoding="utf-8")
    assert _error(path) == f"{path}: JSON nesting deeper than 64 levels; flatten the document"


def test_a_real_report_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "drift_report.json"
    path.write_text(make_result().to_json(), encoding="utf-8")
    assert read_json(path).to_dict() == make_result().to_dict()


def test_a_huge_number_is_not_valid_json(tmp_path: Path) -> None:
    path = tmp_path / "int.json"
    path.write_text('{"schema_version": ' + "1" * 5000 + "}", encoding="utf-8")
    assert "not valid JSON" in _error(path)


@pytest.mark.parametrize("data", [
    {"schema_version": "9" + "x" * LONG},  # an unknown version, quoted
    {"schema_version": "1.0", "y" * LONG: 1},  # an unknown key, quoted by the schema check
], ids=["version", "unknown key"])
def test_echoed_values_are_cut(tmp_path: Path, data: dict[str, object]) -> None:
    path = tmp_path / "long.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    message = _error(path)
    assert len(message.replace(str(path), "")) < 700


def test_an_unknown_version_keeps_its_hint(tmp_path: Path) -> None:
    path = tmp_path / "v.json"
    path.write_text(json.dumps({"schema_version": "9" + "x" * LONG}), encoding="utf-8")
    assert _error(path).endswith("this driftscope reads 1.x results")


def test_report_from_deep_json_exits_2_with_one_short_line(cli, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text(_nested(100_000), encoding="utf-8")
    result = cli("report", "--from", path, "--out", tmp_path / "r.html")
    assert result.code == 2
    assert result.err == (f"driftscope: error: {path}: JSON nesting deeper than 64 levels; "
                          "flatten the document\n")
    assert not (tmp_path / "r.html").exists()
