"""The alert levels of driftscope: NORMAL < WARNING < CRITICAL."""

from __future__ import annotations

import enum
from collections.abc import Iterable

__all__ = ["Severity"]


class Severity(str, enum.Enum):
    """Alert level, ordered NORMAL < WARNING < CRITICAL."""

    NORMAL = "NORMAL"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def rank(self) -> int:
        return _RANK[self.value]

    @classmethod
    def worst(cls, levels: Iterable[Severity | str]) -> Severity:
        """The highest level among ``levels`` (NORMAL when empty)."""
        best = cls.NORMAL
        for level in levels:
            lv = cls(level)
            if lv.rank > best.rank:
                best = lv
        return best


_RANK = {"NORMAL": 0, "WARNING": 1, "CRITICAL": 2}
