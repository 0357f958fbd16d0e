"""Loading the YAML and JSON documents driftscope reads (config, metadata, saved reports)
within limits.

A document from a user may be hostile or broken in ways that cost far more than its size:

- a YAML alias bomb ("billion laughs"): a few lines whose aliases (``*name``) expand to
  billions of nodes once a value is walked, printed or validated;
- deep nesting (``[[[[…]]]]``), which ends in a ``RecursionError`` in the parser or in any
  code that walks the value;
- a file far larger than any config or metadata file.

:func:`read_yaml_file`, :func:`read_json_file`, :func:`load_yaml` and :func:`load_json`
refuse such documents with a :class:`DocumentLimitError`, and broken ones with a
:class:`DocumentSyntaxError`; both carry a one-line message that names the source and never
echoes more than :data:`ECHO_LIMIT` characters of the document. Callers turn them into
their own :class:`~driftscope.errors.DriftscopeError` subclass.

The limits:

- at most :data:`MAX_DEPTH` (64) nested mappings/sequences (YAML) or objects/arrays (JSON);
- at most :data:`MAX_ALIASES` (1000) YAML aliases per document, which together expand to at
  most :data:`MAX_ALIAS_NODES` (100 000) nodes; an alias to a node that contains it (a
  cycle) is refused;
- at most :data:`MAX_BYTES` (10 MB) per file, unless the caller passes another limit.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent

__all__ = [
    "ECHO_LIMIT",
    "MAX_ALIASES",
    "MAX_ALIAS_NODES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MESSAGE_LIMIT",
    "DocumentError",
    "DocumentLimitError",
    "DocumentSyntaxError",
    "LimitedSafeLoader",
    "json_depth",
    "load_json",
    "load_yaml",
    "read_json_file",
    "read_text_file",
    "read_yaml_file",
    "shorten",
    "shorten_words",
]

MAX_DEPTH = 64
"""Deepest nesting of mappings/sequences (objects/arrays) accepted; the top level is 1."""

MAX_ALIASES = 1000
"""Most YAML aliases (``*name``) accepted in one document."""

MAX_ALIAS_NODES = 100_000
"""Most nodes that all YAML aliases of one document may stand for once expanded."""

MAX_BYTES = 10 * 1024 * 1024
"""Default largest file accepted by :func:`read_yaml_file` and :func:`read_text_file`."""

ECHO_LIMIT = 200
"""Most characters of a user's value that a message shows (see :func:`shorten`)."""


class DocumentError(Exception):
    """A YAML or JSON document cannot be loaded; ``str(err)`` is one line naming the source."""


class DocumentLimitError(DocumentError):
    """The document is too large, too deeply nested or expands too far (an alias bomb)."""


class DocumentSyntaxError(DocumentError):
    """The document is not valid YAML/JSON (or not UTF-8 text).

    ``reason`` is the class name of the underlying error, ``line`` the 1-based line of the
    problem when known.
    """

    def __init__(self, message: str, *, reason: str, line: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.line = line


def shorten(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when it was cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


MESSAGE_LIMIT = 400
"""Most characters of a message that quotes a user's keys or values (see
:func:`shorten_words`)."""

_LONG_WORD = re.compile(rf"\S{{{ECHO_LIMIT + 1},}}")


def shorten_words(text: str, word_limit: int = ECHO_LIMIT, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` with every word (run of non-space characters) longer than ``word_limit`` cut
    by :func:`shorten`, then the whole cut to ``limit``: a message quoting a 1 MB key keeps
    the explanation that follows the key."""
    pattern = (_LONG_WORD if word_limit == ECHO_LIMIT
               else re.compile(rf"\S{{{word_limit + 1},}}"))
    return shorten(pattern.sub(lambda m: shorten(m.group(), word_limit), text), limit)


def _line(mark: Any) -> int | None:
    line = getattr(mark, "line", None)
    return None if line is None else int(line) + 1


def _at(mark: Any) -> str:
    line = _line(mark)
    return f" (line {line})" if line is not None else ""


class _Refused(yaml.YAMLError):
    """Raised inside the loader when a limit is hit; turned into DocumentLimitError."""


class _BadValue(yaml.YAMLError):
    """A scalar PyYAML cannot build (an integer of 5000 digits, 2026-02-30)."""

    def __init__(self, err: Exception, mark: Any) -> None:
        text = str(err).splitlines()[0] if str(err) else err.__class__.__name__
        super().__init__(f"a value cannot be read: {shorten(text, 80)}")
        self.reason = err.__class__.__name__
        self.line = _line(mark)


class LimitedSafeLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader that refuses alias bombs, alias cycles and deep nesting.

    While composing the node tree it keeps the expanded size (in nodes) of every anchored
    node; each alias adds that size to a budget of :data:`MAX_ALIAS_NODES`, and at most
    :data:`MAX_ALIASES` aliases are allowed. Mappings and sequences may nest at most
    :data:`MAX_DEPTH` levels. A limit hit raises an internal ``yaml.YAMLError`` subclass
    whose message :func:`load_yaml` reports.
    """

    max_depth = MAX_DEPTH
    max_aliases = MAX_ALIASES
    max_alias_nodes = MAX_ALIAS_NODES

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._reset_limits()

    def _reset_limits(self) -> None:
        self._depth = 0
        self._aliases = 0
        self._alias_nodes = 0
        self._sizes: list[int] = []  # expanded size of each node being composed, innermost last
        self._anchor_sizes: dict[str, int] = {}

    def compose_document(self) -> Any:
        self._reset_limits()
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            anchor = event.anchor
            if anchor in self.anchors:  # an undefined alias is PyYAML's own error
                size = self._anchor_sizes.get(anchor)
                if size is None:
                    raise _Refused(f"YAML alias *{shorten(str(anchor), 40)} refers to a node "
                                   f"that contains it{_at(event.start_mark)}; remove the cycle")
                self._aliases += 1
                if self._aliases > self.max_aliases:
                    raise _Refused(f"more than {self.max_aliases} YAML aliases"
                                   f"{_at(event.start_mark)}; write the values out instead of "
                                   "referring to them with *name")
                self._alias_nodes += size
                if self._alias_nodes > self.max_alias_nodes:
                    raise _Refused(f"YAML aliases expand to more than {self.max_alias_nodes} "
                                   f"nodes{_at(event.start_mark)} (an alias bomb?); write the "
                                   "values out instead of referring to them with *name")
                if self._sizes:
                    self._sizes[-1] += size
            return super().compose_node(parent, index)
        event = self.peek_event()
        anchor = event.anchor
        nests = isinstance(event, (MappingStartEvent, SequenceStartEvent))
        if nests:
            self._depth += 1
            if self._depth > self.max_depth:
                raise _Refused(f"YAML nesting deeper than {self.max_depth} levels"
                               f"{_at(event.start_mark)}; flatten the document")
        self._sizes.append(1)
        try:
            node = super().compose_node(parent, index)
        finally:
            size = self._sizes.pop()
            if nests:
                self._depth -= 1
        if self._sizes:
            self._sizes[-1] += size
        if anchor is not None:
            self._anchor_sizes[anchor] = size
        return node

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError) as err:
            raise _BadValue(err, node.start_mark) from None


def load_yaml(text: str, source: str) -> Any:
    """Parse one YAML document safely (see :class:`LimitedSafeLoader`).

    Raises
    ------
    DocumentLimitError
        When a limit is hit: "<source>: YAML nesting deeper than 64 levels (line 3); …".
    DocumentSyntaxError
        When the text is not valid YAML or a value cannot be built (e.g. a bad date).
    """
    try:  # the reader checks the characters as it is built: a control character is refused
        loader = LimitedSafeLoader(text)
    except yaml.YAMLError as err:
        raise DocumentSyntaxError(f"{source}: not valid YAML ({err.__class__.__name__}: the "
                                  "file holds a character YAML does not allow); fix the file",
                                  reason=err.__class__.__name__) from None
    try:
        return loader.get_single_data()
    except _Refused as err:
        raise DocumentLimitError(f"{source}: {err}") from None
    except _BadValue as err:
        where = f"line {err.line}: " if err.line is not None else ""
        raise DocumentSyntaxError(f"{source}: not valid YAML ({where}{err}); fix the value",
                                  reason=err.reason, line=err.line) from None
    except RecursionError:  # a safety net: the depth limit should stop it first
        raise DocumentLimitError(f"{source}: YAML nesting too deep to read; flatten the "
                                 "document") from None
    except yaml.YAMLError as err:
        line = _line(getattr(err, "problem_mark", None))
        raise DocumentSyntaxError(f"{source}: not valid YAML{_at_line(line)}; fix the syntax",
                                  reason=err.__class__.__name__, line=line) from None
    except (ValueError, TypeError, OverflowError) as err:
        # a value PyYAML cannot build, e.g. an integer of 5000 digits or 2024-13-45
        raise DocumentSyntaxError(f"{source}: not valid YAML (a value cannot be read: "
                                  f"{shorten(str(err).splitlines()[0] if str(err) else '', 80)})"
                                  "; fix the value", reason=err.__class__.__name__) from None
    finally:
        loader.dispose()


def _at_line(line: int | None) -> str:
    return f" (line {line})" if line is not None else ""


def json_depth(value: Any) -> int:
    """Deepest nesting of dicts/lists in ``value`` (0 for a scalar), found without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:  # deep enough to refuse; no need to walk further
            break
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return deepest


def load_json(text: str, source: str) -> Any:
    """Parse a JSON document, refusing nesting deeper than :data:`MAX_DEPTH`.

    Raises
    ------
    DocumentLimitError
        "<source>: JSON nesting deeper than 64 levels; flatten the document".
    DocumentSyntaxError
        When the text is not valid JSON (or holds a number Python refuses to read).
    """
    too_deep = f"{source}: JSON nesting deeper than {MAX_DEPTH} levels; flatten the document"
    try:
        data = json.loads(text)
    except RecursionError:
        raise DocumentLimitError(too_deep) from None
    except json.JSONDecodeError as err:
        raise DocumentSyntaxError(f"{source}: not valid JSON (line {err.lineno}); fix the "
                                  "syntax", reason=err.__class__.__name__, line=err.lineno
                                  ) from None
    except ValueError as err:  # e.g. an integer of more than 4300 digits
        raise DocumentSyntaxError(f"{source}: not valid JSON (a value cannot be read: "
                                  f"{shorten(str(err).splitlines()[0] if str(err) else '', 80)})"
                                  "; fix the value", reason=err.__class__.__name__) from None
    if json_depth(data) > MAX_DEPTH:
        raise DocumentLimitError(too_deep)
    return data


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def read_text_file(path: str | os.PathLike[str], max_bytes: int | None = MAX_BYTES) -> str:
    """The UTF-8 text of a file of at most ``max_bytes`` bytes (None: no limit).

    Raises
    ------
    FileNotFoundError
        When the file does not exist (callers word that themselves).
    DocumentLimitError
        When the file is larger than ``max_bytes``.
    DocumentSyntaxError
        When the file is not UTF-8 text.
    DocumentError
        When the file cannot be read (permissions, a folder, ...).
    """
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            if max_bytes is None:
                raw = fh.read()
            else:
                size = os.fstat(fh.fileno()).st_size
                if size > max_bytes:
                    raise DocumentLimitError(f"{p}: the file is {_size(size)}, more than the "
                                             f"{_size(max_bytes)} limit; pass a smaller file")
                raw = fh.read(max_bytes + 1)  # the size may change or be unknown (a pipe)
                if len(raw) > max_bytes:
                    raise DocumentLimitError(f"{p}: the file is more than the "
                                             f"{_size(max_bytes)} limit; pass a smaller file")
    except FileNotFoundError:
        raise
    except OSError as err:
        raise DocumentError(f"{p}: cannot read ({err.__class__.__name__}); check the file and "
                            "its permissions") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DocumentSyntaxError(f"{p}: not UTF-8 text; save the file as UTF-8",
                                  reason="UnicodeDecodeError") from None


def read_yaml_file(path: str | os.PathLike[str], max_bytes: int | None = MAX_BYTES) -> Any:
    """Read and parse a YAML file within the limits (see :func:`load_yaml`,
    :func:`read_text_file`)."""
    return load_yaml(read_text_file(path, max_bytes), str(path))


def read_json_file(path: str | os.PathLike[str], max_bytes: int | None = MAX_BYTES) -> Any:
    """Read and parse a JSON file within the limits (see :func:`load_json`,
    :func:`read_text_file`)."""
    return load_json(read_text_file(path, max_bytes), str(path))
