"""The dashboard's multivariate, contract and impact views (driftscope.dashboard.app_insights,
the impact column and sort of the Features table): read from stored results only."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from driftscope.dashboard import APP_PATH
from driftscope.dashboard.app_data import features_table
from driftscope.dashboard.app_insights import (
    contract_table,
    multivariate_history,
    multivariate_table,
)
from driftscope.insights import (
    ContractCheck,
    ContractReport,
    DomainClassifierResult,
    MultivariateResult,
    PcaReconstructionResult,
)
from driftscope.result import RunResult, Severity
from driftscope.store import HistoryStore
from tests.factories import make_feature, make_result


def _with_insights(result: RunResult, auc: float) -> RunResult:
    status = Severity.CRITICAL if auc >= 0.75 else Severity.NORMAL
    dc = DomainClassifierResult(status=status, reason=f"ROC AUC {auc}", auc=auc,
                                auc_lower=auc - 0.02, auc_upper=auc + 0.02,
                                fold_aucs=(auc,) * 5, reference_rows=2000, current_rows=2000,
                                features=3)
    pca = PcaReconstructionResult(status=Severity.NORMAL, reason="PCA fine", components=2,
                                  variance_kept=0.91, reference_error=1.0, current_error=1.01,
                                  warning_threshold=1.05, critical_threshold=1.1,
                                  reference_rows=2000, current_rows=2000)
    mv = MultivariateResult(status=status, reason="x", sample_rows=2000, seed=0,
                            domain_classifier=dc, pca_reconstruction=pca)
    check = ContractCheck(kind="unknown_category", column="home", step="prep/onehot",
                          status=Severity.WARNING, reason="'home': 2.0 % never seen",
                          current_share=0.02, rows=8, action="ignored")
    contract = ContractReport(status=Severity.WARNING, reason="1 of 1 contract checks alert",
                              readable=True, checks=(check,))
    features = []
    for f, imp in zip(result.features, (0.1, 0.7, 0.2, 0.0), strict=False):
        features.append(dataclasses.replace(f, importance=imp, impact=f.metrics.psi * imp))
    return dataclasses.replace(result, multivariate=mv, contract=contract,
                               features=tuple(features))


def test_tables_of_one_round() -> None:
    result = _with_insights(make_result(), 0.9)
    mv = multivariate_table(result)
    assert list(mv["Check"]) == ["domain classifier ROC AUC", "PCA reconstruction error"]
    assert list(mv["Value"]) == [0.9, 1.01] and list(mv["Status"]) == ["CRITICAL", "NORMAL"]
    ct = contract_table(result)
    assert list(ct["Column"]) == ["home"] and list(ct["Current share"]) == [0.02]
    plain = make_result()
    assert multivariate_table(plain).empty and contract_table(plain).empty
    history = multivariate_history([("t1", plain), ("t2", result),
                                    ("t3", _with_insights(make_result(), 0.55))])
    assert list(history["Round"]) == ["t2", "t3"] and list(history["AUC"]) == [0.9, 0.55]


def test_the_features_table_shows_and_sorts_by_impact() -> None:
    result = _with_insights(make_result(), 0.9)
    table = features_table(result, {}, sort="impact")
    impacts = list(table["Impact"])
    assert impacts == sorted(impacts, reverse=True)
    best = max(result.features, key=lambda f: f.impact or 0)
    assert table["Feature"].iloc[0] == best.name
    assert "Importance" in table.columns
    # without importance in the baseline: no impact columns, and "impact" sorts as given
    plain = features_table(make_result(), {}, sort="impact")
    assert "Impact" not in plain.columns


@pytest.mark.slow  # Streamlit AppTest runs
def test_the_overview_shows_multivariate_and_contract_sections(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    AppTest = pytest.importorskip("streamlit.testing.v1").AppTest
    db = tmp_path / "driftscope_history.db"
    with HistoryStore(db) as store:
        for i, auc in enumerate((0.52, 0.61, 0.93)):
            features = [make_feature("income", Severity.CRITICAL, psi=0.4, shift=1.0),
                        make_feature("age", Severity.NORMAL, psi=0.02)]
            store.record(_with_insights(make_result(
                features, run_id=f"run-{i}", started_at=f"2026-11-2{i}T08:00:00Z"), auc))
    monkeypatch.setenv("DRIFTSCOPE_HISTORY", str(db))
    at: Any = AppTest.from_file(str(APP_PATH), default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [e.label for e in at.expander]
    assert "Multivariate drift: CRITICAL" in labels
    assert "The pipeline's contract: WARNING" in labels
    tables = [t.value for t in at.table]
    assert any("domain classifier ROC AUC" in str(list(t["Check"])) for t in tables
               if "Check" in t.columns)
    at = at.sidebar.radio(key="page").set_value("Features").run()
    assert not at.exception
    sort = at.selectbox(key="feature_sort")
    assert "impact" in sort.options or any("impact" in str(o).lower() for o in sort.options)
    frame = sort.set_value("impact").run().dataframe[0].value
    assert "Impact" in frame.columns
