"""The Spark session the ``spark`` backend runs on, and pyspark imported only when it is used.

pyspark is an optional extra (``pip install 'driftscope[spark]'``) and needs a Java runtime;
either missing is a one-line :class:`~driftscope.errors.ConfigError` that says how to fix it.
One session is made per master URL and reused by every round of the process (starting a JVM
takes seconds); a session the caller made itself (``SparkSession.getActiveSession()``, e.g.
under ``spark-submit`` or in a notebook) is used as it is. Spark's own logging is turned down
to errors and its console progress bar off, so a round prints what driftscope prints.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from driftscope.errors import ConfigError

INSTALL_HINT = "pip install 'driftscope[spark]'"

DEFAULT_MASTER = "local[*]"
"""Where Spark runs when neither ``spark_master`` nor an active session says: this machine,
one worker thread per core."""

_SESSIONS: dict[str, Any] = {}


def pyspark_sql() -> Any:
    """The ``pyspark.sql`` module, or a one-line error with the install hint."""
    try:
        with quiet_pyspark():
            import pyspark.sql as sql
            import pyspark.sql.pandas.types  # noqa: F401  (warns about pandas on import)
    except ImportError:
        raise ConfigError(f"backend: spark needs pyspark, which is not installed; install it "
                          f"with: {INSTALL_HINT}") from None
    return sql


def java_home() -> str | None:
    """A Java runtime Spark can start: ``JAVA_HOME`` when set, else ``java`` on the PATH (its
    JDK folder is then exported as ``JAVA_HOME``); None when there is none."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return home
    java = shutil.which("java")
    if java is None:
        return None
    found = str(Path(java).resolve().parent.parent)
    os.environ["JAVA_HOME"] = found
    return found


def spark_session(master: str | None = None) -> Any:
    """The session to profile on: the active one when the caller made it and asked for no
    other master, else one made (once per process) for ``master``."""
    sql = pyspark_sql()
    running = sql.SparkSession.getActiveSession()
    if running is None:
        running = next((s for s in _SESSIONS.values() if s.sparkContext._jsc is not None),
                       None)
    if running is not None:
        if master is not None and running.sparkContext.master != master:
            # one SparkContext per process: a second master cannot be had without stopping
            # the caller's session, which is not driftscope's to stop
            raise ConfigError(f"spark_master: {master!r} asked, but this process already runs "
                              f"Spark on {running.sparkContext.master!r}; leave spark_master "
                              "unset to use that session, or run in a new process")
        return running
    wanted = master or DEFAULT_MASTER
    if java_home() is None:
        raise ConfigError("backend: spark needs a Java runtime (17 or newer) and none was found; "
                          "install one (e.g. apt-get install openjdk-17-jre-headless) or set "
                          "JAVA_HOME")
    try:
        session = (sql.SparkSession.builder.master(wanted)
                   .appName("driftscope")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.ui.enabled", "false")
                   .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                   .config("spark.driver.extraJavaOptions",
                           f"-Dlog4j2.configurationFile={_quiet_log_config()}")
                   .getOrCreate())
    except Exception as err:  # a bad master URL or a JVM that cannot start
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(f"spark_master: cannot start Spark on {wanted!r} ({first}); check "
                          "the master URL (local[*], spark://host:7077, yarn) and Java") from None
    session.sparkContext.setLogLevel("ERROR")
    _SESSIONS[wanted] = session
    atexit.register(_stop, wanted)  # a session driftscope made, driftscope stops
    return session


def _stop(master: str) -> None:
    session = _SESSIONS.pop(master, None)
    if session is not None:
        with contextlib.suppress(Exception):
            session.stop()


def _quiet_log_config() -> str:
    """A log4j2 configuration that lets only Spark's errors through (Spark otherwise logs
    warnings about the host name and native libraries on every start)."""
    import tempfile

    path = Path(tempfile.gettempdir()) / "driftscope-spark-log4j2.properties"
    if not path.exists():
        path.write_text("rootLogger.level = error\n"
                        "rootLogger.appenderRef.stderr.ref = console\n"
                        "appender.console.type = Console\n"
                        "appender.console.name = console\n"
                        "appender.console.target = SYSTEM_ERR\n"
                        "appender.console.layout.type = PatternLayout\n"
                        "appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n\n",
                        encoding="utf-8")
    return str(path)


def is_spark_frame(obj: object) -> bool:
    """Whether ``obj`` is a Spark DataFrame (classic or Connect), told by its class's module
    so that pyspark is not imported to ask."""
    module = type(obj).__module__ or ""
    return module.startswith("pyspark.sql") and type(obj).__name__ == "DataFrame"


@contextlib.contextmanager
def quiet_pyspark() -> Iterator[None]:
    """pyspark's warning about the installed pandas version is not the user's business."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support",
                                category=FutureWarning)
        yield
