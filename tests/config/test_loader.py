"""Reading monitoring.yaml and merging it with flags: paths, precedence and one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftscope.config import MonitoringConfig, load_config
from driftscope.config.loader import build_config
from driftscope.errors import ConfigError


def write(path: Path, values: Any) -> Path:
    path.write_text(yaml.safe_dump(values, allow_unicode=True), encoding="utf-8")
    return path


def test_no_file_and_no_flags_gives_the_defaults() -> None:
    assert load_config() == MonitoringConfig()


def test_an_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("# nothing set yet\n")
    assert load_config(tmp_path / "empty.yaml") == MonitoringConfig()


def test_relative_paths_resolve_against_the_yaml_folder(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    cfg = load_config(write(tmp_path / "conf" / "m.yaml", {
        "reference": "data/ref.parquet", "current": "../cur.csv", "baseline": "bl",
        "model": "model.joblib", "metadata": "meta.yaml", "out": "reports",
    }))
    base = (tmp_path / "conf").resolve()
    assert cfg.reference == str(base / "data" / "ref.parquet")
    assert cfg.current == str(base / ".." / "cur.csv")
    assert cfg.baseline == str(base / "bl")
    assert cfg.model == str(base / "model.joblib")
    assert cfg.metadata == str(base / "meta.yaml")
    assert cfg.out == str(base / "reports")


def test_absolute_paths_and_urls_are_kept(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path / "m.yaml", {
        "reference": "/data/ref.parquet", "current": "s3://bucket/cur.parquet"}))
    assert cfg.reference == "/data/ref.parquet"
    assert cfg.current == "s3://bucket/cur.parquet"


def test_flag_paths_stay_relative_to_the_working_folder(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path / "m.yaml", {"current": "a.csv"}), {"current": "b.csv"})
    assert cfg.current == "b.csv"


def test_flags_win_and_none_flags_are_ignored(tmp_path: Path) -> None:
    path = write(tmp_path / "m.yaml", {"seed": 1, "ignore": ["a"], "significance": 0.05})
    cfg = load_config(path, {"seed": 2, "ignore": ["b"], "significance": None})
    assert (cfg.seed, cfg.ignore, cfg.significance) == (2, ["b"], 0.05)


def test_nested_settings_from_yaml(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path / "m.yaml", {
        "thresholds": {"psi_warning": 0.2, "psi_critical": 0.4},
        "features": {"amount_*": {"psi_critical": 0.6, "enabled": True}, "id": {"enabled": False}},
        "performance": {"warning": 0.02, "critical": 0.04},
    }))
    assert cfg.thresholds_for("amount_eur").psi_critical == 0.6
    assert cfg.thresholds_for("other").psi_warning == 0.2
    assert not cfg.is_enabled("id")
    assert cfg.performance.critical == 0.04


@pytest.mark.parametrize(("values", "expected"), [
    ({"signficance": 0.05}, "m.yaml: unknown key 'signficance' (did you mean 'significance'?); "
                            "valid keys: backend, baseline"),
    ({"thresholds": {"psi_warn": 0.1}},
     "unknown key 'thresholds.psi_warn' (did you mean 'psi_warning'?); valid keys: "
     "missing_critical, missing_warning"),
    ({"features": {"age": {"psi_warn": 0.1}}},
     "unknown key 'features.age.psi_warn' (did you mean 'psi_warning'?); valid keys: enabled, "
     "missing_critical"),
    ({"trend": {"windw": 9}}, "unknown key 'trend.windw' (did you mean 'window'?); valid keys"),
    ({"Plots": "all"}, "unknown key 'Plots' (did you mean 'plots'?)"),
    ({"colour": "red"}, "unknown key 'colour'; valid keys: backend, baseline"),  # nothing close
    ({"performance": {"auc": 0.1}}, "unknown key 'performance.auc'; valid keys: critical, warning"),
    ({"notifications": [{"type": "webhook", "url": "http://a", "retires": 1}]},
     "unknown key 'notifications.0.retires' (did you mean 'retries'?); valid keys: "
     "levels, retries, timeout_seconds, type, url, url_env"),  # an item of a list of settings
    ({"seed": "one"}, "m.yaml: field 'seed': Input should be a valid integer"),
    ({"columns": "age"}, "field 'columns': Input should be a valid list (got 'age')"),
    ({"features": {"age": 3}}, "field 'features.age'"),
    ({"thresholds": {"psi_warning": 0.5}}, "field 'thresholds': psi_warning must not exceed"),
    ({"drift_share_warning": 0.9}, "m.yaml: drift_share_warning must not exceed"),
    ({1: 2}, "unknown key 1 (keys must be text); valid keys: backend, baseline"),
])
def test_errors_name_the_file_and_the_key(tmp_path: Path, values: dict[Any, Any],
                                          expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path / "m.yaml", values))
    message = str(info.value)
    assert expected in message and "\n" not in message


def test_an_error_from_a_flag_names_the_flag(tmp_path: Path) -> None:
    path = write(tmp_path / "m.yaml", {"workers": 2})
    with pytest.raises(ConfigError, match=r"^command line: flag '--workers': .*greater"):
        load_config(path, {"workers": 0})
    with pytest.raises(ConfigError, match=r"^command line: flag '--max-value-bins'"):
        build_config({"max_value_bins": 0}, "config", {"max_value_bins"})


@pytest.mark.parametrize(("text", "expected"), [
    ("a: [1, 2\n", "not valid YAML (line 2)"),
    ("- a\n- b\n", "expected a mapping"),
    ("\xff\xfe", "not valid YAML"),
])
def test_unreadable_files(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert expected in str(info.value) and "m.yaml" in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")


KEYS = [*MonitoringConfig.model_fields, "unknown", "thresholds.x"]
LEAF = st.one_of(st.none(), st.booleans(), st.integers(-5, 5000), st.floats(allow_nan=True),
                 st.text(max_size=5))
VALUES = st.recursive(LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6)


@pytest.mark.slow  # 200 Hypothesis examples
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=4))
def test_any_yaml_mapping_builds_or_gives_one_line(values: dict[str, Any]) -> None:
    try:
        cfg = build_config(values, "m.yaml")
    except ConfigError as err:
        assert "\n" not in str(err) and str(err).startswith("m.yaml: ")
    else:
        assert isinstance(cfg, MonitoringConfig)
