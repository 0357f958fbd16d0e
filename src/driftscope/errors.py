"""The one exception tree of driftscope.

Every message says what was wrong, what was expected and how to fix it; the CLI prints it
on one line and exits with code 2.

::

    DriftscopeError
    ├── ConfigError          a config file, flag or value is wrong
    ├── InputError           a data file or table cannot be used
    │   └── SchemaError      reference and current columns do not match
    ├── BaselineError        a saved baseline is missing, corrupt or of another version
    ├── ArtifactError        a model, metadata or feature-engineering artifact is wrong
    └── HistoryError         the history store cannot be opened or written
"""

from __future__ import annotations


class DriftscopeError(Exception):
    """Base class of every error driftscope raises on purpose."""


class ConfigError(DriftscopeError, ValueError):
    """A configuration file, flag or value is wrong."""


class InputError(DriftscopeError, ValueError):
    """A data file or in-memory table cannot be used."""


class SchemaError(InputError):
    """The current data does not have the columns or types of the reference."""


class BaselineError(DriftscopeError):
    """A saved baseline is missing, corrupt or written by an unsupported version."""


class ArtifactError(DriftscopeError):
    """A model, its metadata or the feature-engineering step cannot be used."""


class HistoryError(DriftscopeError):
    """The history store cannot be opened, read or written."""
