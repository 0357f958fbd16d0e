"""Where a history lives: the default location, URLs and paths, masked passwords."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftscope.errors import HistoryError
from driftscope.store import HistoryStore, default_history_path, default_history_url, mask_url
from tests.store.helpers import result_at


def test_default_history_url_is_sqlite_next_to_the_assets() -> None:
    assert default_history_url("assets") == "sqlite:///assets/driftscope_history.db"
    assert default_history_url(Path("/srv/out")) == "sqlite:////srv/out/driftscope_history.db"


def test_plain_file_path_and_sqlite_url_reach_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with HistoryStore(path) as s:
        s.record(result_at(1))
    with HistoryStore(f"sqlite:///{path}") as s:
        assert [r.run_id for r in s.runs()] == ["run-001"]
    assert path.exists()


def test_mask_url_hides_passwords() -> None:
    assert mask_url("postgresql://bob:s3cret@db:5432/mon") == "postgresql://bob:***@db:5432/mon"
    assert mask_url("postgresql://bob:p@ss@db/mon") == "postgresql://bob:***@db/mon"
    assert mask_url("postgresql://bob@db/mon") == "postgresql://bob@db/mon"
    assert mask_url("/var/lib/history.db") == "/var/lib/history.db"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("", "empty"),
        ("mysql://bob:s3cret@db/mon", "unsupported database 'mysql'"),
        ("postgresql://bob:s3cret@[::1", "is not a database URL"),
        ("sqlite:////no/such/folder/h.db", "folder /no/such/folder does not exist"),
        ("/no/such/folder/h.db", "folder /no/such/folder does not exist"),
    ],
)
def test_bad_urls_are_one_line_history_errors(url: str, words: str) -> None:
    with pytest.raises(HistoryError) as info:
        HistoryStore(url)
    message = str(info.value)
    assert words in message
    assert "\n" not in message
    assert "s3cret" not in message


def test_per_run_output_folders_share_the_history_of_their_parent(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    for name in ("2026-01-05", "20260105T0800", "2026-W02", "42"):
        assert default_history_path(runs / name) == runs / "driftscope_history.db", name
    assert default_history_path(runs / "2026" / "01" / "05") == runs / "driftscope_history.db"
    assert default_history_path(tmp_path / "reports") == tmp_path / "reports" / (
        "driftscope_history.db")  # a named folder keeps its own
    kept = runs / "2026-01-05" / "driftscope_history.db"
    kept.parent.mkdir(parents=True)
    kept.touch()  # a history already there keeps being used
    assert default_history_path(runs / "2026-01-05") == kept


def test_the_dashboard_default_is_where_rounds_are_recorded(tmp_path: Path) -> None:
    out = tmp_path / "runs" / "2026-01-05"
    assert default_history_url(out) == f"sqlite:///{default_history_path(out).as_posix()}"
    assert default_history_url(out) == f"sqlite:///{(tmp_path / 'runs').as_posix()}/" \
                                       "driftscope_history.db"
