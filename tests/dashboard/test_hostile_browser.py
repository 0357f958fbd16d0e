"""Hostile production data in the running dashboard, seen by a real headless Chromium.

A history holds a round whose column names, category values, reasons, findings, model name,
baseline, window and round id are Markdown links and images pointing at a trap server on
127.0.0.1 and at ``evil.example``. The test visits every page (the hostile column in Feature
detail, expanders open, drop-downs open) and checks what only a browser can: no request left
for any origin but the dashboard's own (the trap server saw nothing), no ``<a>`` or ``<img>``
carries a URL from the data, no dialog opened, and the hostile strings read as literal text.
A screenshot of each page is saved under ``test-artifacts/``.
"""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from driftscope.dashboard import dashboard_command
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, running_server
from tests.dashboard.hostile import EVIL, Hostile, write_history

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)

REPO = Path(__file__).resolve().parents[2]
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8ffff3f0005fe02fea7d6a4b70000000049454e44ae426082"
)


class _Trap(http.server.ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 that records every request it gets."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _TrapHandler)
        self.seen: list[str] = []


class _TrapHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the http.server name)
        server = self.server
        assert isinstance(server, _Trap)
        server.seen.append(f"{self.command} {self.path}")
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG_1X1)))
        self.end_headers()
        self.wfile.write(PNG_1X1)

    do_POST = do_HEAD = do_GET  # noqa: N815

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def trap() -> Iterator[_Trap]:
    server = _Trap()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def dashboard(tmp_path: Path, trap: _Trap) -> Iterator[tuple[str, Hostile]]:
    """The dashboard on a history whose newest round is hostile; yields (URL, strings)."""
    hostile = Hostile(f"http://127.0.0.1:{trap.server_address[1]}")
    assets = tmp_path / "assets"
    history = write_history(assets / "driftscope_history.db", hostile)
    port = _free_port()
    command = dashboard_command(str(history), port=port, refresh_seconds=120, assets_dir=assets)
    with running_server(command, port, tmp_path / "server.log", REPO) as url:
        yield url, hostile


# every URL-carrying attribute of every element (SVG ``<image>`` included)
_URLS_JS = """() => {
    const out = [];
    for (const el of document.querySelectorAll('*')) {
        for (const name of ['href', 'src', 'srcset', 'xlink:href', 'action', 'poster']) {
            const value = el.getAttribute(name);
            if (value) out.push([el.tagName.toLowerCase(), name, value]);
        }
    }
    return out;
}"""


def _from_data(urls: list[list[str]], trap_port: int) -> list[list[str]]:
    return [u for u in urls if EVIL in u[2] or f":{trap_port}" in u[2]]


def _settle(page: Any) -> None:
    """Let the page finish a rerun and any image it would load."""
    page.wait_for_timeout(300)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=30_000)
    page.wait_for_timeout(700)


def _open_everything(page: Any) -> None:
    """Open the expanders and drop-downs so that their content is in the DOM."""
    for summary in page.locator("[data-testid='stExpander'] summary").all():
        summary.click()
    page.wait_for_timeout(300)


def _open_dropdowns(page: Any, check: Any) -> None:
    """Open each selectbox of the main area in turn and run ``check`` with its list open."""
    boxes = page.locator("[data-testid='stMain'] [data-testid='stSelectbox'] input")
    for i in range(boxes.count()):
        boxes.nth(i).click()
        page.locator("[role='option']").first.wait_for(timeout=10_000)
        check()
        page.keyboard.press("Escape")
        page.wait_for_timeout(200)


def _body_text(page: Any) -> str:
    return str(page.inner_text("[data-testid='stMain']")).replace("\u2060", "")


def test_hostile_names_and_values_load_nothing_and_read_as_text(
    dashboard: tuple[str, Hostile], trap: _Trap
) -> None:
    url, hostile = dashboard
    origin = urlsplit(url)
    trap_port = int(trap.server_address[1])
    elsewhere: list[str] = []
    dialogs: list[str] = []
    seen_urls: list[list[str]] = []
    not_text: list[tuple[str, str]] = []  # hostile strings that did not read as text
    ARTIFACTS.mkdir(exist_ok=True)

    def on_request(request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
            elsewhere.append(request.url)

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                     headless=True)  # fmt: skip
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            page.on("request", on_request)
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

            def check() -> None:
                seen_urls.extend(_from_data(page.evaluate(_URLS_JS), trap_port))

            page.goto(url, wait_until="domcontentloaded")
            page.get_by_text("Recent rounds").wait_for(timeout=30_000)
            sidebar = page.locator("[data-testid='stSidebar']")
            expected = {
                "Overview": ("Recent rounds", ["recommendation", "reason", "run_id",
                                                "model_name", "baseline", "window_start"]),
                "Features": ("Sort by", []),
                "Feature detail": ("Bin shares: reference vs current",
                                   ["column", "reason", "finding"]),
                "Model": ("Prediction drift", ["performance_reason"]),
            }  # fmt: skip
            strings = hostile.strings()
            for name, (marker, shown) in expected.items():
                sidebar.get_by_text(name, exact=True).click()
                page.get_by_text(marker).first.wait_for(timeout=30_000)
                _settle(page)
                _open_everything(page)
                _settle(page)
                check()
                _open_dropdowns(page, check)
                body = _body_text(page)
                not_text += [(name, key) for key in shown if strings[key] not in body]
                page.screenshot(path=str(ARTIFACTS / f"dashboard_hostile_{name}.png"),
                                full_page=True)  # fmt: skip

            # the hostile column is the one shown in Feature detail
            sidebar.get_by_text("Feature detail", exact=True).click()
            page.get_by_text("Bin shares: reference vs current").wait_for(timeout=30_000)
            _settle(page)
            heading = page.locator("[data-testid='stMain'] h3", has_text="CRITICAL").first
            if not heading.inner_text().replace("\u2060", "").startswith(hostile.column):
                not_text.append(("Feature detail", "heading"))
            check()
        finally:
            browser.close()

    assert not trap.seen, f"the trap server was asked for {trap.seen}"
    assert not elsewhere, f"requests left for other origins: {elsewhere}"
    assert not seen_urls, f"links or images from the data in the page: {seen_urls[:10]}"
    assert not dialogs, dialogs
    assert not not_text, f"hostile strings not shown as literal text: {not_text}"
