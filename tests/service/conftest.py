"""Fixtures of the service tests: a saved baseline, a config, an in-process app and a real
uvicorn server started as a subprocess on 127.0.0.1."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.conftest import make_frame

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CONFIG = ("target: status\ntimestamp_column: ts\nplots: none\nhtml: false\nprogress: never\n")


def rows(n: int, seed: int, drift: bool = False) -> pd.DataFrame:
    """Production rows: the reference's columns with a time, the label included."""
    frame = make_frame(n, seed, drift=drift)
    frame["ts"] = pd.Timestamp("2026-01-05T10:00:00") + pd.to_timedelta(range(n), unit="s")
    frame["ts"] = frame["ts"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return frame


def as_json(frame: pd.DataFrame) -> bytes:
    return frame.to_json(orient="records").encode()


def as_csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def as_parquet(frame: pd.DataFrame) -> bytes:
    out = io.BytesIO()
    frame.to_parquet(out, index=False)
    return out.getvalue()


TYPES = {"json": "application/json", "csv": "text/csv",
         "parquet": "application/vnd.apache.parquet"}
BODIES = {"json": as_json, "csv": as_csv, "parquet": as_parquet}


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A baseline of 2,000 reference rows (target ``status``, time ``ts``)."""
    from driftscope.cli import main

    folder = tmp_path_factory.mktemp("service-baseline")
    rows(2000, seed=1).to_parquet(folder / "ref.parquet", index=False)
    code = main(["baseline", "--reference", str(folder / "ref.parquet"), "--target", "status",
                 "--timestamp-column", "ts", "--out", str(folder / "baseline"),
                 "--no-progress"])
    assert code == 0
    return folder / "baseline"


def write_config(folder: Path, extra: str = "") -> Path:
    path = folder / "monitoring.yaml"
    path.write_text(CONFIG + extra, encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``driftscope serve`` in a subprocess on 127.0.0.1; started, killed, restarted."""

    def __init__(self, baseline: Path, store: Path, config: Path,
                 env: dict[str, str] | None = None) -> None:
        self.baseline, self.store, self.config = baseline, store, config
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DRIFTSCOPE_TOKEN": TOKEN, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = store.parent / f"serve-{self.port}.log"

    def start(self, timeout: float = 60.0) -> Server:
        import httpx

        with open(self.log, "ab") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "driftscope.cli", "serve", "--baseline",
                 str(self.baseline), "--store", str(self.store), "--config", str(self.config),
                 "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=fh, stderr=fh, env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the service exited: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the service did not start: {self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)


@pytest.fixture
def server(baseline: Path, tmp_path: Path) -> Iterator[Any]:
    """A factory of started servers over ``tmp_path/store``, stopped after the test."""
    started: list[Server] = []

    def make(extra_config: str = "", env: dict[str, str] | None = None) -> Server:
        srv = Server(baseline, tmp_path / "store", write_config(tmp_path, extra_config), env)
        started.append(srv)
        return srv.start()

    yield make
    for srv in started:
        srv.stop()


@pytest.fixture
def service(baseline: Path, tmp_path: Path) -> Iterator[Any]:
    """A factory of in-process services (``Service``) over ``tmp_path/store``."""
    from driftscope.config.loader import load_config
    from driftscope.service.command import build_service

    made: list[Any] = []

    def make(extra_config: str = "", folder: Path | None = None) -> Any:
        cfg = load_config(write_config(tmp_path, extra_config), {"baseline": str(baseline)})
        svc = build_service(cfg, str(baseline), folder or tmp_path / "store", TOKEN)
        made.append(svc)
        return svc

    yield make
    for svc in made:
        svc.close()
