"""Where the history lives: the default location, URL parsing, and URLs safe to print.

The default history is one SQLite file, ``driftscope_history.db``, in a round's output folder
or in the folder above a run of per-run output folders (:func:`default_history_path`). This is
the only place that decides it: the CLI, the writer and the dashboard all ask here, so a round
is always recorded where the dashboard and ``driftscope history`` look for it.

A history is named by a SQLite path, a ``sqlite:///`` URL or a ``postgresql://`` URL;
:func:`parse_url` turns any of them into a SQLAlchemy URL, or into a one-line
:class:`~driftscope.errors.HistoryError` that says what is accepted. Passwords never reach a
message: :func:`mask_url` hides them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from driftscope.errors import HistoryError
from driftscope.store.errors import one_line

__all__ = [
    "HISTORY_FILENAME",
    "default_history_path",
    "default_history_url",
    "mask_url",
    "parse_url",
]

HISTORY_FILENAME = "driftscope_history.db"
"""The file name of the default SQLite history."""

# a folder named only with digits and date or time separators holds one run's output
_PER_RUN_NAME = re.compile(r"[0-9][0-9_:TWZ+-]*")


def default_history_path(out: str | os.PathLike[str]) -> Path:
    """Where a round written into ``out`` is recorded when no history is named.

    ``out/driftscope_history.db`` when that file exists (so a history keeps being used where
    it is); else the same file in the nearest folder of ``out`` whose name is not a per-run
    name. Per-run names are made of digits and date or time separators only (``2026-01-05``,
    ``20260105T0800``, ``2026-W02``, ``42``, or ``2026/01/05`` as three folders), so rounds
    written to ``runs/2026-01-05``, ``runs/2026-01-06``, ... share ``runs/driftscope_history.db``
    and trends and persistence see every round. Other folders (``assets``, ``reports``) keep
    their own history.

    Parameters
    ----------
    out : path-like
        The output folder of a round (``assets`` by default).

    Returns
    -------
    Path
        The SQLite file (it may not exist yet).
    """
    folder = Path(out)
    if (folder / HISTORY_FILENAME).exists():
        return folder / HISTORY_FILENAME
    while _PER_RUN_NAME.fullmatch(folder.name) and (folder.parent.name or
                                                     not folder.parent.is_absolute()):
        folder = folder.parent
    return folder / HISTORY_FILENAME


def default_history_url(out_dir: str | os.PathLike[str]) -> str:
    """:func:`default_history_path` of ``out_dir`` as a SQLite URL.

    Parameters
    ----------
    out_dir : path-like
        The output folder of the rounds (``assets`` by default).

    Returns
    -------
    str
        ``"sqlite:///<folder>/driftscope_history.db"``.
    """
    return f"sqlite:///{default_history_path(out_dir).as_posix()}"


_PASSWORD_IN_URL = re.compile(r"^(?P<head>\s*[a-zA-Z][\w+.-]*://[^:/@\s]*:)(?P<pw>.*)(?P<tail>@[^@]*)$")


def mask_url(url: Any) -> str:
    """``url`` as text with its password replaced by ``***``.

    Parameters
    ----------
    url : str or sqlalchemy.engine.URL
        A database URL (parsed or not) or a file path.

    Returns
    -------
    str
        The URL, safe to print.
    """
    render = getattr(url, "render_as_string", None)
    if callable(render):
        return str(render(hide_password=True))
    return _PASSWORD_IN_URL.sub(lambda m: m.group("head") + "***" + m.group("tail"), str(url))


def parse_url(url: str | os.PathLike[str]) -> Any:
    """A SQLAlchemy URL for a history named by a file path or a SQLite / PostgreSQL URL.

    A plain path is a SQLite file; ``~`` is expanded (SQLite itself does not), and the folder
    must exist. ``postgresql://`` is used through psycopg 3.

    Raises
    ------
    HistoryError
        When the text is empty, not a URL, names another database, or names a SQLite file in
        a folder that does not exist. The message masks the password.
    """
    from sqlalchemy.engine import URL, make_url
    from sqlalchemy.exc import ArgumentError

    text = str(url).strip()
    if not text:
        raise HistoryError(
            "the history URL is empty: give a SQLite file, sqlite:///path or postgresql://..."
        )
    if "://" not in text:
        parsed = URL.create("sqlite", database=text)
    else:
        try:
            parsed = make_url(text)
        except (ArgumentError, ValueError) as exc:
            raise HistoryError(
                f"{mask_url(text)} is not a database URL ({one_line(exc)}); expected "
                "sqlite:///path/to/history.db or postgresql://user:password@host:port/db"
            ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database).expanduser()
            if not path.parent.is_dir():
                raise HistoryError(
                    f"cannot open the history at {mask_url(text)}: the folder {path.parent} "
                    "does not exist; create it or choose another --history path"
                )
            if str(path) != database:
                parsed = parsed.set(database=str(path))
        return parsed
    if backend in ("postgresql", "postgres"):
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        return parsed
    raise HistoryError(
        f"{mask_url(text)} uses the unsupported database {backend!r}; the history store "
        "works with SQLite (a file path or sqlite:///path) and PostgreSQL (postgresql://...)"
    )
