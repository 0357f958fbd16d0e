"""The round's status and recommendation, from hand-built column results."""

from __future__ import annotations

from driftscope.classify.verdict import recommend, round_status
from driftscope.config.models import MonitoringConfig
from driftscope.result import Severity
from tests.factories import make_feature

C, W, N = Severity.CRITICAL, Severity.WARNING, Severity.NORMAL


def test_the_recommendation_names_the_worst_features_first() -> None:
    features = [make_feature("mild", W, psi=0.3), make_feature("calm", N, psi=0.01),
                make_feature("bad", C, psi=0.4), make_feature("worse", C, psi=0.9)]
    text = recommend(C, features, None, None)
    assert text == "Investigate worse, bad, mild and plan a retrain if the shift is real."


def test_the_round_is_as_bad_as_its_worst_part() -> None:
    features = [make_feature("a", W, psi=0.2), make_feature("b", N)]
    status, reason = round_status(features, MonitoringConfig(),
                                  target=make_feature("y", C, psi=0.5, origin="target"))
    assert status is C
    assert reason == "1 feature(s) WARNING: a; label shift (y) CRITICAL."
