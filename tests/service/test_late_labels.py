"""``POST /v1/labels``: late labels stored, then attached to the recorded round by row id,
whose realized performance is recomputed (checked against scikit-learn)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from tests.service.conftest import AUTH, BODIES, TOKEN, TYPES, rows

pytestmark = pytest.mark.slow  # a baseline and rounds with predictions


def _with_predictions(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = np.clip(0.3 + 0.4 * (frame["status"] == "bad") + rng.normal(0, 0.2, len(frame)), 0, 1)
    frame["proba"] = p.round(4)
    frame["pred"] = np.where(frame["proba"] > 0.5, "bad", "good")
    return frame


CONFIG = ("target: status\ntimestamp_column: ts\nproba_column: proba\nprediction_column: "
          "pred\npositive_class: bad\nid_column: rid\nplots: none\nhtml: false\n"
          "progress: never\n")


@pytest.fixture
def client(tmp_path: Path) -> Any:
    from driftscope.cli import main
    from driftscope.config.loader import load_config
    from driftscope.service.app import create_app
    from driftscope.service.command import build_service

    _with_predictions(rows(2000, seed=1), 1).to_parquet(tmp_path / "ref.parquet", index=False)
    assert main(["baseline", "--reference", str(tmp_path / "ref.parquet"), "--target", "status",
                 "--timestamp-column", "ts", "--proba-column", "proba", "--prediction-column",
                 "pred", "--positive-class", "bad", "--out", str(tmp_path / "bl"),
                 "--no-progress"]) == 0
    (tmp_path / "m.yaml").write_text(CONFIG, encoding="utf-8")
    cfg = load_config(tmp_path / "m.yaml", {"baseline": str(tmp_path / "bl")})
    svc = build_service(cfg, str(tmp_path / "bl"), tmp_path / "store", TOKEN)
    yield TestClient(create_app(svc), base_url="http://127.0.0.1")
    svc.close()


def test_late_labels_attach_to_the_round_and_its_performance_is_recomputed(
        client: Any, tmp_path: Path) -> None:
    from sklearn.metrics import accuracy_score, roc_auc_score

    current = _with_predictions(rows(500, seed=7), 7)
    current["rid"] = [f"r{i}" for i in range(500)]
    sent = current.drop(columns=["status"])  # the label comes later
    assert client.post("/v1/records", content=BODIES["json"](sent),
                       headers={**AUTH, "Content-Type": TYPES["json"]}).status_code == 201
    round_ = client.post("/v1/rounds", headers=AUTH).json()
    assert not (round_["performance"] or {}).get("labelled_rows")  # no label yet
    labels = current[["rid", "status"]].iloc[:300]
    head = {**AUTH, "Content-Type": TYPES["csv"], "Idempotency-Key": "labels-1"}
    answer = client.post("/v1/labels", content=BODIES["csv"](labels), headers=head)
    assert answer.status_code == 201
    attached = answer.json()["attached"]
    assert (attached["matched"], attached["unmatched"]) == (300, 0)
    assert attached["rounds"][0]["run_id"] == round_["run"]["id"]
    # stored durably before attaching: one Parquet file, once under its key
    assert client.post("/v1/labels", content=BODIES["csv"](labels), headers=head
                       ).json()["duplicate"] is True
    files = list((tmp_path / "store" / "labels").glob("*.parquet"))
    assert len(files) == 1 and pq.read_table(files[0]).num_rows == 300

    report = client.get(f"/v1/runs/{round_['run']['id']}", headers=AUTH).json()
    perf = report["performance"]
    assert perf["labelled_rows"] == 300
    lab = current.iloc[:300]
    assert perf["metrics"]["accuracy"]["current"] == pytest.approx(
        accuracy_score(lab["status"], lab["pred"]))
    assert perf["metrics"]["roc_auc"]["current"] == pytest.approx(
        roc_auc_score(lab["status"] == "bad", lab["proba"]))
    # the latest round's gauges show the recomputed performance, the round counted once
    shown = _gauges(client)
    assert shown['driftscope_performance_realized{metric="accuracy"}'] == pytest.approx(
        accuracy_score(lab["status"], lab["pred"]))
    assert sum(v for k, v in shown.items() if k.startswith("driftscope_rounds_total")) == 1


def _gauges(client: Any) -> dict[str, float]:
    """The /metrics samples as {'name{labels}': value}."""
    text = client.get("/metrics", headers=AUTH).text
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


def test_a_labels_batch_with_other_columns_or_missing_ids_is_refused(client: Any) -> None:
    head = {**AUTH, "Content-Type": TYPES["json"]}
    extra = client.post("/v1/labels", headers=head,
                        content=b'[{"rid": "a", "status": "bad", "age": 3}]')
    assert extra.status_code == 422 and extra.json()["column"] == "age"
    no_id = client.post("/v1/labels", headers=head,
                        content=b'[{"rid": "a", "status": "bad"}, {"rid": null, '
                                b'"status": "good"}]')
    assert no_id.status_code == 422 and (no_id.json()["row"], no_id.json()["column"]) == (
        1, "rid")


def test_labels_that_arrive_before_the_round_attach_once_it_is_recorded(client: Any) -> None:
    current = _with_predictions(rows(400, seed=9), 9)
    current["rid"] = range(400)
    assert client.post("/v1/records", content=BODIES["parquet"](current.drop(
        columns=["status"])), headers={**AUTH, "Content-Type": TYPES["parquet"]}
    ).status_code == 201
    early = client.post("/v1/labels", content=BODIES["json"](current[["rid", "status"]]),
                        headers={**AUTH, "Content-Type": TYPES["json"]}).json()
    assert (early["attached"]["matched"], early["attached"]["unmatched"]) == (0, 400)
    run_id = client.post("/v1/rounds", headers=AUTH).json()["run"]["id"]
    perf = client.get(f"/v1/runs/{run_id}", headers=AUTH).json()["performance"]
    assert perf["labelled_rows"] == 400
    assert perf["metrics"]["accuracy"]["current"] == pytest.approx(
        (current["status"] == current["pred"]).mean())
    assert _gauges(client)['driftscope_performance_realized{metric="accuracy"}'] == \
        pytest.approx((current["status"] == current["pred"]).mean())
    # a later round does not attach them again to anything new
    more = _with_predictions(rows(100, seed=10), 10)
    more["rid"] = range(1000, 1100)
    client.post("/v1/records", content=BODIES["json"](more.drop(columns=["status"])),
                headers={**AUTH, "Content-Type": TYPES["json"]})
    second = client.post("/v1/rounds", headers=AUTH).json()["run"]["id"]
    later = client.get(f"/v1/runs/{second}", headers=AUTH).json()["performance"]
    assert not (later or {}).get("labelled_rows")


def test_labels_in_another_coding_are_refused_with_422_and_not_stored(
        client: Any, tmp_path: Path) -> None:
    current = _with_predictions(rows(300, seed=11), 11)
    current["rid"] = range(300)
    head = {**AUTH, "Content-Type": TYPES["json"]}
    assert client.post("/v1/records", content=BODIES["json"](current.drop(
        columns=["status"])), headers=head).status_code == 201
    run_id = client.post("/v1/rounds", headers=AUTH).json()["run"]["id"]
    labels = current[["rid", "status"]].iloc[:50]
    upper = labels.assign(status=labels["status"].str.upper())
    refused = client.post("/v1/labels", content=BODIES["json"](upper), headers=head)
    assert refused.status_code == 422
    body = refused.json()
    assert body["error"] == "schema" and body["column"] == "status"
    assert "is not a class of the model ('bad', 'good')" in body["detail"]
    assert not list((tmp_path / "store" / "labels").glob("*.parquet"))  # nothing stored
    perf = client.get(f"/v1/runs/{run_id}", headers=AUTH).json()["performance"]
    assert not (perf or {}).get("labelled_rows")  # nothing attached
    assert client.post("/v1/labels", content=BODIES["json"](labels),
                       headers=head).status_code == 201  # the same labels, coded as the round
    perf = client.get(f"/v1/runs/{run_id}", headers=AUTH).json()["performance"]
    assert perf["labelled_rows"] == 50


def test_stored_labels_in_another_coding_are_left_out_when_their_round_comes(
        client: Any, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    current = _with_predictions(rows(200, seed=12), 12)
    current["rid"] = range(200)
    head = {**AUTH, "Content-Type": TYPES["json"]}
    labels = current[["rid", "status"]].copy()
    labels.loc[:9, "status"] = "BAD"  # no round to check them against yet: stored
    assert client.post("/v1/labels", content=BODIES["json"](labels),
                       headers=head).status_code == 201
    assert client.post("/v1/records", content=BODIES["json"](current.drop(
        columns=["status"])), headers=head).status_code == 201
    with caplog.at_level(logging.WARNING, logger="driftscope.service"):
        run_id = client.post("/v1/rounds", headers=AUTH).json()["run"]["id"]
    perf = client.get(f"/v1/runs/{run_id}", headers=AUTH).json()["performance"]
    assert perf["labelled_rows"] == 190  # the others attached, the 10 left out
    assert any("stored labels left out: the label 'BAD' (10 row(s))" in r.getMessage()
               for r in caplog.records)
