"""Reference and current data read from a real PostgreSQL server (``DRIFTSCOPE_TEST_POSTGRES_URL``,
started by ``.ci/postgres.sh``): the same rows from a query, a table and a CSV export give the
same report through ADBC and through SQLAlchemy; writes are refused by the read-only
transaction; connection errors are one line without the password; every pass of a streamed
round reads one snapshot.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from driftscope.config.sources import SqlInput
from tests.conftest import FAST
from tests.inputs.test_sql import applicants, metrics_and_statuses, report_body
from tests.store.helpers import conninfo, free_port, postgres_base_url

pytestmark = pytest.mark.postgres

COLUMN_TYPES = {"age": "double precision", "income": "numeric(12, 2)", "children": "integer",
                "home": "text", "has_phone": "boolean", "decided_at": "timestamp"}


def _load(conn: Any, name: str, frame: Any) -> None:
    cols = ", ".join(f"{c} {COLUMN_TYPES[c]}" for c in frame.columns)
    conn.execute(f"CREATE TABLE {name} ({cols})")
    rows = frame.astype(object).copy()
    rows["has_phone"] = rows["has_phone"].astype(bool)
    with conn.cursor() as cur, cur.copy(f"COPY {name} FROM STDIN") as copy:
        for row in rows.itertuples(index=False, name=None):
            copy.write_row(row)


@pytest.fixture(scope="module")
def pg() -> Iterator[dict[str, Any]]:
    """A schema of its own holding ``ref`` and ``cur``, and their CSV exports."""
    psycopg = pytest.importorskip("psycopg")
    pytest.importorskip("adbc_driver_postgresql")
    base = postgres_base_url()
    schema = f"sqltest_{secrets.token_hex(4)}"
    conn = psycopg.connect(conninfo(base), autocommit=True)
    conn.execute(f"CREATE SCHEMA {schema}")
    conn.execute(f"SET search_path TO {schema}")
    _load(conn, "ref", applicants(600, 1))
    _load(conn, "cur", applicants(400, 2, drift=True))
    try:
        yield {"url": base, "schema": schema, "conn": conn}
    finally:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
        conn.close()


def export_csv(pg: dict[str, Any], table: str, out: Path) -> Path:
    """``COPY … TO STDOUT (FORMAT csv)`` of the table; PostgreSQL writes booleans as t / f,
    which no CSV reader takes for booleans, so the export spells them true / false."""
    columns = "age, income, children, home, " \
        "CASE WHEN has_phone THEN 'true' ELSE 'false' END AS has_phone, decided_at"
    query = f"COPY (SELECT {columns} FROM {pg['schema']}.{table}) TO STDOUT (FORMAT csv, HEADER)"
    with pg["conn"].cursor() as cur, cur.copy(query) as copy, open(out, "wb") as fh:
        for block in copy:
            fh.write(block)
    return out


@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg"])
@pytest.mark.parametrize("backend", ["local", "streaming"])
def test_a_query_a_table_and_a_csv_export_give_one_report(
        pg: dict[str, Any], tmp_path: Path, scheme: str, backend: str) -> None:
    import driftscope

    url = pg["url"].replace("postgresql://", f"{scheme}://", 1)
    s = pg["schema"]
    options = {"plots": "none", "backend": backend, "timestamp_column": "decided_at",
               "batch_rows": 1000}
    by_query = driftscope.run(
        SqlInput(sql=f"SELECT * FROM {s}.ref ORDER BY decided_at", url=url),
        SqlInput(sql=f"SELECT age, income, children, home, has_phone, decided_at\n"
                     f"FROM {s}.cur WHERE home LIKE '%%' OR home IS NULL;", url=url), **options)
    by_table = driftscope.run(SqlInput(table=f"{s}.ref", url=url),
                              SqlInput(table=f"{s}.cur", url=url), **options)
    by_csv = driftscope.run(export_csv(pg, "ref", tmp_path / "ref.csv"),
                            export_csv(pg, "cur", tmp_path / "cur.csv"), **options)
    assert report_body(by_query) == report_body(by_table) == report_body(by_csv)
    body = metrics_and_statuses(report_body(by_query))
    assert body["features"]["income"][0] == "numerical"  # numeric(12, 2) is a number
    assert body["features"]["has_phone"][0] == "categorical"  # a boolean, as in a file
    assert body["status"] == "CRITICAL"
    assert by_query.run.window_end == by_csv.run.window_end
    host = pg["url"].split("@", 1)[1]
    assert by_table.run.current.source == f"table {s}.cur (on {scheme}://{host})"
    password = conninfo(pg["url"]).split(":")[2].split("@")[0]
    assert password not in by_query.to_json()


@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg"])
@pytest.mark.parametrize("statement", [
    "DELETE FROM {s}.ref RETURNING *",
    "INSERT INTO {s}.ref (age) VALUES (1) RETURNING age",
    "UPDATE {s}.ref SET age = 0 RETURNING age",
    "CREATE TABLE {s}.evil AS SELECT * FROM {s}.ref",
    "WITH gone AS (DELETE FROM {s}.ref RETURNING *) SELECT * FROM gone",
    "SELECT nextval('{s}.seq') AS n",
])
def test_a_query_that_writes_is_refused_by_the_read_only_transaction(
        pg: dict[str, Any], scheme: str, statement: str) -> None:
    from driftscope.errors import InputError
    from driftscope.inputs.readers import to_arrow

    s = pg["schema"]
    pg["conn"].execute(f"CREATE SEQUENCE IF NOT EXISTS {s}.seq")
    url = pg["url"].replace("postgresql://", f"{scheme}://", 1)
    # through SQLAlchemy, psycopg's server-side cursor (DECLARE … CURSOR FOR) takes only a
    # query, so a statement that is not one is refused before the transaction sees it; a
    # query that writes (nextval) is refused by the read-only transaction with either driver
    refusal = "read-only transaction" if scheme == "postgresql" or "nextval" in statement \
        else "read-only transaction|syntax error at or near|DECLARE CURSOR must not"
    with pytest.raises(InputError, match=refusal) as err:
        to_arrow(SqlInput(sql=statement.format(s=s), url=url), "current")
    assert "\n" not in str(err.value)
    assert pg["conn"].execute(f"SELECT count(*) FROM {s}.ref").fetchone() == (600,)
    assert pg["conn"].execute(
        "SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tablename = 'evil'", (s,)
    ).fetchone() == (0,)
    assert pg["conn"].execute(f"SELECT last_value, is_called FROM {s}.seq").fetchone() == \
        (1, False)


def _url_with(pg: dict[str, Any], password: str | None = None, port: int | None = None,
              database: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(pg["url"])
    if password is not None:
        url = url.set(password=password)
    if port is not None:
        url = url.set(port=port)
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


@pytest.mark.parametrize("case, expected", [
    ("refused_password", "password authentication failed"),
    ("nothing_listening", "Connection refused"),
    ("no_database", 'database "no_such_db" does not exist'),
    ("syntax", "syntax error at or near"),
    ("no_rows", "the query returned no rows"),
    ("no_shared_column", "none of the reference's monitored columns"),
])
@pytest.mark.parametrize("backend", ["local", "streaming"])
def test_bad_input_is_one_line_exit_2_and_keeps_earlier_outputs(
        cli: Any, pg: dict[str, Any], tmp_path: Path, case: str, expected: str,
        backend: str) -> None:
    s = pg["schema"]
    out = tmp_path / "out"
    good = cli("run", "--out", out, *FAST, "--reference-sql", f"SELECT * FROM {s}.ref",
               "--current-sql", f"SELECT * FROM {s}.cur", "--sql-url", pg["url"],
               "--backend", backend)
    assert good.code == 0, good.err
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    wrong_password = "Wr0ng-" + secrets.token_hex(6)
    url, current = {
        "refused_password": (_url_with(pg, password=wrong_password), f"SELECT * FROM {s}.cur"),
        "nothing_listening": (_url_with(pg, port=free_port()), f"SELECT * FROM {s}.cur"),
        "no_database": (_url_with(pg, database="no_such_db"), f"SELECT * FROM {s}.cur"),
        "syntax": (pg["url"], f"SELEC * FROM {s}.cur"),
        "no_rows": (pg["url"], f"SELECT * FROM {s}.cur WHERE false"),
        "no_shared_column": (pg["url"], f"SELECT 1 AS other FROM {s}.cur"),
    }[case]
    bad = cli("run", "--out", out, *FAST, "--reference-sql", f"SELECT * FROM {s}.ref",
              "--current-sql", current, "--sql-url", url, "--backend", backend)
    assert bad.code == 2, bad.err
    lines = bad.err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], bad.err
    assert wrong_password not in bad.err and "Traceback" not in bad.err
    real = conninfo(pg["url"]).split(":")[2].split("@")[0]
    assert real not in bad.err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_url_env_keeps_the_password_out_of_every_output(
        cli: Any, pg: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    s = pg["schema"]
    monkeypatch.setenv("CREDIT_DB", pg["url"])
    config = tmp_path / "monitoring.yaml"
    config.write_text(yaml.safe_dump({
        "reference": {"table": f"{s}.ref", "url_env": "CREDIT_DB"},
        "current": {"sql": f"SELECT * FROM {s}.cur", "url_env": "CREDIT_DB"},
        "timestamp_column": "decided_at", "backend": "streaming"}), "utf-8")
    out = tmp_path / "out"
    ran = cli("run", "--config", config, "--out", out, "--plots", "none")
    assert ran.code == 0, ran.err
    report = json.loads((out / "drift_report.json").read_text("utf-8"))
    host = pg["url"].split("@", 1)[1]
    assert report["run"]["current"]["source"] == f"SELECT * FROM {s}.cur (on postgresql://{host})"
    password = conninfo(pg["url"]).split(":")[2].split("@")[0].encode()
    user = b"driftscope@"
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert password not in data and user not in data, path
    assert password.decode() not in ran.out + ran.err
    assert "driftscope_history.db" in {p.name for p in out.iterdir()}


def test_every_pass_of_a_streamed_query_reads_one_snapshot(pg: dict[str, Any]) -> None:
    from driftscope.inputs.sql import SqlSource

    s = pg["schema"]
    pg["conn"].execute(f"CREATE TABLE {s}.live AS SELECT * FROM {s}.cur")
    source = SqlSource(SqlInput(table=f"{s}.live", url=pg["url"]), batch_rows=1000)
    assert source.num_rows == 400
    pg["conn"].execute(f"INSERT INTO {s}.live SELECT * FROM {s}.cur")  # written meanwhile
    pg["conn"].execute(f"DELETE FROM {s}.live WHERE home = 'own'")
    assert sum(b.num_rows for b in source.batches()) == 400
    assert len(source.column("age")) == 400
    source.close()
    fresh = SqlSource(SqlInput(table=f"{s}.live", url=pg["url"]), batch_rows=1000)
    assert fresh.num_rows == pg["conn"].execute(f"SELECT count(*) FROM {s}.live").fetchone()[0]
    assert fresh.num_rows != 400
    fresh.close()


def test_chunk_by_a_timestamptz_column(cli: Any, pg: dict[str, Any], tmp_path: Path) -> None:
    s = pg["schema"]
    query = f"SELECT *, decided_at AT TIME ZONE 'UTC' AS decided_tz FROM {s}.cur"
    ran = cli("run", "--out", tmp_path / "out", *FAST, "--reference-sql",
              f"SELECT *, decided_at AT TIME ZONE 'UTC' AS decided_tz FROM {s}.ref",
              "--current-sql", query, "--sql-url", pg["url"], "--timestamp-column",
              "decided_tz", "--chunk-by", "day", "--backend", "streaming")
    assert ran.code == 0, ran.err
    chunks = sorted(p.parent.name for p in (tmp_path / "out" / "chunks").rglob(
        "drift_report.json"))
    assert chunks == ["2026-01-26", "2026-01-27", "2026-01-28", "2026-01-29..2026-01-30"]


@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg"])
def test_percent_signs_colons_and_casts_reach_the_database_as_written(
        pg: dict[str, Any], scheme: str) -> None:
    from driftscope.inputs.readers import to_arrow

    url = pg["url"].replace("postgresql://", f"{scheme}://", 1)
    query = ("SELECT x, ':name' AS lit, '10:30'::text AS t FROM (VALUES ('rent'), ('own'), "
             "('r%x'), ('a%%b')) AS v(x) WHERE x LIKE 'r%' OR x LIKE '%\\%%' ESCAPE '\\'")
    table, _ = to_arrow(SqlInput(sql=query, url=url), "current")
    assert table.to_pylist() == [{"x": x, "lit": ":name", "t": "10:30"}
                                 for x in ("rent", "r%x", "a%%b")]
