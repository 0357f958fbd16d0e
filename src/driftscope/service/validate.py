"""A request body read into a table and checked against the baseline's schema, whole.

A batch is JSON records (a list of objects, or ``{"records": [...]}``), CSV or Parquet,
chosen by its ``Content-Type``. It is accepted only when every row fits: a monitored
numerical column holds numbers (or nothing), a categorical one plain values, the timestamp
column times, and every column is one the baseline knows (a monitored or reference column, the
target, the logged predictions, the timestamp or the id). Otherwise the whole batch is refused
with a :class:`BatchRefused` naming the first row (counted from 0) and the column at fault.

Accepted batches are stored in one canonical form, so that any two of them concatenate:
monitored numerical columns and the logged probability as float64, categorical columns as
their text labels (as the round reads them), the timestamp as a UTC-naive microsecond time,
the id as text; other columns as they came.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from driftscope.baseline import Baseline
from driftscope.config.models import MonitoringConfig

__all__ = ["BatchRefused", "BatchSchema", "read_body"]

JSON_TYPES = ("application/json",)
CSV_TYPES = ("text/csv", "application/csv")
PARQUET_TYPES = ("application/vnd.apache.parquet", "application/x-parquet",
                 "application/parquet")
MAX_SHOWN = 60


class BatchRefused(Exception):
    """A batch that is not stored: the HTTP status, the metric's reason and where it broke."""

    def __init__(self, status: int, reason: str, message: str, *, row: int | None = None,
                 column: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.row = row
        self.column = column

    def body(self) -> dict[str, Any]:
        """The JSON answer: what was wrong, and the row and column when one is at fault."""
        return {"error": self.reason, "detail": self.message, "row": self.row,
                "column": self.column}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 1] + "…"


@dataclass(frozen=True)
class BatchSchema:
    """The columns a batch may hold and how each is checked, from the baseline and config."""

    numerical: frozenset[str]
    categorical: frozenset[str]
    required: tuple[str, ...]
    known: frozenset[str]
    timestamp: str | None
    probability: str | None
    id_column: str | None
    label_column: str | None

    @classmethod
    def of(cls, baseline: Baseline, cfg: MonitoringConfig) -> BatchSchema:
        """The schema batches are checked against: the baseline's monitored columns (those
        the config keeps), its reference columns and the config's role columns."""
        from driftscope.engine.checks import select_columns

        specs = select_columns(baseline, cfg)
        target = cfg.target or baseline.settings.get("target")
        id_column = getattr(cfg, "id_column", None)
        roles = [c for c in (target, cfg.proba_column, cfg.prediction_column,
                             cfg.timestamp_column, id_column) if c]
        reference = list(baseline.settings.get("reference_columns") or [])
        required = tuple(s.name for s in specs)
        if cfg.proba_column and not cfg.model:
            required += (cfg.proba_column,)
        if cfg.prediction_column and not cfg.model and cfg.prediction_column not in required:
            required += (cfg.prediction_column,)
        return cls(
            numerical=frozenset(s.name for s in specs if s.type == "numerical"),
            categorical=frozenset(s.name for s in specs if s.type == "categorical"),
            required=required,
            known=frozenset([*reference, *roles, *(s.name for s, _ in baseline.columns
                                                  if s.origin == "raw")]),
            timestamp=cfg.timestamp_column, probability=cfg.proba_column,
            id_column=id_column, label_column=target)

    def check(self, table: pa.Table) -> pa.Table:
        """The batch in canonical form, or :class:`BatchRefused` for its first fault."""
        if table.num_rows == 0:
            raise BatchRefused(422, "empty", "the batch holds no rows; send at least one")
        for name in table.column_names:
            if name not in self.known:
                raise BatchRefused(422, "schema", f"column {name!r} is not a column of the "
                                   "baseline, nor the target, a prediction, the timestamp or "
                                   "the id column; remove it or rebuild the baseline",
                                   column=name)
        for name in self.required:
            if name not in table.column_names:
                raise BatchRefused(422, "schema", f"column {name!r} is missing from the batch; "
                                   "every row must carry it (null for a missing value)",
                                   column=name)
        for i, name in enumerate(table.column_names):
            column = table.column(i)
            if pa.types.is_nested(column.type):
                row = _first_valid(column)
                raise BatchRefused(422, "schema", f"row {row}, column {name!r}: nested values "
                                   "(lists or objects) cannot be monitored; send plain values",
                                   row=row, column=name)
            if name in self.numerical or name == self.probability:
                column = _numbers(name, column)
                _finite(name, column)
                if name == self.probability:
                    _probabilities(name, column)
            elif name in self.categorical:
                from driftscope.backends.local import category_labels

                column = pc.cast(category_labels(column), pa.string())
            elif name == self.timestamp:
                column = _times(name, column)
            elif name == self.id_column or pa.types.is_large_string(column.type):
                column = pc.cast(column, pa.string())
            table = table.set_column(i, pa.field(name, column.type), column)
        return table.replace_schema_metadata(None)


def _first_valid(column: pa.ChunkedArray, mask: Any = None) -> int:
    valid = pc.is_valid(column) if mask is None else mask
    index = pc.index(valid, True).as_py()
    return int(index) if index is not None and index >= 0 else 0


def _numbers(name: str, column: pa.ChunkedArray) -> pa.ChunkedArray:
    t = column.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t) \
            or pa.types.is_null(t) or pa.types.is_decimal(t):
        return pc.cast(column, pa.float64())
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        from driftscope.inputs.schema import parse_numbers

        parsed = parse_numbers(column)
        if parsed.failed:
            row, value = next((i, v) for i, v in enumerate(column.to_pylist())
                              if v is not None and parse_numbers(pa.array([v])).failed)
            raise BatchRefused(422, "schema", f"row {row}, column {name!r}: expected a number "
                               f"or null, got {_shown(value)}", row=row, column=name)
        return pa.chunked_array([parsed.values])
    row = _first_valid(column)
    raise BatchRefused(422, "schema", f"row {row}, column {name!r}: expected numbers, got "
                       f"{t} values", row=row, column=name)


def _finite(name: str, column: pa.ChunkedArray) -> None:
    """An infinite number refuses the batch: a model cannot score it (NaN is missing)."""
    infinite = pc.is_inf(column)
    if pc.any(infinite).as_py():
        row = int(pc.index(infinite, True).as_py())
        raise BatchRefused(422, "schema", f"row {row}, column {name!r}: expected a finite "
                           f"number or null, got {_shown(column[row].as_py())}", row=row,
                           column=name)


def _probabilities(name: str, column: pa.ChunkedArray) -> None:
    """A logged probability outside [0, 1] refuses the batch (a round would refuse all the
    rows since the last round, these included, again and again)."""
    finite = pc.is_finite(column)
    outside = pc.and_kleene(finite, pc.or_(pc.less(column, 0.0), pc.greater(column, 1.0)))
    if pc.any(outside).as_py():
        row = int(pc.index(outside, True).as_py())
        value = column[row].as_py()
        raise BatchRefused(422, "schema", f"row {row}, column {name!r}: a probability must be "
                           f"between 0 and 1, got {_shown(value)}", row=row, column=name)


def _times(name: str, column: pa.ChunkedArray) -> pa.ChunkedArray:
    from driftscope.errors import DriftscopeError
    from driftscope.inputs.chunking import as_timestamp

    try:
        times = as_timestamp(pa.table({name: column}), name)
    except DriftscopeError:
        for row, value in enumerate(column.to_pylist()):
            if value is None:
                continue
            try:
                as_timestamp(pa.table({name: pa.array([value])}), name)
            except DriftscopeError:
                raise BatchRefused(422, "schema", f"row {row}, column {name!r}: expected an "
                                   "ISO date or time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS), got "
                                   f"{_shown(value)}", row=row, column=name) from None
        raise BatchRefused(422, "schema", f"column {name!r}: expected ISO dates or times",
                           column=name) from None
    if isinstance(times, pa.Array):
        times = pa.chunked_array([times])
    return pc.cast(times, pa.timestamp("us"))


def _label(value: Any) -> Any:
    """A JSON value of a column whose values differ in type, as the text a round reads."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else str(value)
    return str(value)


def _from_records(records: Sequence[Any]) -> pa.Table:
    """JSON records as a table: a key missing from a record is null in that row."""
    names: dict[str, None] = {}
    for row, record in enumerate(records):
        if not isinstance(record, dict):
            raise BatchRefused(400, "format", f"row {row}: expected a JSON object (one row), got "
                               f"{type(record).__name__}", row=row)
        names.update(dict.fromkeys(record))
    columns: dict[str, pa.Array] = {}
    for name in names:
        values = [record.get(name) for record in records]
        for row, value in enumerate(values):
            if isinstance(value, (dict, list)):
                raise BatchRefused(422, "schema", f"row {row}, column {name!r}: nested values "
                                   "(lists or objects) cannot be monitored; send plain values",
                                   row=row, column=name)
        try:
            columns[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            # mixed types (numbers and text): as text; a numerical column then names the row
            columns[name] = pa.array([_label(v) for v in values], pa.string())
    return pa.table(columns) if columns else pa.table({})


def _json(body: bytes) -> pa.Table:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as err:
        raise BatchRefused(400, "format", f"the body is not valid JSON ({err})") from None
    if isinstance(data, dict) and isinstance(data.get("records"), list) and len(data) == 1:
        data = data["records"]
    if not isinstance(data, list):
        raise BatchRefused(400, "format", "expected a JSON list of records (objects), or "
                           "{\"records\": [...]}")
    return _from_records(data)


def _csv(body: bytes) -> pa.Table:
    import pyarrow.csv as pcsv

    try:
        return pcsv.read_csv(io.BytesIO(body))
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        message = " ".join(str(err).split())
        raise BatchRefused(400, "format", f"the body is not a readable CSV table ({message})"
                           ) from None


def _parquet(body: bytes) -> pa.Table:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(io.BytesIO(body))
    except (pa.ArrowException, OSError, ValueError) as err:
        message = " ".join(str(err).split())
        raise BatchRefused(400, "format", f"the body is not a readable Parquet file ({message})"
                           ) from None


def read_body(body: bytes, content_type: str | None) -> pa.Table:
    """The rows of a request body, by its content type (JSON, CSV or Parquet).

    Raises
    ------
    BatchRefused
        415 for another content type, 400 for a body that cannot be read.
    """
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in JSON_TYPES:
        return _json(body)
    if kind in CSV_TYPES:
        return _csv(body)
    if kind in PARQUET_TYPES:
        return _parquet(body)
    raise BatchRefused(415, "format", f"Content-Type {kind or '(none)'!r} is not supported; "
                       "send application/json (records), text/csv or "
                       "application/vnd.apache.parquet")
