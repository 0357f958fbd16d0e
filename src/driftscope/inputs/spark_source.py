"""Spark DataFrames as a :class:`~driftscope.inputs.batches.BatchSource`, and what Spark reads.

A :class:`SparkSource` is a Spark DataFrame plus, where needed, a conversion of its Arrow
batches that runs on the executors (CSV text typed the way driftscope types CSV; a folder's
numbers widened as the streaming backend widens them). The ``spark`` backend profiles it on
the cluster without bringing rows to the driver. What the engine asks of any source — the
schema check's first batch, a sample a model scores on the driver, and the rows logged
predictions or labels are read from (without a model) — comes to the driver a bounded batch
at a time (``toLocalIterator``, one partition at a time); a model and a feature engineering
run on the executors (:mod:`driftscope.backends.spark_scoring`); the profiles never come.

Spark reads: Parquet and CSV files, a folder of them (:func:`driftscope.inputs.datasets.
open_dataset` checks them on the driver first, with the same one-line errors as the streaming
backend), and a catalog table named ``table:db.name``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from driftscope.errors import InputError

Convert = Callable[[pa.Table], pa.Table]

TABLE_PREFIX = "table:"
"""How a catalog table is named on the command line: ``--current table:db.name``."""

FIRST_BATCH_ROWS = 10_000
"""Rows of the first batch the schema check reads (a ``limit``, not a partition)."""


def quoted_column(name: str) -> Any:
    """A Spark column reference that takes ``name`` literally (dots, spaces, backticks)."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


class SparkSource:
    """A Spark DataFrame read as record batches; ``convert`` (run on the executors) turns
    each of its Arrow batches into the rows driftscope reads, of schema ``arrow_schema``."""

    def __init__(self, frame: Any, name: str, arrow_schema: pa.Schema | None = None,
                 convert: Convert | None = None, batch_rows: int = 262_144) -> None:
        self.frame = frame
        self.name = name
        self.convert = convert
        self.batch_rows = batch_rows
        if arrow_schema is None:
            from pyspark.sql.pandas.types import to_arrow_schema

            arrow_schema = to_arrow_schema(frame.schema)
        self._schema = arrow_schema
        self._rows: int | None = None

    def __getstate__(self) -> dict[str, Any]:
        # a closure shipped to the executors may hold the source (for its name): the
        # DataFrame stays on the driver
        return {"name": self.name, "_schema": self._schema, "convert": None, "frame": None,
                "batch_rows": self.batch_rows, "_rows": self._rows}

    @property
    def schema(self) -> pa.Schema:
        return self._schema

    @property
    def num_rows(self) -> int:
        if self._rows is None:
            self._rows = int(self.frame.count())
        return self._rows

    def typed(self) -> Any:
        """The DataFrame with ``convert`` applied (on the executors): driftscope's types."""
        if self.convert is None:
            return self.frame
        return converted(self.frame, self.convert, self._schema)

    def first_batch(self, rows: int = FIRST_BATCH_ROWS) -> pa.Table:
        """The first ``rows`` rows (what the schema check looks at)."""
        from driftscope.backends.spark_session import quiet_pyspark

        with quiet_pyspark():  # the limit before the conversion: no Python worker is cut off
            first = self.frame.limit(rows)
            if self.convert is not None:
                first = converted(first, self.convert, self._schema)
            return _as_table(first.collect(), self._schema)

    def sample_rows(self, rows: int, seed: int = 0) -> pa.Table:
        """About ``rows`` rows drawn (seeded, Bernoulli) from the whole side, not its first
        partition: what the driver prepares itself when a model runs on the executors."""
        from driftscope.backends.spark_session import quiet_pyspark

        with quiet_pyspark():
            total = self.num_rows
            picked = self.frame
            if total > rows:  # a little over, then down to ``rows`` evenly over those drawn
                picked = picked.sample(False, min(1.0, 1.2 * rows / total), seed)
            if self.convert is not None:
                picked = converted(picked, self.convert, self._schema)
            drawn = _as_table(picked.collect(), self._schema)
        if drawn.num_rows > rows:
            import numpy as np

            keep = np.random.default_rng(seed).choice(drawn.num_rows, rows, replace=False)
            drawn = drawn.take(pa.array(np.sort(keep)))
        return drawn

    def batches(self, columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
        """The rows brought to the driver as Arrow batches, a partition at a time, cut to at
        most ``batch_rows`` rows."""
        names = list(self._schema.names) if columns is None else list(columns)
        schema = pa.schema([self._schema.field(n) for n in names])
        if not names:  # no column to carry the rows: only their count
            yield pa.table({"_": pa.nulls(self.num_rows)}).drop_columns(["_"])
            return
        for part in arrow_partitions(self.typed(), schema):
            for start in range(0, part.num_rows, self.batch_rows):
                yield part.slice(start, self.batch_rows)

    def column(self, name: str) -> pa.ChunkedArray:
        """One column, whole, on the driver (for backends that hold a column; the ``spark``
        backend never calls it)."""
        if name not in self._schema.names:
            raise InputError(f"{self.name}: no column {name!r}")
        chunks = [b.column(0) for b in self.batches([name])]
        field = self._schema.field(name)
        return pa.chunked_array([c for ch in chunks for c in ch.chunks], type=field.type)


def _as_blobs(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Each Arrow batch as one row holding its IPC bytes (columns brought home fast)."""
    for batch in batches:
        if batch.num_rows == 0:
            continue
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, batch.schema) as writer:
            writer.write_batch(batch)
        yield pa.RecordBatch.from_pydict({"blob": [sink.getvalue().to_pybytes()]})


def arrow_partitions(frame: Any, schema: pa.Schema) -> Iterator[pa.Table]:
    """The columns of ``schema`` of the Spark DataFrame ``frame`` on the driver, as Arrow
    tables of that schema, one partition at a time (Arrow IPC, not rows)."""
    from driftscope.backends.spark_session import quiet_pyspark

    with quiet_pyspark():
        small = frame.select(*[quoted_column(n) for n in schema.names])
        blobs = small.mapInArrow(_as_blobs, "blob binary")
        found = blobs.toLocalIterator(prefetchPartitions=False)
    for row in found:
        with pa.ipc.open_stream(bytes(row[0])) as reader:
            yield reader.read_all().cast(schema)


def gather_columns(frame: Any, schema: pa.Schema) -> pa.Table:
    """The few columns of ``schema`` of ``frame`` on the driver, whole (see
    :func:`arrow_partitions`)."""
    parts = list(arrow_partitions(frame, schema))
    return pa.concat_tables(parts) if parts else schema.empty_table()


def _as_table(rows: Sequence[Sequence[Any]], schema: pa.Schema) -> pa.Table:
    if not schema.names:
        return pa.table({"_": pa.nulls(len(rows))}).drop_columns(["_"])
    arrays = [pa.array([r[i] for r in rows], type=f.type) for i, f in enumerate(schema)]
    return pa.Table.from_arrays(arrays, schema=schema)


def spark_type_schema(schema: pa.Schema) -> Any:
    """The Spark schema of an Arrow schema (Spark's own mapping)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    try:
        return from_arrow_schema(schema)
    except TypeError as err:
        raise InputError(f"a column type Spark cannot hold ({err}); cast it in the data"
                         ) from None


def spark_safe(schema: pa.Schema) -> pa.Schema:
    """``schema`` as Spark takes it back from Python: timestamps in microseconds (Spark's
    Arrow reader refuses seconds, milliseconds and nanoseconds)."""
    fields = [f.with_type(pa.timestamp("us", f.type.tz)) if pa.types.is_timestamp(f.type)
              and f.type.unit != "us" else f for f in schema]
    return pa.schema(fields)


def converted(frame: Any, convert: Convert, schema: pa.Schema) -> Any:
    """``frame`` with ``convert`` applied to its Arrow batches on the executors."""
    safe = spark_safe(schema)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            out = convert(pa.Table.from_batches([batch]))
            yield from (out if out.schema == safe else out.cast(safe)).to_batches()

    from driftscope.backends.spark_session import quiet_pyspark

    with quiet_pyspark():
        return frame.mapInArrow(run, spark_type_schema(safe))


def open_spark(target: Any, session: Any, name: str | None = None,
               batch_rows: int = 262_144) -> SparkSource:
    """A Spark DataFrame, a ``table:db.name`` or a path (a file or folder of CSV or Parquet)
    as a :class:`SparkSource` read by ``session``."""
    from driftscope.backends.spark_session import is_spark_frame

    if is_spark_frame(target):
        return SparkSource(target, name or "<Spark DataFrame>", batch_rows=batch_rows)
    text = str(target)
    if text.startswith(TABLE_PREFIX):
        table = text[len(TABLE_PREFIX):]
        try:
            frame = session.table(table)
        except Exception as err:
            first = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
            raise InputError(f"{text}: Spark cannot read the table ({first}); check the name "
                             "(db.table) and the session's catalog") from None
        return SparkSource(frame, name or text, batch_rows=batch_rows)
    return read_files(Path(text), session, name or text, batch_rows)


def read_files(path: Path, session: Any, name: str, batch_rows: int = 262_144) -> SparkSource:
    """CSV or Parquet files read by Spark, typed as driftscope types them: the files are
    checked and their schema decided on the driver (:func:`open_dataset`), and each batch is
    converted to it on the executors."""
    import pyarrow.dataset as ds

    from driftscope.inputs.datasets import data_files, open_dataset

    files = data_files(path)
    dataset = open_dataset(files, path)
    schema = dataset.schema
    paths = [str(f.resolve()) for f in files]
    fmt = dataset.format
    if isinstance(fmt, ds.CsvFileFormat):
        delimiter = fmt.parse_options.delimiter
        frame = (session.read.option("header", "true").option("sep", delimiter)
                 .option("quote", '"').option("escape", '"').option("inferSchema", "false")
                 .option("mode", "FAILFAST").csv(paths))
        if schema.names and schema.names[0] == "":  # pandas' unnamed index: not data
            frame = frame.drop(frame.columns[0])
            schema = schema.remove(0)
        return SparkSource(frame, name, schema, csv_typing(schema), batch_rows)
    frame = session.read.parquet(*paths)
    return SparkSource(frame, name, schema, cast_to(schema), batch_rows)


def cast_to(schema: pa.Schema) -> Convert:
    """Each batch as ``schema`` (a folder's numbers widened to float64)."""

    def convert(table: pa.Table) -> pa.Table:
        table = table.select(schema.names)
        return table if table.schema == schema else table.cast(schema)

    return convert


def csv_typing(schema: pa.Schema) -> Convert:
    """Spark's CSV text (every column a string) typed exactly as driftscope's CSV reader types
    it: each batch is written back as CSV and parsed by pyarrow with the column types decided
    on the driver and driftscope's options (the same null spellings, booleans and numbers)."""

    def convert(table: pa.Table) -> pa.Table:
        import pyarrow.csv as pacsv

        table = table.select(schema.names)
        if table.num_rows == 0:
            return schema.empty_table()
        text = pa.table([c.cast(pa.string()) for c in table.columns], names=schema.names)
        buf = io.BytesIO()
        pacsv.write_csv(text, buf, pacsv.WriteOptions(quoting_style="all_valid"))
        buf.seek(0)
        out = pacsv.read_csv(
            buf,
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={f.name: f.type for f in schema}, strings_can_be_null=True))
        return out.select(schema.names)

    return convert


def open_spark_side(data: Any, cfg: Any, role: str, source: str | None = None
                    ) -> SparkSource | None:
    """``data`` (one side of a round) as a :class:`SparkSource` when Spark should read it:
    a Spark DataFrame (which needs ``backend: spark``), or, with ``backend: spark``, a path or
    a ``table:db.name``; None for what the engine reads itself (tables in memory, SQL)."""
    import os

    from driftscope.backends.spark_session import is_spark_frame, quiet_pyspark, spark_session
    from driftscope.errors import ConfigError

    if is_spark_frame(data):
        if cfg.backend != "spark":
            raise ConfigError(f"{role}: a Spark DataFrame is profiled by the spark backend; "
                              "pass backend='spark' (or --backend spark)")
        with quiet_pyspark():
            spark_session(cfg.spark_master)  # the master asked for must be the one running
            return SparkSource(data, source or "<Spark DataFrame>", batch_rows=cfg.batch_rows)
    if cfg.backend == "spark" and isinstance(data, (str, os.PathLike)):
        with quiet_pyspark():
            return open_spark(data, spark_session(cfg.spark_master), source, cfg.batch_rows)
    if isinstance(data, str) and data.startswith(TABLE_PREFIX):
        raise ConfigError(f"{role}: {data!r} names a Spark table; read it with --backend spark")
    return None


def reference_table(src: SparkSource, needs_rows: bool) -> pa.Table:
    """What the baseline build reads of a Spark reference on the driver when neither the
    executors' scoring nor the logged columns' read prepares it (out-of-fold reference
    predictions, a sample the model cannot score): its rows (streamed a batch at a time, then
    held), else only its schema (the profiles are computed on the cluster)."""
    if not needs_rows:
        return src.schema.empty_table()
    batches = list(src.batches())
    return pa.concat_tables(batches) if batches else src.schema.empty_table()


def wants_spark(data: Any, cfg: Any) -> bool:
    """Whether :func:`open_spark_side` should see ``data``: with ``backend: spark``, a Spark
    DataFrame, or a ``table:`` name (refused without the spark backend)."""
    return (cfg.backend == "spark" or type(data).__module__.startswith("pyspark")
            or (isinstance(data, str) and data.startswith(TABLE_PREFIX)))
