"""A saved baseline gives the same numbers as a round from the raw reference."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import driftscope
from driftscope.errors import BaselineError


def _data(tmp_path):
    rng = np.random.default_rng(0)
    n = 3000
    ref = pd.DataFrame({
        "income": rng.lognormal(8, 0.5, n),
        "age": rng.integers(18, 80, n),
        "kids": rng.integers(0, 4, n),
        "home": rng.choice(["rent", "own", None], n),
        "flag": rng.random(n) < 0.3,
    })
    ref.loc[::17, "income"] = np.nan
    cur = ref.sample(1500, random_state=1).reset_index(drop=True)
    cur["income"] *= 1.2
    cur.loc[:5, "home"] = "boat"
    ref.to_parquet(tmp_path / "ref.parquet")
    cur.to_csv(tmp_path / "cur.csv", index=False)
    return tmp_path / "ref.parquet", tmp_path / "cur.csv"


def _strip(d):
    d = dict(d)
    d.pop("run")
    return d


def test_baseline_round_equals_raw_round(tmp_path):
    ref, cur = _data(tmp_path)
    raw = driftscope.run(ref, cur)
    bl = driftscope.build_baseline(ref)
    driftscope.save_baseline(bl, tmp_path / "baseline")
    via = driftscope.run(current=cur, baseline=tmp_path / "baseline")
    assert _strip(via.to_dict()) == _strip(raw.to_dict())


def test_baseline_is_plain_data(tmp_path):
    ref, _ = _data(tmp_path)
    driftscope.save_baseline(driftscope.build_baseline(ref), tmp_path / "bl")
    files = sorted(p.name for p in (tmp_path / "bl").rglob("*") if p.is_file())
    assert "manifest.json" in files
    assert all(f.endswith((".json", ".parquet")) for f in files)
    manifest = json.loads((tmp_path / "bl" / "manifest.json").read_text())
    assert manifest["format_version"] == 1
    assert {c["name"] for c in manifest["columns"]} == {"income", "age", "kids", "home", "flag"}


def test_baseline_errors(tmp_path):
    with pytest.raises(BaselineError, match="no manifest.json"):
        driftscope.load_baseline(tmp_path)
    ref, _ = _data(tmp_path)
    driftscope.save_baseline(driftscope.build_baseline(ref), tmp_path / "bl")
    m = tmp_path / "bl" / "manifest.json"
    data = json.loads(m.read_text())
    data["format_version"] = 99
    m.write_text(json.dumps(data))
    with pytest.raises(BaselineError, match="version 99"):
        driftscope.load_baseline(tmp_path / "bl")
    m.write_text("{not json")
    with pytest.raises(BaselineError, match="corrupt"):
        driftscope.load_baseline(tmp_path / "bl")


def test_saving_over_an_existing_baseline_replaces_it(tmp_path):
    ref, _ = _data(tmp_path)
    bl = driftscope.build_baseline(ref)
    driftscope.save_baseline(bl, tmp_path / "bl")
    driftscope.save_baseline(bl, tmp_path / "bl")
    assert driftscope.load_baseline(tmp_path / "bl").rows == 3000
    assert not list(tmp_path.glob(".bl*"))


# -- the output folder belongs to the user: only a baseline driftscope wrote is replaced ------

def _tree(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_baseline_into_a_folder_with_user_files_is_refused(cli, data, tmp_path):
    work = tmp_path / "data"
    work.mkdir()
    (work / "train.csv").write_bytes(data.ref_csv.read_bytes())
    (work / "NOTES.txt").write_text("mine")
    before = _tree(tmp_path)
    result = cli("baseline", "--reference", work / "train.csv", "--out", work)
    assert result.code == 2 and result.err.count("\n") == 1
    assert "not a driftscope baseline" in result.err and "NOTES.txt" in result.err
    assert _tree(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_baseline_into_the_working_folder_or_above_is_refused(cli, data, tmp_path, monkeypatch):
    work = tmp_path / "project"
    work.mkdir()
    (work / "keep.txt").write_text("x")
    monkeypatch.chdir(work)
    for out in (".", ".."):
        result = cli("baseline", "--reference", data.ref_csv, "--out", out)
        assert result.code == 2 and "working folder" in result.err
    assert (work / "keep.txt").read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]


def test_baseline_onto_a_file_keeps_the_file(cli, data, tmp_path):
    target = tmp_path / "ref.csv"
    target.write_bytes(data.ref_csv.read_bytes())
    result = cli("baseline", "--reference", target, "--out", target)
    assert result.code == 2 and "is a file" in result.err
    assert target.read_bytes() == data.ref_csv.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ref.csv"]


def test_baseline_replaces_its_own_folder_and_fills_an_empty_one(cli, data, tmp_path):
    empty = tmp_path / "bl"
    empty.mkdir()
    assert cli("baseline", "--reference", data.ref_csv, "--out", empty).code == 0
    first = json.loads((empty / "manifest.json").read_text())
    assert cli("baseline", "--reference", data.ref_parquet, "--out", empty).code == 0
    second = json.loads((empty / "manifest.json").read_text())
    assert first["source"] != second["source"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bl"]  # no temp or old folder left


def test_a_baseline_with_a_user_file_added_is_not_replaced(cli, data, tmp_path):
    assert cli("baseline", "--reference", data.ref_csv, "--out", tmp_path / "bl").code == 0
    (tmp_path / "bl" / "README.txt").write_text("my notes")
    result = cli("baseline", "--reference", data.ref_csv, "--out", tmp_path / "bl")
    assert result.code == 2 and "README.txt" in result.err
    assert (tmp_path / "bl" / "README.txt").read_text() == "my notes"


def test_baseline_folder_follows_the_umask(cli, data, tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        assert cli("baseline", "--reference", data.ref_csv, "--out", tmp_path / "bl").code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "bl").stat().st_mode) == 0o755


def test_leftovers_of_a_killed_save_are_cleaned(cli, data, tmp_path):
    assert cli("baseline", "--reference", data.ref_csv, "--out", tmp_path / "bl").code == 0
    import shutil

    shutil.copytree(tmp_path / "bl", tmp_path / ".bl.old-abcd1234")  # killed after the swap
    (tmp_path / ".bl.tmp-xyz_9876" / "values").mkdir(parents=True)  # killed while writing
    (tmp_path / ".bl.mine").mkdir()  # not ours: kept
    (tmp_path / ".bl.mine" / "x").write_text("x")
    shutil.copytree(tmp_path / "bl", tmp_path / ".bl.bak")  # the user's backup copy: kept
    (tmp_path / ".bl.tmp-keep1234" / "values").mkdir(parents=True)  # holds a user file: kept
    (tmp_path / ".bl.tmp-keep1234" / "values" / "important.txt").write_text("x")
    assert cli("baseline", "--reference", data.ref_csv, "--out", tmp_path / "bl").code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".bl.bak", ".bl.mine",
                                                          ".bl.tmp-keep1234", "bl"]


def test_a_parquet_file_the_manifest_does_not_list_is_the_users(cli, data, tmp_path):
    import pandas as pd

    assert cli("baseline", "--reference", data.ref_csv, "--out", tmp_path / "bl").code == 0
    pd.DataFrame({"precious": [1, 2]}).to_parquet(tmp_path / "bl" / "values" / "mine.parquet")
    result = cli("baseline", "--reference", data.ref_csv, "--out", tmp_path / "bl")
    assert result.code == 2
    assert (tmp_path / "bl" / "values" / "mine.parquet").exists()


def test_a_damaged_manifest_is_a_corrupt_baseline(cli, data, tmp_path):
    assert cli("baseline", "--reference", data.ref_csv, "--out", tmp_path / "bl").code == 0
    path = tmp_path / "bl" / "manifest.json"
    manifest = json.loads(path.read_text())
    numeric = next(c for c in manifest["columns"] if c["type"] == "numerical")
    key = "edges" if numeric["binning"]["kind"] == "quantile" else "values"
    numeric["binning"][key] = list(reversed(numeric["binning"][key]))
    path.write_text(json.dumps(manifest))
    result = cli("run", "--baseline", tmp_path / "bl", "--current", data.same_csv, "--out",
                 tmp_path / "o", "--no-history")
    assert result.code == 2 and "corrupt baseline" in result.err


def test_a_corrupted_value_page_is_caught_by_its_checksum(cli, data, tmp_path):
    import pyarrow.parquet as pq

    from driftscope.baseline import load_baseline

    assert cli("baseline", "--reference", data.ref_csv, "--out", tmp_path / "bl").code == 0
    values = sorted((tmp_path / "bl" / "values").glob("*.parquet"))[0]
    col = pq.ParquetFile(values).metadata.row_group(0).column(0)
    raw = bytearray(values.read_bytes())
    middle = col.data_page_offset + col.total_compressed_size // 2
    for i in range(middle, middle + 4):
        raw[i] ^= 0xFF
    values.write_bytes(bytes(raw))
    with pytest.raises(BaselineError, match="corrupt baseline"):
        load_baseline(tmp_path / "bl")


def _sketch_only(bl):
    """``bl`` as a backend that keeps no values (spark) would build it: each numerical column
    profiled with quantile sketches by the streaming backend's approximate mode."""
    import dataclasses

    import pyarrow as pa

    from driftscope.backends import ProfileSettings
    from driftscope.backends.streaming import StreamingBackend
    from driftscope.inputs.batches import TableSource

    pytest.importorskip("datasketches")
    table = pa.Table.from_pandas(pd.read_parquet(tmp_ref := bl.source), preserve_index=False)
    specs = [s for s, p in bl.columns if s.type == "numerical"]
    sketched = StreamingBackend().profile(TableSource(table, tmp_ref), specs, None,
                                          ProfileSettings(ks="approximate")).columns
    columns = tuple((s, sketched[s.name] if s.type == "numerical" else p) for s, p in bl.columns)
    return dataclasses.replace(bl, columns=columns)


def test_a_baseline_without_values_keeps_its_sketches(tmp_path):
    ref, cur = _data(tmp_path)
    bl = _sketch_only(driftscope.build_baseline(ref))
    driftscope.save_baseline(bl, tmp_path / "bl")
    assert not any((tmp_path / "bl" / "values").iterdir())  # no values: nothing to save
    loaded = driftscope.load_baseline(tmp_path / "bl")
    for (spec, before), (_, after) in zip(bl.columns, loaded.columns):
        if spec.type == "numerical":
            assert not after.has_values and after.sketch is not None
            assert after.sketch.sketch.serialize() == before.sketch.sketch.serialize()
            assert (after.sketch.below, after.sketch.above) == (before.sketch.below,
                                                                before.sketch.above)
            np.testing.assert_array_equal(after.quantiles, before.quantiles)
            assert (after.distinct, after.whole) == (before.distinct, before.whole)
    direct = driftscope.run(current=cur, baseline=bl)
    via = driftscope.run(current=cur, baseline=tmp_path / "bl")
    assert via.feature("income").metrics.ks_statistic is not None  # KS from the sketch
    assert _strip(via.to_dict()) == _strip(direct.to_dict())


def test_a_damaged_sketch_is_a_corrupt_baseline(tmp_path):
    ref, _ = _data(tmp_path)
    driftscope.save_baseline(_sketch_only(driftscope.build_baseline(ref)), tmp_path / "bl")
    manifest = tmp_path / "bl" / "manifest.json"
    m = json.loads(manifest.read_text())
    m["columns"][0]["sketch"]["kll"] = "bm90IGEgc2tldGNo"  # "not a sketch"
    manifest.write_text(json.dumps(m))
    with pytest.raises(BaselineError, match="income.*damaged|damaged.*income"):
        driftscope.load_baseline(tmp_path / "bl")
