"""The fitted pipeline's own contract (driftscope.model.contract): encoder categories,
imputation rates and training ranges read from fitted scikit-learn pipelines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
)

from driftscope.model.contract import ReferenceColumn, check_contract, round_contract
from driftscope.severity import Severity


def _thresholds(column: str) -> tuple[float, float, float, float]:
    return 0.01, 0.05, 0.05, 0.20  # the defaults of unseen_* and missing_*


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, n)
    x[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({"x": x, "z": rng.uniform(10, 20, n),
                         "c": rng.choice(["a", "b", "c"], n),
                         "y": (rng.random(n) < 0.5).astype(int)})


def _pipeline(handle_unknown: str = "ignore", encoder: str = "onehot") -> Pipeline:
    enc = (OneHotEncoder(handle_unknown=handle_unknown) if encoder == "onehot" else
           OrdinalEncoder(handle_unknown=handle_unknown,
                          **({"unknown_value": -1} if handle_unknown != "error" else {})))
    ct = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), ["x"]),
        ("scaled", MinMaxScaler(), ["z"]),
        ("cat", make_pipeline(FunctionTransformer(lambda f: f, feature_names_out="one-to-one"),
                              SimpleImputer(strategy="constant", fill_value="missing"), enc),
         ["c"]),
    ])
    ref = _frame(500, 1)
    return Pipeline([("prep", ct), ("lr", LogisticRegression())]).fit(ref.drop(columns="y"),
                                                                       ref["y"])


REFERENCE = {"x": ReferenceColumn(missing_share=0.1, numerical=True, minimum=-3.0, maximum=3.0),
             "z": ReferenceColumn(missing_share=0.0, numerical=True, minimum=10.0, maximum=20.0),
             "c": ReferenceColumn(missing_share=0.0, numerical=False)}


def _check(report, kind: str, column: str):  # noqa: ANN001, ANN202
    return next(c for c in report.checks if c.kind == kind and c.column == column)


def test_a_category_the_encoder_never_saw_fires_and_says_it_is_ignored() -> None:
    model = _pipeline("ignore")
    cur = _frame(400, 2).drop(columns="y")
    cur.loc[:39, "c"] = "crypto"  # 10 % in a category the encoder never saw
    cur.loc[40:43, "c"] = np.nan  # missing is filled with "missing" first: also unknown
    report = check_contract(model, cur, REFERENCE, _thresholds)
    assert report.readable
    check = _check(report, "unknown_category", "c")
    assert check.current_share == pytest.approx(44 / 400)
    assert check.rows == 44
    assert check.action == "ignored"
    assert check.status is Severity.CRITICAL  # above unseen_critical 0.05
    assert "'crypto'" in check.reason and "handle_unknown='ignore'" in check.reason
    assert check.step == "prep/cat/onehotencoder (OneHotEncoder)"
    assert report.status is Severity.CRITICAL
    # the same rows without the new category: known categories pass
    clean = _frame(400, 2).drop(columns="y")
    assert _check(check_contract(model, clean, REFERENCE, _thresholds), "unknown_category",
                  "c").status is Severity.NORMAL


def test_handle_unknown_error_is_critical_from_one_row_and_ordinal_encoders_are_read() -> None:
    cur = _frame(400, 2).drop(columns="y")
    cur.loc[0, "c"] = "new"  # 0.25 %: below unseen_warning
    failing = check_contract(_pipeline("error"), cur, REFERENCE, _thresholds)
    check = _check(failing, "unknown_category", "c")
    assert check.action == "error" and check.status is Severity.CRITICAL
    assert "fails on them" in check.reason
    ignored = check_contract(_pipeline("ignore"), cur, REFERENCE, _thresholds)
    assert _check(ignored, "unknown_category", "c").status is Severity.NORMAL
    ordinal = check_contract(_pipeline("use_encoded_value", "ordinal"), cur, REFERENCE,
                             _thresholds)
    check = _check(ordinal, "unknown_category", "c")
    assert check.action == "ignored" and check.rows == 1
    assert "OrdinalEncoder" in check.step


def test_values_outside_the_training_range_fire_from_a_scaler_or_the_reference() -> None:
    model = _pipeline()
    cur = _frame(400, 2).drop(columns="y")
    cur.loc[:29, "z"] = 25.0  # 7.5 % above the scaler's data_max_
    cur.loc[30:33, "x"] = 9.0  # 1 % above the reference's maximum
    report = check_contract(model, cur, REFERENCE, _thresholds)
    z = _check(report, "out_of_range", "z")
    scaler = model.named_steps["prep"].named_transformers_["scaled"]
    assert (z.lower, z.upper) == (scaler.data_min_[0], scaler.data_max_[0])
    assert z.range_from == "scaler"
    assert z.current_share == pytest.approx(30 / 400) and z.status is Severity.CRITICAL
    x = _check(report, "out_of_range", "x")
    assert (x.lower, x.upper, x.range_from) == (-3.0, 3.0, "reference")
    expected = int(((cur["x"] < -3) | (cur["x"] > 3)).sum())
    assert x.rows == expected and x.current_share == pytest.approx(expected / 400)
    assert x.status is Severity.NORMAL  # 1 %: at unseen_warning, not above it
    assert "c" not in {c.column for c in report.checks if c.kind == "out_of_range"}


def test_imputation_rate_is_judged_by_its_rise_over_the_reference() -> None:
    model = _pipeline()
    cur = _frame(400, 2).drop(columns="y")
    cur.loc[:159, "x"] = np.nan  # 40 % or more missing where the reference had 10 %
    report = check_contract(model, cur, REFERENCE, _thresholds)
    check = _check(report, "imputation", "x")
    share = float(cur["x"].isna().mean())
    assert check.current_share == pytest.approx(share) and check.reference_share == 0.1
    assert check.status is Severity.CRITICAL  # a rise above missing_critical 0.20
    imputer = model.named_steps["prep"].named_transformers_["num"].steps[0][1]
    assert check.fill_value == f"{imputer.statistics_[0]:.6g}"
    same = check_contract(model, _frame(400, 2).drop(columns="y"), REFERENCE, _thresholds)
    assert _check(same, "imputation", "x").status is Severity.NORMAL
    unknown = check_contract(model, cur, {}, _thresholds)  # no reference rate: not judged
    assert _check(unknown, "imputation", "x").status is Severity.NORMAL


def test_a_model_that_is_not_sklearn_is_skipped_with_one_line() -> None:
    class Scorer:
        def predict_proba(self, X):  # noqa: ANN001, ANN202
            return np.zeros((len(X), 2))

    report = check_contract(Scorer(), _frame(10, 1), REFERENCE, _thresholds)
    assert not report.readable and report.checks == ()
    assert report.status is Severity.NORMAL
    assert "not a scikit-learn estimator" in report.reason and "\n" not in report.reason


def test_round_contract_gives_findings_and_the_switch_turns_it_off(data) -> None:  # noqa: ANN001
    from driftscope.config.models import MonitoringConfig

    class Baseline:
        rows = 1000
        settings: dict[str, object] = {}

        def get(self, origin: str, name: str) -> None:
            return None

    model = _pipeline()
    cur = _frame(200, 3).drop(columns="y")
    cur.loc[:49, "c"] = "zz"
    report, findings = round_contract(Baseline(), MonitoringConfig(), model, cur)
    assert report is not None and report.status is Severity.CRITICAL
    assert [f.column for f in findings] == ["c"]
    assert findings[0].message.startswith("pipeline contract CRITICAL: 'c': 25.0 %")
    assert round_contract(Baseline(), MonitoringConfig(pipeline_contract=False), model,
                          cur) == (None, [])
    # thresholds come from the policy: a higher unseen_critical keeps it at WARNING
    lenient = MonitoringConfig(features={"c": {"unseen_critical": 0.5}})
    assert round_contract(Baseline(), lenient, model, cur)[0].status is Severity.WARNING
    assert round_contract(Baseline(), MonitoringConfig(), None, cur) == (None, [])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from driftscope.demo.train import train_demo

    folder = tmp_path_factory.mktemp("demo")
    train_demo(folder, rows=8000, seed=3)
    return folder


@pytest.mark.slow
def test_the_demo_round_fires_on_the_new_category_and_not_on_stable(demo: Path) -> None:
    from driftscope.demo.round import demo_config
    from driftscope.demo.simulate import simulate
    from driftscope.engine.build import build_baseline
    from driftscope.monitor import run

    cfg = demo_config(demo, demo / "out", demo / "unused.parquet").model_copy(
        update={"current": None})
    quick = {"impact": {"enabled": False}, "multivariate": {"enabled": False}}
    baseline = build_baseline(cfg.reference, cfg.model_copy(update={}))

    def round_of(scenario: str, **extra: object):  # noqa: ANN202
        return run(current=simulate(scenario, rows=3000, seed=5), config=cfg,
                   baseline=baseline, progress=False, **quick, **extra)

    stable = round_of("stable")
    assert stable.contract is not None and stable.contract.readable
    assert stable.contract.status is Severity.NORMAL
    new = round_of("new_category")
    check = _check(new.contract, "unknown_category", "credit_purpose")
    assert check.status is Severity.CRITICAL and "'crypto'" in check.reason
    assert any(f.column == "credit_purpose" and f.message.startswith("pipeline contract")
               for f in new.findings)
    from driftscope.outputs.html import render_html
    from driftscope.outputs.json_report import validate_report

    validate_report(new.to_dict())
    html = render_html(new)
    assert 'id="contract"' in html and "crypto" in html
    sudden = round_of("sudden")
    assert any(c.kind == "out_of_range" and c.status is not Severity.NORMAL
               for c in sudden.contract.checks)
    off = round_of("new_category", pipeline_contract=False)
    assert off.contract is None
    assert not any(f.message.startswith("pipeline contract") for f in off.findings)


def test_the_significance_guard_keeps_a_few_rows_of_a_small_batch_normal() -> None:
    """One value outside the range in 40 rows is 2.5 % (above unseen_warning 1 %), but a
    reference of 500 rows could miss 3/500 = 0.6 % of the mass: P(X >= 1) for B(40, 0.006) is
    0.21, not significant; 30 of 400 rows is. An unknown category with handle_unknown='error'
    stays CRITICAL from one row (the model fails)."""
    from scipy import stats

    model = _pipeline()
    cur = _frame(40, 3).drop(columns="y")
    cur.loc[0, "z"] = 25.0
    guarded = check_contract(model, cur, REFERENCE, _thresholds, significance=0.01,
                             reference_rows=500)
    z = _check(guarded, "out_of_range", "z")
    assert z.status is Severity.NORMAL and "not significant" in z.reason
    p = stats.binom.sf(0, 40, 3 / 500)
    assert f"p = {p:.2g}" in z.reason
    unguarded = check_contract(model, cur, REFERENCE, _thresholds)
    assert _check(unguarded, "out_of_range", "z").status is Severity.WARNING
    big = _frame(400, 2).drop(columns="y")
    big.loc[:29, "z"] = 25.0
    report = check_contract(model, big, REFERENCE, _thresholds, significance=0.01,
                            reference_rows=500)
    assert _check(report, "out_of_range", "z").status is Severity.CRITICAL
    failing = _pipeline(handle_unknown="error")
    one = _frame(40, 3).drop(columns="y")
    one.loc[0, "c"] = "never seen"
    report = check_contract(failing, one, REFERENCE, _thresholds, significance=0.01,
                            reference_rows=500)
    assert _check(report, "unknown_category", "c").status is Severity.CRITICAL


def test_a_column_the_feature_engineering_rewrites_in_place_has_no_reference_range(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``df["income"] = np.log1p(df["income"])``: the model sees logs, the raw profile holds
    amounts; the contract must not judge the logs against the amounts' range (every row
    fell "below" it)."""
    import joblib
    import pandas as pd
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    import driftscope

    (tmp_path / "logs_fe.py").write_text(
        "import numpy as np\n\ndef logs(df):\n    df = df.copy()\n"
        "    df['income'] = np.log1p(df['income'])\n    return df\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    rng = np.random.default_rng(3)
    n = 1500
    frame = pd.DataFrame({"income": rng.lognormal(8, 0.5, n), "age": rng.integers(20, 70, n)})
    frame["bad"] = np.where(rng.random(n) < 1 / (1 + np.exp(frame["age"] / 20 - 2)), "yes", "no")
    train = frame.iloc[:500].copy()
    train["income"] = np.log1p(train["income"])
    model = make_pipeline(SimpleImputer(), LogisticRegression()).fit(train[["income", "age"]],
                                                                     train["bad"])
    joblib.dump(model, tmp_path / "model.joblib")
    monitor = driftscope.Monitor(reference=frame.iloc[500:1000],
                                 model=str(tmp_path / "model.joblib"),
                                 feature_engineering="logs_fe:logs", target="bad",
                                 positive_class="yes", progress=False)
    assert monitor.baseline.settings["rewritten_columns"] == ["income"]
    result = monitor.run(frame.iloc[1000:])
    assert result.contract is not None
    assert not [c for c in result.contract.checks if c.column == "income" and
                c.status.value != "NORMAL"]
    assert not [c for c in result.contract.checks
                if c.column == "income" and c.kind == "out_of_range"]  # no range to judge by
    assert [c for c in result.contract.checks if c.column == "age"]  # the others still are
