"""User code (model, feature engineering, unpickling) cannot end or fake a round."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
import pytest

from driftscope.errors import ArtifactError
from driftscope.usercode import describe, user_code
from tests.usercode_models import ExitingModel, ExitOnLoad, NotProbabilities


def _run(cli: Any, data: Any, out: Path, *args: Any) -> Any:
    return cli("run", "--reference", data.ref_csv, "--current", data.drift_csv, "--out", out,
               *args)


@pytest.mark.parametrize("model", [ExitingModel(0), ExitingModel(None), ExitingModel(3),
                                   ExitingModel(error=KeyboardInterrupt),
                                   ExitingModel(error=GeneratorExit)],
                         ids=["exit0", "exit-none", "exit3", "interrupt", "base-exception"])
def test_a_model_that_exits_is_bad_input_not_success(cli: Any, data: Any, tmp_path: Path,
                                                     model: Any) -> None:
    joblib.dump(model, tmp_path / "m.joblib")
    out = tmp_path / "out"
    result = _run(cli, data, out, "--model", tmp_path / "m.joblib", "--fail-on", "warning")
    assert result.code == 2, (result.code, result.err)
    assert result.err.count("\n") == 1 and "prediction failed on the reference" in result.err
    assert not out.exists()


def test_a_model_file_that_exits_while_loading(cli: Any, data: Any, tmp_path: Path) -> None:
    joblib.dump(ExitOnLoad(), tmp_path / "m.joblib")
    result = _run(cli, data, tmp_path / "out", "--model", tmp_path / "m.joblib")
    assert result.code == 2 and "loading the model failed (SystemExit: sys.exit(0))" in result.err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("fn", ["exiting_features", "interrupted_features"])
def test_feature_engineering_that_exits(cli: Any, data: Any, tmp_path: Path, fn: str) -> None:
    result = _run(cli, data, tmp_path / "out", "--feature-engineering",
                  f"tests.usercode_models:{fn}")
    assert result.code == 2 and "feature engineering" in result.err
    assert result.err.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", [float("nan"), 1.5, -0.2])
def test_predictions_that_are_not_probabilities_are_refused(cli: Any, data: Any, tmp_path: Path,
                                                            value: float) -> None:
    joblib.dump(NotProbabilities(value), tmp_path / "m.joblib")
    result = _run(cli, data, tmp_path / "out", "--model", tmp_path / "m.joblib")
    assert result.code == 2 and "not probabilities" in result.err


def test_user_code_guard() -> None:
    with pytest.raises(ArtifactError, match=r"doing it \(SystemExit: sys.exit\(4\)\)!"):
        with user_code("doing it", "!"):
            raise SystemExit(4)
    assert describe(ValueError("x" * 500)).endswith("…")
    assert len(describe(ValueError("x" * 500))) < 250


@pytest.mark.parametrize("which", ["classes_", "feature_names_in_"])
def test_a_model_whose_attributes_raise(cli: Any, data: Any, tmp_path: Path, which: str) -> None:
    from tests.usercode_models import BrokenAttributes

    joblib.dump(BrokenAttributes(which), tmp_path / "m.joblib")
    result = _run(cli, data, tmp_path / "out", "--model", tmp_path / "m.joblib")
    assert result.code == 2 and which in result.err and "is broken" in result.err
    assert not (tmp_path / "out").exists()


def test_a_model_file_whose_unpickling_raises(cli: Any, data: Any, tmp_path: Path) -> None:
    from tests.usercode_models import RaisesOnLoad

    joblib.dump(RaisesOnLoad(), tmp_path / "m.joblib")
    result = _run(cli, data, tmp_path / "out", "--model", tmp_path / "m.joblib")
    assert result.code == 2 and "m.joblib" in result.err


@pytest.mark.parametrize("error", [KeyboardInterrupt, SystemExit])
def test_an_exit_while_scoring_the_current_data_stops_the_round(cli: Any, data: Any,
                                                                tmp_path: Path,
                                                                error: type) -> None:
    from tests.usercode_models import ExitsOnSecondCall

    joblib.dump(ExitsOnSecondCall(error), tmp_path / "m.joblib")
    out = tmp_path / "out"
    result = _run(cli, data, out, "--model", tmp_path / "m.joblib")
    assert result.code == 2 and "prediction failed on the current" in result.err
    assert not out.exists()  # not a finding of a round that "succeeds"
