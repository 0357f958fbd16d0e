"""Settings of the dashboard app: command-line arguments after ``--``, then environment.

::

    streamlit run app.py -- --history URL --assets DIR --refresh SECONDS --rounds N

or the environment variables ``DRIFTSCOPE_HISTORY``, ``DRIFTSCOPE_ASSETS``,
``DRIFTSCOPE_REFRESH_SECONDS`` and ``DRIFTSCOPE_DASHBOARD_ROUNDS``. Arguments win over the
environment; without either, the history is ``<assets>/driftscope_history.db`` and the assets
folder is ``assets``. No Streamlit here: this module is plain Python.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from driftscope.errors import ConfigError
from driftscope.store import default_history_url

ENV_HISTORY = "DRIFTSCOPE_HISTORY"
ENV_ASSETS = "DRIFTSCOPE_ASSETS"
ENV_REFRESH = "DRIFTSCOPE_REFRESH_SECONDS"
ENV_ROUNDS = "DRIFTSCOPE_DASHBOARD_ROUNDS"

DEFAULT_REFRESH_SECONDS = 30.0
DEFAULT_ROUNDS = 100


@dataclass(frozen=True)
class DashboardConfig:
    """What the app reads and how often.

    Attributes
    ----------
    history_url : str
        The history store (SQLite file or URL, PostgreSQL URL).
    assets_dir : Path
        Folder of the round's files; PNG diagnostics are looked up under it.
    refresh_seconds : float
        How often an open page looks for new rounds.
    rounds : int
        How many of the newest rounds the time series show.
    """

    history_url: str
    assets_dir: Path
    refresh_seconds: float = DEFAULT_REFRESH_SECONDS
    rounds: int = DEFAULT_ROUNDS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="driftscope dashboard app", add_help=False,
                                     allow_abbrev=False)  # fmt: skip
    parser.add_argument("--history")
    parser.add_argument("--assets")
    parser.add_argument("--refresh")
    parser.add_argument("--rounds")
    return parser


def _number(text: str, name: str, minimum: float, integer: bool = False) -> float:
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise ConfigError(f"{name} must be {kind}, got {text!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum:g}, got {text!r}")
    return value


def load_config(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> DashboardConfig:
    """Build the configuration from arguments and environment.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments after ``--`` (unknown ones are ignored, so the app survives being run by
        a test runner with its own arguments).
    environ : mapping, optional
        Environment (default ``os.environ``).

    Returns
    -------
    DashboardConfig

    Raises
    ------
    ConfigError
        When the refresh interval or the number of rounds is not a valid number.
    """
    env = os.environ if environ is None else environ
    args, _unknown = _parser().parse_known_args(list(argv or []))
    assets = Path(args.assets or env.get(ENV_ASSETS) or "assets")
    history = args.history or env.get(ENV_HISTORY) or default_history_url(assets)
    refresh_text = args.refresh or env.get(ENV_REFRESH)
    refresh = (
        _number(refresh_text, "the refresh interval (seconds)", 0.5)
        if refresh_text
        else DEFAULT_REFRESH_SECONDS
    )
    rounds_text = args.rounds or env.get(ENV_ROUNDS)
    rounds = (
        int(_number(rounds_text, "the number of rounds", 1, integer=True))
        if rounds_text
        else DEFAULT_ROUNDS
    )
    return DashboardConfig(
        history_url=str(history), assets_dir=assets, refresh_seconds=refresh, rounds=rounds
    )
