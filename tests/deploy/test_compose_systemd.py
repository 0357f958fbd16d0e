"""The docker-compose and systemd examples hang together: files they mount exist, the
service's command line is one ``driftscope serve`` accepts, ports are published on loopback
only, and Prometheus and Grafana point at the right places.

Docker itself is not run here (no daemon in CI); the systemd unit is checked with
``systemd-analyze verify`` where systemd is installed.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from driftscope.cli_parser import build_parser

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = DEPLOY / "compose"
USER_MADE = {"./baseline", "./driftscope.token"}  # created by the user, as the header says


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((COMPOSE / "docker-compose.yml").read_text(encoding="utf-8")))


def _serve(argv: list[str]) -> Any:
    ns = build_parser().parse_args(argv)
    assert ns.command == "serve"
    return ns


def test_compose_mounts_existing_files_and_publishes_on_loopback(compose: dict[str, Any]) -> None:
    header = (COMPOSE / "docker-compose.yml").read_text(encoding="utf-8").split("\nname:")[0]
    assert set(compose["services"]) == {"driftscope", "prometheus", "grafana"}
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith("."):
                assert source in compose["volumes"], (name, volume)  # a named volume
            elif source in USER_MADE:
                assert f"deploy/compose/{source[2:]}" in header  # the header says how
            else:
                assert (COMPOSE / source).exists(), (name, volume)
    for secret in compose["secrets"].values():
        assert secret["file"] in USER_MADE
    build = compose["services"]["driftscope"]["build"]
    assert (COMPOSE / build["context"] / build["dockerfile"]).is_file()
    assert (COMPOSE / build["context"] / "pyproject.toml").is_file()


def test_compose_runs_a_serve_command_prometheus_scrapes(compose: dict[str, Any]) -> None:
    command = compose["services"]["driftscope"]["command"]
    ns = _serve(command)
    targets = {v.split(":")[1] for v in compose["services"]["driftscope"]["volumes"]}
    assert ns.baseline in targets and ns.store in targets
    # the image's default command is the same
    dockerfile = (COMPOSE / "Dockerfile").read_text(encoding="utf-8")
    (cmd,) = re.findall(r"^CMD (\[.*\])$", dockerfile, flags=re.M)
    assert json.loads(cmd) == command
    assert "/run/secrets/driftscope_token" in dockerfile
    prom = yaml.safe_load((COMPOSE / "prometheus.yml").read_text(encoding="utf-8"))
    (job,) = prom["scrape_configs"]
    assert job["static_configs"][0]["targets"] == [f"driftscope:{ns.port}"]
    assert job["authorization"]["credentials_file"] == "/run/secrets/driftscope_token"
    mounted = [v.split(":")[1] for v in compose["services"]["prometheus"]["volumes"]]
    assert prom["rule_files"][0] in mounted


def test_compose_grafana_loads_the_dashboard_from_prometheus(compose: dict[str, Any]) -> None:
    provisioning = DEPLOY / "grafana" / "provisioning"
    source = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text("utf-8"))
    (ds,) = source["datasources"]
    assert ds["type"] == "prometheus" and ds["url"] == "http://prometheus:9090"
    assert "127.0.0.1:9090:9090" in compose["services"]["prometheus"]["ports"]
    boards = yaml.safe_load((provisioning / "dashboards" / "driftscope.yml").read_text("utf-8"))
    (provider,) = boards["providers"]
    mounts = [v.split(":")[1] for v in compose["services"]["grafana"]["volumes"]]
    assert f"{provider['options']['path']}/driftscope.json" in mounts


def _exec_start() -> list[str]:
    unit = (DEPLOY / "systemd" / "driftscope.service").read_text(encoding="utf-8")
    (line,) = re.findall(r"^ExecStart=(.*)$", unit, flags=re.M)
    return shlex.split(line)


def test_the_systemd_unit_serves_on_loopback_where_prometheus_scrapes() -> None:
    argv = _exec_start()
    assert argv[0].endswith("/driftscope")
    ns = _serve(argv[1:])
    assert ns.host == "127.0.0.1"
    prom = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text("utf-8"))
    assert prom["scrape_configs"][0]["static_configs"][0]["targets"] == [f"127.0.0.1:{ns.port}"]


@pytest.mark.slow  # systemd-analyze
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    analyze, driftscope = shutil.which("systemd-analyze"), shutil.which("driftscope")
    if analyze is None or driftscope is None:
        pytest.skip("systemd-analyze or the driftscope command is not installed")
    unit = (DEPLOY / "systemd" / "driftscope.service").read_text(encoding="utf-8")
    unit = unit.replace(f"ExecStart={_exec_start()[0]}", f"ExecStart={driftscope}")
    path = tmp_path / "driftscope.service"  # the installed command in place of /opt/...
    path.write_text(unit, encoding="utf-8")
    done = subprocess.run([analyze, "verify", str(path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    # and it can fail: a misspelled setting is reported
    path.write_text(unit.replace("Restart=on-failure", "Restart=sometimes"), encoding="utf-8")
    done = subprocess.run([analyze, "verify", str(path)], capture_output=True, text=True,
                          timeout=120)
    assert "sometimes" in done.stderr
