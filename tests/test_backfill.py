"""A backfill from Python, the chunk folder names, and the chunk list of the HTML report
(the command line is tested in tests/test_cli.py)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from driftscope.backfill import chunk_folder, plan_backfill, run_backfill
from driftscope.errors import InputError
from driftscope.outputs.html import render_html
from driftscope.outputs.json_report import read_json, validate_report
from driftscope.result import Backfill, ChunkEntry, Severity
from tests.factories import make_result


@pytest.mark.parametrize(("label", "folder"), [
    ("2026-W05", "2026-W05"),
    ("2026-W05..2026-W06", "2026-W05..2026-W06"),
    ("rows 0-199", "rows-0-199"),
    ("..", "chunk-.."),
    ("../../etc", "chunk-..-..-etc"),
    ("/", "chunk"),
])
def test_chunk_folders_are_plain_names_inside_chunks(label: str, folder: str) -> None:
    assert chunk_folder(label) == folder
    assert "/" not in folder and not folder.startswith(".")


def test_a_backfill_from_python(tmp_path: Path) -> None:
    import driftscope
    from driftscope.config import MonitoringConfig
    from driftscope.engine.build import build_baseline

    rng = np.random.default_rng(2)
    reference = pd.DataFrame({"x": rng.normal(size=500)})
    current = pa.table({"x": np.r_[rng.normal(size=300), rng.normal(2.0, size=300),
                                   rng.normal(size=40)],
                        "day": ["2026-03-02"] * 300 + ["2026-03-09"] * 300 + ["2026-03-16"] * 40})
    cfg = MonitoringConfig(timestamp_column="day", plots="none", progress="never")
    plan = plan_backfill(current, "week", "day", None, "batch")
    assert [(c.label, c.table.num_rows) for c in plan.chunks] == [
        ("2026-W10", 300), ("2026-W11..2026-W12", 340)]
    seen = []
    with driftscope.HistoryStore(tmp_path / "h.db") as store:
        monitor = driftscope.Monitor(cfg, baseline=build_baseline(reference, cfg))
        done = run_backfill(plan, monitor, tmp_path / "out", source="batch", history=store,
                            on_chunk=lambda r, n: seen.append((r.index, n)))
        assert store.run_ids() == [r.result.run.id for r in done.rounds]
    assert seen == [(1, 2), (2, 2)]
    assert done.status is Severity.CRITICAL and done.worst.chunk.label == "2026-W11..2026-W12"
    assert done.top.result.backfill is not None
    assert done.top.json == tmp_path / "out" / "drift_report.json"
    for r in done.rounds:
        assert r.written.folder == tmp_path / "out" / "chunks" / chunk_folder(r.chunk.label)
        assert read_json(r.written.json).run.id == r.result.run.id
    with pytest.raises(InputError, match="batch: no row has a time in column 'day'"):
        plan_backfill(pa.table({"x": [1.0], "day": pa.array([None], pa.string())}), "week",
                      "day", None, "batch")


def test_a_streamed_backfill_equals_the_backfill_of_the_table(tmp_path: Path) -> None:
    """From a file, with the streaming backend, the chunks are spilled in one pass and each
    chunk's round equals the one of the in-memory backfill; the spilled files are removed."""
    import pyarrow.parquet as pq

    import driftscope
    from driftscope.config import MonitoringConfig
    from driftscope.inputs.batches import FileSource

    rng = np.random.default_rng(3)
    reference = pa.table({"x": rng.normal(size=800), "c": rng.choice(["a", "b"], 800)})
    n = 1500
    current = pa.table({
        "x": np.r_[rng.normal(size=700), rng.normal(1.5, size=800)],
        "c": rng.choice(["a", "b", "c"], n),
        "day": ["2026-03-02"] * 500 + ["2026-03-09"] * 500 + ["2026-03-16"] * 480
        + ["2026-03-23"] * 20})
    pq.write_table(current, tmp_path / "cur.parquet", row_group_size=128)
    reports = {}
    for backend in ("local", "streaming"):
        cfg = MonitoringConfig(timestamp_column="day", plots="none", progress="never",
                               backend=backend, batch_rows=1000, html=False)
        data = current if backend == "local" else FileSource(tmp_path / "cur.parquet", 1000)
        plan = plan_backfill(data, "week", "day", None, "batch", cfg.batch_rows)
        spilled = plan.spilled
        monitor = driftscope.Monitor(cfg, reference=reference)
        done = run_backfill(plan, monitor, tmp_path / backend, source="batch")
        if spilled is not None:
            assert not spilled.folder.exists()
        reports[backend] = [(r.chunk.label, r.chunk.rows, json.loads(r.result.to_json()))
                            for r in done.rounds]
    for (label, rows, a), (label_b, rows_b, b) in zip(reports["local"], reports["streaming"],
                                                      strict=True):
        assert (label, rows) == (label_b, rows_b)
        for doc in (a, b):
            for key in ("id", "started_at", "finished_at", "duration_seconds"):
                doc["run"].pop(key)
        assert a == b
    assert [label for label, _, _ in reports["local"]] == [
        "2026-W10", "2026-W11", "2026-W12..2026-W13"]


def _with_chunks(*entries: ChunkEntry, worst: str = "2026-W02") -> dict[str, object]:
    result = make_result(run_id=entries[-1].run_id)
    backfill = Backfill(status=Severity.worst(e.status for e in entries), worst=worst,
                        chunks=entries, chunk_by="week")
    return dataclasses.replace(result, backfill=backfill).to_dict()


W01 = ChunkEntry("2026-W01", "r1", Severity.NORMAL, 200, "chunks/2026-W01/drift_report.json",
                 "chunks/2026-W01/drift_report.html", "2026-01-01T00:00:00",
                 "2026-01-04T00:00:00")
W02 = ChunkEntry("2026-W02", "r2", Severity.CRITICAL, 210, "chunks/2026-W02/drift_report.json",
                 None, "2026-01-05T08:30:00", None)
W03 = ChunkEntry("2026-W03", "r3", Severity.NORMAL, 190, "chunks/2026-W03/drift_report.json",
                 "chunks/2026-W03/drift_report.html")


def test_the_html_report_lists_and_links_every_chunk(tmp_path: Path) -> None:
    from driftscope.result import RunResult

    data = _with_chunks(W01, W02, W03)
    validate_report(data)
    page = render_html(RunResult.from_dict(data))
    section = page[page.index('<section id="backfill">'):page.index('<section id="summary"')]
    assert "Backfill: 3 chunks" in section and "The worst chunk is <strong>2026-W02</strong>" \
        in section
    assert section.count("<tr") == 4  # a header and a row per chunk
    assert 'href="chunks/2026-W01/drift_report.html"' in section
    assert 'href="chunks/2026-W02/drift_report.json"' in section  # no HTML: the JSON
    assert "2026-01-01 → 2026-01-04" in section and "2026-01-05T08:30:00 → …" in section
    assert "2026-W02 <span class=\"muted\">(worst)</span>" in section
    assert "2026-W03 <span class=\"muted\">(shown here)</span>" in section
    # saved and re-rendered from the JSON, the list is the same
    (tmp_path / "r.json").write_text(json.dumps(data), "utf-8")
    assert render_html(read_json(tmp_path / "r.json")).count('href="chunks/') == 3
    assert '<section id="backfill">' not in render_html(make_result())  # a single round


def test_a_chunk_path_that_leaves_the_folder_is_not_linked() -> None:
    from driftscope.result import RunResult

    hostile = [dataclasses.replace(W01, html="javascript:alert(1)//.html",
                                   path="../../secret.json"),
               dataclasses.replace(W02, path="/etc/passwd.json", label="<b>W02</b>"),
               dataclasses.replace(W03, html="chunks/../../x.html")]
    page = render_html(RunResult.from_dict(_with_chunks(*hostile, worst="<b>W02</b>")))
    section = page[page.index('<section id="backfill">'):page.index('<section id="summary"')]
    # only the safe path is linked: W03's JSON, in place of its unsafe HTML path
    assert section.count("href=") == 1 and 'href="chunks/2026-W03/drift_report.json"' in section
    assert "<b>W02</b>" not in section and "&lt;b&gt;W02&lt;/b&gt;" in section
