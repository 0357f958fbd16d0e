"""``driftscope run --metrics-file``: the round's metrics for node_exporter's textfile
collector, equal to the round's report."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import FAST, DataFiles

LEVEL = {"NORMAL": 0, "WARNING": 1, "CRITICAL": 2}


def _samples(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = path.read_text(encoding="utf-8")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def _check(samples: dict[Any, float], report: dict[str, Any]) -> None:
    features = report["features"]
    assert {k: v for k, v in samples.items() if k[0] == "driftscope_feature_psi"} == {
        ("driftscope_feature_psi", (("feature", f["name"]), ("origin", f["origin"]))):
            f["metrics"]["psi"] for f in features}
    for f in features:
        labels = (("feature", f["name"]), ("level", f["status"]), ("origin", f["origin"]))
        assert samples[("driftscope_feature_status", labels)] == LEVEL[f["status"]]
    assert samples[("driftscope_round_status", (("level", report["status"]),))] \
        == LEVEL[report["status"]]
    assert samples[("driftscope_round_rows", (("side", "current"),))] \
        == report["run"]["current"]["rows"]
    assert samples[("driftscope_round_duration_seconds", ())] \
        == report["run"]["duration_seconds"]


@pytest.mark.slow  # two rounds
def test_run_writes_the_rounds_metrics(cli: Callable[..., Any], data: DataFiles,
                                       tmp_path: Path) -> None:
    prom = tmp_path / "textfile" / "driftscope.prom"
    result = cli("run", "--reference", data.ref_csv, "--current", data.drift_csv, *FAST,
                 "--out", tmp_path / "out", "--metrics-file", prom)
    assert result.code == 0, result.err
    report = result.report(tmp_path / "out")
    assert report["status"] == "CRITICAL"
    _check(_samples(prom), report)
    assert sorted(p.name for p in prom.parent.iterdir()) == ["driftscope.prom"]
    # without the flag, no metrics file
    again = cli("run", "--reference", data.ref_csv, "--current", data.drift_csv, *FAST,
                "--out", tmp_path / "out2")
    assert again.code == 0
    assert not [p for p in (tmp_path / "out2").rglob("*") if p.suffix == ".prom"]


def test_a_backfill_writes_its_last_chunks_metrics(cli: Callable[..., Any], data: DataFiles,
                                                   tmp_path: Path) -> None:
    prom = tmp_path / "driftscope.prom"
    result = cli("run", "--reference", data.ref_csv, "--current", data.drift_csv, *FAST,
                 "--out", tmp_path / "out", "--chunk-size", "150", "--metrics-file", prom)
    assert result.code == 0, result.err
    report = result.report(tmp_path / "out")  # the top-level report is the last chunk's
    assert report["run"]["current"]["rows"] == 100  # 400 rows: 150, 150, 100
    _check(_samples(prom), report)


def test_an_unwritable_metrics_file_is_a_usage_error(cli: Callable[..., Any], data: DataFiles,
                                                     tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    result = cli("run", "--reference", data.ref_csv, "--current", data.same_csv, *FAST,
                 "--out", tmp_path / "out", "--metrics-file", tmp_path / "taken")
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert "--metrics-file" in result.err and str(tmp_path / "taken") in result.err
    assert (tmp_path / "taken").is_dir()
    # refused before the round: no report and no recorded round that a retry would repeat
    assert not (tmp_path / "out").exists()
    (tmp_path / "plain").write_text("x")
    under_a_file = cli("run", "--reference", data.ref_csv, "--current", data.same_csv, *FAST,
                       "--out", tmp_path / "out", "--metrics-file", tmp_path / "plain" / "m.prom")
    assert under_a_file.code == 2 and len(under_a_file.err.strip().splitlines()) == 1
    assert "is a file, not a folder" in under_a_file.err
    assert not (tmp_path / "out").exists()


@pytest.mark.prometheus
@pytest.mark.slow
def test_promtool_accepts_the_metrics_file(cli: Callable[..., Any], data: DataFiles,
                                           tmp_path: Path) -> None:
    """Prometheus' own parser and linter read the file without a complaint."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is not on PATH: apt-get install prometheus (.ci/run installs it)")
    prom = tmp_path / "driftscope.prom"
    # hostile column names end up in label values
    frame = pd.read_csv(data.drift_csv).rename(columns={"home": 'h"o\\m\ne'})
    frame.to_csv(tmp_path / "cur.csv", index=False)
    ref = pd.read_csv(data.ref_csv).rename(columns={"home": 'h"o\\m\ne'})
    ref.to_csv(tmp_path / "ref.csv", index=False)
    result = cli("run", "--reference", tmp_path / "ref.csv", "--current", tmp_path / "cur.csv",
                 *FAST, "--out", tmp_path / "out", "--metrics-file", prom)
    assert result.code == 0, result.err
    assert ("driftscope_feature_psi", (("feature", 'h"o\\m\ne'), ("origin", "raw"))) \
        in _samples(prom)
    done = subprocess.run([promtool, "check", "metrics"], input=prom.read_bytes(),
                          capture_output=True, timeout=60)
    assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), done
