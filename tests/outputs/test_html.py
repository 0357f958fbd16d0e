"""The HTML report: structure, escaping, no outside request, size, rebuilding from JSON."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from driftscope.errors import InputError
from driftscope.outputs.html import render_html, report_from_json, write_html
from driftscope.result import RunResult, Severity
from tests.factories import make_feature, make_result
from tests.outputs.factories_extra import (
    HOSTILE_NAMES,
    make_empty_current_feature,
    make_infinite_feature,
    make_many_categories_feature,
    make_round,
    make_value_binned_feature,
    with_findings,
)

VOID = {"meta", "link", "input", "br", "img", "hr", "col", "area", "base", "source", "wbr"}


class Page(HTMLParser):
    """A parsed page: every start tag with its attributes, the text, the scripts."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self.ids: list[str] = []
        self._stack: list[str] = []
        self._in_script = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if attributes.get("id"):
            self.ids.append(attributes["id"] or "")
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
        if tag not in VOID:
            self._stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        if tag in self._stack:
            while self._stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)

    def all(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]

    @property
    def plain(self) -> str:
        return "".join(self.text)


def feature_rows(page: Page) -> list[dict[str, str | None]]:
    return [a for t, a in page.tags if t == "tr" and "data-status" in a]


@pytest.fixture(scope="module")
def page() -> Page:
    return Page(render_html(make_result()))


# -- structure ----------------------------------------------------------------------------
def test_page_is_one_document_with_header_facts(page: Page) -> None:
    text = page.plain
    assert "credit-default" in text and "v1.3.0" in text
    assert "2026-11-26 12:00:00 UTC" in text
    assert "Investigate the drifted features: income, age, home." in text
    assert "500" in text and "400" in text
    assert page.all("html", lang="en")
    assert page.all("meta", charset="utf-8")
    assert page.all("meta", name="viewport")


def test_round_status_is_text_and_colour(page: Page) -> None:
    badges = [a for t, a in page.tags if t == "span" and "badge-lg" in (a.get("class") or "")]
    assert len(badges) == 1
    assert "s-CRITICAL" in (badges[0]["class"] or "")
    assert "CRITICAL" in page.plain


def test_counts_per_level(page: Page) -> None:
    tiles = page.all("button", **{"data-filter-status": "WARNING"})
    assert len(tiles) == 1
    html = render_html(make_result())
    assert re.search(r'class="tile-n">2</span><span class="tile-l">WARNING', html)
    assert re.search(r'class="tile-n">1</span><span class="tile-l">CRITICAL', html)


def test_feature_table_has_every_feature_worst_first(page: Page) -> None:
    rows = feature_rows(page)
    assert [r["data-name"] for r in rows] == ["income", "age", "home", "debt"]
    assert [r["data-status"] for r in rows] == ["CRITICAL", "WARNING", "WARNING", "NORMAL"]
    headers = [a for t, a in page.tags if t == "th" and "aria-sort" in a]
    assert len(headers) == 10  # name, type, origin, status, PSI, KS, JS, chi2 p, missing, unseen
    assert "χ² p-value" in page.plain and "Unseen" in page.plain


def test_sortable_cells_carry_machine_sort_keys(page: Page) -> None:
    cells = [a for t, a in page.tags if t == "td" and "data-v" in a]
    assert len(cells) == 4 * 10
    psi_keys = [float(c["data-v"] or "nan") for c in cells[4::10]]
    assert psi_keys == [0.4, 0.15, 0.12, 0.01]
    ks_of_categorical = cells[2 * 10 + 5]["data-v"]
    assert ks_of_categorical == ""  # absent: sorted last by the script


def test_filters_exist(page: Page) -> None:
    assert page.all("input", id="name-filter")
    options = [a.get("value") for t, a in page.tags if t == "option"]
    assert {"", "CRITICAL", "WARNING", "NORMAL"} <= set(options)


def test_every_feature_has_a_detail_view_linked_from_the_table(page: Page) -> None:
    details = [a for t, a in page.tags if t == "details" and "col" in (a.get("class") or "")]
    assert len(details) == 4 + 1  # features + prediction
    links = [
        a["href"]
        for t, a in page.tags
        if t == "a" and (a.get("href") or "").startswith("#feature-")
    ]
    assert sorted(links) == ["#feature-0", "#feature-1", "#feature-2", "#feature-3"]
    assert all(link[1:] in page.ids for link in links)


def test_detail_views_draw_bins_and_qq_from_the_result(page: Page) -> None:
    bins_charts = [a for t, a in page.tags if t == "svg" and a.get("class") == "bins-chart"]
    qq_charts = [a for t, a in page.tags if t == "svg" and a.get("class") == "qq-chart"]
    assert len(bins_charts) == 5
    assert len(qq_charts) == 4  # three numerical features and the prediction
    bars = [a for t, a in page.tags if t == "rect" and a.get("class") in ("ref", "cur", "con")]
    # 10 bins x 3 bars for 4 numerical columns, 4 x 3 for the categorical, 2 legend keys a chart
    assert len(bars) == 4 * 30 + 12 + 5 * 2
    assert "PSI contribution" in page.plain


def test_bin_bars_scale_with_shares() -> None:
    feature = make_feature("income", Severity.CRITICAL, psi=0.4, shift=1.0)
    page = Page(render_html(make_result([feature], with_model=False)))
    widths = [
        float(a["width"] or 0) for t, a in page.tags if t == "rect" and a.get("class") == "cur"
    ]
    widths = widths[1:]  # the first is the legend key
    shares = [b.current_share for b in feature.bins]
    biggest = max(range(len(shares)), key=shares.__getitem__)
    assert max(range(len(widths)), key=widths.__getitem__) == biggest
    assert min(widths) >= 0


def test_model_output_and_performance_sections(page: Page) -> None:
    assert "model-outputs" in page.ids and "performance" in page.ids
    assert "roc_auc dropped 6.0% against the baseline" in page.plain
    assert "0.8300" in page.plain and "-6.0 %" in page.plain


def test_sections_absent_without_a_model() -> None:
    page = Page(render_html(make_result(with_model=False)))
    assert "model-outputs" not in page.ids and "performance" not in page.ids
    assert "Monitoring round" in page.plain


def test_target_and_predicted_class_sections() -> None:
    result = dataclasses.replace(
        make_result(),
        target=make_feature(
            "Status", Severity.WARNING, psi=0.2, type_="categorical", origin="target"
        ),
        predicted_class=make_feature(
            "label", Severity.NORMAL, type_="categorical", origin="predicted_class"
        ),
    )
    text = Page(render_html(result)).plain
    assert "Target" in text and "Status" in text
    assert "Predicted class" in text


def test_findings_listed() -> None:
    result = with_findings(make_result(), "age", "<b>age</b> has 12 % missing values now")
    page = Page(render_html(result))
    assert "findings" in page.ids
    assert page.plain.count("<b>age</b> has 12 % missing values now") == 2  # list + detail
    assert not page.all("b")


def test_empty_round_renders() -> None:
    result = make_result([], with_model=False)
    page = Page(render_html(result))
    assert "This round has no input features." in page.plain
    assert not feature_rows(page)


def test_edge_case_columns_render() -> None:
    features = [
        make_empty_current_feature(),
        make_value_binned_feature(),
        make_infinite_feature(),
        make_many_categories_feature(n=300),
    ]
    html = render_html(make_result(features, with_model=False))
    page = Page(html)
    assert "No values: a side has no quantiles." in page.plain
    assert "current data has no values in this column" in page.plain
    assert "of 300; the JSON result holds them all" in page.plain
    assert "NaN" not in html and "nan" not in page.plain.split()
    rendered = RunResult.from_json(make_result(features, with_model=False).to_json())
    assert render_html(rendered)  # nulls from JSON (infinite quantiles) render too


def test_numbers_formatted_for_people(page: Page) -> None:
    assert "1.0e-06" in page.plain  # PSI p-value of flagged features
    assert "0.4000" in page.plain
    assert "10.0 % →" in page.plain


# -- escaping -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hostile_html() -> str:
    result = make_round(HOSTILE_NAMES)
    result = with_findings(result, HOSTILE_NAMES[0], "finding about <script>alert(2)</script>")
    evil = "</title><script>alert(4)</script><img src=x onerror=alert(4)>"
    home = result.features[3]  # categorical: its categories become hostile too
    home = dataclasses.replace(
        home,
        bins=tuple(dataclasses.replace(b, label=f"{evil}{i}") for i, b in enumerate(home.bins)),
    )
    assert result.performance is not None and result.run.model is not None
    perf = result.performance
    result = dataclasses.replace(
        result,
        features=(*result.features[:3], home, *result.features[4:]),
        recommendation="Look at <img src=x onerror=alert(3)>",
        reason=evil,
        run=dataclasses.replace(
            result.run,
            id=evil,
            window_start=evil,
            reference=dataclasses.replace(result.run.reference, source=evil),
            model=dataclasses.replace(result.run.model, name=evil, version=evil, trained_at=evil),
        ),
        performance=dataclasses.replace(
            perf, reason=evil, metrics={evil: next(iter(perf.metrics.values()))}
        ),
        settings={"<k>": "<v onload=alert(5)>", "thresholds": {"psi": [0.1, 0.25]}},
    )
    return render_html(result)


def test_hostile_names_cannot_add_elements(hostile_html: str) -> None:
    page = Page(hostile_html)
    assert not page.all("img")
    assert len(page.all("script")) == 1
    assert all("onerror" not in a and "onload" not in a for _t, a in page.tags)
    assert all(not k.startswith("on") for _t, a in page.tags for k in a)
    assert "alert" not in page.scripts[0]


def test_hostile_names_show_as_text(hostile_html: str) -> None:
    page = Page(hostile_html)
    text = page.plain
    for name in HOSTILE_NAMES[:4]:
        assert name in text
    names = {r["data-name"] for r in feature_rows(page)}
    assert names == set(HOSTILE_NAMES)  # attribute values round-trip exactly
    assert "Look at <img src=x onerror=alert(3)>" in text
    assert "finding about <script>alert(2)</script>" in text
    evil = "</title><script>alert(4)</script><img src=x onerror=alert(4)>"
    assert text.count(evil) >= 8  # model, version, reason, run id, source, window, perf, bins


def test_script_breakout_is_escaped(hostile_html: str) -> None:
    assert "</script><script>" not in hostile_html
    assert "<script>alert" not in hostile_html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in hostile_html


def test_long_names_are_shortened_for_display_but_kept(hostile_html: str) -> None:
    page = Page(hostile_html)
    long = "x" * 10_000
    assert any(a.get("title") == long for _t, a in page.tags)
    assert long in page.plain  # the full name appears once in its detail view
    assert "x" * 99 + "…" in page.plain


def test_ids_are_unique_and_not_taken_from_data(hostile_html: str) -> None:
    page = Page(hostile_html)
    assert len(page.ids) == len(set(page.ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9-]*", i) for i in page.ids)


def test_plot_links_only_for_safe_relative_paths() -> None:
    good = dataclasses.replace(
        make_feature("a", Severity.WARNING, psi=0.2), plot="images/drift_plot_a.png"
    )
    bare = dataclasses.replace(
        make_feature("b", Severity.WARNING, psi=0.2), plot="drift_plot_b.png"
    )
    bad = [
        dataclasses.replace(make_feature(f"c{i}", Severity.WARNING, psi=0.2), plot=plot)
        for i, plot in enumerate(
            [
                "javascript:alert(1)//.png",
                "../secret.png",
                "/etc/x.png",
                "https://evil.example/x.png",
            ]
        )
    ]
    page = Page(render_html(make_result([good, bare, *bad], with_model=False)))
    hrefs = [
        a["href"] for t, a in page.tags if t == "a" and not (a.get("href") or "").startswith("#")
    ]
    assert sorted(hrefs) == ["images/drift_plot_a.png", "images/drift_plot_b.png"]


# -- offline ------------------------------------------------------------------------------
def test_content_security_policy_forbids_outside_sources(page: Page) -> None:
    metas = page.all("meta", **{"http-equiv": "Content-Security-Policy"})
    assert len(metas) == 1
    policy = {
        part.split()[0]: part.split()[1:]
        for part in (metas[0]["content"] or "").split(";")
        if part.strip()
    }
    assert policy["default-src"] == ["'none'"]
    assert policy["img-src"] == ["data:"]
    assert policy["style-src"] == ["'unsafe-inline'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'none'"]
    (script_source,) = policy["script-src"]
    digest = base64.b64encode(hashlib.sha256(page.scripts[0].encode()).digest()).decode()
    assert script_source == f"'sha256-{digest}'"  # only this exact script may run


def test_no_outside_references(hostile_html: str, page: Page) -> None:
    for html in (hostile_html, render_html(make_result())):
        parsed = Page(html)
        for _tag, attrs in parsed.tags:
            for key in ("src", "href", "action", "srcset", "poster", "data", "xlink:href"):
                value = (attrs.get(key) or "").strip().lower()
                assert not re.match(r"^[a-z][a-z0-9+.-]*:", value) or value == "data:,", (
                    key,
                    value,
                )
                assert not value.startswith("//")
        assert not re.search(r"https?://", html)
        assert "@import" not in html and "url(" not in html


# -- size ---------------------------------------------------------------------------------
def test_fifty_features_fit_the_size_budget() -> None:
    result = make_round([f"feature_{i:02d}_with_a_realistic_name" for i in range(50)])
    html = render_html(result)
    size = len(html.encode("utf-8"))
    assert size < 1_500_000, size


# -- writing and rebuilding ---------------------------------------------------------------
def test_write_html_writes_atomically(tmp_path: Path) -> None:
    target = tmp_path / "out" / "drift_report.html"
    assert write_html(make_result(), target) == target
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in target.parent.iterdir()] == ["drift_report.html"]


def test_report_from_json_round_trip(tmp_path: Path) -> None:
    result = with_findings(make_round(HOSTILE_NAMES[:3] + ["age"]), "age", "age moved")
    source = tmp_path / "drift_report.json"
    source.write_text(result.to_json(), encoding="utf-8")
    out = report_from_json(source, tmp_path / "report.html")
    html = out.read_text(encoding="utf-8")
    assert html == render_html(RunResult.from_json(result.to_json()))
    assert {r["data-name"] for r in feature_rows(Page(html))} == {*HOSTILE_NAMES[:3], "age"}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such report"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "holds a JSON list"),
        ("{}", "schema_version"),
        (json.dumps({"schema_version": "2.0"}), "1.x"),
        (json.dumps({"schema_version": "1.0", "run": {}}), "not a driftscope report"),
    ],
)
def test_report_from_json_errors_name_the_file(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    source = tmp_path / "drift_report.json"
    if content is not None:
        source.write_text(content, encoding="utf-8")
    target = tmp_path / "report.html"
    with pytest.raises(InputError) as info:
        report_from_json(source, target)
    message = str(info.value)
    assert str(source) in message and expected in message
    assert "\n" not in message
    assert not target.exists()


def test_the_report_renders_without_a_template_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    import jinja2

    from driftscope.outputs import html

    assert isinstance(html._bytecode_cache(), jinja2.FileSystemBytecodeCache)

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("no temp folder")

    monkeypatch.setattr(jinja2, "FileSystemBytecodeCache", refuse)
    html._environment.cache_clear()
    try:
        assert html._bytecode_cache() is None
        page = html.render_html(make_result())
        assert page.startswith("<!DOCTYPE html>")
    finally:
        html._environment.cache_clear()
