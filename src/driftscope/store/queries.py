"""Reading the history: rounds, series of columns over rounds, bins, performance, profiles.

Rounds are ordered by ``started_at`` (normalised to UTC), then by the order they were
recorded; every list comes oldest first, newest last. ``last`` always means the newest
``last`` rounds and must be a whole number from 1 to :data:`MAX_LAST`.

A column's metrics (:attr:`SeriesPoint.metrics`) are the metric columns of its
``driftscope_columns`` row plus its rows of ``driftscope_column_metrics``: every field any
registered metric reported, without a migration per metric.

:class:`HistoryQueries` holds the read methods of :class:`~driftscope.store.HistoryStore`;
each reads in one transaction, so it sees a round whole or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from driftscope.errors import ConfigError, HistoryError
from driftscope.result import RunResult, Severity
from driftscope.store import schema
from driftscope.store.engine import Database
from driftscope.store.errors import RunNotFoundError, one_line
from driftscope.store.records import (
    BinSeriesPoint,
    PerformancePoint,
    RunSummary,
    SeriesPoint,
    StoredBin,
    point_of,
    summary_of,
)

if TYPE_CHECKING:
    from driftscope.profile.model import ColumnProfile

__all__ = ["MAX_LAST", "HistoryQueries", "check_last", "shown"]

MAX_LAST = 2**63 - 1
"""The largest ``last``: the largest LIMIT SQLite and PostgreSQL take (a signed 64-bit int)."""


def shown(value: Any, limit: int = 40) -> str:
    """``repr(value)`` cut at ``limit`` characters (ints too long to print included)."""
    try:
        text = repr(value)
    except ValueError:  # an int beyond Python's digit limit for str()
        return "a number too long to print"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_last(last: int) -> int:
    """``last`` when it is an int from 1 to :data:`MAX_LAST`, else a one-line ConfigError."""
    if isinstance(last, bool) or not isinstance(last, int) or not 1 <= last <= MAX_LAST:
        raise ConfigError(
            f"last must be a whole number of rounds from 1 to {MAX_LAST}, got {shown(last)}"
        )
    return last


def _newest_first(runs: Any) -> list[Any]:
    return [runs.c.sort_key.desc(), runs.c.seq.desc()]


def _newest_seqs(runs: Any, last: int) -> Any:
    """The ``seq`` of the newest ``last`` rounds, as a subquery for ``IN``."""
    from sqlalchemy import select

    query = select(runs.c.seq).order_by(*_newest_first(runs)).limit(check_last(last))
    return query.scalar_subquery()


def _header(runs: Any) -> list[Any]:
    """The columns of a round that every series point carries."""
    return [runs.c.run_id, runs.c.started_at, runs.c.window_start, runs.c.window_end,
            runs.c.baseline, runs.c.status.label("run_status")]


def _extra_metrics(conn: Any, *conditions: Any) -> dict[tuple[int, int], dict[str, Any]]:
    """The metric fields stored as rows (``driftscope_column_metrics``) of the columns that
    meet ``conditions`` (on ``driftscope_columns``), keyed by (run_seq, position), each
    column's fields by name."""
    from sqlalchemy import and_, select

    t = schema.tables()
    cols, extra = t["columns"], t["column_metrics"]
    query = (
        select(extra.c.run_seq, extra.c.column_position, extra.c.field, extra.c.value)
        .join(cols, and_(cols.c.run_seq == extra.c.run_seq,
                         cols.c.position == extra.c.column_position))
        .where(*conditions)
        .order_by(extra.c.run_seq, extra.c.column_position, extra.c.field)
    )
    out: dict[tuple[int, int], dict[str, Any]] = {}
    for seq, position, name, value in conn.execute(query):
        out.setdefault((int(seq), int(position)), {})[str(name)] = value
    return out


def _point(row: Any, extras: dict[tuple[int, int], dict[str, Any]]) -> SeriesPoint:
    return point_of(row, extras.get((int(row["run_seq"]), int(row["position"]))))


class HistoryQueries:
    """The read methods of the history store (see :class:`driftscope.store.HistoryStore`)."""

    _db: Database
    url: str

    def _ordered_runs(self, last: int | None) -> Any:
        from sqlalchemy import select

        runs = schema.tables()["runs"]
        query = select(runs).order_by(*_newest_first(runs))
        return query if last is None else query.limit(check_last(last))

    def runs(self, last: int | None = None) -> list[RunSummary]:
        """The stored rounds, oldest first (newest last).

        Parameters
        ----------
        last : int, optional
            Only the newest ``last`` rounds.

        Returns
        -------
        list of RunSummary
        """
        with self._db.transaction(write=False) as conn:
            rows = conn.execute(self._ordered_runs(last)).mappings().all()
        return [summary_of(row) for row in reversed(rows)]

    def __len__(self) -> int:
        from sqlalchemy import func, select

        with self._db.transaction(write=False) as conn:
            runs = schema.tables()["runs"]
            return int(conn.execute(select(func.count()).select_from(runs)).scalar())

    def run_ids(self, last: int | None = None) -> list[str]:
        """Run ids, oldest first."""
        return [r.run_id for r in self.runs(last)]

    def contains(self, run_id: str) -> bool:
        """Whether a round with this run id is stored."""
        with self._db.transaction(write=False) as conn:
            return self._seq(conn, run_id) is not None

    @staticmethod
    def _seq(conn: Any, run_id: str) -> int | None:
        """The ``seq`` of a stored round, None when it is not stored."""
        from sqlalchemy import select

        runs = schema.tables()["runs"]
        found = conn.execute(select(runs.c.seq).where(runs.c.run_id == run_id).limit(1)).first()
        return None if found is None else int(found[0])

    def _not_found(self, run_id: str) -> RunNotFoundError:
        return RunNotFoundError(
            f"no round with run id {run_id!r} in the history at {self.url}; "
            "`driftscope history` lists the stored rounds"
        )

    def load(self, run_id: str) -> RunResult:
        """The full result of one stored round.

        Raises
        ------
        RunNotFoundError
            When no round has that id.
        HistoryError
            When the stored JSON cannot be read back.
        """
        from sqlalchemy import select

        runs = schema.tables()["runs"]
        with self._db.transaction(write=False) as conn:
            text = conn.execute(select(runs.c.result_json).where(runs.c.run_id == run_id)).scalar()
        if text is None:
            raise self._not_found(run_id)
        return self._result(run_id, text)

    def _result(self, run_id: str, text: str) -> RunResult:
        from driftscope.errors import DriftscopeError

        try:
            return RunResult.from_json(text)
        except (DriftscopeError, ValueError, KeyError, TypeError) as exc:
            raise HistoryError(f"round {run_id!r} in the history at {self.url} cannot be read "
                               f"back: {one_line(exc)}") from None

    def latest(self) -> RunResult | None:
        """The newest round, or None when the history is empty."""
        with self._db.transaction(write=False) as conn:
            row = conn.execute(self._ordered_runs(1)).mappings().first()
        return None if row is None else self._result(row["run_id"], row["result_json"])

    def series(
        self,
        names: Sequence[str] | None = None,
        *,
        last: int | None = None,
        origins: Sequence[str] | None = None,
    ) -> list[SeriesPoint]:
        """Columns over the newest ``last`` rounds, oldest round first.

        Parameters
        ----------
        names : sequence of str, optional
            Only these column names (default all).
        last : int, optional
            Only the newest ``last`` rounds.
        origins : sequence of str, optional
            Only these origins (``raw``, ``engineered``, ``prediction``,
            ``predicted_class``, ``target``).

        Returns
        -------
        list of SeriesPoint
            Ordered by round, then by the column's position in the round.
        """
        from sqlalchemy import select

        t = schema.tables()
        runs, cols = t["runs"], t["columns"]
        conditions = []
        if names is not None:
            conditions.append(cols.c.name.in_(list(names)))
        if origins is not None:
            conditions.append(cols.c.origin.in_(list(origins)))
        if last is not None:
            conditions.append(cols.c.run_seq.in_(_newest_seqs(runs, last)))
        query = (select(cols, *_header(runs)).join(runs, runs.c.seq == cols.c.run_seq)
                 .where(*conditions)
                 .order_by(runs.c.sort_key, runs.c.seq, cols.c.position))
        with self._db.transaction(write=False) as conn:
            rows = conn.execute(query).mappings().all()
            extras = _extra_metrics(conn, *conditions)
        return [_point(row, extras) for row in rows]

    def feature_series(
        self, name: str, last: int | None = None, *, origin: str | None = None
    ) -> list[SeriesPoint]:
        """One column's values over the rounds that have it, oldest first.

        Parameters
        ----------
        name : str
            Column name.
        last : int, optional
            Only the newest ``last`` points.
        origin : str, optional
            Restrict to one origin. By default, when a round has a feature and the prediction
            (or target) of the same name, the feature is taken.

        Returns
        -------
        list of SeriesPoint
            Empty when no round has that column.
        """
        from sqlalchemy import case, select

        t = schema.tables()
        runs, cols = t["runs"], t["columns"]
        feature_first = case((cols.c.origin.in_(schema.FEATURE_ORIGINS), 0), else_=1)
        conditions = [cols.c.name == name]
        if origin is not None:
            conditions.append(cols.c.origin == origin)
        query = (
            select(cols, *_header(runs))
            .join(runs, runs.c.seq == cols.c.run_seq)
            .where(*conditions)
            .order_by(*_newest_first(runs), feature_first, cols.c.position)
        )
        limit = None if last is None else check_last(last)
        with self._db.transaction(write=False) as conn:
            rows = conn.execute(query).mappings().all()
            extras = _extra_metrics(conn, *conditions)
        points: list[SeriesPoint] = []
        seen: set[int] = set()
        for row in rows:  # newest round first; its first row is the preferred column
            if row["run_seq"] in seen:
                continue
            seen.add(row["run_seq"])
            points.append(_point(row, extras))
            if limit is not None and len(points) >= limit:
                break
        points.reverse()
        return points

    def bin_series(
        self, name: str, last: int | None = None, *, origin: str | None = None
    ) -> list[BinSeriesPoint]:
        """One column's bins over the rounds that have it, oldest first (the same rounds
        and the same column of each as :meth:`feature_series`)."""
        from sqlalchemy import and_, select

        points = self.feature_series(name, last, origin=origin)
        if not points:
            return []
        t = schema.tables()
        runs, cols, bins = t["runs"], t["columns"], t["bins"]
        wanted = {(p.run_id, p.origin) for p in points}
        query = (
            select(bins, runs.c.run_id, runs.c.started_at, cols.c.origin)
            .join(cols, and_(cols.c.run_seq == bins.c.run_seq,
                             cols.c.position == bins.c.column_position))
            .join(runs, runs.c.seq == bins.c.run_seq)
            .where(cols.c.name == name, runs.c.run_id.in_([p.run_id for p in points]))
            .order_by(runs.c.sort_key, runs.c.seq, bins.c.position)
        )
        with self._db.transaction(write=False) as conn:
            rows = conn.execute(query).mappings().all()
        grouped: dict[str, list[StoredBin]] = {p.run_id: [] for p in points}
        for row in rows:
            if (row["run_id"], row["origin"]) in wanted:
                grouped[row["run_id"]].append(StoredBin(
                    label=row["label"],
                    kind=row["kind"],
                    lower=row["lower"],
                    upper=row["upper"],
                    reference_count=int(row["reference_count"]),
                    current_count=int(row["current_count"]),
                    reference_share=row["reference_share"],
                    current_share=row["current_share"],
                    psi_contribution=row["psi_contribution"],
                ))
        return [BinSeriesPoint(p.run_id, p.started_at, tuple(grouped[p.run_id])) for p in points]

    def performance_series(
        self, metric: str | None = None, last: int | None = None
    ) -> list[PerformancePoint]:
        """Performance metrics over the newest ``last`` rounds, oldest first."""
        from sqlalchemy import select

        t = schema.tables()
        runs, perf = t["runs"], t["performance"]
        query = select(
            perf, runs.c.run_id, runs.c.started_at, runs.c.window_start, runs.c.window_end
        ).join(runs, runs.c.seq == perf.c.run_seq)
        if metric is not None:
            query = query.where(perf.c.metric == metric)
        if last is not None:
            query = query.where(perf.c.run_seq.in_(_newest_seqs(runs, last)))
        query = query.order_by(runs.c.sort_key, runs.c.seq, perf.c.metric)
        with self._db.transaction(write=False) as conn:
            rows = conn.execute(query).mappings().all()
        return [
            PerformancePoint(
                run_id=row["run_id"],
                started_at=row["started_at"],
                metric=row["metric"],
                current=row["current"],
                estimated=row["estimated"],
                baseline=row["baseline"],
                relative_change=row["relative_change"],
                status=Severity(row["status"]),
                window_start=row["window_start"],
                window_end=row["window_end"],
            )
            for row in rows
        ]

    def column_names(self, origins: Sequence[str] | None = None) -> list[str]:
        """Distinct column names in the history, sorted."""
        from sqlalchemy import select

        cols = schema.tables()["columns"]
        query = select(cols.c.name).distinct()
        if origins is not None:
            query = query.where(cols.c.origin.in_(list(origins)))
        with self._db.transaction(write=False) as conn:
            return sorted(str(v) for v in conn.execute(query).scalars())

    def profiles(self, run_id: str) -> dict[str, ColumnProfile]:
        """The column profiles stored for one round, keyed by column name, in the order
        they were recorded (see :meth:`HistoryStore.record_profiles`).

        Returns
        -------
        dict of str to NumericProfile or CategoricalProfile
            Empty when the round is stored without profiles. Numerical profiles come back
            without ``sorted_values`` (they are never stored).

        Raises
        ------
        RunNotFoundError
            When no round has that id.
        HistoryError
            When a stored profile cannot be read back.
        """
        from sqlalchemy import select

        from driftscope.store.profiles import profile_of

        table = schema.tables()["profiles"]
        with self._db.transaction(write=False) as conn:
            seq = self._seq(conn, run_id)
            if seq is None:
                raise self._not_found(run_id)
            rows = conn.execute(
                select(table).where(table.c.run_seq == seq).order_by(table.c.position)
            ).mappings().all()
        out: dict[str, ColumnProfile] = {}
        for row in rows:
            try:
                out[row["name"]] = profile_of(row)
            except (KeyError, TypeError, ValueError) as exc:
                raise HistoryError(
                    f"the profile of {row['name']!r} in round {run_id!r} in the history at "
                    f"{self.url} cannot be read back: {one_line(exc)}"
                ) from None
        return out
