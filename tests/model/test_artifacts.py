"""Wrong artifacts: each a one-line error, exit code 2, earlier assets intact."""

from __future__ import annotations

import sys
import textwrap

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from driftscope.cli import main
from driftscope.errors import ArtifactError
from driftscope.model.loading import load_model
from driftscope.model.metadata import load_metadata


@pytest.fixture()
def setup(tmp_path):
    rng = np.random.default_rng(0)
    n = 600
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    df["y"] = np.where(df.x1 + rng.normal(size=n) > 0, "bad", "good")
    df.to_csv(tmp_path / "ref.csv", index=False)
    df.sample(300, random_state=1).to_csv(tmp_path / "cur.csv", index=False)
    model = LogisticRegression().fit(df[["x1", "x2"]], df.y)
    joblib.dump(model, tmp_path / "model.joblib")
    (tmp_path / "meta.yaml").write_text(textwrap.dedent("""\
        name: toy
        version: "1"
        target: y
        positive_class: bad
        features: [x1, x2]
        baseline: {accuracy: 0.7, roc_auc: 0.8}
    """))
    return tmp_path


def _run(tmp, *extra):
    return main(["run", "--reference", str(tmp / "ref.csv"), "--current", str(tmp / "cur.csv"),
                 "--out", str(tmp / "assets"), "--no-history", "--plots", "none", "--quiet",
                 *extra])


def _first_good_round(tmp):
    assert _run(tmp, "--model", str(tmp / "model.joblib"), "--metadata",
                str(tmp / "meta.yaml")) == 0
    return (tmp / "assets" / "drift_report.json").read_bytes()


def _assert_refused(tmp, capsys, before, *args, match):
    capsys.readouterr()
    assert _run(tmp, *args) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert match in err, err
    assert (tmp / "assets" / "drift_report.json").read_bytes() == before


def test_good_round_has_prediction_and_performance(setup):
    before = _first_good_round(setup)
    assert b'"prediction": {' in before and b'"roc_auc"' in before


def test_corrupted_model(setup, capsys):
    before = _first_good_round(setup)
    (setup / "broken.joblib").write_bytes(b"\x80\x04not a pickle at all")
    _assert_refused(setup, capsys, before, "--model", str(setup / "broken.joblib"),
                    match="broken.joblib")


def test_model_without_predict_proba(setup, capsys):
    before = _first_good_round(setup)
    df = pd.read_csv(setup / "ref.csv")
    joblib.dump(LinearSVC().fit(df[["x1", "x2"]], df.y), setup / "svc.joblib")
    _assert_refused(setup, capsys, before, "--model", str(setup / "svc.joblib"),
                    match="predict_proba")


def test_metadata_names_a_feature_the_data_lacks(setup, capsys):
    before = _first_good_round(setup)
    (setup / "bad_meta.yaml").write_text("target: y\nfeatures: [x1, x2, income]\n")
    _assert_refused(setup, capsys, before, "--model", str(setup / "model.joblib"),
                    "--metadata", str(setup / "bad_meta.yaml"), match="'income'")


def test_malformed_metadata_names_the_field(setup, capsys):
    before = _first_good_round(setup)
    (setup / "m.yaml").write_text("target: y\nbaseline: {accurcy: 0.8}\n")
    _assert_refused(setup, capsys, before, "--metadata", str(setup / "m.yaml"),
                    match="baseline")


def test_feature_engineering_that_raises(setup, capsys, monkeypatch):
    before = _first_good_round(setup)
    (setup / "fe_broken.py").write_text("def fe(df):\n    raise KeyError('no such column')\n")
    monkeypatch.syspath_prepend(str(setup))
    sys.modules.pop("fe_broken", None)
    _assert_refused(setup, capsys, before, "--feature-engineering", "fe_broken:fe",
                    match="fe_broken")


def test_feature_engineering_import_path_errors(setup, capsys):
    before = _first_good_round(setup)
    _assert_refused(setup, capsys, before, "--feature-engineering", "no_such_mod:fn",
                    match="no_such_mod")


def test_engineered_features_are_monitored_and_labelled(setup, monkeypatch):
    (setup / "fe_ok.py").write_text(
        "def fe(df):\n    out = df.copy()\n    out['ratio'] = df.x1 / (1 + df.x2.abs())\n"
        "    return out\n")
    monkeypatch.syspath_prepend(str(setup))
    from driftscope import run

    r = run(setup / "ref.csv", setup / "cur.csv", feature_engineering="fe_ok:fe",
            model=str(setup / "model.joblib"), metadata=str(setup / "meta.yaml"))
    origins = {f.name: f.origin for f in r.features}
    assert origins["ratio"] == "engineered" and origins["x1"] == "raw"
    assert "y" not in origins  # the target is not a feature
    assert r.target is not None and r.target.origin == "target"


def test_logged_prediction_columns_need_no_model(setup):
    from driftscope import run

    df = pd.read_csv(setup / "ref.csv")
    df["p"] = 1 / (1 + np.exp(-df.x1))
    df["yhat"] = np.where(df.p > 0.5, "bad", "good")
    df.to_csv(setup / "ref_p.csv", index=False)
    cur = df.sample(300, random_state=2)
    cur["p"] = np.clip(cur.p + 0.3, 0, 1)
    cur.to_csv(setup / "cur_p.csv", index=False)
    r = run(setup / "ref_p.csv", setup / "cur_p.csv", proba_column="p",
            prediction_column="yhat", target="y", positive_class="bad")
    assert r.prediction is not None and r.prediction.metrics.psi > 0.1
    assert r.predicted_class is not None
    assert {f.name for f in r.features} == {"x1", "x2"}
    assert r.performance is not None and r.performance.metrics["accuracy"].current is not None


def test_loaders_directly(tmp_path):
    with pytest.raises(ArtifactError, match="not found"):
        load_model(str(tmp_path / "nope.joblib"))
    (tmp_path / "e.joblib").write_bytes(b"")
    with pytest.raises(ArtifactError, match="empty"):
        load_model(str(tmp_path / "e.joblib"))
    (tmp_path / "m.json").write_text("{bad json")
    with pytest.raises(ArtifactError, match="not valid JSON/YAML"):
        load_metadata(str(tmp_path / "m.json"))
    (tmp_path / "m2.json").write_text('{"name": "x", "version": 3, "baseline": {"f1": 0.5}}')
    assert load_metadata(str(tmp_path / "m2.json")).version == "3"
