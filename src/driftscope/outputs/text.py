"""Text that is safe to print on a terminal.

Column names, values and reasons come from data files and databases that driftscope does not
control. Printed raw, an ESC or a bidi override in them reaches the user's terminal: it can
move the cursor, recolour or hide lines, rewrite the window title, or show text in another
order than it is stored. :func:`printable` makes such characters visible as escapes and cuts
long values; :func:`json_safe` does the same inside JSON text, keeping it valid JSON.
"""

from __future__ import annotations

import re

__all__ = ["ELLIPSIS", "json_safe", "printable"]

ELLIPSIS = "…"

# C0 controls, DEL and C1 controls (which some terminals obey even UTF-8 encoded: U+009B is
# CSI); the bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and marks
# (U+200E, U+200F, U+061C); the line and paragraph separators; lone surrogates, which cannot
# even be encoded for printing.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)

# the same but tab, newline and carriage return: whitespace between JSON tokens
_UNSAFE_IN_JSON = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
    "\u2066-\u2069\ud800-\udfff]"
)

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str, limit: int | None = 200) -> str:
    """``text`` made safe to print on a terminal, and cut when long.

    Control characters (C0 including tab and newline, DEL, C1), bidi overrides, embeddings,
    isolates and marks, line/paragraph separators and lone surrogates are replaced by visible
    escapes: ``"\\x1b"`` for ESC, ``"\\u202e"`` for RIGHT-TO-LEFT OVERRIDE, ``"\\n"``,
    ``"\\t"`` and ``"\\r"`` for newline, tab and carriage return. Every other
    character, non-ASCII letters included, is kept. Backslashes are kept as they are.

    Parameters
    ----------
    text : str
        The text (anything else is turned into text with ``str``).
    limit : int or None
        Longest result in characters (default 200). A longer text is cut so that the result,
        a trailing ``"…"`` included, has ``limit`` characters; an escape is never cut in
        two. None: no cut.

    Returns
    -------
    str

    Examples
    --------
    >>> printable("a\\x1b[2Jb")
    'a\\\\x1b[2Jb'
    >>> printable("abcdef", limit=4)
    'abc…'
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be None or at least 1, got {limit!r}")
    text = text if isinstance(text, str) else str(text)
    if _UNSAFE.search(text) is None:
        if limit is None or len(text) <= limit:
            return text
        return text[: limit - 1] + ELLIPSIS
    pieces = [_escape(c) if _UNSAFE.fullmatch(c) else c for c in text]
    if limit is None or sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    kept: list[str] = []
    size = 0
    for piece in pieces:
        if size + len(piece) > limit - 1:
            break
        kept.append(piece)
        size += len(piece)
    return "".join(kept) + ELLIPSIS


def json_safe(text: str) -> str:
    """JSON text with the characters :func:`printable` escapes written as JSON ``\\u``
    escapes (four hex digits).

    ``json.dumps(..., ensure_ascii=False)`` escapes the C0 controls but leaves DEL, C1
    controls, bidi overrides and lone surrogates raw. Outside strings JSON text is ASCII, so
    escaping them everywhere keeps the JSON valid and its data unchanged. Tab, newline and
    carriage return are left alone: raw, they can only be JSON's own whitespace (inside
    strings ``json.dumps`` escapes them).
    """
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
