"""The dashboard: every page with Streamlit's AppTest, launch(), and one end-to-end test in
headless Chromium against a running server that follows a history as rounds land."""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from driftscope.dashboard import APP_PATH, dashboard_command, launch
from driftscope.dashboard.app_config import DashboardConfig, load_config
from driftscope.errors import ConfigError
from driftscope.result import RunResult, Severity
from driftscope.store import HistorySchemaError, HistoryStore, schema
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, running_server
from tests.dashboard.hostile import literal
from tests.factories import make_feature, make_result

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

REPO = Path(__file__).resolve().parents[2]
STATUSES = [Severity.NORMAL, Severity.WARNING, Severity.CRITICAL, Severity.WARNING]


# --------------------------------------------------------------------------------------
# helpers and fixtures
# --------------------------------------------------------------------------------------


def round_result(i: int, status: Severity, plot: str | None = None,
                 with_model: bool = True) -> RunResult:  # fmt: skip
    """Round ``i`` whose worst feature (income) has ``status``."""
    psi = {Severity.NORMAL: 0.03, Severity.WARNING: 0.16, Severity.CRITICAL: 0.42}[status]
    income = make_feature("income", status, psi=psi, shift=0.8)
    if plot:
        income = dataclasses.replace(income, plot=plot)
    features = [
        income,
        make_feature("age", Severity.NORMAL, psi=0.02 + i / 100),
        make_feature("home", Severity.NORMAL, psi=0.01, type_="categorical"),
    ]
    return make_result(
        features, run_id=f"run-{i:03d}", started_at=f"2026-11-{20 + i:02d}T08:00:00Z",
        with_model=with_model,
    )  # fmt: skip


def write_png(path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (60, 30), (200, 40, 40)).save(path)


@pytest.fixture
def assets(tmp_path: Path) -> Path:
    folder = tmp_path / "assets"
    folder.mkdir()
    return folder


@pytest.fixture
def history(assets: Path) -> Path:
    """Four rounds (NORMAL, WARNING, CRITICAL, WARNING); the last names a PNG that exists."""
    db = assets / "driftscope_history.db"
    write_png(assets / "images" / "drift_plot_income.png")
    with HistoryStore(db) as store:
        for i, status in enumerate(STATUSES):
            plot = "images/drift_plot_income.png" if i == len(STATUSES) - 1 else None
            store.record(round_result(i, status, plot=plot))
    return db


def app(monkeypatch: pytest.MonkeyPatch, history_url: str | Path, assets: Path | None = None,
        **env: str) -> Any:  # fmt: skip
    monkeypatch.setenv("DRIFTSCOPE_HISTORY", str(history_url))
    if assets is not None:
        monkeypatch.setenv("DRIFTSCOPE_ASSETS", str(assets))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return AppTest.from_file(str(APP_PATH), default_timeout=30)


def texts(at: Any) -> str:
    """Every text the page shows (markdown, captions, alerts, metrics, subheaders), with the
    escapes of data-derived values undone (see :func:`literal`)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for kind in ("info", "error", "warning") for e in getattr(at, kind)]
    parts += [f"{m.label}={m.value}" for m in at.metric] + [h.value for h in at.subheader]
    return literal("\n".join(str(p) for p in parts))


def assert_clean(at: Any) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def goto(at: Any, page: str) -> Any:
    return at.sidebar.radio(key="page").set_value(page).run()


# --------------------------------------------------------------------------------------
# pages (AppTest)
# --------------------------------------------------------------------------------------


def test_overview_shows_health_counts_recommendation_and_rounds(
    monkeypatch: pytest.MonkeyPatch, history: Path, assets: Path
) -> None:
    at = app(monkeypatch, history, assets).run()
    assert_clean(at)
    shown = texts(at)
    assert "Round **run-003**" in shown
    assert "Round status=WARNING" in shown
    assert "WARNING features=1" in shown and "NORMAL features=2" in shown
    assert "CRITICAL features=0" in shown
    assert "**Recommendation:** Investigate the drifted features" in shown
    assert "Alert open since round **run-001**" in shown  # episodes, not repeats
    table = at.table[0].value  # st.table cells are Markdown: escaped
    assert [literal(i) for i in table.index] == ["run-003", "run-002", "run-001", "run-000"]
    assert list(table.index)[0] == "run\\-003"
    assert list(table["Status"]) == ["WARNING", "CRITICAL", "WARNING", "NORMAL"]
    assert len(at.get("vega_lite_chart")) == 2  # status over time, counts per level


@pytest.mark.slow  # Streamlit AppTest runs
def test_features_page_table_with_trends_filter_and_sort(
    monkeypatch: pytest.MonkeyPatch, history: Path
) -> None:
    at = goto(app(monkeypatch, history).run(), "Features")
    assert_clean(at)
    frame = at.dataframe[0].value
    assert list(frame["Feature"]) == ["income", "age", "home"]  # worst first
    assert list(frame["Status"]) == ["WARNING", "NORMAL", "NORMAL"]
    assert list(frame.loc[1, "PSI trend"]) == pytest.approx([0.02, 0.03, 0.04, 0.05])
    assert "3 of 3 features" in texts(at)

    at.selectbox(key="feature_sort").set_value("name").run()
    assert list(at.dataframe[0].value["Feature"]) == ["age", "home", "income"]
    at.selectbox(key="feature_sort").set_value("psi").run()
    assert list(at.dataframe[0].value["Feature"]) == ["income", "age", "home"]
    at.multiselect(key="status_filter").set_value(["NORMAL"]).run()
    assert list(at.dataframe[0].value["Feature"]) == ["age", "home"]
    at.multiselect(key="status_filter").set_value(["CRITICAL"]).run()
    assert_clean(at)
    assert "No feature has the chosen status" in texts(at)


def test_feature_detail_shows_bins_psi_over_time_and_the_png(
    monkeypatch: pytest.MonkeyPatch, history: Path, assets: Path
) -> None:
    at = goto(app(monkeypatch, history, assets).run(), "Feature detail")
    assert_clean(at)
    assert at.selectbox(key="feature_choice").value == "raw:income"  # the worst one
    shown = texts(at)
    assert "### income :orange[**WARNING**]" in shown
    assert "PSI=0.1600" in shown
    assert "Thresholds: WARNING above 0.1, CRITICAL above 0.25." in shown
    assert len(at.get("vega_lite_chart")) == 2  # bin shares, PSI over time
    assert len(at.image) == 1  # the PNG diagnostic
    bins = at.dataframe[0].value
    assert len(bins) == 10 and {"Reference share", "Current share"} <= set(bins.columns)

    at.selectbox(key="feature_choice").set_value("raw:home").run()
    assert_clean(at)
    assert "### home :green[**NORMAL**]" in texts(at)
    assert "No diagnostic plot for this column" in texts(at)
    assert list(at.dataframe[0].value["Bin"]) == ["rent", "owner", "parents", "other"]


@pytest.mark.slow  # Streamlit AppTest runs
def test_model_page_prediction_drift_and_performance(
    monkeypatch: pytest.MonkeyPatch, history: Path
) -> None:
    at = goto(app(monkeypatch, history).run(), "Model")
    assert_clean(at)
    shown = texts(at)
    assert "### Prediction drift" in shown and "#### prediction :orange[**WARNING**]" in shown
    assert "roc_auc dropped 6.0% against the baseline" in shown
    perf = at.dataframe[-1].value  # after the prediction bins
    assert list(perf["Metric"]) == ["accuracy", "roc_auc"]
    # prediction bins, prediction PSI over time, performance over time
    assert len(at.get("vega_lite_chart")) == 3


@pytest.mark.slow  # a Streamlit AppTest run
def test_model_page_without_model_results(monkeypatch: pytest.MonkeyPatch, assets: Path) -> None:
    db = assets / "h.db"
    with HistoryStore(db) as store:
        store.record(round_result(0, Severity.NORMAL, with_model=False))
    at = goto(app(monkeypatch, db).run(), "Model")
    assert_clean(at)
    assert "No model results in the rounds in view" in texts(at)


@pytest.mark.slow  # Streamlit AppTest runs
def test_run_selector_shows_past_rounds_and_follows_new_ones(
    monkeypatch: pytest.MonkeyPatch, history: Path
) -> None:
    at = app(monkeypatch, history).run()
    selector = at.selectbox(key="run_choice")
    assert selector.options[:2] == ["Latest round (follows new rounds)",
                                    "run-003 · 2026-11-23 08:00 UTC · WARNING"]  # fmt: skip
    selector.set_value("run-002").run()
    assert "Round **run-002**" in texts(at) and "Round status=CRITICAL" in texts(at)

    with HistoryStore(history) as store:
        store.record(round_result(7, Severity.CRITICAL))
    at.run()  # what the refresh does
    assert at.selectbox(key="run_choice").value == "run-002"  # the pick is kept
    assert at.selectbox(key="run_choice").options[1].startswith("run-007 · ")
    at.selectbox(key="run_choice").set_value("__latest__").run()
    assert "Round **run-007**" in texts(at)
    goto(at, "Features")
    assert list(at.dataframe[0].value["Status"])[0] == "CRITICAL"


@pytest.mark.slow  # a Streamlit AppTest run per page
@pytest.mark.parametrize("page", ["Overview", "Features", "Feature detail", "Model"])
def test_empty_history_is_a_message_on_every_page(
    monkeypatch: pytest.MonkeyPatch, assets: Path, page: str
) -> None:
    db = assets / "h.db"
    HistoryStore(db).close()  # tables, no rounds
    at = goto(app(monkeypatch, db).run(), page)
    assert_clean(at)
    assert "has no rounds yet" in at.info[0].value


@pytest.mark.slow  # a Streamlit AppTest run
def test_missing_database_is_a_message_and_is_not_created(
    monkeypatch: pytest.MonkeyPatch, assets: Path
) -> None:
    db = assets / "nothing-here.db"
    at = app(monkeypatch, db).run()
    assert_clean(at)
    assert "No history yet at" in at.info[0].value
    assert not db.exists()


@pytest.mark.slow  # a Streamlit AppTest run
def test_without_a_history_the_snapshot_is_shown(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from driftscope.outputs.snapshot import write_snapshot
    from tests.factories import make_result

    write_snapshot(make_result(run_id="snap-1"), tmp_path / "streamlit_dashboard_data.pkl")
    at = app(monkeypatch, tmp_path / "none.db", tmp_path).run()
    assert_clean(at)
    shown = texts(at)
    assert "Last round from the snapshot" in shown and "snap-1" in shown
    assert "income" in str(at.dataframe[0].value)


@pytest.mark.slow  # a Streamlit AppTest run
def test_a_history_from_an_older_driftscope_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, history: Path
) -> None:
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, lambda c: None])
    at = app(monkeypatch, history).run()
    assert not at.exception
    [error] = at.error
    version = schema.SCHEMA_VERSION
    assert (f"written by an older driftscope (schema version {version}; this one uses "
            f"{version + 1})") in literal(error.value)
    assert "a writer upgrades it" in texts(at)
    with pytest.raises(HistorySchemaError):  # the dashboard did not migrate the store
        HistoryStore(history, create=False, migrate=False)


@pytest.mark.slow  # a Streamlit AppTest run
def test_a_history_from_a_newer_driftscope_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, history: Path
) -> None:
    import sqlite3

    with sqlite3.connect(history) as conn:
        conn.execute("UPDATE driftscope_schema_version SET version = version + 98")
    at = app(monkeypatch, history).run()
    assert not at.exception
    assert "written by a newer driftscope" in literal(at.error[0].value)


@pytest.mark.slow  # a Streamlit AppTest run
def test_an_unreachable_database_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    at = app(monkeypatch, f"postgresql://mon:s3cret@127.0.0.1:{port}/history").run()
    assert not at.exception
    message = literal(at.error[0].value)
    assert f"postgresql://mon:***@127.0.0.1:{port}/history" in message
    assert "s3cret" not in texts(at)


@pytest.mark.slow  # a Streamlit AppTest run
def test_a_failing_page_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, history: Path
) -> None:
    from driftscope.dashboard import app_pages

    def broken(ctx: Any) -> None:
        raise KeyError("boom")

    monkeypatch.setitem(app_pages._RENDERERS, "Overview", broken)
    at = app(monkeypatch, history).run()
    assert not at.exception
    assert "could not draw this page (KeyError: 'boom')" in literal(at.error[0].value)


@pytest.mark.slow  # a Streamlit AppTest run
def test_bad_settings_are_a_clear_error(monkeypatch: pytest.MonkeyPatch, history: Path) -> None:
    at = app(monkeypatch, history, DRIFTSCOPE_REFRESH_SECONDS="soon").run()
    assert not at.exception
    assert "misconfigured" in at.error[0].value and "'soon'" in literal(at.error[0].value)


# --------------------------------------------------------------------------------------
# settings, data shaping and launch()
# --------------------------------------------------------------------------------------


def test_config_from_arguments_environment_and_defaults() -> None:
    assert load_config([], {}) == DashboardConfig(
        history_url="sqlite:///assets/driftscope_history.db", assets_dir=Path("assets")
    )
    env = {"DRIFTSCOPE_HISTORY": "postgresql://h/db", "DRIFTSCOPE_REFRESH_SECONDS": "5",
           "DRIFTSCOPE_ASSETS": "out", "DRIFTSCOPE_DASHBOARD_ROUNDS": "20"}  # fmt: skip
    assert load_config([], env) == DashboardConfig("postgresql://h/db", Path("out"), 5.0, 20)
    args = ["--history", "x.db", "--refresh", "2", "--assets", "a", "-q", "tests/"]
    assert load_config(args, env) == DashboardConfig("x.db", Path("a"), 2.0, 20)
    assert load_config(["--assets", "out"], {}).history_url == (
        "sqlite:///out/driftscope_history.db"
    )
    with pytest.raises(ConfigError, match="at least 0.5"):
        load_config(["--refresh", "0"], {})
    with pytest.raises(ConfigError, match="whole number"):
        load_config(["--rounds", "1.5"], {})


def test_thresholds_come_from_the_round_settings() -> None:
    from driftscope.dashboard.app_data import psi_thresholds

    result = dataclasses.replace(
        make_result(),
        settings={"thresholds": {"psi_warning": 0.2, "psi_critical": 0.3},
                  "overrides": {"inc*": {"psi_critical": 0.5}, "age": {"enabled": False}}},
    )  # fmt: skip
    assert psi_thresholds(result, "income") == (0.2, 0.5)
    assert psi_thresholds(result, "age") == (0.2, 0.3)
    assert psi_thresholds(make_result(), "age") == (0.1, 0.25)
    assert psi_thresholds(None, "age") == (0.1, 0.25)


def test_thresholds_are_resolved_by_the_config_as_the_round_resolved_them() -> None:
    from driftscope.config.models import MonitoringConfig
    from driftscope.dashboard.app_data import psi_thresholds

    # a column named like a glob pattern matches its own override, as in the round
    cfg = MonitoringConfig(features={"a[1]": {"psi_warning": 0.05, "psi_critical": 0.07}})
    result = dataclasses.replace(make_result(), settings={
        "thresholds": cfg.thresholds.model_dump(),
        "overrides": {k: v.model_dump(exclude_none=True) for k, v in cfg.features.items()}})
    expected = cfg.thresholds_for("a[1]")
    assert psi_thresholds(result, "a[1]") == (expected.psi_warning, expected.psi_critical)
    # settings this driftscope cannot read (a report edited by hand) give the defaults
    for settings in ({"thresholds": {"psi": [0.1, 0.25]}},
                     {"thresholds": {"psi_warning": "high"}},
                     {"overrides": {"a*": {"psi_warning": 0.5}, "*": {"psi_critical": 0.2}}}):
        odd = dataclasses.replace(make_result(), settings=settings)
        assert psi_thresholds(odd, "age") == (0.1, 0.25)


def test_plots_outside_the_assets_folder_are_ignored(tmp_path: Path, assets: Path) -> None:
    from driftscope.dashboard.app_data import find_plot

    write_png(assets / "images" / "ok.png")
    write_png(tmp_path / "outside.png")
    feature = make_feature("x")
    assert find_plot(dataclasses.replace(feature, plot="images/ok.png"), assets) is not None
    assert find_plot(dataclasses.replace(feature, plot="../outside.png"), assets) is None
    assert find_plot(dataclasses.replace(feature, plot=str(tmp_path / "outside.png")),
                     assets) is None  # fmt: skip
    assert find_plot(dataclasses.replace(feature, plot="images/missing.png"), assets) is None
    assert find_plot(feature, assets) is None


def test_dashboard_command() -> None:
    command = dashboard_command("sqlite:///h.db", port=8600, refresh_seconds=2,
                                assets_dir="out", host="0.0.0.0")  # fmt: skip
    assert command[:5] == [sys.executable, "-m", "streamlit", "run", str(APP_PATH)]
    joined = " ".join(command)
    assert "--server.headless true" in joined and "--server.port 8600" in joined
    assert "--server.address 0.0.0.0" in joined
    assert command[command.index("--") :] == [
        "--", "--history", "sqlite:///h.db", "--assets", "out", "--refresh", "2",
    ]  # fmt: skip
    with pytest.raises(ConfigError, match="port"):
        dashboard_command("h.db", port=0)
    with pytest.raises(ConfigError, match="refresh"):
        dashboard_command("h.db", refresh_seconds=0)


def test_launch_without_streamlit_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "streamlit" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ConfigError) as info:
        launch("h.db")
    assert str(info.value) == "the dashboard needs streamlit: pip install 'driftscope[dashboard]'"


def test_importing_the_package_does_not_import_streamlit() -> None:
    code = "import sys, driftscope.dashboard; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------
# end to end: launch() + headless Chromium
# --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(history: Path, assets: Path) -> Iterator[tuple[str, Path]]:
    """``launch()`` in its own process group on a free port, refreshing every 2 s."""
    port = _free_port()
    code = (
        "import sys; from driftscope.dashboard import launch; "
        f"sys.exit(launch({str(history)!r}, port={port}, refresh_seconds=2, "
        f"assets_dir={str(assets)!r}))"
    )
    with running_server([sys.executable, "-c", code], port, assets / "server.log", REPO) as url:
        yield url, history


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_dashboard_in_chromium_shows_the_history_and_follows_new_rounds(
    server: tuple[str, Path],
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    url, history = server
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                     headless=True)  # fmt: skip
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1700})
            page.goto(url, wait_until="domcontentloaded")
            table = page.locator("[data-testid='stTable']")
            table.get_by_text("run-000").wait_for(timeout=30_000)
            for i, status in enumerate(STATUSES):
                row = table.locator("tr", has_text=f"run-{i:03d}")
                assert status.value in row.inner_text()
            assert "Investigate the drifted features" in page.inner_text("body")

            with HistoryStore(history) as store:
                store.record(round_result(9, Severity.CRITICAL))
            recorded = time.monotonic()
            table.locator("tr", has_text="run-009").wait_for(timeout=10_000)
            seen_after = time.monotonic() - recorded
            assert "CRITICAL" in table.locator("tr", has_text="run-009").inner_text()
            # the page refreshes itself (every 2 s): the row appearing at all is the check;
            # how soon is a measurement, not an assertion (shared machines are slow)
            print(f"new round shown {seen_after:.1f} s after it was recorded")
            page.get_by_text("Round status over time").wait_for()
            page.wait_for_timeout(500)  # let the charts draw for the screenshot
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        finally:
            browser.close()
