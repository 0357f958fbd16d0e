"""The errors of the history store, all under :class:`driftscope.errors.HistoryError`.

::

    HistoryError                (driftscope.errors) cannot open, read or write the history
    ├── HistoryNotFoundError    nothing recorded there yet (no file, or no driftscope tables)
    ├── HistorySchemaError      written by an older or newer driftscope
    ├── HistoryForeignError     the place holds something that is not driftscope's
    └── RunNotFoundError        no round with that run id (also a LookupError)
"""

from __future__ import annotations

from collections.abc import Sequence

from driftscope.errors import HistoryError

__all__ = [
    "HistoryError",
    "HistoryForeignError",
    "HistoryNotFoundError",
    "HistorySchemaError",
    "RunNotFoundError",
]


class HistoryNotFoundError(HistoryError):
    """The history does not exist yet (missing SQLite file, or no driftscope tables)."""


class HistorySchemaError(HistoryError):
    """The history was written by another version of driftscope.

    Attributes
    ----------
    found : int
        Schema version of the store.
    expected : int
        Schema version this driftscope writes.
    """

    def __init__(self, message: str, found: int, expected: int) -> None:
        super().__init__(message)
        self.found = found
        self.expected = expected

    @property
    def older(self) -> bool:
        """True when the store is older than this driftscope (a writer can migrate it)."""
        return self.found < self.expected


class RunNotFoundError(HistoryError, LookupError):
    """No round with the requested run id is stored."""


class HistoryForeignError(HistoryError):
    """The history location holds something that is not driftscope's, so nothing is written.

    Raised for a SQLite path that is not a regular file (a device, a FIFO, a folder) or not a
    SQLite database, and for a database that holds tables or views but not driftscope's
    schema (a writer may adopt such a database with ``init=True``).

    Attributes
    ----------
    tables : tuple of str
        The tables and views found that are not driftscope's (empty when the location is not
        a database at all, which ``init`` cannot help with).
    """

    def __init__(self, message: str, tables: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.tables = tuple(tables)


def one_line(exc: BaseException) -> str:
    """The first meaningful line of an exception's message, for one-line errors.

    Database drivers wrap their error in SQLAlchemy's (``exc.orig``) and add a "Background on
    this error" link line; both are looked through, and the text is cut at 300 characters.
    """
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc)
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("(Background on this error"):
            return line[:300]
    return type(exc).__name__
