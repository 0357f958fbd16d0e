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
from driftscope.usercode import describe, user_code


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
        with user_code(f"{p}: cannot load the skops file"):
            return sio.load(p, trusted=list(untrusted))
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
            f"{p}: the {what} needs code that is not importable here ({describe(err)}); "
            "install the package the model was trained with"
        ) from None
    except BaseException as err:  # noqa: BLE001 - unpickling runs the file's code
        raise ArtifactError(f"{p}: loading the {what} failed ({describe(err)}); check the "
                            "file and the code it needs") from None


def load_model(path: str, trusted_types: list[str] | None = None) -> Any:
    """Load a fitted estimator; it must have ``predict`` and ``predict_proba``."""
    model = load_pickled(path, "model", trusted_types)
    with user_code(f"{path}: the loaded model cannot be inspected"):
        has_predict = callable(getattr(model, "predict", None))
        has_proba = callable(getattr(model, "predict_proba", None))
    if not has_predict:
        raise ArtifactError(
            f"{path}: the loaded {type(model).__name__} has no predict(); expected a fitted "
            "scikit-learn estimator or pipeline"
        )
    if not has_proba:
        raise ArtifactError(
            f"{path}: the loaded {type(model).__name__} has no predict_proba(); driftscope "
            "monitors predicted probabilities — use a probabilistic classifier, or log the "
            "probabilities and pass --proba-column instead of --model"
        )
    return model
