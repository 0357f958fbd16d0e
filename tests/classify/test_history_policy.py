"""Trends and persistence over recorded rounds change a round's statuses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import driftscope
from driftscope.result import Severity
from driftscope.store import HistoryStore


def _ref(n=20_000, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(size=n), "y": rng.normal(size=n)})


def _cur(shift, m=20_000, seed=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(shift, size=m), "y": rng.normal(size=m)})


@pytest.mark.slow  # 25 rounds of 20,000 rows with a history
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


def _point(psi):
    from types import SimpleNamespace

    return SimpleNamespace(name="x", origin="raw", baseline="b", psi=psi, status="NORMAL")


def _feature(psi, pvalue):
    from driftscope.result import FeatureResult, Metrics

    metrics = Metrics(psi=psi, psi_pvalue=pvalue, ks_statistic=None, ks_pvalue=None,
                      jensen_shannon=0.0, chi2_statistic=0.0, chi2_pvalue=1.0,
                      missing_share_reference=0.0, missing_share_current=0.0,
                      unseen_share_current=0.0, psi_pvalue_adjusted=pvalue)
    return FeatureResult(name="x", type="numerical", status=Severity.NORMAL,
                         reason=f"PSI {psi:.3f} is within the warning threshold 0.1.",
                         metrics=metrics, bins=())


def _step(end):
    """PSI near 0.03 for 12 rounds, then near ``end`` for 5; the 6th (``now``) is separate."""
    rng = np.random.default_rng(0)
    past = list(0.03 + 0.004 * rng.standard_normal(12)) + \
        list(end + 0.004 * rng.standard_normal(5))
    return past, float(end + 0.004 * rng.standard_normal())


def test_a_trend_needs_a_level_that_matters_trend_min_level():
    from driftscope.classify.history_policy import apply_history
    from driftscope.config import MonitoringConfig

    past, now = _step(0.05)  # issue 8: "PSI 0.03 -> 0.05" is inside noise
    history = {("raw", "x"): [_point(v) for v in past]}

    def status(**trend):
        cfg = MonitoringConfig(trend=trend)
        return apply_history([_feature(now, 1e-6)], history, cfg)[0]

    assert status().status is Severity.NORMAL  # default: PSI must exceed 0.5 × 0.1
    lowered = status(min_level=0.2)  # 0.02: the same rounds now warn
    assert lowered.status is Severity.WARNING and "shifted up" in lowered.reason
    assert status(min_level=0.0).status is Severity.WARNING


def test_a_trend_needs_psi_beyond_sampling_noise_now():
    from driftscope.classify.history_policy import apply_history
    from driftscope.config import MonitoringConfig

    past, now = _step(0.08)
    history = {("raw", "x"): [_point(v) for v in past]}
    cfg = MonitoringConfig()
    significant = apply_history([_feature(now, 1e-6)], history, cfg)[0]
    assert significant.status is Severity.WARNING
    # the same PSI, but this round's batch is too small for it to be told from noise
    noisy = apply_history([_feature(now, 0.2)], history, cfg)[0]
    assert noisy.status is Severity.NORMAL
    unguarded = apply_history([_feature(now, 0.2)], history,
                              MonitoringConfig(significance_guard=False))[0]
    assert unguarded.status is Severity.WARNING
