"""A model and a feature engineering run on Spark's executors (``local[2]``): the report of a
round with a sklearn Pipeline (string classes, and 0/1 classes with text labels mapped by the
positive class) equals the local backend's — drift of the raw, engineered and prediction
columns, the target, and the labelled performance — and the rows never come to the driver:
only the prediction and label columns do.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import driftscope
from driftscope.cli import main
from tests.backends.test_spark_round import assert_same_report

pytestmark = [pytest.mark.spark, pytest.mark.slow]

MASTER = "local[2]"

FEATURES = '''
import numpy as np


def engineer(df):
    """Row-wise: each row's new columns come from that row alone."""
    df["income_per_age"] = df["income"] / df["age"]
    df["band"] = np.where(df["age"] < 40, "young", "older")
    return df
'''


@pytest.fixture(scope="module")
def spark() -> Any:
    pytest.importorskip("pyspark")
    from driftscope.backends.spark_session import spark_session

    return spark_session(MASTER)


def frame(n: int, seed: int, drifted: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(41 + (4 if drifted else 0), 11, n).round().clip(18, 90)
    income = np.round(rng.lognormal(10.2 + (0.2 if drifted else 0), 0.6, n), -2)
    income[rng.random(n) < 0.03] = np.nan
    home = rng.choice(["rent", "owner", "parents", "other"], n,
                      p=[0.3, 0.4, 0.2, 0.1] if drifted else [0.4, 0.35, 0.2, 0.05])
    score = 0.04 * (age - 41) + 0.8 * (home == "rent") + rng.normal(0, 1, n)
    status = np.where(score > 0.6, "bad", "good").astype(object)
    status[rng.random(n) < 0.1] = None  # labels not arrived yet
    return pd.DataFrame({"age": age, "income": income, "home": home, "Status": status})


def pipeline(train: pd.DataFrame, engineered: bool, zero_one: bool) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = ["age", "income"] + (["income_per_age"] if engineered else [])
    text = ["home"] + (["band"] if engineered else [])
    scaled = Pipeline([("fill", SimpleImputer()), ("scale", StandardScaler())])
    pre = ColumnTransformer([("num", scaled, numeric),
                             ("cat", OneHotEncoder(handle_unknown="ignore"), text)])
    labelled = train[train.Status.notna()]
    y = labelled.Status.to_numpy()
    if zero_one:  # the model's classes are 0/1, the data's labels text
        y = (y == "bad").astype(int)
    return Pipeline([("pre", pre), ("lr", LogisticRegression(max_iter=500))]).fit(
        labelled[numeric + text], y)


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("fe")
    (folder / "spark_fe.py").write_text(FEATURES)
    sys.path.insert(0, str(folder))  # the driver imports it; the executors get it by value
    return "spark_fe:engineer"


CASES = [pytest.param(False, False, id="string-classes"),
         pytest.param(True, True, id="feature-engineering-and-label-mapping")]


@pytest.mark.parametrize(("engineered", "zero_one"), CASES)
def test_a_model_scored_on_the_executors_gives_the_local_report(
        spark: Any, features: str, tmp_path: Path, engineered: bool, zero_one: bool) -> None:
    import importlib

    ref, cur = frame(6000, 1, False), frame(5000, 2, True)
    train = ref.copy()
    if engineered:
        train = importlib.import_module(features.split(":")[0]).engineer(train)
    joblib.dump(pipeline(train, engineered, zero_one), tmp_path / "model.joblib")
    settings: dict[str, Any] = {
        "model": str(tmp_path / "model.joblib"), "target": "Status", "positive_class": "bad",
        "impact": {"enabled": False}, "multivariate": {"enabled": False}, "progress": False}
    if engineered:
        settings["feature_engineering"] = features
    local = driftscope.run(reference=ref, current=cur, source="current", **settings).to_dict()
    remote = driftscope.run(reference=spark.createDataFrame(ref),
                            current=spark.createDataFrame(cur), source="current",
                            backend="spark", spark_master=MASTER, **settings).to_dict()
    assert_same_report(local, remote, ignore=frozenset({"source", "baseline"}))
    # what the comparison covered is there: prediction drift, performance, engineered columns
    assert remote["prediction"]["metrics"]["psi"] == local["prediction"]["metrics"]["psi"] > 0
    assert remote["performance"] == local["performance"]
    assert local["performance"]["labelled_rows"] == int(cur.Status.notna().sum())
    names = {f["name"] for f in remote["features"]}
    assert ({"income_per_age", "band"} <= names) == engineered
    if zero_one:
        assert any("mapped to the model's classes" in f["message"] for f in remote["findings"])


def test_the_rows_are_not_streamed_to_the_driver(spark: Any, features: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """With a model and a feature engineering, no side is read row by row on the driver."""
    from driftscope.inputs.spark_source import SparkSource

    def refuse(self: Any, columns: Any = None) -> Any:
        raise AssertionError(f"rows of {self.name} streamed to the driver")

    monkeypatch.setattr(SparkSource, "batches", refuse)
    ref, cur = frame(3000, 3, False), frame(3000, 4, True)
    train = __import__(features.split(":")[0]).engineer(ref.copy())
    joblib.dump(pipeline(train, True, False), tmp_path / "model.joblib")
    result = driftscope.run(reference=spark.createDataFrame(ref),
                            current=spark.createDataFrame(cur), backend="spark",
                            model=str(tmp_path / "model.joblib"), target="Status",
                            positive_class="bad", feature_engineering=features,
                            impact={"enabled": False}, progress=False)
    assert result.performance is not None
    assert result.performance.labelled_rows == int(cur.Status.notna().sum())


def chunk_reports(out: Path, *args: str) -> list[dict[str, Any]]:
    code = main(["run", *args, "--out", str(out), "--no-history", "--no-html", "--plots",
                 "none", "--quiet", "--no-progress"])
    assert code in (0, 1), code
    found = sorted((out / "chunks").glob("*/drift_report.json"))
    return [json.loads(p.read_text()) for p in found]


def test_chunk_size_with_backend_spark_gives_the_local_chunks(spark: Any,
                                                               tmp_path: Path) -> None:
    """--chunk-size splits the current file in one bounded pass on the driver; each chunk is
    then profiled on Spark, and equals the local chunk."""
    ref, cur = frame(4000, 7, False), frame(3000, 8, True)
    pq.write_table(pa.Table.from_pandas(ref, preserve_index=False), tmp_path / "ref.parquet")
    pq.write_table(pa.Table.from_pandas(cur, preserve_index=False), tmp_path / "cur.parquet")
    sides = ["--reference", str(tmp_path / "ref.parquet"), "--current",
             str(tmp_path / "cur.parquet"), "--chunk-size", "1000"]
    local = chunk_reports(tmp_path / "local", *sides)
    remote = chunk_reports(tmp_path / "spark", *sides, "--backend", "spark",
                           "--spark-master", MASTER)
    assert len(local) == len(remote) == 3
    for a, b in zip(local, remote, strict=True):
        assert b["run"]["current"]["rows"] == 1000
        assert_same_report(a, b)


def test_chunking_a_spark_table_is_one_line_exit_2(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    ref = frame(500, 9, False)
    pq.write_table(pa.Table.from_pandas(ref, preserve_index=False), tmp_path / "ref.parquet")
    code = main(["run", "--reference", str(tmp_path / "ref.parquet"), "--current",
                 "table:db.scores", "--backend", "spark", "--chunk-by", "month",
                 "--timestamp-column", "ts", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "table:db.scores is a Spark table" in err and "--chunk-by/--chunk-size" in err


def test_a_batch_the_model_cannot_score_leaves_the_side_unscored_as_locally(
        spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The driver's sample scores, a later batch on an executor does not: the round reports
    the current side unscored, exactly as the local round does."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    from driftscope.inputs.spark_source import SparkSource

    ref, cur = frame(4000, 10, False), frame(12000, 11, True)
    cur.loc[11_000:, "home"] = "castle"  # a category the strict encoder refuses
    strict = Pipeline([("pre", ColumnTransformer([("cat", OneHotEncoder(), ["home"])],
                                                 remainder="drop")),
                       ("lr", LogisticRegression())])
    labelled = ref[ref.Status.notna()]
    joblib.dump(strict.fit(labelled[["home"]], labelled.Status), tmp_path / "model.joblib")
    # the driver's sample: the first rows (without the castles), so an executor meets them
    monkeypatch.setattr(SparkSource, "sample_rows",
                        lambda self, rows, seed=0: self.first_batch(rows))
    # (the pipeline contract is judged on the driver's sample on Spark: here without castles)
    settings: dict[str, Any] = {
        "model": str(tmp_path / "model.joblib"), "target": "Status", "positive_class": "bad",
        "impact": {"enabled": False}, "multivariate": {"enabled": False},
        "pipeline_contract": False, "progress": False}
    local = driftscope.run(reference=ref, current=cur, source="current", **settings).to_dict()
    remote = driftscope.run(reference=spark.createDataFrame(ref),
                            current=spark.createDataFrame(cur), source="current",
                            backend="spark", spark_master=MASTER, **settings).to_dict()
    assert_same_report(local, remote, ignore=frozenset({"source", "baseline"}))
    unscored = [f["message"] for f in remote["findings"]
                if f["message"].startswith("the model could not score the current data")]
    assert len(unscored) == 1 and "castle" in unscored[0]


def test_a_multiclass_model_on_the_executors_gives_the_local_report(spark: Any,
                                                                    tmp_path: Path) -> None:
    """Per-class probabilities come back from the executors column by column."""
    def three(n: int, seed: int, drifted: bool) -> pd.DataFrame:
        out = frame(n, seed, drifted)
        band = pd.cut(out.age, [0, 35, 50, 200], labels=["low", "mid", "high"]).astype(object)
        out["Status"] = band.where(out.Status.notna(), None)
        return out

    ref, cur = three(5000, 12, False), three(4000, 13, True)
    joblib.dump(pipeline(ref, False, False), tmp_path / "model.joblib")
    settings: dict[str, Any] = {
        "model": str(tmp_path / "model.joblib"), "target": "Status",
        "impact": {"enabled": False}, "multivariate": {"enabled": False}, "progress": False}
    local = driftscope.run(reference=ref, current=cur, source="current", **settings).to_dict()
    remote = driftscope.run(reference=spark.createDataFrame(ref),
                            current=spark.createDataFrame(cur), source="current",
                            backend="spark", spark_master=MASTER, **settings).to_dict()
    assert_same_report(local, remote, ignore=frozenset({"source", "baseline"}))
    assert len(remote["class_probabilities"]) == 3
    assert remote["performance"] == local["performance"] is not None


def test_a_feature_engineering_without_a_model_runs_on_the_executors(
        spark: Any, features: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the engineered columns' profiles come back: no row, no per-row column."""
    from driftscope.backends import spark_scoring

    def refuse(frame: Any, schema: Any) -> Any:
        raise AssertionError("per-row columns brought to the driver")

    ref, cur = frame(4000, 14, False), frame(3000, 15, True)
    settings: dict[str, Any] = {"feature_engineering": features, "ignore": ["Status"],
                                "progress": False}
    local = driftscope.run(reference=ref, current=cur, source="current", **settings).to_dict()
    monkeypatch.setattr(spark_scoring, "gather_columns", refuse)
    remote = driftscope.run(reference=spark.createDataFrame(ref),
                            current=spark.createDataFrame(cur), source="current",
                            backend="spark", spark_master=MASTER, **settings).to_dict()
    assert_same_report(local, remote, ignore=frozenset({"source", "baseline"}))
    assert {"income_per_age", "band"} <= {f["name"] for f in remote["features"]}
