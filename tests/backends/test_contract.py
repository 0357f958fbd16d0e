"""The backend contract, checked for every registered backend (in the spirit of
scikit-learn's ``parametrize_with_checks``): a backend registered later (``spark``) is checked
here without a line of this file changing.

Every check runs over ``backend_names()`` × four sources of the same rows (a table in memory,
a Parquet file of small row groups read in many small batches, a CSV file, a folder of two
Parquet files) × ``ks: exact`` and ``ks: approximate``:

(a) the reference side (``reference=None``) equals the local backend on the whole table —
    exactly with ``ks: exact`` (a column at a time: bins, counts, moments, the 101
    percentiles and the sorted values), and with ``ks: approximate`` exact counts under a
    valid binning fitted from a sketch (value bins exact), moments to floating-point rounding;
(b) the current side, under the reference's binning, counts what the local backend counts;
(c) the merge of the profiles of two parts is the profile of their union;
(d) identical samples show no drift in any registered metric;
(e) the exact KS equals scipy's; the approximate KS is within its stated error bound of it.

The ``spark`` backend (run on ``local[2]``, marked ``spark`` and ``slow``) never holds the
sorted values, so ``ks`` does not change what it computes: it is checked in one ks mode, with
the exact bins, counts, percentiles and distinct counts of (a) and (b), moments equal up to
the rounding of merging partitions, and its KS (always from sketches) within the stated bound.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from scipy import stats

from driftscope.backends import (
    ProfileSettings,
    backend_names,
    get_backend,
    register_backend,
)
from driftscope.backends.local import FLOAT_EXACT, numeric_values
from driftscope.compare.column import compare_column
from driftscope.compare.registry import MetricValue, registered
from driftscope.errors import ConfigError, DriftscopeError
from driftscope.inputs.batches import BatchSource, FileSource, TableSource
from driftscope.profile.binning import DECILES, bin_counts, finite_part
from driftscope.profile.model import (
    CategoricalProfile,
    ColumnProfile,
    DatasetProfile,
    Moments,
    NumericProfile,
)
from driftscope.profile.spec import ColumnSpec

BACKENDS = backend_names()
KS_MODES = ("exact", "approximate")
SPARK = "spark"
SPARK_MARKS = (pytest.mark.spark, pytest.mark.slow,
               pytest.mark.skipif(find_spec("pyspark") is None,
                                  reason="needs pyspark: pip install 'driftscope[spark]'"))


def marks_for(*backends: str) -> tuple[Any, ...]:
    return SPARK_MARKS if SPARK in backends else ()


def backend_params(exclude: tuple[str, ...] = ()) -> list[Any]:
    return [pytest.param(b, marks=marks_for(b), id=b) for b in BACKENDS if b not in exclude]


def modes_of(backend: str) -> tuple[str, ...]:
    """The ks modes a backend is checked in: Spark computes the same in both."""
    return KS_MODES[:1] if backend == SPARK else KS_MODES


def cases(kinds: tuple[str, ...]) -> list[Any]:
    """(backend, source kind, ks mode) combinations, Spark's marked."""
    return [pytest.param(b, kind, ks, marks=marks_for(b), id=f"{b}-{kind}-{ks}")
            for b in BACKENDS for kind in kinds for ks in modes_of(b)]
SOURCES = ("table", "parquet", "csv", "folder")
BATCH_ROWS = 250
SPLIT = 2400
"""Where the rows are cut in two: the two files of the folder source, the two parts merged."""

SPECS = (
    ColumnSpec("wide", "numerical"),  # many distinct values, NaN, ±inf: decile bins
    ColumnSpec("few", "numerical"),  # five distinct values, NaN: value bins
    ColumnSpec("ints", "numerical"),  # 30 distinct integers, ties: decile bins with ties
    ColumnSpec("empty", "numerical"),  # every value missing
    ColumnSpec("big", "numerical"),  # int64 beyond ±2^53, missing values
    ColumnSpec("text", "categorical"),  # text with missing values
    ColumnSpec("code", "categorical"),  # integer categories with missing values
    ColumnSpec("flag", "categorical"),  # booleans with missing values
)
NUMERICAL = tuple(s.name for s in SPECS if s.type == "numerical")
CATEGORICAL = tuple(s.name for s in SPECS if s.type == "categorical")


def make_table(n: int, seed: int, shift: float = 0.0, few: tuple[float, ...] = (
        0.0, 1.5, 2.0, 7.0, 9.0), ints: tuple[int, int] = (0, 30)) -> pa.Table:
    rng = np.random.default_rng(seed)
    wide = rng.normal(shift, 1.0, n)
    wide[rng.random(n) < 0.03] = np.nan
    wide[rng.choice(n, 4, replace=False)] = np.inf
    wide[rng.choice(n, 3, replace=False)] = -np.inf
    few_values = rng.choice(np.asarray(few), n)
    few_values[rng.random(n) < 0.05] = np.nan
    big = (2**60 + rng.integers(0, 10**7, n)).astype(np.int64)
    small = rng.random(n) < 0.1
    big[small] = rng.integers(-1000, 1000, int(small.sum()))
    big[rng.random(n) < 0.01] = -(2**55) - 1
    big_missing = rng.random(n) < 0.02
    text = rng.choice(np.asarray(["red", "green", "blue", "ünï", "a,b"]), n).astype(object)
    text[rng.random(n) < 0.04] = None
    code = rng.integers(1, 7, n)
    code_missing = rng.random(n) < 0.03
    flag = rng.random(n) < 0.3
    flag_missing = rng.random(n) < 0.02
    return pa.table({
        "wide": wide,
        "few": few_values,
        "ints": rng.integers(*ints, n).astype(np.int64),
        "empty": pa.array([None] * n, pa.float64()),
        "big": pa.array(big, mask=big_missing),
        "text": pa.array(text.tolist(), pa.string()),
        "code": pa.array(code, mask=code_missing),
        "flag": pa.array(flag, mask=flag_missing),
    })


N = 6000
TABLE = make_table(N, 0)
OTHER = make_table(4000, 1, shift=0.4, few=(0.0, 2.0, 9.0), ints=(5, 40))
"""Another sample whose bins the current side is profiled under: shifted, fewer values."""


def write(kind: str, table: pa.Table, where: Path) -> Path:
    """``table`` as a file (or folder) of ``kind``; returns the path to read."""
    where.mkdir(parents=True, exist_ok=True)
    if kind == "parquet":
        path = where / "data.parquet"
        pq.write_table(table, path, row_group_size=700)
        return path
    if kind == "csv":
        path = where / "data.csv"
        pacsv.write_csv(table, path)
        return path
    assert kind == "folder"
    folder = where / "parts"
    folder.mkdir()
    cut = min(SPLIT, table.num_rows // 2)
    pq.write_table(table.slice(0, cut), folder / "part-0.parquet", row_group_size=500)
    pq.write_table(table.slice(cut), folder / "part-1.parquet", row_group_size=900)
    return folder


class Sources:
    """The same rows from each kind of source (files written once per test session)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._paths: dict[tuple[str, str], Path] = {}

    def get(self, kind: str, part: str = "all") -> BatchSource:
        table = {"all": TABLE, "a": TABLE.slice(0, SPLIT), "b": TABLE.slice(SPLIT)}[part]
        if kind == "table":
            return TableSource(table)
        key = (kind, part)
        if key not in self._paths:
            self._paths[key] = write(kind, table, self.root / f"{kind}-{part}")
        return FileSource(self._paths[key], batch_rows=BATCH_ROWS)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Sources:
    return Sources(tmp_path_factory.mktemp("contract"))


def profile(backend: str, source: BatchSource, reference: DatasetProfile | None = None,
            ks: str = "exact", specs: tuple[ColumnSpec, ...] = SPECS) -> DatasetProfile:
    if backend == SPARK:  # one session for the whole test run (started once, reused)
        from driftscope.backends.spark_session import spark_session

        spark_session("local[2]")
    return get_backend(backend).profile(
        source, specs, None if reference is None else reference.columns,
        ProfileSettings(ks=ks))  # type: ignore[arg-type]


LOCAL_REFERENCE = profile("local", TableSource(TABLE))
LOCAL_OTHER = profile("local", TableSource(OTHER))
LOCAL_CURRENT = profile("local", TableSource(TABLE), LOCAL_OTHER)


def numeric(p: ColumnProfile) -> NumericProfile:
    assert isinstance(p, NumericProfile)
    return p


def categorical(p: ColumnProfile) -> CategoricalProfile:
    assert isinstance(p, CategoricalProfile)
    return p


def assert_same_or_none(a: np.ndarray | None, b: np.ndarray | None) -> None:
    assert (a is None) == (b is None)
    if a is not None:
        assert np.array_equal(a, b)


def assert_moments_close(have: Moments, want: Moments, squares: float) -> None:
    """Equal up to the rounding of merging batches: relative 1e-12 of the sizes involved
    (the mean against the largest magnitude, the sum of squared deviations against the sum
    of squares, which is what its rounding scales with); count, min and max exactly."""
    assert have.count == want.count and have.min == want.min and have.max == want.max
    scale = max(abs(want.min), abs(want.max)) if want.count else 0.0
    assert abs(have.mean - want.mean) <= 1e-12 * scale
    assert abs(have.m2 - want.m2) <= 1e-12 * squares + 1e-300


def squares_of(table: pa.Table, name: str) -> float:
    """Σx² of the finite values of a column (the scale of its moments' rounding)."""
    values = numeric_values(table.column(name))
    finite = values[np.isfinite(values)]
    return float(np.sum(finite * finite))


def assert_categories_equal(have: ColumnProfile, want: ColumnProfile) -> None:
    have, want = categorical(have), categorical(want)
    assert have.counts == want.counts
    assert list(have.counts) == list(want.counts)  # most frequent first, as a whole column
    assert have.missing == want.missing


def assert_valid_binning(prof: NumericProfile, sorted_values: np.ndarray) -> None:
    """A binning that could have been fitted on these values: value bins are values of the
    column, decile edges finite, increasing, inside the range, near the deciles."""
    finite = finite_part(sorted_values)
    b = prof.binning
    if b.kind == "value":
        assert list(b.values) == sorted(set(b.values))
        assert set(b.values) <= set(np.unique(finite).tolist())
        return
    edges = np.asarray(b.edges)
    assert len(edges) <= len(DECILES)
    if finite.size == 0:
        assert edges.size == 0
        return
    assert np.all(np.isfinite(edges)) and np.all(np.diff(edges) > 0)
    assert finite[0] <= edges.min() and edges.max() <= finite[-1]
    if len(edges) == len(DECILES):  # no ties collapsed: each edge is near its decile
        ranks = np.searchsorted(finite, edges, side="left") / finite.size
        assert np.max(np.abs(ranks - DECILES)) <= 0.02


# --- (a) the reference side -----------------------------------------------------------------


def test_the_local_backend_and_the_streaming_backend_are_registered() -> None:
    assert {"local", "streaming"} <= set(BACKENDS)
    with pytest.raises(ConfigError, match="unknown backend 'nope'; registered backends: "):
        get_backend("nope")
    with pytest.raises(ValueError, match="already registered"):
        register_backend("local", lambda: get_backend("local"))
    for name in BACKENDS:
        assert get_backend(name).name == name


def test_the_sources_hold_the_same_rows(sources: Sources) -> None:
    """The premise of every comparison below: each source reads back the table."""
    for kind in SOURCES:
        source = sources.get(kind)
        batches = list(source.batches())
        if kind != "table":
            assert len(batches) >= N // BATCH_ROWS and max(b.num_rows for b in batches) \
                <= BATCH_ROWS
        read = pa.concat_tables(batches)
        for name in TABLE.column_names:
            want, got = TABLE.column(name), read.column(name)
            if pa.types.is_floating(want.type):
                want = pc.if_else(pc.is_nan(want), None, want)
                if pa.types.is_floating(got.type):
                    got = pc.if_else(pc.is_nan(got), None, got)
            assert got.to_pylist() == want.to_pylist(), (kind, name)


@pytest.mark.parametrize(("backend", "kind", "ks"), cases(SOURCES))
def test_the_reference_side_profiles_like_the_local_backend(
        sources: Sources, backend: str, kind: str, ks: str) -> None:
    got = profile(backend, sources.get(kind), None, ks)
    assert got.rows == N
    assert list(got.columns) == [s.name for s in SPECS]
    for name in CATEGORICAL:
        assert_categories_equal(got.columns[name], LOCAL_REFERENCE.columns[name])
    for name in NUMERICAL:
        want, have = numeric(LOCAL_REFERENCE.columns[name]), numeric(got.columns[name])
        assert (have.missing, have.count, have.beyond_float) == \
            (want.missing, want.count, want.beyond_float), name
        values = want.load_values()
        assert values is not None
        if backend == SPARK:  # exact bins, counts and percentiles; a sketch, not the values
            assert have.binning == want.binning, name
            assert np.array_equal(have.counts, want.counts), name
            assert_same_or_none(have.quantiles, want.quantiles)
            assert (have.distinct, have.whole) == (want.distinct, want.whole), name
            assert_moments_close(have.moments, want.moments, squares_of(TABLE, name))
            assert not have.has_values
            assert have.sketch is not None or have.count == 0
            continue
        if ks == "exact":  # a column at a time: every number is the local backend's
            assert have.binning == want.binning, name
            assert np.array_equal(have.counts, want.counts), name
            assert have.moments == want.moments, name
            assert_same_or_none(have.quantiles, want.quantiles)
            assert have.has_values
            assert_same_or_none(have.load_values(), values)
            assert (have.distinct, have.whole) == (want.distinct, want.whole), name
            continue
        # approximate: bins fitted from a sketch, counted exactly under them
        assert_valid_binning(have, values)
        if want.binning.kind == "value" or finite_part(values).size == 0:
            assert have.binning == want.binning, name  # few distinct values: exact
        assert np.array_equal(have.counts, bin_counts(values, have.binning)), name
        assert_moments_close(have.moments, want.moments, squares_of(TABLE, name))
        assert have.has_values or have.sketch is not None or have.moments.count == 0
        if want.quantiles is None:
            assert have.quantiles is None
        else:
            q = have.quantiles
            assert q is not None and q.shape == (101,) and np.all(np.diff(q) >= 0)
            assert (q[0], q[-1]) == (want.quantiles[0], want.quantiles[-1])  # min, max
        assert have.distinct in (None, want.distinct) and have.whole in (None, want.whole)


def test_the_data_covers_the_cases() -> None:
    """The columns are what the checks above claim they are."""
    cols = LOCAL_REFERENCE.columns
    assert numeric(cols["wide"]).binning.kind == "quantile"
    assert len(numeric(cols["wide"]).binning.edges) == len(DECILES)
    assert numeric(cols["few"]).binning.kind == "value"
    assert numeric(cols["ints"]).binning.kind == "quantile"
    assert numeric(cols["empty"]).count == 0 and numeric(cols["empty"]).missing == N
    assert 0 < numeric(cols["big"]).beyond_float < N
    assert max(abs(numeric(cols["big"]).moments.min), numeric(cols["big"]).moments.max) \
        > FLOAT_EXACT
    assert np.isinf(numeric(cols["wide"]).load_values()).sum() == 7  # type: ignore[union-attr]
    for name in CATEGORICAL:
        assert categorical(cols[name]).missing > 0


@pytest.mark.parametrize("backend", backend_params())
def test_every_column_is_reported_done_once(backend: str) -> None:
    done: list[str] = []
    for ks in KS_MODES:
        done.clear()
        get_backend(backend).profile(TableSource(TABLE), SPECS, None, ProfileSettings(ks=ks),
                                     on_column=done.append)  # type: ignore[arg-type]
        assert sorted(done) == sorted(s.name for s in SPECS)


@pytest.mark.parametrize("only", ["numerical", "categorical", "none"])
@pytest.mark.parametrize(("backend", "kind", "ks"), cases(("table", "parquet")))
def test_the_row_count_does_not_depend_on_the_columns(sources: Sources, backend: str,
                                                      ks: str, kind: str, only: str) -> None:
    specs = tuple(s for s in SPECS if s.type == only)
    got = profile(backend, sources.get(kind), None, ks, specs)
    assert got.rows == N and list(got.columns) == [s.name for s in specs]


# --- (b) the current side, under the reference's bins ---------------------------------------


@pytest.mark.parametrize(("backend", "kind", "ks"), cases(SOURCES))
def test_the_current_side_counts_like_the_local_backend(
        sources: Sources, backend: str, kind: str, ks: str) -> None:
    got = profile(backend, sources.get(kind), LOCAL_OTHER, ks)
    assert got.rows == N
    for name in CATEGORICAL:
        assert_categories_equal(got.columns[name], LOCAL_CURRENT.columns[name])
    for name in NUMERICAL:
        want, have = numeric(LOCAL_CURRENT.columns[name]), numeric(got.columns[name])
        assert have.binning == want.binning == numeric(LOCAL_OTHER.columns[name]).binning
        assert np.array_equal(have.counts, want.counts), name
        assert (have.missing, have.count, have.beyond_float) == \
            (want.missing, want.count, want.beyond_float), name
        if backend == SPARK:
            assert_same_or_none(have.quantiles, want.quantiles)
            assert_moments_close(have.moments, want.moments, squares_of(TABLE, name))
            assert have.sketch is not None or have.count == 0
        elif ks == "exact":
            assert have.moments == want.moments, name
            assert_same_or_none(have.quantiles, want.quantiles)
            assert_same_or_none(have.load_values(), want.load_values())
        else:
            assert_moments_close(have.moments, want.moments, squares_of(TABLE, name))


def test_the_current_data_falls_in_every_kind_of_bin() -> None:
    few = numeric(LOCAL_CURRENT.columns["few"])
    k = len(few.binning.values)
    assert few.binning.values == (0.0, 2.0, 9.0)
    below, between, above = few.counts[k:]
    assert between > 0 and below == 0 and above == 0  # 1.5 and 7 lie between
    ints = numeric(LOCAL_CURRENT.columns["ints"])
    assert ints.counts[0] > 0  # below the shifted reference's first edge


# --- (c) merge ------------------------------------------------------------------------------


@pytest.mark.parametrize(("backend", "kind", "ks"), cases(SOURCES))
def test_the_merge_of_two_parts_is_the_profile_of_their_union(
        sources: Sources, backend: str, kind: str, ks: str) -> None:
    part_a = profile(backend, sources.get(kind, "a"), LOCAL_OTHER, ks)
    part_b = profile(backend, sources.get(kind, "b"), LOCAL_OTHER, ks)
    union = profile(backend, sources.get(kind), LOCAL_OTHER, ks)
    merged = part_a.merge(part_b)
    assert merged.rows == union.rows == N
    for name in CATEGORICAL:
        m, u = categorical(merged.columns[name]), categorical(union.columns[name])
        assert m.counts == u.counts and m.missing == u.missing
    for name in NUMERICAL:
        m, u = numeric(merged.columns[name]), numeric(union.columns[name])
        assert m.binning == u.binning
        assert np.array_equal(m.counts, u.counts), name
        assert (m.missing, m.count, m.beyond_float) == (u.missing, u.count, u.beyond_float)
        assert_moments_close(m.moments, u.moments, squares_of(TABLE, name))
        a, b = numeric(part_a.columns[name]), numeric(part_b.columns[name])
        if a.sorted_values is not None and b.sorted_values is not None:  # values held
            assert_same_or_none(m.sorted_values, u.load_values())
            assert_same_or_none(m.quantiles, u.quantiles)
        if a.sketch is not None and b.sketch is not None:
            assert m.sketch is not None and m.sketch.n == u.moments.count


def test_profiles_under_different_bins_do_not_merge() -> None:
    a = profile("local", TableSource(TABLE.slice(0, SPLIT)))
    b = profile("local", TableSource(TABLE.slice(SPLIT)))
    with pytest.raises(DriftscopeError, match="different bins"):
        a.merge(b)


# --- (d) identical samples: no drift in any metric ------------------------------------------


def _no_ks_drift(v: MetricValue, prof: ColumnProfile) -> None:
    if not isinstance(prof, NumericProfile) or prof.moments.count == 0:
        assert v.value is None and v.pvalue is None
        return
    if "error_bound" in v.extra:  # from a sketch: zero up to its stated error
        assert v.extra.get("approximate") is True
        assert 0.0 <= v.value <= v.extra["error_bound"]  # type: ignore[operator]
    else:
        assert v.value == 0.0 and v.pvalue == 1.0


def _zero_with_pvalue_one(v: MetricValue, prof: ColumnProfile) -> None:
    assert v.value == 0.0 and v.pvalue == 1.0


def _zero(v: MetricValue, prof: ColumnProfile) -> None:
    assert v.value == 0.0


def _same_missing_share(v: MetricValue, prof: ColumnProfile) -> None:
    assert v.value == v.extra["reference"] == prof.missing / prof.rows and v.pvalue == 1.0


ZERO_DRIFT: dict[str, Callable[[MetricValue, ColumnProfile], None]] = {
    "psi": _zero_with_pvalue_one,
    "jensen_shannon": _zero,
    "chi2": _zero_with_pvalue_one,
    "ks": _no_ks_drift,
    "missing_share": _same_missing_share,  # the current share: the reference's
    "unseen_share": _zero_with_pvalue_one,
}
"""What each registered metric reports on identical samples (given the reference's
profile); a new metric adds its entry here."""


def test_every_registered_metric_says_what_no_drift_looks_like() -> None:
    missing = set(registered()) - set(ZERO_DRIFT)
    assert not missing, (f"add the no-drift value of metric(s) {sorted(missing)} to "
                         "ZERO_DRIFT in tests/backends/test_contract.py")


def assert_no_drift(reference: DatasetProfile, current: DatasetProfile) -> None:
    for spec in SPECS:
        ref, cur = reference.columns[spec.name], current.columns[spec.name]
        comparison = compare_column(ref, cur, draws=200)
        assert set(comparison.values) == set(registered())
        for metric, value in comparison.values.items():
            for x in (value.value, value.pvalue):
                assert x is None or math.isfinite(x), (spec.name, metric, value)
            try:
                ZERO_DRIFT[metric](value, ref)
            except AssertionError as err:
                raise AssertionError(f"{spec.name}: {metric}: {value}") from err


@pytest.mark.parametrize(("backend", "kind", "ks"), cases(SOURCES))
def test_identical_samples_show_no_drift(sources: Sources, backend: str, kind: str,
                                         ks: str) -> None:
    source = sources.get(kind)
    reference = profile(backend, source, None, ks)
    assert_no_drift(reference, profile(backend, source, reference, ks))


SIDES = [(b, ks) for b in BACKENDS for ks in modes_of(b)]


@pytest.mark.parametrize(("ref_side", "cur_side"), [
    pytest.param(r, c, marks=marks_for(r[0], c[0]), id=f"{'-'.join(r)}-{'-'.join(c)}")
    for r, c in itertools.product(SIDES, repeat=2)])
def test_identical_samples_show_no_drift_across_backends(
        ref_side: tuple[str, str], cur_side: tuple[str, str]) -> None:
    """A baseline profiled by one backend, the current data by another."""
    reference = profile(ref_side[0], TableSource(TABLE), None, ref_side[1])
    assert_no_drift(reference, profile(cur_side[0], TableSource(TABLE), reference,
                                       cur_side[1]))


# --- (e) Kolmogorov–Smirnov against scipy ---------------------------------------------------


def _with_infinities(rng: np.random.Generator, values: np.ndarray, share: float
                     ) -> np.ndarray:
    out = values.copy()
    hit = rng.random(out.size) < share
    out[hit] = rng.choice([-np.inf, np.inf], int(hit.sum()), p=[0.1, 0.9])
    return out


def _samples(kind: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    n, m = 20_000, 15_000  # above scipy's exact-method limit: driftscope's own path
    if kind == "normal-shift":
        return rng.normal(0, 1, n), rng.normal(0.05, 1, m)
    if kind == "heavy-tails":
        return rng.standard_cauchy(n), 1.2 * rng.standard_cauchy(m)
    if kind == "discrete":
        return rng.poisson(3.0, n).astype(float), rng.poisson(3.2, m).astype(float)
    if kind == "same":
        return rng.lognormal(0, 1, n), rng.lognormal(0, 1, m)
    if kind == "infinities":  # mostly +inf: leaving them out would move D by 0.03 or more
        return (_with_infinities(rng, rng.normal(0, 1, n), 0.12),
                _with_infinities(rng, rng.normal(0, 1, m), 0.03))
    if kind == "missing":
        a, b = rng.exponential(1, n), rng.exponential(1.1, m)
        a[rng.random(n) < 0.1] = np.nan
        b[rng.random(m) < 0.3] = np.nan
        return a, b
    raise AssertionError(kind)


DISTRIBUTIONS = ("normal-shift", "heavy-tails", "discrete", "same", "infinities", "missing")


@pytest.fixture(scope="module")
def ks_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """Each pair of samples as Parquet files of small row groups (sketches merged often)."""
    root = tmp_path_factory.mktemp("ks")
    out = {}
    for kind in DISTRIBUTIONS:
        paths = []
        for side, values in zip(("ref", "cur"), _samples(kind)):
            path = root / f"{kind}-{side}.parquet"
            pq.write_table(pa.table({"x": values}), path, row_group_size=1500)
            paths.append(path)
        out[kind] = (paths[0], paths[1])
    return out


def _ks(paths: tuple[Path, Path], ref: tuple[str, str], cur: tuple[str, str]
        ) -> MetricValue:
    """KS of the two files, each side profiled by a (backend, ks mode)."""
    specs = (ColumnSpec("x", "numerical"),)
    reference = profile(ref[0], FileSource(paths[0], batch_rows=1500), None, ref[1], specs)
    current = profile(cur[0], FileSource(paths[1], batch_rows=1500), reference, cur[1], specs)
    return compare_column(reference.columns["x"], current.columns["x"],
                          draws=50).values["ks"]


def _scipy(kind: str) -> Any:
    a, b = _samples(kind)
    return stats.ks_2samp(a[~np.isnan(a)], b[~np.isnan(b)])


@pytest.mark.parametrize("kind", DISTRIBUTIONS)
@pytest.mark.parametrize("backend", backend_params(exclude=(SPARK,)))  # Spark: sketches only
def test_the_exact_ks_equals_scipy(ks_files: dict[str, tuple[Path, Path]], backend: str,
                                   kind: str) -> None:
    got = _ks(ks_files[kind], (backend, "exact"), (backend, "exact"))
    want = _scipy(kind)
    assert "error_bound" not in got.extra
    assert got.value == float(want.statistic)
    assert got.pvalue == pytest.approx(float(want.pvalue), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("kind", DISTRIBUTIONS)
@pytest.mark.parametrize("backend", backend_params())
def test_the_approximate_ks_is_within_its_error_bound_of_scipy(
        ks_files: dict[str, tuple[Path, Path]], backend: str, kind: str) -> None:
    got = _ks(ks_files[kind], (backend, "approximate"), (backend, "approximate"))
    want = float(_scipy(kind).statistic)
    assert got.value is not None
    if "error_bound" not in got.extra:  # this backend keeps the values: exact
        assert got.value == want
        return
    bound = got.extra["error_bound"]
    assert 0 < bound < 0.05
    assert abs(got.value - want) <= bound, (got.value, want, bound)


def _mixed_cases(kinds: tuple[str, ...]) -> list[Any]:
    """An exact side (the local backend, sorted values) against a side profiled with
    ``ks: approximate`` by each backend, in both directions."""
    return [pytest.param(kind, backend, direction, id=f"{kind}-{backend}-{direction}",
                         marks=marks_for(backend))
            for kind in kinds for backend in BACKENDS
            for direction in ("exact-baseline", "sketched-baseline")]


def _mixed(ks_files: dict[str, tuple[Path, Path]], kind: str, backend: str,
           direction: str) -> None:
    exact, sketched = ("local", "exact"), (backend, "approximate")
    ref, cur = (exact, sketched) if direction == "exact-baseline" else (sketched, exact)
    got = _ks(ks_files[kind], ref, cur)
    want = float(_scipy(kind).statistic)
    assert got.value is not None
    assert abs(got.value - want) <= got.extra.get("error_bound", 0.0), (got, want)


@pytest.mark.parametrize(("kind", "backend", "direction"), _mixed_cases(DISTRIBUTIONS))
def test_an_exact_side_against_a_sketched_side_is_within_the_bound(
        ks_files: dict[str, tuple[Path, Path]], kind: str, backend: str,
        direction: str) -> None:
    _mixed(ks_files, kind, backend, direction)
