"""Which columns are monitored, as which type, and whether current data still fits them."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa
import pyarrow.types as pat

from driftscope.config.models import MonitoringConfig, matches
from driftscope.errors import ConfigError, SchemaError
from driftscope.findings import Finding
from driftscope.limits import quoted
from driftscope.profile.spec import ColumnSpec


def _is_numeric(t: pa.DataType) -> bool:
    return bool(pat.is_integer(t) or pat.is_floating(t) or pat.is_decimal(t))


def _is_text(t: pa.DataType) -> bool:
    return bool(pat.is_string(t) or pat.is_large_string(t) or pat.is_dictionary(t)
                or pat.is_boolean(t) or pat.is_null(t))


def infer_columns(
    table: pa.Table,
    config: MonitoringConfig,
    exclude: set[str],
    origin: Literal["raw", "engineered"] = "raw",
    source: str = "reference",
) -> tuple[list[ColumnSpec], list[Finding]]:
    """Decide the monitored columns of the reference table and their types."""
    names = list(table.column_names)
    findings: list[Finding] = []
    if config.columns is not None and origin == "raw":
        absent = [c for c in config.columns if c not in names]
        if absent:
            raise ConfigError(
                f"columns: {quoted(absent[0])} is not a column of {source}; "
                f"available: {', '.join(names[:20])}{' …' if len(names) > 20 else ''}"
            )
        candidates = [c for c in names if c in set(config.columns)]
    else:
        candidates = names
    specs: list[ColumnSpec] = []
    for name in candidates:
        if name in exclude or not config.is_enabled(name):
            continue
        t = table.schema.field(name).type
        if matches(name, config.categorical):
            specs.append(ColumnSpec(name, "categorical", origin))
        elif matches(name, config.numerical):
            if not (_is_numeric(t) or pat.is_boolean(t) or pat.is_null(t)):
                raise ConfigError(
                    f"numerical: column {quoted(name)} holds {t} values in {source}, not numbers; "
                    "remove it from 'numerical' or fix the data"
                )
            specs.append(ColumnSpec(name, "numerical", origin))
        elif _is_numeric(t):
            specs.append(ColumnSpec(name, "numerical", origin))
        elif _is_text(t):
            specs.append(ColumnSpec(name, "categorical", origin))
        else:
            findings.append(
                Finding(
                    column=name,
                    message=f"column {quoted(name)} has type {t} and is not monitored "
                    "(only numbers, text and booleans are compared)",
                )
            )
    return specs, findings


# -- identifiers ---------------------------------------------------------------------------

ID_NAMES = frozenset({"id", "key", "uuid", "guid", "pk", "rownames", "rowname", "rowid",
                      "rownumber", "rownum", "index", "unnamed0"})
"""Whole column names (lower case, separators removed) that name an identifier."""

ID_WORDS = frozenset({"id", "ids", "uuid", "guid", "idx"})
"""Words that make a name an identifier wherever they stand: ``loan_id``, ``LoanId``,
``customerID``, ``id_client``, ``request-uuid``."""

ID_LAST_WORDS = frozenset({"key", "pk"})
"""Words that make a name an identifier as its last word: ``account_key``, ``rowKey``."""

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def name_words(name: str) -> list[str]:
    """The words of a column name, split at separators and at case changes (``loanID`` →
    ``loan``, ``ID``); a lower-case run stays one word, so ``paid`` and ``valid`` hold no
    ``id``."""
    return _WORDS.findall(name)


def identifier_name(name: str) -> bool:
    """Whether a column's name says it is an identifier (see :data:`ID_NAMES`,
    :data:`ID_WORDS`, :data:`ID_LAST_WORDS`)."""
    if re.sub(r"[^0-9a-z]", "", name.lower()) in ID_NAMES:
        return True
    words = [w.lower() for w in name_words(name)]
    return bool(words) and (any(w in ID_WORDS for w in words) or words[-1] in ID_LAST_WORDS)


# -- the current data against the reference ------------------------------------------------

NEW_COLUMNS_LISTED = 20
"""New current columns named in a finding each; the rest share one finding."""

_MISSING_TOKENS = ("", "na", "n/a", "nan", "-nan", "null", "none", "#n/a", "#na")
_NUMBER = r"^[+-]?((\d+\.?\d*|\.\d+)(e[+-]?\d+)?|inf(inity)?)$"
_GROUPED = r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"


@dataclass(frozen=True)
class ParsedNumbers:
    """A text column read as numbers (see :func:`parse_numbers`)."""

    values: pa.Array
    """float64; missing where the text was missing or is not a number."""
    present: int
    """Non-missing text values."""
    failed: int
    """Non-missing values that are not numbers."""
    examples: tuple[str, ...]
    """A few distinct values that are not numbers."""
    percent: str | None
    """A value that ended with a percent sign (removed; the number is kept as written)."""
    grouped: bool
    """Some values had thousands separators (removed)."""

    @property
    def failed_share(self) -> float:
        return self.failed / self.present if self.present else 0.0


def parse_numbers(column: pa.ChunkedArray | pa.Array) -> ParsedNumbers:
    """Read a text column as numbers: surrounding spaces are ignored, empty strings and the
    usual missing-value words (``NA``, ``n/a``, ``null``, ``NaN``, …) are missing, a trailing
    ``%`` is removed without scaling (``"13.99%"`` reads as 13.99), and commas are removed when
    every comma in the column groups thousands (``"1,234.5"``); a column that uses decimal
    commas (``"13,99"``) is not guessed at, its values are not numbers."""
    import pyarrow.compute as pc

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pat.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if not (pat.is_string(column.type) or pat.is_large_string(column.type)):
        column = column.cast(pa.string())
    text = pc.utf8_trim_whitespace(column)
    missing = pc.is_in(pc.utf8_lower(text), value_set=pa.array(_MISSING_TOKENS, text.type))
    text = pc.if_else(missing, pa.scalar(None, text.type), text)
    percent = pc.match_substring_regex(text, r"\s*%$")
    text = pc.replace_substring_regex(text, r"\s*%$", "")
    commas = pc.match_substring(text, ",")
    grouped = pc.match_substring_regex(text, _GROUPED)
    any_comma = pc.any(commas).as_py() or False
    thousands = any_comma and not pc.any(pc.and_(commas, pc.invert(grouped))).as_py()
    if thousands:
        text = pc.replace_substring(text, ",", "")
    ok = pc.match_substring_regex(text, _NUMBER, ignore_case=True)
    values = pc.cast(pc.if_else(ok, text, pa.scalar(None, text.type)), pa.float64())
    present = len(text) - text.null_count
    bad = pc.filter(column, pc.and_(pc.is_valid(text), pc.invert(ok)))
    failed = len(bad)
    examples = tuple(str(v) for v in pc.unique(bad.slice(0, 1000)).slice(0, 3).to_pylist())
    with_percent = pc.filter(column, pc.and_(percent, ok))
    return ParsedNumbers(values=values, present=present, failed=failed, examples=examples,
                         percent=str(with_percent[0].as_py()).strip() if len(with_percent)
                         else None, grouped=bool(thousands))


@dataclass(frozen=True)
class ColumnBreak:
    """A monitored column the current data lacks, or holds in a type other than the
    reference's: CRITICAL on that column, whatever its metrics."""

    name: str
    kind: Literal["missing", "type"]
    reason: str
    """Why, as the column's reason sentence (with the period)."""
    finding: str
    """The same, short, for the round's findings."""


@dataclass(frozen=True)
class CurrentSchema:
    """The current data as the round compares it, and how it departs from the reference."""

    table: pa.Table
    """The current table with text read as numbers for numerical columns, a value that cannot
    be compared as missing, and a reference column the current data lacks added as all
    missing: what the profiles, the feature engineering and the model read."""
    breaks: dict[str, ColumnBreak]
    """Monitored columns that are missing or of a type that cannot be compared."""
    filled: tuple[str, ...]
    """Reference columns the current data lacks, added to :attr:`table` as all missing."""
    findings: tuple[Finding, ...]
    """New columns (the current data has them, the reference does not)."""


def _values_text(n: int) -> str:
    return f"{n} value{'s' if n != 1 else ''}"


def check_current(
    specs: list[ColumnSpec],
    table: pa.Table,
    source: str,
    reference_source: str,
    reference_columns: Sequence[str] | None = None,
    roles: Collection[str] = (),
) -> CurrentSchema:
    """Compare the current data's columns with the reference's.

    A monitored column the current data lacks, or holds in a type that is not the reference's
    (text, dates, … for a numerical column; nested values for a categorical one), is a
    :class:`ColumnBreak`: the round reports it CRITICAL and measures the rest. Text for a
    numerical column is read with :func:`parse_numbers`: the values that are numbers are
    compared, the others count as missing. A column of ``reference_columns`` (all the
    reference's columns, monitored or not) that the current data lacks is added as all missing,
    except the ``roles`` columns (target, logged predictions, timestamp), whose absence the
    round reports itself; a current column the reference does not have is a finding. A current
    table that holds none of the monitored columns is refused (:class:`SchemaError`).
    """
    names = list(table.column_names)
    present = set(names)
    if specs and not any(s.name in present for s in specs):
        wanted = [s.name for s in specs]
        listed = ", ".join(quoted(n) for n in wanted[:5]) + (", …" if len(wanted) > 5 else "")
        raise SchemaError(
            f"{source}: none of the reference's monitored columns ({listed}) is in the current "
            f"data ({reference_source} is the reference); check that the current file is the "
            "right one"
        )
    n = table.num_rows
    breaks: dict[str, ColumnBreak] = {}
    findings: list[Finding] = []
    filled: list[str] = []
    by_name = {s.name: s for s in specs}
    for spec in specs:
        if spec.name not in present:
            breaks[spec.name] = ColumnBreak(
                spec.name, "missing",
                "The column is missing from the current data but the reference has it: none of "
                "its values can be compared (every current row counts as missing); restore it "
                "in the data, or ignore it in the config if it was dropped on purpose.",
                f"column {quoted(spec.name)} is missing from the current data ({source}) but "
                f"the reference ({reference_source}) has it")
            continue
        t = table.schema.field(spec.name).type
        if spec.type == "categorical":
            if pat.is_nested(t):
                breaks[spec.name] = _type_break(spec.name, t, "text", source)
                table = _set(table, spec.name, pa.nulls(n, pa.string()))
            continue
        if _is_numeric(t) or pat.is_null(t) or pat.is_boolean(t):
            continue
        if not _is_text(t):
            breaks[spec.name] = _type_break(spec.name, t, "numbers", source)
            table = _set(table, spec.name, pa.nulls(n, pa.float64()))
            continue
        parsed = parse_numbers(table.column(spec.name))
        table = _set(table, spec.name, parsed.values)
        if parsed.present:  # (all missing: the comparison says so)
            breaks[spec.name] = _text_break(spec.name, t, parsed, source)
    known = list(reference_columns) if reference_columns is not None else list(by_name)
    for name in known:
        if name not in present and name not in roles:
            known_spec = by_name.get(name)
            kind = pa.string() if known_spec is not None and known_spec.type == "categorical" \
                else pa.float64()
            table = table.append_column(pa.field(name, kind), pa.nulls(n, kind))
            filled.append(name)
    if reference_columns is not None:
        reference = set(reference_columns)
        new = [c for c in names if c not in reference and c not in roles]
        for name in new[:NEW_COLUMNS_LISTED]:
            findings.append(Finding(column=name, message=(
                f"column {quoted(name)} is new in the current data ({source}): the reference "
                "has no such column, so it is not monitored; add it to the reference (or "
                "rebuild the baseline) to monitor it")))
        if len(new) > NEW_COLUMNS_LISTED:
            findings.append(Finding(message=(
                f"{len(new) - NEW_COLUMNS_LISTED} more columns are new in the current data "
                f"({source}) and not monitored")))
    return CurrentSchema(table=table, breaks=breaks, filled=tuple(filled),
                         findings=tuple(findings))


def _set(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    i = table.column_names.index(name)
    return table.set_column(i, pa.field(name, values.type), values)


def _type_break(name: str, t: pa.DataType, expected: str, source: str) -> ColumnBreak:
    return ColumnBreak(
        name, "type",
        f"The current data holds {t} values where the reference holds {expected}: they cannot "
        "be compared (every current row counts as missing); fix the column's type in the data.",
        f"column {quoted(name)} holds {t} values in the current data ({source}) where the "
        f"reference holds {expected}: not compared")


def _text_break(name: str, t: pa.DataType, parsed: ParsedNumbers, source: str) -> ColumnBreak:
    from driftscope.inputs.readers import decimal_comma_example

    how = []
    if parsed.percent is not None:
        written = parsed.percent.rstrip("% ")
        number = float(written.replace(",", "") if parsed.grouped else written)
        how.append(f"the trailing % removed, the number kept as written: "
                   f"{quoted(parsed.percent)} reads as {number:g}")
    if parsed.grouped:
        how.append("thousands separators removed")
    read = f" ({'; '.join(how)})" if how else ""
    if not parsed.failed:
        return ColumnBreak(
            name, "type",
            f"The current data holds text ({t}) where the reference holds numbers: the column "
            f"changed type. Every value reads as a number{read}, so the values are compared; "
            "fix the column's type in the data.",
            f"column {quoted(name)} arrived as text in the current data ({source}) where the "
            f"reference holds numbers; its values read as numbers{read} and were compared")
    examples = ", ".join(quoted(e) for e in parsed.examples)
    comma = decimal_comma_example(pa.array(list(parsed.examples), pa.string()))
    hint = (f" (decimal comma? values like {quoted(comma)}: write numbers with a decimal point)"
            if comma else "")
    what = (f"{parsed.failed_share:.1%} of its {_values_text(parsed.present)} are not numbers "
            f"(e.g. {examples}){hint}")
    ok = parsed.present - parsed.failed
    return ColumnBreak(
        name, "type",
        f"The current data holds text ({t}) where the reference holds numbers, and {what}; "
        f"{'the ' + _values_text(ok) + ' that are numbers' + read + ' are' if ok else 'nothing is'}"
        " compared, the others count as missing; fix the column's values in the data.",
        f"column {quoted(name)} arrived as text in the current data ({source}) where the "
        f"reference holds numbers: {what}")
