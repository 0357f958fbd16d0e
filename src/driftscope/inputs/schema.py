"""Which columns are monitored, as which type, and whether current data still fits them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyarrow as pa
import pyarrow.types as pat

from driftscope.config.models import MonitoringConfig, matches
from driftscope.errors import ConfigError, SchemaError
from driftscope.limits import quoted
from driftscope.result import Finding

ColumnType = Literal["numerical", "categorical"]


@dataclass(frozen=True)
class ColumnSpec:
    """A monitored column: its name, how it is compared, and where it comes from."""

    name: str
    type: ColumnType
    origin: Literal["raw", "engineered", "target", "prediction", "predicted_class"] = "raw"


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


def check_current(
    specs: list[ColumnSpec], table: pa.Table, source: str, reference_source: str
) -> None:
    """Refuse current data that lacks a monitored column or changed its type."""
    names = set(table.column_names)
    for spec in specs:
        if spec.name not in names:
            raise SchemaError(
                f"{source}: column {quoted(spec.name)} is missing but the reference "
                f"({reference_source}) has it; add the column or ignore it in the config"
            )
        t = table.schema.field(spec.name).type
        if spec.type == "numerical" and not (_is_numeric(t) or pat.is_null(t)
                                             or pat.is_boolean(t)):
            from driftscope.inputs.readers import decimal_comma_example

            example = decimal_comma_example(table.column(spec.name))
            hint = (f" (decimal comma? values like {quoted(example)}: write numbers with a "
                    "decimal "
                    "point)" if example else "")
            raise SchemaError(
                f"{source}: column {quoted(spec.name)} holds {t} values but the reference holds "
                f"numbers{hint}; fix the column's values or declare it categorical in the "
                "config"
            )
