"""Train the demo credit-default model and write its artifacts.

``train_demo(out_dir)`` generates the reference population, applies
:func:`driftscope.demo.features.engineer`, measures the model by 5-fold cross-validation
(every reference row is scored once by a model that did not see it), fits the final
scikit-learn pipeline on all rows and writes three files into ``out_dir``:

``model.joblib``
    The fitted pipeline. It takes the *engineered* frame (the output of ``engineer``) and
    selects the columns it reads itself, so extra columns (the target, the date) are fine.
    Loading a joblib file runs code: load only files you trust.
``data_referencia.csv``
    The *raw* reference population (every generated row, with ``default`` and
    ``application_date``); the monitoring round applies ``engineer`` itself.
``metadata.yaml``
    Model metadata in the format of SPEC.md, with the cross-validated holdout metrics as
    ``baseline``. Out-of-fold predictions over all rows use four times the rows of a single
    25 % holdout (half its standard error), so production batches are not compared with a
    lucky split.

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
import yaml
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from driftscope.demo.features import MODEL_FEATURES, engineer
from driftscope.demo.model import build_pipeline, metrics
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
    "main",
    "train_demo",
]

MODEL_FILE = "model.joblib"
REFERENCE_FILE = "data_referencia.csv"
METADATA_FILE = "metadata.yaml"
MODEL_NAME = "credit-default"
MODEL_VERSION = "1.0.0"
FEATURE_ENGINEERING = "driftscope.demo.features:engineer"
"""Import path of the demo's feature engineering, as a monitoring config names it."""

_FOLDS = 5


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
        Cross-validated holdout metrics of the positive class "bad" (see
        :data:`driftscope.demo.model.METRICS`); empty when only located, not trained.
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
        f"{_FOLDS}-fold cross-validation (out-of-fold predictions).\n"
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
        Seed of the population, the cross-validation folds and the model.

    Returns
    -------
    DemoArtifacts
        The written paths and the cross-validated holdout metrics.

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
    folds = StratifiedKFold(_FOLDS, shuffle=True, random_state=int(seed))
    target = frame[TARGET].astype(object)
    out_of_fold = cross_val_predict(
        build_pipeline(int(seed)), frame, target, cv=folds, method="predict_proba"
    )
    classes = sorted(target.unique())
    proba = out_of_fold[:, classes.index(POSITIVE_CLASS)]
    baseline = metrics((target == POSITIVE_CLASS).to_numpy(), proba, proba >= 0.5)
    model = build_pipeline(int(seed)).fit(frame, target)

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
    print(f"baseline ({_FOLDS}-fold cross-validation): {metrics}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
