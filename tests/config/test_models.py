"""The configuration model: defaults, validation, per-feature overrides and coverage."""

from __future__ import annotations

import argparse

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from driftscope.config import FeatureOverride, MonitoringConfig, Thresholds
from driftscope.errors import ConfigError

# Which test in tests/test_cli.py shows that each field changes what a user sees. Adding a
# field without a test showing its effect fails test_every_field_has_an_effect_test.
FIELD_TESTS = {
    "reference": "test_paths_from_yaml_are_relative_to_the_yaml",
    "current": "test_paths_from_yaml_are_relative_to_the_yaml",
    "baseline": "test_paths_from_yaml_are_relative_to_the_yaml",
    "out": "test_paths_from_yaml_are_relative_to_the_yaml",
    "model": "test_model_and_metadata",
    "metadata": "test_model_and_metadata",
    "target": "test_target",
    "feature_engineering": "test_feature_engineering",
    "proba_column": "test_proba_and_prediction_columns",
    "prediction_column": "test_proba_and_prediction_columns",
    "positive_class": "test_positive_class",
    "timestamp_column": "test_timestamp_column_sets_the_window",
    "model_trusted_types": "test_model_trusted_types",
    "columns": "test_column_fields",
    "ignore": "test_column_fields",
    "categorical": "test_column_fields",
    "numerical": "test_column_fields",
    "max_value_bins": "test_column_fields",
    "thresholds": "test_each_threshold_moves_the_status",
    "features": "test_feature_overrides",
    "significance": "test_significance_and_its_guard",
    "significance_guard": "test_significance_and_its_guard",
    "performance": "test_performance_thresholds",
    "estimation": "test_enabled_false_turns_estimation_off",
    "run_status": "test_run_status_and_drift_share",
    "drift_share_warning": "test_run_status_and_drift_share",
    "drift_share_critical": "test_run_status_and_drift_share",
    "psi_pvalue_draws": "test_psi_pvalue_draws_and_seed",
    "seed": "test_psi_pvalue_draws_and_seed",
    "fail_on": "test_fail_on",
    "plots": "test_plots",
    "plot_limit": "test_plot_limit",
    "labels": "test_labels",
    "reference_predictions": "test_reference_predictions_and_oof_folds",
    "oof_folds": "test_reference_predictions_and_oof_folds",
    "html": "test_html",
    "progress": "test_progress",
    "workers": "test_workers",
    "backend": "test_streaming_gives_the_local_report_to_the_last_digit",
    "ks": "test_approximate_ks_states_its_error_bound_and_keeps_every_count",
    "batch_rows": "test_batch_rows_sets_the_batches_the_streaming_backend_reads",
    "spark_master": "test_spark_master_chooses_the_session",
    "trend": "test_trend_over_chunked_rounds",
    "plot_features": "test_plot_features_on_request",
    "max_categories": "test_max_categories_and_identifiers_keep_long_tails_honest",
    "persistence": "test_persistence_over_chunked_rounds",
    # late labels and notifications (tests/test_labels.py, tests/test_notify.py)
    "id_column": "test_driftscope_labels_command",
    "notifications": "test_driftscope_run_notifies_after_recording",
    "notifications_deadline_seconds":
        "test_a_hanging_receiver_delays_the_round_at_most_the_deadline",
    # the pipeline's contract, drift impact, multivariate drift (tests/model, tests/engine)
    "pipeline_contract": "test_round_contract_gives_findings_and_the_switch_turns_it_off",
    "impact": "test_rows_repeats_and_enabled_reach_the_baseline",
    "multivariate": "test_every_setting_has_an_effect",
    # driftscope serve (tests/service)
    "service": "test_a_body_over_max_request_bytes_is_refused_with_413",
}

# The same for the flags of ``run`` and ``baseline``.
FLAG_TESTS = {
    "run": {
        "--reference": "test_reference_and_current_in_any_format",
        "--current": "test_reference_and_current_in_any_format",
        "--current-sql": "test_sql_flags_equal_the_config_and_change_the_report",
        "--reference-sql": "test_sql_flags_equal_the_config_and_change_the_report",
        "--sql-url": "test_sql_flags_equal_the_config_and_change_the_report",
        "--sql-url-env": "test_url_from_the_environment_and_the_source_recorded",
        "--config": "test_flags_win_over_yaml",
        "--model": "test_performance_thresholds",
        "--metadata": "test_performance_thresholds",
        "--target": "test_flag_equals_its_yaml_field_and_changes_the_report",
        "--positive-class": "test_positive_class",
        "--feature-engineering": "test_feature_engineering",
        "--proba-column": "test_flag_equals_its_yaml_field_and_changes_the_report",
        "--prediction-column": "test_flag_equals_its_yaml_field_and_changes_the_report",
        "--timestamp-column": "test_flag_equals_its_yaml_field_and_changes_the_report",
        "--categorical": "test_flag_equals_its_yaml_field_and_changes_the_report",
        "--ignore": "test_flag_equals_its_yaml_field_and_changes_the_report",
        "--significance": "test_flag_equals_its_yaml_field_and_changes_the_report",
        "--seed": "test_flag_equals_its_yaml_field_and_changes_the_report",
        "--workers": "test_workers",
        "--backend": "test_backend_and_ks_flags_reach_the_round",
        "--ks": "test_backend_and_ks_flags_reach_the_round",
        "--spark-master": "test_spark_master_chooses_the_session",
        "--progress": "test_progress",
        "--no-progress": "test_progress",
        "--baseline": "test_baseline_then_run_equals_a_raw_run",
        "--out": "test_flags_win_over_yaml",
        "--fail-on": "test_fail_on",
        "--plots": "test_plots",
        "--plot-limit": "test_plot_limit",
        "--history-init": "test_a_foreign_database_as_history_needs_history_init",
        "--plot": "test_plot_features_on_request",
        "--no-html": "test_html",
        "--history": "test_history_and_no_history",
        "--no-history": "test_history_and_no_history",
        "--chunk-by": "test_chunks",
        "--chunk-size": "test_chunks",
        "--quiet": "test_quiet_and_version",
        "--id-column": "test_driftscope_labels_command",
        "--metrics-file": "test_run_writes_the_rounds_metrics",
    },
    "baseline": {
        "--reference": "test_baseline_flags",
        "--reference-sql": "test_a_baseline_from_a_query_then_a_round_on_a_query",
        "--sql-url": "test_a_baseline_from_a_query_then_a_round_on_a_query",
        "--sql-url-env": "test_a_baseline_from_a_query_then_a_round_on_a_query",
        "--config": "test_baseline_flags",
        "--model": "test_baseline_model_metadata_positive_class_and_feature_engineering",
        "--metadata": "test_baseline_model_metadata_positive_class_and_feature_engineering",
        "--positive-class": "test_baseline_model_metadata_positive_class_and_feature_engineering",
        "--feature-engineering":
            "test_baseline_model_metadata_positive_class_and_feature_engineering",
        "--target": "test_baseline_flags",
        "--proba-column": "test_baseline_flags",
        "--prediction-column": "test_baseline_flags",
        "--timestamp-column": "test_baseline_flags",
        "--categorical": "test_baseline_flags",
        "--ignore": "test_baseline_flags",
        "--backend": "test_a_baseline_built_with_the_streaming_backend_is_the_local_one",
        "--spark-master": "test_a_baseline_built_on_spark_measures_like_a_local_one",
        "--workers": "test_workers",
        "--progress": "test_progress_of_the_baseline_command",
        "--no-progress": "test_progress_of_the_baseline_command",
        "--out": "test_baseline_then_run_equals_a_raw_run",
    },
    "serve": {  # tests/service/test_command.py
        "--baseline": "test_the_server_listens_where_the_flags_say_with_the_config_token",
        "--store": "test_the_server_listens_where_the_flags_say_with_the_config_token",
        "--host": "test_the_server_listens_where_the_flags_say_with_the_config_token",
        "--port": "test_the_server_listens_where_the_flags_say_with_the_config_token",
        "--config": "test_the_server_listens_where_the_flags_say_with_the_config_token",
    },
}


# Fields inside a section (``section.field``) added since the registry above, with the test
# (``module:test``) showing each one's effect; the section itself is covered in FIELD_TESTS.
NESTED_FIELD_TESTS = {
    "trend.min_level":
        "tests.classify.test_history_policy:test_a_trend_needs_a_level_that_matters_trend_min_level",
    "estimation.enabled":
        "tests.engine.test_estimation_round:test_enabled_false_turns_estimation_off",
    "estimation.calibration":
        "tests.engine.test_estimation_round:test_calibration_setting_is_stored_in_the_baseline",
    "estimation.band_sigmas": "tests.engine.test_estimation_round:test_band_sigmas_sets_the_width",
    "impact.enabled":
        "tests.model.test_importance:test_rows_repeats_and_enabled_reach_the_baseline",
    "impact.rows": "tests.model.test_importance:test_rows_repeats_and_enabled_reach_the_baseline",
    "impact.repeats":
        "tests.model.test_importance:test_rows_repeats_and_enabled_reach_the_baseline",
    "impact.weigh_status":
        "tests.model.test_importance:test_weigh_status_caps_unimportant_critical_features",
    "impact.min_importance_share":
        "tests.model.test_importance:test_weigh_status_caps_unimportant_critical_features",
    "multivariate.enabled": "tests.engine.test_multivariate:"
        "test_the_round_reports_it_in_the_json_the_html_and_the_baseline",
    "multivariate.rows": "tests.engine.test_multivariate:test_every_setting_has_an_effect",
    "multivariate.folds": "tests.engine.test_multivariate:test_every_setting_has_an_effect",
    "multivariate.auc_warning": "tests.engine.test_multivariate:test_every_setting_has_an_effect",
    "multivariate.auc_critical":
        "tests.engine.test_multivariate:test_every_setting_has_an_effect",
    "multivariate.pca_variance":
        "tests.engine.test_multivariate:test_every_setting_has_an_effect",
    "multivariate.pca_sigmas": "tests.engine.test_multivariate:test_every_setting_has_an_effect",
    "service.token": "tests.service.test_command:"
        "test_the_server_listens_where_the_flags_say_with_the_config_token",
    "service.max_request_bytes":
        "tests.service.test_app:test_a_body_over_max_request_bytes_is_refused_with_413",
    "service.every_minutes": "tests.service.test_server:"
        "test_a_scheduled_round_runs_by_itself_and_waits_for_min_rows",
    "service.cron": "tests.service.test_command:test_the_schedule_gives_the_next_round_time",
    "service.min_rows": "tests.service.test_server:"
        "test_a_scheduled_round_runs_by_itself_and_waits_for_min_rows",
}


def test_every_nested_field_named_has_an_effect_test() -> None:
    import importlib

    for dotted, where in NESTED_FIELD_TESTS.items():
        section, name = dotted.split(".")
        assert section in FIELD_TESTS
        model = MonitoringConfig.model_fields[section].annotation
        assert name in model.model_fields, dotted  # type: ignore[union-attr]
        module, test = where.split(":")
        assert callable(getattr(importlib.import_module(module), test, None)), where


def _test_names() -> set[str]:
    import tests.backends.test_spark_round as spark
    import tests.engine.test_streaming_round as streaming
    import tests.inputs.test_sql as sql
    import tests.test_cli as module
    import tests.test_labels as labels
    import tests.test_notify as notify
    from tests.engine import test_estimation_round as estimation
    from tests.engine import test_multivariate as multivariate
    from tests.model import test_contract as contract
    from tests.model import test_importance as importance
    from tests.service import test_app as service_app
    from tests.service import test_command as service_command
    from tests.service import test_metrics_file as metrics_file

    return {n for m in (module, streaming, sql, spark, labels, notify, estimation,
                        multivariate, contract, importance, metrics_file, service_app,
                        service_command)
            for n in dir(m) if n.startswith("test_")}


def test_every_field_has_an_effect_test() -> None:
    assert set(MonitoringConfig.model_fields) == set(FIELD_TESTS)
    assert set(FIELD_TESTS.values()) <= _test_names()


@pytest.mark.parametrize("command", sorted(FLAG_TESTS))
def test_every_flag_has_an_effect_test(command: str) -> None:
    from driftscope.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    flags = {opt for action in sub.choices[command]._actions for opt in action.option_strings
             if opt.startswith("--") and opt != "--help"}
    assert flags == set(FLAG_TESTS[command])
    assert set(FLAG_TESTS[command].values()) <= _test_names()


def test_defaults_follow_the_spec() -> None:
    cfg = MonitoringConfig()
    t = cfg.thresholds
    assert (t.psi_warning, t.psi_critical) == (0.1, 0.25)
    assert (t.missing_warning, t.missing_critical) == (0.05, 0.20)
    assert (t.unseen_warning, t.unseen_critical) == (0.01, 0.05)
    assert cfg.significance == 0.01 and cfg.significance_guard is True
    assert cfg.psi_pvalue_draws == 2000 and cfg.seed == 0
    assert cfg.max_value_bins == 20 and cfg.out == "assets"
    assert (cfg.plots, cfg.html, cfg.progress, cfg.run_status) == ("drifted", True, "auto",
                                                                   "worst")


def test_config_is_immutable() -> None:
    cfg = MonitoringConfig()
    with pytest.raises(ValidationError):
        cfg.seed = 3  # type: ignore[misc]
    with pytest.raises(ValidationError):
        cfg.thresholds.psi_warning = 0.5  # type: ignore[misc]


@pytest.mark.parametrize("values", [
    {"thresholds": {"psi_warning": 0.3}},  # above the default critical 0.25
    {"thresholds": {"missing_warning": 0.5, "missing_critical": 0.4}},
    {"thresholds": {"unseen_critical": 0.001}},
    {"features": {"x*": {"unseen_warning": 0.2, "unseen_critical": 0.1}}},
    {"performance": {"warning": 0.3, "critical": 0.2}},
    {"drift_share_warning": 0.6},
    {"significance": 0},
    {"significance": 1},
    {"psi_pvalue_draws": 10},
    {"max_value_bins": 0},
    {"workers": 0},
    {"plots": "some"},
    {"fail_on": "normal"},
    {"progress": "sometimes"},
    {"run_status": "average"},
    {"thresholds": {"psi_warning": -1}},
    {"thresholds": {"missing_critical": 1.5}},
])
def test_impossible_values_are_refused(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        MonitoringConfig(**values)  # type: ignore[arg-type]


def test_thresholds_for_merges_overrides_in_file_order() -> None:
    cfg = MonitoringConfig(features={
        "*": FeatureOverride(psi_critical=0.5),
        "inc*": FeatureOverride(psi_warning=0.2),
        "income": FeatureOverride(psi_warning=0.3),
    })
    assert cfg.thresholds_for("income") == Thresholds(psi_warning=0.3, psi_critical=0.5)
    assert cfg.thresholds_for("incomplete") == Thresholds(psi_warning=0.2, psi_critical=0.5)
    assert cfg.thresholds_for("age") == Thresholds(psi_critical=0.5)


def test_names_with_glob_characters_match_literally() -> None:
    cfg = MonitoringConfig(features={"score[1]": FeatureOverride(enabled=False)},
                           ignore=["rate*"])
    assert not cfg.is_enabled("score[1]")  # as a glob, [1] would only match "score1"
    assert cfg.is_enabled("score1") is False  # ... which the glob also matches
    assert cfg.is_enabled("score2")
    assert not cfg.is_enabled("rate*") and not cfg.is_enabled("rates")


def test_matching_is_case_sensitive() -> None:
    cfg = MonitoringConfig(ignore=["Age"])
    assert cfg.is_enabled("age") and not cfg.is_enabled("Age")


def test_ignore_wins_over_an_enabled_override() -> None:
    cfg = MonitoringConfig(ignore=["a*"], features={"age": FeatureOverride(enabled=True)})
    assert not cfg.is_enabled("age")


def test_overrides_that_combine_into_an_impossible_pair() -> None:
    # each override is valid with the defaults; together they cross for "ab"
    cfg = MonitoringConfig(features={
        "a*": FeatureOverride(psi_warning=0.2, psi_critical=0.9),
        "*b": FeatureOverride(psi_critical=0.15),
    })
    assert cfg.thresholds_for("ax").psi_critical == 0.9
    with pytest.raises(ConfigError, match="'ab'.*psi_warning must not exceed psi_critical"):
        cfg.thresholds_for("ab")
    # one override on top of the defaults can break the rule too
    cfg = MonitoringConfig(features={"age": FeatureOverride(psi_warning=0.5)})
    with pytest.raises(ConfigError, match="'age'.*set both levels"):
        cfg.thresholds_for("age")
    assert cfg.thresholds_for("income") == Thresholds()


@given(st.dictionaries(st.sampled_from(["psi", "missing", "unseen"]),
                       st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1))
def test_any_ordered_pair_is_accepted(pairs: dict[str, tuple[float, float]]) -> None:
    values = {}
    for kind, (a, b) in pairs.items():
        values[f"{kind}_warning"], values[f"{kind}_critical"] = min(a, b), max(a, b)
    t = Thresholds(**values)
    cfg = MonitoringConfig(features={"*": FeatureOverride(**values)})
    assert cfg.thresholds_for("x") == t


def test_the_policy_a_round_recorded_resolves_thresholds_as_the_round_did() -> None:
    cfg = MonitoringConfig(thresholds={"psi_warning": 0.2, "psi_critical": 0.3},
                           features={"inc*": {"psi_critical": 0.5}, "a[1]": {"psi_warning": 0.05}})
    settings = {"thresholds": cfg.thresholds.model_dump(),
                "overrides": {k: v.model_dump(exclude_none=True) for k, v in cfg.features.items()}}
    again = MonitoringConfig.from_round_settings(settings)
    for column in ("income", "age", "a[1]", "a1"):
        assert again.thresholds_for(column) == cfg.thresholds_for(column)
    assert MonitoringConfig.from_round_settings({}).thresholds_for("x") == Thresholds()
