"""A metric registered by a test module, and nothing else, reaches every output.

``mean_shift`` = |mean_cur − mean_ref| / std_ref is registered here, where a new metric of
driftscope would live in its own module of ``compare/``: no other module is touched. A whole
round then shows it in the JSON report (valid against the published schema), the history
(SQLite, without a migration), the HTML feature table and the dashboard's data and pages. It is
unregistered afterwards, so the other tests see the built-in metrics only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from driftscope.compare.registry import (
    MetricField,
    MetricInput,
    MetricValue,
    metric,
    registered,
    unregister,
)
from driftscope.profile.model import NumericProfile
from tests.conftest import CliResult, DataFiles


def mean_shift(inp: MetricInput) -> MetricValue:
    """|mean_cur − mean_ref| / std_ref, from the exact moments of both profiles."""
    ref, cur = inp.reference, inp.current
    assert isinstance(ref, NumericProfile) and isinstance(cur, NumericProfile)
    std = ref.moments.std
    if not ref.moments.count or not cur.moments.count or not std:
        return MetricValue(value=None)
    return MetricValue(value=abs(cur.moments.mean - ref.moments.mean) / std)


@pytest.fixture
def toy_metric() -> Iterator[str]:
    metric(
        "mean_shift",
        label="Mean shift",
        description="Shift of the mean, in reference standard deviations.",
        fields=(MetricField("mean_shift", "Mean shift",
                            "|mean_cur − mean_ref| / std_ref", nullable=True),),
        kinds=("numerical",),
        needs=("moments",),
    )(mean_shift)
    try:
        yield "mean_shift"
    finally:
        unregister("mean_shift")
    assert "mean_shift" not in registered()


@pytest.fixture
def round_out(toy_metric: str, data: DataFiles, tmp_path: Path,
              cli: Callable[..., CliResult]) -> Path:
    """Two rounds (unchanged, then drifted) into one folder and one history."""
    out = tmp_path / "out"
    for current in (data.same_csv, data.drift_csv):
        result = cli("run", "--reference", data.ref_csv, "--current", current, "--out", out,
                     "--plots", "none")
        assert result.code == 0, result.err
    return out


def _report(out: Path) -> dict[str, Any]:
    return dict(json.loads((out / "drift_report.json").read_text(encoding="utf-8")))


def test_the_json_report_holds_the_new_field_and_validates(round_out: Path) -> None:
    from driftscope.outputs.json_report import read_json, validate_report

    report = _report(round_out)
    validate_report(report)
    by_name = {f["name"]: f for f in report["features"]}
    age, home = by_name["age"]["metrics"], by_name["home"]["metrics"]
    keys = list(age)
    # the new metric's field follows the measured fields of the built-in metrics and comes
    # before the corrected p-values; the built-in keys keep their order
    assert keys[keys.index("unseen_share_current") + 1] == "mean_shift"
    assert keys[-3:] == ["psi_pvalue_adjusted", "missing_pvalue", "unseen_pvalue"]
    assert age["mean_shift"] > 1.0  # age drifted by 15 years, its std is about 10
    assert 0.0 <= by_name["income"]["metrics"]["mean_shift"] < 0.2
    assert home["mean_shift"] is None  # categorical: the metric does not apply
    back = read_json(round_out / "drift_report.json")
    assert back.feature("age").metrics["mean_shift"] == age["mean_shift"]
    assert back.to_dict()["features"] == report["features"]


def test_the_history_stores_and_reads_the_new_field(round_out: Path) -> None:
    from driftscope.store import HistoryStore

    db = round_out / "driftscope_history.db"
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT c.name, m.value FROM driftscope_column_metrics m JOIN "
                            "driftscope_columns c ON c.run_seq = m.run_seq AND c.position = "
                            "m.column_position WHERE m.field = 'mean_shift'").fetchall()
        wide = [r[1] for r in conn.execute("PRAGMA table_info(driftscope_columns)")]
    assert "mean_shift" not in wide  # no migration: a row per column, not a column
    assert {name for name, _ in rows} >= {"age", "income", "home"}
    with HistoryStore(db, create=False, migrate=False) as store:
        points = store.feature_series("age")
        assert len(points) == 2
        age = next(f for f in _report(round_out)["features"] if f["name"] == "age")
        assert points[-1].metrics["mean_shift"] == age["metrics"]["mean_shift"]
        assert points[0].metrics["mean_shift"] < points[1].metrics["mean_shift"]
        assert points[-1].to_dict()["mean_shift"] == points[-1].metrics["mean_shift"]
        series = store.series(names=["home"])
        assert [p.metrics["mean_shift"] for p in series] == [None, None]


def test_the_html_table_has_a_column_for_the_new_metric(round_out: Path) -> None:
    from driftscope.outputs.html_format import sort_key

    page = (round_out / "drift_report.html").read_text(encoding="utf-8")
    report = _report(round_out)
    age = next(f for f in report["features"] if f["name"] == "age")
    assert '<button type="button">Mean shift</button>' in page
    assert f'data-v="{sort_key(age["metrics"]["mean_shift"])}"' in page
    assert "<dt>Mean shift</dt>" in page  # in each column's details too


@pytest.mark.slow  # a Streamlit AppTest run
def test_the_dashboard_shows_the_new_metric(round_out: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from driftscope.dashboard import app_data as data
    from driftscope.store import HistoryStore

    db = round_out / "driftscope_history.db"
    with HistoryStore(db, create=False, migrate=False) as store:
        result = store.latest()
        assert result is not None
        table = data.features_table(result, {})
        series = data.series_frame(store.feature_series("age"))
    shift = dict(zip(table["Feature"], table["Mean shift"]))
    assert shift["home"] == "—" and float(shift["age"]) > 1.0
    assert "mean_shift" in series and series["mean_shift"].notna().all()
    assert ("mean_shift", "Mean shift") in data.series_fields()
    assert "Mean shift" in {label for label, _t, _d in data.metric_tiles(result.feature("age"))}

    AppTest = pytest.importorskip("streamlit.testing.v1").AppTest
    from driftscope.dashboard import APP_PATH

    monkeypatch.setenv("DRIFTSCOPE_HISTORY", str(db))
    monkeypatch.setenv("DRIFTSCOPE_ASSETS", str(round_out))
    at = AppTest.from_file(str(APP_PATH), default_timeout=60).run()
    at = at.sidebar.radio(key="page").set_value("Feature detail").run()
    at.selectbox(key="feature_choice").set_value("raw:age").run()
    assert not at.exception and not at.error
    assert any(m.label == "Mean shift" for m in at.metric)
    at.selectbox(key="over_time:raw").set_value("mean_shift").run()
    assert not at.exception and not at.error
    assert "**Mean shift over time**" in [m.value for m in at.markdown]
    assert len(at.get("vega_lite_chart")) == 2  # bin shares, the mean shift over time
