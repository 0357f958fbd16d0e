"""The policy: thresholds, overrides, the significance guard with BH, reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import driftscope
from driftscope.result import Severity


def _frames(n=4000, m=3000, shift=0.0, seed=0):
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                        "c": rng.choice(["x", "y", "z"], n)})
    cur = pd.DataFrame({"a": rng.normal(shift, size=m), "b": rng.normal(size=m),
                        "c": rng.choice(["x", "y", "z"], m)})
    return ref, cur


def test_levels_follow_psi_thresholds():
    ref, cur = _frames(shift=0.35)
    r = driftscope.run(ref, cur)
    a = r.feature("a")
    assert a.metrics.psi > 0.1
    expected = Severity.CRITICAL if a.metrics.psi > 0.25 else Severity.WARNING
    assert a.status is expected
    assert f"{a.metrics.psi:.3f}" in a.reason
    assert r.feature("b").status is Severity.NORMAL
    assert r.status is expected


def test_per_feature_override_with_glob():
    ref, cur = _frames(shift=0.35)
    r = driftscope.run(ref, cur, features={"[a]*": {"psi_warning": 5.0, "psi_critical": 9.0}})
    assert r.feature("a").status is Severity.NORMAL
    assert "5" in r.feature("a").reason


def test_guard_suppresses_small_batch_noise_and_says_so():
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"a": rng.normal(size=5000)})
    cur = pd.DataFrame({"a": rng.normal(size=12)})
    guarded = driftscope.run(ref, cur)
    unguarded = driftscope.run(ref, cur, significance_guard=False)
    f = guarded.feature("a")
    if f.metrics.psi > 0.1:
        assert f.status is Severity.NORMAL
        assert "sampling noise" in f.reason
        assert unguarded.feature("a").status is not Severity.NORMAL


def test_missing_spike_and_unseen_categories_raise_their_own_alerts():
    rng = np.random.default_rng(4)
    n, m = 5000, 3000
    ref = pd.DataFrame({"a": rng.normal(size=n), "c": rng.choice(["x", "y"], n)})
    a = rng.normal(size=m)
    a[: int(m * 0.3)] = np.nan
    c = rng.choice(["x", "y"], m).astype(object)
    c[:300] = "brand_new"
    cur = pd.DataFrame({"a": a, "c": c})
    r = driftscope.run(ref, cur)
    fa, fc = r.feature("a"), r.feature("c")
    assert fa.status is Severity.CRITICAL and "missing share" in fa.reason
    assert fa.metrics.missing_share_current == pytest.approx(0.3)
    assert fc.status is Severity.CRITICAL and "brand_new" in fc.reason
    assert fc.metrics.unseen_share_current == pytest.approx(0.1)


def test_run_status_share_mode():
    ref, cur = _frames(shift=0.6)
    worst = driftscope.run(ref, cur)
    share = driftscope.run(ref, cur, run_status="share", drift_share_warning=0.5,
                           drift_share_critical=0.9)
    assert worst.status is Severity.CRITICAL
    assert share.status is Severity.NORMAL  # 1 of 3 features drifted: 33 % < 50 %
    assert "1 of 3" in share.reason


def test_recommendation_follows_status():
    ref, cur = _frames()
    assert "Nothing to do" in driftscope.run(ref, cur).recommendation
    ref, cur = _frames(shift=0.8)
    assert "Investigate a" in driftscope.run(ref, cur).recommendation


def test_a_reference_without_finite_values_is_never_a_silent_normal() -> None:
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": np.full(500, np.inf), "z": np.r_[np.full(250, np.inf),
                                                             np.full(250, -np.inf)],
                        "y": rng.normal(size=500)})
    cur = pd.DataFrame({"x": rng.normal(size=300), "z": np.full(300, np.inf),
                        "y": rng.normal(size=300)})
    result = driftscope.run(reference=ref, current=cur, progress=False)
    x, z, y = result.feature("x"), result.feature("z"), result.feature("y")
    assert x.status.value == "CRITICAL" and "no finite value" in x.reason
    assert z.status.value == "WARNING" and "no finite value" in z.reason
    assert y.status.value == "NORMAL"
    assert any(f.column == "x" and "no finite value" in f.message for f in result.findings)
