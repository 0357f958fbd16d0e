"""Realized performance on labelled current data, compared with the metadata's baseline.

Binary models (scikit-learn): accuracy, precision, recall, F1 (positive class), ROC AUC, log
loss and Brier score of the positive-class probability.

Multiclass models (more than two classes): ``accuracy`` (overall, all classes), ``macro_f1``
and ``weighted_f1`` (F1 averaged over the classes, unweighted or weighted by their support),
``log_loss`` (from the full probability matrix), per-class precision, recall and F1, and the
confusion matrix. A baseline is compared only with the metric of the same definition: see
:func:`comparable_baseline`.

Relative change = (current − baseline) / baseline, sign-flipped for log loss and Brier (lower is
better), so a negative change is always a deterioration.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

LOWER_IS_BETTER = ("log_loss", "brier")
BINARY_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier")
"""What a binary model is measured by (for a multiclass model: the one-vs-rest numbers of the
positive class, reported per class)."""
MULTICLASS_METRICS = ("accuracy", "macro_f1", "weighted_f1", "log_loss")
"""What a multiclass model is measured by; ``accuracy`` and ``log_loss`` are the multiclass
definitions here (all classes, full probability matrix)."""
PVALUE_DRAWS = 2000
"""Bootstrap resamples behind the p-values of the confusion-matrix metrics."""
BOOTSTRAP_METRICS = ("accuracy", "precision", "recall", "f1", "macro_f1", "weighted_f1")
"""Metrics whose deterioration p-value is read off :data:`PVALUE_DRAWS` resamples (so it
resolves no finer than 1 / PVALUE_DRAWS)."""


MIN_POSITIVES = 10
"""Precision, recall and F1 are judged only on batches with at least this many positive
predictions (precision), positive labels (recall), or both (F1)."""


def label_text(value: object) -> str | None:
    """A class label as text: None for missing, integral floats without '.0' (1.0 -> '1')."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _labelled(
    y_true: NDArray[np.object_], proba: NDArray[np.float64] | None,
    label: NDArray[np.object_] | None, positive_class: str,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_] | None, NDArray[np.float64] | None]:
    """Rows with a label and a prediction: truth and predicted class as "is positive", and the
    probability of the positive class."""
    truth = [label_text(v) for v in y_true]
    known = np.array([t is not None for t in truth], dtype=bool)
    if proba is not None:
        known &= np.isfinite(proba)
    if label is not None:
        known &= np.array([label_text(v) is not None for v in label], dtype=bool)
    y = np.array([t == positive_class for t, k in zip(truth, known) if k], dtype=bool)
    pred = None
    if label is not None:
        pred = np.array([label_text(v) == positive_class for v in label[known]], dtype=bool)
    elif proba is not None:
        pred = proba[known] >= 0.5
    return y, pred, (None if proba is None else proba[known])


def compute_performance(
    y_true: NDArray[np.object_], proba: NDArray[np.float64] | None,
    label: NDArray[np.object_] | None, positive_class: str,
) -> tuple[dict[str, float | None], int]:
    """Metric values on the rows that have a label (and a prediction); and that row count."""
    from sklearn import metrics as skm

    y, pred, p = _labelled(y_true, proba, label, positive_class)
    n = int(y.shape[0])
    out: dict[str, float | None] = {}
    if n == 0:
        return {}, 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if pred is not None:
            out["accuracy"] = float(skm.accuracy_score(y, pred))
            out["precision"] = float(skm.precision_score(y, pred, zero_division=0))
            out["recall"] = float(skm.recall_score(y, pred, zero_division=0))
            out["f1"] = float(skm.f1_score(y, pred, zero_division=0))
        if p is not None:
            both = 0 < y.sum() < len(y)
            out["roc_auc"] = float(skm.roc_auc_score(y, p)) if both else None
            out["log_loss"] = float(skm.log_loss(y, p, labels=[False, True]))  # sklearn clips
            out["brier"] = float(skm.brier_score_loss(y, p))
    return out, n


def relative_change(name: str, current: float | None, baseline: float | None) -> float | None:
    if current is None or baseline is None or baseline == 0:
        return None
    change = (current - baseline) / abs(baseline)
    return -change if name in LOWER_IS_BETTER else change


def deterioration_pvalues(
    y_true: NDArray[np.object_], proba: NDArray[np.float64] | None,
    label: NDArray[np.object_] | None, positive_class: str,
    values: dict[str, float | None], baseline: dict[str, float], seed: int = 0,
    draws: int = PVALUE_DRAWS, reference_rows: int | None = None,
) -> dict[str, float]:
    """One-sided p-values that each metric is truly worse than its baseline.

    ``reference_rows``: the baseline was measured on that many labelled reference rows (not a
    holdout figure taken as exact): its own sampling noise widens every test by
    ``sqrt(1 + n / reference_rows)`` (equal per-row variance on both sides). Precision, recall
    and F1 rest on the positive predictions and positive labels: with fewer than
    :data:`MIN_POSITIVES` of either in the batch their drop is not judged (p = 1).

    - accuracy, precision, recall, F1: parametric bootstrap of the confusion matrix (multinomial
      on its four cells, ``draws`` resamples): p = share of resamples at least as good as the
      baseline, so only a drop larger than sampling noise is significant;
    - ROC AUC: Hanley & McNeil (1982) standard error at the baseline AUC, normal tail;
    - log loss, Brier: the mean of per-row losses, standard error std/sqrt(n), normal tail.
    """
    from scipy import stats

    y, pred, p = _labelled(y_true, proba, label, positive_class)
    n = int(y.shape[0])
    out: dict[str, float] = {}
    if n == 0:
        return out
    widen = float(np.sqrt(1.0 + n / reference_rows)) if reference_rows else 1.0
    if pred is not None:
        cells = np.array([np.sum(pred & y), np.sum(pred & ~y), np.sum(~pred & y),
                          np.sum(~pred & ~y)], dtype=float)
        predicted_pos, actual_pos = cells[0] + cells[1], cells[0] + cells[2]
        few = {"precision": predicted_pos < MIN_POSITIVES, "recall": actual_pos < MIN_POSITIVES,
               "f1": min(predicted_pos, actual_pos) < MIN_POSITIVES}
        rng = np.random.default_rng(seed)
        tp, fp, fn, tn = rng.multinomial(n, cells / n, size=draws).T.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            boot = {
                "accuracy": (tp + tn) / n,
                "precision": np.where(tp + fp > 0, tp / (tp + fp), 0.0),
                "recall": np.where(tp + fn > 0, tp / (tp + fn), 0.0),
                "f1": np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0),
            }
        for name, sample in boot.items():
            observed = values.get(name)
            if name in baseline and observed is not None:
                if few.get(name):
                    out[name] = 1.0
                    continue
                spread = observed + (sample - observed) * widen
                out[name] = float(np.mean(spread >= baseline[name]))
    if p is not None:
        n1, n2 = int(y.sum()), int((~y).sum())
        a = baseline.get("roc_auc")
        if a is not None and values.get("roc_auc") is not None and n1 and n2 and 0 < a < 1:
            q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
            se = widen * np.sqrt((a * (1 - a) + (n1 - 1) * (q1 - a * a)
                                  + (n2 - 1) * (q2 - a * a)) / (n1 * n2))
            out["roc_auc"] = float(stats.norm.cdf((values["roc_auc"] - a) / se))  # type: ignore[operator]
        eps = float(np.finfo(np.float64).eps)  # as scikit-learn's log_loss clips
        pc = np.clip(p, eps, 1 - eps)
        yf = y.astype(np.float64)
        losses = {"log_loss": -(yf * np.log(pc) + (1 - yf) * np.log(1 - pc)),
                  "brier": (p - yf) ** 2}
        for name, per_row in losses.items():
            b = baseline.get(name)
            if b is None or values.get(name) is None:
                continue
            se = widen * float(np.std(per_row, ddof=1) / np.sqrt(n)) if n > 1 else 0.0
            if se == 0:
                out[name] = 0.0 if float(np.mean(per_row)) > b else 1.0
            else:
                out[name] = float(stats.norm.sf((float(np.mean(per_row)) - b) / se))
    return out


# -- multiclass ----------------------------------------------------------------------------

def comparable_baseline(baseline: dict[str, float], multiclass: bool
                        ) -> tuple[dict[str, float], list[str]]:
    """The baseline metrics a model of this kind can be compared with, and the others.

    For a multiclass model ``accuracy`` and ``log_loss`` are the multiclass metrics (what
    ``model.score`` and ``log_loss`` on ``predict_proba`` give); precision, recall, F1, ROC AUC
    and Brier are binary (one-vs-rest) definitions with no multiclass counterpart here, so they
    are not compared. For a binary model, ``macro_f1`` / ``weighted_f1`` are not compared."""
    allowed = MULTICLASS_METRICS if multiclass else BINARY_METRICS
    kept = {k: v for k, v in baseline.items() if k in allowed}
    return kept, [k for k in baseline if k not in allowed]


def reference_definition_matches(values: Mapping[str, float | None], multiclass: bool) -> bool:
    """Whether performance measured on the reference (the fallback baseline) has the
    definitions of this round: a multiclass one carries ``macro_f1``/``weighted_f1`` and no
    binary-only metric; a binary one no multiclass-only metric. (A baseline saved by an older
    driftscope holds one-vs-rest numbers for a multiclass model.)"""
    names = {k for k, v in values.items() if v is not None}
    multi_only = set(MULTICLASS_METRICS) - set(BINARY_METRICS)
    binary_only = set(BINARY_METRICS) - set(MULTICLASS_METRICS)
    if multiclass:
        return bool(names & multi_only) and not names & binary_only
    return not names & multi_only


@dataclass(frozen=True, eq=False)
class MulticlassEvaluation:
    """Multiclass performance on the labelled rows, with what its p-values need.

    ``labels`` orders the confusion matrix: the model's classes, then labels that are not
    (sorted); ``confusion[i, j]`` counts rows of true label i predicted as label j (as
    ``sklearn.metrics.confusion_matrix``). ``losses`` are the per-row log losses of the rows
    whose label is a class of the model (None without a probability matrix)."""

    labels: tuple[str, ...]
    confusion: NDArray[np.int64]
    values: dict[str, float | None]
    per_class: dict[str, dict[str, float | int | None]]
    losses: NDArray[np.float64] | None = None

    @property
    def rows(self) -> int:
        return int(self.confusion.sum())


def _none_if_nan(value: float) -> float | None:
    return None if value != value else float(value)


def multiclass_performance(
    y_true: NDArray[np.object_], label: NDArray[np.object_] | None,
    matrix: NDArray[np.float64] | None, classes: Sequence[str],
) -> MulticlassEvaluation | None:
    """Multiclass metrics (scikit-learn) on the rows with a label and a predicted class.

    ``label``: the predicted classes (the class of the largest probability when only
    ``matrix`` is given); ``matrix``: probabilities, one column per entry of ``classes``.
    Labels that are not classes of the model count as wrong predictions (a class the model
    never predicts) and are left out of the log loss only. None when no row is labelled."""
    from sklearn import metrics as skm

    truth = np.asarray([label_text(v) for v in y_true], dtype=object)
    if label is None:
        if matrix is None:
            return None
        label = np.asarray([classes[i] for i in np.argmax(matrix, axis=1)], dtype=object)
    pred = np.asarray([label_text(v) for v in label], dtype=object)
    known = np.array([t is not None and q is not None for t, q in zip(truth, pred)], dtype=bool)
    if matrix is not None:
        known &= np.isfinite(matrix).all(axis=1)
    if not known.any():
        return None
    y, yhat = truth[known].astype(str), pred[known].astype(str)
    model_classes = [str(c) for c in classes]
    others = sorted((set(y) | set(yhat)) - set(model_classes))
    labels = model_classes + others
    values: dict[str, float | None] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values["accuracy"] = float(skm.accuracy_score(y, yhat))
        values["macro_f1"] = float(skm.f1_score(y, yhat, average="macro", zero_division=0))
        values["weighted_f1"] = float(skm.f1_score(y, yhat, average="weighted",
                                                   zero_division=0))
        precision, recall, f1, support = skm.precision_recall_fscore_support(
            y, yhat, labels=labels, zero_division=np.nan)
        confusion = skm.confusion_matrix(y, yhat, labels=labels).astype(np.int64)
    losses = None
    if matrix is not None:
        column = {c: j for j, c in enumerate(model_classes)}
        rows = np.array([t in column for t in y], dtype=bool)
        if rows.any():
            probs = matrix[known][rows, [column[t] for t in y[rows]]]
            eps = np.finfo(np.float64).eps  # as sklearn.metrics.log_loss clips
            losses = -np.log(np.clip(probs, eps, 1 - eps))
            values["log_loss"] = float(losses.mean())
        else:
            values["log_loss"] = None
    per_class: dict[str, dict[str, float | int | None]] = {
        c: {"precision": _none_if_nan(precision[i]), "recall": _none_if_nan(recall[i]),
            "f1": _none_if_nan(f1[i]), "support": int(support[i]),
            "predicted": int(confusion[:, i].sum())}
        for i, c in enumerate(labels)
    }
    return MulticlassEvaluation(labels=tuple(labels), confusion=confusion, values=values,
                                per_class=per_class, losses=losses)


def confusion_metrics(confusion: NDArray[np.int64]) -> dict[str, NDArray[np.float64]]:
    """accuracy, macro_f1 and weighted_f1 of confusion matrices (shape ``(..., K, K)``, rows
    true, columns predicted), as scikit-learn defines them: macro F1 averages over the labels
    that occur as truth or prediction, weighted F1 weights each label's F1 by its support."""
    cm = np.asarray(confusion, dtype=np.float64)
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    support = cm.sum(axis=-1)
    predicted = cm.sum(axis=-2)
    n = support.sum(axis=-1)
    denom = support + predicted  # = 2·TP + FP + FN
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1), 0.0)
        present = denom > 0
        return {
            "accuracy": tp.sum(axis=-1) / n,
            "macro_f1": f1.sum(axis=-1) / np.maximum(present.sum(axis=-1), 1),
            "weighted_f1": (f1 * support).sum(axis=-1) / n,
        }


MIN_CLASS_ROWS = 5
"""Macro F1 is judged only when every class of the batch has at least this many labelled rows."""


def multiclass_deterioration_pvalues(
    evaluation: MulticlassEvaluation, values: dict[str, float | None],
    baseline: dict[str, float], seed: int = 0, draws: int = PVALUE_DRAWS,
    reference_rows: int | None = None,
) -> dict[str, float]:
    """One-sided p-values that each multiclass metric is truly worse than its baseline
    (``reference_rows`` as in :func:`deterioration_pvalues`).

    - accuracy, macro F1, weighted F1: parametric bootstrap of the confusion matrix
      (multinomial on its K² cells, ``draws`` resamples): p = share of resamples at least as
      good as the baseline. Macro F1 of a small batch is biased low (an unweighted mean over
      classes of few rows), so its resamples are reflected first (basic bootstrap:
      2·observed − resample), which removes the bias the resamples show.
    - log loss: the mean of per-row losses, standard error std/sqrt(n), normal tail.

    Macro F1 weighs a class of two rows like one of two thousand: when a class of the batch
    (true or predicted) has fewer than :data:`MIN_CLASS_ROWS` labelled rows, its drop is not
    judged (p = 1): such a batch cannot tell a worse model from a few unlucky rows.
    """
    from scipy import stats

    out: dict[str, float] = {}
    n = evaluation.rows
    if n == 0:
        return out
    widen = float(np.sqrt(1.0 + n / reference_rows)) if reference_rows else 1.0
    support = evaluation.confusion.sum(axis=1)
    present = (support + evaluation.confusion.sum(axis=0)) > 0
    if "macro_f1" in baseline and bool((support[present] < MIN_CLASS_ROWS).any()):
        out["macro_f1"] = 1.0
        baseline = {k: v for k, v in baseline.items() if k != "macro_f1"}
    wanted = [m for m in ("accuracy", "macro_f1", "weighted_f1")
              if m in baseline and values.get(m) is not None]
    if wanted:
        cm = evaluation.confusion
        k = cm.shape[0]
        shares = cm.ravel() / n
        rng = np.random.default_rng(seed)
        batch = max(1, 2_000_000 // (k * k))  # keeps a batch of resamples near 16 MB
        hits = dict.fromkeys(wanted, 0)
        done = 0
        while done < draws:
            size = min(batch, draws - done)
            sample = rng.multinomial(n, shares, size=size).reshape(size, k, k)
            boot = confusion_metrics(sample)
            for name in wanted:
                stat = boot[name]
                if name == "macro_f1":
                    # basic bootstrap, 2·observed − resample: corrects the downward bias of an
                    # unweighted mean over classes with few rows
                    stat = 2 * float(values[name] or 0.0) - stat
                observed = float(values[name] or 0.0)
                stat = observed + (stat - observed) * widen
                hits[name] += int(np.sum(stat >= baseline[name]))
            done += size
        out.update({name: hits[name] / draws for name in wanted})
    b = baseline.get("log_loss")
    losses = evaluation.losses
    if b is not None and values.get("log_loss") is not None and losses is not None:
        mean = float(np.mean(losses))
        se = (widen * float(np.std(losses, ddof=1) / np.sqrt(len(losses)))
              if len(losses) > 1 else 0.0)
        if se == 0:
            out["log_loss"] = 0.0 if mean > b else 1.0
        else:
            out["log_loss"] = float(stats.norm.sf((mean - b) / se))
    return out
