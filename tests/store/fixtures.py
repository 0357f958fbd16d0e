"""Fixtures of the history-store tests: a store on SQLite and, marked ``postgres``, on a
fresh PostgreSQL schema (see :mod:`tests.store.helpers`).

``tests/store/conftest.py`` offers them to the store tests; other test modules that test
code reading a store (``driftscope history``) import them from here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from driftscope.store import HistoryStore
from tests.store.helpers import conninfo, postgres_base_url


@pytest.fixture
def pg_schema() -> Iterator[tuple[str, str]]:
    """(URL whose search_path is a fresh schema, schema name); the schema is dropped after."""
    import psycopg

    base = postgres_base_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(conninfo(base), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}", schema
    finally:
        with psycopg.connect(conninfo(base), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def pg_url(pg_schema: tuple[str, str]) -> str:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    return pg_schema[0]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A history URL: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(url: str) -> Iterator[HistoryStore]:
    """An open store at ``url``, closed after the test."""
    s = HistoryStore(url)
    try:
        yield s
    finally:
        s.close()
