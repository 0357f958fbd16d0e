"""The saved reference profile: build once, run many rounds without re-reading the reference.

On disk a baseline is a folder of plain data, no pickle::

    baseline/
      manifest.json          format version, source, row count, columns with bins and counts
      values/00000.parquet   sorted non-missing values of numerical column 0 (for exact KS)
      ...

A backend that never holds a column's values (``spark``) leaves its values file out; the
manifest then keeps the column's KLL quantile sketch (base64), its exact percentiles, distinct
count and wholeness, so later rounds still get an approximate KS with its stated bound.

Loading checks the format version and every file; a baseline gives the same numbers as a round
from the raw reference because it holds the very profiles that round would compute.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from driftscope.errors import BaselineError
from driftscope.profile.binning import upgrade_value_counts
from driftscope.profile.model import (
    Binning,
    CategoricalProfile,
    ColumnProfile,
    Moments,
    NumericProfile,
)
from driftscope.profile.spec import ColumnSpec
from driftscope.result import Finding, ModelInfo

FORMAT = "driftscope-baseline"
FORMAT_VERSION = 1


@dataclass(frozen=True, eq=False)
class Baseline:
    """Reference profiles of every monitored column (raw, engineered, target, prediction)."""

    source: str
    rows: int
    columns: tuple[tuple[ColumnSpec, ColumnProfile], ...]
    created_at: str = field(
        default_factory=lambda: _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    )
    findings: tuple[Finding, ...] = ()
    model: ModelInfo | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    path: str | None = None
    sample: pa.Table | None = None
    """A seeded sample of reference rows for the multivariate checks (``sample.parquet``):
    the model's input, else the monitored features; None when not kept."""

    def by_origin(self, *origins: str) -> list[tuple[ColumnSpec, ColumnProfile]]:
        return [(s, p) for s, p in self.columns if s.origin in origins]

    def get(self, origin: str, name: str) -> tuple[ColumnSpec, ColumnProfile] | None:
        for s, p in self.columns:
            if s.origin == origin and s.name == name:
                return s, p
        return None


def _profile_to_dict(spec: ColumnSpec, prof: ColumnProfile, values_file: str | None
                     ) -> dict[str, Any]:
    d: dict[str, Any] = {"name": spec.name, "type": spec.type, "origin": spec.origin,
                         "missing": prof.missing}
    if isinstance(prof, NumericProfile):
        mo = prof.moments
        d.update(
            count=prof.count,
            binning={"kind": prof.binning.kind, "edges": list(prof.binning.edges),
                     "values": list(prof.binning.values)},
            counts=[int(c) for c in prof.counts],
            moments={"count": mo.count, "mean": mo.mean, "m2": mo.m2,
                     "min": mo.min if mo.count else None, "max": mo.max if mo.count else None},
            values_file=values_file,
        )
        if prof.beyond_float:  # integers beyond ±2^53, profiled as floats
            d["beyond_float"] = prof.beyond_float
        if values_file is None and prof.sketch is not None:  # a backend that kept no values
            d["sketch"] = {"kll": base64.b64encode(prof.sketch.sketch.serialize()).decode(),
                           "below": prof.sketch.below, "above": prof.sketch.above}
            d.update(quantiles=None if prof.quantiles is None else
                     [float(q) for q in prof.quantiles],
                     distinct=prof.distinct, whole=prof.whole)
    else:
        d["categories"] = [[k, v] for k, v in prof.counts.items()]
    return d


BASELINE_FILES = ("manifest.json", "sample.parquet")
"""The files a baseline folder holds besides ``values/NNNNN.parquet``."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _is_ours(folder: Path) -> bool:
    """Whether ``folder`` holds a driftscope baseline and nothing else (so replacing it loses
    nothing of the user's)."""
    try:
        m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        return False
    try:
        listed = {str(c.get("values_file")) for c in m.get("columns", [])
                  if isinstance(c, dict) and c.get("values_file")}
    except (AttributeError, TypeError):
        return False
    for entry in folder.iterdir():
        if entry.name in BASELINE_FILES and entry.is_file() and not entry.is_symlink():
            continue
        if entry.name == "values" and entry.is_dir() and not entry.is_symlink():
            # only the value files the manifest lists: anything else is the user's
            if all(v.is_file() and not v.is_symlink() and f"values/{v.name}" in listed
                   for v in entry.iterdir()):
                continue
        return False
    return True


def check_baseline_target(out: str | os.PathLike[str]) -> Path:
    """Refuse a baseline ``--out`` that would replace anything driftscope did not write.

    A new path, an empty folder or an earlier driftscope baseline are fine; a file or a folder
    holding anything else is a :class:`BaselineError` naming it and what to do.
    """
    target = Path(os.path.abspath(out))
    cwd = Path.cwd()
    if target == cwd or target in cwd.parents:
        raise BaselineError(f"--out {out}: is the working folder or one above it; give a new "
                            "folder for the baseline (e.g. --out baseline/)")
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        what = "a symbolic link" if target.is_symlink() else "a file"
        raise BaselineError(
            f"--out {out}: is {what}, not a folder; give a new or empty folder for the "
            "baseline (e.g. --out baseline/)")
    if target.is_dir():
        try:
            entries = [e.name for e in target.iterdir()]
        except OSError as err:
            raise BaselineError(f"--out {out}: cannot be read ({err.strerror}); choose "
                                "another folder") from None
        if entries and not _is_ours(target):
            shown = ", ".join(sorted(entries)[:3]) + (", …" if len(entries) > 3 else "")
            raise BaselineError(
                f"--out {out}: the folder is not empty and is not a driftscope baseline "
                f"(it holds {shown}); nothing was written. Give a new or empty folder; "
                "driftscope only replaces a baseline it wrote itself")
    return target


def _clean_leftovers(parent: Path, name: str) -> None:
    """Remove what a killed earlier save left next to ``name``: its temp folders (never
    renamed into place) and replaced old baselines, each only if it is ours."""
    for kind in ("old", "tmp"):  # only the names a save makes (mkdtemp: 8 characters)
        for stale in parent.glob(f".{glob_escape(name)}.{kind}-????????"):
            if not stale.is_dir() or stale.is_symlink():
                continue
            if _is_ours(stale) or (kind == "tmp" and _only_baseline_parts(stale)):
                shutil.rmtree(stale, ignore_errors=True)


def _only_baseline_parts(folder: Path) -> bool:
    """A temp folder of an interrupted save: at most ``manifest.json`` and ``values/`` of
    ``NNNNN.parquet`` files, nothing else."""
    import re

    try:
        for e in folder.iterdir():
            if e.is_symlink():
                return False
            if e.name in BASELINE_FILES and e.is_file():
                continue
            if e.name == "values" and e.is_dir() and all(
                    v.is_file() and not v.is_symlink()
                    and re.fullmatch(r"\d{5}\.parquet", v.name) for v in e.iterdir()):
                continue
            return False
    except OSError:
        return False
    return True


def glob_escape(name: str) -> str:
    import glob

    return glob.escape(name)


def save_baseline(baseline: Baseline, out: str | os.PathLike[str]) -> Path:
    """Write ``baseline`` into the folder ``out`` atomically (a temp folder, then a rename).

    ``out`` must be new, empty or an earlier baseline (see :func:`check_baseline_target`):
    nothing the user put there is ever removed. The folder follows the umask.
    """
    target = check_baseline_target(out)
    if not target.parent.is_dir():
        what = "is not a folder" if target.parent.exists() else "does not exist"
        raise BaselineError(f"--out {out}: {target.parent} {what}; give a folder whose parent "
                            "folder exists")
    _clean_leftovers(target.parent, target.name)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700
    try:
        (tmp / "values").mkdir()
        cols = []
        for i, (spec, prof) in enumerate(baseline.columns):
            vf = None
            values = prof.load_values() if isinstance(prof, NumericProfile) else None
            if values is not None:
                vf = f"values/{i:05d}.parquet"
                pq.write_table(pa.table({"v": values}), tmp / vf,
                               compression="zstd", write_page_checksum=True)
            cols.append(_profile_to_dict(spec, prof, vf))
        if baseline.sample is not None:  # the multivariate checks' reference rows
            pq.write_table(baseline.sample, tmp / "sample.parquet", compression="zstd",
                           write_page_checksum=True)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": baseline.created_at,
            "source": baseline.source,
            "rows": baseline.rows,
            "model": None if baseline.model is None else baseline.model.__dict__,
            "settings": baseline.settings,
            "findings": [{"column": f.column, "message": f.message} for f in baseline.findings],
            "columns": cols,
        }
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, indent=1, ensure_ascii=False, allow_nan=False), encoding="utf-8"
        )
        if target.is_dir() and not any(target.iterdir()):
            target.rmdir()  # an empty folder the user made for it
        if target.exists():  # an earlier baseline (checked above): swap, then drop it
            check_baseline_target(out)  # still ours: nothing was added meanwhile
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            old.rmdir()
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _check_binning(binning: Binning, name: str, manifest: Path) -> None:
    """Edges and values strictly increasing and of a known kind (a hand-edited or damaged
    manifest is a corrupt baseline, not an internal error later)."""
    seq = np.asarray(binning.edges if binning.kind == "quantile" else binning.values,
                     dtype=np.float64)
    if binning.kind not in ("quantile", "value") or (seq.size > 1 and
                                                      not bool(np.all(np.diff(seq) > 0))):
        raise BaselineError(f"{manifest}: corrupt baseline (the bins of column {name!r} are not "
                            "in increasing order); rebuild it")


def _values_reader(vpath: Path, count: int) -> Any:
    """Reads a column's sorted reference values when a comparison needs them (one column in
    memory at a time), verifying the page checksums and the count the manifest holds."""

    def read() -> Any:
        try:
            values = pq.read_table(vpath, page_checksum_verification=True).column("v")
        except (pa.ArrowInvalid, OSError, KeyError) as err:
            first = (str(err).splitlines() or [err.__class__.__name__])[0][:160]
            raise BaselineError(f"{vpath}: corrupt baseline values ({first}); rebuild the "
                                "baseline") from None
        if len(values) != count:
            raise BaselineError(f"{vpath}: holds {len(values)} values where the manifest says "
                                f"{count}; rebuild the baseline")
        return values.to_numpy()

    return read


def _sketched(c: dict[str, Any]) -> dict[str, Any]:
    """The quantile sketch, percentiles, distinct count and wholeness of a numerical column
    saved without its values (a backend that never holds them, e.g. spark); {} otherwise."""
    saved = c.get("sketch")
    if not saved:
        return {}
    from driftscope.backends.sketch import QuantileSketch, _kll

    try:
        kll = _kll().deserialize(base64.b64decode(saved["kll"], validate=True))
    except (ValueError, RuntimeError) as err:
        raise ValueError(f"the quantile sketch of column {c['name']!r} is damaged ({err})"
                         ) from None
    quantiles = c.get("quantiles")
    return {"sketch": QuantileSketch(kll, int(saved["below"]), int(saved["above"])),
            "quantiles": None if quantiles is None else np.asarray(quantiles, dtype=np.float64),
            "distinct": None if c.get("distinct") is None else int(c["distinct"]),
            "whole": c.get("whole")}


def load_baseline(path: str | os.PathLike[str]) -> Baseline:
    """Read a baseline folder written by :func:`save_baseline`."""
    folder = Path(path)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise BaselineError(
            f"{folder}: not a baseline folder (no manifest.json); "
            "create one with 'driftscope baseline --reference REF --out DIR'"
        )
    from driftscope.safe_yaml import DocumentError, load_json

    try:
        m = load_json(manifest_path.read_text(encoding="utf-8"), str(manifest_path))
    except (DocumentError, UnicodeDecodeError):
        raise BaselineError(f"{manifest_path}: corrupt manifest; rebuild the baseline") from None
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise BaselineError(f"{manifest_path}: not a driftscope baseline manifest")
    if m.get("format_version") != FORMAT_VERSION:
        raise BaselineError(
            f"{manifest_path}: baseline format version {m.get('format_version')} is not "
            f"supported (this driftscope reads version {FORMAT_VERSION}); rebuild the baseline"
        )
    columns: list[tuple[ColumnSpec, ColumnProfile]] = []
    try:
        for c in m["columns"]:
            spec = ColumnSpec(c["name"], c["type"], c["origin"])
            prof: ColumnProfile
            if c["type"] == "numerical":
                values = None
                reader = None
                if c.get("values_file"):
                    vpath = folder / c["values_file"]
                    if vpath.resolve().parent != (folder / "values").resolve():
                        raise BaselineError(f"{manifest_path}: a values_file points outside "
                                            "the baseline's values/ folder; rebuild it")
                    if not vpath.is_file():
                        raise BaselineError(f"{vpath}: missing; rebuild the baseline")
                    reader = _values_reader(vpath, int(c["count"]))
                    reader()  # verified now (checksums, count), then let go: read when used
                b = c["binning"]
                mo = c["moments"]
                binning = Binning(kind=b["kind"], edges=tuple(b["edges"]),
                                  values=tuple(b["values"]))
                _check_binning(binning, c["name"], manifest_path)
                # value bins saved before new values were split below/between/above
                counts = np.asarray(c["counts"], dtype=np.int64)
                if binning.kind == "value" and len(counts) != binning.n_bins:
                    values = reader() if reader is not None else None  # an older layout
                upgraded = upgrade_value_counts(counts, binning, values)
                if upgraded is None:
                    raise BaselineError(f"{folder}: the bins of column {c['name']!r} were saved "
                                        "by an older driftscope and cannot be converted; "
                                        "rebuild the baseline")
                prof = NumericProfile(
                    name=c["name"],
                    binning=binning,
                    counts=upgraded,
                    missing=int(c["missing"]),
                    count=int(c["count"]),
                    moments=Moments(
                        count=int(mo["count"]), mean=float(mo["mean"]), m2=float(mo["m2"]),
                        min=float("inf") if mo["min"] is None else float(mo["min"]),
                        max=float("-inf") if mo["max"] is None else float(mo["max"]),
                    ),
                    sorted_values=values,
                    values_source=None if values is not None else reader,
                    beyond_float=int(c.get("beyond_float", 0)),
                    **_sketched(c),
                )
            else:
                prof = CategoricalProfile(
                    name=c["name"], counts={str(k): int(v) for k, v in c["categories"]},
                    missing=int(c["missing"]),
                )
            columns.append((spec, prof))
    except BaselineError:
        raise
    except (KeyError, TypeError, ValueError, pa.ArrowInvalid, OSError) as err:
        raise BaselineError(
            f"{folder}: corrupt baseline ({err.__class__.__name__}: {err}); rebuild it"
        ) from None
    model = ModelInfo(**m["model"]) if m.get("model") else None
    return Baseline(
        source=str(m.get("source")),
        rows=int(m["rows"]),
        columns=tuple(columns),
        created_at=str(m.get("created_at")),
        findings=tuple(Finding(message=f["message"], column=f.get("column"))
                       for f in m.get("findings", [])),
        model=model,
        settings=dict(m.get("settings") or {}),
        path=str(folder),
        sample=_read_sample(folder),
    )


def _read_sample(folder: Path) -> pa.Table | None:
    """The reference sample of the multivariate checks; None when the baseline has none (an
    earlier driftscope's, or built with multivariate disabled)."""
    path = folder / "sample.parquet"
    if not path.is_file():
        return None
    try:
        return pq.read_table(path, page_checksum_verification=True)
    except (pa.ArrowInvalid, OSError) as err:
        first = (str(err).splitlines() or [err.__class__.__name__])[0][:160]
        raise BaselineError(f"{path}: corrupt baseline sample ({first}); rebuild the "
                            "baseline") from None
