"""Calling the user's code (model, feature engineering, unpickling) without letting it end
the round.

A model's ``predict_proba``, a feature-engineering function or the unpickling of a model file
runs code driftscope does not control. Whatever it raises — an ordinary exception, but also
``SystemExit`` (``sys.exit()`` in a module), ``KeyboardInterrupt`` or any other
``BaseException`` subclass — becomes an :class:`~driftscope.errors.ArtifactError` naming what
was being done, so the CLI prints one line and exits with code 2 instead of "succeeding" with
nothing written.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from driftscope.errors import ArtifactError, DriftscopeError


class UserCodeExit(ArtifactError):
    """User code tried to end the process (``SystemExit``, ``KeyboardInterrupt`` — a real
    Ctrl+C included — or another non-``Exception``): the round stops, on either side; it is
    never turned into a finding of a round that then "succeeds"."""


def error_for(err: BaseException) -> type[ArtifactError]:
    """The error class for what user code raised: :class:`UserCodeExit` for an exit or an
    interrupt, :class:`ArtifactError` for an ordinary exception."""
    return ArtifactError if isinstance(err, Exception) else UserCodeExit


MESSAGE_LIMIT = 200
"""Characters of the user code's own message kept in ours."""


def describe(err: BaseException) -> str:
    """``ClassName: first line of the message`` (cut at :data:`MESSAGE_LIMIT`)."""
    text = str(err).splitlines()[0] if str(err).strip() else ""
    if isinstance(err, SystemExit):
        text = f"sys.exit({err.code!r})"
    if len(text) > MESSAGE_LIMIT:
        text = text[:MESSAGE_LIMIT - 1] + "…"
    return f"{err.__class__.__name__}: {text}" if text else err.__class__.__name__


@contextlib.contextmanager
def user_code(what: str, hint: str = "") -> Iterator[None]:
    """Run the block as user code: any non-driftscope exception, ``BaseException`` included,
    becomes ``ArtifactError(f"{what} ({describe(err)}){hint}")``."""
    try:
        yield
    except DriftscopeError:
        raise
    except BaseException as err:  # noqa: BLE001 - user code may raise anything, even exit
        raise error_for(err)(f"{what} ({describe(err)}){hint}") from None
