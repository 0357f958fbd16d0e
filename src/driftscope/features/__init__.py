"""The feature-engineering hook: the same transformation as at training time.

Named in the config as ``package.module:function`` (DataFrame in, DataFrame out) or as the path
of a fitted scikit-learn transformer (``.joblib``/``.pkl``/``.skops``). It is applied identically
to reference and current.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from driftscope.errors import ArtifactError

FeatureFn = Callable[[pd.DataFrame], pd.DataFrame]
TRANSFORMER_SUFFIXES = (".joblib", ".pkl", ".pickle", ".skops")


def load_feature_engineering(spec: str, trusted_types: list[str] | None = None) -> FeatureFn:
    """Resolve ``spec`` into a function DataFrame -> DataFrame."""
    if spec.lower().endswith(TRANSFORMER_SUFFIXES):
        from driftscope.model.loading import load_pickled

        obj = load_pickled(spec, "feature_engineering", trusted_types)
        if not hasattr(obj, "transform"):
            raise ArtifactError(
                f"{spec}: the object has no transform(); feature_engineering must be a fitted "
                "scikit-learn transformer or 'module:function'"
            )
        return _wrap_transformer(obj, spec)
    if ":" not in spec:
        raise ArtifactError(
            f"feature_engineering: {spec!r} is neither 'package.module:function' nor a "
            f"transformer file ({', '.join(TRANSFORMER_SUFFIXES)})"
        )
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as err:  # noqa: BLE001 - any import failure is the user's module
        raise ArtifactError(
            f"feature_engineering: cannot import module {module_name!r} "
            f"({err.__class__.__name__}: {err}); check the name and that it is installed"
        ) from None
    fn = module
    for part in attr.split("."):
        fn = getattr(fn, part, None)  # type: ignore[assignment]
        if fn is None:
            raise ArtifactError(
                f"feature_engineering: module {module_name!r} has no attribute {attr!r}"
            )
    if not callable(fn):
        raise ArtifactError(f"feature_engineering: {spec!r} is not callable")

    def named(df: pd.DataFrame) -> pd.DataFrame:
        return fn(df)  # type: ignore[operator,no-any-return]

    named.__name__ = spec  # errors name the full 'module:function'
    return named


def _wrap_transformer(obj: Any, spec: str) -> FeatureFn:
    def apply(df: pd.DataFrame) -> pd.DataFrame:
        out = obj.transform(df)
        if isinstance(out, pd.DataFrame):
            return out
        try:
            names = list(obj.get_feature_names_out())
        except Exception:  # noqa: BLE001
            names = [f"f{i}" for i in range(out.shape[1])]
        if hasattr(out, "toarray"):
            out = out.toarray()
        return pd.DataFrame(out, columns=[str(n) for n in names], index=df.index)

    apply.__name__ = Path(spec).name
    return apply


def apply_feature_engineering(fn: FeatureFn, df: pd.DataFrame, side: str) -> pd.DataFrame:
    """Run ``fn`` on a copy of ``df``; any failure is an ArtifactError naming the side."""
    name = getattr(fn, "__name__", repr(fn))
    try:
        out = fn(df.copy())
    except Exception as err:  # noqa: BLE001 - user code may raise anything
        msg = str(err).splitlines()[0] if str(err) else ""
        raise ArtifactError(
            f"feature engineering {name!r} failed on the {side} data: "
            f"{err.__class__.__name__}: {msg}; fix the function or the data"
        ) from None
    if not isinstance(out, pd.DataFrame):
        raise ArtifactError(
            f"feature engineering {name!r} returned {type(out).__name__} for the {side} data; "
            "it must return a pandas DataFrame"
        )
    if len(out) != len(df):
        raise ArtifactError(
            f"feature engineering {name!r} changed the number of {side} rows "
            f"({len(df)} → {len(out)}); it must keep one output row per input row"
        )
    out.columns = [str(c) for c in out.columns]
    return out
