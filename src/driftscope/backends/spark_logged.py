"""Logged predictions or labels without a model on Spark: only their columns come to the
driver (see :mod:`driftscope.backends.spark_scoring`, whose road this is, without the
scoring)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

import pyarrow as pa

from driftscope.backends.spark_scoring import HEAD_ROWS, SparkSide
from driftscope.engine.prepare import Side
from driftscope.errors import ArtifactError, DriftscopeError
from driftscope.inputs.spark_source import gather_columns


def spark_logged(src: Any, cfg: Any, art: Any, side: str, target: str | None,
                 model_columns: list[str] | None = None,
                 inherited: Mapping[str, Any] | None = None) -> Any:
    """``src`` with logged predictions or labels and no model: a :class:`SparkSide` whose
    predictions and labels are the whole side's, prepared from only their own columns (the
    few brought to the driver, a partition at a time, as :func:`spark_prepare` brings the
    model's output), and whose ``table`` and ``sample`` are a seeded sample of about
    :data:`HEAD_ROWS` rows (what the reference's sensitivity importance and the multivariate
    sample read). None when the side has none of those columns."""
    from driftscope.backends.spark import spark_error_line
    from driftscope.backends.spark_session import quiet_pyspark
    from driftscope.engine.prepare import logged_columns, prepare

    names = logged_columns(cfg, target, list(src.schema.names))
    if not names:
        return None
    narrow = pa.schema([src.schema.field(n) for n in names])
    try:
        with quiet_pyspark():
            got = gather_columns(src.typed(), narrow)
            head = src.sample_rows(HEAD_ROWS, cfg.seed)
    except DriftscopeError:
        raise
    except Exception as err:  # an executor's error arrives wrapped in Java's
        raise ArtifactError(f"{src.name}: Spark could not read the {side} data's "
                            f"{', '.join(names)} ({spark_error_line(err)})") from None
    whole = prepare(got, cfg, art, side, target, model_columns, inherited=inherited)
    sample = prepare(head, cfg, art, side, target, model_columns, inherited=inherited)
    return SparkSide(**{f.name: getattr(whole, f.name) for f in fields(Side)} | {
        "table": head, "sample": replace(sample, findings=())})
