"""Reading the history: order of rounds, series over rounds, ``last``, unknown runs.

Every store test runs on SQLite and, marked ``postgres``, on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest

from driftscope.errors import ConfigError
from driftscope.outputs.history_report import history_report
from driftscope.result import Severity
from driftscope.store import HistoryStore, RunNotFoundError
from driftscope.store.queries import MAX_LAST
from tests.factories import make_feature, make_result
from tests.store.helpers import result_at


def test_runs_are_ordered_by_start_time_newest_last(store: HistoryStore) -> None:
    for i in (3, 1, 2):
        store.record(result_at(i))
    # a start time with an offset sorts by its UTC instant: 00:30+02:00 is 22:30 the day before
    store.record(result_at(9, started_at="2026-11-01T00:30:00+02:00"))
    assert [r.run_id for r in store.runs()] == ["run-009", "run-001", "run-002", "run-003"]
    assert [r.run_id for r in store.runs(last=2)] == ["run-002", "run-003"]
    assert store.run_ids(last=1) == ["run-003"]
    assert len(store) == 4
    latest = store.latest()
    assert latest is not None and latest.run.id == "run-003"


def test_empty_history(store: HistoryStore) -> None:
    assert store.runs() == []
    assert store.latest() is None
    assert store.feature_series("income") == []
    assert len(store) == 0


def test_load_unknown_run_is_a_clear_error(store: HistoryStore) -> None:
    with pytest.raises(RunNotFoundError, match="no round with run id 'nope'"):
        store.load("nope")


@pytest.mark.parametrize("last", [0, -1, 1.5, True])
def test_last_must_be_a_positive_int(store: HistoryStore, last: Any) -> None:
    with pytest.raises(ConfigError, match="last"):
        store.runs(last=last)


def test_feature_series_over_rounds(store: HistoryStore) -> None:
    statuses = [Severity.NORMAL, Severity.WARNING, Severity.CRITICAL, Severity.WARNING]
    for i, status in enumerate(statuses):
        store.record(result_at(i, status))
    series = store.feature_series("income")
    assert [p.run_id for p in series] == ["run-000", "run-001", "run-002", "run-003"]
    assert [p.status for p in series] == statuses
    assert [p.psi for p in series] == pytest.approx([0.02, 0.151, 0.402, 0.153])
    assert [p.run_status for p in series] == statuses
    assert [p.run_id for p in store.feature_series("income", last=2)] == ["run-002", "run-003"]
    prediction = store.feature_series("prediction", origin="prediction")
    assert len(prediction) == 4 and prediction[0].origin == "prediction"
    many = store.series(["income", "age"], last=3)
    assert [(p.run_id, p.name) for p in many][:2] == [("run-001", "income"), ("run-001", "age")]
    assert len(many) == 6
    assert store.column_names() == ["age", "home", "income", "prediction"]
    assert store.column_names(origins=["prediction"]) == ["prediction"]
    perf = store.performance_series("roc_auc")
    assert [p.current for p in perf] == pytest.approx([0.78] * 4)
    assert perf[0].baseline == pytest.approx(0.83) and perf[0].status is Severity.WARNING


def test_a_feature_named_like_the_prediction_is_preferred(store: HistoryStore) -> None:
    features = [make_feature("prediction", Severity.CRITICAL, psi=0.5)]
    store.record(make_result(features, run_id="r1"))
    [feature] = store.feature_series("prediction")
    assert feature.origin == "raw" and feature.psi == pytest.approx(0.5)
    [pred] = store.feature_series("prediction", origin="prediction")
    assert pred.psi == pytest.approx(0.13)


def test_results_without_model_or_performance(store: HistoryStore) -> None:
    store.record(make_result(run_id="plain", with_model=False))
    [summary] = store.runs()
    assert summary.prediction_status is None and summary.performance_status is None
    assert store.performance_series() == []
    assert store.load("plain").prediction is None


def test_out_of_range_last_is_a_config_error_in_the_api(store: HistoryStore) -> None:
    store.record(result_at(1))
    for call in (
        lambda: store.runs(last=10**20),
        lambda: store.series(last=MAX_LAST + 1),
        lambda: store.performance_series(last=MAX_LAST + 1),
        lambda: history_report(store, last=10**20),
    ):
        with pytest.raises(ConfigError, match="from 1 to 9223372036854775807"):
            call()
    assert len(store.runs(last=MAX_LAST)) == 1
