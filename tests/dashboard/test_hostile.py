"""Hostile production data in the dashboard (AppTest): names, values, reasons and messages
show as literal text, never as Markdown links, images or formatting; long values are cut at
200 characters; a malformed snapshot or a damaged history is one line, never a traceback."""

from __future__ import annotations

import os
import pickle
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from driftscope.dashboard import APP_PATH
from driftscope.outputs.snapshot import SNAPSHOT_FORMAT, write_snapshot
from driftscope.result import Severity
from driftscope.store import HistoryStore
from tests.dashboard.hostile import EVIL, LONG_NAME, PLOT, Hostile, literal, live_markdown
from tests.factories import make_feature, make_result

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

TRAP = "http://127.0.0.1:9"
HOSTILE = Hostile(TRAP)
MAX_CHARS = 200  # the documented length (app_text.MAX_CHARS)
CLIPPED_LONG = LONG_NAME[: MAX_CHARS - 1] + "…"


@pytest.fixture
def hostile_history(tmp_path: Path) -> Path:
    from tests.dashboard.hostile import write_history

    return write_history(tmp_path / "driftscope_history.db", HOSTILE)


def start(monkeypatch: pytest.MonkeyPatch, history: Path, assets: Path | None = None) -> Any:
    monkeypatch.setenv("DRIFTSCOPE_HISTORY", str(history))
    monkeypatch.setenv("DRIFTSCOPE_ASSETS", str(assets or history.parent))
    return AppTest.from_file(str(APP_PATH), default_timeout=30).run()


def goto(at: Any, page: str) -> Any:
    return at.sidebar.radio(key="page").set_value(page).run()


def markdown_sources(at: Any) -> list[str]:
    """Every text of the page that Streamlit reads as Markdown."""
    parts = [e.value for kind in ("markdown", "caption", "subheader", "header", "title",
                                  "info", "warning", "error", "success")
             for e in getattr(at, kind)]  # fmt: skip
    parts += [m.label for m in at.metric] + [str(m.value) for m in at.metric]
    parts += [e.label for e in at.expander]
    parts += [w.label for kind in ("selectbox", "multiselect", "radio") for w in getattr(at, kind)]
    parts += [c for image in at.image for c in image.captions]
    for table in at.table:  # st.table: cells, index and headers are Markdown
        frame = table.value
        parts += [str(v) for v in frame.to_numpy().ravel()]
        parts += [str(v) for v in frame.index] + [str(v) for v in frame.columns]
    return [str(p) for p in parts]


def plain_texts(at: Any) -> list[str]:
    """Texts shown as plain text: selectbox options and dataframe cells."""
    parts = [o for w in at.selectbox for o in w.options]
    for frame in at.dataframe:
        value = frame.value
        parts += [str(v) for v in pd.DataFrame(value).to_numpy().ravel()]
    return parts


def assert_inert(at: Any) -> str:
    """No live Markdown in any Markdown text; return the page's text as it reads."""
    assert not at.exception, [e.value for e in at.exception]
    live = [hit for source in markdown_sources(at) for hit in live_markdown(source)]
    assert not live, live
    return literal("\n".join(markdown_sources(at)))


# --------------------------------------------------------------------------------------
# every page
# --------------------------------------------------------------------------------------


@pytest.mark.slow  # a Streamlit AppTest run
def test_overview_shows_hostile_values_as_text(
    monkeypatch: pytest.MonkeyPatch, hostile_history: Path
) -> None:
    at = start(monkeypatch, hostile_history)
    shown = assert_inert(at)
    assert not at.error, [e.value for e in at.error]
    for name in ("run_id", "model_name", "baseline", "window_start", "recommendation",
                 "reason", "finding"):  # fmt: skip
        assert HOSTILE.strings()[name] in shown, name
    assert f"Round **{HOSTILE.run_id}**" in shown  # the template's bold stays bold
    assert "model [model](https://evil.example/model) **9**" in shown
    # st.table: the round id is escaped in the index, readable once unescaped
    index = [literal(i) for i in at.table[0].value.index]
    assert index == [HOSTILE.run_id, "run-001"]


@pytest.mark.slow  # Streamlit AppTest runs
def test_round_selector_options_are_plain_text(
    monkeypatch: pytest.MonkeyPatch, hostile_history: Path
) -> None:
    at = start(monkeypatch, hostile_history)
    options = at.selectbox(key="run_choice").options
    assert options[1] == f"{HOSTILE.run_id} · 2026-11-28 08:00 UTC · CRITICAL"  # not escaped
    at.selectbox(key="run_choice").set_value("run-001").run()
    assert "Round **run-001**" in assert_inert(at)


@pytest.mark.slow  # Streamlit AppTest runs
def test_features_page_shows_hostile_and_long_names_as_text(
    monkeypatch: pytest.MonkeyPatch, hostile_history: Path
) -> None:
    at = goto(start(monkeypatch, hostile_history), "Features")
    assert_inert(at)
    frame = at.dataframe[0].value
    assert list(frame["Feature"]) == [HOSTILE.column, CLIPPED_LONG, "income"]
    assert list(frame["Reason"])[:2] == [HOSTILE.reason, CLIPPED_LONG]
    assert all(len(v) <= MAX_CHARS for v in plain_texts(at) if isinstance(v, str))


@pytest.mark.slow  # Streamlit AppTest runs
def test_feature_detail_shows_the_hostile_column_as_text(
    monkeypatch: pytest.MonkeyPatch, hostile_history: Path
) -> None:
    at = goto(start(monkeypatch, hostile_history), "Feature detail")
    assert at.selectbox(key="feature_choice").value == f"raw:{HOSTILE.column}"  # the worst
    shown = assert_inert(at)
    assert not at.error, [e.value for e in at.error]
    assert f"### {HOSTILE.column} :red[**CRITICAL**]" in shown  # heading, name literal
    assert HOSTILE.reason in shown and HOSTILE.finding in shown
    assert len(at.image) == 1 and literal(at.image[0].captions[0]) == PLOT
    bins = at.dataframe[0].value  # category values: plain dataframe cells
    assert list(bins["Bin"])[:2] == [HOSTILE.category, HOSTILE.image_category]
    options = at.selectbox(key="feature_choice").options
    assert HOSTILE.column in options and CLIPPED_LONG in options


@pytest.mark.slow  # Streamlit AppTest runs
def test_feature_detail_cuts_a_long_name_at_200_characters(
    monkeypatch: pytest.MonkeyPatch, hostile_history: Path
) -> None:
    at = goto(start(monkeypatch, hostile_history), "Feature detail")
    at.selectbox(key="feature_choice").set_value(f"raw:{LONG_NAME}").run()
    shown = assert_inert(at)
    assert f"### {CLIPPED_LONG} :orange[**WARNING**]" in shown
    assert LONG_NAME[:MAX_CHARS] not in shown
    assert all(len(line) < 2 * MAX_CHARS for line in shown.splitlines())


@pytest.mark.slow  # Streamlit AppTest runs
def test_model_page_shows_hostile_values_as_text(
    monkeypatch: pytest.MonkeyPatch, hostile_history: Path
) -> None:
    at = goto(start(monkeypatch, hostile_history), "Model")
    shown = assert_inert(at)
    assert not at.error, [e.value for e in at.error]
    assert HOSTILE.performance_reason in shown and HOSTILE.reason in shown
    metrics = at.dataframe[-1].value
    assert HOSTILE.metric in list(metrics["Metric"])


@pytest.mark.slow  # a Streamlit AppTest run
def test_snapshot_with_hostile_values_shows_them_as_text(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_snapshot(HOSTILE.round(), tmp_path / "streamlit_dashboard_data.pkl")
    at = start(monkeypatch, tmp_path / "none.db", tmp_path)
    shown = assert_inert(at)
    assert not at.error, [e.value for e in at.error]
    assert HOSTILE.run_id in shown and HOSTILE.recommendation in shown
    rows = pd.DataFrame(at.dataframe[0].value)
    assert list(rows["feature"]) == [HOSTILE.column, CLIPPED_LONG, "income"]


@pytest.mark.slow  # a Streamlit AppTest run
def test_a_hostile_error_message_is_text(
    monkeypatch: pytest.MonkeyPatch, hostile_history: Path
) -> None:
    from driftscope.dashboard import app_pages

    def broken(ctx: Any) -> None:
        raise KeyError(HOSTILE.column)

    monkeypatch.setitem(app_pages._RENDERERS, "Overview", broken)
    at = start(monkeypatch, hostile_history)
    assert_inert(at)
    assert f"could not draw this page (KeyError: '{HOSTILE.column}')" in literal(at.error[0].value)


# --------------------------------------------------------------------------------------
# malformed snapshot, damaged history
# --------------------------------------------------------------------------------------


def _snapshot(result: Any) -> dict[str, Any]:
    return {"format": SNAPSHOT_FORMAT, "snapshot_version": 1, "result": result}


def _good() -> dict[str, Any]:
    return make_result().to_dict()


def _psi_none() -> dict[str, Any]:
    data = _good()
    data["features"] = [dict(f, metrics=dict(f["metrics"], psi=None)) for f in data["features"]]
    return data


def _current_none() -> dict[str, Any]:
    data = _good()
    data["run"] = dict(data["run"], current=None)
    return data


class _Evil:
    def __reduce__(self) -> Any:
        return (os.getcwd, ())


MALFORMED = {
    "result is a list": pickle.dumps(_snapshot([]), protocol=4),
    "result is text": pickle.dumps(_snapshot("x"), protocol=4),
    "no result": pickle.dumps({"format": SNAPSHOT_FORMAT, "snapshot_version": 1}, protocol=4),
    "psi missing": pickle.dumps(_snapshot(_psi_none()), protocol=4),
    "no current side": pickle.dumps(_snapshot(_current_none()), protocol=4),
    "feature is text": pickle.dumps(_snapshot({**_good(), "features": ["oops"]}), protocol=4),
    "not a pickle": b"garbage",
    "refers to a function": pickle.dumps(_snapshot(_Evil()), protocol=4),
    "newer version": pickle.dumps({**_snapshot(_good()), "snapshot_version": 99}, protocol=4),
}


def assert_one_line_error(at: Any, names: str) -> str:
    assert not at.exception, [e.value for e in at.exception]
    [error] = at.error
    message = literal(error.value)
    assert names in message
    assert "\n" not in message and "Traceback" not in message
    page = literal("\n".join(markdown_sources(at)))
    for internal in ("site-packages", "src/driftscope", '.py"', 'File "'):
        assert internal not in page, internal
    return message


@pytest.mark.slow  # a Streamlit AppTest run per case
@pytest.mark.parametrize("payload", list(MALFORMED.values()), ids=list(MALFORMED))
def test_a_malformed_snapshot_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, payload: bytes
) -> None:
    path = tmp_path / "streamlit_dashboard_data.pkl"
    path.write_bytes(payload)
    at = start(monkeypatch, tmp_path / "none.db", tmp_path)
    message = assert_one_line_error(at, str(path))
    assert "rerun `driftscope run`" in message
    assert "No history yet" in at.info[0].value  # the page still says what to do
    assert not at.dataframe


def _garbage(db: Path) -> None:
    db.write_bytes(b"this is not a database" * 200)


def _truncated(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])


def _bad_status(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE driftscope_runs SET status = 'BOGUS'")


def _bad_json(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE driftscope_runs SET result_json = '{not json'")


def _no_columns_table(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE driftscope_columns")


DAMAGE = {"not a database": _garbage, "truncated": _truncated, "bad status": _bad_status,
          "bad result": _bad_json, "missing table": _no_columns_table}  # fmt: skip


@pytest.mark.slow  # a Streamlit AppTest run per case
@pytest.mark.parametrize("damage", list(DAMAGE.values()), ids=list(DAMAGE))
def test_a_damaged_history_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, damage: Any
) -> None:
    db = tmp_path / "h.db"
    with HistoryStore(db) as store:
        store.record(make_result(run_id="run-1", features=[make_feature("age", Severity.NORMAL)]))
    damage(db)
    for extra in ("-wal", "-shm"):
        Path(f"{db}{extra}").unlink(missing_ok=True)
    monkeypatch.setenv("DRIFTSCOPE_HISTORY", str(db))
    at = AppTest.from_file(str(APP_PATH), default_timeout=30).run()
    if not at.error:  # the overview reads no column: the features page does
        at = goto(at, "Features")
    assert_one_line_error(at, str(db))


# --------------------------------------------------------------------------------------
# the text helpers
# --------------------------------------------------------------------------------------


def test_text_helpers() -> None:
    from driftscope.dashboard import app_text

    assert app_text.MAX_CHARS == MAX_CHARS
    assert app_text.clip("x" * 200) == "x" * 200
    assert app_text.clip("x" * 201) == "x" * 199 + "…"
    assert app_text.clip("a\nb\tc\x00d\x1b[31m") == "a b c d [31m"
    assert app_text.md("run-1 *a*") == "run\\-1 \\*a\\*"
    for value in HOSTILE.strings().values():
        escaped = app_text.md(value)
        assert not live_markdown(escaped), value
        assert literal(escaped) == value
    assert literal(app_text.md(LONG_NAME)) == CLIPPED_LONG
    assert app_text.code("a`b") == "``a`b``" and app_text.code("`x`") == "`` `x` ``"
    assert app_text.unique(["a", "a", "a #2", "b"]) == ["a", "a #2", "a #2 #2", "b"]
    frame = pd.DataFrame({"Run": ["[x](y)"], "Rows": [3]}).set_index("Run")
    escaped = app_text.md_frame(frame)
    assert list(escaped.index) == ["\\[x\\]\\(y\\)"] and escaped["Rows"].iloc[0] == 3


def test_hostile_markdown_detector_sees_the_raw_strings() -> None:
    """The detector the tests rely on flags every raw hostile string."""
    for name, value in HOSTILE.strings().items():
        assert live_markdown(value), name
    assert live_markdown(f"see www.{EVIL}") and live_markdown(PLOT)
