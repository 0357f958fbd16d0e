"""What a round checks before it measures: the config, the columns it may monitor, and that the
baseline was built with the same model, target and feature engineering."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from driftscope.baseline import Baseline
from driftscope.config.loader import build_config, load_config
from driftscope.config.models import MonitoringConfig
from driftscope.engine.artifacts import Artifacts
from driftscope.errors import ConfigError
from driftscope.inputs.batches import BatchSource
from driftscope.limits import quoted
from driftscope.profile.spec import ColumnSpec


def resolve_config(config: Any, overrides: Mapping[str, Any]) -> MonitoringConfig:
    if config is None:
        return build_config({k: v for k, v in overrides.items() if v is not None})
    if isinstance(config, MonitoringConfig):
        if not overrides:
            return config
        merged = config.model_dump()
        merged.update({k: v for k, v in overrides.items() if v is not None})
        return build_config(merged)
    if isinstance(config, (str, os.PathLike)):
        return load_config(Path(config), dict(overrides))
    if isinstance(config, Mapping):
        merged = dict(config)
        merged.update({k: v for k, v in overrides.items() if v is not None})
        return build_config(merged)
    raise ConfigError(f"config: expected a MonitoringConfig, a mapping or a YAML path, got "
                      f"{type(config).__name__}")


def select_columns(bl: Baseline, cfg: MonitoringConfig) -> list[ColumnSpec]:
    """The baseline's raw columns this round monitors; settings that contradict the baseline
    (a type or binning it was not built with) are errors, not silently ignored."""
    from driftscope.config.models import matches

    specs = [s for s, _ in bl.by_origin("raw")]
    names = {s.name for s in specs}
    if cfg.columns is not None:
        absent = [c for c in cfg.columns if c not in names]
        if absent:
            where = bl.path or bl.source
            raise ConfigError(f"columns: {quoted(absent[0])} is not in the baseline ({where}); "
                              "rebuild the baseline to monitor it")
    built_bins = bl.settings.get("max_value_bins")
    if ("max_value_bins" in cfg.model_fields_set and built_bins is not None
            and cfg.max_value_bins != built_bins):
        raise ConfigError(f"max_value_bins: the baseline was built with {built_bins}; rebuild "
                          "it to change the binning")
    chosen = []
    for s in specs:
        if not cfg.is_enabled(s.name) or (cfg.columns is not None
                                          and s.name not in cfg.columns):
            continue
        if s.name == cfg.id_column:  # row ids are kept, never monitored
            continue
        for kind, patterns in (("categorical", cfg.categorical), ("numerical", cfg.numerical)):
            if s.type != kind and matches(s.name, patterns):
                raise ConfigError(f"{kind}: the baseline holds {quoted(s.name)} as {s.type}; "
                                  "rebuild the baseline with the new setting")
        chosen.append(s)
    return chosen


def check_baseline(bl: Baseline, cfg: MonitoringConfig, art: Artifacts) -> None:
    """Refuse a round whose model, target or feature engineering the baseline was not built
    with: its numbers would silently leave out or mismatch parts of the report."""
    where = bl.path or bl.source
    has_pred = bool(bl.by_origin("prediction", "predicted_class"))
    if (art.model is not None or cfg.proba_column or cfg.prediction_column) and not has_pred:
        raise ConfigError(f"the baseline {where} was built without a model or prediction "
                          "columns; rebuild it with the same --model / --proba-column to "
                          "monitor predictions")
    built_with = bl.settings.get("model_sha256")
    if art.model_path and built_with and art.model_sha256 != built_with:
        raise ConfigError(f"--model {art.model_path} is not the model the baseline {where} "
                          "was built with; rebuild the baseline with this model")
    target = art.target(cfg)
    if target and not bl.by_origin("target") and bl.settings.get("target") != target:
        raise ConfigError(f"the baseline {where} was built without --target {target}"
                          f"{' and monitors it as a feature' if bl.get('raw', target) else ''}; "
                          "rebuild it with --target")
    fe = bl.settings.get("feature_engineering")
    if (cfg.feature_engineering or None) != (fe or None) and (fe or cfg.feature_engineering):
        raise ConfigError(f"the baseline {where} was built with feature_engineering "
                          f"{fe or 'none'}; use the same one or rebuild the baseline")


def window(source: BatchSource, column: str | None) -> tuple[str | None, str | None]:
    """First and last time of the current data, from the timestamp column (batch by batch)."""
    if column is None:
        return None, None
    import pyarrow.compute as pc

    from driftscope.inputs.chunking import as_timestamp

    lo = hi = None
    names = [column] if column in source.schema.names else None
    for batch in source.batches(names):
        mm = pc.min_max(as_timestamp(batch, column))
        b_lo, b_hi = mm["min"].as_py(), mm["max"].as_py()
        lo = b_lo if lo is None or (b_lo is not None and b_lo < lo) else lo
        hi = b_hi if hi is None or (b_hi is not None and b_hi > hi) else hi
    return (None if lo is None else lo.isoformat(), None if hi is None else hi.isoformat())
