"""Tests of the production simulator: each scenario moves exactly the columns it documents."""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from driftscope.demo.features import engineer
from driftscope.demo.model import evaluate
from driftscope.demo.population import COLUMNS, REFERENCE_END, TARGET
from driftscope.demo.simulate import SCENARIOS, Scenario, batch_period, main, simulate
from driftscope.demo.train import DemoArtifacts
from driftscope.errors import ConfigError

ROWS = 5000
SEED = 7
INPUTS = tuple(c for c in COLUMNS if c not in ("application_date", TARGET))
REQUIRED = ("stable", "gradual", "sudden", "new_category", "missing_spike", "concept", "demo")

# A moved column differs from the reference beyond any doubt; an unmoved one shows no
# evidence at all. Between the two thresholds lies a wide no-man's land, so the verdicts
# are robust to the seed.
MOVED_P = 1e-8
UNMOVED_P = 1e-3


def _batch(name: str, **kwargs: object) -> pd.DataFrame:
    if name == "gradual":  # the last batch carries the full shift
        kwargs = {"batch": 3, "n_batches": 4, **kwargs}
    return simulate(name, ROWS, SEED, **kwargs)  # type: ignore[arg-type]


def _p_value(reference: pd.Series, current: pd.Series) -> float:
    """Smallest p-value of a distribution test on present values and a missing-share test."""
    p_values = []
    missing = np.array(
        [
            [reference.isna().sum(), reference.notna().sum()],
            [current.isna().sum(), current.notna().sum()],
        ]
    )
    if missing[:, 0].sum() > 0:
        p_values.append(stats.chi2_contingency(missing, correction=False).pvalue)
    ref, cur = reference.dropna(), current.dropna()
    if pd.api.types.is_numeric_dtype(reference):
        p_values.append(stats.ks_2samp(ref, cur).pvalue)
    else:
        categories = sorted(set(ref) | set(cur))
        table = np.array(
            [[np.sum(ref == c) for c in categories], [np.sum(cur == c) for c in categories]]
        )
        p_values.append(stats.chi2_contingency(table, correction=False).pvalue)
    return float(min(p_values))


def test_registry() -> None:
    assert set(REQUIRED) <= set(SCENARIOS)
    for name, scenario in SCENARIOS.items():
        assert isinstance(scenario, Scenario)
        assert scenario.name == name
        assert len(scenario.description) > 80
        assert set(scenario.moves) <= set(INPUTS), name
        assert len(set(scenario.moves)) == len(scenario.moves)
    assert SCENARIOS["stable"].moves == () and SCENARIOS["concept"].moves == ()
    assert set(SCENARIOS["sudden"].moves) == {"income", "loan_amount"}
    assert SCENARIOS["new_category"].moves == ("credit_purpose",)
    assert SCENARIOS["missing_spike"].moves == ("bureau_score",)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_moves_exactly_the_documented_columns(name: str, reference: pd.DataFrame) -> None:
    current = _batch(name)
    moved = set(SCENARIOS[name].moves)
    verdicts = {column: _p_value(reference[column], current[column]) for column in INPUTS}
    for column, p in verdicts.items():
        if column in moved:
            assert p < MOVED_P, f"{name}: {column} should move (p={p:.2g})"
        else:
            assert p > UNMOVED_P, f"{name}: {column} should stay (p={p:.2g})"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_unmoved_columns_identical_to_stable(name: str) -> None:
    """With one seed, scenarios share the applicants: unmoved inputs are the very same."""
    stable = simulate("stable", 1000, SEED, labels=False)
    current = simulate(name, 1000, SEED, labels=False)
    untouched = [c for c in current.columns if c not in SCENARIOS[name].moves]
    pd.testing.assert_frame_equal(current[untouched], stable[untouched])


def test_new_category() -> None:
    current = _batch("new_category")
    share = (current["credit_purpose"] == "crypto").mean()
    assert 0.08 < share < 0.12
    assert current["credit_purpose"].notna().all()


def test_missing_spike(reference: pd.DataFrame) -> None:
    current = _batch("missing_spike")
    assert reference["bureau_score"].isna().mean() < 0.12
    assert 0.35 < current["bureau_score"].isna().mean() < 0.45
    # the feed breaks, the applicants do not: the default rate is unchanged
    stable = _batch("stable")
    assert (current[TARGET] == stable[TARGET]).all()


def test_sudden_direction(reference: pd.DataFrame) -> None:
    current = _batch("sudden")
    assert current["income"].median() < 0.75 * reference["income"].median()
    assert current["loan_amount"].median() > 1.6 * reference["loan_amount"].median()
    assert (current[TARGET] == "bad").mean() > (reference[TARGET] == "bad").mean() + 0.05


def test_gradual_grows_with_batch(reference: pd.DataFrame) -> None:
    medians = [
        simulate("gradual", 3000, SEED, batch=k, n_batches=4)["income"].median() for k in range(4)
    ]
    rates = [
        simulate("gradual", 3000, SEED, batch=k, n_batches=4)["interest_rate"].mean()
        for k in range(4)
    ]
    assert medians == sorted(medians) and medians[-1] > 1.2 * reference["income"].median()
    assert rates == sorted(rates) and rates[-1] > reference["interest_rate"].mean() + 1.0


@pytest.mark.slow  # the trained fixture: 5-fold CV and a fit on 20,000 rows
def test_concept_drops_performance_with_stable_inputs(trained: DemoArtifacts) -> None:
    model = joblib.load(trained.model)
    stable = simulate("stable", ROWS, SEED)
    concept = simulate("concept", ROWS, SEED)
    pd.testing.assert_frame_equal(concept.drop(columns=[TARGET]), stable.drop(columns=[TARGET]))
    auc_stable = evaluate(model, engineer(stable))["roc_auc"]
    auc_concept = evaluate(model, engineer(concept))["roc_auc"]
    assert auc_stable > trained.baseline["roc_auc"] - 0.04
    assert auc_concept < auc_stable - 0.1


def test_demo_scenario_levels(reference: pd.DataFrame) -> None:
    """Stable, mild and strong drift at once (PSI on reference deciles, as in SPEC.md)."""

    def psi(column: str) -> float:
        ref = reference[column].dropna().to_numpy(dtype=float)
        cur = current[column].dropna().to_numpy(dtype=float)
        edges = np.unique(np.quantile(ref, np.arange(1, 10) / 10))
        r = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1)
        c = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=len(edges) + 1)
        rs, cs = np.maximum(r / r.sum(), 1e-4), np.maximum(c / c.sum(), 1e-4)
        return float(np.sum((cs - rs) * np.log(cs / rs)))

    current = _batch("demo")
    assert psi("income") > 0.25 and psi("loan_amount") > 0.25
    assert 0.1 < psi("interest_rate") < 0.25
    assert psi("age") < 0.05 and psi("debt") < 0.05
    assert 0.05 < (current["credit_purpose"] == "crypto").mean() < 0.11
    assert current["bureau_score"].isna().mean() > 0.3


def test_timestamps_follow_the_reference(reference: pd.DataFrame) -> None:
    previous_end = reference["application_date"].max()
    for k in range(3):
        batch = simulate("stable", 200, SEED, batch=k, n_batches=3)
        start, end = batch_period(k)
        dates = batch["application_date"]
        assert dates.is_monotonic_increasing
        assert dates.min() >= start and dates.max() < end
        assert dates.min() > previous_end
        previous_end = dates.max()
    assert batch_period(0)[0] == REFERENCE_END


def test_labels_can_be_withheld() -> None:
    labelled = simulate("demo", 300, SEED)
    unlabelled = simulate("demo", 300, SEED, labels=False)
    assert TARGET in labelled.columns and TARGET not in unlabelled.columns
    pd.testing.assert_frame_equal(unlabelled, labelled.drop(columns=[TARGET]))


def test_deterministic_and_independent_of_reference(reference: pd.DataFrame) -> None:
    a = simulate("demo", 500, 42)
    pd.testing.assert_frame_equal(a, simulate("demo", 500, 42))
    assert not a["income"].equals(simulate("demo", 500, 43)["income"])
    stable = simulate("stable", 500, 42)  # the reference's own seed
    assert not np.array_equal(stable["age"].to_numpy(), reference["age"].head(500).to_numpy())
    assert not simulate("stable", 500, 42, batch=1, n_batches=2)["age"].equals(stable["age"])


def test_unknown_scenario_lists_the_valid_names() -> None:
    with pytest.raises(ConfigError) as info:
        simulate("tsunami", 10, 0)
    message = str(info.value)
    assert "tsunami" in message
    for name in SCENARIOS:
        assert name in message


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rows": 0},
        {"rows": 2.5},
        {"seed": -1},
        {"batch": -1},
        {"batch": 2, "n_batches": 2},
        {"n_batches": 0},
        {"rows": True},
    ],
)
def test_invalid_numbers(kwargs: dict[str, object]) -> None:
    arguments: dict[str, object] = {"scenario": "stable", "rows": 10, "seed": 0, **kwargs}
    with pytest.raises(ConfigError):
        simulate(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_main_writes_file(tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"batch{suffix}"
    argv = [
        "--scenario",
        "sudden",
        "--rows",
        "400",
        "--seed",
        "5",
        "--out",
        str(out),
        "--batch",
        "1",
        "--n-batches",
        "3",
    ]
    assert main(argv) == 0
    expected = simulate("sudden", 400, 5, batch=1, n_batches=3)
    if suffix == ".parquet":
        written = pd.read_parquet(out)
        pd.testing.assert_frame_equal(written, expected, check_dtype=False)
    else:
        written = pd.read_csv(out, parse_dates=["application_date"])
        assert list(written.columns) == list(expected.columns)
        np.testing.assert_allclose(written["income"], expected["income"], equal_nan=True)
        assert (written["application_date"] == expected["application_date"]).all()
    assert "400 rows" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temp file left


def test_main_without_labels(tmp_path: Path) -> None:
    out = tmp_path / "batch.parquet"
    assert main(["--scenario", "stable", "--rows", "50", "--out", str(out), "--no-labels"]) == 0
    assert TARGET not in pd.read_parquet(out).columns


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--scenario", "nope", "--out", "x.csv"], "valid scenarios"),
        (["--out", "batch.xlsx"], r"\.parquet"),
        (["--rows", "ten", "--out", "x.csv"], "rows"),
        (["--rows", "0", "--out", "x.csv"], "rows"),
        (["--batch", "3", "--n-batches", "2", "--out", "x.csv"], "batch"),
        (["--bogus"], "unrecognized"),
        ([], "--out"),
    ],
)
def test_main_bad_arguments(tmp_path: Path, argv: list[str], match: str) -> None:
    argv = [a if not a.startswith("x.") else str(tmp_path / a) for a in argv]
    with pytest.raises(ConfigError, match=match):
        main(argv)
    assert not any(tmp_path.iterdir())


def test_main_failure_keeps_previous_file(tmp_path: Path) -> None:
    out = tmp_path / "batch.csv"
    out.write_text("previous\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        main(["--scenario", "nope", "--out", str(out)])
    assert out.read_text(encoding="utf-8") == "previous\n"


def test_main_list_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list"]) == 0
    listing = capsys.readouterr().out
    for name in SCENARIOS:
        assert f"{name}: moves" in listing
    assert main(["--help"]) == 0
    assert "--scenario" in capsys.readouterr().out
