"""``driftscope serve``: argv -> config -> the service -> uvicorn.

FastAPI, uvicorn, croniter and prometheus_client come with ``pip install
'driftscope[serve]'``; without them the command says so in one line and exits 2. The token
is ``DRIFTSCOPE_TOKEN`` (else ``service.token`` in the config); the service does not start
without one.
"""

from __future__ import annotations

import argparse
import errno
import importlib.util
import logging
import os
import socket
import sys
from pathlib import Path
from typing import Any

from driftscope.cli_errors import EXIT_OK, UsageError

__all__ = ["TOKEN_ENV", "build_service", "cmd_serve", "listen", "no_model_warning"]

TOKEN_ENV = "DRIFTSCOPE_TOKEN"
MIN_TOKEN_CHARS = 16
NEEDS = ("fastapi", "uvicorn", "croniter", "prometheus_client")


def _check_installed() -> None:
    missing = [m for m in NEEDS if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(f"driftscope serve needs {', '.join(missing)}: pip install "
                         "'driftscope[serve]'")


def _token(cfg: Any) -> str:
    token = os.environ.get(TOKEN_ENV) or cfg.service.token
    if not token:
        raise UsageError(f"driftscope serve: no token; set the environment variable {TOKEN_ENV} "
                         "(or service.token in the config) to a secret of at least "
                         f"{MIN_TOKEN_CHARS} characters that clients send as 'Authorization: "
                         "Bearer <token>'")
    if len(token) < MIN_TOKEN_CHARS:
        raise UsageError(f"driftscope serve: {TOKEN_ENV} is {len(token)} characters long; use "
                         f"a secret of at least {MIN_TOKEN_CHARS}")
    return token


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` for the server, or a one-line :class:`UsageError`
    (a port in use, an address this machine does not have)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        cause = err.strerror or str(err)
        hint = ("stop the process that holds it or choose another --port"
                if err.errno == errno.EADDRINUSE else "check --host and --port")
        raise UsageError(f"driftscope serve: cannot listen on {host}:{port}: {cause}; "
                         f"{hint}") from None
    return sock


def no_model_warning(baseline: Any, cfg: Any) -> str | None:
    """What to say at start when the baseline holds a model's predictions but the config
    gives the rounds neither the model nor logged prediction columns (serve has no --model)."""
    if cfg.model or cfg.proba_column or cfg.prediction_column:
        return None
    if not baseline.by_origin("prediction", "predicted_class", "class_probability"):
        return None
    return ("driftscope serve: warning: the baseline holds a model's predictions but the "
            "config names no model: rounds will not measure prediction drift or performance; "
            "add 'model: model.joblib' (and 'metadata:') to the --config, or "
            "'proba_column'/'prediction_column' when the rows carry the logged predictions")


def build_service(cfg: Any, baseline: str, store: str | os.PathLike[str], token: str) -> Any:
    """The :class:`driftscope.service.app.Service` over a baseline and a store folder, with
    what a killed predecessor left behind recovered."""
    from driftscope.baseline import load_baseline
    from driftscope.service.app import Service
    from driftscope.service.ingest import IngestStore, StoreBusy
    from driftscope.service.metrics import ServiceMetrics
    from driftscope.service.rounds import NoRows, RoundRunner
    from driftscope.service.schedule import Schedule, check_cron
    from driftscope.service.validate import BatchSchema

    if cfg.service.cron is not None:
        check_cron(cfg.service.cron)
    bl = load_baseline(baseline)
    folder = Path(store)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"driftscope serve: --store {store} is a file; give a folder")
    try:
        ingest = IngestStore(folder)
    except StoreBusy as err:
        raise UsageError(f"driftscope serve: --store {err}") from None
    metrics = ServiceMetrics()
    try:
        runner = RoundRunner(cfg, baseline, ingest, metrics)
    except BaseException:
        ingest.close()
        raise
    deleted, dropped = runner.recover()
    log = logging.getLogger("driftscope.service")
    if deleted or dropped:
        log.warning("driftscope serve: recovered %s: %d unacknowledged batch file(s) removed, "
                    "%d unfinished round(s) dropped", folder, deleted, dropped)

    def scheduled() -> None:
        try:
            runner.run_pending(cfg.service.min_rows)
        except NoRows as err:
            log.info("driftscope serve: scheduled round skipped: %s", err)

    return Service(config=cfg, token=token, schema=BatchSchema.of(bl, cfg), store=ingest,
                   runner=runner, metrics=metrics,
                   schedule=Schedule(cfg.service, scheduled))


def _logging() -> None:
    """JSON lines of the access log and the service's messages on stderr (set up by the
    command only: importing driftscope configures no logging)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("driftscope.service", "driftscope.service.access"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        logger.propagate = False


def cmd_serve(ns: argparse.Namespace) -> int:
    """Start the ingestion service; returns when it is stopped (Ctrl-C, SIGTERM)."""
    from driftscope.config.loader import load_config

    _check_installed()
    cfg = load_config(ns.config, {"baseline": ns.baseline})
    if cfg.baseline is None:
        raise UsageError("driftscope serve: --baseline is required (a folder written by "
                         "'driftscope baseline'), or 'baseline' in the config")
    if not 0 <= ns.port <= 65535:
        raise UsageError(f"driftscope serve: --port must be 0 to 65535, got {ns.port}")
    token = _token(cfg)
    sock = listen(ns.host, ns.port)  # before the store is touched: a taken port changes nothing
    try:
        service = build_service(cfg, cfg.baseline, ns.store, token)
    except BaseException:
        sock.close()
        raise
    import uvicorn

    from driftscope.service.app import create_app

    _logging()
    port = sock.getsockname()[1]  # the port the system chose for --port 0
    from driftscope.notify import unreachable_receivers

    warning = no_model_warning(service.runner.monitor.baseline, cfg)
    for line in ([warning] if warning is not None else []) + unreachable_receivers(cfg):
        print(line, file=sys.stderr, flush=True)
    print(f"driftscope: serving on http://{ns.host}:{port} (store {ns.store}; history "
          f"{Path(ns.store) / 'driftscope_history.db'})", file=sys.stderr, flush=True)
    try:
        config = uvicorn.Config(create_app(service), host=ns.host, port=port,
                                log_level="warning", access_log=False, server_header=False)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        service.close()
    return EXIT_OK
