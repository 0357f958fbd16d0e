"""PNG diagnostics: which files, their content and size, safe names on disk."""

from __future__ import annotations

import dataclasses
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from driftscope.errors import ConfigError
from driftscope.outputs.plot_names import plot_filenames as named_by
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


# -- which plots --------------------------------------------------------------------------
def test_the_file_names_are_those_of_plot_names() -> None:
    assert plot_filenames is named_by  # re-exported: part of this module's API


def test_one_png_per_flagged_column(tmp_path: Path) -> None:
    result = make_result()
    written = write_plots(result, tmp_path / "images")
    assert set(written) == {"income", "age", "home", "prediction"}  # debt is NORMAL
    files = sorted(p.name for p in (tmp_path / "images").iterdir())
    assert files == sorted(written.values())  # no temp file left behind
    for name in written.values():
        assert_png(tmp_path / "images" / name)


@pytest.mark.slow  # 6 PNGs
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


@pytest.mark.slow  # 3 PNGs
def test_file_name_does_not_depend_on_what_is_plotted(tmp_path: Path) -> None:
    result = make_result([make_feature("Age", Severity.WARNING, psi=0.2), make_feature("age")])
    alone = write_plots(result, tmp_path / "a")
    both = write_plots(result, tmp_path / "b", include_normal=True)
    assert alone["Age"] == both["Age"]
    assert both["Age"].lower() != both["age"].lower()


@pytest.mark.slow  # 2 PNGs
def test_prediction_named_like_a_feature_gets_its_own_file(tmp_path: Path) -> None:
    result = make_result([make_feature("prediction", Severity.WARNING, psi=0.2)])
    written = write_plots(result, tmp_path)
    assert set(written) == {"prediction", "prediction:prediction"}
    assert len(set(written.values())) == 2


@pytest.mark.slow  # 6 PNGs, each decoded
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
        # a PNG each: the other kinds run in the slow tier
        pytest.param(make_value_binned_feature(), marks=pytest.mark.slow),
        pytest.param(make_infinite_feature(), marks=pytest.mark.slow),
        pytest.param(make_many_categories_feature(n=300), marks=pytest.mark.slow),
        pytest.param(
            dataclasses.replace(make_feature("no_distribution", Severity.WARNING),
                                distribution=None),
            marks=pytest.mark.slow,
        ),
        pytest.param(dataclasses.replace(make_feature("no_bins", Severity.WARNING), bins=()),
                     marks=pytest.mark.slow),
        pytest.param(
            dataclasses.replace(
                make_feature("no_cats", Severity.WARNING, type_="categorical"), bins=()
            ),
            marks=pytest.mark.slow,
        ),
    ],
    ids=lambda c: c.name,
)
def test_every_kind_of_column_plots_at_the_fixed_size(column) -> None:  # type: ignore[no-untyped-def]
    assert png_size(plot_png(column)) == IMAGE_SIZE


@pytest.mark.slow  # 2 PNGs
def test_json_nulls_plot(tmp_path: Path) -> None:
    result = make_result([make_infinite_feature(), make_empty_current_feature()], with_model=False)
    again = RunResult.from_json(result.to_json())  # infinite quantiles become null
    written = write_plots(again, tmp_path)
    assert len(written) == 2


@pytest.mark.slow  # 10 PNGs
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


@pytest.mark.slow  # a subprocess
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


@pytest.mark.slow  # 50 PNGs
def test_fifty_plots_are_all_written(tmp_path: Path) -> None:
    names = [f"feature_{i:02d}" for i in range(50)]
    features = [
        make_feature(n, Severity.WARNING, psi=0.2, shift=0.5,
                     type_="categorical" if i % 5 == 0 else "numerical")
        for i, n in enumerate(names)
    ]
    written = write_plots(make_result(features, with_model=False), tmp_path)
    assert len(written) == 50 and len(list(tmp_path.glob("*.png"))) == 50


@pytest.mark.slow  # 18 PNGs, twice
def test_plots_drawn_by_several_processes_are_the_bytes_one_process_draws(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from driftscope.outputs import png

    features = [make_feature(f"feature_{i:02d}", Severity.WARNING, psi=0.2, shift=0.1 * i,
                             type_="categorical" if i % 4 == 0 else "numerical")
                for i in range(18)]
    result = make_result(features, with_model=False)
    if sys.platform.startswith("linux"):
        assert png.plot_workers(17) == min(len(os.sched_getaffinity(0)), 4, 5)
    assert png.plot_workers(png.PLOTS_PER_WORKER - 1) == 1  # too few to fork for
    monkeypatch.setattr(png, "plot_workers", lambda plots: 3)  # whatever this machine has
    parallel = write_plots(result, tmp_path / "parallel")
    monkeypatch.setattr(png, "plot_workers", lambda plots: 1)
    serial = write_plots(result, tmp_path / "serial")
    assert parallel == serial and len(serial) == 18
    for name in serial.values():
        assert (tmp_path / "parallel" / name).read_bytes() == (tmp_path / "serial" / name
                                                               ).read_bytes()


@pytest.mark.slow  # 4 PNGs
def test_an_error_in_a_drawing_process_reaches_the_caller(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from driftscope.outputs import png

    features = [make_feature(f"f{i}", Severity.WARNING, psi=0.2) for i in range(4)]
    monkeypatch.setattr(png, "plot_workers", lambda plots: 2)
    parent, real = os.getpid(), png.write_bytes

    def refuse(path: Path, data: bytes) -> None:
        if os.getpid() != parent:  # only the forked drawing process fails
            raise OSError(f"disk full writing {path.name}")
        real(path, data)

    monkeypatch.setattr(png, "write_bytes", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_plots(make_result(features, with_model=False), tmp_path)


# -- the pool started before the round -------------------------------------------------------
needs_fork = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the pool forks: Linux only")


@needs_fork
@pytest.mark.slow  # 10 PNGs, twice
def test_a_pool_draws_the_bytes_the_caller_draws_and_ends_with_close(tmp_path: Path) -> None:
    from driftscope.outputs.png import PlotPool

    features = [make_feature(f"feature_{i}", Severity.WARNING, psi=0.2, shift=0.2 * i,
                             type_="categorical" if i % 3 == 0 else "numerical")
                for i in range(10)]
    result = make_result(features, with_model=False)
    pool = PlotPool.start()
    assert pool is not None and pool._process.is_alive()
    with pool:
        pooled = write_plots(result, tmp_path / "pool", pool=pool)
        again = write_plots(result, tmp_path / "again", pool=pool)  # one pool, several rounds
    assert not pool._process.is_alive()
    here = write_plots(result, tmp_path / "here")
    assert pooled == again == here and len(here) == 10
    for name in here.values():
        expected = (tmp_path / "here" / name).read_bytes()
        assert (tmp_path / "pool" / name).read_bytes() == expected
        assert (tmp_path / "again" / name).read_bytes() == expected


@needs_fork
def test_an_error_in_the_pool_reaches_the_caller(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from driftscope.outputs import png

    def broken(self: object, column: object) -> bytes:
        raise ValueError("cannot draw this column")

    monkeypatch.setattr(png._Painter, "png", broken)  # before the fork: the pool has it too
    result = make_result([make_feature("f", Severity.WARNING, psi=0.2)], with_model=False)
    with png.PlotPool.start() as pool:  # type: ignore[union-attr]
        with pytest.raises(ValueError, match="cannot draw this column"):
            write_plots(result, tmp_path, pool=pool)


@needs_fork
def test_a_pool_whose_process_is_gone_draws_in_the_caller(tmp_path: Path) -> None:
    from driftscope.outputs.png import PlotPool

    result = make_result([make_feature("f", Severity.WARNING, psi=0.2)], with_model=False)
    pool = PlotPool.start()
    assert pool is not None
    pool._process.kill()
    pool._process.join()
    written = write_plots(result, tmp_path, pool=pool)
    assert (tmp_path / written["f"]).read_bytes() == plot_png(result.features[0])
    pool.close()


@needs_fork
def test_a_pool_process_killed_while_drawing_is_an_error_not_a_hang(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from driftscope.outputs import png

    def die(self: object, column: object) -> bytes:
        os._exit(9)

    monkeypatch.setattr(png._Painter, "png", die)
    result = make_result([make_feature("f", Severity.WARNING, psi=0.2)], with_model=False)
    with png.PlotPool.start() as pool:  # type: ignore[union-attr]
        with pytest.raises(RuntimeError, match="stopped before it was done"):
            write_plots(result, tmp_path, pool=pool)
