"""The dashboard's Model page for a multiclass model: per-class metrics, the confusion matrix,
each class's probability drift, and only same-definition comparisons with the baseline (a
round an earlier driftscope recorded one-vs-rest shows no change against a 7-class
baseline)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

import driftscope
from driftscope.dashboard import app_performance as perf_data
from driftscope.result import PerformanceMetric, PerformanceResult, RunResult, Severity
from driftscope.store import HistoryStore
from tests.dashboard.test_app import app, assert_clean, goto, texts

pytest.importorskip("streamlit.testing.v1")


@pytest.fixture(scope="module")
def iris_round(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """A round of a 3-class logistic regression on the iris flowers (positive class
    virginica), half the rows as reference, half as current."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    folder = tmp_path_factory.mktemp("iris")
    iris = load_iris(as_frame=True)
    frame = iris.frame.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
    frame["species"] = np.asarray(iris.target_names)[iris.target]
    frame = frame.drop(columns=["target"]).sample(frac=1.0, random_state=0)
    ref, cur = frame.iloc[:75], frame.iloc[75:]
    model = LogisticRegression(max_iter=500).fit(ref.drop(columns=["species"]), ref["species"])
    joblib.dump(model, folder / "model.joblib")
    (folder / "meta.json").write_text(json.dumps(
        {"target": "species", "positive_class": "virginica",
         "baseline": {"accuracy": 0.95, "macro_f1": 0.95}}), encoding="utf-8")
    return driftscope.run(reference=ref, current=cur, model=str(folder / "model.joblib"),
                          metadata=str(folder / "meta.json"), progress=False)


def _legacy(result: RunResult) -> RunResult:
    """The same round as an earlier driftscope recorded it: one-vs-rest numbers of the
    positive class compared with the 3-class baseline."""
    metrics = {
        "accuracy": PerformanceMetric(current=0.97, estimated=None, baseline=0.52,
                                      relative_change=0.865),
        "precision": PerformanceMetric(current=0.93, estimated=None, baseline=None),
        "roc_auc": PerformanceMetric(current=0.99, estimated=None, baseline=None),
    }
    perf = PerformanceResult(status=Severity.NORMAL, reason="Measured on 75 labelled rows.",
                             metrics=metrics, labelled_rows=75)
    return dataclasses.replace(result, performance=perf, class_probabilities=())


def test_multiclass_tables(iris_round: RunResult) -> None:
    assert not perf_data.legacy_one_vs_rest(iris_round)
    table = perf_data.performance_table(iris_round)
    assert [r["Metric"] for r in table] == ["accuracy", "log_loss", "macro_f1", "weighted_f1"]
    assert table[0]["Baseline"] == 0.95 and table[0]["Change vs baseline"] is not None
    per_class = perf_data.per_class_frame(iris_round)
    assert list(per_class["Class"]) == ["setosa", "versicolor", "virginica"]
    assert int(per_class["Labelled rows"].sum()) == 75
    positive, ovr = perf_data.one_vs_rest_frame(iris_round)
    assert positive == "virginica" and "roc_auc" in list(ovr["Metric"])
    matrix = perf_data.confusion_frame(iris_round)
    assert list(matrix.columns) == list(matrix.index) == ["setosa", "versicolor", "virginica"]
    assert int(matrix.to_numpy().trace()) == round(
        iris_round.performance.metrics["accuracy"].current * 75)  # type: ignore[union-attr,operator]
    probs = perf_data.class_probability_frame(iris_round)
    assert list(probs["Column"]) == ["prediction[setosa]", "prediction[versicolor]",
                                     "prediction[virginica]"]


def test_a_legacy_one_vs_rest_round_shows_no_change_against_the_baseline(
        iris_round: RunResult) -> None:
    legacy = _legacy(iris_round)
    assert perf_data.predicted_classes(legacy) == 3 and perf_data.legacy_one_vs_rest(legacy)
    table = perf_data.performance_table(legacy)
    assert table[0]["Metric"] == "accuracy (one-vs-rest)"
    assert table[0]["Baseline"] is None and table[0]["Change vs baseline"] is None
    assert perf_data.per_class_frame(legacy).empty and perf_data.confusion_frame(legacy).empty


@pytest.mark.slow  # Streamlit AppTest runs
def test_the_model_page_of_a_multiclass_round(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                              iris_round: RunResult) -> None:
    db = tmp_path / "h.db"
    with HistoryStore(db) as store:
        store.record(iris_round)
    at = goto(app(monkeypatch, db).run(), "Model")
    assert_clean(at)
    shown = texts(at)
    assert "#### Probability of each class" in shown
    assert "**One-vs-rest: class virginica**" in shown and "**Confusion matrix**" in shown
    frames = [d.value for d in at.dataframe]
    perf = next(f for f in frames if "Change vs baseline" in getattr(f, "columns", []))
    assert list(perf["Metric"]) == ["accuracy", "log_loss", "macro_f1", "weighted_f1"]
    matrix = frames[-1]
    assert isinstance(matrix, pd.DataFrame)
    assert list(matrix.columns) == ["setosa", "versicolor", "virginica"]


@pytest.mark.slow  # Streamlit AppTest runs
def test_the_model_page_of_a_legacy_round(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                          iris_round: RunResult) -> None:
    db = tmp_path / "h.db"
    with HistoryStore(db) as store:
        store.record(_legacy(iris_round))
    at = goto(app(monkeypatch, db).run(), "Model")
    assert_clean(at)
    assert "recorded by an earlier driftscope" in texts(at)
    perf = next(d.value for d in at.dataframe
                if "Change vs baseline" in getattr(d.value, "columns", []))
    assert perf["Change vs baseline"].isna().all() and perf["Baseline"].isna().all()
    assert perf.loc[0, "Current"] == pytest.approx(0.97)
