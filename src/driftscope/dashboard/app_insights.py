"""The dashboard's view of the model-aware checks of a round: multivariate drift (the domain
classifier and the PCA reconstruction error, with the domain classifier's AUC over the rounds
in view) and the fitted pipeline's contract. Reads stored results only; computes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from driftscope.limits import clip
from driftscope.result import RunResult

if TYPE_CHECKING:
    from driftscope.dashboard.app_pages import Context

__all__ = ["contract_table", "insights", "multivariate_history", "multivariate_table"]

HISTORY_ROUNDS = 30
"""The AUC chart reads the stored results of at most this many latest rounds in view."""


def multivariate_table(result: RunResult) -> pd.DataFrame:
    """One row per multivariate check of ``result``: check, value, interval or thresholds,
    status and reason (empty when the round has none)."""
    mv = result.multivariate
    rows: list[dict[str, Any]] = []
    if mv is not None and mv.domain_classifier is not None:
        dc = mv.domain_classifier
        rows.append({"Check": "domain classifier ROC AUC", "Value": dc.auc,
                     "Low": dc.auc_lower, "High": dc.auc_upper, "Status": dc.status.value,
                     "Reason": clip(dc.reason)})
    if mv is not None and mv.pca_reconstruction is not None:
        pc = mv.pca_reconstruction
        rows.append({"Check": "PCA reconstruction error", "Value": pc.current_error,
                     "Low": pc.warning_threshold, "High": pc.critical_threshold,
                     "Status": pc.status.value, "Reason": clip(pc.reason)})
    return pd.DataFrame(rows, columns=["Check", "Value", "Low", "High", "Status", "Reason"])


def contract_table(result: RunResult) -> pd.DataFrame:
    """One row per contract check of ``result``, worst first (empty when it has none)."""
    checks = result.contract.checks if result.contract is not None else ()
    rows = [{"Column": clip(c.column), "Check": c.kind, "Current share": c.current_share,
             "Reference share": c.reference_share, "Status": c.status.value,
             "Reason": clip(c.reason)} for c in checks]
    return pd.DataFrame(rows, columns=["Column", "Check", "Current share", "Reference share",
                                       "Status", "Reason"])


def multivariate_history(results: Iterable[tuple[str, RunResult]]) -> pd.DataFrame:
    """The domain classifier's AUC and interval and the PCA error per stored round
    (``(started_at, result)`` pairs, oldest first); rounds without the checks are left out."""
    rows = []
    for started, result in results:
        mv = result.multivariate
        if mv is None or (mv.domain_classifier is None and mv.pca_reconstruction is None):
            continue
        dc, pc = mv.domain_classifier, mv.pca_reconstruction
        rows.append({"Round": started, "AUC": dc.auc if dc else None,
                     "AUC low": dc.auc_lower if dc else None,
                     "AUC high": dc.auc_upper if dc else None,
                     "PCA error": pc.current_error if pc else None,
                     "Status": mv.status.value})
    return pd.DataFrame(rows, columns=["Round", "AUC", "AUC low", "AUC high", "PCA error",
                                       "Status"])


def insights(ctx: Context) -> None:
    """The multivariate and contract sections of the Overview page (nothing when the round
    has neither)."""
    import streamlit as st

    from driftscope.dashboard.app_text import md, md_frame

    result = ctx.result
    if result.multivariate is not None:
        mv = result.multivariate
        with st.expander(f"Multivariate drift: {mv.status.value}", expanded=mv.status.rank > 0):
            table = multivariate_table(result)
            if table.empty:
                st.markdown(md(mv.reason))
            else:
                st.table(md_frame(table))
            past = []
            for summary in ctx.summaries[-HISTORY_ROUNDS:]:
                try:
                    past.append((summary.started_at, ctx.store.load(summary.run_id)))
                except Exception:  # a round the store cannot give back  # noqa: BLE001, S112
                    continue
            history = multivariate_history(past)
            if len(history) > 1:
                st.markdown("**Domain classifier ROC AUC over the rounds in view**")
                st.line_chart(history.set_index("Round")[["AUC", "AUC low", "AUC high"]])
    if result.contract is not None:
        ct = result.contract
        with st.expander(f"The pipeline's contract: {ct.status.value}",
                         expanded=ct.status.rank > 0):
            st.markdown(md(ct.reason))
            table = contract_table(result)
            if not table.empty:
                st.table(md_frame(table))
