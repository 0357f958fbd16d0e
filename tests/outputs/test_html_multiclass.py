"""The performance section of the HTML report for a multiclass model: per-class table,
one-vs-rest numbers of the positive class, confusion matrix; class names shown as text; the
page clean in a real Chromium."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from driftscope.outputs.html import render_html, write_html
from driftscope.result import (
    ClassPerformance,
    ConfusionMatrix,
    PerformanceMetric,
    PerformanceResult,
    RunResult,
    Severity,
)
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.factories import make_feature, make_result

HOSTILE = '<img src=x onerror="alert(1)">'
CLASSES = ["A", "B", HOSTILE]
COUNTS = ((40, 8, 2), (6, 30, 4), (1, 9, 0))


def multiclass_result() -> RunResult:
    metric = PerformanceMetric
    perf = PerformanceResult(
        status=Severity.WARNING,
        reason="accuracy (over all classes) is 7.1% worse than its baseline.",
        metrics={"accuracy": metric(0.7, None, 0.754, -0.071, Severity.WARNING),
                 "macro_f1": metric(0.52, None, None), "weighted_f1": metric(0.66, None, None),
                 "log_loss": metric(0.81, None, None)},
        labelled_rows=100,
        per_class={
            "A": ClassPerformance(0.851, 0.8, 0.8247, 50, 47,
                                  one_vs_rest={"accuracy": 0.83, "roc_auc": 0.91}),
            "B": ClassPerformance(0.6383, 0.75, 0.6897, 40, 47),
            HOSTILE: ClassPerformance(None, 0.0, 0.0, 10, 6),
        },
        confusion_matrix=ConfusionMatrix(labels=tuple(CLASSES), counts=COUNTS),
    )
    probabilities = tuple(
        make_feature(f"prediction[{c}]", Severity.NORMAL, psi=0.01, origin="class_probability")
        for c in CLASSES)
    return dataclasses.replace(make_result(), performance=perf,
                               class_probabilities=probabilities)


def test_the_performance_section_shows_per_class_numbers_and_the_matrix() -> None:
    page = render_html(multiclass_result())
    start = page.index('<section id="performance">')
    section = page[start:page.index("</section>", start)]
    assert "Multiclass model (3 classes)" in section
    assert "One-vs-rest: class A" in section and "(positive class)" in section
    # header and rows: metrics, per class, one-vs-rest, confusion matrix
    assert section.count("<tr>") == (1 + 4) + (1 + 3) + (1 + 2) + (1 + 3)
    assert ">0.8510</td>" in section and ">—</td>" in section  # a class never predicted
    for row in COUNTS:
        for n in row:
            assert f">{n}</td>" in section
    assert HOSTILE not in page  # class names are text, never markup
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in section
    assert "Probability of class A" in page


def test_a_binary_round_has_no_multiclass_parts() -> None:
    page = render_html(make_result())
    assert "Per class" not in page and "Confusion matrix" not in page
    assert "Multiclass model" not in page


@pytest.mark.browser
def test_the_multiclass_report_is_clean_in_chromium(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing")
    report = write_html(multiclass_result(), tmp_path / "drift_report.html")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text)
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(report.as_uri())
            page.wait_for_load_state("load")
            assert errors == []  # the cell shading breaks no Content-Security-Policy rule
            cells = page.locator("table.confusion tbody td.diag")
            assert cells.count() == 3
            shade = cells.first.evaluate("c => getComputedStyle(c).backgroundColor")
            assert shade.startswith("rgba(46, 125, 50")  # the correct predictions in green
            assert page.locator("table.per-class tbody tr").nth(2).locator("th").inner_text() \
                .startswith(HOSTILE)
        finally:
            browser.close()
