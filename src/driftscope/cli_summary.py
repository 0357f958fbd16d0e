"""What ``driftscope run`` prints on success: the summary of a round or of a backfill."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from driftscope.backfill import BackfillResult
    from driftscope.result import RunResult


def summary(result: RunResult, out: Path, html: bool = True) -> str:
    """The terminal summary of a round; every name and sentence from the data is made
    printable (control characters and bidi overrides shown as escapes, long values cut)."""
    from driftscope.limits import VALUE_IN_SENTENCE
    from driftscope.outputs.text import printable as p
    from driftscope.result import Severity, worst_first

    def name(text: str) -> str:
        return p(text, VALUE_IN_SENTENCE)

    c = result.counts
    lines = [
        f"driftscope: round {result.run.id}: {result.status.value}",
        f"  features: {c.get('CRITICAL', 0)} CRITICAL, {c.get('WARNING', 0)} WARNING, "
        f"{c.get('NORMAL', 0)} NORMAL of {len(result.features)}",
    ]
    top = worst_first(f for f in result.features if f.status is not Severity.NORMAL)[:5]
    for f in top:
        lines.append(f"  - {name(f.name)}: {f.status.value} (PSI {f.metrics.psi:.3f})")
    # the prediction's verdict: the score of the positive class, else (multiclass without
    # one) the predicted classes and each class's probability, the worst of them
    shown = [c for c in (result.prediction,) if c is not None] or [
        c for c in (result.predicted_class, *getattr(result, "class_probabilities", ()))
        if c is not None]
    if shown:
        worst = max(shown, key=lambda c: (c.status.rank, c.metrics.psi))
        judged = "not judged, " if worst.reason.startswith("Not judged") else ""
        what = "" if worst is result.prediction else f"{name(worst.name)}, "
        lines.append(f"  prediction: {worst.status.value} "
                     f"({what}{judged}PSI {worst.metrics.psi:.3f})")
    if result.performance is not None:
        perf = result.performance
        estimated = " (estimated, no labels)" if perf.metrics and all(
            m.current is None and m.estimated is not None for m in perf.metrics.values()) else ""
        lines.append(f"  performance: {perf.status.value}{estimated}")
    multivariate = result.multivariate
    if multivariate is not None:
        dc = multivariate.domain_classifier
        auc = f" (domain classifier AUC {dc.auc:.3f})" if dc is not None and dc.auc is not None \
            else ""
        lines.append(f"  multivariate: {multivariate.status.value}{auc}")
    contract = result.contract
    if contract is not None and contract.readable:
        alerting = sum(c.status is not Severity.NORMAL for c in contract.checks)
        lines.append(f"  pipeline contract: {contract.status.value} ({alerting} of "
                     f"{len(contract.checks)} checks alert)")
    lines.append(f"  {p(result.recommendation, 1000)}")
    html_txt = f", {p(str(out / 'drift_report.html'), None)}" if html else ""
    lines.append(f"  report: {p(str(out / 'drift_report.json'), None)}{html_txt}")
    return "\n".join(lines)


def backfill_summary(backfill: BackfillResult, out: Path, html: bool) -> str:
    """The terminal summary of a backfill: the verdict of the worst chunk first, with its
    details and report, then where the latest chunk and every chunk's report are."""
    from driftscope.outputs.text import printable as p
    from driftscope.result import Severity

    rounds = backfill.rounds
    n = len(rounds)
    counts = {level: sum(r.result.status is level for r in rounds) for level in Severity}
    by = backfill.top.result.backfill
    assert by is not None  # set on the top-level report of every backfill
    how = f" by {by.chunk_by}" if by.chunk_by else f" of {by.chunk_size} rows"
    worst, latest = backfill.worst, rounds[-1]
    lines = [f"driftscope: backfill of {n} chunk{'s' if n != 1 else ''}{how}: "
             f"{backfill.status.value} (the worst chunk)",
             f"  chunks: {counts[Severity.CRITICAL]} CRITICAL, {counts[Severity.WARNING]} "
             f"WARNING, {counts[Severity.NORMAL]} NORMAL"]
    block = summary(worst.result, worst.written.folder, html).splitlines()
    lines.append(f"  worst chunk {worst.index}/{n} {p(worst.chunk.label)}: "
                 f"{worst.result.status.value}")
    lines += ["  " + line for line in block[1:]]
    lines.append(f"  latest chunk {n}/{n} {p(latest.chunk.label)}: "
                 f"{latest.result.status.value}")
    html_txt = f", {p(str(out / 'drift_report.html'), None)}" if html else ""
    lines.append(f"  report: {p(str(out / 'drift_report.json'), None)}{html_txt} (the latest "
                 f"chunk; lists and links all {n} chunk reports in "
                 f"{p(str(out / 'chunks'), None)})")
    return "\n".join(lines)
