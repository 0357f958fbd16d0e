"""The round's judgement: what the findings and the advice say when columns are missing."""

from __future__ import annotations

from driftscope.classify.policy import schema_break_advice
from driftscope.engine.judge import _not_concept_drift
from driftscope.inputs.schema import ColumnBreak
from driftscope.result import Finding

CONCEPT = ("concept drift: the realized performance disagrees with the estimate from the "
           "model's calibrated confidence by more than sampling explains on 500 labelled rows "
           "(accuracy realized 0.74 vs estimated 0.81); the relation between inputs and label "
           "changed, which input drift cannot show — retrain on recent labelled data")


def test_a_gap_with_columns_missing_is_not_called_concept_drift() -> None:
    other = Finding(message="performance was not estimated: no labels")
    brk = ColumnBreak("income", "missing", "missing", "column 'income' is missing")
    said = _not_concept_drift([Finding(message=CONCEPT), other], {"income": brk})
    assert said[1] == other
    assert not said[0].message.startswith("concept drift")
    assert "'income'" in said[0].message and "retrain on recent" not in said[0].message
    assert "accuracy realized 0.74" in said[0].message
    assert _not_concept_drift([Finding(message=CONCEPT)], {})[0].message == CONCEPT


def test_the_advice_with_missing_columns_does_not_suggest_concept_drift() -> None:
    advice = ("Retrain the model: its performance fell well below the baseline although no "
              "input drift is significant (concept drift, or a batch too small to show it).")
    said = schema_break_advice(advice, {"income": "missing"})
    assert said.startswith("Fix the current data first: income is missing")
    assert "concept drift" not in said and "complete data" in said
    other = schema_break_advice("Investigate age and plan a retrain if the shift is real.",
                                {"income": "missing"})
    assert "Beyond that: investigate age" in other
