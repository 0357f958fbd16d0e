"""Headless Chromium for the browser tests: the system's binary, never a downloaded one."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
# background networking off: this machine has no network, and Chromium would keep trying
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
