"""The Python API: any table type in, a typed result out that serialises to the same JSON."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import driftscope
from driftscope.outputs.json_report import validate_report
from driftscope.result import RunResult, Severity


def _frames():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.normal(size=2000), "c": rng.choice(["a", "b"], 2000)})
    cur = pd.DataFrame({"x": rng.normal(0.3, size=1000), "c": rng.choice(["a", "b"], 1000)})
    return ref, cur


def test_public_api_all():
    for name in driftscope.__all__:
        assert hasattr(driftscope, name), name


def test_pandas_arrow_and_polars_give_the_same_result():
    ref, cur = _frames()
    a = driftscope.run(ref, cur)
    b = driftscope.run(pa.Table.from_pandas(ref), pa.Table.from_pandas(cur))
    assert [f.metrics for f in a.features] == [f.metrics for f in b.features]
    pl = pytest.importorskip("polars")
    c = driftscope.run(pl.from_pandas(ref), pl.from_pandas(cur))
    assert [f.metrics for f in a.features] == [f.metrics for f in c.features]


def test_result_round_trips_and_validates():
    ref, cur = _frames()
    r = driftscope.run(ref, cur)
    data = r.to_dict()
    validate_report(data)
    assert RunResult.from_json(r.to_json()) == r
    assert data["features"][0]["bins"][0]["label"].startswith("[-inf")
    assert r.status is Severity.worst(f.status for f in r.features)


def test_edge_cases_are_findings_not_errors():
    ref = pd.DataFrame({"all_missing_cur": [1.0, 2.0, 3.0] * 10, "const": [5.0] * 30,
                        "inf": [1.0, np.inf, -np.inf] * 10, "c": ["a", "b", "c"] * 10})
    cur = pd.DataFrame({"all_missing_cur": [np.nan], "const": [5.0], "inf": [np.inf],
                        "c": ["z"]})
    r = driftscope.run(ref, cur)
    validate_report(r.to_dict())
    f = r.feature("all_missing_cur")
    assert f.metrics.ks_statistic is None
    assert any("no values" in m for m in f.findings)
    assert any("constant" in m for m in r.feature("const").findings)
    assert r.run.current.rows == 1


# -- what a first real user ran into ---------------------------------------------------------

def _clf_data(n=800, seed=0):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    df["y"] = (df.a + rng.normal(size=n) > 0).astype(int)
    model = LogisticRegression().fit(df[["a", "b"]].to_numpy(), df.y)  # no column names
    return df, model


def test_model_without_column_names_does_not_get_the_target(tmp_path):
    import joblib

    df, model = _clf_data()
    joblib.dump(model, tmp_path / "m.joblib")
    r = driftscope.run(df, df.sample(300, random_state=1), model=str(tmp_path / "m.joblib"),
                       target="y")
    assert r.prediction is not None and r.performance is not None
    assert r.performance.metrics["accuracy"].current > 0.6


def test_current_data_the_model_cannot_score_is_a_finding(tmp_path):
    import joblib

    df, model = _clf_data()
    joblib.dump(model, tmp_path / "m.joblib")
    cur = df.sample(300, random_state=1).reset_index(drop=True)
    cur.loc[:100, "a"] = np.nan  # LogisticRegression refuses NaN
    r = driftscope.run(df, cur, model=str(tmp_path / "m.joblib"), target="y")
    assert r.prediction is None and r.performance is None
    assert r.feature("a").status is Severity.CRITICAL  # the data drift is still reported
    assert any("could not score" in f.message for f in r.findings)
    assert r.status is not Severity.NORMAL


def test_labels_that_are_not_model_classes_are_refused(tmp_path):
    import joblib

    from driftscope.errors import ArtifactError

    df, model = _clf_data()
    joblib.dump(model, tmp_path / "m.joblib")
    cur = df.sample(300, random_state=1).reset_index(drop=True)
    cur["y"] = np.where(cur.y == 1, "malignant", "benign")
    with pytest.raises(ArtifactError, match="none of which is a class of the model"):
        driftscope.run(df, cur, model=str(tmp_path / "m.joblib"), target="y")


def test_logged_01_predictions_infer_the_positive_class():
    df, _ = _clf_data()
    df["p"] = 1 / (1 + np.exp(-df.a))
    r = driftscope.run(df, df.sample(300, random_state=2), proba_column="p", target="y")
    assert r.performance is not None and r.performance.metrics["roc_auc"].current > 0.6
    df["y"] = np.where(df.y == 1, "bad", "good")
    r = driftscope.run(df, df.sample(300, random_state=2), proba_column="p", target="y")
    assert r.performance is None
    assert any("--positive-class" in f.message for f in r.findings)


def test_late_labels_are_not_a_target_alert_but_label_shift_is_said():
    df, _ = _clf_data(n=4000)
    df["p"] = 1 / (1 + np.exp(-df.a))
    late = df.sample(2000, random_state=3).reset_index(drop=True)
    late["y"] = late.y.astype(float)
    late.loc[:999, "y"] = np.nan  # half the labels have not arrived yet
    r = driftscope.run(df, late, proba_column="p", target="y")
    assert r.target is not None and r.target.status is Severity.NORMAL
    shifted = df.sample(2000, random_state=4).reset_index(drop=True)
    shifted.loc[:700, "y"] = 1
    r = driftscope.run(df, shifted, proba_column="p", target="y")
    assert r.target.status is not Severity.NORMAL
    assert "label" in r.recommendation and "(y)" in r.recommendation
    assert r.status is not Severity.NORMAL


def test_baseline_must_match_the_round(tmp_path):
    import joblib

    from driftscope.errors import ConfigError

    df, model = _clf_data()
    joblib.dump(model, tmp_path / "m.joblib")
    plain = driftscope.build_baseline(df)
    with pytest.raises(ConfigError, match="without a model"):
        driftscope.run(current=df, baseline=plain, model=str(tmp_path / "m.joblib"))
    with pytest.raises(ConfigError, match="without --target y"):
        driftscope.run(current=df, baseline=plain, target="y")
    with_model = driftscope.build_baseline(df, driftscope.MonitoringConfig(
        model=str(tmp_path / "m.joblib"), target="y"))
    other = type(model)(C=0.01).fit(df[["a", "b"]].to_numpy(), df.y)
    joblib.dump(other, tmp_path / "other.joblib")
    with pytest.raises(ConfigError, match="not the model the baseline"):
        driftscope.run(current=df, baseline=with_model, model=str(tmp_path / "other.joblib"),
                       target="y")
    ok = driftscope.run(current=df, baseline=with_model, model=str(tmp_path / "m.joblib"),
                        target="y")
    assert ok.prediction is not None


def test_tiny_batches_say_so():
    df, _ = _clf_data()
    r = driftscope.run(df, df.head(5))
    assert any("only 5 current rows" in f.message for f in r.findings)


def test_model_without_column_names_gets_the_reference_columns_in_order(tmp_path):
    import joblib

    df, model = _clf_data()
    joblib.dump(model, tmp_path / "m.joblib")
    cur = df.sample(300, random_state=1).reset_index(drop=True)
    same = driftscope.run(df, cur, model=str(tmp_path / "m.joblib"), target="y")
    shuffled = cur[["y", "b", "a"]].assign(batch="b1")  # other order, an extra text column
    other = driftscope.run(df, shuffled, model=str(tmp_path / "m.joblib"), target="y")
    assert other.prediction is not None
    assert other.prediction.metrics == same.prediction.metrics
    assert other.performance.metrics["accuracy"].current == \
        same.performance.metrics["accuracy"].current


def test_without_metadata_the_reference_performance_is_the_baseline():
    df, _ = _clf_data(n=3000)
    df["p"] = 1 / (1 + np.exp(-2 * df.a))
    cur = df.sample(1000, random_state=5).reset_index(drop=True)
    cur["p"] = 1 - cur.p  # the scores turned upside down
    r = driftscope.run(df, cur, proba_column="p", target="y")
    assert r.performance is not None
    assert r.performance.metrics["roc_auc"].baseline is not None
    assert r.performance.status is Severity.CRITICAL
    assert "from the reference data" in r.performance.reason


def test_an_override_that_matches_no_column_is_a_finding() -> None:
    import numpy as np
    import pandas as pd

    import driftscope

    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"Income": rng.normal(size=300), "age": rng.normal(size=300)})
    cur = pd.DataFrame({"Income": rng.normal(size=200), "age": rng.normal(size=200)})
    result = driftscope.run(reference=ref, current=cur, progress=False,
                            features={"Incme": {"psi_warning": 0.2}, "a*": {"enabled": True}})
    notes = [f.message for f in result.findings if "matches no column" in f.message]
    assert len(notes) == 1 and "'Incme'" in notes[0] and "did you mean 'Income'" in notes[0]
