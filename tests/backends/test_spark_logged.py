"""Logged predictions and labels without a model on the ``spark`` backend (``local[2]``):
only their columns come to the driver, and the verdict is the local backend's."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import driftscope
from tests.backends.test_spark_round import MASTER, REFERENCE

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def spark() -> Any:
    pytest.importorskip("pyspark")
    from driftscope.backends.spark_session import spark_session

    return spark_session(MASTER)


def test_logged_predictions_and_labels_on_spark_give_the_local_verdict(
        spark: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the logged probability and the target come to the driver (no side is streamed
    row by row); the prediction drift, the performance and the importance measured from the
    logged probability equal the local round's."""
    from driftscope.inputs.spark_source import SparkSource

    def refuse(self: Any, columns: Any = None) -> Any:
        raise AssertionError(f"rows of {self.name} streamed to the driver")

    monkeypatch.setattr(SparkSource, "batches", refuse)
    rng = np.random.default_rng(5)

    def side(n: int, shift: float) -> pa.Table:
        return REFERENCE.slice(0, n).append_column("proba", pa.array(
            rng.random(n) ** (1 + shift))).append_column(
            "Status", pa.array(rng.choice(["good", "bad"], n)))

    ref, cur = side(6000, 0.0), side(5000, 0.4)
    settings = {"proba_column": "proba", "target": "Status", "positive_class": "bad"}
    local = driftscope.run(reference=ref, current=cur, **settings).to_dict()
    remote = driftscope.run(reference=spark.createDataFrame(ref),
                            current=spark.createDataFrame(cur), backend="spark",
                            **settings).to_dict()
    assert remote["prediction"]["bins"] == local["prediction"]["bins"]
    assert remote["prediction"]["metrics"]["psi"] == local["prediction"]["metrics"]["psi"] > 0
    assert remote["performance"] == local["performance"] is not None
    # sensitivity importance: the local round's on all rows, Spark's on its driver sample
    # (the reference is under the sample size here, so it is all rows there too)
    shares = {f["name"]: f.get("importance") for f in local["features"]}
    assert any(v for v in shares.values())
    assert {f["name"]: f.get("importance") for f in remote["features"]} == pytest.approx(shares)
