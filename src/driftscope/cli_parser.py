"""The ``driftscope`` command line: every subcommand, flag and help text.

:func:`build_parser` builds it; :func:`overrides` reads the settings a namespace holds, to be
merged over the config file (flags win).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, NoReturn

from driftscope.cli_errors import UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _add_round_args(p: argparse.ArgumentParser, policy: bool = True) -> None:
    """Flags shared by ``run`` and ``baseline``; ``policy`` adds those only a round uses."""
    p.add_argument("--reference", help="reference (training) data: CSV, Parquet or a folder")
    p.add_argument("--reference-sql", dest="reference_sql", metavar="QUERY",
                   help="reference data from this SQL query (with --sql-url or --sql-url-env)")
    url = p.add_mutually_exclusive_group()
    url.add_argument("--sql-url", dest="sql_url", metavar="URL", help="database the "
                     "--reference-sql / --current-sql query reads: postgresql://…, "
                     "sqlite:///path or a SQLAlchemy URL")
    url.add_argument("--sql-url-env", dest="sql_url_env", metavar="NAME", help="environment "
                     "variable holding that database URL (keeps the password out of the "
                     "shell history)")
    p.add_argument("--config", help="monitoring.yaml; flags win over its values")
    p.add_argument("--model", help="fitted model (.joblib/.pkl/.skops); loading runs its code")
    p.add_argument("--metadata", help="model metadata (JSON or YAML)")
    p.add_argument("--target", help="target column")
    p.add_argument("--positive-class", dest="positive_class", help="positive class label")
    p.add_argument("--feature-engineering", dest="feature_engineering",
                   help="'package.module:function' or a fitted transformer file")
    p.add_argument("--proba-column", dest="proba_column",
                   help="column with the logged probability of the positive class")
    p.add_argument("--prediction-column", dest="prediction_column",
                   help="column with the logged predicted class")
    p.add_argument("--timestamp-column", dest="timestamp_column",
                   help="time column: sets the round's window, used by --chunk-by")
    p.add_argument("--categorical", action="append", help="treat column (glob) as categorical")
    p.add_argument("--ignore", action="append", help="do not monitor column (glob)")
    if policy:  # a baseline holds profiles only: significance and draws act in the round
        p.add_argument("--significance", type=float, help="significance level (default 0.01)")
        p.add_argument("--seed", type=int, help="seed of the PSI significance draws (default 0)")
        p.add_argument("--ks", choices=("exact", "approximate"),
                       help="Kolmogorov-Smirnov from the sorted values (exact, default) or, "
                       "with --backend streaming, from quantile sketches (approximate)")
    p.add_argument("--workers", type=int, help="threads used for profiling (default: CPUs)")
    p.add_argument("--backend", help="how the data is profiled: local (in memory, default), "
                   "streaming (files read by batch, bounded memory) or spark (on Spark)")
    p.add_argument("--spark-master", dest="spark_master", metavar="URL",
                   help="with --backend spark: Spark's master URL (local[*], "
                   "spark://host:7077, yarn; default: the active session, else local[*])")
    prog = p.add_mutually_exclusive_group()
    prog.add_argument("--progress", dest="progress", action="store_const", const="always",
                      help="always show progress")
    prog.add_argument("--no-progress", dest="progress", action="store_const", const="never",
                      help="never show progress")


def build_parser() -> argparse.ArgumentParser:
    """The parser of the ``driftscope`` command and its subcommands."""
    parser = _Parser(prog="driftscope", description="Model monitoring: data drift, prediction "
                     "drift and performance of a classification model in production.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = sub.add_parser("run", help="run one monitoring round")
    _add_round_args(run)
    run.add_argument("--current", help="current (production) data: CSV, Parquet or a folder")
    run.add_argument("--current-sql", dest="current_sql", metavar="QUERY",
                     help="current data from this SQL query (with --sql-url or --sql-url-env)")
    run.add_argument("--baseline", help="saved baseline folder instead of --reference")
    run.add_argument("--out", help="output folder (default assets)")
    run.add_argument("--fail-on", dest="fail_on", choices=["warning", "critical"],
                     help="exit 1 when the round reaches this level")
    run.add_argument("--plots", choices=["drifted", "all", "none"],
                     help="PNG plots for drifted features (default), all, or none")
    run.add_argument("--plot-limit", dest="plot_limit", type=int, metavar="N",
                     help="draw at most N PNGs (default 50): the --plot ones, then the worst")
    run.add_argument("--plot", dest="plot_features", action="append", metavar="COLUMN",
                     help="also plot this column (glob; repeatable), whatever its status")
    run.add_argument("--no-html", dest="html", action="store_const", const=False,
                     help="do not write the HTML report")
    record = run.add_mutually_exclusive_group()
    record.add_argument("--history", help="history database URL or SQLite file "
                        "(default: <out>/driftscope_history.db, or in the folder above "
                        "per-run folders such as runs/2026-01-05)")
    record.add_argument("--no-history", action="store_true", help="do not record the round")
    run.add_argument("--history-init", dest="history_init", action="store_true",
                     help="add driftscope's tables to an existing database that holds other "
                     "tables (refused without this flag)")
    run.add_argument("--chunk-by", dest="chunk_by", choices=["day", "week", "month"],
                     help="split the current data into one round per period")
    run.add_argument("--chunk-size", dest="chunk_size", type=int,
                     help="split the current data into rounds of N rows")
    run.add_argument("--quiet", action="store_true", help="print nothing on success")
    run.add_argument("--metrics-file", dest="metrics_file", metavar="PATH",
                     help="also write the round's Prometheus metrics to PATH (text format, "
                     "atomically) for node_exporter's textfile collector")
    run.add_argument("--id-column", dest="id_column", metavar="COLUMN",
                     help="row id column: the history keeps each row's id with its "
                     "prediction, so 'driftscope labels' can attach labels later")

    base = sub.add_parser("baseline", help="profile the reference once and save it")
    _add_round_args(base, policy=False)
    base.add_argument("--out", required=True, help="baseline folder to write")

    rep = sub.add_parser("report", help="re-render the HTML report from a saved JSON report")
    rep.add_argument("--from", dest="source", required=True, help="drift_report.json")
    rep.add_argument("--out", required=True, help="HTML file to write")

    sim = sub.add_parser("simulate", help="write a simulated production batch (demo)",
                         add_help=False)
    sim.add_argument("args", nargs=argparse.REMAINDER)

    hist = sub.add_parser("history", help="print the recorded rounds")
    hist.add_argument("--history", help="history database URL or SQLite file "
                      "(default assets/driftscope_history.db, where 'driftscope run' records "
                      "with the default --out)")
    hist.add_argument("--feature", help="show this feature's series")
    hist.add_argument("--last", type=int, help="only the last N rounds")
    hist.add_argument("--format", choices=["table", "json", "csv"], default="table")

    dash = sub.add_parser("dashboard", help="start the Streamlit dashboard")
    dash.add_argument("--history", help="history database URL or SQLite file (default: "
                      "where a round written into --assets is recorded)")
    dash.add_argument("--port", type=int, default=8501)
    dash.add_argument("--host", default="127.0.0.1")
    dash.add_argument("--refresh", type=int, default=30, help="seconds between refreshes")
    dash.add_argument("--assets", help="folder with the PNG diagnostics (default: the "
                      "history file's folder, else ./assets)")
    _add_operations(sub)
    _add_serve(sub)
    return parser


def _add_serve(sub: Any) -> None:
    """``serve``: the ingestion service (``pip install 'driftscope[serve]'``)."""
    serve = sub.add_parser("serve", help="receive production rows over HTTP and run rounds "
                           "on request or on a schedule")
    serve.add_argument("--baseline", help="saved baseline folder the rows are checked and "
                       "measured against (or 'baseline' in the config)")
    serve.add_argument("--store", required=True, help="folder of the received batches, the "
                       "history (driftscope_history.db) and the latest report (out/)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--config", help="monitoring.yaml: the round's settings and its "
                       "service section (token, max_request_bytes, every_minutes or cron)")


def _add_operations(sub: Any) -> None:
    """``labels`` (late labels) and ``watch`` (a round per file landing in a folder)."""
    lab = sub.add_parser("labels", help="attach labels that arrived later to recorded rounds")
    lab.add_argument("--file", required=True, help="labels: CSV or Parquet")
    lab.add_argument("--id-column", dest="id_column", required=True, metavar="COLUMN",
                     help="the id column of the file (joined with the ids the rounds kept "
                     "with 'run --id-column')")
    lab.add_argument("--label-column", dest="label_column", metavar="COLUMN",
                     help="the label column of the file (default: the rounds' target)")
    lab.add_argument("--history", help="history database URL or SQLite file (default "
                     "assets/driftscope_history.db)")
    lab.add_argument("--format", choices=["table", "json"], default="table")

    watch = sub.add_parser("watch", help="run a round for each file that lands in a folder")
    watch.add_argument("--folder", required=True, help="the folder to watch (CSV, Parquet)")
    watch.add_argument("--config", help="monitoring.yaml (reference or baseline, model, ...)")
    watch.add_argument("--baseline", help="saved baseline folder (instead of the config's)")
    watch.add_argument("--out", help="output folder of each round's report (default: the "
                       "config's out, else assets)")
    watch.add_argument("--history", help="history database URL or SQLite file (default: "
                       "<out>/driftscope_history.db)")
    watch.add_argument("--poll", type=float, default=2.0, metavar="SECONDS",
                       help="seconds between looks at the folder (default 2)")
    watch.add_argument("--once", action="store_true",
                       help="process the files that are ready, then exit")
    watch.add_argument("--quiet", action="store_true", help="print nothing but errors")


ROUND_KEYS = ("reference", "model", "metadata", "target", "positive_class",
              "feature_engineering", "proba_column", "prediction_column", "timestamp_column",
              "categorical", "ignore", "significance", "seed", "workers", "progress",
              "backend", "ks", "spark_master")
"""The settings of ``run`` and ``baseline`` that :func:`_add_round_args` gives a flag."""


def overrides(ns: argparse.Namespace, extra: Sequence[str] = ()) -> dict[str, Any]:
    """The settings given as flags (those not given are left to the config file and the
    defaults): the round's flags plus ``extra``."""
    out = {k: getattr(ns, k) for k in (*ROUND_KEYS, *extra) if getattr(ns, k, None) is not None}
    return {**out, **_sql_flags(ns)}


def _sql_flags(ns: argparse.Namespace) -> dict[str, Any]:
    """``--reference-sql`` / ``--current-sql`` with their database, as the config's
    ``{sql, url | url_env}`` mappings; the URL flags go with a query flag."""
    url = {"url": ns.sql_url} if getattr(ns, "sql_url", None) is not None else (
        {"url_env": ns.sql_url_env} if getattr(ns, "sql_url_env", None) is not None else None)
    out: dict[str, Any] = {}
    for side in ("reference", "current"):
        query = getattr(ns, f"{side}_sql", None)
        if query is None:
            continue
        if getattr(ns, side, None) is not None:
            raise UsageError(f"--{side} and --{side}-sql are both given; choose one")
        if url is None:
            raise UsageError(f"--{side}-sql needs the database: add --sql-url URL or "
                             "--sql-url-env NAME")
        out[side] = {"sql": query, **url}
    if url is not None and not out:
        flag = "--sql-url" if "url" in url else "--sql-url-env"
        raise UsageError(f"{flag} is given without a query; add --current-sql or "
                         "--reference-sql (a query in the config names its own url)")
    return out
