"""What ``driftscope history`` prints: formats, errors, ``--last``, and data that cannot
drive the terminal.

Store-backed tests run on SQLite and, marked ``postgres``, on PostgreSQL (the fixtures come
from :mod:`tests.store.fixtures`).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from pathlib import Path

import pytest

from driftscope.cli import main
from driftscope.errors import ConfigError, HistoryError
from driftscope.outputs.history_report import history_report
from driftscope.outputs.text import printable
from driftscope.result import Severity
from driftscope.store import HistoryStore
from driftscope.store.queries import MAX_LAST
from tests.factories import make_feature, make_result
from tests.store import fixtures
from tests.store.helpers import result_at

# the store fixtures (SQLite, and PostgreSQL marked ``postgres``), as the store tests have them
pg_schema = fixtures.pg_schema
pg_url = fixtures.pg_url
url = fixtures.url
store = fixtures.store

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                    "\u2066-\u2069]")  # fmt: skip
HOSTILE = "evil\x1b]0;pwned\x07\x1b[2J\u202eman\x08\x9b31m\u2066x\u2069"


# --------------------------------------------------------------------------------------
# formats
# --------------------------------------------------------------------------------------


def test_history_report_formats(store: HistoryStore) -> None:
    for i, status in enumerate([Severity.NORMAL, Severity.CRITICAL, Severity.WARNING]):
        store.record(result_at(i, status))

    table = history_report(store)
    lines = table.splitlines()
    assert lines[0].split()[:2] == ["run", "started"]
    assert [line.split()[0] for line in lines[2:]] == ["run-000", "run-001", "run-002"]
    assert "CRITICAL" in lines[3]

    rounds = json.loads(history_report(store, fmt="json"))
    assert [r["run_id"] for r in rounds] == ["run-000", "run-001", "run-002"]
    assert [r["status"] for r in rounds] == ["NORMAL", "CRITICAL", "WARNING"]
    assert json.loads(history_report(store, last=1, fmt="json"))[0]["run_id"] == "run-002"

    csv_text = history_report(store, fmt="csv")
    header, *rows = csv_text.splitlines()
    assert header.startswith("run_id,started_at") and len(rows) == 3
    assert "count_critical" in header

    series = json.loads(history_report(store, feature="income", fmt="json"))
    assert [p["status"] for p in series] == ["NORMAL", "CRITICAL", "WARNING"]
    assert series[1]["psi"] == pytest.approx(0.401)
    assert {"run_id", "started_at", "psi", "ks_statistic", "status"} <= set(series[0])
    feature_table = history_report(store, feature="income", last=2)
    assert feature_table.splitlines()[0] == "income (raw, numerical)"
    assert len(feature_table.splitlines()) == 1 + 2 + 2  # title, header, rule, 2 rows
    feature_csv = history_report(store, feature="income", fmt="csv").splitlines()
    assert feature_csv[0].startswith("run_id,") and len(feature_csv) == 4


def test_history_report_errors_and_empty(store: HistoryStore) -> None:
    assert history_report(store).startswith("no rounds recorded")
    assert json.loads(history_report(store, fmt="json")) == []
    assert history_report(store, fmt="csv").startswith("run_id,")
    with pytest.raises(HistoryError, match="history is empty"):
        history_report(store, feature="income")
    store.record(result_at(1))
    with pytest.raises(HistoryError, match="known columns: age, home, income, prediction"):
        history_report(store, feature="incme")
    with pytest.raises(ConfigError, match="table, json or csv"):
        history_report(store, fmt="xml")
    with pytest.raises(ConfigError, match="last"):
        history_report(store, last=0)


def test_feature_table_shows_each_points_reason(store: HistoryStore) -> None:
    for i in range(2):
        store.record(result_at(i))
    header, _, *rows = history_report(store, feature="income").splitlines()[1:]
    assert header.split()[-1] == "reason"
    assert [row.split("  ")[-1] for row in rows] == ["PSI 0.150", "PSI 0.151"]


# --------------------------------------------------------------------------------------
# terminal escapes
# --------------------------------------------------------------------------------------


def hostile_round(store: HistoryStore, long: bool = False) -> str:
    """Record a round whose column name, run id and reasons carry terminal controls."""

    name = HOSTILE + ("n" * 500 if long else "")
    feature = dataclasses.replace(
        make_feature(name, Severity.CRITICAL, psi=0.4, shift=1.0),
        reason="PSI high\x1b[8m hidden" + ("r" * 1000 if long else ""),
    )
    result = make_result([feature, make_feature("age")], run_id="r\x1b[31m\u202e1")
    result = dataclasses.replace(
        result, recommendation="look\x1b]52;c;Y2F0IC9ldGMvcGFzc3dk\x07 here"
    )
    store.record(result)
    return name


def test_control_characters_are_visible_in_table_and_csv(store: HistoryStore) -> None:
    name = hostile_round(store)
    outputs = {
        "runs table": history_report(store),
        "runs csv": history_report(store, fmt="csv"),
        "feature table": history_report(store, feature=name),
        "feature csv": history_report(store, feature=name, fmt="csv"),
    }
    for label, text in outputs.items():
        assert not UNSAFE.search(text), (label, text)
        assert "\\x1b" in text, label
        assert "\\u202e" in text, label
    assert "r\\x1b[31m\\u202e1" in outputs["runs table"]
    assert "look\\x1b]52;c;Y2F0IC9ldGMvcGFzc3dk\\x07 here" in outputs["runs table"]
    feature_table = outputs["feature table"]
    assert feature_table.splitlines()[0].startswith(
        "evil\\x1b]0;pwned\\x07\\x1b[2J\\u202eman\\x08\\x9b31m\\u2066x\\u2069 (raw, numerical)"
    )
    assert "PSI high\\x1b[8m hidden" in feature_table  # the point's reason is shown
    rows = list(csv.DictReader(io.StringIO(outputs["feature csv"])))
    assert rows[0]["name"] == printable(name, None)
    assert rows[0]["reason"] == "PSI high\\x1b[8m hidden"


def test_json_output_keeps_the_data_and_escapes_the_controls(store: HistoryStore) -> None:
    name = hostile_round(store)
    for text in (history_report(store, fmt="json"),
                 history_report(store, feature=name, fmt="json")):  # fmt: skip
        assert not UNSAFE.search(text)
        assert "\\u001b" in text and "\\u202e" in text
    [point] = json.loads(history_report(store, feature=name, fmt="json"))
    assert point["name"] == name  # the same data, only written safely
    assert point["run_id"] == "r\x1b[31m\u202e1"
    [run] = json.loads(history_report(store, fmt="json"))
    assert run["recommendation"].startswith("look\x1b]52")
    store.record(make_result([make_feature("ünïcødé 年齢")], run_id="u-1"))
    assert '"ünïcødé 年齢"' in history_report(store, feature="ünïcødé 年齢", fmt="json")


def test_long_values_are_cut_in_the_table_only(store: HistoryStore) -> None:
    name = hostile_round(store, long=True)
    table = history_report(store, feature=name)
    title, header, rule, row = table.splitlines()
    assert title.startswith("evil\\x1b") and len(title.split(" (raw")[0]) == 200
    assert title.split(" (raw")[0].endswith("…")
    reason = row.split("  ")[-1]
    assert reason.startswith("PSI high\\x1b[8m hidden") and reason.endswith("…")
    assert len(reason) == 200
    assert len(row) < 400
    rows = list(csv.DictReader(io.StringIO(history_report(store, feature=name, fmt="csv"))))
    assert rows[0]["reason"].endswith("r" * 1000)  # CSV is for programs: not cut
    assert len(rows[0]["name"]) > 500


# --------------------------------------------------------------------------------------
# --last out of range
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("last", ["100000000000000000000", str(MAX_LAST + 1), "0", "-3"])
def test_out_of_range_last_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], last: str
) -> None:
    path = tmp_path / "h.db"
    with HistoryStore(path) as s:
        s.record(result_at(1))
    for extra in ([], ["--feature", "income"], ["--format", "json"]):
        code = main(["history", "--history", str(path), "--last", last, *extra])
        captured = capsys.readouterr()
        assert code == 2, captured.err
        assert captured.out == ""
        assert captured.err.count("\n") == 1 and "--last" in captured.err
        assert "internal error" not in captured.err


def test_the_largest_last_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "h.db"
    with HistoryStore(path) as s:
        s.record(result_at(1))
    assert main(["history", "--history", str(path), "--last", str(MAX_LAST)]) == 0
    assert "run-001" in capsys.readouterr().out
