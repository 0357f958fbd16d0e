"""The ``spark`` backend's one-line errors when pyspark or Java is missing, and telling a
Spark DataFrame apart without importing pyspark. No Spark session is started here (pyspark's
absence is simulated), so these run in the everyday tier."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from driftscope.backends import spark_session as session_module
from driftscope.backends.spark_session import is_spark_frame, spark_session
from driftscope.cli import main
from driftscope.errors import ConfigError


@pytest.fixture
def no_pyspark(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import pyspark`` fails, as on a machine without the extra."""
    for name in ("pyspark", "pyspark.sql"):
        monkeypatch.setitem(sys.modules, name, None)


def test_without_pyspark_the_error_says_how_to_install_it(no_pyspark: None) -> None:
    with pytest.raises(ConfigError) as err:
        spark_session("local[2]")
    message = str(err.value)
    assert "pip install 'driftscope[spark]'" in message and "\n" not in message


def test_without_pyspark_the_cli_exits_2_in_one_line(
        no_pyspark: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = pa.table({"x": [1.0, 2.0, 3.0], "c": ["a", "b", "a"]})
    pacsv.write_csv(table, tmp_path / "ref.csv")
    pacsv.write_csv(table, tmp_path / "cur.csv")
    code = main(["run", "--reference", str(tmp_path / "ref.csv"), "--current",
                 str(tmp_path / "cur.csv"), "--backend", "spark", "--out", str(tmp_path / "o"),
                 "--no-history", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "pip install 'driftscope[spark]'" in err
    assert not (tmp_path / "o" / "drift_report.json").exists()


def test_without_java_the_error_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """No session running, no JAVA_HOME, no ``java`` on the PATH: one line, before Spark
    tries to start a JVM."""
    builder_used: list[str] = []

    class Builder:
        def __getattr__(self, name: str) -> Any:
            builder_used.append(name)
            raise AssertionError("Spark must not be started without Java")

    fake = SimpleNamespace(SparkSession=SimpleNamespace(getActiveSession=lambda: None,
                                                        builder=Builder()))
    monkeypatch.setattr(session_module, "pyspark_sql", lambda: fake)
    monkeypatch.setattr(session_module, "_SESSIONS", {})
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(session_module.shutil, "which", lambda name: None)
    with pytest.raises(ConfigError, match=r"needs a Java runtime .* JAVA_HOME$"):
        spark_session("local[2]")
    assert builder_used == []


def test_a_java_on_the_path_is_found(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(session_module.shutil, "which", lambda name: str(java))
    assert session_module.java_home() == str(tmp_path / "jdk")


def test_a_spark_dataframe_is_told_by_its_class_not_by_importing_pyspark() -> None:
    frame_type = type("DataFrame", (), {"__module__": "pyspark.sql.dataframe"})
    connect_type = type("DataFrame", (), {"__module__": "pyspark.sql.connect.dataframe"})
    assert is_spark_frame(frame_type()) and is_spark_frame(connect_type())
    assert not is_spark_frame(pa.table({"x": [1]}))
    other = type("DataFrame", (), {"__module__": "pandas.core.frame"})
    assert not is_spark_frame(other())


def test_a_table_name_needs_the_spark_backend(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    pacsv.write_csv(pa.table({"x": [1.0, 2.0]}), tmp_path / "ref.csv")
    code = main(["run", "--reference", str(tmp_path / "ref.csv"), "--current",
                 "table:db.loans", "--out", str(tmp_path / "o"), "--no-history", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "--backend spark" in err
