"""Reference and current data read from SQLite: a query, a table and a CSV export of the same
rows give the same report; the database is opened read-only; bad input is one line, exit 2.

The PostgreSQL twins of these tests are in ``test_sql_postgres.py``; the helpers below are
shared with it (nothing here named ``test_`` is imported there).
"""

from __future__ import annotations

import csv
import json
import sqlite3
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from driftscope.config.sources import SqlInput
from tests.conftest import FAST, make_frame

pytestmark = pytest.mark.skipif(find_spec("adbc_driver_sqlite") is None,
                                reason="the sql extra is not installed")

COLUMNS = ("age", "income", "children", "home", "has_phone", "decided_at")


def applicants(n: int, seed: int, drift: bool = False) -> pd.DataFrame:
    """The shared test applicants with a decision time (4 days, one row per ~15 min) and
    ``has_phone`` as 0/1 (SQLite has no booleans)."""
    frame = make_frame(n, seed, drift).drop(columns=["status"])
    frame["has_phone"] = frame["has_phone"].astype(int)
    start = np.datetime64("2026-01-26T00:00:00")
    frame["decided_at"] = [str(start + np.timedelta64(15 * i, "m")).replace("T", " ")
                           for i in range(n)]
    return frame


def sqlite_db(path: Path, tables: dict[str, pd.DataFrame]) -> Path:
    """A SQLite file holding ``tables`` with declared column types."""
    types = {"age": "REAL", "income": "REAL", "children": "INTEGER", "home": "TEXT",
             "has_phone": "INTEGER", "decided_at": "TEXT"}
    with sqlite3.connect(path) as con:
        for name, frame in tables.items():
            cols = ", ".join(f"{c} {types[c]}" for c in frame.columns)
            con.execute(f"CREATE TABLE {name} ({cols})")
            marks = ", ".join("?" for _ in frame.columns)
            con.executemany(f"INSERT INTO {name} VALUES ({marks})",
                            frame.astype(object).itertuples(index=False, name=None))
    con.close()
    return path


def sqlite_export(db: Path, table: str, out: Path) -> Path:
    """The table exported to CSV as the sqlite3 shell's ``.mode csv`` would (header, repr of
    each value)."""
    with sqlite3.connect(db) as con:
        cursor = con.execute(f"SELECT * FROM {table}")
        with open(out, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow([d[0] for d in cursor.description])
            writer.writerows(cursor)
    con.close()
    return out


def report_body(result: Any) -> dict[str, Any]:
    """A round's JSON without what differs between two rounds of the same data (ids,
    times, the source's name)."""
    data = json.loads(result.to_json())
    data.pop("run")
    return data


def metrics_and_statuses(report: dict[str, Any]) -> dict[str, Any]:
    return {"status": report["status"],
            "features": {f["name"]: (f["type"], f["status"], f["metrics"],
                                     [(b["label"], b["reference_share"], b["current_share"])
                                      for b in f["bins"]])
                         for f in report["features"]}}


@pytest.fixture(scope="module")
def loans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sql")
    db = sqlite_db(folder / "loans.db", {"ref": applicants(600, 1),
                                         "cur": applicants(400, 2, drift=True)})
    return {"db": db, "ref_csv": sqlite_export(db, "ref", folder / "ref.csv"),
            "cur_csv": sqlite_export(db, "cur", folder / "cur.csv"), "folder": folder}


def url(db: Path) -> str:
    return f"sqlite:///{db}"


# -- one report, however the rows arrive ------------------------------------------------------

@pytest.mark.parametrize("backend", ["local", "streaming"])
def test_a_query_a_table_and_a_csv_export_give_one_report(loans: dict[str, Path],
                                                          backend: str) -> None:
    import driftscope

    options = {"plots": "none", "backend": backend, "timestamp_column": "decided_at",
               "batch_rows": 1000}
    by_query = driftscope.run(
        SqlInput(sql="SELECT * FROM ref;", url=url(loans["db"])),
        SqlInput(sql="SELECT age, income, children, home, has_phone, decided_at\n"
                     "FROM cur WHERE age IS NOT NULL", url=url(loans["db"])), **options)
    by_table = driftscope.run(SqlInput(table="ref", url=url(loans["db"])),
                              SqlInput(table="cur", url=url(loans["db"])), **options)
    by_csv = driftscope.run(loans["ref_csv"], loans["cur_csv"], **options)
    assert report_body(by_query) == report_body(by_table) == report_body(by_csv)
    assert by_query.status.value == "CRITICAL"  # age and home drift: a round that found it
    assert by_query.run.current.rows == 400
    assert by_query.run.window_start == by_csv.run.window_start
    assert by_query.run.current.source == (
        f"SELECT age, income, children, home, has_phone, decided_at FROM cur WHERE age IS NOT "
        f"NULL (on sqlite:///{loans['db']})")
    assert by_table.run.reference.source == f"table ref (on sqlite:///{loans['db']})"


def test_sqlalchemy_reads_the_same_rows_as_adbc(loans: dict[str, Path]) -> None:
    import driftscope

    adbc = driftscope.run(SqlInput(table="ref", url=url(loans["db"])),
                          SqlInput(table="cur", url=url(loans["db"])), plots="none")
    alchemy = driftscope.run(SqlInput(table="ref", url=f"sqlite+pysqlite:///{loans['db']}"),
                             SqlInput(table="cur", url=f"sqlite+pysqlite:///{loans['db']}"),
                             plots="none", backend="streaming", batch_rows=1000)
    assert metrics_and_statuses(report_body(adbc)) == metrics_and_statuses(report_body(alchemy))


def test_a_streamed_query_is_read_by_batch_and_one_column_at_a_time(
        loans: dict[str, Path]) -> None:
    from driftscope.inputs.sql import SqlSource

    source = SqlSource(SqlInput(sql="SELECT * FROM cur ORDER BY decided_at",
                                url=url(loans["db"])), batch_rows=150)
    assert source.num_rows == 400
    assert [b.num_rows for b in source.batches()] == [150, 150, 100]
    assert source.schema.names == list(COLUMNS)
    assert source.schema.field("children").type == pa.int64()
    assert source.schema.field("age").type == pa.float64()
    ages = source.column("age")
    assert len(ages) == 400 and ages.type == pa.float64()
    only = list(source.batches(["home", "age"]))
    assert {tuple(b.column_names) for b in only} == {("home", "age")}
    assert sum(b.num_rows for b in only) == 400
    source.close()


def test_file_like_types_for_database_columns() -> None:
    from decimal import Decimal

    from driftscope.inputs.sql import arrow_types

    table = pa.table({
        "price": pa.array([Decimal("1.50"), Decimal("-2.25"), None], pa.decimal128(10, 2)),
        "small": pa.array([1, 2, 3], pa.int16()),
        "ratio": pa.array([0.5, 0.25, None], pa.float32()),
        "big": pa.array([1, 2, 3], pa.int64()),
        "name": pa.array(["a", None, "c"]),
        "ok": pa.array([True, False, None]),
        "day": pa.array([1, 2, 3], pa.date32()),
    })
    out = arrow_types(table)
    assert out.schema.types == [pa.float64(), pa.int64(), pa.float64(), pa.int64(),
                                pa.string(), pa.bool_(), pa.date32()]
    assert out.column("price").to_pylist() == [1.5, -2.25, None]
    assert arrow_types(out) is out  # already file-like: untouched


# -- read-only, errors ----------------------------------------------------------------------

@pytest.mark.parametrize("driver", ["sqlite", "sqlite+pysqlite"])
@pytest.mark.parametrize("statement", [
    "DELETE FROM ref RETURNING *",
    "INSERT INTO ref (age) VALUES (1) RETURNING age",
    "CREATE TABLE evil AS SELECT * FROM ref",
    "UPDATE ref SET age = 0 RETURNING age",
])
def test_a_query_that_writes_is_refused(tmp_path: Path, driver: str, statement: str) -> None:
    from driftscope.errors import InputError
    from driftscope.inputs.readers import to_arrow

    db = sqlite_db(tmp_path / "w.db", {"ref": applicants(50, 3)})
    before = db.read_bytes()
    with pytest.raises(InputError, match="readonly database|read-only|read only") as err:
        to_arrow(SqlInput(sql=statement, url=f"{driver}:///{db}"), "current")
    assert "\n" not in str(err.value)
    assert db.read_bytes() == before
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM ref").fetchone() == (50,)
        assert con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'evil'"
                           ).fetchone() == (0,)
    con.close()


def _sql_round(cli: Any, out: Path, db_url: str, current_sql: str, *extra: Any) -> Any:
    return cli("run", "--out", out, *FAST, "--reference-sql", "SELECT * FROM ref",
               "--current-sql", current_sql, "--sql-url", db_url, *extra)


@pytest.mark.parametrize("case, expected", [
    ("missing_file", "no SQLite file at"),
    ("not_a_url", "is not a URL"),
    ("syntax", "the database refused it: near "),
    ("no_table", "the database refused it: no such table: nowhere"),
    ("no_rows", "the query returned no rows"),
    ("no_shared_column", "none of the reference's monitored columns"),
    ("unknown_dialect", "no dialect"),
])
@pytest.mark.parametrize("backend", ["local", "streaming"])
def test_bad_sql_input_is_one_line_exit_2_and_keeps_earlier_outputs(
        cli: Any, loans: dict[str, Path], tmp_path: Path, case: str, expected: str,
        backend: str) -> None:
    out = tmp_path / "out"
    good = _sql_round(cli, out, url(loans["db"]), "SELECT * FROM cur", "--backend", backend)
    assert good.code == 0, good.err
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    db_url, query = {
        "missing_file": (url(loans["folder"] / "nope.db"), "SELECT * FROM cur"),
        "not_a_url": ("::not a url::", "SELECT * FROM cur"),
        "syntax": (url(loans["db"]), "SELEC * FROM cur"),
        "no_table": (url(loans["db"]), "SELECT * FROM nowhere"),
        "no_rows": (url(loans["db"]), "SELECT * FROM cur WHERE age > 1000"),
        "no_shared_column": (url(loans["db"]), "SELECT 1 AS other, 'x' AS thing FROM cur"),
        "unknown_dialect": ("nosuchdb://host/db", "SELECT * FROM cur"),
    }[case]
    bad = cli("run", "--out", out, *FAST, "--reference-sql", "SELECT * FROM ref",
              "--current-sql", query, "--sql-url", db_url, "--backend", backend)
    assert bad.code == 2, bad.err
    lines = bad.err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], bad.err
    if case != "no_shared_column":  # the message names the side (the reference is read first)
        side = "reference" if case in ("not_a_url", "unknown_dialect", "missing_file") else \
            "current"
        assert lines[0].startswith(f"driftscope: error: {side} "), lines[0]
    assert "Traceback" not in bad.err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_url_from_the_environment_and_the_source_recorded(
        cli: Any, loans: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    monkeypatch.setenv("LOANS_DB", url(loans["db"]))
    config = tmp_path / "monitoring.yaml"
    config.write_text(yaml.safe_dump({
        "reference": {"table": "ref", "url_env": "LOANS_DB"},
        "current": {"sql": "SELECT *\n  FROM cur\n  WHERE home <> 'nobody'", "url_env": "LOANS_DB"},
    }), "utf-8")
    out = tmp_path / "out"
    ran = cli("run", "--config", config, "--out", out, "--plots", "none", "--no-html")
    assert ran.code == 0, ran.err
    report = json.loads((out / "drift_report.json").read_text("utf-8"))
    assert report["run"]["current"]["source"] == (
        f"SELECT * FROM cur WHERE home <> 'nobody' (on sqlite:///{loans['db']})")
    assert report["run"]["reference"]["source"] == f"table ref (on sqlite:///{loans['db']})"
    history = cli("history", "--history", out / "driftscope_history.db", "--format", "json")
    assert history.code == 0, history.err
    stored = sqlite3.connect(out / "driftscope_history.db")
    (payload,) = stored.execute("SELECT result_json FROM driftscope_runs").fetchone()
    stored.close()
    assert json.loads(payload)["run"]["current"]["source"] == report["run"]["current"]["source"]
    # the same flags from the command line: --sql-url-env
    flags = cli("run", "--out", tmp_path / "flags", *FAST, "--reference-sql",
                "SELECT * FROM ref", "--current-sql", "SELECT * FROM cur WHERE home <> 'nobody'",
                "--sql-url-env", "LOANS_DB")
    assert flags.code == 0, flags.err
    assert (json.loads((tmp_path / "flags" / "drift_report.json").read_text("utf-8"))
            ["features"] == report["features"])
    monkeypatch.delenv("LOANS_DB")
    unset = cli("run", "--config", config, "--out", out, *FAST)
    assert unset.code == 2 and "LOANS_DB is not set" in unset.err
    assert len(unset.err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv, expected", [
    (["--current-sql", "SELECT 1"], "--current-sql needs the database"),
    (["--current", "x.csv", "--current-sql", "SELECT 1", "--sql-url", "sqlite:///x"],
     "--current and --current-sql are both given"),
    (["--current", "x.csv", "--sql-url", "sqlite:///x"], "--sql-url is given without a query"),
    (["--current", "x.csv", "--sql-url-env", "X"], "--sql-url-env is given without a query"),
    (["--current-sql", "SELECT 1", "--sql-url", "a", "--sql-url-env", "X"], "not allowed"),
])
def test_sql_flags_go_together(cli: Any, tmp_path: Path, argv: list[str], expected: str
                               ) -> None:
    bad = cli("run", "--reference", "r.csv", "--out", tmp_path, *FAST, *argv)
    assert bad.code == 2 and expected in bad.err, bad.err
    assert len(bad.err.strip().splitlines()) == 1


@pytest.mark.parametrize("current, expected", [
    ({"sql": "SELECT 1"}, "give exactly one of 'url' and 'url_env'"),
    ({"sql": "SELECT 1", "table": "t", "url": "sqlite:///x"}, "exactly one of 'sql'"),
    ({"table": "t; DROP TABLE t", "url": "sqlite:///x"}, "is not a table name"),
    ({"sql": "SELECT 1", "url": "sqlite:///x", "password": "x"}, "unknown key 'password'"),
    ({"sql": "  ; ", "url": "sqlite:///x"}, "'sql' is empty"),
])
def test_a_query_in_the_config_is_checked(current: dict[str, Any], expected: str) -> None:
    from driftscope.config.loader import build_config
    from driftscope.errors import ConfigError

    with pytest.raises(ConfigError, match="current") as err:
        build_config({"current": current})
    assert expected in str(err.value)


def test_the_table_name_is_quoted_by_the_database_rules(tmp_path: Path) -> None:
    from driftscope.inputs.readers import to_arrow

    db = tmp_path / "q.db"
    with sqlite3.connect(db) as con:  # a table named by a reserved word, with capitals
        con.execute('CREATE TABLE "Order" (x REAL)')
        con.executemany('INSERT INTO "Order" VALUES (?)', [(1.0,), (2.0,)])
    con.close()
    table, name = to_arrow(SqlInput(table="Order", url=f"sqlite:///{db}"), "reference")
    assert table.column("x").to_pylist() == [1.0, 2.0]
    assert name == f"table Order (on sqlite:///{db})"


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["local", "streaming"])
def test_chunk_by_day_from_a_query_equals_the_csv_export(
        cli: Any, loans: dict[str, Path], tmp_path: Path, backend: str) -> None:
    by_sql = _sql_round(cli, tmp_path / "sql", url(loans["db"]), "SELECT * FROM cur",
                        "--timestamp-column", "decided_at", "--chunk-by", "day",
                        "--backend", backend)
    assert by_sql.code == 0, by_sql.err
    by_csv = cli("run", "--out", tmp_path / "csv", *FAST, "--reference", loans["ref_csv"],
                 "--current", loans["cur_csv"], "--timestamp-column", "decided_at",
                 "--chunk-by", "day", "--backend", backend)
    assert by_csv.code == 0, by_csv.err
    sql_chunks = sorted(p.relative_to(tmp_path / "sql") for p in
                        (tmp_path / "sql" / "chunks").rglob("drift_report.json"))
    csv_chunks = sorted(p.relative_to(tmp_path / "csv") for p in
                        (tmp_path / "csv" / "chunks").rglob("drift_report.json"))
    assert sql_chunks == csv_chunks and len(sql_chunks) == 4  # the short 5th day merged
    for rel in sql_chunks:
        a = json.loads((tmp_path / "sql" / rel).read_text("utf-8"))
        b = json.loads((tmp_path / "csv" / rel).read_text("utf-8"))
        assert a["features"] == b["features"] and a["status"] == b["status"]
        assert a["run"]["current"]["source"].startswith("SELECT * FROM cur (on sqlite:///")


def test_sql_flags_equal_the_config_and_change_the_report(
        cli: Any, loans: dict[str, Path], tmp_path: Path) -> None:
    import yaml

    where = "SELECT * FROM cur WHERE home = 'own'"
    by_flags = _sql_round(cli, tmp_path / "flags", url(loans["db"]), where)
    assert by_flags.code == 0, by_flags.err
    config = tmp_path / "monitoring.yaml"
    config.write_text(yaml.safe_dump({
        "reference": {"sql": "SELECT * FROM ref", "url": url(loans["db"])},
        "current": {"sql": where, "url": url(loans["db"])}}), "utf-8")
    by_config = cli("run", "--config", config, "--out", tmp_path / "config", *FAST)
    assert by_config.code == 0, by_config.err
    a, b = (json.loads((tmp_path / d / "drift_report.json").read_text("utf-8"))
            for d in ("flags", "config"))
    assert a["features"] == b["features"] and a["run"]["current"] == b["run"]["current"]
    everyone = _sql_round(cli, tmp_path / "all", url(loans["db"]), "SELECT * FROM cur")
    c = json.loads((tmp_path / "all" / "drift_report.json").read_text("utf-8"))
    assert everyone.code == 0 and c["run"]["current"]["rows"] == 400
    owners = sum(1 for h in applicants(400, 2, drift=True)["home"] if h == "own")
    assert a["run"]["current"]["rows"] == owners < 400
    home = next(f for f in a["features"] if f["name"] == "home")
    assert {b["label"] for b in home["bins"] if b["current_share"] > 0} == {"own"}


def test_a_baseline_from_a_query_then_a_round_on_a_query(
        cli: Any, loans: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOANS_DB", url(loans["db"]))
    made = cli("baseline", "--out", tmp_path / "bl", "--reference-sql", "SELECT * FROM ref",
               "--sql-url-env", "LOANS_DB", "--timestamp-column", "decided_at")
    assert made.code == 0, made.err
    saved = cli("run", "--baseline", tmp_path / "bl", "--out", tmp_path / "saved", *FAST,
                "--current-sql", "SELECT * FROM cur", "--sql-url", url(loans["db"]),
                "--timestamp-column", "decided_at")
    assert saved.code == 0, saved.err
    raw = cli("run", "--out", tmp_path / "raw", *FAST, "--reference", loans["ref_csv"],
              "--current", loans["cur_csv"], "--timestamp-column", "decided_at")
    assert raw.code == 0, raw.err
    a, b = (json.loads((tmp_path / d / "drift_report.json").read_text("utf-8"))
            for d in ("saved", "raw"))
    assert a["features"] == b["features"] and a["status"] == b["status"]
    assert a["run"]["reference"]["source"] == f"SELECT * FROM ref (on sqlite:///{loans['db']})"
    no_url = cli("baseline", "--out", tmp_path / "bl2", "--reference-sql", "SELECT 1")
    assert no_url.code == 2 and "--reference-sql needs the database" in no_url.err
    assert not (tmp_path / "bl2").exists()


def test_the_label_and_repr_hold_no_credentials() -> None:
    spec = SqlInput(sql="SELECT *\n FROM loans ;",
                    url="postgresql+psycopg://reader:s3cret@db.example:6432/credit"
                        "?sslmode=require&password=0ther")
    assert str(spec) == "SELECT * FROM loans (on postgresql+psycopg://db.example:6432/credit)"
    for text in (str(spec), repr(spec)):
        assert "s3cret" not in text and "0ther" not in text and "reader" not in text


def test_without_the_driver_the_error_says_what_to_install(
        loans: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from driftscope.errors import InputError
    from driftscope.inputs.readers import to_arrow

    monkeypatch.setitem(sys.modules, "adbc_driver_sqlite.dbapi", None)  # import fails
    with pytest.raises(InputError, match=r"pip install 'driftscope\[sql\]'"):
        to_arrow(SqlInput(table="ref", url=url(loans["db"])), "reference")
    # a driver named in the URL goes through SQLAlchemy and needs no ADBC
    table, _ = to_arrow(SqlInput(table="ref", url=f"sqlite+pysqlite:///{loans['db']}"), "r")
    assert table.num_rows == 600
