"""Trend detection, persistence/hysteresis and alert episodes on synthetic series.

The detector is evaluated the way the policy uses it: after every round, on the series so
far. Flat series use PSI noise of the shape PSI really has without drift, a scaled chi-square
(bins - 1 degrees of freedom), plus Gaussian noise.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftscope.classify.trend import (
    Episode,
    alert_episodes,
    apply_persistence,
    detect_trend,
)
from driftscope.result import Severity

N, W, C = Severity.NORMAL, Severity.WARNING, Severity.CRITICAL


def first_alarm(series: np.ndarray, start: int = 0) -> int | None:
    """Index of the first round at which the detector, run on the rounds so far, fires."""
    for t in range(max(start, 1), len(series)):
        if detect_trend(series[: t + 1].tolist()).triggered:
            return t
    return None


def ramp(seed: int, flat_before: int = 0) -> np.ndarray:
    """PSI rising 0.01 -> 0.09 over 20 rounds with noise, after ``flat_before`` flat rounds."""
    rng = np.random.default_rng(seed)
    flat = np.clip(0.01 + rng.normal(0, 0.005, flat_before), 0, None)
    rise = np.clip(np.linspace(0.01, 0.09, 20) + rng.normal(0, 0.005, 20), 0, None)
    return np.concatenate([flat, rise])


def chi2_noise(seed: int, mean: float, dof: int, rounds: int = 100) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return mean / dof * rng.chisquare(dof, rounds)


# --------------------------------------------------------------------------------------
# detect_trend
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(10))
def test_slow_ramp_from_the_start_is_detected_within_16_rounds(seed: int) -> None:
    series = ramp(seed)
    t = first_alarm(series)
    assert t is not None and t <= 16, t
    verdict = detect_trend(series[: t + 1].tolist())
    assert verdict.triggered
    assert verdict.since_index is not None and verdict.since_index <= 6
    # early on, noise can make the start of a ramp look like a step; either name is fair
    assert re.fullmatch(
        r"PSI has (risen steadily|shifted up) over the last \d+ rounds \(0\.\d+ → 0\.\d+\)",
        verdict.reason,
    ), verdict.reason
    # with the whole ramp seen, it is named a steady rise
    assert detect_trend(series.tolist()).reason.startswith("PSI has risen steadily over the last")
    assert verdict.end_level is not None and verdict.start_level is not None
    assert verdict.end_level - verdict.start_level >= 0.02
    assert max(series[: t + 1]) < 0.1  # caught before any single round crossed 0.1


@pytest.mark.parametrize("seed", range(10))
def test_ramp_after_a_flat_stretch_is_detected_within_12_rounds(seed: int) -> None:
    series = ramp(100 + seed, flat_before=30)
    t = first_alarm(series)
    assert t is not None, "missed"
    assert 30 <= t <= 30 + 12, t  # no alarm in the flat stretch, then quick
    verdict = detect_trend(series[: t + 1].tolist())
    assert verdict.since_index is not None and 25 <= verdict.since_index <= t


def test_reason_names_the_trend_with_rounds_and_levels() -> None:
    series = [0.02, 0.021, 0.019, 0.02, 0.022, 0.02, 0.03, 0.04, 0.05, 0.06, 0.075, 0.09]
    verdict = detect_trend(series)
    assert verdict.triggered
    assert verdict.since_index == 6
    assert verdict.rounds == 6
    assert verdict.reason == "PSI has risen steadily over the last 6 rounds (0.02 → 0.07)"


def test_a_sudden_shift_is_named_as_such() -> None:
    series = [0.02] * 10 + [0.08] * 5
    verdict = detect_trend(series)
    assert verdict.triggered and verdict.since_index == 10
    assert "shifted up over the last 5 rounds" in verdict.reason


@pytest.mark.parametrize(
    ("mean", "dof"),
    [(0.01, 9), (0.03, 9), (0.05, 9), (0.03, 3)],
    ids=["psi0.01-10bins", "psi0.03-10bins", "psi0.05-10bins", "psi0.03-4categories"],
)
@pytest.mark.parametrize("seed", range(5))
def test_flat_noisy_series_raises_nothing_over_100_rounds(mean: float, dof: int, seed: int
                                                          ) -> None:  # fmt: skip
    series = chi2_noise(seed, mean, dof)
    assert first_alarm(series) is None


@pytest.mark.parametrize("seed", range(5))
def test_flat_gaussian_series_raises_nothing_over_100_rounds(seed: int) -> None:
    rng = np.random.default_rng(seed)
    series = np.clip(0.03 + rng.normal(0, 0.01, 100), 0, None)
    assert first_alarm(series) is None


def test_false_alarm_rate_is_low_across_many_seeds() -> None:
    # 200 flat series of 100 rounds each, checked once at the end over the whole series and
    # over sliding windows: the rate stays near zero
    alarms = 0
    for seed in range(200):
        series = chi2_noise(1000 + seed, 0.03, 9)
        alarms += any(detect_trend(series[: t + 1].tolist()).triggered for t in range(9, 100, 10))
    assert alarms <= 4, alarms


def test_a_tiny_steady_creep_stays_quiet() -> None:
    series = [0.001 + 0.0002 * i for i in range(30)]  # statistically a trend, practically zero
    verdict = detect_trend(series)
    assert not verdict.triggered


def test_too_few_rounds() -> None:
    verdict = detect_trend([0.01, 0.05, 0.09])
    assert not verdict.triggered
    assert "too few rounds" in verdict.reason


def test_missing_values_are_skipped_and_indices_refer_to_the_input() -> None:
    series: list[float | None] = [0.02, None, 0.021, 0.019, float("nan"), 0.02, 0.022, 0.02]
    series += [0.03, 0.04, None, 0.05, 0.06, 0.075, 0.09]
    verdict = detect_trend(series)
    assert verdict.triggered
    assert series[verdict.since_index or 0] == 0.03


def test_a_falling_series_is_not_a_trend() -> None:
    verdict = detect_trend([0.09, 0.08, 0.07, 0.06, 0.05, 0.04, 0.03, 0.02])
    assert not verdict.triggered and verdict.since_index is None
    assert verdict.reason.startswith("no sustained rise in PSI")


def test_window_limits_the_memory() -> None:
    old_rise = [0.01] * 10 + [0.08] * 3
    plateau = [0.08] * 30
    assert not detect_trend(old_rise + plateau, window=20).triggered


def test_parameters_are_configurable() -> None:
    series = [0.02] * 10 + [0.05] * 4
    assert detect_trend(series).triggered
    assert not detect_trend(series, threshold=40).triggered
    assert not detect_trend(series, min_rise=0.05).triggered
    assert detect_trend(series, metric="Jensen–Shannon").reason.startswith("Jensen–Shannon has")


def test_a_step_far_below_the_threshold_needs_an_effect_size() -> None:
    # issue 8: PSI 0.03 -> 0.05 is a clear change point but too small a level to warn about
    rng = np.random.default_rng(0)
    series = (list(0.03 + 0.004 * rng.standard_normal(12))
              + list(0.05 + 0.004 * rng.standard_normal(6)))
    assert detect_trend(series).triggered  # the change point alone fires
    quiet = detect_trend(series, min_level=0.06)
    assert not quiet.triggered and quiet.since_index is None
    assert "too low to matter" in quiet.reason and "0.06" in quiet.reason
    higher = series[:12] + [v + 0.03 for v in series[12:]]  # a step to 0.08 instead
    assert detect_trend(higher, min_level=0.06).triggered


@pytest.mark.parametrize(
    "kwargs",
    [{"delta": -1}, {"threshold": 0}, {"min_rise": -0.1}, {"min_rounds": 1}, {"window": 1},
     {"min_scale": 0}, {"min_level": -0.01}],
)  # fmt: skip
def test_bad_parameters(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        detect_trend([0.01] * 10, **kwargs)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(min_value=0, max_value=5)), max_size=60))
def test_any_series_gives_a_consistent_verdict(series: list[float | None]) -> None:
    verdict = detect_trend(series)
    if verdict.triggered:
        assert verdict.since_index is not None and series[verdict.since_index] is not None
        assert verdict.rounds >= 1 and verdict.statistic > verdict.threshold
    else:
        assert verdict.since_index is None
    assert np.isfinite(verdict.statistic)


# --------------------------------------------------------------------------------------
# apply_persistence
# --------------------------------------------------------------------------------------


def statuses(steps: list) -> list[Severity]:  # type: ignore[type-arg]
    return [s.status for s in steps]


def test_defaults_change_nothing() -> None:
    psi = [0.01, 0.3, 0.15, 0.02, 0.5]
    assert statuses(apply_persistence(psi)) == [N, C, W, N, C]
    assert all(s.reason is None for s in apply_persistence(psi))


def test_critical_only_after_k_of_n_rounds() -> None:
    psi = [0.3, 0.02, 0.3, 0.3, 0.02, 0.02, 0.02, 0.3]
    steps = apply_persistence(psi, k=3, n=4)
    assert statuses(steps) == [W, N, W, C, N, N, N, W]
    assert steps[0].reason == "1 of the last 4 rounds critical; CRITICAL needs 3"
    assert steps[3].hits == 3 and steps[3].reason is None


def test_hysteresis_returns_to_normal_only_below_the_lower_threshold() -> None:
    psi = [0.02, 0.15, 0.08, 0.06, 0.04, 0.07, 0.12]
    steps = apply_persistence(psi, lower_threshold=0.05)
    assert statuses(steps) == [N, W, W, W, N, N, W]
    assert steps[2].reason == "kept at WARNING until PSI falls below 0.05 (now 0.08)"
    assert steps[5].reason is None  # 0.07 after the alert ended starts nothing


def test_critical_hysteresis() -> None:
    psi = [0.3, 0.22, 0.19, 0.15, 0.3]
    steps = apply_persistence(psi, critical_lower_threshold=0.2)
    assert statuses(steps) == [C, C, W, W, C]
    assert "kept at CRITICAL until PSI falls below 0.2" in (steps[1].reason or "")


def test_statuses_from_the_policy_drive_the_levels() -> None:
    # the policy's significance guard said NORMAL for 0.3 in round 1 (tiny batch)
    psi = [0.3, 0.3, 0.3, 0.3]
    own = [C, N, C, C]
    assert statuses(apply_persistence(psi, statuses=own, k=2, n=3)) == [W, N, C, C]
    assert [s.raw for s in apply_persistence(psi, statuses=[s.value for s in own])] == own


def test_rounds_without_data_keep_the_previous_status() -> None:
    steps = apply_persistence([0.3, None, float("nan"), 0.02])
    assert statuses(steps) == [C, C, C, N]
    assert steps[1].reason == "no PSI this round; status kept"


def test_persistence_flapping_becomes_one_episode() -> None:
    psi = [0.02, 0.12, 0.09, 0.11, 0.08, 0.12, 0.03]
    raw = alert_episodes(statuses(apply_persistence(psi)))
    held = alert_episodes(statuses(apply_persistence(psi, lower_threshold=0.05)))
    assert len(raw) == 3
    assert len(held) == 1 and held[0].rounds == 5


@pytest.mark.parametrize(
    "kwargs",
    [{"k": 0}, {"k": 3, "n": 2}, {"warning_threshold": 0.3}, {"lower_threshold": 0.2},
     {"critical_lower_threshold": 0.3}, {"statuses": [N]}],
)  # fmt: skip
def test_persistence_parameter_errors(kwargs: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError):
        apply_persistence([0.1, 0.2], **kwargs)


# --------------------------------------------------------------------------------------
# alert_episodes
# --------------------------------------------------------------------------------------


def test_episodes_have_a_start_an_end_and_a_level() -> None:
    series = [N, W, W, C, W, N, N, W, C]
    ids = [f"r{i}" for i in range(len(series))]
    first, second = alert_episodes(series, run_ids=ids)
    assert first == Episode(
        start_run="r1", end_run="r4", level=C, start_index=1, end_index=4, peak_run="r3", rounds=4
    )
    assert second.start_run == "r7" and second.end_run is None and second.open
    assert second.level is C and second.peak_run == "r8"


def test_episodes_from_points_strings_and_none() -> None:
    points = [SimpleNamespace(run_id=f"run-{i}", status=s) for i, s in enumerate(["NORMAL",
              "WARNING", "NORMAL"])]  # fmt: skip
    [episode] = alert_episodes(points)
    assert (episode.start_run, episode.end_run, episode.level) == ("run-1", "run-1", W)
    assert alert_episodes([None, "NORMAL", N]) == []
    [by_index] = alert_episodes(["WARNING"])
    assert by_index.start_run == "0" and by_index.open


def test_episode_errors() -> None:
    with pytest.raises(ValueError):
        alert_episodes([N, W], run_ids=["a"])
    with pytest.raises(ValueError):
        alert_episodes(["ALARM"])
