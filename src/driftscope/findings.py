"""Findings: what a round noticed that is not a metric.

A low-level module, so that the readers and schema checks of ``inputs/`` can report what they
found without importing the result of a round (:mod:`driftscope.result` re-exports
:class:`Finding`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Finding"]


@dataclass(frozen=True)
class Finding:
    """Something the round noticed that is not a metric: a skipped column, an all-missing side."""

    message: str
    column: str | None = None
