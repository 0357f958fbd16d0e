"""Tests of the demo training step and its artifacts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import yaml

from driftscope.demo.features import MODEL_FEATURES, engineer
from driftscope.demo.model import METRICS, evaluate, plain_categories
from driftscope.demo.population import COLUMNS, POSITIVE_CLASS, TARGET
from driftscope.demo.train import (
    METADATA_FILE,
    MODEL_FILE,
    REFERENCE_FILE,
    DemoArtifacts,
    main,
    train_demo,
)
from driftscope.errors import ConfigError


@pytest.mark.slow  # the trained fixture: 5-fold CV and a fit on 20,000 rows
def test_writes_three_artifacts_and_nothing_else(trained: DemoArtifacts) -> None:
    assert trained.complete
    assert {p.name for p in trained.out_dir.iterdir()} == {
        MODEL_FILE,
        REFERENCE_FILE,
        METADATA_FILE,
    }
    assert trained == dataclasses.replace(trained)  # frozen value object
    with pytest.raises(dataclasses.FrozenInstanceError):
        trained.model = Path("elsewhere")  # type: ignore[misc]


@pytest.mark.slow  # the trained fixture
def test_metadata_follows_the_spec(trained: DemoArtifacts) -> None:
    metadata = yaml.safe_load(trained.metadata.read_text(encoding="utf-8"))
    assert metadata["name"] == "credit-default"
    assert isinstance(metadata["version"], str)
    dt.date.fromisoformat(metadata["trained_at"])
    assert metadata["target"] == TARGET
    assert metadata["positive_class"] == POSITIVE_CLASS
    assert metadata["features"] == list(MODEL_FEATURES)
    baseline = metadata["baseline"]
    assert set(baseline) == set(METRICS)
    assert all(isinstance(v, float) for v in baseline.values())
    assert 0.7 <= baseline["roc_auc"] <= 0.9
    assert 0.0 < baseline["brier"] < 0.25
    assert baseline == pytest.approx(dict(trained.baseline), abs=1e-6)
    assert set(metadata) == {
        "name",
        "version",
        "trained_at",
        "target",
        "positive_class",
        "features",
        "baseline",
    }


@pytest.mark.slow  # the trained fixture
def test_reference_is_the_raw_population(trained: DemoArtifacts, reference: pd.DataFrame) -> None:
    raw = pd.read_csv(trained.reference, parse_dates=["application_date"])
    assert tuple(raw.columns) == COLUMNS
    assert len(raw) == 20_000
    assert not set(MODEL_FEATURES) <= set(raw.columns)  # engineered columns are not stored
    np.testing.assert_allclose(raw["income"], reference["income"], equal_nan=True)
    assert (raw["application_date"] == reference["application_date"]).all()


@pytest.mark.slow  # the trained fixture
def test_model_scores_engineered_reference(trained: DemoArtifacts) -> None:
    model = joblib.load(trained.model)
    raw = pd.read_csv(trained.reference)
    frame = engineer(raw)
    proba = model.predict_proba(frame)
    assert proba.shape == (len(frame), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert POSITIVE_CLASS in model.classes_
    assert set(model.predict(frame.head(200))) <= {"good", POSITIVE_CLASS}
    # the model selects its own columns: no target, shuffled extra columns are fine
    unlabelled = frame.drop(columns=[TARGET]).iloc[:, ::-1].assign(extra=1.0)
    np.testing.assert_allclose(model.predict_proba(unlabelled), proba)


@pytest.mark.slow  # the trained fixture
def test_model_tolerates_unseen_categories_and_missing(trained: DemoArtifacts) -> None:
    model = joblib.load(trained.model)
    frame = engineer(pd.read_csv(trained.reference, nrows=50))
    frame["credit_purpose"] = "crypto"
    frame["region"] = np.nan
    frame["bureau_score"] = np.nan
    proba = model.predict_proba(frame)
    assert np.isfinite(proba).all()


def test_in_dir_locates_without_training(tmp_path: Path) -> None:
    located = DemoArtifacts.in_dir(tmp_path)
    assert located.model == tmp_path / MODEL_FILE
    assert not located.complete
    assert dict(located.baseline) == {}


@pytest.mark.slow  # two trainings with 5-fold CV
def test_retraining_replaces_files(tmp_path: Path) -> None:
    first = train_demo(tmp_path, rows=1000, seed=1)
    second = train_demo(tmp_path, rows=1200, seed=2)
    assert first.reference == second.reference
    assert len(pd.read_csv(second.reference)) == 1200
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(
    ("rows", "seed"), [(10, 1), (1000, -1), (1000.5, 1), ("1000", 1), (True, 1)]
)
def test_invalid_arguments(tmp_path: Path, rows: object, seed: object) -> None:
    with pytest.raises(ConfigError):
        train_demo(tmp_path, rows=rows, seed=seed)  # type: ignore[arg-type]
    assert not any(tmp_path.iterdir())


@pytest.mark.slow  # trains a model with 5-fold CV
def test_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "nested" / "artifacts"
    assert main(["--out", str(out), "--rows", "800", "--seed", "3"]) == 0
    assert DemoArtifacts.in_dir(out).complete
    assert "roc_auc" in capsys.readouterr().out


def test_main_bad_arguments() -> None:
    with pytest.raises(ConfigError, match="--out"):
        main([])
    with pytest.raises(ConfigError, match="rows"):
        main(["--out", "x", "--rows", "many"])


@pytest.mark.slow  # the trained fixture
@pytest.mark.parametrize("backend", ["numpy_nullable", "pyarrow"])
def test_model_accepts_nullable_and_arrow_dtypes(trained: DemoArtifacts, backend: str) -> None:
    model = joblib.load(trained.model)
    raw = pd.read_csv(trained.reference, nrows=300)
    expected = model.predict_proba(engineer(raw))
    converted = raw.convert_dtypes(dtype_backend=backend)  # type: ignore[arg-type]
    assert converted["housing"].isna().any() or raw["housing"].notna().all()
    np.testing.assert_allclose(model.predict_proba(engineer(converted)), expected)


@pytest.mark.slow  # trains in a subprocess, loads in another
def test_module_entry_point_writes_a_portable_model(tmp_path: Path) -> None:
    """``python -m driftscope.demo.train`` must not pickle references to ``__main__``."""
    out = tmp_path / "artifacts"
    run = [sys.executable, "-m", "driftscope.demo.train", "--out", str(out), "--rows", "600"]
    done = subprocess.run(run, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert b"__main__" not in (out / MODEL_FILE).read_bytes()
    load = (
        "import joblib, pandas as pd; from driftscope.demo.features import engineer; "
        f"m = joblib.load({str(out / MODEL_FILE)!r}); "
        f"print(m.predict_proba(engineer(pd.read_csv({str(out / REFERENCE_FILE)!r}))).shape)"
    )
    loaded = subprocess.run([sys.executable, "-c", load], capture_output=True, text=True)
    assert loaded.stdout.strip() == "(600, 2)", loaded.stderr


@pytest.mark.slow  # the trained fixture, 60,000 scored rows
def test_baseline_is_close_to_the_population_performance(trained: DemoArtifacts) -> None:
    """The cross-validated baseline is what a large stable batch shows, not a lucky split."""
    model = joblib.load(trained.model)
    from driftscope.demo.simulate import simulate

    large = evaluate(model, engineer(simulate("stable", 60_000, 123)))
    for name in ("accuracy", "precision", "recall", "f1", "roc_auc", "brier"):
        assert trained.baseline[name] == pytest.approx(large[name], rel=0.04), name


def test_plain_categories() -> None:
    frame = pd.DataFrame({"a": pd.array(["x", None], dtype="string"), "b": ["u", np.nan]})
    out = plain_categories(frame)
    assert all(pd.api.types.is_object_dtype(dtype) for dtype in out.dtypes)
    assert out.loc[0, "a"] == "x" and out.isna().sum().tolist() == [1, 1]
    assert all(isinstance(v, float) and np.isnan(v) for v in out.iloc[1])  # not pd.NA
