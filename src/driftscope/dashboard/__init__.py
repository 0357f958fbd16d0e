"""The Streamlit dashboard (optional extra ``driftscope[dashboard]``).

Importing this package does not import Streamlit; :func:`launch` checks that it is installed
and runs the app in a ``streamlit run`` subprocess.

>>> from driftscope.dashboard import launch
>>> launch("sqlite:///assets/driftscope_history.db", port=8501)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from driftscope.errors import ConfigError

__all__ = ["APP_PATH", "dashboard_command", "launch"]

APP_PATH = Path(__file__).resolve().parent / "app.py"
"""The Streamlit script of the dashboard."""

_INSTALL_HINT = "the dashboard needs streamlit: pip install 'driftscope[dashboard]'"


def _require_streamlit() -> None:
    if importlib.util.find_spec("streamlit") is None:
        raise ConfigError(_INSTALL_HINT)


def dashboard_command(
    history_url: str,
    port: int = 8501,
    refresh_seconds: float = 30,
    assets_dir: str | os.PathLike[str] = "assets",
    host: str = "127.0.0.1",
) -> list[str]:
    """The command line that serves the dashboard.

    Parameters
    ----------
    history_url : str
        History store URL or SQLite file.
    port : int
        TCP port (1-65535).
    refresh_seconds : float
        How often an open page looks for new rounds (at least 0.5).
    assets_dir : str or PathLike
        Folder whose PNG diagnostics the pages show.
    host : str
        Address to listen on; the default serves this machine only.

    Returns
    -------
    list of str
        ``python -m streamlit run app.py --server... -- --history ... --refresh ...``.

    Raises
    ------
    ConfigError
        When the port or the refresh interval is out of range.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ConfigError(f"--port must be a TCP port between 1 and 65535, got {port!r}")
    if not refresh_seconds or refresh_seconds < 0.5:
        raise ConfigError(f"--refresh must be at least 0.5 seconds, got {refresh_seconds!r}")
    if not str(history_url).strip():
        raise ConfigError("--history must name a history database (file path or URL)")
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_PATH),
        "--server.headless",
        "true",
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
        "--",
        "--history",
        str(history_url),
        "--assets",
        os.fspath(assets_dir),
        "--refresh",
        f"{refresh_seconds:g}",
    ]


def launch(
    history_url: str,
    port: int = 8501,
    refresh_seconds: int = 30,
    assets_dir: str = "assets",
    host: str = "127.0.0.1",
) -> int:
    """Serve the dashboard until it is stopped (Ctrl-C); return the server's exit code.

    Parameters
    ----------
    history_url : str
        History store URL or SQLite file.
    port : int
        TCP port.
    refresh_seconds : int
        How often an open page looks for new rounds.
    assets_dir : str
        Folder whose PNG diagnostics the pages show.
    host : str
        Address to listen on (default: this machine only).

    Returns
    -------
    int
        The exit code of ``streamlit run`` (0 after Ctrl-C).

    Raises
    ------
    ConfigError
        When Streamlit is not installed, or a setting is out of range.
    """
    _require_streamlit()
    command = dashboard_command(history_url, port, refresh_seconds, assets_dir, host)
    print(
        f"driftscope: dashboard on http://{host}:{port} (history {_masked(history_url)}); "
        "Ctrl-C stops it",
        file=sys.stderr,
        flush=True,
    )
    process = subprocess.Popen(command)

    def stop(signum: int, _frame: object) -> None:  # a service manager's SIGTERM stops both
        process.terminate()

    import signal

    previous = signal.signal(signal.SIGTERM, stop) if threading_main() else None
    try:
        return process.wait()
    except KeyboardInterrupt:
        # the terminal sent Ctrl-C to the whole process group; let streamlit finish cleanly
        try:
            process.wait(timeout=10)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            process.kill()
            process.wait()
        return 0
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def threading_main() -> bool:
    """Signal handlers can only be set from the main thread."""
    import threading

    return threading.current_thread() is threading.main_thread()


def _masked(url: str) -> str:
    from driftscope.store import mask_url

    return mask_url(url)
