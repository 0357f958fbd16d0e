"""``driftscope serve``: what it refuses before starting (one line, exit 2), the token's
sources, the schedule's times, and the flags of a started server."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from typing import Any

import httpx
import pytest

from driftscope.config.models import MonitoringConfig, ServiceSettings
from driftscope.errors import ConfigError
from driftscope.service.schedule import check_cron, next_time
from tests.service.conftest import AUTH, BODIES, TOKEN, TYPES, rows, write_config


def _serve(cli: Any, baseline: Path, tmp_path: Path, *extra: Any) -> Any:
    return cli("serve", "--baseline", baseline, "--store", tmp_path / "store",
               "--config", write_config(tmp_path), *extra)


def test_without_the_serve_extra_the_command_says_how_to_install(
        cli: Any, baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "fastapi" else real(name, *a))
    result = _serve(cli, baseline, tmp_path)
    assert result.code == 2
    assert result.err.strip() == ("driftscope serve needs fastapi: pip install "
                                  "'driftscope[serve]'")
    assert not (tmp_path / "store").exists()


def test_the_service_does_not_start_without_a_token(cli: Any, baseline: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRIFTSCOPE_TOKEN", raising=False)
    result = _serve(cli, baseline, tmp_path)
    assert result.code == 2 and "DRIFTSCOPE_TOKEN" in result.err
    assert len(result.err.strip().splitlines()) == 1
    monkeypatch.setenv("DRIFTSCOPE_TOKEN", "short")
    result = _serve(cli, baseline, tmp_path)
    assert result.code == 2 and "at least 16" in result.err


def test_the_environment_token_wins_over_the_config_token(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from driftscope.service.command import _token

    cfg = MonitoringConfig(service={"token": "from-the-config-0123"})
    monkeypatch.delenv("DRIFTSCOPE_TOKEN", raising=False)
    assert _token(cfg) == "from-the-config-0123"
    monkeypatch.setenv("DRIFTSCOPE_TOKEN", TOKEN)
    assert _token(cfg) == TOKEN


@pytest.mark.parametrize(("extra", "said"), [
    ((), "--baseline is required"),
    (("--port", "70000"), "--port must be 0 to 65535"),
])
def test_bad_arguments_are_one_line_and_exit_2(cli: Any, tmp_path: Path,
                                               baseline: Path, extra: tuple[str, ...],
                                               said: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTSCOPE_TOKEN", TOKEN)
    args = ["serve", "--store", tmp_path / "store", *extra]
    if extra:
        args += ["--baseline", baseline]
    result = cli(*args)
    assert result.code == 2 and said in result.err


def test_a_store_that_is_a_file_and_a_bad_cron_are_refused(
        cli: Any, baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTSCOPE_TOKEN", TOKEN)
    (tmp_path / "file").write_text("x")
    result = cli("serve", "--baseline", baseline, "--store", tmp_path / "file")
    assert result.code == 2 and "is a file" in result.err
    config = write_config(tmp_path, "service:\n  cron: '61 * * * *'\n")
    result = cli("serve", "--baseline", baseline, "--store", tmp_path / "store",
                 "--config", config)
    assert result.code == 2 and "service.cron" in result.err
    with pytest.raises(ConfigError):
        check_cron("* * * * mon-")


def test_the_schedule_gives_the_next_round_time() -> None:
    at = dt.datetime(2026, 1, 5, 10, 7, 30, tzinfo=dt.timezone.utc)
    assert next_time(ServiceSettings(), at) is None
    assert next_time(ServiceSettings(every_minutes=15), at) == at + dt.timedelta(minutes=15)
    assert next_time(ServiceSettings(cron="0 * * * *"), at) == at.replace(hour=11, minute=0,
                                                                         second=0)
    assert next_time(ServiceSettings(cron="*/10 9-17 * * mon-fri"), at) == \
        at.replace(minute=10, second=0)
    saturday = dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.timezone.utc)
    assert next_time(ServiceSettings(cron="*/10 9-17 * * mon-fri"), saturday) == \
        dt.datetime(2026, 1, 12, 9, 0, tzinfo=dt.timezone.utc)


def test_service_settings_are_validated() -> None:
    from pydantic import ValidationError

    for bad in ({"every_minutes": 5, "cron": "* * * * *"}, {"cron": "* * *"},
                {"every_minutes": 0}, {"max_request_bytes": 10}, {"token": "short"},
                {"min_rows": 0}, {"tokens": "x"}):
        with pytest.raises(ValidationError):
            ServiceSettings(**bad)


@pytest.mark.slow  # a server
def test_the_server_listens_where_the_flags_say_with_the_config_token(
        server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    srv = server("service:\n  token: config-token-0123456789\n",
                 env={"DRIFTSCOPE_TOKEN": ""})
    assert srv.url.startswith("http://127.0.0.1:")
    assert httpx.get(f"{srv.url}/v1/status", headers=AUTH).status_code == 401
    answer = httpx.get(f"{srv.url}/v1/status",
                       headers={"Authorization": "Bearer config-token-0123456789"})
    assert answer.status_code == 200 and answer.json()["rounds"] == 0
    assert (srv.store / "ingest.db").is_file()  # --store
    head = {"Authorization": "Bearer config-token-0123456789", "Content-Type": TYPES["json"]}
    ok = httpx.post(f"{srv.url}/v1/records", headers=head, content=BODIES["json"](rows(5, 1)))
    assert ok.status_code == 201
    # --baseline: its columns are the schema; --config: its target and timestamp are known
    other = httpx.post(f"{srv.url}/v1/records", headers=head,
                       content=BODIES["json"](rows(5, 1).assign(salary=1.0)))
    assert other.status_code == 422 and other.json()["column"] == "salary"
    assert f"serving on {srv.url}" in srv.log.read_text()


def test_a_second_service_on_the_same_store_is_refused(service: Any, tmp_path: Path) -> None:
    from driftscope.cli_errors import UsageError

    first = service()
    with pytest.raises(UsageError, match="used by another driftscope serve"):
        service()
    first.close()
    service().close()  # free again once the first is closed


def test_a_port_in_use_is_one_line_and_exit_2_and_touches_no_store(
        cli: Any, baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    monkeypatch.setenv("DRIFTSCOPE_TOKEN", TOKEN)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = _serve(cli, baseline, tmp_path, "--host", "127.0.0.1", "--port", port)
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        f"driftscope serve: cannot listen on 127.0.0.1:{port}: Address already in use; stop "
        "the process that holds it or choose another --port"]
    assert not (tmp_path / "store").exists()  # refused before the store was created


def test_listen_binds_the_port_the_system_chooses_for_port_0() -> None:
    from driftscope.cli_errors import UsageError
    from driftscope.service.command import listen

    sock = listen("127.0.0.1", 0)
    try:
        port = sock.getsockname()[1]
        assert port > 0
        sock.listen(1)  # as the server does
        with pytest.raises(UsageError, match=f"cannot listen on 127.0.0.1:{port}"):
            listen("127.0.0.1", port)  # the same port again: taken
    finally:
        sock.close()


@pytest.mark.slow  # a baseline with predictions
def test_serve_warns_at_start_when_the_baselines_model_is_not_in_the_config(
        baseline: Path, tmp_path: Path) -> None:
    import numpy as np

    from driftscope.baseline import load_baseline
    from driftscope.cli import main
    from driftscope.service.command import no_model_warning

    frame = rows(600, seed=3)
    frame["proba"] = np.random.default_rng(3).random(len(frame))
    frame.to_parquet(tmp_path / "ref.parquet", index=False)
    assert main(["baseline", "--reference", str(tmp_path / "ref.parquet"), "--target",
                 "status", "--proba-column", "proba", "--positive-class", "bad", "--out",
                 str(tmp_path / "bl"), "--no-progress"]) == 0
    with_predictions = load_baseline(str(tmp_path / "bl"))
    said = no_model_warning(with_predictions, MonitoringConfig())
    assert said is not None and "add 'model: model.joblib'" in said
    assert no_model_warning(with_predictions, MonitoringConfig(proba_column="proba")) is None
    assert no_model_warning(with_predictions, MonitoringConfig(model="m.joblib")) is None
    # a baseline without predictions: nothing to say
    assert no_model_warning(load_baseline(str(baseline)), MonitoringConfig()) is None
