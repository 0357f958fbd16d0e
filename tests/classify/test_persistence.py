"""Persistence (k of n) and hysteresis (lower exit thresholds) over a series of rounds."""

from __future__ import annotations

import pytest

from driftscope.classify.episodes import alert_episodes
from driftscope.classify.persistence import apply_persistence
from driftscope.severity import Severity

N, W, C = Severity.NORMAL, Severity.WARNING, Severity.CRITICAL


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
