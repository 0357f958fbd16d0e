"""Trends and persistence over recorded rounds change a round's statuses."""

from __future__ import annotations

import numpy as np
import pandas as pd

import driftscope
from driftscope.outputs.history import HistoryStore
from driftscope.result import Severity


def _ref(n=20_000, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(size=n), "y": rng.normal(size=n)})


def _cur(shift, m=20_000, seed=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(shift, size=m), "y": rng.normal(size=m)})


def test_slow_ramp_below_threshold_becomes_a_trend_warning(tmp_path):
    bl = driftscope.build_baseline(_ref())
    store = HistoryStore(tmp_path / "h.db")
    statuses = []
    # PSI of x creeps from ~0 up to ~0.07, never above the 0.1 warning threshold
    for i, shift in enumerate(np.linspace(0.0, 0.26, 24)):
        r = driftscope.run(current=_cur(shift, seed=i + 1), baseline=bl, history=store)
        assert r.feature("x").metrics.psi < 0.1
        store.record(r)
        statuses.append(r.feature("x").status)
    assert Severity.WARNING in statuses
    warned = next(r for r in [store.load(s.run_id) for s in store.runs()]
                  if r.feature("x").status is Severity.WARNING)
    assert "risen" in warned.feature("x").reason
    assert all(store.load(s.run_id).feature("y").status is Severity.NORMAL
               for s in store.runs())
    # without the trend detector nothing is raised
    off = driftscope.run(current=_cur(0.26, seed=99), baseline=bl, history=store,
                         trend={"enabled": False})
    assert off.feature("x").status is Severity.NORMAL


def test_persistence_needs_k_of_n_critical_rounds(tmp_path):
    bl = driftscope.build_baseline(_ref())
    store = HistoryStore(tmp_path / "h.db")
    seen = []
    for i in range(3):
        r = driftscope.run(current=_cur(1.0, seed=i + 1), baseline=bl, history=store,
                           persistence={"k": 2, "n": 3})
        store.record(r)
        seen.append(r.feature("x").status)
    assert seen == [Severity.WARNING, Severity.CRITICAL, Severity.CRITICAL]
    alone = driftscope.run(current=_cur(1.0), baseline=bl, persistence={"k": 2, "n": 3})
    assert alone.feature("x").status is Severity.WARNING  # one round is not k = 2 of them
    assert "2 of the last 3" in alone.feature("x").reason or "of the last" in \
        alone.feature("x").reason


def test_hysteresis_holds_an_alert_until_psi_falls_below_the_lower_threshold(tmp_path):
    bl = driftscope.build_baseline(_ref())
    store = HistoryStore(tmp_path / "h.db")
    cfg = {"persistence": {"lower_threshold": 0.005}, "trend": {"enabled": False}}
    store.record(driftscope.run(current=_cur(0.5), baseline=bl, history=store, **cfg))
    mild = driftscope.run(current=_cur(0.15, seed=5), baseline=bl, history=store, **cfg)
    assert 0.005 < mild.feature("x").metrics.psi < 0.1
    assert mild.feature("x").status is Severity.WARNING
    store.record(mild)
    calm = driftscope.run(current=_cur(0.0, seed=6), baseline=bl, history=store, **cfg)
    assert calm.feature("x").metrics.psi < 0.005
    assert calm.feature("x").status is Severity.NORMAL


def test_history_against_another_baseline_is_ignored(tmp_path):
    store = HistoryStore(tmp_path / "h.db")
    other = driftscope.build_baseline(_ref(seed=5))
    for i in range(3):
        store.record(driftscope.run(current=_cur(1.0, seed=i + 1), baseline=other))
    bl = driftscope.build_baseline(_ref(n=19_000))
    r = driftscope.run(current=_cur(1.0), baseline=bl, history=store,
                       persistence={"k": 3, "n": 3})
    assert r.feature("x").status is Severity.WARNING  # the 3 stored rounds do not count
