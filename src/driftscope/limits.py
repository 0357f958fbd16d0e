"""How much of a data value driftscope copies into text.

Column names and category values come from production data and may be of any length (a 1 MB
"category" is one malformed row away). Sentences (reasons, findings, the recommendation), the
terminal summary, tables and the dashboard quote them cut to a fixed length, ending with "…";
the full value stays in the JSON report's bins, where a program reads it.
"""

from __future__ import annotations

VALUE_IN_SENTENCE = 80
"""Characters of a name or value quoted inside a reason or finding."""

VALUE_IN_TABLE = 200
"""Characters of a name, value or reason shown in a terminal table or on the dashboard."""


def clip(text: str, limit: int | None = VALUE_IN_SENTENCE) -> str:
    """``text`` cut to ``limit`` characters (the last one "…"); ``None`` keeps it whole."""
    if limit is None or len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"


def quoted(value: object, limit: int = VALUE_IN_SENTENCE) -> str:
    """``repr`` of a value for a sentence, cut to ``limit`` characters."""
    return clip(repr(value) if isinstance(value, str) else str(value), limit)
