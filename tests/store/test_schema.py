"""Tables and migrations: versions, upgrades by writers, refusals by readers, the version-2
profiles table added to a version-1 store, and the version-3 long table of metric fields.

Tests that take ``url`` run on SQLite and, marked ``postgres``, on PostgreSQL.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from driftscope.cli import main
from driftscope.profile.model import CategoricalProfile
from driftscope.store import HistorySchemaError, HistoryStore, schema
from tests.factories import make_result
from tests.store.helpers import result_at


def test_the_wide_metric_columns_are_the_version_1_fields() -> None:
    # released columns never change: a metric registered since is stored as rows of
    # driftscope_column_metrics, without a migration (tests/compare/test_open_registry.py)
    assert schema.METRIC_FIELDS == (
        "psi", "psi_pvalue", "psi_pvalue_adjusted", "ks_statistic", "ks_pvalue",
        "jensen_shannon", "chi2_statistic", "chi2_pvalue", "missing_share_reference",
        "missing_share_current", "unseen_share_current", "missing_pvalue", "unseen_pvalue")
    from driftscope.compare.registry import field_names

    builtin = [n for n in field_names() if n in schema.METRIC_FIELDS]
    assert set(builtin) == set(schema.METRIC_FIELDS)  # every built-in field has its column


def _set_version(store: HistoryStore, version: int) -> None:
    from sqlalchemy import delete, insert

    table = schema.tables()["version"]
    with store._engine.begin() as conn:
        conn.execute(delete(table))
        conn.execute(insert(table).values(version=version, applied_at="2030-01-01T00:00:00Z"))


def test_a_store_from_a_newer_driftscope_is_refused(url: str) -> None:
    with HistoryStore(url) as s:
        s.record(result_at(1))
        _set_version(s, schema.SCHEMA_VERSION + 1)
    with pytest.raises(HistorySchemaError, match="newer driftscope") as info:
        HistoryStore(url)
    assert "\n" not in str(info.value)
    assert not info.value.older


def test_an_older_store_is_migrated_by_writers_and_refused_by_readers(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with HistoryStore(url) as s:
        s.record(result_at(1))
    applied: list[int] = []

    def migrate_to_next(conn: Any) -> None:
        from sqlalchemy import text

        conn.execute(text("ALTER TABLE driftscope_runs ADD COLUMN notes TEXT"))
        applied.append(2)

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, migrate_to_next])
    with pytest.raises(HistorySchemaError, match="older driftscope") as info:
        HistoryStore(url, migrate=False)
    current = schema.SCHEMA_VERSION
    assert info.value.older and info.value.found == current and info.value.expected == current + 1
    with HistoryStore(url) as s:
        assert applied == [2]
        assert s.schema_version() == current + 1
        assert s.run_ids() == ["run-001"]  # data kept
        s.record(result_at(2))
    with HistoryStore(url, migrate=False) as s:  # now current: readers are fine
        assert len(s.runs()) == 2
    assert applied == [2]  # migrations run once


def test_a_failing_migration_leaves_the_old_version(url: str, monkeypatch: pytest.MonkeyPatch
                                                    ) -> None:  # fmt: skip
    with HistoryStore(url) as s:
        s.record(result_at(1))

    def broken(conn: Any) -> None:
        from sqlalchemy import text

        conn.execute(text("ALTER TABLE driftscope_runs ADD COLUMN half_done TEXT"))
        raise RuntimeError("migration bug")

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, broken])
    with pytest.raises(RuntimeError, match="migration bug"):
        HistoryStore(url)
    monkeypatch.undo()
    with HistoryStore(url) as s:
        assert s.schema_version() == schema.SCHEMA_VERSION
        assert s.run_ids() == ["run-001"]


def test_two_writers_opening_an_empty_database_at_once(url: str) -> None:
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def open_and_record(name: str) -> None:
        try:
            barrier.wait(timeout=30)
            with HistoryStore(url) as s:
                s.record(make_result(run_id=name))
        except BaseException as exc:  # pragma: no cover - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=open_and_record, args=(n,)) for n in ("x", "y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    with HistoryStore(url) as s:
        assert sorted(s.run_ids()) == ["x", "y"]
        assert s.schema_version() == schema.SCHEMA_VERSION


def _version_1_store(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store as driftscope wrote it before profiles: version 1, one round."""
    with monkeypatch.context() as patch:
        patch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
        with HistoryStore(url) as s:
            s.record(result_at(1))
            assert s.schema_version() == 1


def test_version_2_adds_the_profiles_table_to_a_version_1_store(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import inspect

    _version_1_store(url, monkeypatch)
    with monkeypatch.context() as patch:
        patch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:2])
        with pytest.raises(HistorySchemaError, match="schema version 1; this one uses 2") as info:
            HistoryStore(url, create=False, migrate=False)  # readers never change the schema
        assert (info.value.found, info.value.expected) == (1, 2)
        with HistoryStore(url) as s:  # a writer upgrades it
            assert s.schema_version() == 2
            with s._engine.connect() as conn:
                assert inspect(conn).has_table("driftscope_profiles")
                assert not inspect(conn).has_table("driftscope_column_metrics")
            assert s.run_ids() == ["run-001"] and s.load("run-001").run.id == "run-001"
            assert s.profiles("run-001") == {}  # rounds recorded before keep having none
            s.record_profiles("run-001", {"home": CategoricalProfile("home", {"rent": 3}, 1)})
        with HistoryStore(url, create=False, migrate=False) as s:
            assert s.profiles("run-001")["home"].counts == {"rent": 3}


def test_version_3_adds_the_metric_field_table_to_a_version_2_store(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import inspect

    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:3])  # up to version 3 only
    with monkeypatch.context() as patch:  # a store as driftscope wrote it before version 3
        patch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:2])
        with HistoryStore(url) as s:
            s.record(result_at(1))
            assert s.schema_version() == 2
    with pytest.raises(HistorySchemaError, match="schema version 2; this one uses 3") as info:
        HistoryStore(url, create=False, migrate=False)  # readers never change the schema
    assert (info.value.found, info.value.expected) == (2, 3)
    with HistoryStore(url) as s:  # a writer upgrades it
        assert s.schema_version() == 3
        with s._engine.connect() as conn:
            assert inspect(conn).has_table("driftscope_column_metrics")
        before = s.feature_series("income")
        assert [p.run_id for p in before] == ["run-001"]  # the round stored before is read
        assert set(before[0].metrics) == set(schema.METRIC_FIELDS)  # whole, from the columns
        s.record(result_at(2))
    with HistoryStore(url, create=False, migrate=False) as s:
        assert [p.run_id for p in s.feature_series("income")] == ["run-001", "run-002"]


def test_driftscope_history_upgrades_a_version_1_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "h.db"
    _version_1_store(f"sqlite:///{path}", monkeypatch)
    assert main(["history", "--history", str(path)]) == 0  # what the readers' message says
    assert "run-001" in capsys.readouterr().out
    with HistoryStore(path, create=False, migrate=False) as s:
        assert s.schema_version() == schema.SCHEMA_VERSION


def test_migrations_declare_their_own_tables() -> None:
    # a migration that used the runtime tables would create the newest layout at once
    import inspect as source

    for migrate in schema.MIGRATIONS:
        assert "tables()" not in source.getsource(migrate), migrate.__name__
