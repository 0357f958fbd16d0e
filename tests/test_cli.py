"""The ``driftscope`` command line, end to end.

Three promises are checked here:

* bad input or usage ends with exit code 2, one line on stderr that names the file, column or
  key and says what to do, no traceback, and the files of an earlier round left as they were;
* awkward but valid data (all-missing columns, constants, infinities, one row, thousands of
  categories, hostile column names) is reported as findings, never as a crash;
* every config field and every flag of ``run`` and ``baseline`` changes something a user can
  see (the JSON report, the files written, the exit code, stderr or the history).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from tests.conftest import CHUNK_DATES, FAST, HOSTILE_NAMES, CliResult, DataFiles, feature

Cli = Callable[..., CliResult]


def write_yaml(path: Path, values: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(values, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def files_state(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Content and modification time of every file under ``folder``."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def names(report: dict[str, Any]) -> list[str]:
    return [f["name"] for f in report["features"]]


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["status"] for f in report["features"]}


def without_run(report: dict[str, Any]) -> dict[str, Any]:
    """The report minus the parts that differ between two identical rounds (ids, times)."""
    out = copy.deepcopy(report)
    out.pop("run")
    return out


def round_(cli: Cli, out: Path, reference: Path | None, current: Path | None, *args: Any,
           config: dict[str, Any] | None = None) -> tuple[CliResult, dict[str, Any]]:
    """One fast round (JSON only) into ``out``; returns the CLI result and the parsed report."""
    argv: list[Any] = ["run", "--out", out, *FAST]
    if reference is not None:
        argv += ["--reference", reference]
    if current is not None:
        argv += ["--current", current]
    if config is not None:
        argv += ["--config", write_yaml(out.parent / f"{out.name}.yaml", config)]
    result = cli(*argv, *args)
    assert result.code in (0, 1), result.err
    return result, result.report(out)


# =========================================================================================
# 1. Wrong input: exit 2, one line, no traceback, earlier files untouched
# =========================================================================================

ErrorCase = Callable[[Path, DataFiles], tuple[list[Any], list[str]]]
ERROR_CASES: dict[str, ErrorCase] = {}


def error_case(fn: ErrorCase) -> ErrorCase:
    ERROR_CASES[fn.__name__] = fn
    return fn


def _run(data: DataFiles, current: Any, *extra: Any) -> list[Any]:
    return ["run", "--reference", data.ref_csv, "--current", current, *extra]


@error_case
def current_does_not_exist(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    return _run(data, tmp / "nowhere" / "cur.csv"), ["cur.csv", "no such file", "check the path"]


@error_case
def reference_does_not_exist(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    return (["run", "--reference", tmp / "ref_missing.parquet", "--current", data.same_csv],
            ["ref_missing.parquet", "no such file"])


@error_case
def empty_file(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    (tmp / "empty.csv").write_bytes(b"")
    return _run(data, tmp / "empty.csv"), ["empty.csv", "empty"]


@error_case
def header_without_rows(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    (tmp / "header.csv").write_text("age,income,children,home,has_phone\n")
    return _run(data, tmp / "header.csv"), ["header.csv", "no rows", "add data rows"]


@error_case
def parquet_without_rows(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    pd.read_csv(data.ref_csv).iloc[:0].to_parquet(tmp / "none.parquet")
    return _run(data, tmp / "none.parquet"), ["none.parquet", "no rows"]


@error_case
def excel_file(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    (tmp / "book.xlsx").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    return _run(data, tmp / "book.xlsx"), ["book.xlsx", "unsupported", "CSV", "Parquet"]


@error_case
def random_bytes_named_parquet(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    (tmp / "noise.parquet").write_bytes(np.random.default_rng(0).bytes(2048))
    return _run(data, tmp / "noise.parquet"), ["noise.parquet", "not a readable Parquet"]


@error_case
def binary_named_csv(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    (tmp / "noise.csv").write_bytes(b"\xff\xfe\x00" + np.random.default_rng(1).bytes(2048))
    return _run(data, tmp / "noise.csv"), ["noise.csv", "UTF-8"]


@error_case
def ragged_csv(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    (tmp / "ragged.csv").write_text("age,income,children,home,has_phone\n1,2,3,rent,True\n4,5\n")
    return _run(data, tmp / "ragged.csv"), ["ragged.csv", "not a readable CSV"]


@error_case
def current_shares_no_column(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    # a missing column or a number turned to text is a finding of the round
    # (tests/test_pipeline_schema.py); a file with none of the columns is the wrong file
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_csv(tmp / "cur.csv", index=False)
    return _run(data, tmp / "cur.csv"), ["cur.csv", "none of the reference's monitored columns",
                                         "'age'", "right one"]


@error_case
def duplicate_csv_header(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    (tmp / "dup.csv").write_text("age,income,age\n1,2,3\n4,5,6\n")
    return _run(data, tmp / "dup.csv"), ["dup.csv", "duplicate column name 'age'", "unique"]


@error_case
def duplicate_parquet_columns(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    table = pa.table([pa.array([1.0, 2.0]), pa.array([3.0, 4.0])], names=["income", "income"])
    pq.write_table(table, tmp / "dup.parquet")
    return _run(data, tmp / "dup.parquet"), ["dup.parquet", "duplicate column name 'income'"]


@error_case
def config_value_of_wrong_type(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    cfg = write_yaml(tmp / "typed.yaml", {"significance": "high"})
    return (_run(data, data.same_csv, "--config", cfg),
            ["typed.yaml", "'significance'", "number", "'high'"])


@error_case
def config_list_given_as_text(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    cfg = write_yaml(tmp / "typed.yaml", {"ignore": "income"})
    return _run(data, data.same_csv, "--config", cfg), ["typed.yaml", "'ignore'", "list"]


@error_case
def unknown_yaml_key(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    cfg = write_yaml(tmp / "typo.yaml", {"signficance": 0.05})
    return (_run(data, data.same_csv, "--config", cfg),
            ["typo.yaml", "unknown key 'signficance'", "valid keys", "significance", "ignore"])


@error_case
def unknown_key_in_thresholds(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    cfg = write_yaml(tmp / "typo.yaml", {"thresholds": {"psi_warn": 0.2}})
    return (_run(data, data.same_csv, "--config", cfg),
            ["unknown key 'thresholds.psi_warn'", "psi_warning", "unseen_critical"])


@error_case
def unknown_key_in_feature_override(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    cfg = write_yaml(tmp / "typo.yaml", {"features": {"age": {"disabled": True}}})
    return (_run(data, data.same_csv, "--config", cfg),
            ["unknown key 'features.age.disabled'", "enabled", "psi_warning"])


@error_case
def unknown_key_in_performance(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    cfg = write_yaml(tmp / "typo.yaml", {"performance": {"warn": 0.2}})
    return (_run(data, data.same_csv, "--config", cfg),
            ["unknown key 'performance.warn'", "critical", "warning"])


@error_case
def thresholds_out_of_order(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    cfg = write_yaml(tmp / "order.yaml", {"features": {"age": {"psi_warning": 0.5}}})
    return (_run(data, data.same_csv, "--config", cfg),
            ["features", "'age'", "psi_warning must not exceed psi_critical", "set both"])


@error_case
def yaml_syntax_error(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    (tmp / "broken.yaml").write_text("ignore: [age\nseed: 1\n")
    return _run(data, data.same_csv, "--config", tmp / "broken.yaml"), ["broken.yaml", "YAML"]


@error_case
def yaml_not_a_mapping(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    (tmp / "list.yaml").write_text("- age\n- income\n")
    return _run(data, data.same_csv, "--config", tmp / "list.yaml"), ["list.yaml", "mapping"]


@error_case
def config_file_missing(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    return (_run(data, data.same_csv, "--config", tmp / "nope.yaml"),
            ["nope.yaml", "not found"])


@error_case
def bad_fail_on(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    return _run(data, data.same_csv, "--fail-on", "sometimes"), ["--fail-on", "'sometimes'",
                                                                 "warning", "critical"]


@error_case
def unknown_flag(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    return _run(data, data.same_csv, "--treshold", "0.2"), ["unrecognized arguments",
                                                           "--treshold", "--help"]


@error_case
def unknown_command(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    return ["rnu", "--current", data.same_csv], ["invalid choice: 'rnu'", "run"]


@error_case
def no_current(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    return ["run", "--reference", data.ref_csv], ["--current", "required"]


@error_case
def no_reference(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    return ["run", "--current", data.same_csv], ["--reference", "--baseline"]


@error_case
def flag_value_out_of_range(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    return _run(data, data.same_csv, "--workers", "0"), ["--workers", "greater than or equal"]


@error_case
def flag_of_wrong_type(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    return _run(data, data.same_csv, "--seed", "abc"), ["--seed", "'abc'"]


@error_case
def chunk_size_zero(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    return _run(data, data.same_csv, "--chunk-size", "0"), ["chunk_size", "at least 1"]


@error_case
def chunk_by_without_time(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    return _run(data, data.same_csv, "--chunk-by", "week"), ["--chunk-by", "--timestamp-column"]


@error_case
def timestamp_column_absent(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    return (_run(data, data.same_csv, "--timestamp-column", "when"),
            ["'when'", "not a column of the current data"])


@error_case
def timestamp_column_not_dates(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    return (_run(data, data.same_csv, "--timestamp-column", "home", "--chunk-by", "day"),
            ["'home'", "ISO dates"])


@error_case
def numerical_declared_for_text(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    cfg = write_yaml(tmp / "num.yaml", {"numerical": ["home"]})
    return _run(data, data.same_csv, "--config", cfg), ["'home'", "not numbers", "numerical"]


@error_case
def columns_names_an_absent_column(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    cfg = write_yaml(tmp / "cols.yaml", {"columns": ["age", "salary"]})
    return _run(data, data.same_csv, "--config", cfg), ["'salary'", "available", "age"]


@error_case
def every_column_ignored(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    return _run(data, data.same_csv, "--ignore", "*"), ["no column left to monitor"]


@error_case
def history_folder_missing(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    return (["run", "--reference", data.ref_csv, "--current", data.same_csv, "--history",
             tmp / "no" / "such" / "h.db"], ["--history", "does not exist"])


@error_case
def history_and_no_history(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    return (["run", "--reference", data.ref_csv, "--current", data.same_csv, "--history",
             tmp / "h.db", "--no-history"], ["--no-history", "not allowed with", "--history"])


@error_case
def out_is_a_file(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    (tmp / "taken").write_text("a file, not a folder")
    return (["run", "--reference", data.ref_csv, "--current", data.same_csv, *FAST, "--out",
             tmp / "taken"], ["cannot write the report into", "taken", "--out"])


@error_case
def baseline_folder_missing(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    return (["run", "--baseline", tmp / "bl", "--current", data.same_csv],
            ["bl", "not a baseline folder", "driftscope baseline"])


@error_case
def model_file_missing(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    return _run(data, data.same_csv, "--model", tmp / "m.joblib"), ["m.joblib", "not found"]


@error_case
def feature_engineering_not_importable(tmp: Path, data: DataFiles) -> tuple[list[Any], list[str]]:
    return (_run(data, data.same_csv, "--feature-engineering", "no_such_mod_xyz:fn"),
            ["no_such_mod_xyz", "cannot import"])


@pytest.fixture
def earlier_round(cli: Cli, data: DataFiles, tmp_path: Path) -> Path:
    """An ``assets`` folder holding the files of one good round (JSON, HTML, snapshot)."""
    out = tmp_path / "assets"
    result = cli("run", "--reference", data.ref_csv, "--current", data.drift_csv, "--out", out,
                 "--plots", "none", "--no-history")
    assert result.code == 0, result.err
    assert (out / "drift_report.json").is_file()
    return out


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_wrong_input_exits_2_with_one_line_and_keeps_earlier_files(
    case: str, cli: Cli, data: DataFiles, tmp_path: Path, earlier_round: Path
) -> None:
    args, expected = ERROR_CASES[case](tmp_path, data)
    before = files_state(earlier_round)
    time.sleep(0.01)  # a rewrite within the same clock tick would hide a changed mtime
    has_out = "--out" in args
    result = cli(*args, "--out", earlier_round) if args[0] == "run" and not has_out else cli(*args)

    assert result.code == 2, (result.out, result.err)
    assert result.err.endswith("\n") and result.err.count("\n") == 1, result.err
    assert "Traceback" not in result.err
    for text in expected:
        assert text in result.err, f"{text!r} not in {result.err!r}"
    assert files_state(earlier_round) == before


def test_a_crash_while_writing_keeps_earlier_files(cli: Cli, data: DataFiles,
                                                  earlier_round: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import driftscope.outputs.html

    def broken(*_: Any, **__: Any) -> str:
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(driftscope.outputs.html, "render_html", broken)
    before = files_state(earlier_round)
    result = cli("run", "--reference", data.ref_csv, "--current", data.same_csv, "--out",
                 earlier_round, "--plots", "all", "--no-history")
    assert result.code == 3
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert "internal error: RuntimeError: renderer exploded" in result.err
    assert files_state(earlier_round) == before
    assert [p.name for p in earlier_round.iterdir() if p.name.startswith(".")] == []


def test_duplicate_columns_in_a_pandas_frame_are_refused() -> None:
    from driftscope import run
    from driftscope.errors import InputError

    frame = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], columns=["x", "x"])
    with pytest.raises(InputError, match="duplicate column name 'x'"):
        run(reference=frame, current=frame)


def test_debug_shows_the_traceback(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    result = cli("run", "--reference", tmp_path / "gone.csv", "--current", data.same_csv,
                 "--debug", *FAST)
    assert result.code == 2
    assert "Traceback" in result.err and "gone.csv" in result.err


def _subprocess(*args: Any, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "driftscope.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


@pytest.mark.parametrize("case", ["current_shares_no_column", "unknown_yaml_key",
                                  "random_bytes_named_parquet"])
@pytest.mark.slow  # a subprocess per case
def test_no_traceback_reaches_the_terminal(case: str, data: DataFiles, tmp_path: Path) -> None:
    args, expected = ERROR_CASES[case](tmp_path, data)
    proc = _subprocess(*args, "--out", tmp_path / "assets", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and all(t in proc.stderr for t in expected), proc.stderr
    assert proc.stdout == ""
    assert not (tmp_path / "assets").exists()


# =========================================================================================
# 2. Awkward data is a finding, not an error
# =========================================================================================

def test_a_column_all_missing_on_one_side(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    cur = pd.read_csv(data.same_csv)
    cur["income"] = np.nan
    cur.to_csv(tmp_path / "cur.csv", index=False)
    ref = pd.read_csv(data.ref_csv)
    ref["children"] = np.nan
    ref.to_parquet(tmp_path / "ref.parquet")
    result, report = round_(cli, tmp_path / "out", tmp_path / "ref.parquet", tmp_path / "cur.csv")
    assert result.code == 0
    income = feature(report, "income")
    assert income["metrics"]["missing_share_current"] == 1.0
    assert income["metrics"]["ks_statistic"] is None and income["metrics"]["ks_pvalue"] is None
    assert income["status"] != "NORMAL"  # 0 % → 100 % missing is drift
    messages = [f["message"] for f in report["findings"] if f["column"] == "income"]
    assert any("all missing" in m for m in messages)
    children = feature(report, "children")
    assert children["metrics"]["missing_share_reference"] == 1.0
    assert any("reference has no values" in f["message"] for f in report["findings"]
               if f["column"] == "children")


def test_a_constant_column(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    for src, name in ((data.ref_csv, "ref.csv"), (data.same_csv, "cur.csv")):
        df = pd.read_csv(src)
        df["flag"] = 1.0
        df["label"] = "same"
        df.to_csv(tmp_path / name, index=False)
    result, report = round_(cli, tmp_path / "out", tmp_path / "ref.csv", tmp_path / "cur.csv")
    for col in ("flag", "label"):
        f = feature(report, col)
        assert f["status"] == "NORMAL" and f["metrics"]["psi"] == 0.0
        assert any(x["column"] == col and "constant" in x["message"] for x in report["findings"])
    assert feature(report, "flag")["metrics"]["ks_statistic"] == 0.0


def test_infinite_values(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    cur = pd.read_csv(data.same_csv)
    cur.loc[:9, "income"] = np.inf
    cur.loc[10:14, "income"] = -np.inf
    cur.to_parquet(tmp_path / "cur.parquet")
    ref = pd.read_csv(data.ref_csv)
    ref.loc[:2, "age"] = np.inf  # left out of the edge fit, counted in the top bin
    ref.to_csv(tmp_path / "ref.csv", index=False)
    result, report = round_(cli, tmp_path / "out", tmp_path / "ref.csv", tmp_path / "cur.parquet")
    income = feature(report, "income")
    bins = income["bins"]
    assert bins[0]["lower"] is None and bins[-1]["upper"] is None
    assert bins[0]["current_count"] >= 5 and bins[-1]["current_count"] >= 10
    for name in ("income", "age"):
        metrics = feature(report, name)["metrics"]
        assert all(np.isfinite(v) for v in metrics.values() if isinstance(v, float))
    assert feature(report, "age")["bins"][-1]["reference_count"] >= 3


def test_a_single_row_current_batch(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    pd.read_csv(data.same_csv).iloc[:1].to_csv(tmp_path / "one.csv", index=False)
    result, report = round_(cli, tmp_path / "out", data.ref_parquet, tmp_path / "one.csv")
    assert result.code == 0 and report["run"]["current"]["rows"] == 1
    assert set(names(report)) == {"age", "income", "children", "home", "has_phone"}
    # one row moves PSI a lot, but one row is no evidence: the guard keeps it NORMAL
    assert all(f["status"] == "NORMAL" for f in report["features"])
    assert any("not significant" in f["reason"] for f in report["features"])


@pytest.mark.slow
def test_ten_thousand_categories_are_compared_or_grouped(cli: Cli, tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    k = 10_001
    ref = pd.DataFrame({"customer": [f"c{i}" for i in range(k)], "x": rng.normal(size=k)})
    cur = pd.DataFrame({"customer": [f"c{i}" for i in rng.integers(0, k + 500, 2000)],
                        "x": rng.normal(size=2000)})
    ref.to_parquet(tmp_path / "ref.parquet")
    cur.to_csv(tmp_path / "cur.csv", index=False)
    # every value distinct: an identifier unless named; named, 10,001 categories are compared
    result, report = round_(cli, tmp_path / "out", tmp_path / "ref.parquet", tmp_path / "cur.csv",
                            config={"categorical": ["customer"], "max_categories": 20_000})
    customer = feature(report, "customer")
    assert customer["type"] == "categorical"
    assert len(customer["bins"]) > k
    assert 0.0 < customer["metrics"]["unseen_share_current"] < 0.1
    _, grouped = round_(cli, tmp_path / "g", tmp_path / "ref.parquet", tmp_path / "cur.csv",
                        config={"categorical": ["customer"]})
    assert len(feature(grouped, "customer")["bins"]) <= 101


@pytest.mark.slow  # 6 PNGs and two rounds (test_html checks the escaping on its own)
def test_hostile_column_names(cli: Cli, hostile: tuple[Path, Path], tmp_path: Path) -> None:
    ref, cur = hostile
    out = tmp_path / "out"
    result = cli("run", "--reference", ref, "--current", cur, "--out", out, "--plots", "all",
                 "--no-history")
    assert result.code == 0, result.err
    report = result.report(out)
    assert names(report) == list(HOSTILE_NAMES)
    pngs = sorted(p.name for p in (out / "images").glob("*.png"))
    assert len(pngs) == len(HOSTILE_NAMES)
    assert all(p.isascii() and " " not in p for p in pngs)
    html = (out / "drift_report.html").read_text(encoding="utf-8")
    assert "<b>bold</b>" not in html and "<script>x</script>" not in html
    # per-feature overrides and ignore match such names literally too
    result, report = round_(cli, tmp_path / "o2", ref, cur, "--ignore", 'say "hi"',
                            config={"features": {"ünïcødé 年齢": {"enabled": False}}})
    assert names(report) == [n for n in HOSTILE_NAMES if n not in ('say "hi"', "ünïcødé 年齢")]


# =========================================================================================
# 3. Every config field has an effect
# =========================================================================================

def _threshold_frames(n: int = 3000, seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Columns at known levels under the default thresholds.

    mild: PSI ≈ 0.04 (NORMAL, but significant); medium: PSI ≈ 0.2 (WARNING);
    miss: missing share 10 % → 19 % (WARNING by missing share, PSI below 0.1);
    cat: 3 % of current rows in 30 unseen categories (WARNING by unseen share, PSI ≈ 0.06).
    """

    def side(current: bool) -> pd.DataFrame:
        rng = np.random.default_rng(seed + current)
        miss = rng.normal(0, 1, n)
        miss[rng.random(n) < (0.2 if current else 0.1)] = np.nan
        cat = rng.choice(list("abcde"), n).astype(object)
        if current:
            idx = rng.choice(n, int(0.03 * n), replace=False)
            cat[idx] = [f"new{i % 30}" for i in range(idx.size)]
        return pd.DataFrame({
            "mild": rng.normal(0.2 if current else 0.0, 1, n),
            "medium": rng.normal(0.45 if current else 0.0, 1, n),
            "miss": miss,
            "cat": cat,
        })

    return side(False), side(True)


@pytest.fixture(scope="module")
def levels(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("levels")
    ref, cur = _threshold_frames()
    ref.to_parquet(folder / "ref.parquet")
    cur.to_parquet(folder / "cur.parquet")
    return folder / "ref.parquet", folder / "cur.parquet"


def test_threshold_data_has_the_documented_levels(cli: Cli, levels: tuple[Path, Path],
                                                  tmp_path: Path) -> None:
    _, report = round_(cli, tmp_path / "out", *levels)
    assert statuses(report) == {"mild": "NORMAL", "medium": "WARNING", "miss": "WARNING",
                                "cat": "WARNING"}


@pytest.mark.parametrize(("key", "value", "column", "expected"), [
    ("psi_warning", 0.03, "mild", "WARNING"),
    ("psi_critical", 0.15, "medium", "CRITICAL"),
    ("missing_warning", 0.12, "miss", "NORMAL"),
    ("missing_critical", 0.08, "miss", "CRITICAL"),
    ("unseen_warning", 0.04, "cat", "NORMAL"),
    ("unseen_critical", 0.02, "cat", "CRITICAL"),
])
def test_each_threshold_moves_the_status(cli: Cli, levels: tuple[Path, Path], tmp_path: Path,
                                         key: str, value: float, column: str,
                                         expected: str) -> None:
    _, report = round_(cli, tmp_path / "out", *levels, config={"thresholds": {key: value}})
    assert statuses(report)[column] == expected
    assert report["settings"]["thresholds"][key] == value


@pytest.mark.parametrize(("overrides", "expected"), [
    # exact name
    ({"age": {"psi_warning": 50, "psi_critical": 100}}, {"age": "NORMAL", "home": "CRITICAL"}),
    # glob pattern
    ({"h*": {"psi_warning": 50, "psi_critical": 100}}, {"age": "CRITICAL", "home": "NORMAL"}),
    # a pattern for all, refined for one column: the later entry wins
    ({"*": {"psi_critical": 100}, "age": {"psi_critical": 0.25}},
     {"age": "CRITICAL", "home": "WARNING"}),
])
def test_feature_overrides(cli: Cli, data: DataFiles, tmp_path: Path,
                           overrides: dict[str, Any], expected: dict[str, str]) -> None:
    _, report = round_(cli, tmp_path / "out", data.ref_csv, data.drift_csv,
                       config={"features": overrides})
    got = statuses(report)
    assert {k: got[k] for k in expected} == expected


@pytest.mark.parametrize(("overrides", "expected_names"), [
    ({"age": {"enabled": False}}, ["income", "children", "home", "has_phone"]),
    ({"h*": {"enabled": False}}, ["age", "income", "children"]),
    ({"*": {"enabled": False}, "home": {"enabled": True}}, ["home"]),
])
def test_feature_enabled_false_drops_the_column(cli: Cli, data: DataFiles, tmp_path: Path,
                                                overrides: dict[str, Any],
                                                expected_names: list[str]) -> None:
    _, report = round_(cli, tmp_path / "out", data.ref_csv, data.drift_csv,
                       config={"features": overrides})
    assert names(report) == expected_names


COLUMN_FIELDS: list[tuple[dict[str, Any], Callable[[dict[str, Any]], bool]]] = [
    ({"columns": ["home", "age"]}, lambda r: names(r) == ["age", "home"]),
    ({"ignore": ["inc*", "has_phone"]}, lambda r: names(r) == ["age", "children", "home"]),
    ({"categorical": ["child*"]}, lambda r: feature(r, "children")["type"] == "categorical"),
    ({"numerical": ["has_phone"]}, lambda r: feature(r, "has_phone")["type"] == "numerical"),
    ({"max_value_bins": 3},
     lambda r: {b["kind"] for b in feature(r, "children")["bins"]} == {"range"}),
]


@pytest.mark.parametrize(("config", "check"), COLUMN_FIELDS,
                         ids=[next(iter(c)) for c, _ in COLUMN_FIELDS])
def test_column_fields(cli: Cli, data: DataFiles, tmp_path: Path, config: dict[str, Any],
                       check: Callable[[dict[str, Any]], bool]) -> None:
    _, default = round_(cli, tmp_path / "default", data.ref_csv, data.drift_csv)
    _, report = round_(cli, tmp_path / "out", data.ref_csv, data.drift_csv, config=config)
    assert not check(default)
    assert check(report)


@pytest.fixture(scope="module")
def small_batch(data: DataFiles, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 rows without drift: PSI is large from sampling noise alone (income ≈ 0.7)."""
    path = tmp_path_factory.mktemp("small") / "twenty.csv"
    pd.read_csv(data.same_csv).iloc[:20].to_csv(path, index=False)
    return path


def test_significance_and_its_guard(cli: Cli, data: DataFiles, small_batch: Path,
                                    tmp_path: Path) -> None:
    _, default = round_(cli, tmp_path / "default", data.ref_csv, small_batch)
    assert set(statuses(default).values()) == {"NORMAL"}
    income = feature(default, "income")
    assert income["metrics"]["psi"] > 0.25
    p_income = income["metrics"]["psi_pvalue_adjusted"]
    p_age = feature(default, "age")["metrics"]["psi_pvalue_adjusted"]
    assert p_income < p_age  # so a level between them lets income through, not age

    _, loose = round_(cli, tmp_path / "loose", data.ref_csv, small_batch,
                      config={"significance": (p_income + p_age) / 2})
    assert statuses(loose)["income"] == "CRITICAL" and statuses(loose)["age"] == "NORMAL"

    _, unguarded = round_(cli, tmp_path / "unguarded", data.ref_csv, small_batch,
                          config={"significance_guard": False})
    assert statuses(unguarded)["income"] == "CRITICAL"
    assert statuses(unguarded)["age"] == "CRITICAL"  # PSI 0.29 with no guard at all


@pytest.mark.parametrize(("config", "expected"), [
    ({}, "CRITICAL"),  # two of five features CRITICAL: the worst wins
    ({"run_status": "share"}, "WARNING"),  # 40 % drifted: ≥ 20 %, < 50 %
    ({"run_status": "share", "drift_share_warning": 0.5, "drift_share_critical": 0.6},
     "NORMAL"),
    ({"run_status": "share", "drift_share_critical": 0.4}, "CRITICAL"),
])
def test_run_status_and_drift_share(cli: Cli, data: DataFiles, tmp_path: Path,
                                    config: dict[str, Any], expected: str) -> None:
    _, report = round_(cli, tmp_path / "out", data.ref_csv, data.drift_csv, config=config)
    assert sorted(statuses(report).values()).count("CRITICAL") == 2
    assert report["status"] == expected


def test_psi_pvalue_draws_and_seed(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    def pvalues(tag: str, **config: Any) -> dict[str, float]:
        _, report = round_(cli, tmp_path / tag, data.ref_csv, data.same_csv, config=config)
        assert report["settings"]["psi_pvalue_draws"] == config.get("psi_pvalue_draws", 2000)
        assert report["settings"]["seed"] == config.get("seed", 0)
        return {f["name"]: f["metrics"]["psi_pvalue"] for f in report["features"]}

    default = pvalues("default")
    assert pvalues("again") == default  # a fixed seed gives the same numbers
    assert pvalues("draws", psi_pvalue_draws=150) != default
    assert pvalues("seed", seed=7) != default


@pytest.mark.parametrize(("config", "expected"), [
    ({}, "CRITICAL"),
    ({"performance": {"warning": 0.0, "critical": 1.0}}, "WARNING"),
    ({"performance": {"warning": 1.0, "critical": 1.0}}, "NORMAL"),
])
def test_performance_thresholds(cli: Cli, data: DataFiles, tmp_path: Path,
                                config: dict[str, Any], expected: str) -> None:
    _, report = round_(cli, tmp_path / "out", data.lab_ref_csv, data.lab_cur_csv,
                       "--model", data.model, "--metadata", data.metadata, config=config)
    perf = report["performance"]
    assert perf["metrics"]["accuracy"]["baseline"] == 0.99
    assert perf["metrics"]["accuracy"]["current"] < 0.9
    assert perf["status"] == expected


@pytest.mark.parametrize(("level", "current", "overrides", "code"), [
    (None, "drift", {}, 0),
    ("warning", "same", {}, 0),
    ("warning", "drift", {}, 1),
    ("critical", "drift", {}, 1),
    ("critical", "drift", {"*": {"psi_critical": 100}}, 0),  # only WARNING reached
    ("warning", "drift", {"*": {"psi_critical": 100}}, 1),
])
def test_fail_on(cli: Cli, data: DataFiles, tmp_path: Path, level: str | None, current: str,
                 overrides: dict[str, Any], code: int) -> None:
    cur = data.drift_csv if current == "drift" else data.same_csv
    config: dict[str, Any] = {"features": overrides}
    if level:
        config["fail_on"] = level
    result, report = round_(cli, tmp_path / "yaml", data.ref_csv, cur, config=config)
    assert result.code == code
    if level:  # the flag does the same
        config.pop("fail_on")
        result, _ = round_(cli, tmp_path / "flag", data.ref_csv, cur, "--fail-on", level,
                           config=config)
        assert result.code == code
    assert (tmp_path / "yaml" / "drift_report.json").is_file()  # written even when failing


@pytest.mark.parametrize(("mode", "expected"), [
    ("none", set()),
    pytest.param("drifted", {"age", "home"}, marks=pytest.mark.slow),  # 2 PNGs per round
    pytest.param("all", {"age", "income", "children", "home", "has_phone"},
                 marks=pytest.mark.slow),  # 5 PNGs per round
])
@pytest.mark.parametrize("via", ["yaml", "flag"])
def test_plots(cli: Cli, data: DataFiles, tmp_path: Path, mode: str, expected: set[str],
               via: str) -> None:
    out = tmp_path / "out"
    args: list[Any] = ["run", "--reference", data.ref_csv, "--current", data.drift_csv,
                       "--out", out, "--no-html", "--no-history"]
    if via == "flag":
        args += ["--plots", mode]
    else:
        args += ["--config", write_yaml(tmp_path / "c.yaml", {"plots": mode})]
    result = cli(*args)
    assert result.code == 0, result.err
    report = result.report(out)
    plotted = {f["name"] for f in report["features"] if f.get("plot")}
    assert plotted == expected
    pngs = list((out / "images").glob("drift_plot_*.png")) if (out / "images").exists() else []
    assert len(pngs) == len(expected)
    for f in report["features"]:
        if f.get("plot"):
            assert (out / f["plot"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the pool forks: Linux only")
@pytest.mark.parametrize(("mode", "current", "pool", "code"), [
    ("none", "drift_csv", False, 0),
    pytest.param("drifted", "drift_csv", True, 0, marks=pytest.mark.slow),  # 2 PNGs
    ("drifted", "missing", True, 2),  # bad input: the pool ends all the same
])
def test_a_round_draws_its_plots_in_a_pool_it_ends(
        cli: Cli, data: DataFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str,
        current: str, pool: bool, code: int) -> None:
    """A pool is forked before the round when plots may be drawn, and ended after it."""
    import multiprocessing

    from driftscope.outputs import png

    started: list[png.PlotPool] = []
    real = png.PlotPool.start

    def spy() -> png.PlotPool | None:
        made = real()
        started.extend([made] if made is not None else [])
        return made

    monkeypatch.setattr(png.PlotPool, "start", spy)
    cur = getattr(data, current) if current != "missing" else tmp_path / "missing.csv"
    result = cli("run", "--reference", data.ref_csv, "--current", cur, "--out",
                 tmp_path / "out", "--plots", mode, "--no-html", "--no-history")
    assert result.code == code, result.err
    assert len(started) == int(pool)
    assert not any(p._process.is_alive() for p in started)
    assert not multiprocessing.active_children()
    if code == 0 and pool:
        assert len(list((tmp_path / "out" / "images").glob("*.png"))) == 2


@pytest.mark.slow  # a subprocess
def test_a_reader_that_goes_away_keeps_the_exit_code(data: DataFiles, tmp_path: Path) -> None:
    """``driftscope run … --fail-on warning | head -1``: the summary has no reader left, the
    round is written and the exit code is still --fail-on's."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "driftscope.cli", "run", "--reference", str(data.ref_csv),
         "--current", str(data.drift_csv), "--out", str(tmp_path / "out"), "--plots", "none",
         "--no-progress", "--fail-on", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line
    err = proc.stderr.read()
    assert proc.wait() == 1, err
    assert "internal error" not in err and "reached --fail-on" in err
    assert (tmp_path / "out" / "drift_report.json").is_file()


@pytest.mark.slow  # 5 PNGs
def test_plots_of_an_earlier_round_are_replaced(cli: Cli, data: DataFiles,
                                                tmp_path: Path) -> None:
    out = tmp_path / "out"
    base = ["run", "--reference", data.ref_csv, "--out", out, "--no-html", "--no-history"]
    assert cli(*base, "--current", data.drift_csv, "--plots", "all").code == 0
    assert len(list((out / "images").glob("*.png"))) == 5
    assert cli(*base, "--current", data.drift_csv, "--plots", "none").code == 0
    assert list((out / "images").glob("*.png")) == []


@pytest.mark.parametrize(("args", "config", "html"), [
    ((), {}, True),
    (("--no-html",), {}, False),
    ((), {"html": False}, False),
])
def test_html(cli: Cli, data: DataFiles, tmp_path: Path, args: tuple[str, ...],
              config: dict[str, Any], html: bool) -> None:
    out = tmp_path / "out"
    argv: list[Any] = ["run", "--reference", data.ref_csv, "--current", data.drift_csv,
                       "--out", out, "--plots", "none", "--no-history", *args]
    if config:
        argv += ["--config", write_yaml(tmp_path / "c.yaml", config)]
    result = cli(*argv)
    assert result.code == 0, result.err
    assert (out / "drift_report.html").is_file() is html
    assert ("drift_report.html" in result.out) is html


@pytest.mark.parametrize(("args", "config", "shown"), [
    (("--progress",), {}, True),
    ((), {"progress": "always"}, True),
    (("--no-progress",), {"progress": "always"}, False),  # the flag wins
    ((), {"progress": "never"}, False),
    ((), {}, False),  # auto: stderr is not a terminal here
])
def test_progress(cli: Cli, data: DataFiles, tmp_path: Path, args: tuple[str, ...],
                  config: dict[str, Any], shown: bool) -> None:
    result, _ = round_(cli, tmp_path / "out", data.ref_csv, data.drift_csv, *args,
                       config=config)
    assert ("driftscope: profiling" in result.err) is shown
    if not shown:
        assert result.err == ""


def test_progress_auto_on_a_terminal(cli: Cli, data: DataFiles, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    result, _ = round_(cli, tmp_path / "out", data.ref_csv, data.drift_csv)
    assert "driftscope: profiling reference" in result.err
    never, _ = round_(cli, tmp_path / "never", data.ref_csv, data.drift_csv, "--no-progress")
    assert never.err == ""


def test_progress_of_the_baseline_command(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    shown = cli("baseline", "--reference", data.ref_csv, "--out", tmp_path / "a", "--progress")
    quiet = cli("baseline", "--reference", data.ref_csv, "--out", tmp_path / "b")
    assert "profiling reference" in shown.err
    assert quiet.err == ""


class _PoolSpy:
    """Records the ``max_workers`` of every thread pool the engine opens."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from concurrent.futures import ThreadPoolExecutor

        import driftscope.backends.local
        import driftscope.engine.judge

        self.sizes: list[int | None] = []
        spy = self

        class Pool(ThreadPoolExecutor):
            def __init__(self, max_workers: int | None = None, **kw: Any) -> None:
                spy.sizes.append(max_workers)
                super().__init__(max_workers=max_workers, **kw)

        for module in (driftscope.backends.local, driftscope.engine.judge):
            monkeypatch.setattr(module, "ThreadPoolExecutor", Pool)


@pytest.mark.parametrize("command", ["run", "baseline"])
def test_workers(cli: Cli, data: DataFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 command: str) -> None:
    spy = _PoolSpy(monkeypatch)

    def go(tag: str, *args: Any) -> None:
        if command == "run":
            round_(cli, tmp_path / tag, data.ref_csv, data.drift_csv, *args)
        else:
            assert cli("baseline", "--reference", data.ref_csv, "--out", tmp_path / tag,
                       *args).code == 0

    go("one", "--workers", "1")
    assert spy.sizes == []  # one worker: no thread pool at all
    go("three", "--workers", "3")
    assert spy.sizes and set(spy.sizes) == {3}
    spy.sizes.clear()
    go("yaml", "--config", write_yaml(tmp_path / "w.yaml", {"workers": 1}))
    assert spy.sizes == []


def test_timestamp_column_sets_the_window(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    _, plain = round_(cli, tmp_path / "plain", data.ref_csv, data.drift_csv)
    assert plain["run"]["window_start"] is None and plain["run"]["window_end"] is None
    _, timed = round_(cli, tmp_path / "timed", data.ref_csv, data.drift_csv,
                      config={"timestamp_column": "ts"})
    assert timed["run"]["window_start"].startswith(CHUNK_DATES[0])
    assert timed["run"]["window_end"].startswith(CHUNK_DATES[-1])


def test_timestamp_column_is_never_monitored(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    ref = tmp_path / "ref.parquet"  # the reference has ts, as text: a category otherwise
    pd.read_csv(data.same_csv).to_parquet(ref)
    _, plain = round_(cli, tmp_path / "plain", ref, data.drift_csv)
    _, timed = round_(cli, tmp_path / "timed", ref, data.drift_csv, "--timestamp-column", "ts")
    assert feature(plain, "ts")["type"] == "categorical"
    assert "ts" in names(plain) and "ts" not in names(timed)


def test_target(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    _, plain = round_(cli, tmp_path / "plain", data.lab_ref_csv, data.lab_cur_csv)
    assert "status" in names(plain) and plain["target"] is None
    _, labelled = round_(cli, tmp_path / "t", data.lab_ref_csv, data.lab_cur_csv,
                         config={"target": "status"})
    assert "status" not in names(labelled)
    assert labelled["target"]["name"] == "status"
    assert {b["label"] for b in labelled["target"]["bins"]} == {"bad", "good"}


def test_proba_and_prediction_columns(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    _, plain = round_(cli, tmp_path / "plain", data.lab_ref_csv, data.lab_cur_csv)
    assert plain["prediction"] is None and plain.get("predicted_class") is None
    assert {"proba", "pred"} <= set(names(plain))
    _, logged = round_(cli, tmp_path / "logged", data.lab_ref_csv, data.lab_cur_csv,
                       config={"proba_column": "proba", "prediction_column": "pred",
                               "target": "status", "positive_class": "bad"})
    assert not {"proba", "pred"} & set(names(logged))
    assert logged["prediction"]["type"] == "numerical"
    assert logged["prediction"]["metrics"]["psi"] == pytest.approx(
        feature(plain, "proba")["metrics"]["psi"])
    assert {b["label"] for b in logged["predicted_class"]["bins"]} == {"bad", "good"}
    accuracy = logged["performance"]["metrics"]["accuracy"]["current"]
    assert accuracy == pytest.approx((pd.read_csv(data.lab_cur_csv).eval("pred == status")).mean())


def test_positive_class(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    def go(tag: str, *flags: str, **config: str) -> dict[str, Any]:
        _, report = round_(cli, tmp_path / tag, data.lab_ref_csv, data.lab_cur_csv,
                           "--model", data.model, "--target", "status", *flags,
                           config=config)
        return report

    bad, good = go("bad", "--positive-class", "bad"), go("good", positive_class="good")
    assert bad["run"]["model"]["positive_class"] == "bad"
    assert good["run"]["model"]["positive_class"] == "good"
    # the monitored score is P(positive class): the two are mirror images
    bad_mean = bad["prediction"]["distribution"]["current"]["mean"]
    good_mean = good["prediction"]["distribution"]["current"]["mean"]
    assert bad_mean + good_mean == pytest.approx(1.0)
    recall = {r["performance"]["metrics"]["recall"]["current"] for r in (bad, good)}
    assert len(recall) == 2


def test_model_and_metadata(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    _, bare = round_(cli, tmp_path / "bare", data.lab_ref_csv, data.lab_cur_csv)
    assert bare["prediction"] is None and bare["run"]["model"] is None
    assert any("prediction drift was not measured" in f["message"] for f in bare["findings"])

    _, model = round_(cli, tmp_path / "model", data.lab_ref_csv, data.lab_cur_csv,
                      config={"model": str(data.model)})
    assert model["prediction"]["name"] == "prediction"
    assert model["run"]["model"]["name"] == "model"  # the file's stem without metadata
    assert model["performance"] is None  # no target known

    _, both = round_(cli, tmp_path / "both", data.lab_ref_csv, data.lab_cur_csv,
                     config={"model": str(data.model), "metadata": str(data.metadata)})
    info = both["run"]["model"]
    assert (info["name"], info["version"], info["target"]) == ("credit-test", "2.0.1", "status")
    assert "status" not in names(both)  # the metadata's target is not a feature
    assert both["performance"]["metrics"]["roc_auc"]["baseline"] == 0.99


FE_MODULE = '''
import numpy as np


def add_ratio(df):
    out = df.copy()
    out["age_per_child"] = out["age"] / (out["children"] + 1)
    out["log_income"] = np.log(out["income"])
    return out
'''


def test_feature_engineering(cli: Cli, data: DataFiles, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ds_fe_hook.py").write_text(FE_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    _, plain = round_(cli, tmp_path / "plain", data.ref_csv, data.drift_csv)
    _, eng = round_(cli, tmp_path / "eng", data.ref_csv, data.drift_csv,
                    config={"feature_engineering": "ds_fe_hook:add_ratio"})
    _, by_flag = round_(cli, tmp_path / "flag", data.ref_csv, data.drift_csv,
                        "--feature-engineering", "ds_fe_hook:add_ratio")
    assert by_flag["features"] == eng["features"]
    assert names(eng) == names(plain) + ["age_per_child", "log_income"]
    assert feature(eng, "log_income")["origin"] == "engineered"
    assert feature(eng, "log_income")["metrics"]["psi"] == pytest.approx(
        feature(plain, "income")["metrics"]["psi"])  # log keeps the order: same bins


SKOPS_FUNCS = '''
import numpy as np


def columns(frame):
    return np.asarray(frame[["age", "income", "children"]], dtype=float)
'''


@pytest.mark.slow  # fits a model, imports skops
def test_model_trusted_types(cli: Cli, data: DataFiles, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    skops_io = pytest.importorskip("skops.io")
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    (tmp_path / "ds_skops_funcs.py").write_text(SKOPS_FUNCS)
    monkeypatch.syspath_prepend(str(tmp_path))
    import ds_skops_funcs  # type: ignore[import-not-found]

    frame = pd.read_csv(data.lab_ref_csv)
    plain = make_pipeline(FunctionTransformer(ds_skops_funcs.columns, validate=False),
                          StandardScaler(), LogisticRegression()).fit(frame, frame["status"])
    skops_io.dump(plain, tmp_path / "model.skops")
    assert skops_io.get_untrusted_types(file=tmp_path / "model.skops") == [
        "ds_skops_funcs.columns"]

    args = ("--model", tmp_path / "model.skops")
    refused = cli("run", "--reference", data.lab_ref_csv, "--current", data.lab_cur_csv,
                  "--out", tmp_path / "refused", *FAST, *args)
    assert refused.code == 2 and refused.err.count("\n") == 1
    assert "ds_skops_funcs.columns" in refused.err and "model_trusted_types" in refused.err

    _, report = round_(cli, tmp_path / "trusted", data.lab_ref_csv, data.lab_cur_csv, *args,
                       config={"model_trusted_types": ["ds_skops_funcs.columns"]})
    assert report["prediction"] is not None


def test_paths_from_yaml_are_relative_to_the_yaml(cli: Cli, data: DataFiles, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    for src in (data.ref_parquet, data.drift_csv, data.lab_ref_csv, data.lab_cur_csv,
                data.model, data.metadata):
        (project / "data" / src.name).write_bytes(src.read_bytes())
    write_yaml(project / "monitoring.yaml", {
        "reference": "data/lab_ref.csv", "current": "data/lab_cur.csv",
        "model": "data/model.joblib", "metadata": "data/metadata.yaml", "out": "reports",
        "plots": "none", "html": False,
    })
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = cli("run", "--config", project / "monitoring.yaml", "--no-history")
    assert result.code == 0, result.err
    report = json.loads((project / "reports" / "drift_report.json").read_text("utf-8"))
    assert report["run"]["current"]["rows"] == 400
    assert report["run"]["model"]["name"] == "credit-test"
    assert list(elsewhere.iterdir()) == []

    # a baseline named in the YAML is found the same way
    assert cli("baseline", "--reference", project / "data" / "ref.parquet",
               "--out", project / "bl").code == 0
    write_yaml(project / "from_baseline.yaml", {
        "baseline": "bl", "current": "data/drift.csv", "out": "reports2", "plots": "none",
        "html": False})
    result = cli("run", "--config", project / "from_baseline.yaml", "--no-history")
    assert result.code == 0, result.err
    report = json.loads((project / "reports2" / "drift_report.json").read_text("utf-8"))
    assert report["run"]["baseline"] == str(project / "bl")


def test_flags_win_over_yaml(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    config = write_yaml(tmp_path / "c.yaml", {
        "reference": str(data.ref_csv), "current": str(data.same_csv),
        "out": str(tmp_path / "yaml_out"), "ignore": ["income"], "significance": 0.2,
        "fail_on": "critical"})
    result = cli("run", "--config", config, "--current", data.drift_csv, "--out",
                 tmp_path / "flag_out", "--ignore", "age", "--significance", "0.05", *FAST)
    assert result.code == 1  # fail_on still comes from the YAML
    assert not (tmp_path / "yaml_out").exists()
    report = result.report(tmp_path / "flag_out")
    assert report["run"]["current"]["source"].endswith("drift.csv")
    assert "age" not in names(report) and "income" in names(report)
    assert report["settings"]["significance"] == 0.05


# =========================================================================================
# 4. Every flag of ``run`` maps onto its config field
# =========================================================================================

FLAG_FIELDS: list[tuple[list[str], dict[str, Any]]] = [
    (["--categorical", "children", "--categorical", "has_*"],
     {"categorical": ["children", "has_*"]}),
    (["--ignore", "income"], {"ignore": ["income"]}),
    (["--significance", "0.9"], {"significance": 0.9}),
    (["--seed", "3"], {"seed": 3}),
    (["--target", "status"], {"target": "status"}),
    (["--proba-column", "proba"], {"proba_column": "proba"}),
    (["--prediction-column", "pred"], {"prediction_column": "pred"}),
    (["--timestamp-column", "ts"], {"timestamp_column": "ts"}),
]


@pytest.mark.parametrize(("flags", "config"), FLAG_FIELDS, ids=[f[0] for f, _ in FLAG_FIELDS])
def test_flag_equals_its_yaml_field_and_changes_the_report(
    cli: Cli, data: DataFiles, tmp_path: Path, flags: list[str], config: dict[str, Any]
) -> None:
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    lab_ref = pd.read_csv(data.lab_ref_csv)
    lab_ref.iloc[:300].to_csv(ref, index=False)
    cur_frame = pd.read_csv(data.lab_cur_csv).iloc[:25]
    cur_frame["ts"] = np.resize(np.array(CHUNK_DATES), len(cur_frame))
    cur_frame.to_csv(cur, index=False)

    _, default = round_(cli, tmp_path / "default", ref, cur)
    _, by_flag = round_(cli, tmp_path / "flag", ref, cur, *flags)
    _, by_yaml = round_(cli, tmp_path / "yaml", ref, cur, config=config)
    by_flag["run"] = {k: v for k, v in by_flag["run"].items() if "window" in k}
    by_yaml["run"] = {k: v for k, v in by_yaml["run"].items() if "window" in k}
    assert by_flag == by_yaml
    default["run"] = {k: v for k, v in default["run"].items() if "window" in k}
    assert by_flag != default


def test_quiet_and_version(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    loud, _ = round_(cli, tmp_path / "loud", data.ref_csv, data.drift_csv)
    assert "CRITICAL" in loud.out and "age" in loud.out
    quiet, _ = round_(cli, tmp_path / "quiet", data.ref_csv, data.drift_csv, "--quiet")
    assert quiet.out == "" and quiet.err == ""
    from driftscope import __version__

    version = cli("--version")
    assert version.code == 0 and version.out.strip() == f"driftscope {__version__}"


def test_out_defaults_to_assets(cli: Cli, data: DataFiles, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("run", "--reference", data.ref_csv, "--current", data.drift_csv, *FAST)
    assert result.code == 0, result.err
    assert (tmp_path / "assets" / "drift_report.json").is_file()


def test_reference_and_current_in_any_format(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    _, csv_csv = round_(cli, tmp_path / "a", data.ref_csv, data.drift_csv)
    _, pq_csv = round_(cli, tmp_path / "b", data.ref_parquet, data.drift_csv)
    _, pq_pq = round_(cli, tmp_path / "c", data.ref_parquet, data.drift_parquet)
    folder = tmp_path / "parts"
    folder.mkdir()
    drift = pd.read_csv(data.drift_csv)
    drift.iloc[:150].to_csv(folder / "part1.csv", index=False)
    drift.iloc[150:].to_parquet(folder / "part2.parquet")
    _, from_folder = round_(cli, tmp_path / "d", data.ref_parquet, folder)
    base = [f["metrics"] for f in csv_csv["features"]]
    for other in (pq_csv, pq_pq, from_folder):
        assert [f["metrics"] for f in other["features"]] == [pytest.approx(m) for m in base]


# =========================================================================================
# 5. History and chunks
# =========================================================================================

def _history_rounds(path: Path) -> int:
    history = pytest.importorskip("driftscope.store")
    store = history.HistoryStore(path, create=False)
    try:
        return len(store.runs())
    finally:
        store.close()


def test_history_and_no_history(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    pytest.importorskip("driftscope.store")
    base = ["run", "--reference", data.ref_csv, "--current", data.drift_csv, "--plots", "none",
            "--no-html"]
    assert cli(*base, "--out", tmp_path / "off", "--no-history").code == 0
    assert not (tmp_path / "off" / "driftscope_history.db").exists()

    assert cli(*base, "--out", tmp_path / "on").code == 0
    assert cli(*base, "--out", tmp_path / "on").code == 0
    assert _history_rounds(tmp_path / "on" / "driftscope_history.db") == 2

    elsewhere = tmp_path / "elsewhere.db"
    assert cli(*base, "--out", tmp_path / "x", "--history", elsewhere).code == 0
    assert _history_rounds(elsewhere) == 1
    assert not (tmp_path / "x" / "driftscope_history.db").exists()


def test_a_refused_round_creates_no_history(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    result = cli("run", "--reference", data.ref_csv, "--current", tmp_path / "none.csv",
                 "--out", tmp_path / "out")
    assert result.code == 2
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("args", "rounds"), [
    (["--chunk-size", "150"], 3),  # 400 rows
    (["--chunk-by", "day", "--timestamp-column", "ts"], 4),
    (["--chunk-by", "week", "--timestamp-column", "ts"], 3),
    (["--chunk-by", "month", "--timestamp-column", "ts"], 2),
])
def test_chunks(cli: Cli, data: DataFiles, tmp_path: Path, args: list[str], rounds: int) -> None:
    result = cli("run", "--reference", data.ref_csv, "--current", data.drift_csv,
                 "--out", tmp_path, "--plots", "none", "--no-html", "--no-history", *args)
    assert result.code == 0, result.err
    lines = [ln for ln in result.out.splitlines() if ln.startswith("driftscope: chunk ")]
    assert len(lines) == rounds
    assert lines[-1].startswith(f"driftscope: chunk {rounds}/{rounds} ")
    report = result.report(tmp_path)  # the report is the last chunk's
    assert report["run"]["current"]["rows"] == int(lines[-1].rsplit("(", 1)[1].split()[0])


def test_fail_on_with_chunks_looks_at_every_chunk(cli: Cli, data: DataFiles,
                                                  tmp_path: Path) -> None:
    drifted_first = pd.concat([pd.read_csv(data.drift_csv).iloc[:200],
                               pd.read_csv(data.same_csv).iloc[:200]])
    drifted_first.to_csv(tmp_path / "cur.csv", index=False)
    result = cli("run", "--reference", data.ref_csv, "--current", tmp_path / "cur.csv",
                 "--out", tmp_path / "out", *FAST, "--chunk-size", "200", "--fail-on",
                 "critical")
    lines = [ln for ln in result.out.splitlines() if ln.startswith("driftscope: chunk ")]
    assert "CRITICAL" in lines[0] and "NORMAL" in lines[1]
    assert result.report(tmp_path / "out")["status"] == "NORMAL"  # the last chunk's report
    assert result.code == 1


def test_chunks_are_recorded_in_the_history(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    pytest.importorskip("driftscope.store")
    result = cli("run", "--reference", data.ref_csv, "--current", data.drift_csv, "--out",
                 tmp_path, "--plots", "none", "--no-html", "--chunk-by", "week",
                 "--timestamp-column", "ts")
    assert result.code == 0, result.err
    assert _history_rounds(tmp_path / "driftscope_history.db") == 3


def test_chunk_by_with_no_times(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    cur = pd.read_csv(data.drift_csv)
    cur["ts"] = None
    cur.to_csv(tmp_path / "cur.csv", index=False)
    result = cli("run", "--reference", data.ref_csv, "--current", tmp_path / "cur.csv",
                 "--out", tmp_path / "out", "--chunk-by", "day", "--timestamp-column", "ts",
                 *FAST)
    assert result.code == 2 and result.err.count("\n") == 1
    assert "'ts'" in result.err and "Traceback" not in result.err


# =========================================================================================
# 6. The baseline command
# =========================================================================================

def manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "manifest.json").read_text("utf-8"))


def columns_of(folder: Path) -> dict[str, tuple[str, str]]:
    return {c["name"]: (c["type"], c["origin"]) for c in manifest(folder)["columns"]}


def test_baseline_then_run_equals_a_raw_run(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    extra = ["--model", data.model, "--metadata", data.metadata, "--categorical", "children"]
    built = cli("baseline", "--reference", data.lab_ref_csv, "--out", tmp_path / "bl", *extra)
    assert built.code == 0, built.err
    assert "600 rows" in built.out
    _, raw = round_(cli, tmp_path / "raw", data.lab_ref_csv, data.lab_cur_csv, *extra)
    _, saved = round_(cli, tmp_path / "saved", None, data.lab_cur_csv, "--baseline",
                      tmp_path / "bl", *extra)
    assert saved["run"]["baseline"] == str(tmp_path / "bl")
    assert saved["run"]["reference"]["rows"] == raw["run"]["reference"]["rows"] == 600
    for key in ("features", "prediction", "predicted_class", "target", "performance",
                "status", "reason", "settings"):
        assert saved[key] == raw[key], key


BASELINE_FLAGS: list[tuple[list[str], Callable[[dict[str, tuple[str, str]]], bool]]] = [
    (["--ignore", "income"], lambda c: "income" not in c),
    (["--categorical", "children"], lambda c: c["children"] == ("categorical", "raw")),
    (["--target", "status"], lambda c: c.get("status") == ("categorical", "target")),
    (["--proba-column", "proba"],
     lambda c: c.get("prediction") == ("numerical", "prediction") and "proba" not in c),
    (["--prediction-column", "pred"],
     lambda c: c.get("predicted_class") == ("categorical", "predicted_class")),
    (["--timestamp-column", "ts"], lambda c: "ts" not in c),
]


@pytest.mark.parametrize(("flags", "check"), BASELINE_FLAGS,
                         ids=[f[0] for f, _ in BASELINE_FLAGS])
def test_baseline_flags(cli: Cli, data: DataFiles, tmp_path: Path, flags: list[str],
                        check: Callable[[dict[str, tuple[str, str]]], bool]) -> None:
    ref = pd.read_csv(data.lab_ref_csv)
    ref["ts"] = np.resize(np.array(CHUNK_DATES), len(ref))
    ref.to_parquet(tmp_path / "ref.parquet")
    assert cli("baseline", "--reference", tmp_path / "ref.parquet", "--out",
               tmp_path / "plain").code == 0
    result = cli("baseline", "--reference", tmp_path / "ref.parquet", "--out", tmp_path / "bl",
                 *flags)
    assert result.code == 0, result.err
    assert not check(columns_of(tmp_path / "plain"))
    assert check(columns_of(tmp_path / "bl"))
    # the YAML field does the same
    key = flags[0].removeprefix("--").replace("-", "_")
    value: Any = [flags[1]] if key in ("ignore", "categorical") else flags[1]
    config = write_yaml(tmp_path / "b.yaml", {key: value})
    assert cli("baseline", "--reference", tmp_path / "ref.parquet", "--out", tmp_path / "y",
               "--config", config).code == 0
    assert columns_of(tmp_path / "y") == columns_of(tmp_path / "bl")


def test_baseline_model_metadata_positive_class_and_feature_engineering(
    cli: Cli, data: DataFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ds_fe_hook2.py").write_text(FE_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))

    def build(tag: str, *flags: Any) -> dict[str, Any]:
        result = cli("baseline", "--reference", data.ref_csv, "--out", tmp_path / tag, *flags)
        assert result.code == 0, result.err
        return manifest(tmp_path / tag)

    plain = build("plain")
    assert plain["model"] is None
    assert not {"prediction", "age_per_child"} & {c["name"] for c in plain["columns"]}

    with_model = build("model", "--model", data.model, "--positive-class", "bad")
    pred = next(c for c in with_model["columns"] if c["name"] == "prediction")
    with_good = build("good", "--model", data.model, "--positive-class", "good")
    pred_good = next(c for c in with_good["columns"] if c["name"] == "prediction")
    assert pred["moments"]["mean"] + pred_good["moments"]["mean"] == pytest.approx(1.0)
    assert with_model["model"]["positive_class"] == "bad"

    with_meta = build("meta", "--model", data.model, "--metadata", data.metadata)
    assert with_meta["model"]["name"] == "credit-test"

    eng = build("eng", "--feature-engineering", "ds_fe_hook2:add_ratio")
    origins = {c["name"]: c["origin"] for c in eng["columns"]}
    assert origins["age_per_child"] == "engineered"


def test_baseline_has_no_round_only_flags(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    # significance and seed act when a round compares, never when a baseline is built
    for flag in ("--significance", "--seed", "--fail-on", "--current"):
        result = cli("baseline", "--reference", data.ref_csv, "--out", tmp_path, flag, "1")
        assert result.code == 2 and "unrecognized arguments" in result.err


def test_baseline_wrong_input_keeps_the_earlier_baseline(cli: Cli, data: DataFiles,
                                                         tmp_path: Path) -> None:
    assert cli("baseline", "--reference", data.ref_csv, "--out", tmp_path / "bl").code == 0
    before = files_state(tmp_path / "bl")
    (tmp_path / "empty.parquet").write_bytes(b"")
    result = cli("baseline", "--reference", tmp_path / "empty.parquet", "--out", tmp_path / "bl")
    assert result.code == 2 and "empty.parquet" in result.err and result.err.count("\n") == 1
    assert files_state(tmp_path / "bl") == before


def test_baseline_into_a_file(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    result = cli("baseline", "--reference", data.ref_csv, "--out", tmp_path / "taken" / "bl")
    assert result.code == 2 and result.err.count("\n") == 1
    assert "is not a folder" in result.err and "Traceback" not in result.err


def test_run_with_baseline_honours_ignore(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    assert cli("baseline", "--reference", data.ref_csv, "--out", tmp_path / "bl").code == 0
    _, report = round_(cli, tmp_path / "out", None, data.drift_csv, "--baseline",
                       tmp_path / "bl", "--ignore", "income")
    assert "income" not in names(report)


def test_run_with_baseline_refuses_a_contradicting_type(cli: Cli, data: DataFiles,
                                                       tmp_path: Path) -> None:
    assert cli("baseline", "--reference", data.ref_csv, "--out", tmp_path / "bl").code == 0
    result = cli("run", "--baseline", tmp_path / "bl", "--current", data.drift_csv, "--out",
                 tmp_path / "out", "--no-history", "--categorical", "income")
    assert result.code == 2 and "rebuild the baseline" in result.err


@pytest.mark.slow  # a subprocess: a whole round with HTML and PNGs
def test_a_full_round_in_a_subprocess(data: DataFiles, tmp_path: Path) -> None:
    proc = _subprocess("run", "--reference", data.ref_parquet, "--current", data.drift_csv,
                       "--out", "assets", "--fail-on", "critical", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert {p.name for p in (tmp_path / "assets").iterdir()} >= {
        "drift_report.json", "drift_report.html", "streamlit_dashboard_data.pkl", "images"}


def _chunk_statuses(out: str) -> list[str]:
    """Statuses of the 'driftscope: chunk i/n LABEL: STATUS (N rows)' lines."""
    return [ln.rsplit(": ", 1)[1].split()[0] for ln in out.splitlines()
            if ln.startswith("driftscope: chunk ")]


def _creeping(tmp_path: Path) -> tuple[Path, Path]:
    """A reference and one current file of 24 chunks of 5,000 rows each whose column x creeps
    upwards (PSI from ~0 to ~0.07 per chunk), while y stays put."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.normal(size=20_000), "y": rng.normal(size=20_000)})
    parts = [pd.DataFrame({"x": rng.normal(s, size=5_000), "y": rng.normal(size=5_000)})
             for s in np.linspace(0.0, 0.26, 24)]
    ref.to_parquet(tmp_path / "ref.parquet")
    pd.concat(parts).to_parquet(tmp_path / "cur.parquet")
    return tmp_path / "ref.parquet", tmp_path / "cur.parquet"


@pytest.mark.slow  # 140,000 rows in 2 x 24 chunk rounds
def test_trend_over_chunked_rounds(cli: Cli, tmp_path: Path) -> None:
    ref, cur = _creeping(tmp_path)
    on = cli("run", "--reference", ref, "--current", cur, "--chunk-size", 5000, "--out",
             tmp_path / "on", "--plots", "none", "--no-html")
    off = cli("run", "--reference", ref, "--current", cur, "--chunk-size", 5000, "--out",
              tmp_path / "off", "--plots", "none", "--no-html",
              "--config", write_yaml(tmp_path / "off.yaml", {"trend": {"enabled": False}}))
    assert on.code == off.code == 0
    assert "WARNING" in _chunk_statuses(on.out)  # the creep is caught by the trend detector
    assert set(_chunk_statuses(off.out)) == {"NORMAL"}  # ... and by nothing else
    assert "risen" in json.dumps(on.report(tmp_path / "on"))


@pytest.mark.slow  # 3 chunk rounds of 8,000 rows
def test_persistence_over_chunked_rounds(cli: Cli, tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    pd.DataFrame({"x": rng.normal(size=5000)}).to_csv(tmp_path / "ref.csv", index=False)
    pd.DataFrame({"x": rng.normal(1.0, size=3000)}).to_csv(tmp_path / "cur.csv", index=False)
    result = cli("run", "--reference", tmp_path / "ref.csv", "--current", tmp_path / "cur.csv",
                 "--chunk-size", 1000, "--out", tmp_path / "o", "--plots", "none", "--no-html",
                 "--config", write_yaml(tmp_path / "p.yaml", {"persistence": {"k": 2, "n": 3}}))
    assert _chunk_statuses(result.out) == ["WARNING", "CRITICAL", "CRITICAL"]


def test_history_command_without_a_history_creates_nothing(cli: Cli, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("history")
    assert result.code == 2 and "no history" in result.err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # two rounds and a PNG
@pytest.mark.parametrize("via", ["flag", "yaml"])
def test_plot_features_on_request(cli: Cli, data: DataFiles, tmp_path: Path, via: str) -> None:
    out = tmp_path / "out"
    args: list[Any] = ["run", "--reference", data.ref_csv, "--current", data.drift_csv,
                       "--out", out, "--no-html", "--no-history", "--plots", "none"]
    first = cli(*args)
    names_ = names(first.report(out))
    wanted = names_[0]
    if via == "flag":
        args += ["--plot", wanted]
    else:
        args += ["--config", write_yaml(tmp_path / "c.yaml", {"plot_features": [wanted]})]
    result = cli(*args)
    assert result.code == 0, result.err
    plotted = {f["name"]: f["plot"] for f in result.report(out)["features"] if f.get("plot")}
    assert list(plotted) == [wanted]
    assert (out / plotted[wanted]).read_bytes()[:4] == b"\x89PNG"


def _long_tail(tmp_path: Path) -> tuple[Path, Path]:
    """Two independent samples of one population: an id, a 5,000-category long tail, a
    normal column. Nothing drifted."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    weights = 1 / np.arange(1, 5001) ** 0.7
    weights /= weights.sum()

    def sample(n: int, start: int) -> pd.DataFrame:
        return pd.DataFrame({
            "customer_id": np.arange(start, start + n),
            "zip": [f"z{k}" for k in rng.choice(5000, n, p=weights)],
            "x": rng.normal(size=n),
        })

    sample(20_000, 0).to_parquet(tmp_path / "ref.parquet")
    sample(5_000, 20_000).to_parquet(tmp_path / "cur.parquet")
    return tmp_path / "ref.parquet", tmp_path / "cur.parquet"


@pytest.mark.slow  # 25,000 rows, 5,000 categories, two rounds
def test_max_categories_and_identifiers_keep_long_tails_honest(cli: Cli, tmp_path: Path
                                                               ) -> None:
    ref, cur = _long_tail(tmp_path)
    grouped, report = round_(cli, tmp_path / "g", ref, cur)
    assert statuses(report) == {"zip": "NORMAL", "x": "NORMAL"}  # no identifier, no alarm
    assert any("customer_id" in (f.get("column") or "") and "identifier" in f["message"]
               for f in report["findings"])
    zip_bins = next(f for f in report["features"] if f["name"] == "zip")["bins"]
    assert len(zip_bins) <= 100 + 1 + 1 + 10 and any("(other" in b["label"] for b in zip_bins)
    # one bin per category: the 0.0001 floor dominates PSI
    _, flat = round_(cli, tmp_path / "f", ref, cur,
                     config={"max_categories": 100_000, "numerical": ["customer_id"]})
    by_name = {f["name"]: f for f in flat["features"]}
    assert by_name["zip"]["metrics"]["psi"] > 10 * next(
        f for f in report["features"] if f["name"] == "zip")["metrics"]["psi"]
    assert "customer_id" in by_name  # named explicitly: monitored


# =========================================================================================
# QA fixes: usage, --fail-on, chunks, delimiters, feature engineering in the working folder
# =========================================================================================

def _reference_and_baseline(tmp: Path, data: DataFiles, via: str) -> list[Any]:
    both = {"reference": str(data.ref_csv), "baseline": str(tmp / "bl")}
    if via == "flags":
        return _run(data, data.same_csv, "--baseline", tmp / "bl")
    if via == "yaml":
        return ["run", "--current", data.same_csv, "--config", write_yaml(tmp / "c.yaml", both)]
    return ["run", "--current", data.same_csv, "--baseline", tmp / "bl", "--config",
            write_yaml(tmp / "c.yaml", {"reference": both["reference"]})]


@pytest.mark.parametrize(("via", "expected"), [
    ("flags", ["--reference and --baseline are both given"]),
    ("yaml", ["'reference' in", "c.yaml and 'baseline' in", "c.yaml are both given"]),
    ("mixed", ["'reference' in", "c.yaml and --baseline are both given"]),
])
def test_reference_and_baseline_together_is_a_usage_error(
    cli: Cli, data: DataFiles, tmp_path: Path, earlier_round: Path, via: str,
    expected: list[str]
) -> None:
    assert cli("baseline", "--reference", data.ref_csv, "--out", tmp_path / "bl").code == 0
    before = files_state(earlier_round)
    result = cli(*_reference_and_baseline(tmp_path, data, via), "--out", earlier_round)
    assert result.code == 2 and result.out == ""
    assert result.err.count("\n") == 1 and result.err.startswith("driftscope run: ")
    for text in [*expected, "choose one"]:
        assert text in result.err, result.err
    assert files_state(earlier_round) == before


@pytest.mark.parametrize("quiet", [False, True])
def test_fail_on_says_why_the_exit_code_is_1(cli: Cli, data: DataFiles, tmp_path: Path,
                                             quiet: bool) -> None:
    extra = ["--quiet"] if quiet else []
    failed, report = round_(cli, tmp_path / "a", data.ref_csv, data.drift_csv, "--fail-on",
                            "critical", *extra)
    assert failed.code == 1 and report["status"] == "CRITICAL"
    assert failed.err == ("driftscope: round status CRITICAL reached --fail-on critical: "
                          "exit 1\n")
    assert (failed.out == "") is quiet
    warned, _ = round_(cli, tmp_path / "b", data.ref_csv, data.drift_csv, "--fail-on",
                       "warning", *extra)
    assert warned.err == "driftscope: round status CRITICAL reached --fail-on warning: exit 1\n"
    passed, _ = round_(cli, tmp_path / "c", data.ref_csv, data.same_csv, "--fail-on",
                       "critical", *extra)
    assert passed.code == 0 and passed.err == ""


def test_fail_on_with_chunks_names_the_worst_chunk_status(cli: Cli, data: DataFiles,
                                                          tmp_path: Path) -> None:
    pd.concat([pd.read_csv(data.drift_csv).iloc[:200], pd.read_csv(data.same_csv).iloc[:200]]
              ).to_csv(tmp_path / "cur.csv", index=False)
    result = cli("run", "--reference", data.ref_csv, "--current", tmp_path / "cur.csv",
                 "--out", tmp_path / "out", *FAST, "--chunk-size", "200", "--fail-on",
                 "critical", "--quiet")
    assert result.code == 1 and result.out == ""
    assert result.err == ("driftscope: chunk 1/2 rows 0-199 status CRITICAL reached --fail-on "
                          "critical: exit 1\n")


@pytest.mark.slow  # several chunk rounds
@pytest.mark.parametrize("quiet", [False, True])
def test_chunk_by_says_how_many_rows_had_no_time(cli: Cli, data: DataFiles, tmp_path: Path,
                                                 quiet: bool) -> None:
    cur = pd.read_csv(data.drift_csv)
    cur.loc[cur.index[:7], "ts"] = None
    cur.to_csv(tmp_path / "cur.csv", index=False)
    result = cli("run", "--reference", data.ref_csv, "--current", tmp_path / "cur.csv",
                 "--out", tmp_path / "out", *FAST, "--chunk-by", "month",
                 "--timestamp-column", "ts", *(["--quiet"] if quiet else []))
    assert result.code == 0, result.err
    line = ("driftscope: 7 rows have no value in 'ts' and belong to no period; they were "
            "left out")
    assert (line in result.out.splitlines()) is not quiet
    assert result.err == ""
    assert any("7 row(s)" in f["message"] and "left out" in f["message"]
               for f in result.report(tmp_path / "out")["findings"])
    if not quiet:
        chunks = [ln for ln in result.out.splitlines() if ln.startswith("driftscope: chunk ")]
        assert sum(int(ln.rsplit("(", 1)[1].split()[0]) for ln in chunks) == 400 - 7
    every = cli("run", "--reference", data.ref_csv, "--current", data.drift_csv,
                "--out", tmp_path / "all", *FAST, "--chunk-by", "month",
                "--timestamp-column", "ts")
    assert "left out" not in every.out
    cur.loc[cur.index[1:7], "ts"] = CHUNK_DATES[0]
    cur.to_csv(tmp_path / "one.csv", index=False)
    one = cli("run", "--reference", data.ref_csv, "--current", tmp_path / "one.csv",
              "--out", tmp_path / "one", *FAST, "--chunk-by", "month", "--timestamp-column", "ts")
    assert ("driftscope: 1 row has no value in 'ts' and belongs to no period; it was left out"
            in one.out.splitlines())


@pytest.mark.parametrize(("args", "label"), [
    (["--chunk-by", "day", "--timestamp-column", "ts"], CHUNK_DATES[-1]),
    (["--chunk-by", "month", "--timestamp-column", "ts"], "2026-02"),
    (["--chunk-size", "150"], "rows 300-399"),
])
def test_chunk_rounds_name_their_source(cli: Cli, data: DataFiles, tmp_path: Path,
                                        args: list[str], label: str) -> None:
    result = cli("run", "--reference", data.ref_csv, "--current", data.drift_csv,
                 "--out", tmp_path, *FAST, *args)
    assert result.code == 0, result.err
    assert result.report(tmp_path)["run"]["current"]["source"] == f"{data.drift_csv} [{label}]"


def test_chunk_sources_in_the_history(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    history = pytest.importorskip("driftscope.store")
    result = cli("run", "--reference", data.ref_csv, "--current", data.drift_csv, "--out",
                 tmp_path, "--plots", "none", "--no-html", "--chunk-by", "week",
                 "--timestamp-column", "ts")
    assert result.code == 0, result.err
    store = history.HistoryStore(tmp_path / "driftscope_history.db", create=False)
    try:
        sources = sorted(store.load(r.run_id).run.current.source for r in store.runs())
    finally:
        store.close()
    assert sources == [f"{data.drift_csv} [{week}]" for week in
                       ("2026-W05", "2026-W06", "2026-W07")]


def test_a_semicolon_csv_reads_like_a_comma_csv(cli: Cli, data: DataFiles,
                                                tmp_path: Path) -> None:
    pd.read_csv(data.drift_csv).to_csv(tmp_path / "semi.csv", sep=";", index=False)
    _, comma = round_(cli, tmp_path / "comma", data.ref_csv, data.drift_csv)
    _, semi = round_(cli, tmp_path / "semi", data.ref_csv, tmp_path / "semi.csv")
    assert [f["metrics"] for f in semi["features"]] == [
        pytest.approx(f["metrics"]) for f in comma["features"]]


def test_a_decimal_comma_csv_is_explained(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    pd.read_csv(data.drift_csv).to_csv(tmp_path / "de.csv", sep=";", decimal=",", index=False)
    result, report = round_(cli, tmp_path / "out", data.ref_csv, tmp_path / "de.csv")
    # a schema break of the round, not bad input: CRITICAL with the cause
    age = feature(report, "age")
    assert age["status"] == "CRITICAL"
    assert "holds text (string) where the reference holds numbers" in age["reason"]
    assert "(decimal comma? values like" in age["reason"]
    assert "PSI" in feature(report, "home")["reason"]  # the text columns are measured as usual


def test_a_quoted_header_line_is_explained(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    lines = pd.read_csv(data.drift_csv).to_csv(sep=";", index=False).splitlines()
    (tmp_path / "q.csv").write_text("\n".join(f'"{ln}"' for ln in lines) + "\n", "utf-8")
    result = cli("run", "--reference", data.ref_csv, "--current", tmp_path / "q.csv",
                 "--out", tmp_path / "out", *FAST)
    assert result.code == 2 and result.err.count("\n") == 1
    assert "q.csv: the header reads as one single column" in result.err
    assert "semicolons" in result.err and "missing" not in result.err


def test_feature_engineering_from_the_working_directory(cli: Cli, data: DataFiles,
                                                        tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid

    name = f"fe_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(
        "def engineer(df):\n    return df.assign(age_per_child=df['age'] / (1 + df['children']))\n",
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    try:
        _, report = round_(cli, tmp_path / "out", data.ref_csv, data.drift_csv,
                           "--feature-engineering", f"{name}:engineer")
        assert "age_per_child" in names(report)
        missing = cli("run", "--reference", data.ref_csv, "--current", data.drift_csv, *FAST,
                      "--out", tmp_path / "x", "--feature-engineering", "no_such_fe:engineer")
        assert missing.code == 2 and "is the module on PYTHONPATH?" in missing.err
    finally:
        sys.modules.pop(name, None)


def test_dashboard_flags_reach_launch(cli: Cli, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import driftscope.dashboard as dashboard

    seen: dict[str, Any] = {}

    def fake_launch(history: str, **kwargs: Any) -> int:
        seen.update(kwargs, history=history)
        return 0

    monkeypatch.setattr(dashboard, "launch", fake_launch)
    db = tmp_path / "runs" / "h.db"
    assert cli("dashboard", "--history", db, "--port", 8601, "--refresh", 5).code == 0
    assert seen == {"history": str(db), "port": 8601, "refresh_seconds": 5,
                    "assets_dir": str(db.parent), "host": "127.0.0.1"}
    assert cli("dashboard", "--assets", tmp_path / "a", "--host", "0.0.0.0").code == 0
    assert seen["assets_dir"] == str(tmp_path / "a") and seen["host"] == "0.0.0.0"
    assert seen["history"] == str(tmp_path / "a" / "driftscope_history.db")


# -- hardening: input at fault is exit 2; data is text on the terminal ----------------------

def test_negative_seed_is_a_usage_error(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    result = cli("run", "--reference", data.ref_csv, "--current", data.same_csv, "--out",
                 tmp_path / "o", "--seed", "-1", *FAST)
    assert result.code == 2 and "--seed" in result.err and result.err.count("\n") == 1


def test_report_out_must_be_a_file_in_an_existing_folder(cli: Cli, data: DataFiles,
                                                         tmp_path: Path) -> None:
    out = tmp_path / "o"
    assert cli("run", "--reference", data.ref_csv, "--current", data.same_csv, "--out", out,
               *FAST).code == 0
    folder = tmp_path / "taken"
    folder.mkdir()
    result = cli("report", "--from", out / "drift_report.json", "--out", folder)
    assert result.code == 2 and "is a folder" in result.err
    far = tmp_path / "missing" / "deeper" / "r.html"
    result = cli("report", "--from", out / "drift_report.json", "--out", far)
    assert result.code == 2 and "does not exist" in result.err
    assert not (tmp_path / "missing").exists()


def test_the_run_summary_shows_control_characters_as_escapes(cli: Cli, tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    evil = "x\x1b[2J\x07\u202eevil\x08"
    pd.DataFrame({evil: rng.normal(size=500), "ok": rng.normal(size=500)}).to_csv(
        tmp_path / "r.csv", index=False)
    pd.DataFrame({evil: rng.normal(3.0, 1.0, 500), "ok": rng.normal(size=500)}).to_csv(
        tmp_path / "c.csv", index=False)
    result = cli("run", "--reference", tmp_path / "r.csv", "--current", tmp_path / "c.csv",
                 "--out", tmp_path / "o", *FAST)
    assert result.code == 0
    for raw in ("\x1b", "\x07", "\u202e", "\x08"):
        assert raw not in result.out
    assert "x\\x1b[2J\\x07\\u202eevil\\x08" in result.out


def test_the_run_summary_lists_drifted_features_worst_first() -> None:
    from driftscope.cli_summary import summary
    from driftscope.result import Severity
    from tests.factories import make_feature, make_result

    features = [make_feature(f"w{i}", Severity.WARNING, psi=0.11 + i / 100) for i in range(5)]
    features += [make_feature("calm", psi=0.9), make_feature("bad", Severity.CRITICAL, psi=0.3)]
    lines = summary(make_result(features), Path("out")).splitlines()
    listed = [line.split(":")[0].strip("- ") for line in lines if line.startswith("  - ")]
    assert listed == ["bad", "w4", "w3", "w2", "w1"]  # at most 5; NORMAL ones never


def test_the_run_summary_judges_the_prediction_by_its_score_when_there_is_one() -> None:
    """The prediction line shows the positive class's score; the predicted class and the
    target count only without a score (multiclass), and the target never does."""
    import dataclasses

    from driftscope.cli_summary import summary
    from driftscope.result import Severity
    from tests.factories import make_feature, make_result

    worse = {"predicted_class": make_feature("predicted_class", Severity.CRITICAL, psi=0.9,
                                             type_="categorical", origin="predicted_class"),
             "target": make_feature("default", Severity.CRITICAL, psi=1.5,
                                    type_="categorical", origin="target")}
    binary = dataclasses.replace(make_result(), **worse)
    assert "  prediction: WARNING (PSI 0.130)" in summary(binary, Path("o")).splitlines()
    proba = make_feature("prediction[b]", Severity.WARNING, psi=0.2, origin="class_probability")
    multiclass = dataclasses.replace(binary, prediction=None, class_probabilities=(proba,))
    assert ("  prediction: CRITICAL (predicted_class, PSI 0.900)"
            in summary(multiclass, Path("o")).splitlines())


@pytest.mark.slow  # 200 KB values through the HTML and the PNG
def test_a_huge_category_value_is_cut_in_sentences_but_kept_in_the_bins(
        cli: Cli, tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    huge = "V" * 200_000
    ref = pd.DataFrame({"c": rng.choice(["a", "b"], 2000)})
    cur = pd.DataFrame({"c": np.r_[rng.choice(["a", "b"], 540), [huge] * 60]})
    ref.to_csv(tmp_path / "r.csv", index=False)
    cur.to_csv(tmp_path / "c.csv", index=False)
    out = tmp_path / "o"
    result = cli("run", "--reference", tmp_path / "r.csv", "--current", tmp_path / "c.csv",
                 "--out", out, "--no-history", "--plots", "none")
    assert result.code == 0, result.err
    report = json.loads((out / "drift_report.json").read_text())
    c = feature(report, "c")
    assert c["status"] == "CRITICAL" and "unseen" in c["reason"]
    assert len(c["reason"]) < 1000 and "…" in c["reason"]
    assert any(b["label"] == huge for b in c["bins"])  # the full value stays in the JSON
    assert len(result.out) < 5000
    assert (out / "drift_report.html").stat().st_size < 1_000_000  # no sentence copies it


def test_a_foreign_database_as_history_needs_history_init(cli: Cli, data: DataFiles,
                                                          tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "crm.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO customers (name) VALUES ('ann')")
    conn.close()
    before = db.read_bytes()
    out = tmp_path / "o"
    args = ("run", "--reference", data.ref_csv, "--current", data.same_csv, "--out", out,
            "--plots", "none", "--no-html", "--history", db)
    result = cli(*args)
    assert result.code == 2 and "--history-init" in result.err and result.err.count("\n") == 1
    assert db.read_bytes() == before and not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crm.db"]
    result = cli(*args, "--history-init")
    assert result.code == 0, result.err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name FROM customers").fetchall() == [("ann",)]
        assert conn.execute("SELECT count(*) FROM driftscope_runs").fetchone() == (1,)
    conn.close()
    assert cli(*args).code == 0  # now it holds driftscope's history: no flag needed


@pytest.mark.slow  # 11 PNGs
def test_plot_limit(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    def pngs(*args: Any) -> int:
        out = tmp_path / f"o{len(args)}"
        assert cli("run", "--reference", data.ref_csv, "--current", data.drift_csv, "--out",
                   out, "--no-history", "--no-html", "--plots", "all", *args).code == 0
        return len(list((out / "images").glob("*.png")))

    assert pngs() == 5  # every column: under the default budget
    assert pngs("--plot-limit", "2") == 2
    cfg = tmp_path / "limit.yaml"
    cfg.write_text("plot_limit: 1\n")
    assert pngs("--config", cfg) == 1
    assert pngs("--config", cfg, "--plot-limit", "3") == 3  # the flag wins


def test_labels(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    def accuracy(config: dict[str, Any] | None) -> float:
        _, report = round_(cli, tmp_path / f"o{len(config or {})}", data.lab_ref_csv,
                           data.lab_cur_csv, "--model", data.model, "--target", "status",
                           config=config)
        return float(report["performance"]["metrics"]["accuracy"]["current"])

    plain = accuracy(None)
    swapped = accuracy({"labels": {"bad": "good", "good": "bad"}, "ignore": ["proba", "pred"]})
    assert swapped == pytest.approx(1.0 - plain)


@pytest.mark.slow  # out-of-fold fits
def test_reference_predictions_and_oof_folds(cli: Cli, data: DataFiles, tmp_path: Path) -> None:
    def reference_bins(config: dict[str, Any]) -> list[str]:
        name = "-".join(str(v) for v in config.values())
        _, report = round_(cli, tmp_path / name, data.lab_ref_csv, data.lab_cur_csv, "--model",
                           data.model, "--target", "status", config=config)
        return [b["label"] for b in report["prediction"]["bins"]]  # deciles of the side

    model = reference_bins({"reference_predictions": "model"})
    ten = reference_bins({"reference_predictions": "out_of_fold"})
    two = reference_bins({"reference_predictions": "out_of_fold", "oof_folds": 2})
    assert model != ten and ten != two


# -- backfills keep every chunk; one history for per-run output folders ---------------------

def _weekly_backfill(tmp_path: Path) -> tuple[Path, Path]:
    """A reference and a current file of five full ISO weeks of 200 rows (2026-W02 to W06;
    x shifted in 2026-W04 only) and a 30-row remainder week (2026-W07)."""
    rng = np.random.default_rng(5)
    ref = pd.DataFrame({"x": rng.normal(size=1000), "y": rng.normal(size=1000)})
    weeks = []
    for week, rows in enumerate([200, 200, 200, 200, 200, 30]):
        days = pd.Timestamp("2026-01-05") + pd.to_timedelta(rng.integers(0, 7, rows) + 7 * week,
                                                            unit="D")
        weeks.append(pd.DataFrame({"x": rng.normal(1.0 if week == 2 else 0.0, size=rows),
                                   "y": rng.normal(size=rows),
                                   "day": days.strftime("%Y-%m-%d")}))
    ref.to_csv(tmp_path / "ref.csv", index=False)
    pd.concat(weeks).to_csv(tmp_path / "cur.csv", index=False)
    return tmp_path / "ref.csv", tmp_path / "cur.csv"


WEEKS = ["2026-W02", "2026-W03", "2026-W04", "2026-W05", "2026-W06..2026-W07"]


@pytest.mark.parametrize("history", [True, False])
def test_a_backfill_keeps_every_chunk_and_names_the_worst(cli: Cli, tmp_path: Path,
                                                          history: bool) -> None:
    from driftscope.outputs.json_report import validate_report

    ref, cur = _weekly_backfill(tmp_path)
    out = tmp_path / "out"
    result = cli("run", "--reference", ref, "--current", cur, "--out", out, "--plots", "none",
                 "--chunk-by", "week", "--timestamp-column", "day",
                 *([] if history else ["--no-history"]))
    assert result.code == 0, result.err
    # the 30-row week was merged into the week before it, and said so
    assert ("driftscope: 2026-W06 (200 rows) + 2026-W07 (30 rows) run as one chunk "
            "2026-W06..2026-W07" in result.out)
    assert _chunk_statuses(result.out) == ["NORMAL", "NORMAL", "CRITICAL", "NORMAL", "NORMAL"]
    # the summary leads with the worst chunk, not with the latest one
    assert "driftscope: backfill of 5 chunks by week: CRITICAL (the worst chunk)" in result.out
    assert "  worst chunk 3/5 2026-W04: CRITICAL" in result.out.splitlines()
    assert f"{out / 'chunks' / '2026-W04' / 'drift_report.html'}" in result.out

    top = result.report(out)
    validate_report(top)
    assert top["status"] == "NORMAL"  # the top-level report shows the latest chunk ...
    backfill = top["backfill"]  # ... and lists every chunk
    assert backfill["status"] == "CRITICAL" and backfill["worst"] == "2026-W04"
    assert backfill["chunk_by"] == "week" and backfill["chunk_size"] is None
    assert [c["label"] for c in backfill["chunks"]] == WEEKS
    assert [c["rows"] for c in backfill["chunks"]] == [200, 200, 200, 200, 230]
    assert backfill["chunks"][-1]["run_id"] == top["run"]["id"]
    assert backfill["chunks"][0]["window_start"].startswith("2026-01-05")
    html = (out / "drift_report.html").read_text("utf-8")
    for chunk in backfill["chunks"]:  # every chunk's report is kept, whole
        report = json.loads((out / chunk["path"]).read_text("utf-8"))
        validate_report(report)
        assert report["run"]["id"] == chunk["run_id"] and report["status"] == chunk["status"]
        assert report["run"]["current"]["source"] == f"{cur} [{chunk['label']}]"
        assert f"<code>{chunk['run_id']}</code>" in (out / chunk["html"]).read_text("utf-8")
        assert f'href="{chunk["html"]}"' in html
    merged = json.loads((out / backfill["chunks"][-1]["path"]).read_text("utf-8"))
    assert any("2026-W07 (30 rows)" in f["message"] for f in merged["findings"])
    assert not list((out / "chunks").glob("*/streamlit_dashboard_data.pkl"))
    db = out / "driftscope_history.db"
    assert db.exists() is history
    if history:  # one round per chunk; the newest is the merged one, not a 30-row spike
        from driftscope.store import HistoryStore

        with HistoryStore(db, create=False) as store:
            runs = store.runs()
        assert [r.run_id for r in runs] == [c["run_id"] for c in backfill["chunks"]]
        assert runs[-1].current_rows == 230


def test_a_backfill_fails_on_its_worst_chunk_and_keeps_chunks_apart(cli: Cli,
                                                                    tmp_path: Path) -> None:
    ref, cur = _weekly_backfill(tmp_path)
    out = tmp_path / "out"
    failed = cli("run", "--reference", ref, "--current", cur, "--out", out, *FAST,
                 "--chunk-by", "week", "--timestamp-column", "day", "--fail-on", "critical")
    assert failed.code == 1
    assert failed.err == ("driftscope: chunk 3/5 2026-W04 status CRITICAL reached --fail-on "
                          "critical: exit 1\n")
    # without HTML the chunk list links each chunk's JSON
    chunks = failed.report(out)["backfill"]["chunks"]
    assert all(c["html"] is None and (out / c["path"]).is_file() for c in chunks)
    assert not list((out / "chunks").glob("*/drift_report.html"))
    # by row count: the 30-row rest joins the last full chunk; folder names are plain
    by_rows = cli("run", "--reference", ref, "--current", cur, "--out", tmp_path / "rows",
                  *FAST, "--chunk-size", "250")
    assert by_rows.code == 0, by_rows.err
    backfill = by_rows.report(tmp_path / "rows")["backfill"]
    assert [(c["label"], c["rows"]) for c in backfill["chunks"]] == [
        ("rows 0-249", 250), ("rows 250-499", 250), ("rows 500-749", 250),
        ("rows 750-1029", 280)]
    assert backfill["chunk_by"] is None and backfill["chunk_size"] == 250
    assert sorted(p.name for p in (tmp_path / "rows" / "chunks").iterdir()) == [
        "rows-0-249", "rows-250-499", "rows-500-749", "rows-750-1029"]


@pytest.mark.slow  # rounds with PNGs, HTML and history
def test_the_default_history_is_shared_by_dated_out_folders(cli: Cli, data: DataFiles,
                                                            tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    import driftscope.dashboard as dashboard

    monkeypatch.chdir(tmp_path)
    base = ["run", "--reference", data.ref_csv, "--current", data.drift_csv, "--plots", "none",
            "--no-html"]
    for day in ("2026-01-05", "2026-01-06", "20260107T0800"):
        result = cli(*base, "--out", Path("runs") / day)
        assert result.code == 0, result.err
        assert result.out.endswith(f"  history: {Path('runs') / 'driftscope_history.db'}\n")
    assert _history_rounds(tmp_path / "runs" / "driftscope_history.db") == 3
    assert not list((tmp_path / "runs").glob("*/driftscope_history.db"))
    # year/month/day folders climb to the same place; other folders keep their own history
    assert cli(*base, "--out", Path("runs") / "2026" / "01" / "08").code == 0
    assert _history_rounds(tmp_path / "runs" / "driftscope_history.db") == 4
    assert cli(*base, "--out", "reports").code == 0
    assert _history_rounds(tmp_path / "reports" / "driftscope_history.db") == 1
    # a history already in a dated folder (an earlier driftscope) keeps being used
    old = tmp_path / "old" / "2025-12-31"
    assert cli(*base, "--out", old, "--history", old / "driftscope_history.db").code == 0
    assert cli(*base, "--out", old).code == 0
    assert _history_rounds(old / "driftscope_history.db") == 2
    assert not (tmp_path / "old" / "driftscope_history.db").exists()
    # the dashboard pointed at one day's folder reads the shared history
    seen: dict[str, Any] = {}

    def fake_launch(history: str, **kwargs: Any) -> int:
        seen.update(history=history)
        return 0

    monkeypatch.setattr(dashboard, "launch", fake_launch)
    assert cli("dashboard", "--assets", Path("runs") / "2026-01-06").code == 0
    assert seen["history"] == str(Path("runs") / "driftscope_history.db")
    assert cli("history", "--history", Path("runs") / "driftscope_history.db").code == 0


def test_report_out_never_replaces_a_file_driftscope_did_not_write(cli: Cli, data: DataFiles,
                                                                  tmp_path: Path) -> None:
    out = tmp_path / "o"
    assert cli("run", "--reference", data.ref_csv, "--current", data.same_csv, "--out", out,
               "--plots", "none").code == 0
    source = out / "drift_report.json"
    for victim in (source, out / "driftscope_history.db"):
        before = victim.read_bytes()
        result = cli("report", "--from", source, "--out", victim)
        assert result.code == 2 and "not an HTML report" in result.err
        assert victim.read_bytes() == before
    # its own earlier HTML report may be replaced
    assert cli("report", "--from", source, "--out", out / "drift_report.html").code == 0


def test_the_run_summary_names_an_estimate_the_multivariate_checks_and_the_contract() -> None:
    import dataclasses

    from driftscope.cli_summary import summary
    from driftscope.insights import (
        ContractCheck,
        ContractReport,
        DomainClassifierResult,
        MultivariateResult,
    )
    from driftscope.result import PerformanceMetric, PerformanceResult, Severity
    from tests.factories import make_result

    plain = summary(make_result(), Path("o")).splitlines()
    assert not any(line.startswith(("  multivariate", "  pipeline contract")) for line in plain)
    estimate = PerformanceResult(Severity.WARNING, "estimated drop", {
        "roc_auc": PerformanceMetric(current=None, estimated=0.71, baseline=0.8)})
    dc = DomainClassifierResult(Severity.CRITICAL, "told apart", 0.912, 0.9, 0.92,
                                (0.9, 0.92), 100, 100, 3)
    check = ContractCheck("out_of_range", "age", "reference", Severity.WARNING, "outside", 0.02, 2)
    calm = dataclasses.replace(check, column="income", status=Severity.NORMAL)
    result = dataclasses.replace(
        make_result(), performance=estimate,
        multivariate=MultivariateResult(Severity.CRITICAL, "joint drift", 200, 0,
                                        domain_classifier=dc),
        contract=ContractReport(Severity.WARNING, "1 alert", True, (check, calm)))
    lines = summary(result, Path("o")).splitlines()
    assert "  performance: WARNING (estimated, no labels)" in lines
    assert "  multivariate: CRITICAL (domain classifier AUC 0.912)" in lines
    assert "  pipeline contract: WARNING (1 of 2 checks alert)" in lines
