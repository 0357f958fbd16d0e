"""What Spark reads (:mod:`driftscope.inputs.spark_source`): Parquet timestamps of any unit
(Spark takes only microseconds back from Python) are read as the local backend reads them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from driftscope.inputs.spark_source import spark_safe
from tests.backends.test_spark_round import assert_same_report, cli_report

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_spark_safe_keeps_microseconds_and_time_zones() -> None:
    schema = pa.schema([("a", pa.timestamp("ms")), ("b", pa.timestamp("ns", "UTC")),
                        ("c", pa.timestamp("us")), ("d", pa.float64())])
    assert spark_safe(schema) == pa.schema([("a", pa.timestamp("us")),
                                            ("b", pa.timestamp("us", "UTC")),
                                            ("c", pa.timestamp("us")), ("d", pa.float64())])


@pytest.fixture(scope="module")
def spark() -> Any:
    pytest.importorskip("pyspark")
    from driftscope.backends.spark_session import spark_session

    return spark_session("local[2]")


def test_a_millisecond_timestamp_column_is_read_by_spark(spark: Any, tmp_path: Path) -> None:
    rng = np.random.default_rng(3)

    def side(n: int, shift: float) -> pa.Table:
        seconds = np.sort(rng.integers(0, 90 * 86400, n))
        return pa.table({
            "x": rng.normal(shift, 1, n),
            "c": rng.choice(["a", "b", "c"], n),
            "ts": pa.array(np.datetime64("2026-01-01") + seconds.astype("timedelta64[s]"))
            .cast(pa.timestamp("ms"))})

    pq.write_table(side(3000, 0.0), tmp_path / "ref.parquet")
    pq.write_table(side(3000, 0.3), tmp_path / "cur.parquet")
    sides = ["--reference", str(tmp_path / "ref.parquet"), "--current",
             str(tmp_path / "cur.parquet"), "--timestamp-column", "ts"]
    local = cli_report(tmp_path / "local", *sides)
    remote = cli_report(tmp_path / "spark", *sides, "--backend", "spark", "--spark-master",
                        "local[2]")
    assert_same_report(local, remote)
    assert remote["run"]["window_start"] == local["run"]["window_start"] is not None
