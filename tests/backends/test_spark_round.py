"""Whole rounds on the ``spark`` backend (``local[2]``): the report equals the local backend's
on the same data — every count-based metric and bin to the last digit, percentiles and edges
exactly, means and standard deviations to floating-point rounding, and the KS statistic within
the bound the report states — whether the data comes as Spark DataFrames, Parquet, CSV or a
catalog table; ``spark_master`` / ``--spark-master`` choose the session.

One Spark session serves the whole test run (started by the first test that needs it).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import driftscope
from driftscope.cli import main
from driftscope.errors import ConfigError

pytestmark = [pytest.mark.spark, pytest.mark.slow]

MASTER = "local[2]"


@pytest.fixture(scope="module")
def spark() -> Any:
    pytest.importorskip("pyspark")
    from driftscope.backends.spark_session import spark_session

    return spark_session(MASTER)


def real_world(n: int, seed: int, drifted: bool) -> pa.Table:
    """Loan-application-shaped data: missing values, a constant column, heavy ties, a
    long-tailed categorical, small integer codes (value bins) and, when ``drifted``, shifted
    amounts, new categories and a new code."""
    rng = np.random.default_rng(seed)
    age = rng.normal(41 + (3 if drifted else 0), 11, n).round()
    age[rng.random(n) < 0.04] = np.nan
    income = np.round(rng.lognormal(10.2 + (0.15 if drifted else 0), 0.8, n), -2)
    income[rng.random(n) < (0.12 if drifted else 0.03)] = np.nan  # missing share rises
    cities = np.array([f"city_{i:03d}" for i in range(300)])
    weights = 1.0 / np.arange(1, 301) ** 1.1
    city = rng.choice(cities, n, p=weights / weights.sum()).astype(object)
    if drifted:
        city[rng.random(n) < 0.02] = "city_new"
    city[rng.random(n) < 0.05] = None
    dependents = rng.integers(0, 4 + (2 if drifted else 0), n).astype(np.int64)
    home = rng.choice(["rent", "owner", "parents", "other"], n,
                      p=[0.4, 0.35, 0.2, 0.05] if not drifted else [0.3, 0.4, 0.2, 0.1])
    return pa.table({
        "age": age,
        "income": income,
        "fee": np.full(n, 25.0),  # constant
        "score": rng.integers(300, 850, n).astype(np.float64) // 10 * 10,  # ties
        "dependents": dependents,
        "city": pa.array(city.tolist(), pa.string()),
        "home": home,
        "vip": rng.random(n) < 0.1,
    })


REFERENCE = real_world(12_000, 11, drifted=False)
CURRENT = real_world(9_000, 12, drifted=True)

VOLATILE = {"id", "started_at", "finished_at", "duration_seconds"}
ROUNDED = {"mean", "std"}  # merged by partition: equal up to floating-point rounding


def spark_bound(report: dict[str, Any]) -> float:
    """The KS error bound the report states (in its finding)."""
    found = [f["message"] for f in report["findings"] if f["message"].startswith("backend: spark")]
    assert len(found) == 1, report["findings"]
    match = re.search(r"±([0-9.]+)", found[0])
    assert match is not None
    return float(match.group(1)) + 5e-5  # printed to four decimals


def assert_same_report(local: dict[str, Any], spark: dict[str, Any],
                       ignore: frozenset[str] = frozenset()) -> list[float]:
    """Equal except the run's timing, means and deviations (to rounding) and KS (within the
    stated bound; the p-value then no smaller); returns the KS differences seen."""
    bound = spark_bound(spark)
    ks_diffs: list[float] = []

    def walk(a: Any, b: Any, path: str) -> None:
        key = path.rsplit("/", 1)[-1]
        if key in VOLATILE or key in ignore:
            return
        if key == "findings" and path.count("/") == 1:  # the round's: plus Spark's bound
            assert [f for f in b if not f["message"].startswith("backend: spark")] == a, path
            return
        if isinstance(a, dict):
            assert isinstance(b, dict) and set(a) == set(b), path
            for k in a:
                walk(a[k], b[k], f"{path}/{k}")
        elif isinstance(a, list):
            assert isinstance(b, list) and len(a) == len(b), path
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{path}[{i}]")
        elif key == "ks_statistic" and a is not None:
            assert b is not None and abs(a - b) <= bound, (path, a, b, bound)
            ks_diffs.append(abs(a - b))
        elif key == "ks_pvalue" and a is not None:
            assert b is not None and b >= a * (1 - 1e-9), (path, a, b)
        elif key in ROUNDED and a is not None:
            assert b == pytest.approx(a, rel=1e-12), path
        else:
            assert a == b, (path, a, b)

    walk(local, spark, "")
    assert ks_diffs, "no KS statistic compared"
    return ks_diffs


def test_spark_dataframes_give_the_local_metrics_on_real_world_data(spark: Any) -> None:
    local = driftscope.run(reference=REFERENCE, current=CURRENT, source="current")
    remote = driftscope.run(reference=spark.createDataFrame(REFERENCE),
                            current=spark.createDataFrame(CURRENT), source="current",
                            backend="spark", spark_master=MASTER)
    a, b = local.to_dict(), remote.to_dict()
    diffs = assert_same_report(a, b, ignore=frozenset({"source", "baseline"}))
    by_name = {f["name"]: f for f in b["features"]}
    # the data is what it claims: drift, new categories, missing values, a constant column
    assert by_name["city"]["metrics"]["unseen_share_current"] > 0.01
    assert by_name["income"]["metrics"]["missing_share_current"] > 0.08
    assert by_name["dependents"]["bins"][-1]["label"] == "> 3"  # codes above the reference's
    assert by_name["dependents"]["metrics"]["unseen_share_current"] > 0.3
    assert by_name["fee"]["metrics"]["psi"] == 0.0
    assert b["status"] != "NORMAL"
    assert max(diffs) < 0.02


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spark-files")
    pq.write_table(REFERENCE, root / "ref.parquet", row_group_size=2500)
    folder = root / "cur"
    folder.mkdir()
    pq.write_table(CURRENT.slice(0, 4000), folder / "part-0.parquet")
    pq.write_table(CURRENT.slice(4000), folder / "part-1.parquet")
    pacsv.write_csv(REFERENCE, root / "ref.csv")
    pacsv.write_csv(CURRENT, root / "cur.csv")
    return root


def cli_report(out: Path, *args: str) -> dict[str, Any]:
    code = main(["run", *args, "--out", str(out), "--no-history", "--no-html",
                 "--plots", "none", "--quiet", "--no-progress"])
    assert code == 0
    data: dict[str, Any] = json.loads((out / "drift_report.json").read_text())
    return data


@pytest.mark.parametrize(("reference", "current"), [("ref.parquet", "cur"),
                                                    ("ref.csv", "cur.csv")])
def test_a_cli_round_with_backend_spark_gives_the_local_report(
        spark: Any, files: Path, tmp_path: Path, reference: str, current: str) -> None:
    sides = ["--reference", str(files / reference), "--current", str(files / current)]
    local = cli_report(tmp_path / "local", *sides)
    remote = cli_report(tmp_path / "spark", *sides, "--backend", "spark",
                        "--spark-master", MASTER)
    assert_same_report(local, remote)
    assert remote["run"]["current"]["rows"] == CURRENT.num_rows


def test_a_catalog_table_is_read_by_name(spark: Any, files: Path, tmp_path: Path) -> None:
    spark.read.parquet(str(files / "cur")).createOrReplaceGlobalTempView("loans_current")
    by_path = cli_report(tmp_path / "path", "--reference", str(files / "ref.parquet"),
                         "--current", str(files / "cur"), "--backend", "spark")
    by_name = cli_report(tmp_path / "table", "--reference", str(files / "ref.parquet"),
                         "--current", "table:global_temp.loans_current", "--backend", "spark")
    assert by_name["run"]["current"]["source"] == "table:global_temp.loans_current"
    assert by_name["run"]["current"]["rows"] == CURRENT.num_rows
    # KLL compacts at random: the KS statistics may differ within their bound, not the rest
    assert without_sketched(by_name["features"]) == without_sketched(by_path["features"])


def without_sketched(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The features without what the sketches or the partitioning may change (KS, and the
    means and deviations merged by partition)."""
    out = json.loads(json.dumps(features))
    for f in out:
        for key in ("ks_statistic", "ks_pvalue"):
            f["metrics"].pop(key, None)
        for side in (f.get("distribution") or {}).values():
            side.pop("mean", None)
            side.pop("std", None)
    return out


def test_a_missing_table_is_one_line_exit_2(spark: Any, files: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--reference", str(files / "ref.parquet"), "--current",
                 "table:global_temp.no_such_table", "--backend", "spark", "--out",
                 str(tmp_path), "--no-history", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "table:global_temp.no_such_table" in err and "Traceback" not in err


def test_spark_master_chooses_the_session(spark: Any, files: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """``spark_master`` (and ``--spark-master``) is the session the round runs on: the one
    running here is accepted, another is refused in one line (one SparkContext a process)."""
    ok = driftscope.run(reference=files / "ref.parquet", current=files / "cur",
                        backend="spark", spark_master=MASTER)
    assert ok.to_dict()["run"]["current"]["rows"] == CURRENT.num_rows
    with pytest.raises(ConfigError, match=r"spark_master: 'local\[3\]' asked.*local\[2\]"):
        driftscope.run(reference=files / "ref.parquet", current=files / "cur",
                       backend="spark", spark_master="local[3]")
    code = main(["run", "--reference", str(files / "ref.parquet"), "--current",
                 str(files / "cur"), "--backend", "spark", "--spark-master", "local[3]",
                 "--out", str(tmp_path), "--no-history", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "spark_master" in err


def test_a_baseline_built_on_spark_measures_like_a_local_one(
        spark: Any, files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``driftscope baseline --backend spark --spark-master``: the saved baseline gives the
    local round's bins and PSI, and its saved sketches a KS within the stated bound."""
    code = main(["baseline", "--reference", str(files / "ref.parquet"), "--backend", "spark",
                 "--spark-master", MASTER, "--out", str(tmp_path / "bl"), "--no-progress"])
    assert code == 0
    from_baseline = cli_report(tmp_path / "a", "--baseline", str(tmp_path / "bl"),
                               "--current", str(files / "cur"))
    local = cli_report(tmp_path / "b", "--reference", str(files / "ref.parquet"),
                       "--current", str(files / "cur"))
    for got, want in zip(from_baseline["features"], local["features"], strict=True):
        assert got["bins"] == want["bins"]
        assert got["metrics"]["psi"] == want["metrics"]["psi"]
        assert got["metrics"]["chi2_statistic"] == want["metrics"]["chi2_statistic"]
    found = [f["message"] for f in from_baseline["findings"] if "quantile sketches" in f["message"]]
    assert len(found) == 1, from_baseline["findings"]
    bound = float(re.search(r"±([0-9.]+)", found[0]).group(1)) + 5e-5  # type: ignore[union-attr]
    numerical = [(g, w) for g, w in zip(from_baseline["features"], local["features"])
                 if w["metrics"]["ks_statistic"] is not None]
    assert numerical
    for got, want in numerical:
        assert abs(got["metrics"]["ks_statistic"] - want["metrics"]["ks_statistic"]) <= bound
    capsys.readouterr()
    code = main(["baseline", "--reference", str(files / "ref.parquet"), "--backend", "spark",
                 "--spark-master", "local[3]", "--out", str(tmp_path / "bl2")])
    assert code == 2 and "spark_master" in capsys.readouterr().err


def test_a_spark_dataframe_needs_the_spark_backend(spark: Any) -> None:
    with pytest.raises(ConfigError, match="backend='spark'"):
        driftscope.run(reference=REFERENCE, current=spark.createDataFrame(CURRENT))


def test_a_ks_bound_is_not_needed_when_nothing_changed(spark: Any) -> None:
    """Identical sides on Spark: every metric says no drift, KS within its bound of 0."""
    frame = spark.createDataFrame(REFERENCE)
    result = driftscope.run(reference=frame, current=frame, backend="spark").to_dict()
    bound = spark_bound(result)
    for f in result["features"]:
        assert f["metrics"]["psi"] == 0.0 and f["status"] == "NORMAL"
        ks = f["metrics"]["ks_statistic"]
        assert ks is None or 0.0 <= ks <= bound
        assert math.isfinite(f["metrics"]["jensen_shannon"])
