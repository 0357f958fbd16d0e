"""The feature-engineering hook: the same transformation as at training time.

Named in the config as ``package.module:function`` (DataFrame in, DataFrame out) or as the path
of a fitted scikit-learn transformer (``.joblib``/``.pkl``/``.skops``). It is applied identically
to reference and current.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from driftscope.errors import ArtifactError, DriftscopeError
from driftscope.usercode import describe, user_code

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
    module = _import_user_module(module_name)
    fn = module
    for part in attr.split("."):
        with user_code(f"feature_engineering: looking up {attr!r} in {module_name!r} failed"):
            fn = getattr(fn, part, None)
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


def _import_user_module(module_name: str) -> Any:
    """Import the user's module; like uvicorn, also look in the current working directory
    (``fe:engineer`` with ``fe.py`` next to the user works without PYTHONPATH=.)."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if not _is_the_module(err, module_name):  # the module imports something missing
            raise _import_error(module_name, err) from None
        first: BaseException = err
    except BaseException as err:  # noqa: BLE001 - any import failure is the user's module
        raise _import_error(module_name, err) from None
    cwd = os.getcwd()
    if cwd in sys.path or "" in sys.path:  # the current folder was searched already
        raise _import_error(module_name, first, missing=True) from None
    sys.path.insert(0, cwd)  # kept, as uvicorn does: the function may import its neighbours
    importlib.invalidate_caches()
    try:
        return importlib.import_module(module_name)
    except BaseException as again:  # noqa: BLE001 - even sys.exit() in the module
        sys.path.remove(cwd)
        missing = isinstance(again, ModuleNotFoundError) and _is_the_module(again, module_name)
        raise _import_error(module_name, again, missing=missing) from None


def _is_the_module(err: ModuleNotFoundError, module_name: str) -> bool:
    """Whether ``err`` is about ``module_name`` itself or a package above it (not about a
    module that the user's module imports)."""
    return err.name is not None and (module_name == err.name
                                     or module_name.startswith(err.name + "."))


def _import_error(module_name: str, err: BaseException, missing: bool = False) -> ArtifactError:
    if missing:
        hint = "is the module on PYTHONPATH? (the current folder was searched too)"
    elif isinstance(err, ModuleNotFoundError) and err.name:
        hint = f"it imports {err.name!r}, which is not installed"
    else:
        hint = "check the name and that it is installed"
    return ArtifactError(f"feature_engineering: cannot import module {module_name!r} "
                         f"({describe(err)}); {hint}")


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
    except DriftscopeError:
        raise
    except BaseException as err:  # noqa: BLE001 - user code may raise anything, even exit
        raise ArtifactError(
            f"feature engineering {name!r} failed on the {side} data: "
            f"{describe(err)}; fix the function or the data"
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
