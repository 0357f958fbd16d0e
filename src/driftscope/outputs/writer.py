"""Write every file of a round into the output folder, all or nothing.

Files are first written into a staging folder inside ``out`` and then moved into place with
``os.replace``; a round that fails before the move leaves the previous files untouched.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

from driftscope.config.models import MonitoringConfig
from driftscope.outputs.json_report import validate_report
from driftscope.result import RunResult, Severity

JSON_NAME = "drift_report.json"
HTML_NAME = "drift_report.html"
SNAPSHOT_NAME = "streamlit_dashboard_data.pkl"
IMAGES = "images"


def _plot_targets(result: RunResult, mode: str, requested: list[str] | None = None
                  ) -> list[str]:
    """Columns to plot: per ``mode`` (drifted / all / none), plus the ``requested`` ones."""
    from driftscope.config.models import matches

    cols = list(result.features) + [c for c in (result.prediction, result.target) if c]
    chosen = {
        "none": [],
        "all": [c.name for c in cols],
        "drifted": [c.name for c in cols if c.status is not Severity.NORMAL],
    }[mode]
    extra = [c.name for c in cols if requested and matches(c.name, requested)]
    return list(dict.fromkeys(chosen + extra))


def attach_plots(result: RunResult, names: dict[str, str]) -> RunResult:
    """A copy of ``result`` whose columns name their PNG file (``images/<file>``)."""

    def fix(f):  # type: ignore[no-untyped-def]
        if f is None or f.name not in names:
            return f
        return dataclasses.replace(f, plot=f"{IMAGES}/{names[f.name]}")

    return dataclasses.replace(
        result,
        features=tuple(fix(f) for f in result.features),
        prediction=fix(result.prediction),
        target=fix(result.target),
    )


def write_outputs(result: RunResult, out: str | os.PathLike[str],
                  config: MonitoringConfig | None = None) -> RunResult:
    """Write JSON, HTML, PNGs and the dashboard snapshot; return the result with plot names."""
    cfg = config or MonitoringConfig()
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".driftscope-stage-", dir=out_dir))
    try:
        targets = _plot_targets(result, cfg.plots, cfg.plot_features)
        written: dict[str, str] = {}
        if targets:
            from driftscope.outputs.png import write_plots

            (stage / IMAGES).mkdir()
            written = write_plots(result, stage / IMAGES, features=targets)
        result = attach_plots(result, written)
        data = result.to_dict()
        validate_report(data)
        (stage / JSON_NAME).write_text(result.to_json(), encoding="utf-8")
        if cfg.html:
            from driftscope.outputs.html import render_html

            (stage / HTML_NAME).write_text(render_html(result), encoding="utf-8")
        from driftscope.outputs.snapshot import write_snapshot

        write_snapshot(result, stage / SNAPSHOT_NAME)
        # move into place: images first, the JSON (the round's record) last
        (out_dir / IMAGES).mkdir(exist_ok=True)
        keep = set(written.values())
        for name in sorted(written.values()):
            os.replace(stage / IMAGES / name, out_dir / IMAGES / name)
        for old in (out_dir / IMAGES).glob("drift_plot_*.png"):
            if old.name not in keep:
                old.unlink(missing_ok=True)
        for name in (SNAPSHOT_NAME, HTML_NAME, JSON_NAME):
            if (stage / name).exists():
                os.replace(stage / name, out_dir / name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return result
