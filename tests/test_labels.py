"""Late labels: a round run with ``id_column`` keeps its rows' ids; labels that arrive later
are joined to them, mapped as the round mapped its target, and the round's realized
performance is recomputed with the round's own code (``driftscope labels``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn import metrics as skm

import driftscope
from driftscope.cli import main
from driftscope.errors import InputError
from driftscope.labels import attach_labels
from driftscope.store import HistoryStore, row_log
from tests.store.fixtures import pg_schema, pg_url, url

__all__ = ["pg_schema", "pg_url", "url"]  # fixtures: SQLite, and PostgreSQL when marked


def _side(n: int, seed: int, first_id: int, flip: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, n)
    p = 1 / (1 + np.exp(-2 * x))
    bad = rng.random(n) < p
    if flip:  # concept drift: the same inputs and scores, the opposite outcome
        bad = ~bad
    return pd.DataFrame({"ID": np.arange(first_id, first_id + n), "x": x,
                         "home": rng.choice(["rent", "own"], n), "proba": p,
                         "pred": np.where(p > 0.5, "bad", "good"),
                         "Status": np.where(bad, "bad", "good")})


SETTINGS = {"target": "Status", "proba_column": "proba", "prediction_column": "pred",
            "positive_class": "bad", "progress": False}


@pytest.fixture
def data(tmp_path: Path) -> dict[str, Path]:
    ref = _side(1500, 0, 0)
    cur = _side(800, 1, 100_000)
    paths = {"ref": tmp_path / "ref.csv", "cur": tmp_path / "cur.csv",
             "unlabelled": tmp_path / "unlabelled.csv", "labels": tmp_path / "labels.csv"}
    ref.to_csv(paths["ref"], index=False)
    cur.to_csv(paths["cur"], index=False)
    cur.drop(columns="Status").to_csv(paths["unlabelled"], index=False)
    cur[["ID", "Status"]].to_csv(paths["labels"], index=False)
    return paths


def _labels(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False)


def test_late_labels_give_the_performance_of_a_round_run_with_the_labels(
        data: dict[str, Path], tmp_path: Path) -> None:
    labelled = driftscope.run(data["ref"], data["cur"], **SETTINGS)
    late = driftscope.run(data["ref"], data["unlabelled"], id_column="ID", **SETTINGS)
    assert late.performance is None or all(m.current is None
                                           for m in late.performance.metrics.values())
    assert "ID" not in [f.name for f in late.features]  # ids are kept, never monitored
    with HistoryStore(tmp_path / "h.db") as store:
        store.record(late)
        report = attach_labels(store, _labels(pd.read_csv(data["labels"])),
                               id_column="ID", label_column="Status")
        stored = store.load(late.run.id)
        series = store.performance_series("accuracy")
    assert (report.matched, report.unmatched, report.rounds_updated) == (800, 0, 1)
    assert report.rounds[0].coverage == 1.0 and report.rounds[0].newly_labelled == 800
    assert stored.performance is not None and labelled.performance is not None
    assert stored.performance.labelled_rows == 800
    for name, metric in labelled.performance.metrics.items():
        assert stored.performance.metrics[name].current == pytest.approx(metric.current)
        assert stored.performance.metrics[name].status == metric.status
    cur = pd.read_csv(data["cur"])
    truth = cur["Status"] == "bad"
    assert stored.performance.metrics["roc_auc"].current == pytest.approx(
        skm.roc_auc_score(truth, cur["proba"]))
    assert stored.performance.metrics["accuracy"].current == pytest.approx(
        skm.accuracy_score(truth, cur["pred"] == "bad"))
    assert [p.current for p in series] == [pytest.approx(skm.accuracy_score(
        truth, cur["pred"] == "bad"))]  # the performance rows were rewritten too
    assert any(f.message.startswith("late labels: 800 of 800") for f in stored.findings)
    # what the round said of its missing labels is no longer true
    assert any(f.message.startswith("the current data has no labels") for f in late.findings)
    assert not any(f.message.startswith("the current data has no labels")
                   for f in stored.findings)


def test_partial_labels_report_coverage_and_unmatched_ids(
        data: dict[str, Path], tmp_path: Path) -> None:
    late = driftscope.run(data["ref"], data["unlabelled"], id_column="ID", **SETTINGS)
    labels = pd.read_csv(data["labels"])
    extra = pd.DataFrame({"ID": [-1, -2, None], "Status": ["bad", "good", "bad"]})
    first = pd.concat([labels.iloc[:200], extra])
    with HistoryStore(tmp_path / "h.db") as store:
        store.record(late)
        report = attach_labels(store, _labels(first), id_column="ID", label_column="Status")
        assert (report.labels, report.matched, report.unmatched, report.without_id) == \
            (202, 200, 2, 1)
        assert report.rounds[0].coverage == pytest.approx(0.25)
        assert store.load(late.run.id).performance.labelled_rows == 200  # type: ignore[union-attr]
        report = attach_labels(store, _labels(labels.iloc[150:]), id_column="ID",
                               label_column="Status")
        assert (report.rounds[0].newly_labelled, report.rounds[0].labelled) == (650, 800)
        assert row_log.coverage(store) == {late.run.id: (800, 800)}
        findings = [f.message for f in store.load(late.run.id).findings
                    if f.message.startswith("late labels:")]
    assert len(findings) == 1 and findings[0].startswith("late labels: 800 of 800")


def test_labels_are_mapped_as_the_round_maps_its_target(tmp_path: Path) -> None:
    # the serving system logs the model's classes (1/0), the labels arrive as bad/good
    ref, cur = _side(1500, 0, 0), _side(800, 1, 5_000)
    for frame in (ref, cur):
        frame["pred"] = np.where(frame["pred"] == "bad", 1, 0)
    settings = {**SETTINGS, "labels": {"bad": 1, "good": 0}}
    labelled = driftscope.run(ref, cur, **settings)
    late = driftscope.run(ref, cur.drop(columns="Status"), id_column="ID", **settings)
    with HistoryStore(tmp_path / "h.db") as store:
        store.record(late)
        attach_labels(store, _labels(cur[["ID", "Status"]]), id_column="ID",
                      label_column="Status")
        stored = store.load(late.run.id).performance
    assert stored is not None and labelled.performance is not None
    assert stored.metrics["accuracy"].current == pytest.approx(
        labelled.performance.metrics["accuracy"].current)
    assert stored.metrics["accuracy"].current == pytest.approx(
        skm.accuracy_score(cur["Status"] == "bad", cur["pred"] == 1))


def test_labels_revealing_a_performance_drop_raise_the_round(tmp_path: Path) -> None:
    ref, cur = _side(1500, 0, 0), _side(800, 0, 9_000, flip=True)  # same inputs, flipped truth
    late = driftscope.run(ref, cur.drop(columns="Status"), id_column="ID",
                          **{**SETTINGS, "significance_guard": True})
    with HistoryStore(tmp_path / "h.db") as store:
        store.record(late)
        report = attach_labels(store, _labels(cur[["ID", "Status"]]), id_column="ID",
                               label_column="Status")
        stored = store.load(late.run.id)
        summary = store.runs()[0]
    assert report.rounds[0].performance_status == "CRITICAL"
    assert stored.performance is not None and stored.performance.status.value == "CRITICAL"
    assert stored.status.value == "CRITICAL" and summary.status.value == "CRITICAL"
    assert summary.performance_status is not None
    assert summary.performance_status.value == "CRITICAL"
    assert "performance CRITICAL on late labels" in stored.reason
    # the advice follows the status (it said "Nothing to do" before the labels came)
    assert late.recommendation.startswith("Nothing to do")
    assert stored.recommendation.startswith(
        "Performance fell well below the model's performance on the reference data")
    assert summary.recommendation == stored.recommendation  # the history's row too


def test_without_id_column_no_round_keeps_ids(data: dict[str, Path], tmp_path: Path) -> None:
    plain = driftscope.run(data["ref"], data["unlabelled"], **SETTINGS)
    with HistoryStore(tmp_path / "h.db") as store:
        store.record(plain)
        report = attach_labels(store, _labels(pd.read_csv(data["labels"])), id_column="ID",
                               label_column="Status")
    assert (report.matched, report.unmatched, report.rounds) == (0, 800, ())


def test_a_missing_id_column_is_bad_input(data: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(InputError, match="id_column 'REF' is not a column"):
        driftscope.run(data["ref"], data["unlabelled"], id_column="REF", **SETTINGS)
    with HistoryStore(tmp_path / "h.db") as store:
        with pytest.raises(InputError, match="no label column 'label'"):
            attach_labels(store, _labels(pd.read_csv(data["labels"])), id_column="ID",
                          label_column="label")


@pytest.mark.slow
def test_driftscope_labels_command(data: dict[str, Path], tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    run = ["run", "--reference", str(data["ref"]), "--current", str(data["unlabelled"]),
           "--target", "Status", "--proba-column", "proba", "--prediction-column", "pred",
           "--positive-class", "bad", "--out", str(out), "--no-html", "--plots", "none",
           "--quiet"]
    assert main([*run, "--id-column", "ID"]) == 0
    history = str(out / "driftscope_history.db")
    parquet = tmp_path / "labels.parquet"
    pd.read_csv(data["labels"]).iloc[:400].to_parquet(parquet)
    capsys.readouterr()
    # the label column defaults to the rounds' target
    assert main(["labels", "--file", str(parquet), "--id-column", "ID",
                 "--history", history]) == 0
    shown = capsys.readouterr().out
    assert "400 labelled id(s)" in shown and "400 matched a recorded row, 0 unmatched" in shown
    assert "400/800 rows (50.0%)" in shown
    assert main(["labels", "--file", str(data["labels"]), "--id-column", "ID",
                 "--history", history, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["rounds"][0]["coverage"] == 1.0 and doc["rounds"][0]["newly_labelled"] == 800
    assert main(["history", "--history", history, "--format", "json"]) == 0
    (shown_run,) = json.loads(capsys.readouterr().out)
    assert shown_run["label_coverage"] == {"labelled": 800, "rows": 800, "share": 1.0}
    for args, message in (
            (["--file", str(tmp_path / "none.csv"), "--id-column", "ID"], "no such file"),
            (["--file", str(parquet), "--id-column", "KEY"], "no id column 'KEY'"),
            (["--file", str(parquet), "--id-column", "ID", "--label-column", "y"],
             "no label column 'y'")):
        assert main(["labels", *args, "--history", history]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
    # --id-column has an effect: a round run without it keeps no ids
    assert main([*run, "--out", str(tmp_path / "plain")]) == 0
    with HistoryStore(tmp_path / "plain" / "driftscope_history.db") as store:
        assert row_log.coverage(store) == {}


def test_late_labels_on_sqlite_and_postgresql(data: dict[str, Path], url: str) -> None:
    late = driftscope.run(data["ref"], data["unlabelled"], id_column="ID", **SETTINGS)
    with HistoryStore(url) as store:
        store.record(late)
        report = attach_labels(store, _labels(pd.read_csv(data["labels"]).iloc[:100]),
                               id_column="ID", label_column="Status")
        assert report.rounds[0].labelled == 100
        assert store.load(late.run.id).performance.labelled_rows == 100  # type: ignore[union-attr]
        assert row_log.coverage(store) == {late.run.id: (100, 800)}


def test_labels_in_another_coding_are_refused_whole_and_nothing_is_attached(
        data: dict[str, Path], tmp_path: Path) -> None:
    # logged predictions bad/good (no list of classes): "BAD"/"GOOD" are none of them
    late = driftscope.run(data["ref"], data["unlabelled"], id_column="ID", **SETTINGS)
    labels = pd.read_csv(data["labels"])
    shouting = labels.assign(Status=labels["Status"].str.upper())
    with HistoryStore(tmp_path / "h.db") as store:
        store.record(late)
        with pytest.raises(InputError, match=r"the label '(BAD|GOOD)' is not a class of the model "
                           r"\('bad', 'good'\); recode .* nothing was attached"):
            attach_labels(store, _labels(shouting), id_column="ID", label_column="Status")
        assert row_log.coverage(store) == {late.run.id: (0, 800)}  # rolled back
        # one bad label among good ones refuses the file too ...
        typo = labels.iloc[:100].assign(Status=["bad"] * 99 + ["baad"])
        with pytest.raises(InputError, match="'baad'"):
            attach_labels(store, _labels(typo), id_column="ID", label_column="Status")
        assert row_log.coverage(store) == {late.run.id: (0, 800)}
        # ... while foreign="skip" attaches the rest and says what it left out
        report = attach_labels(store, _labels(typo), id_column="ID", label_column="Status",
                               foreign="skip")
        assert report.rounds[0].newly_labelled == 99 and report.rounds[0].labelled == 99
        assert len(report.foreign) == 1 and "'baad' (1 row(s))" in report.foreign[0]
        assert report.to_dict()["foreign"] == list(report.foreign)


def test_labels_already_in_the_models_coding_are_taken_and_others_refused(
        tmp_path: Path) -> None:
    # the round mapped bad/good to the model's 1/0: labels may come as bad/good or as 1/0
    ref, cur = _side(1500, 0, 0), _side(800, 1, 5_000)
    for frame in (ref, cur):
        frame["pred"] = np.where(frame["pred"] == "bad", 1, 0)
    settings = {**SETTINGS, "labels": {"bad": 1, "good": 0}}
    late = driftscope.run(ref, cur.drop(columns="Status"), id_column="ID", **settings)
    coded = cur[["ID", "Status"]].assign(Status=(cur["Status"] == "bad").astype(int))
    with HistoryStore(tmp_path / "h.db") as store:
        store.record(late)
        with pytest.raises(InputError, match=r"'maybe' is not a class of the model \('0', "
                           r"'1'\) nor a label its target mapped to one \('bad', 'good'\)"):
            attach_labels(store, _labels(cur[["ID", "Status"]].assign(Status="maybe")),
                          id_column="ID", label_column="Status")
        attach_labels(store, _labels(coded), id_column="ID", label_column="Status")
        stored = store.load(late.run.id).performance
    assert stored is not None and stored.labelled_rows == 800
    assert stored.metrics["accuracy"].current == pytest.approx(
        skm.accuracy_score(cur["Status"] == "bad", cur["pred"] == 1))


def test_known_classes_judges_only_when_the_classes_are_known() -> None:
    from driftscope.labels import known_classes

    assert known_classes({"classes": ["a", "b", "c"]}) == ["a", "b", "c"]
    assert known_classes({"labels": {"bad": "1", "good": "0"}}) == ["0", "1"]
    assert known_classes({"positive_class": "bad", "predicted_classes": ["good"]}) == \
        ["bad", "good"]
    # logged predictions of more than two classes, or one class alone: not judged
    assert known_classes({"predicted_classes": ["a", "b", "c"]}) == []
    assert known_classes({"positive_class": "1"}) == []


@pytest.mark.slow
def test_driftscope_labels_refuses_labels_in_another_coding(
        data: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["run", "--reference", str(data["ref"]), "--current", str(data["unlabelled"]),
                 "--target", "Status", "--proba-column", "proba", "--prediction-column",
                 "pred", "--positive-class", "bad", "--out", str(out), "--no-html", "--plots",
                 "none", "--quiet", "--id-column", "ID"]) == 0
    labels = pd.read_csv(data["labels"])
    upper = tmp_path / "upper.csv"
    labels.assign(Status=labels["Status"].str.upper()).to_csv(upper, index=False)
    capsys.readouterr()
    assert main(["labels", "--file", str(upper), "--id-column", "ID", "--history",
                 str(out / "driftscope_history.db")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not a class of the model ('bad', 'good')" in err[0]
    with HistoryStore(out / "driftscope_history.db") as store:
        assert list(row_log.coverage(store).values()) == [(0, 800)]
