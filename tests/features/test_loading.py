"""Loading the feature-engineering hook 'module:function' the way a user runs it."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from driftscope.errors import ArtifactError
from driftscope.features import load_feature_engineering

FE = "def engineer(df):\n    return df.assign(double=df['x'] * 2)\n"


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A unique module name, the working directory in ``tmp_path`` and not on sys.path; the
    import system is left as it was."""
    name = f"fe_{uuid.uuid4().hex[:8]}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    yield name
    for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[module]


def _message(spec: str) -> str:
    with pytest.raises(ArtifactError) as info:
        load_feature_engineering(spec)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_a_module_in_the_working_directory_is_found(tmp_path: Path, fresh: str) -> None:
    (tmp_path / f"{fresh}.py").write_text(FE, encoding="utf-8")
    fn = load_feature_engineering(f"{fresh}:engineer")
    assert fn(pd.DataFrame({"x": [1, 2]}))["double"].tolist() == [2, 4]
    assert sys.path[0] == str(tmp_path)  # kept, as uvicorn does


def test_a_package_in_the_working_directory_is_found(tmp_path: Path, fresh: str) -> None:
    (tmp_path / fresh).mkdir()
    (tmp_path / fresh / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / fresh / "features.py").write_text(FE, encoding="utf-8")
    fn = load_feature_engineering(f"{fresh}.features:engineer")
    assert list(fn(pd.DataFrame({"x": [1]})).columns) == ["x", "double"]


def test_a_missing_module_asks_about_pythonpath(tmp_path: Path, fresh: str) -> None:
    message = _message(f"{fresh}:engineer")
    assert f"cannot import module {fresh!r}" in message
    assert "is the module on PYTHONPATH?" in message
    assert str(tmp_path) not in sys.path  # the failed retry leaves sys.path as it was


def test_the_current_folder_is_not_searched_twice(tmp_path: Path, fresh: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    before = list(sys.path)
    assert "is the module on PYTHONPATH?" in _message(f"{fresh}:engineer")
    assert sys.path == before


def test_a_dependency_the_module_lacks_is_named(tmp_path: Path, fresh: str) -> None:
    (tmp_path / f"{fresh}.py").write_text(f"import {fresh}_dep\n" + FE, encoding="utf-8")
    message = _message(f"{fresh}:engineer")
    assert f"it imports '{fresh}_dep', which is not installed" in message
    assert "PYTHONPATH" not in message
    assert str(tmp_path) not in sys.path


def test_a_broken_module_reports_its_error(tmp_path: Path, fresh: str) -> None:
    (tmp_path / f"{fresh}.py").write_text("def engineer(df:\n", encoding="utf-8")
    message = _message(f"{fresh}:engineer")
    assert "SyntaxError" in message and "PYTHONPATH" not in message


def test_an_installed_module_still_wins(fresh: str) -> None:
    fn = load_feature_engineering("tests.features.test_loading:_double")
    assert fn(pd.DataFrame({"x": [3]}))["x"].tolist() == [6]
    assert "has no attribute 'nope'" in _message("tests.features.test_loading:nope")


def _double(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(x=df["x"] * 2)
