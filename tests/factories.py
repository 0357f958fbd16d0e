"""Hand-built RunResult objects for output, history and dashboard tests (no data needed)."""

from __future__ import annotations

import numpy as np

from driftscope.result import (
    Bin,
    DatasetInfo,
    Distribution,
    FeatureResult,
    Metrics,
    ModelInfo,
    PerformanceMetric,
    PerformanceResult,
    RunInfo,
    RunResult,
    Severity,
    SideSummary,
)


def _side(values: np.ndarray) -> SideSummary:
    q = np.quantile(values, np.linspace(0, 1, 101))
    return SideSummary(
        count=len(values),
        missing=0,
        mean=float(values.mean()),
        std=float(values.std(ddof=1)),
        min=float(values.min()),
        max=float(values.max()),
        quantiles=tuple(float(v) for v in q),
    )


def make_feature(
    name: str,
    status: Severity = Severity.NORMAL,
    psi: float = 0.01,
    type_: str = "numerical",
    shift: float = 0.0,
    origin: str = "raw",
) -> FeatureResult:
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    if type_ == "numerical":
        ref = rng.normal(size=500)
        cur = rng.normal(loc=shift, size=400)
        edges = np.quantile(ref, np.arange(1, 10) / 10)
        lowers = [None, *edges.tolist()]
        uppers = [*edges.tolist(), None]
        rc = np.histogram(ref, [-np.inf, *edges, np.inf])[0]
        cc = np.histogram(cur, [-np.inf, *edges, np.inf])[0]
        labels = [
            f"[{'-inf' if lo is None else f'{lo:.4g}'}, {'inf' if hi is None else f'{hi:.4g}'})"
            for lo, hi in zip(lowers, uppers)
        ]
        kinds = ["range"] * 10
        distribution = Distribution(_side(ref), _side(cur))
    else:
        labels = ["rent", "owner", "parents", "other"]
        lowers = uppers = [None] * 4
        rc = np.array([200, 150, 100, 50])
        cc = (
            np.array([100, 120, 80, 100])
            if status != Severity.NORMAL
            else np.array([160, 120, 80, 40])
        )
        kinds = ["category"] * 4
        distribution = None
    rs = rc / rc.sum()
    cs = cc / cc.sum()
    contrib = (np.maximum(cs, 1e-4) - np.maximum(rs, 1e-4)) * np.log(
        np.maximum(cs, 1e-4) / np.maximum(rs, 1e-4)
    )
    bins = tuple(
        Bin(
            label=lab,
            lower=lo,
            upper=hi,
            reference_count=int(a),
            current_count=int(b),
            reference_share=float(r),
            current_share=float(c),
            psi_contribution=float(p),
            kind=k,  # type: ignore[arg-type]
        )
        for lab, lo, hi, a, b, r, c, p, k in zip(
            labels, lowers, uppers, rc, cc, rs, cs, contrib, kinds
        )
    )
    metrics = Metrics(
        psi=psi,
        psi_pvalue=0.5 if status == Severity.NORMAL else 1e-6,
        ks_statistic=0.05 if type_ == "numerical" else None,
        ks_pvalue=0.4 if type_ == "numerical" else None,
        jensen_shannon=0.02,
        chi2_statistic=3.0,
        chi2_pvalue=0.3,
        missing_share_reference=0.0,
        missing_share_current=0.0,
        unseen_share_current=0.0,
        psi_pvalue_adjusted=None,  # every registered field, as a round reports them
        missing_pvalue=None,
        unseen_pvalue=None,
    )
    return FeatureResult(
        name=name,
        type=type_,  # type: ignore[arg-type]
        status=status,
        reason=f"PSI {psi:.3f}",
        metrics=metrics,
        bins=bins,
        origin=origin,  # type: ignore[arg-type]
        distribution=distribution,
    )


def make_result(
    features: list[FeatureResult] | None = None,
    run_id: str = "run-1",
    started_at: str = "2026-11-26T12:00:00Z",
    with_model: bool = True,
) -> RunResult:
    if features is None:
        features = [
            make_feature("income", Severity.CRITICAL, psi=0.4, shift=1.0),
            make_feature("age", Severity.WARNING, psi=0.15, shift=0.4),
            make_feature("debt", Severity.NORMAL, psi=0.01),
            make_feature("home", Severity.WARNING, psi=0.12, type_="categorical"),
        ]
    status = Severity.worst(f.status for f in features)
    counts = {s.value: sum(f.status == s for f in features) for s in Severity}
    prediction = (
        make_feature("prediction", Severity.WARNING, psi=0.13, shift=0.3, origin="prediction")
        if with_model
        else None
    )
    performance = (
        PerformanceResult(
            status=Severity.WARNING,
            reason="roc_auc dropped 6.0% against the baseline",
            metrics={
                "accuracy": PerformanceMetric(
                    current=0.78, estimated=None, baseline=0.81, relative_change=-0.037
                ),
                "roc_auc": PerformanceMetric(
                    current=0.78,
                    estimated=None,
                    baseline=0.83,
                    relative_change=-0.06,
                    status=Severity.WARNING,
                ),
            },
            labelled_rows=400,
        )
        if with_model
        else None
    )
    return RunResult(
        run=RunInfo(
            id=run_id,
            started_at=started_at,
            reference=DatasetInfo(rows=500, source="ref.csv", columns=len(features)),
            current=DatasetInfo(rows=400, source="cur.csv", columns=len(features)),
            model=ModelInfo(name="credit-default", version="1.3.0", trained_at="2026-01-15")
            if with_model
            else None,
        ),
        status=status,
        reason="worst feature status",
        recommendation="Investigate the drifted features: income, age, home.",
        features=tuple(features),
        counts=counts,
        prediction=prediction,
        performance=performance,
    )
