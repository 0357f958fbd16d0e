"""Alert episodes: a status series folded into alerts with a start and an end."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from driftscope.classify.episodes import Episode, alert_episodes
from driftscope.severity import Severity

N, W, C = Severity.NORMAL, Severity.WARNING, Severity.CRITICAL


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
