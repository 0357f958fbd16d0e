"""The shipped Prometheus files: the alert rules pass ``promtool check rules`` and their unit
tests (``promtool test rules``), and the scrape configs pass ``promtool check config``.

Marked ``prometheus``: without Debian's ``prometheus`` package (promtool) these tests fail;
``.ci/run`` installs it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "driftscope-rules.yml"
RULE_TESTS = DEPLOY / "prometheus" / "driftscope-rules.test.yml"


def promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool is not on PATH: apt-get install prometheus (Debian's package; "
                    ".ci/run installs it)")
    return subprocess.run([binary, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_the_rules_are_valid() -> None:
    done = promtool("check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 5 rules found" in done.stdout


def test_the_rule_unit_tests_pass() -> None:
    done = promtool("test", "rules", RULE_TESTS.name, cwd=RULE_TESTS.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_alert_has_a_unit_test() -> None:
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"]}
    tests = yaml.safe_load(RULE_TESTS.read_text(encoding="utf-8"))
    tested = {case["alertname"] for t in tests["tests"] for case in t["alert_rule_test"]
              if case.get("exp_alerts")}  # a test where it fires, not only one where it does not
    assert alerts == tested == {"DriftscopeFeatureWarning", "DriftscopeFeatureCritical",
                                "DriftscopeRoundCritical", "DriftscopeSilentFeed",
                                "DriftscopeNoRecentRound"}


@pytest.mark.parametrize("change", [
    ("> 15 * 60", "> 10 * 60"),  # the silent feed after 10 minutes instead of 15
    ("driftscope_feature_status == 2", "driftscope_feature_status >= 1"),  # WARNING pages
    ("and on(job, instance) driftscope_last_received_timestamp_seconds)", ")"),  # other jobs
])
def test_the_unit_tests_catch_a_changed_rule(tmp_path: Path, change: tuple[str, str]) -> None:
    """The rule tests can fail: each of these edits of the rules breaks them."""
    text = RULES.read_text(encoding="utf-8")
    assert change[0] in text
    (tmp_path / RULES.name).write_text(text.replace(change[0], change[1]), encoding="utf-8")
    shutil.copy(RULE_TESTS, tmp_path)
    assert promtool("check", "rules", RULES.name, cwd=tmp_path).returncode == 0
    done = promtool("test", "rules", RULE_TESTS.name, cwd=tmp_path)
    assert done.returncode != 0 and "FAILED" in done.stdout + done.stderr


@pytest.mark.parametrize("config, rules_at", [
    (DEPLOY / "prometheus" / "prometheus.yml", "driftscope-rules.yml"),
    (DEPLOY / "compose" / "prometheus.yml", "/etc/prometheus/driftscope-rules.yml"),
])
def test_the_scrape_configs_are_valid(tmp_path: Path, config: Path, rules_at: str) -> None:
    """Checked whole (rule files and the token file included), with the paths the config
    names moved into a temporary folder."""
    syntax = promtool("check", "config", "--syntax-only", str(config))
    assert syntax.returncode == 0, syntax.stdout + syntax.stderr
    parsed = yaml.safe_load(config.read_text(encoding="utf-8"))
    assert parsed["rule_files"] == [rules_at]
    (job,) = parsed["scrape_configs"]
    assert job["job_name"] == "driftscope" and job["authorization"]["type"] == "Bearer"
    token = job["authorization"]["credentials_file"]
    (tmp_path / "token").write_text("secret-token-0123456789", encoding="utf-8")
    shutil.copy(RULES, tmp_path / "driftscope-rules.yml")
    text = (config.read_text(encoding="utf-8").replace(token, str(tmp_path / "token"))
            .replace(rules_at, str(tmp_path / "driftscope-rules.yml")))
    (tmp_path / "prometheus.yml").write_text(text, encoding="utf-8")
    done = promtool("check", "config", str(tmp_path / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 5 rules found" in done.stdout + done.stderr
