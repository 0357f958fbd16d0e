"""More hand-built results for output tests: hostile names, edge cases, big rounds."""

from __future__ import annotations

import dataclasses
import math

from driftscope.result import (
    Bin,
    Distribution,
    FeatureResult,
    Finding,
    Metrics,
    RunResult,
    Severity,
    SideSummary,
)
from tests.factories import make_feature, make_result

HOSTILE_NAMES = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    "quote\"d 'name' & `tick`",
    "température ✓ 年齢 😀",
    "../../etc/passwd",
    "C:\\Windows\\system32\\con",
    "CON",
    "tab\tnew\nline\x00nul\x1b[31m",
    "$\\alpha$ price $",
    "x" * 10_000,
]


def make_round(names: list[str], with_model: bool = True) -> RunResult:
    """A round whose features carry ``names``: statuses cycle CRITICAL, WARNING, NORMAL;
    every fourth feature is categorical."""
    cycle = [
        (Severity.CRITICAL, 0.4, 1.0),
        (Severity.WARNING, 0.15, 0.4),
        (Severity.NORMAL, 0.01, 0.0),
    ]
    features = []
    for i, name in enumerate(names):
        status, psi, shift = cycle[i % 3]
        type_ = "categorical" if i % 4 == 3 else "numerical"
        features.append(make_feature(name, status, psi=psi, shift=shift, type_=type_))
    return make_result(features, with_model=with_model)


def with_findings(result: RunResult, column: str, message: str) -> RunResult:
    """``result`` with one run finding about ``column`` and the same message on its feature."""
    features = tuple(
        dataclasses.replace(f, findings=(*f.findings, message)) if f.name == column else f
        for f in result.features
    )
    return dataclasses.replace(
        result, features=features, findings=(*result.findings, Finding(message, column))
    )


def _bin(label: str, ref: float, cur: float, contrib: float, kind: str = "category") -> Bin:
    return Bin(
        label=label,
        lower=None,
        upper=None,
        reference_count=int(ref * 1000),
        current_count=int(cur * 1000),
        reference_share=ref,
        current_share=cur,
        psi_contribution=contrib,
        kind=kind,  # type: ignore[arg-type]
    )


def _metrics(psi: float, numerical: bool = True) -> Metrics:
    return Metrics(
        psi=psi,
        psi_pvalue=1e-9,
        ks_statistic=0.3 if numerical else None,
        ks_pvalue=1e-5 if numerical else None,
        jensen_shannon=0.2,
        chi2_statistic=40.0,
        chi2_pvalue=1e-8,
        missing_share_reference=0.0,
        missing_share_current=0.1,
        unseen_share_current=0.05,
        psi_pvalue_adjusted=None,
        missing_pvalue=None,
        unseen_pvalue=None,
    )


def make_empty_current_feature(name: str = "all_missing_now") -> FeatureResult:
    """A numerical feature whose current side has no values: no quantiles, KS null."""
    base = make_feature(name, Severity.CRITICAL, psi=9.2, shift=0.0)
    assert base.distribution is not None
    empty = SideSummary(count=0, missing=400, mean=None, std=None, min=None, max=None)
    bins = (
        *(dataclasses.replace(b, current_share=0.0, current_count=0) for b in base.bins),
        _bin("missing", 0.0, 1.0, 9.2, kind="missing"),
    )
    return dataclasses.replace(
        base,
        bins=bins,
        metrics=base.metrics.replace(ks_statistic=None, ks_pvalue=None),
        distribution=Distribution(base.distribution.reference, empty),
        findings=("current data has no values in this column",),
    )


def make_value_binned_feature(name: str = "n_children") -> FeatureResult:
    """A numerical column binned by value, with unseen and missing bins."""
    shares = [(0.5, 0.3), (0.3, 0.3), (0.2, 0.2)]
    bins = tuple(
        _bin(str(v), r, c, (c - r) * math.log(c / r), kind="value")
        for v, (r, c) in enumerate(shares)
    ) + (
        _bin("unseen", 0.0, 0.1, 0.1 * 6.9, kind="unseen"),
        _bin("missing", 0.0, 0.1, 0.69, "missing"),
    )
    q_ref = tuple(float(min(2, i // 40)) for i in range(101))
    q_cur = tuple(float(min(4, i // 30)) for i in range(101))
    side_r = SideSummary(1000, 0, 0.7, 0.8, 0.0, 2.0, q_ref)
    side_c = SideSummary(900, 100, 1.2, 1.1, 0.0, 4.0, q_cur)
    return FeatureResult(
        name=name,
        type="numerical",
        status=Severity.CRITICAL,
        reason="PSI 1.6 above 0.25",
        metrics=_metrics(1.6),
        bins=bins,
        distribution=Distribution(side_r, side_c),
    )


def make_infinite_feature(name: str = "ratio") -> FeatureResult:
    """A numerical column whose extreme quantiles are infinite (or null after JSON)."""
    base = make_feature(name, Severity.WARNING, psi=0.2, shift=0.5)
    assert base.distribution is not None
    ref = base.distribution.reference
    q = (float("-inf"), *ref.quantiles[1:100], float("inf"))
    cur = dataclasses.replace(base.distribution.current, quantiles=(None, *ref.quantiles[1:]))
    side = dataclasses.replace(ref, quantiles=q, min=float("-inf"), max=float("inf"))
    return dataclasses.replace(base, distribution=Distribution(side, cur))


def make_many_categories_feature(name: str = "zip_code", n: int = 300) -> FeatureResult:
    """A categorical column with ``n`` categories and a few large PSI contributions."""
    bins = []
    for i in range(n):
        ref = 1.0 / n
        cur = ref * (8.0 if i < 3 else 0.93)
        bins.append(_bin(f"zip-{i:05d}", ref, cur, (cur - ref) * math.log(cur / ref)))
    return FeatureResult(
        name=name,
        type="categorical",
        status=Severity.CRITICAL,
        reason="PSI above 0.25",
        metrics=_metrics(0.3, numerical=False),
        bins=tuple(bins),
    )
