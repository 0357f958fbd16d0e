"""Data named by a database query instead of a path: the ``reference`` / ``current`` mapping.

In the YAML config::

    current:
      sql: "SELECT * FROM loans WHERE decided_at >= '2026-11-01'"
      url_env: LOANS_DB_URL        # or url: postgresql://reader@db.example/credit

    reference:
      table: analytics.loans_2025  # a table (or view) instead of a query
      url: sqlite:///data/loans.db

Exactly one of ``sql`` / ``table`` and one of ``url`` / ``url_env``. ``url_env`` names an
environment variable that holds the URL, so no password sits in the file or a shell history;
it is read when the data is opened (:meth:`SqlInput.database_url`), the only place driftscope
reads it. The model prints (``str``) as a label without credentials, which is what reports,
the history and messages show; its ``repr`` leaves the URL out.
"""

from __future__ import annotations

import os
import re

from pydantic import BaseModel, ConfigDict, Field, model_validator

from driftscope.errors import ConfigError

__all__ = ["SqlInput", "database_label", "one_line_query"]

_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_$]*"
TABLE_NAME = re.compile(rf"{_IDENTIFIER}(\.{_IDENTIFIER}){{0,2}}")
"""A table name: ``name``, ``schema.name`` or ``catalog.schema.name``, each part an SQL
identifier (letters, digits, ``_``, ``$``; not starting with a digit)."""

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SqlInput(BaseModel):
    """Rows read from a database: a query (``sql``) or a whole table (``table``), on the
    database at ``url`` (or at the URL held by the environment variable ``url_env``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sql: str | None = Field(None, description="a SELECT query whose rows are the data")
    table: str | None = Field(None, description="a table or view read whole: name or "
                              "schema.name (checked as an identifier, quoted by SQLAlchemy)")
    url: str | None = Field(None, repr=False, description="database URL: postgresql://…, "
                            "sqlite:///path, or any SQLAlchemy URL (dialect+driver://…)")
    url_env: str | None = Field(None, description="name of an environment variable holding "
                                "the database URL (keeps passwords out of files)")

    @model_validator(mode="after")
    def _one_of_each(self) -> SqlInput:
        if (self.sql is None) == (self.table is None):
            raise ValueError("give exactly one of 'sql' (a query) and 'table' (a table name)")
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of 'url' and 'url_env' (the name of an "
                             "environment variable holding the URL)")
        if self.sql is not None and not self.sql.strip().rstrip(";").strip():
            raise ValueError("'sql' is empty; give a SELECT query")
        if self.table is not None and not TABLE_NAME.fullmatch(self.table):
            raise ValueError(f"'table' {self.table[:80]!r} is not a table name; expected "
                             "name or schema.name made of letters, digits and _ (use 'sql' "
                             "for anything else)")
        if self.url_env is not None and not _ENV_NAME.fullmatch(self.url_env):
            raise ValueError(f"'url_env' {self.url_env[:80]!r} is not an environment "
                             "variable name")
        if self.url is not None and not self.url.strip():
            raise ValueError("'url' is empty; give a database URL")
        return self

    def database_url(self) -> str:
        """The database URL, from ``url`` or from the environment variable ``url_env``.

        Raises
        ------
        ConfigError
            When the environment variable is not set or empty.
        """
        if self.url is not None:
            return self.url.strip()
        assert self.url_env is not None
        value = os.environ.get(self.url_env, "").strip()
        if not value:
            raise ConfigError(f"url_env: the environment variable {self.url_env} is not set "
                              f"(or empty); export it with the database URL, e.g. "
                              f"export {self.url_env}=postgresql://user:password@host/db")
        return value

    def what(self) -> str:
        """The query on one line, or ``table <name>``."""
        return f"table {self.table}" if self.table is not None else one_line_query(
            self.sql or "")

    def label(self) -> str:
        """How reports, the history and messages name the data: the query (or table) and
        the database without user, password or URL parameters."""
        try:
            where = database_label(self.database_url())
        except ConfigError:
            where = f"${self.url_env}"
        return f"{self.what()} (on {where})"

    def __str__(self) -> str:
        return self.label()


def one_line_query(sql: str) -> str:
    """A query's text with its runs of white space (new lines included) made one space,
    and trailing semicolons left out."""
    return " ".join(sql.split()).rstrip("; ").strip()


def database_label(url: str) -> str:
    """A database URL without credentials: dialect, host, port and database only.

    The user name, the password and every query parameter (libpq takes ``?password=``
    there too) are left out. A text that is not a URL is shown as ``<not a URL>``.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return "<not a URL>"
    host = parsed.host or ""
    if parsed.port is not None:
        host += f":{parsed.port}"
    database = parsed.database or ""
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite:///{database}"
    return f"{parsed.drivername}://{host}/{database}"


def sql_input_or_path(value: object) -> object:
    """``reference`` / ``current`` as given: a path stays as it is, a mapping becomes a
    :class:`SqlInput` (its errors as one sentence naming the key), anything else is refused."""
    from collections.abc import Mapping

    from pydantic import ValidationError

    if value is None or isinstance(value, (str, SqlInput)):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if not isinstance(value, Mapping):
        raise ValueError("expected a path, or a mapping with sql (or table) and url (or "
                         "url_env)")
    try:
        return SqlInput.model_validate(dict(value))
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        if first["type"] == "extra_forbidden":
            raise ValueError(f"unknown key {key!r}; valid keys: "
                             f"{', '.join(SqlInput.model_fields)}") from None
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise ValueError(f"{key}: {msg}" if key else msg) from None
