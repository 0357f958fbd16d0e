"""A round's column profiles in the history: stored and read back exactly, on SQLite and
PostgreSQL; only for a stored round; all of them or none.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from driftscope.errors import HistoryError
from driftscope.profile.model import (
    Binning,
    CategoricalProfile,
    ColumnProfile,
    DatasetProfile,
    Moments,
    NumericProfile,
)
from driftscope.store import HistoryReader, HistoryStore, RunNotFoundError
from driftscope.store import profiles as profile_rows_module
from tests.store.helpers import result_at, table_counts


def numeric(name: str = "income", **changes: Any) -> NumericProfile:
    """A numerical profile as a backend makes it: decile bins, moments, percentiles."""
    rng = np.random.default_rng(7)
    values = np.sort(rng.normal(1000.0, 250.0, size=500))
    edges = tuple(float(e) for e in np.quantile(values, np.arange(1, 10) / 10))
    fields: dict[str, Any] = dict(
        name=name,
        binning=Binning("quantile", edges=edges),
        counts=np.histogram(values, [-np.inf, *edges, np.inf])[0].astype(np.int64),
        missing=12,
        count=500,
        moments=Moments.of(values, is_sorted=True),
        sorted_values=values,
        quantiles=np.quantile(values, np.linspace(0, 1, 101)),
        distinct=500,
        whole=False,
    )
    fields.update(changes)
    return NumericProfile(**fields)


def assert_same(stored: ColumnProfile, original: ColumnProfile) -> None:
    """Every stored summary equal, bit for bit; the sorted values never come back."""
    assert type(stored) is type(original)
    assert (stored.name, stored.type, stored.missing, stored.count) == (
        original.name, original.type, original.missing, original.count)
    if isinstance(original, CategoricalProfile):
        assert isinstance(stored, CategoricalProfile)
        assert list(stored.counts.items()) == list(original.counts.items())  # order too
        return
    assert isinstance(stored, NumericProfile)
    assert stored.binning == original.binning
    assert stored.counts.dtype == np.int64
    assert stored.counts.tolist() == np.asarray(original.counts).tolist()
    for key in ("count", "mean", "m2", "min", "max"):
        got, want = getattr(stored.moments, key), getattr(original.moments, key)
        assert got == want or (math.isnan(got) and math.isnan(want)), key
    assert stored.beyond_float == original.beyond_float
    if original.quantiles is None:
        assert stored.quantiles is None
    else:
        assert stored.quantiles is not None
        np.testing.assert_array_equal(stored.quantiles, original.quantiles)
    assert (stored.distinct, stored.whole) == (original.distinct, original.whole)
    assert stored.sorted_values is None and stored.values_source is None


def test_profiles_round_trip(store: HistoryStore) -> None:
    profiles: dict[str, ColumnProfile] = {
        "income": numeric(),
        "children": numeric(
            "children", binning=Binning("value", values=(0.0, 1.0, 2.0, 3.0)),
            counts=np.array([40, 30, 20, 5, 0, 1, 4], dtype=np.int64), count=100, missing=0,
            moments=Moments(100, 0.97, 88.1, 0.0, 7.0), quantiles=None, distinct=6, whole=True,
        ),
        "home": CategoricalProfile("home", {"rent": 310, "owner": 150, "": 3, "年齢 ü": 7},
                                   missing=30),
    }
    store.record(result_at(1))
    store.record_profiles("run-001", profiles)
    back = store.profiles("run-001")
    assert list(back) == ["income", "children", "home"]
    for name, original in profiles.items():
        assert_same(back[name], original)


def test_extreme_numbers_come_back_exactly(store: HistoryStore) -> None:
    profiles: dict[str, ColumnProfile] = {
        # no finite value at all: empty moments (min +inf, max -inf), no percentiles
        "empty": numeric("empty", counts=np.zeros(10, dtype=np.int64), count=0, missing=400,
                         moments=Moments(), quantiles=None, distinct=None, whole=None),
        # huge values: the mean overflowed to inf and m2 to NaN; counts beyond 32 bits;
        # integers beyond 2^53; percentiles that are not finite
        "huge": numeric("huge", moments=Moments(3, math.inf, math.nan, -1.5e308, 1.7e308),
                        counts=np.array([2**40, 0, 0, 0, 0, 0, 0, 0, 0, 7], dtype=np.int64),
                        count=2**40 + 7, beyond_float=2**33,
                        quantiles=np.array([-math.inf, 0.1 + 0.2, 1e-310, math.nan, math.inf])),
        "no categories": CategoricalProfile("no categories", {}, missing=5),
    }
    store.record(result_at(1))
    store.record_profiles("run-001", profiles)
    back = store.profiles("run-001")
    for name, original in profiles.items():
        assert_same(back[name], original)


def test_a_dataset_profile_is_recorded_by_its_columns(store: HistoryStore) -> None:
    dataset = DatasetProfile(rows=512, columns={"income": numeric()})
    store.record(result_at(1))
    store.record_profiles("run-001", dataset)
    assert_same(store.profiles("run-001")["income"], dataset.columns["income"])


def test_a_round_without_profiles_has_none(store: HistoryStore) -> None:
    store.record(result_at(1))
    assert store.profiles("run-001") == {}
    store.record_profiles("run-001", {})  # nothing to store is not an error
    assert store.profiles("run-001") == {}


def test_profiles_of_a_round_not_stored_are_refused(store: HistoryStore) -> None:
    store.record(result_at(1))
    with pytest.raises(RunNotFoundError, match="no round with run id 'run-404'"):
        store.record_profiles("run-404", {"income": numeric()})
    assert table_counts(store)["profiles"] == 0
    with pytest.raises(RunNotFoundError, match="no round with run id 'run-404'"):
        store.profiles("run-404")


def test_profiles_are_kept_per_round(store: HistoryStore) -> None:
    store.record(result_at(1))
    store.record(result_at(2))
    store.record_profiles("run-001", {"income": numeric()})
    store.record_profiles("run-002", {"home": CategoricalProfile("home", {"rent": 1}, 0)})
    assert list(store.profiles("run-001")) == ["income"]
    assert list(store.profiles("run-002")) == ["home"]


def test_recording_profiles_again_keeps_the_first(store: HistoryStore) -> None:
    store.record(result_at(1))
    store.record_profiles("run-001", {"income": numeric(missing=1)})
    store.record_profiles("run-001", {"income": numeric(missing=2), "age": numeric("age")})
    back = store.profiles("run-001")
    assert list(back) == ["income"] and back["income"].missing == 1


@pytest.mark.parametrize(
    ("profiles", "words"),
    [
        ({"income": numeric(), "age": {"mean": 3.0}}, "the value for 'age' is a dict"),
        ({"income": numeric(), "age": numeric("income")}, "the profile of 'income' is keyed 'age'"),
    ],
)
def test_a_bad_value_stores_none_of_the_profiles(store: HistoryStore, profiles: Any,
                                                 words: str) -> None:
    store.record(result_at(1))
    with pytest.raises(HistoryError, match=words) as info:
        store.record_profiles("run-001", profiles)
    assert "\n" not in str(info.value)
    assert store.profiles("run-001") == {}
    store.record_profiles("run-001", {"income": numeric()})  # nothing left locked
    assert list(store.profiles("run-001")) == ["income"]


def test_a_database_error_half_way_stores_none_of_the_profiles(
    store: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.record(result_at(1))
    real = profile_rows_module.profile_rows

    def clashing(run_id: str, seq: int, profiles: Any) -> list[dict[str, Any]]:
        rows = real(run_id, seq, profiles)
        rows[-1]["position"] = rows[0]["position"]  # the last row breaks the primary key
        return rows

    monkeypatch.setattr(profile_rows_module, "profile_rows", clashing)
    with pytest.raises(HistoryError, match="cannot write to the history"):
        store.record_profiles("run-001", {"income": numeric(), "age": numeric("age"),
                                          "debt": numeric("debt")})
    assert table_counts(store)["profiles"] == 0
    monkeypatch.undo()
    store.record_profiles("run-001", {"income": numeric()})
    assert list(store.profiles("run-001")) == ["income"]


def test_a_damaged_profile_is_a_one_line_error(store: HistoryStore) -> None:
    from sqlalchemy import update

    from driftscope.store import schema

    store.record(result_at(1))
    store.record_profiles("run-001", {"income": numeric()})
    with store._engine.begin() as conn:
        conn.execute(update(schema.tables()["profiles"]).values(data_json="{not json"))
    with pytest.raises(HistoryError, match="the profile of 'income' in round 'run-001'") as info:
        store.profiles("run-001")
    assert "\n" not in str(info.value)


def test_profiles_go_with_their_round_through_a_reader(url: str) -> None:
    with HistoryStore(url) as writer:
        writer.record(result_at(1))
        writer.record_profiles("run-001", {"income": numeric()})
    with HistoryStore(url, create=False, migrate=False) as reader:
        assert isinstance(reader, HistoryReader)
        assert_same(reader.profiles("run-001")["income"], numeric())
