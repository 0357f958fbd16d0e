"""The HTML report in a real headless Chromium (the system package, driven by Playwright).

Checks what only a browser can: the page runs without console errors or CSP violations,
asks for nothing outside the file, sorts on a header click, and filters by name and status.
A screenshot is saved to ``test-artifacts/report.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from driftscope.outputs.html import write_html
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.outputs.factories_extra import HOSTILE_NAMES, make_round, with_findings

pytestmark = pytest.mark.browser

ARGS = CHROMIUM_ARGS

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)

NAMES = [
    "income",
    "age",
    "debt_ratio",
    "Home",
    "seniority",
    "income_log",
    "expenses",
    "assets",
    "amount",
    "price",
    "records",
    "marital",
    *HOSTILE_NAMES[:4],
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = with_findings(make_round(NAMES), "age", "age has 12 % missing values")
    return write_html(result, tmp_path_factory.mktemp("report") / "drift_report.html")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def session(browser: Any, report: Path) -> Iterator[tuple[Any, list[str], list[str]]]:
    """A page on the report, with the console errors and non-file requests it produced."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith("file://") else outside.append(r.url))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    try:
        yield page, errors, outside
    finally:
        page.close()


def visible_names(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#feature-table tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.name)"
    )


def test_loads_clean_and_offline(session: tuple[Any, list[str], list[str]]) -> None:
    page, errors, outside = session
    assert page.title().startswith("CRITICAL · Drift report")
    assert len(visible_names(page)) == len(NAMES)
    assert errors == []  # also no CSP violation: the script ran under its hash
    assert outside == []
    assert page.locator("#shown-count").inner_text() == f"{len(NAMES)} features"


def test_hostile_names_render_as_text(session: tuple[Any, list[str], list[str]]) -> None:
    page, errors, _ = session
    assert page.locator("img").count() == 0
    assert page.locator("#feature-table").get_by_text(HOSTILE_NAMES[0], exact=True).count() == 1
    assert page.evaluate("typeof window.alert") == "function"  # nothing ran in its place
    assert errors == []


def test_header_click_sorts_rows(session: tuple[Any, list[str], list[str]]) -> None:
    page, errors, _ = session
    header = page.locator("#feature-table thead th").nth(0)
    header.locator("button").click()
    ascending = visible_names(page)
    assert header.get_attribute("aria-sort") == "ascending"
    expected = page.evaluate(
        "names => names.slice().sort(new Intl.Collator(undefined,"
        " {numeric: true, sensitivity: 'base'}).compare)",
        ascending,
    )
    assert ascending == expected
    header.locator("button").click()
    assert visible_names(page) == list(reversed(ascending))
    assert header.get_attribute("aria-sort") == "descending"

    psi = page.locator("#feature-table thead th").nth(4)
    psi.locator("button").click()  # numbers: largest first on the first click
    keys = page.eval_on_selector_all(
        "#feature-table tbody tr", "rows => rows.map(r => parseFloat(r.cells[4].dataset.v))"
    )
    assert keys == sorted(keys, reverse=True)
    assert errors == []


def test_name_and_status_filters_hide_rows(session: tuple[Any, list[str], list[str]]) -> None:
    page, errors, _ = session
    page.fill("#name-filter", "INCOME")
    assert sorted(visible_names(page)) == ["income", "income_log"]
    assert page.locator("#shown-count").inner_text() == f"2 of {len(NAMES)} features shown"

    page.fill("#name-filter", "")
    page.select_option("#status-filter", "CRITICAL")
    statuses = page.eval_on_selector_all(
        "#feature-table tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.status)"
    )
    assert statuses and set(statuses) == {"CRITICAL"}
    assert len(statuses) < len(NAMES)

    page.fill("#name-filter", "no such feature")
    assert visible_names(page) == []
    assert page.locator("#no-match").is_visible()

    page.fill("#name-filter", "")
    page.select_option("#status-filter", "")
    page.locator("button.tile.s-WARNING").click()  # the count tiles filter too
    assert page.locator("#status-filter").input_value() == "WARNING"
    assert errors == []


def test_table_link_opens_the_detail_view(session: tuple[Any, list[str], list[str]]) -> None:
    page, errors, _ = session
    details = page.locator("details#feature-1")
    assert not details.evaluate("d => d.open")
    page.locator("#feature-table a[href='#feature-1']").click()
    assert details.evaluate("d => d.open")
    assert details.locator("svg.bins-chart").is_visible()
    assert errors == []


def test_narrow_screen_and_screenshot(browser: Any, report: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(report.as_uri())
        page.locator("#feature-table a[href='#feature-0']").click()
        page.evaluate("window.scrollTo(0, 0)")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        assert (ARTIFACTS / "report.png").stat().st_size > 10_000

        page.set_viewport_size({"width": 380, "height": 800})
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1  # the table scrolls inside its own box; the page does not
        page.screenshot(path=str(ARTIFACTS / "report-narrow.png"), full_page=False)
    finally:
        page.close()


def test_print_layout_has_no_errors(browser: Any, report: Path) -> None:
    page = browser.new_page()
    try:
        page.goto(report.as_uri())
        page.emulate_media(media="print")
        assert not page.locator(".toolbar").is_visible()
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF")
    finally:
        page.close()
