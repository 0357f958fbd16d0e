"""PNG diagnostics: which files, their content and size, safe names, speed."""

from __future__ import annotations

import dataclasses
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from driftscope.errors import ConfigError
from driftscope.outputs.png import IMAGE_SIZE, plot_filenames, plot_png, write_plots
from driftscope.result import RunResult, Severity
from tests.factories import make_feature, make_result
from tests.outputs.factories_extra import (
    HOSTILE_NAMES,
    make_empty_current_feature,
    make_infinite_feature,
    make_many_categories_feature,
    make_round,
    make_value_binned_feature,
)

SAFE = re.compile(r"drift_plot_[A-Za-z0-9_-]{1,60}\.png")
WINDOWS_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    width, height = struct.unpack(">II", data[16:24])  # IHDR
    return width, height


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert png_size(data) == IMAGE_SIZE
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == IMAGE_SIZE
        # not a blank canvas: the plot has ink of both side colours
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
        assert len(colours) > 50


# -- file names ---------------------------------------------------------------------------
def test_plain_names_stay_readable() -> None:
    assert plot_filenames(["income", "Age_2", "debt-ratio"]) == {
        "income": "drift_plot_income.png",
        "Age_2": "drift_plot_Age_2.png",
        "debt-ratio": "drift_plot_debt-ratio.png",
    }


def test_hostile_names_give_safe_unique_names() -> None:
    names = plot_filenames(HOSTILE_NAMES + ["", " ", "..", ".", "a/b", "a\\b", "é", "e"])
    files = list(names.values())
    for file in files:
        assert SAFE.fullmatch(file), file
        assert ".." not in file and "/" not in file and "\\" not in file
        assert all(32 < ord(ch) < 127 for ch in file)
        stem = file.removeprefix("drift_plot_").removesuffix(".png")
        assert stem.lower() not in WINDOWS_RESERVED
    assert len({f.lower() for f in files}) == len(files)


def test_accents_dropped_and_long_names_shortened_with_a_hash() -> None:
    names = plot_filenames(["âge", "x" * 10_000, "x" * 9_999])
    assert names["âge"] == "drift_plot_age.png"
    long_a, long_b = names["x" * 10_000], names["x" * 9_999]
    assert len(long_a) <= len("drift_plot_") + 60 + 4
    assert long_a != long_b and re.search(r"_[0-9a-f]{8}\.png$", long_a)


def test_collisions_resolved_case_insensitively_and_deterministically() -> None:
    names = ["Age", "age", "AGE", "a ge", "a_ge", "a-ge"]
    first = plot_filenames(names)
    assert len({f.lower() for f in first.values()}) == len(names)
    assert first["a_ge"] == "drift_plot_a_ge.png"  # unchanged names keep their plain file
    assert first["AGE"] == "drift_plot_AGE.png"  # first in code-point order among equals
    assert first["a ge"].startswith("drift_plot_a_ge_")
    assert plot_filenames(list(reversed(names))) == first  # order does not matter
    assert plot_filenames(names) == first


def test_a_hash_suffix_cannot_steal_another_name() -> None:
    hashed = plot_filenames(["a ge", "a_ge"])["a ge"]
    stem = hashed.removeprefix("drift_plot_").removesuffix(".png")
    names = plot_filenames(["a ge", "a_ge", stem])
    assert len(set(names.values())) == 3


def test_repeated_names_share_a_file() -> None:
    assert plot_filenames(["a", "a"]) == {"a": "drift_plot_a.png"}


# -- which plots --------------------------------------------------------------------------
def test_one_png_per_flagged_column(tmp_path: Path) -> None:
    result = make_result()
    written = write_plots(result, tmp_path / "images")
    assert set(written) == {"income", "age", "home", "prediction"}  # debt is NORMAL
    files = sorted(p.name for p in (tmp_path / "images").iterdir())
    assert files == sorted(written.values())  # no temp file left behind
    for name in written.values():
        assert_png(tmp_path / "images" / name)


def test_include_normal_and_named_columns(tmp_path: Path) -> None:
    result = make_result()
    assert set(write_plots(result, tmp_path / "all", include_normal=True)) == {
        "income", "age", "debt", "home", "prediction",
    }  # fmt: skip
    assert write_plots(result, tmp_path / "some", features=["debt"]) == {
        "debt": "drift_plot_debt.png"
    }
    assert [p.name for p in (tmp_path / "some").iterdir()] == ["drift_plot_debt.png"]


def test_unknown_column_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'nope'.*'income'"):
        write_plots(make_result(), tmp_path, features=["nope"])


def test_file_name_does_not_depend_on_what_is_plotted(tmp_path: Path) -> None:
    result = make_result([make_feature("Age", Severity.WARNING, psi=0.2), make_feature("age")])
    alone = write_plots(result, tmp_path / "a")
    both = write_plots(result, tmp_path / "b", include_normal=True)
    assert alone["Age"] == both["Age"]
    assert both["Age"].lower() != both["age"].lower()


def test_prediction_named_like_a_feature_gets_its_own_file(tmp_path: Path) -> None:
    result = make_result([make_feature("prediction", Severity.WARNING, psi=0.2)])
    written = write_plots(result, tmp_path)
    assert set(written) == {"prediction", "prediction:prediction"}
    assert len(set(written.values())) == 2


def test_hostile_names_write_inside_the_folder(tmp_path: Path) -> None:
    result = make_round(HOSTILE_NAMES, with_model=False)
    folder = tmp_path / "images"
    written = write_plots(result, folder, include_normal=True)
    assert set(written) == set(HOSTILE_NAMES)
    assert sorted(p.name for p in folder.iterdir()) == sorted(written.values())
    assert [p for p in tmp_path.iterdir()] == [folder]
    for name in written.values():
        assert_png(folder / name)


# -- content ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "column",
    [
        make_feature("num", Severity.CRITICAL, psi=0.4, shift=1.0),
        make_feature("cat", Severity.WARNING, psi=0.2, type_="categorical"),
        make_empty_current_feature(),
        make_value_binned_feature(),
        make_infinite_feature(),
        make_many_categories_feature(n=300),
        dataclasses.replace(make_feature("no_distribution", Severity.WARNING), distribution=None),
        dataclasses.replace(make_feature("no_bins", Severity.WARNING), bins=()),
        dataclasses.replace(
            make_feature("no_cats", Severity.WARNING, type_="categorical"), bins=()
        ),
    ],
    ids=lambda c: c.name,
)
def test_every_kind_of_column_plots_at_the_fixed_size(column) -> None:  # type: ignore[no-untyped-def]
    assert png_size(plot_png(column)) == IMAGE_SIZE


def test_json_nulls_plot(tmp_path: Path) -> None:
    result = make_result([make_infinite_feature(), make_empty_current_feature()], with_model=False)
    again = RunResult.from_json(result.to_json())  # infinite quantiles become null
    written = write_plots(again, tmp_path)
    assert len(written) == 2


def test_reused_figures_draw_the_same_bytes_as_fresh_ones(tmp_path: Path) -> None:
    columns = [
        make_empty_current_feature("e"),
        make_feature("n", Severity.CRITICAL, psi=0.4, shift=1.0),
        make_feature("c", Severity.WARNING, psi=0.2, type_="categorical"),
        make_infinite_feature("i"),
        make_value_binned_feature("v"),
    ]
    written = write_plots(make_result(columns, with_model=False), tmp_path)
    for column in columns:
        assert (tmp_path / written[column.name]).read_bytes() == plot_png(column), column.name


def test_no_pyplot_and_no_backend_switch() -> None:
    code = (
        "import sys, matplotlib\n"
        "from driftscope.outputs.png import plot_png\n"
        "from tests.factories import make_feature\n"
        "raw = lambda: dict.__getitem__(matplotlib.rcParams, 'backend')\n"
        "before = raw()\n"
        "plot_png(make_feature('x'))\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
        "assert raw() == before, 'backend was switched'\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_importing_the_module_does_not_import_matplotlib() -> None:
    code = "import sys, driftscope.outputs.png; assert 'matplotlib' not in sys.modules"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_fifty_plots_are_all_written(tmp_path: Path) -> None:
    names = [f"feature_{i:02d}" for i in range(50)]
    features = [
        make_feature(n, Severity.WARNING, psi=0.2, shift=0.5,
                     type_="categorical" if i % 5 == 0 else "numerical")
        for i, n in enumerate(names)
    ]
    written = write_plots(make_result(features, with_model=False), tmp_path)
    assert len(written) == 50 and len(list(tmp_path.glob("*.png"))) == 50
