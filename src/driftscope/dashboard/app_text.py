"""Data-derived text in the dashboard: shown as text, never as Markdown, and cut short.

Column names, category values, reasons, findings, round ids, model names, sources and
exception messages come from production data, so they are attacker-controlled. Most
Streamlit elements read their text as Markdown (``st.markdown``, ``st.caption``,
``st.subheader``, the alerts, ``st.table`` cells and index, image captions, widget labels),
and Streamlit's Markdown makes links, images (which the viewer's browser fetches), bold
text, LaTeX, emoji and icons. So every data-derived string goes through one helper here
before it is put into such text:

* :func:`md` for Markdown text: cut to :data:`MAX_CHARS`, control characters (newlines
  included) turned into spaces, every ASCII punctuation character backslash-escaped (a
  superset of the Markdown-special ones ``\\ ` * _ { } [ ] ( ) # + - . ! | < > ~ $``), and
  a WORD JOINER (U+2060, invisible) put where Streamlit would still make something of the
  text after the escapes are resolved: GFM autolinks of ``http(s)://``, ``www.`` and
  ``name@host`` (Streamlit finds them with a regular expression in the text, past any
  backslash escape), ``:shortcode:`` emoji, ``:streamlit:`` logos and ``:material/...:``
  icons, and the typographic arrows (``->``, ``<=``, ``--``...).
* :func:`code` for an inline code span (paths and URLs the user configured): the fence is
  longer than any run of backticks inside, so the text stays literal.
* :func:`md_frame` for a frame shown with ``st.table`` (whose cells are Markdown).
* :func:`clip` for elements that show plain text (``st.dataframe`` cells, selectbox
  options): cut and without control characters, nothing escaped.

Length: every data-derived string shown in a sentence, heading, option or table is cut to
:data:`MAX_CHARS` (200) characters, the last one an ellipsis ``…``. An error message of
driftscope shown whole (it says what to do, and may quote a value) is cut at
:data:`MAX_MESSAGE_CHARS` (1000) characters.

No Streamlit here: this module is plain Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from driftscope.limits import clip as cut

__all__ = ["ELLIPSIS", "MAX_CHARS", "MAX_MESSAGE_CHARS", "clip", "code", "md", "md_frame",
           "unique"]  # fmt: skip

MAX_CHARS = 200
"""The longest data-derived string the dashboard shows (the ellipsis included)."""

MAX_MESSAGE_CHARS = 1000
"""The longest error message the dashboard shows (the ellipsis included)."""

ELLIPSIS = "…"
WORD_JOINER = "\u2060"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
# where Streamlit still finds something in the text once the escapes are resolved
_JOIN = re.compile(
    r"(?<=:)(?=/)"  # scheme://host (GFM autolinks)
    r"|(?<=www)(?=\.)"  # www.host (GFM autolinks)
    r"|(?<=@)"  # name@host (GFM e-mail autolinks)
    r"|(?<=:)(?=[\w+/-]+:)"  # :smile:, :streamlit:, :material/icon:
    r"|(?<=[-<>=~])(?=[-<>=~])",  # -> <- <-> -- >= <= ~= become arrows and dashes
    re.IGNORECASE,
)


def clip(value: object, limit: int = MAX_CHARS) -> str:
    """``value`` as one line of at most ``limit`` characters, ending with ``…`` when cut.

    Control characters (newlines, tabs, NUL, escape sequences) become spaces.

    >>> clip("a\\nb")
    'a b'
    >>> len(clip("x" * 1000)), clip("x" * 1000)[-1]
    (200, '…')
    """
    return cut(_CONTROL.sub(" ", str(value)), limit)


def md(value: object, limit: int = MAX_CHARS) -> str:
    """``value`` cut to ``limit`` characters and escaped, to be put into Markdown text.

    Streamlit shows the result as the literal text of ``clip(value)`` (with invisible word
    joiners where a link, emoji or arrow would otherwise appear).

    >>> md("[x](https://e.example)")
    '\\\\[x\\\\]\\\\(https\\\\:\\u2060\\\\/\\\\/e\\\\.example\\\\)'
    """
    text = _JOIN.sub(WORD_JOINER, clip(value, limit))
    return _PUNCTUATION.sub(r"\\\1", text)


def code(value: object) -> str:
    """``value`` as an inline code span (literal text: nothing inside is interpreted).

    >>> code("a`b")
    '``a`b``'
    """
    text = _CONTROL.sub(" ", str(value))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for ``st.table``: text cells, index and headers through :func:`md`.

    Numbers stay numbers; missing values stay missing.
    """

    def cell(value: object) -> object:
        return md(value) if isinstance(value, str) else value

    out = frame.map(cell)
    out.index = pd.Index([cell(v) for v in frame.index], name=frame.index.name)
    out.columns = pd.Index([cell(v) for v in frame.columns])
    return out


def unique(labels: Iterable[str]) -> list[str]:
    """``labels`` with a `` #2``, `` #3``... suffix on repeats, so every option is distinct.

    Streamlit tells selectbox options apart by their label; two columns whose names agree
    in their first :data:`MAX_CHARS` characters must still be two options.

    >>> unique(["a", "b", "a"])
    ['a', 'b', 'a #2']
    """
    seen: dict[str, int] = {}
    taken = set()
    out = []
    for label in labels:
        candidate = label
        while candidate in taken:
            seen[label] = seen.get(label, 1) + 1
            candidate = f"{label} #{seen[label]}"
        taken.add(candidate)
        out.append(candidate)
    return out
