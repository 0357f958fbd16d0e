"""Charts over rounds are drawn on the data window of each round (from the timestamp
column), not on when the round ran: a backfill of two months written in seconds is spread
over its two months."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from driftscope.dashboard import APP_PATH
from driftscope.dashboard.app_data import runs_frame, series_frame
from driftscope.result import RunResult, Severity
from driftscope.store import HistoryStore
from tests.factories import make_feature, make_result

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

MONDAYS = [pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=w) for w in range(6)]


def weekly_round(i: int, window: bool = True) -> RunResult:
    """Round ``i`` of a backfill: run one second after the previous one, its data the week
    from ``MONDAYS[i]``."""
    psi = 0.3 if i == 2 else 0.02
    income = make_feature("income", Severity.CRITICAL if i == 2 else Severity.NORMAL, psi=psi)
    result = make_result([income], run_id=f"chunk-{i}",
                         started_at=f"2026-11-30T18:00:{i:02d}Z", with_model=False)
    if not window:
        return result
    start, end = MONDAYS[i], MONDAYS[i] + pd.Timedelta(days=6)
    run = dataclasses.replace(result.run, window_start=start.isoformat(),
                              window_end=end.isoformat())
    return dataclasses.replace(result, run=run)


def history(tmp_path: Path, rounds: list[RunResult]) -> Path:
    db = tmp_path / "driftscope_history.db"
    with HistoryStore(db) as store:
        for r in rounds:
            store.record(r)
    return db


def charts(monkeypatch: pytest.MonkeyPatch, db: Path, page: str | None = None
           ) -> list[tuple[dict[str, Any], pd.DataFrame]]:
    """Each chart of a page: its Vega-Lite spec and the rows it draws."""
    monkeypatch.setenv("DRIFTSCOPE_HISTORY", str(db))
    at = AppTest.from_file(str(APP_PATH), default_timeout=30).run()
    if page is not None:
        at = at.sidebar.radio(key="page").set_value(page).run()
    assert not at.exception, [e.value for e in at.exception]
    out = []
    for chart in at.get("vega_lite_chart"):
        frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas()
                  for d in chart.proto.datasets]
        out.append((json.loads(chart.proto.spec), pd.concat(frames) if frames else None))
    return out


def x_of(spec: dict[str, Any]) -> dict[str, Any]:
    """The x encoding of a chart or of its first layer that has one."""
    for part in [spec, *spec.get("layer", [])]:
        if "x" in part.get("encoding", {}):
            return dict(part["encoding"]["x"])
    raise AssertionError(f"no x encoding in {spec}")


def middles(n: int) -> list[pd.Timestamp]:
    return [(m + pd.Timedelta(days=3)).tz_localize("UTC") for m in MONDAYS[:n]]


@pytest.mark.slow  # a Streamlit AppTest run
def test_the_status_timeline_is_drawn_on_the_data_window(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    db = history(tmp_path, [weekly_round(i) for i in range(6)])
    timeline, data = charts(monkeypatch, db)[0]  # the overview: status over time first
    assert x_of(timeline) == {"field": "time", "title": "data window (UTC)",
                              "type": "temporal"}
    assert list(data.sort_values("round")["time"]) == middles(6)  # weeks apart, not seconds


@pytest.mark.slow  # Streamlit AppTest runs
def test_psi_over_time_is_drawn_on_the_data_window(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    db = history(tmp_path, [weekly_round(i) for i in range(6)])
    psi = [(spec, data) for spec, data in charts(monkeypatch, db, "Feature detail")
           if "layer" in spec]
    assert len(psi) == 1
    spec, data = psi[0]
    assert x_of(spec)["title"] == "data window (UTC)"
    # the line's rows (the highlighted round is drawn once more on top)
    line = data.dropna(subset=["time"]).drop_duplicates("run").sort_values("time")
    assert list(line["time"]) == middles(6)
    assert list(line["psi"]) == pytest.approx([0.02, 0.02, 0.3, 0.02, 0.02, 0.02])


@pytest.mark.slow  # Streamlit AppTest runs
def test_rounds_without_a_window_are_drawn_when_they_ran(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    db = history(tmp_path, [weekly_round(i, window=False) for i in range(3)])
    timeline, data = charts(monkeypatch, db)[0]
    assert x_of(timeline)["title"] == "started (UTC)"
    assert list(data.sort_values("round")["time"]) == [
        pd.Timestamp(f"2026-11-30T18:00:0{i}Z") for i in range(3)]


def test_a_round_without_a_window_among_windowed_ones_keeps_its_run_time() -> None:
    from driftscope.dashboard.app_charts import time_title

    rounds = [weekly_round(0), weekly_round(1, window=False)]
    with_bad = dataclasses.replace(
        weekly_round(2), run=dataclasses.replace(weekly_round(2).run, window_start="yesterday",
                                                 window_end=None))
    from driftscope.store import RunSummary

    summaries = [RunSummary(run_id=r.run.id, started_at=r.run.started_at, status=r.status,
                            reason="", recommendation="", reference_rows=1, current_rows=1,
                            counts={}, features=1, window_start=r.run.window_start,
                            window_end=r.run.window_end) for r in [*rounds, with_bad]]
    frame = runs_frame(summaries)
    assert list(frame["time"]) == [middles(1)[0], pd.Timestamp("2026-11-30T18:00:01Z"),
                                   pd.Timestamp("2026-11-30T18:00:02Z")]  # unparseable: ran
    assert list(frame["time basis"]) == ["data window", "run time", "run time"]
    assert time_title(frame) == "data window, else started (UTC)"
    assert series_frame([]).empty


@pytest.mark.slow  # Streamlit AppTest runs
def test_performance_over_time_is_drawn_on_the_data_window(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    rounds = []
    for i in range(4):
        plain = weekly_round(i)
        rounds.append(dataclasses.replace(make_result(run_id=plain.run.id,
                                                      started_at=plain.run.started_at),
                                          run=plain.run))
    db = history(tmp_path, rounds)
    perf = [(spec, data) for spec, data in charts(monkeypatch, db, "Model")
            if "strokeDash" in spec.get("encoding", {})]
    assert len(perf) == 1
    spec, data = perf[0]
    assert x_of(spec) == {"field": "time", "title": "data window (UTC)", "type": "temporal"}
    assert sorted(set(data["time"])) == middles(4)
