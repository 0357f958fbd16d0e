"""The dashboard snapshot: plain data in, plain data out, everything else refused."""

from __future__ import annotations

import dataclasses
import os
import pickle
from pathlib import Path
from typing import Any

import pytest

from driftscope.errors import InputError
from driftscope.outputs.snapshot import SNAPSHOT_NAME, read_snapshot, write_snapshot
from driftscope.result import RunResult
from tests.factories import make_result

PLAIN = (dict, list, str, int, float, bool, type(None))


def assert_plain(value: Any) -> None:
    assert isinstance(value, PLAIN), type(value)
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str)
            assert_plain(item)
    elif isinstance(value, list):
        for item in value:
            assert_plain(item)


def test_round_trip(tmp_path: Path) -> None:
    result = make_result(run_id="r3")
    path = write_snapshot(result, tmp_path / SNAPSHOT_NAME)
    assert path == tmp_path / SNAPSHOT_NAME
    data = read_snapshot(path)
    assert_plain(data)
    assert data["format"] == "driftscope.dashboard_snapshot"
    assert data["snapshot_version"] == 1
    assert RunResult.from_dict(data["result"]) == result
    assert data["history"] == []  # kept for readers of version 1; the store holds the rounds


def test_folder_path_uses_the_standard_name(tmp_path: Path) -> None:
    written = write_snapshot(make_result(), tmp_path)
    assert written == tmp_path / SNAPSHOT_NAME
    assert read_snapshot(tmp_path)["result"]["run"]["id"] == "run-1"


def test_the_pickle_itself_references_no_global(tmp_path: Path) -> None:
    import pickletools

    path = write_snapshot(make_result(), tmp_path / SNAPSHOT_NAME)
    opcodes = {op.name for op, _, _ in pickletools.genops(path.read_bytes())}
    assert not opcodes & {"GLOBAL", "STACK_GLOBAL", "REDUCE", "BUILD", "INST", "OBJ", "NEWOBJ"}


def test_a_setting_that_is_not_plain_data_is_refused_and_the_previous_file_kept(
    tmp_path: Path,
) -> None:
    path = write_snapshot(make_result(run_id="old"), tmp_path / SNAPSHOT_NAME)
    odd = dataclasses.replace(make_result(run_id="new"), settings={"when": object()})
    with pytest.raises(ValueError, match=r"result.settings.when is a object"):
        write_snapshot(odd, path)
    assert read_snapshot(path)["result"]["run"]["id"] == "old"
    assert [p.name for p in tmp_path.iterdir()] == [SNAPSHOT_NAME]  # no temp files left


class Sneaky:
    """Pickles as a call to os.system: what a tampered snapshot could hold."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


class Custom:
    def __init__(self) -> None:
        self.value = 1


def test_a_pickle_calling_os_system_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / SNAPSHOT_NAME
    path.write_bytes(pickle.dumps({"format": "driftscope.dashboard_snapshot",
                                   "payload": Sneaky(marker)}))  # fmt: skip
    with pytest.raises(InputError) as info:
        read_snapshot(path)
    message = str(info.value)
    assert "refers to posix.system" in message or "refers to os.system" in message
    assert "plain data only" in message
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_a_pickle_with_a_custom_class_is_refused(tmp_path: Path, protocol: int) -> None:
    path = tmp_path / SNAPSHOT_NAME
    path.write_bytes(pickle.dumps({"result": Custom()}, protocol=protocol))
    with pytest.raises(InputError, match="refused the dashboard snapshot") as info:
        read_snapshot(path)
    # protocols 0 and 1 name the class through copyreg; later ones name it directly
    expected = "copy_reg._reconstructor" if protocol < 2 else "tests.outputs.test_snapshot.Custom"
    assert f"refers to {expected}" in str(info.value)


def test_even_harmless_builtins_by_reference_are_refused(tmp_path: Path) -> None:
    path = tmp_path / SNAPSHOT_NAME
    path.write_bytes(pickle.dumps({"x": {1, 2}}, protocol=1))  # protocol 1 sets use builtins.set
    with pytest.raises(InputError, match=r"refers to __builtin__\.set"):
        read_snapshot(path)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "not a valid snapshot"),
        (b"\x80\x04garbage", "not a valid snapshot"),
        (pickle.dumps([1, 2, 3]), "not a driftscope dashboard snapshot"),
        (pickle.dumps({"format": "driftscope.dashboard_snapshot", "snapshot_version": 99}),
         "has version 99"),
    ],
)  # fmt: skip
def test_broken_or_foreign_files_are_clear_errors(tmp_path: Path, content: bytes,
                                                  words: str) -> None:  # fmt: skip
    path = tmp_path / SNAPSHOT_NAME
    path.write_bytes(content)
    with pytest.raises(InputError, match=words):
        read_snapshot(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the dashboard snapshot"):
        read_snapshot(tmp_path / "nope.pkl")
