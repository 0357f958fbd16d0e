"""Value bins in saved baselines: the new-value bins round-trip, and a baseline saved before
they existed (one "unseen" count after the value counts) still loads, with the same numbers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import driftscope
from driftscope.errors import BaselineError


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"age": rng.integers(18, 36, 2000), "x": rng.normal(size=2000)})
    cur = pd.DataFrame({"age": rng.integers(18, 70, 800), "x": rng.normal(size=800)})
    return ref, cur


def _strip(result: driftscope.RunResult) -> dict:
    d = result.to_dict()
    d.pop("run")
    return d


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _column(manifest: dict, name: str) -> dict:
    return next(c for c in manifest["columns"] if c["name"] == name)


def _as_legacy(folder: Path, *, drop_values: bool = False, unseen: int = 0) -> None:
    """Rewrite the saved age column the way driftscope wrote value bins before."""
    m = _manifest(folder)
    age = _column(m, "age")
    k = len(age["binning"]["values"])
    age["counts"] = age["counts"][:k] + [unseen]
    if drop_values:
        (folder / age["values_file"]).unlink()
        age["values_file"] = None
    (folder / "manifest.json").write_text(json.dumps(m), encoding="utf-8")


def test_value_bins_round_trip_and_equal_a_raw_round(tmp_path: Path) -> None:
    ref, cur = _frames()
    raw = driftscope.run(reference=ref, current=cur)
    driftscope.save_baseline(driftscope.build_baseline(ref), tmp_path / "bl")
    age = _column(_manifest(tmp_path / "bl"), "age")
    assert age["binning"]["kind"] == "value" and len(age["counts"]) == 18 + 3
    loaded = driftscope.load_baseline(tmp_path / "bl")
    assert _strip(driftscope.run(current=cur, baseline=loaded)) == _strip(raw)
    assert raw.feature("age").bins[-1].label == "> 35"


@pytest.mark.parametrize("drop_values", [False, True])
def test_a_baseline_saved_before_the_split_still_loads(tmp_path: Path, drop_values: bool
                                                       ) -> None:
    ref, cur = _frames()
    raw = driftscope.run(reference=ref, current=cur)
    driftscope.save_baseline(driftscope.build_baseline(ref), tmp_path / "bl")
    _as_legacy(tmp_path / "bl", drop_values=drop_values)
    loaded = driftscope.load_baseline(tmp_path / "bl")
    prof = next(p for s, p in loaded.columns if s.name == "age")
    assert len(prof.counts) == prof.binning.n_bins
    via = driftscope.run(current=cur, baseline=loaded)
    if drop_values:  # without the values KS is not computed; the bins are still right
        assert via.feature("age").bins == raw.feature("age").bins
        assert via.feature("age").metrics.psi == raw.feature("age").metrics.psi
    else:
        assert _strip(via) == _strip(raw)


def test_an_old_unseen_count_that_cannot_be_split_is_refused(tmp_path: Path) -> None:
    ref, _ = _frames()
    driftscope.save_baseline(driftscope.build_baseline(ref), tmp_path / "bl")
    _as_legacy(tmp_path / "bl", drop_values=True, unseen=3)  # ±inf, but which?
    with pytest.raises(BaselineError, match="'age'.*older driftscope.*rebuild the baseline"):
        driftscope.load_baseline(tmp_path / "bl")
