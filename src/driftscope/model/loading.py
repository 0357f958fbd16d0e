"""Loading a fitted model.

joblib / pickle files run code when loaded: driftscope only loads a path the user named.
``.skops`` files are loaded with skops' trusted-types check: types outside skops' safe set must
be listed in ``model_trusted_types`` after the user has checked them.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from driftscope.errors import ArtifactError


def load_pickled(path: str, what: str, trusted_types: list[str] | None = None) -> Any:
    p = Path(path)
    if not p.is_file():
        raise ArtifactError(f"{p}: {what} file not found; check the path")
    if p.stat().st_size == 0:
        raise ArtifactError(f"{p}: the {what} file is empty; save it again")
    if p.suffix.lower() == ".skops":
        try:
            import skops.io as sio
        except ImportError:
            raise ArtifactError(
                f"{p}: loading .skops files needs skops: pip install 'driftscope[skops]'"
            ) from None
        try:
            untrusted = sio.get_untrusted_types(file=p)
        except Exception as err:  # noqa: BLE001
            raise ArtifactError(f"{p}: not a readable skops file ({err.__class__.__name__}); "
                                "save the model again") from None
        extra = [t for t in untrusted if t not in set(trusted_types or [])]
        if extra:
            raise ArtifactError(
                f"{p}: the skops file uses types outside the trusted set: {', '.join(extra)}; "
                "check them and list them under model_trusted_types in the config"
            )
        try:
            return sio.load(p, trusted=list(untrusted))
        except Exception as err:  # noqa: BLE001
            raise ArtifactError(f"{p}: cannot load the skops file ({err.__class__.__name__}: "
                                f"{err})") from None
    try:
        import joblib

        return joblib.load(p)
    except (pickle.UnpicklingError, EOFError, ValueError, KeyError, IndexError, TypeError,
            OSError) as err:
        raise ArtifactError(
            f"{p}: the {what} file is corrupted or not a joblib/pickle file "
            f"({err.__class__.__name__}); save it again with joblib.dump"
        ) from None
    except (ModuleNotFoundError, AttributeError, ImportError) as err:
        raise ArtifactError(
            f"{p}: the {what} needs code that is not importable here ({err}); install the "
            "package the model was trained with"
        ) from None


def load_model(path: str, trusted_types: list[str] | None = None) -> Any:
    """Load a fitted estimator; it must have ``predict`` and ``predict_proba``."""
    model = load_pickled(path, "model", trusted_types)
    if not callable(getattr(model, "predict", None)):
        raise ArtifactError(
            f"{path}: the loaded {type(model).__name__} has no predict(); expected a fitted "
            "scikit-learn estimator or pipeline"
        )
    if not callable(getattr(model, "predict_proba", None)):
        raise ArtifactError(
            f"{path}: the loaded {type(model).__name__} has no predict_proba(); driftscope "
            "monitors predicted probabilities — use a probabilistic classifier, or log the "
            "probabilities and pass --proba-column instead of --model"
        )
    return model
