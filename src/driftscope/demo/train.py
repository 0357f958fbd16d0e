"""Train the demo credit-default model and write its artifacts.

``train_demo(out_dir)`` generates the reference population, applies
:func:`driftscope.demo.features.engineer`, fits a scikit-learn pipeline on 75 % of the rows,
measures it on the other 25 % and writes three files into ``out_dir``:

``model.joblib``
    The fitted pipeline. It takes the *engineered* frame (the output of ``engineer``) and
    selects the columns it reads itself, so extra columns (the target, the date) are fine.
    Loading a joblib file runs code: load only files you trust.
``data_referencia.csv``
    The *raw* reference population (every generated row, with ``default`` and
    ``application_date``); the monitoring round applies ``engineer`` itself.
``metadata.yaml``
    Model metadata in the format of SPEC.md, with the holdout metrics as ``baseline``.

Every file is written to a temp file first and then renamed into place.

Command line::

    python -m driftscope.demo.train --out DIR [--rows 20000] [--seed 42]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import yaml
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from driftscope.demo.features import (
    CATEGORICAL_FEATURES,
    MODEL_FEATURES,
    NUMERIC_FEATURES,
    engineer,
)
from driftscope.demo.population import POSITIVE_CLASS, TARGET, generate_population
from driftscope.errors import ConfigError
from driftscope.outputs.atomic import atomic_open, write_text

__all__ = [
    "FEATURE_ENGINEERING",
    "METADATA_FILE",
    "MODEL_FILE",
    "MODEL_NAME",
    "MODEL_VERSION",
    "REFERENCE_FILE",
    "DemoArtifacts",
    "build_pipeline",
    "evaluate",
    "main",
    "plain_categories",
    "train_demo",
]

MODEL_FILE = "model.joblib"
REFERENCE_FILE = "data_referencia.csv"
METADATA_FILE = "metadata.yaml"
MODEL_NAME = "credit-default"
MODEL_VERSION = "1.0.0"
FEATURE_ENGINEERING = "driftscope.demo.features:engineer"
"""Import path of the demo's feature engineering, as a monitoring config names it."""

_HOLDOUT_SHARE = 0.25


@dataclass(frozen=True)
class DemoArtifacts:
    """Where the demo artifacts live, and the baseline measured when they were trained.

    Parameters
    ----------
    out_dir
        Folder holding the three files.
    model, reference, metadata
        Paths of ``model.joblib``, ``data_referencia.csv`` and ``metadata.yaml``.
    baseline
        Holdout metrics of the positive class "bad" (empty when only located, not trained).
    """

    out_dir: Path
    model: Path
    reference: Path
    metadata: Path
    baseline: Mapping[str, float] = field(default_factory=lambda: types.MappingProxyType({}))

    @classmethod
    def in_dir(cls, out_dir: str | Path) -> DemoArtifacts:
        """Locate the artifact paths in ``out_dir`` (whether or not the files exist).

        Parameters
        ----------
        out_dir
            Folder of the artifacts.

        Returns
        -------
        DemoArtifacts
            The paths, with an empty ``baseline``.
        """
        root = Path(out_dir)
        return cls(root, root / MODEL_FILE, root / REFERENCE_FILE, root / METADATA_FILE)

    @property
    def complete(self) -> bool:
        """True when all three files exist."""
        return all(p.is_file() for p in (self.model, self.reference, self.metadata))


def plain_categories(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as Python objects with ``NaN`` for missing values.

    The first step of the model's categorical branch: frames read with nullable or Arrow
    dtypes carry ``pd.NA``, which scikit-learn's imputer cannot compare.

    Parameters
    ----------
    frame
        The categorical columns of an engineered frame.

    Returns
    -------
    pandas.DataFrame
        Same values, ``object`` dtype, ``numpy.nan`` where a value is missing.
    """
    values = frame.astype(object)
    return values.where(frame.notna(), np.nan)


def build_pipeline(seed: int = 42) -> Pipeline:
    """The unfitted demo model: column selection, imputation, scaling, one-hot, logistic.

    Parameters
    ----------
    seed
        Random state of the classifier (kept for reproducibility of solvers that use it).

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``features`` (a ``ColumnTransformer`` over :data:`MODEL_FEATURES`; other
        columns are dropped) and ``classifier`` (``LogisticRegression``).
    """
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical = make_pipeline(
        FunctionTransformer(plain_categories, feature_names_out="one-to-one"),
        SimpleImputer(strategy="constant", fill_value="missing"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    columns = ColumnTransformer(
        [
            ("numeric", numeric, list(NUMERIC_FEATURES)),
            ("categorical", categorical, list(CATEGORICAL_FEATURES)),
        ],
        remainder="drop",
    )
    classifier = LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    return Pipeline([("features", columns), ("classifier", classifier)])


def evaluate(model: Any, frame: pd.DataFrame) -> dict[str, float]:
    """Classification metrics of ``model`` on an engineered, labelled frame.

    Parameters
    ----------
    model
        Fitted classifier with ``predict`` and ``predict_proba`` and ``classes_``.
    frame
        Output of :func:`~driftscope.demo.features.engineer` with the target column.

    Returns
    -------
    dict of str to float
        ``accuracy``, ``precision``, ``recall``, ``f1`` (of the predicted class, positive
        class "bad"), ``roc_auc``, ``log_loss`` and ``brier`` (of the predicted probability of
        "bad").
    """
    truth = (frame[TARGET].astype(object) == POSITIVE_CLASS).to_numpy()
    proba = model.predict_proba(frame)[:, list(model.classes_).index(POSITIVE_CLASS)]
    predicted = np.asarray(model.predict(frame)).astype(object) == POSITIVE_CLASS
    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "precision": float(precision_score(truth, predicted, zero_division=0.0)),
        "recall": float(recall_score(truth, predicted, zero_division=0.0)),
        "f1": float(f1_score(truth, predicted, zero_division=0.0)),
        "roc_auc": float(roc_auc_score(truth, proba)),
        "log_loss": float(log_loss(truth, proba, labels=[False, True])),
        "brier": float(brier_score_loss(truth, proba)),
    }


def _metadata_text(baseline: Mapping[str, float], rows: int, seed: int) -> str:
    metadata = {
        "name": MODEL_NAME,
        "version": MODEL_VERSION,
        "trained_at": _dt.datetime.now(_dt.timezone.utc).date().isoformat(),
        "target": TARGET,
        "positive_class": POSITIVE_CLASS,
        "features": list(MODEL_FEATURES),
        "baseline": {k: round(v, 6) for k, v in baseline.items()},
    }
    header = (
        "# driftscope demo model: logistic regression on engineered credit applications.\n"
        f"# Reference: {rows} generated rows (seed {seed}); baseline measured on a "
        f"{int(_HOLDOUT_SHARE * 100)} % holdout.\n"
        f"# Feature engineering: {FEATURE_ENGINEERING}\n"
    )
    return header + yaml.safe_dump(metadata, sort_keys=False)


def train_demo(out_dir: str | Path, rows: int = 20_000, seed: int = 42) -> DemoArtifacts:
    """Generate the reference data, fit the demo model and write its three artifacts.

    Parameters
    ----------
    out_dir
        Folder to write into (created if needed). Existing artifacts are replaced.
    rows
        Size of the reference population (at least 200).
    seed
        Seed of the population, the holdout split and the model.

    Returns
    -------
    DemoArtifacts
        The written paths and the holdout metrics.

    Raises
    ------
    driftscope.errors.ConfigError
        When ``rows`` or ``seed`` is not usable.
    """
    if isinstance(rows, bool) or not isinstance(rows, (int, np.integer)) or rows < 200:
        raise ConfigError(f"rows must be an integer of at least 200, got {rows!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
    artifacts = DemoArtifacts.in_dir(out_dir)
    raw = generate_population(int(rows), int(seed))
    frame = engineer(raw)
    train, holdout = train_test_split(
        frame, test_size=_HOLDOUT_SHARE, random_state=int(seed), stratify=frame[TARGET]
    )
    model = build_pipeline(int(seed)).fit(train, train[TARGET])
    baseline = evaluate(model, holdout)

    artifacts.out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_open(artifacts.model, "wb") as fh:
        joblib.dump(model, fh)
    with atomic_open(artifacts.reference, "w") as fh:
        raw.to_csv(fh, index=False)
    write_text(artifacts.metadata, _metadata_text(baseline, int(rows), int(seed)))
    return DemoArtifacts(
        artifacts.out_dir,
        artifacts.model,
        artifacts.reference,
        artifacts.metadata,
        types.MappingProxyType(baseline),
    )


class _Parser(argparse.ArgumentParser):
    """Argument parser that raises :class:`ConfigError` instead of exiting."""

    def error(self, message: str) -> Any:  # pragma: no cover - exercised via main()
        raise ConfigError(f"{self.prog}: {message} (see --help)")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m driftscope.demo.train --out DIR [--rows N] [--seed S]``.

    Parameters
    ----------
    argv
        Arguments without the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        0 on success.

    Raises
    ------
    driftscope.errors.ConfigError
        On bad arguments.
    """
    parser = _Parser(
        prog="python -m driftscope.demo.train",
        description="Train the driftscope demo credit-default model and write its artifacts.",
    )
    parser.add_argument("--out", required=True, type=Path, help="folder for the artifacts")
    parser.add_argument("--rows", type=int, default=20_000, help="reference rows (default 20000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    artifacts = train_demo(args.out, rows=args.rows, seed=args.seed)
    metrics = ", ".join(f"{k} {v:.3f}" for k, v in artifacts.baseline.items())
    print(f"wrote {artifacts.model}, {artifacts.reference}, {artifacts.metadata}")
    print(f"holdout: {metrics}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
