"""Which drift matters (driftscope.model.importance): importance measured when the baseline is
built, impact = PSI × importance share, and the optional status weighting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import driftscope
from driftscope.baseline import load_baseline, save_baseline
from driftscope.config.models import MonitoringConfig
from driftscope.engine.build import build_baseline
from driftscope.model.importance import compute_importance, importance_shares
from driftscope.severity import Severity


def _frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """``strong`` drives the label, ``weak`` barely does, ``noise`` not at all; a shift moves
    all three by the same amount (so their drift is equal)."""
    rng = np.random.default_rng(seed)
    base = {name: rng.normal(0, 1, n) for name in ("strong", "weak", "noise")}
    logit = 2.5 * base["strong"] + 0.15 * base["weak"]
    bad = rng.random(n) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame({k: v + shift for k, v in base.items()})
    frame["label"] = np.where(bad, "bad", "good")
    return frame


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import joblib
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    ref = _frame(3000, 1)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        ref[["strong", "weak"]], ref["label"])
    path = tmp_path_factory.mktemp("impact") / "model.joblib"
    joblib.dump(model, path)
    return path


def _config(model_file: Path, **extra: Any) -> MonitoringConfig:
    return MonitoringConfig(model=str(model_file), target="label", positive_class="bad",
                            multivariate={"enabled": False}, **extra)


def test_a_drifted_important_feature_ranks_above_an_equally_drifted_unimportant_one(
        model_file: Path) -> None:
    cfg = _config(model_file)
    result = driftscope.run(_frame(3000, 1), _frame(2000, 2, shift=0.6), cfg, progress=False)
    strong, weak, noise = (result.feature(n) for n in ("strong", "weak", "noise"))
    assert strong.status is weak.status is noise.status is Severity.CRITICAL  # equal drift
    assert strong.metrics.psi == pytest.approx(weak.metrics.psi, rel=0.35)
    assert strong.impact > 10 * weak.impact
    assert noise.importance == 0.0 and noise.impact == 0.0  # the model never reads it
    assert sum(f.importance for f in result.features) == pytest.approx(1.0)
    assert strong.impact == pytest.approx(strong.metrics.psi * strong.importance)
    ranked = sorted(result.features, key=lambda f: -f.impact)
    assert [f.name for f in ranked][0] == "strong"
    from driftscope.outputs.html import render_html

    html = render_html(result)  # a sortable Impact column in the feature table
    assert ">Impact</button>" in html and ">Importance</button>" in html
    assert f'data-v="{strong.impact}" class="num impact"' in html
    # the JSON holds the new fields; a report without them still reads
    data = result.to_dict()
    assert {"importance", "impact"} <= set(data["features"][0])
    for f in data["features"]:
        del f["importance"], f["impact"]
    assert type(result).from_dict(data).feature("strong").impact is None


def test_permutation_importance_is_sklearns_on_the_same_sample(model_file: Path) -> None:
    import joblib
    from sklearn.inspection import permutation_importance

    model = joblib.load(model_file)
    ref = _frame(3000, 1)
    X = ref[["strong", "weak"]]
    labels = ref["label"].to_numpy(dtype=object)
    stored = compute_importance(model=model, model_input=X, labels=labels, positive="bad",
                                raw=pa.Table.from_pandas(ref), raw_columns=["strong", "weak",
                                                                            "noise"],
                                engineered_columns=[], rows=500, repeats=4, seed=7)
    assert stored is not None
    assert (stored["method"], stored["score"], stored["rows"]) == ("permutation", "roc_auc", 500)
    pick = np.sort(np.random.default_rng(7).choice(len(ref), 500, replace=False))
    Xs, ys = X.iloc[pick].reset_index(drop=True), labels[pick] == "bad"
    # sklearn's own roc_auc scorer on the text labels (AUC of "good" = AUC of "bad")
    expected = permutation_importance(model, Xs, labels[pick], scoring="roc_auc",
                                      n_repeats=4, random_state=7)
    assert stored["raw"]["strong"] == pytest.approx(expected.importances_mean[0])
    assert stored["raw"]["weak"] == pytest.approx(expected.importances_mean[1])
    assert stored["raw"]["noise"] == 0.0
    from sklearn.metrics import roc_auc_score

    assert stored["reference_score"] == pytest.approx(
        roc_auc_score(ys, model.predict_proba(Xs)[:, list(model.classes_).index("bad")]))


def test_logged_probabilities_give_the_sensitivity() -> None:
    from scipy.stats import spearmanr

    ref = _frame(1500, 3)
    ref["band"] = np.where(ref["strong"] > 0, "high", "low")
    proba = 1 / (1 + np.exp(-2 * ref["strong"].to_numpy()))
    stored = compute_importance(model=None, model_input=None, labels=None, positive=None,
                                raw=pa.Table.from_pandas(ref),
                                raw_columns=["strong", "weak", "band"], engineered_columns=[],
                                proba=proba, rows=5000, seed=0)
    assert stored is not None and stored["method"] == "sensitivity"
    assert stored["raw"]["strong"] == pytest.approx(1.0)
    assert stored["raw"]["weak"] == pytest.approx(abs(spearmanr(ref["weak"], proba).statistic))
    # the correlation ratio of a two-level split: sqrt(between / total sum of squares)
    groups = pd.Series(proba).groupby(ref["band"].to_numpy())
    between = sum(len(g) * (g.mean() - proba.mean()) ** 2 for _, g in groups)
    assert stored["raw"]["band"] == pytest.approx(
        np.sqrt(between / ((proba - proba.mean()) ** 2).sum()))


def test_importance_shares_are_per_origin_and_ignore_negative_values() -> None:
    shares = importance_shares({"raw": {"a": 0.3, "b": 0.1, "c": -0.05},
                                "engineered": {"e": 0.0}})
    assert shares == pytest.approx({("raw", "a"): 0.75, ("raw", "b"): 0.25, ("raw", "c"): 0.0,
                                    ("engineered", "e"): 0.0})
    assert importance_shares(None) == {}


def test_weigh_status_caps_unimportant_critical_features(model_file: Path) -> None:
    ref = _frame(3000, 1)
    cur = _frame(2000, 2)
    cur["noise"] += 1.0  # only the feature the model never reads drifts
    plain = driftscope.run(ref, cur, _config(model_file), progress=False)
    assert plain.feature("noise").status is Severity.CRITICAL
    assert plain.status is Severity.CRITICAL
    weighed = driftscope.run(ref, cur, _config(model_file, impact={"weigh_status": True}),
                             progress=False)
    assert weighed.feature("noise").status is Severity.CRITICAL  # its own status is kept
    assert weighed.status is Severity.WARNING
    assert "impact.min_importance_share" in weighed.reason and "noise" in weighed.reason
    # min_importance_share 0: no feature is below it, the round is CRITICAL again
    zero = driftscope.run(ref, cur, _config(model_file, impact={
        "weigh_status": True, "min_importance_share": 0.0}), progress=False)
    assert zero.status is Severity.CRITICAL
    # an important feature drifting keeps the round CRITICAL with the weighting on
    cur2 = _frame(2000, 2)
    cur2["strong"] += 1.0
    strong = driftscope.run(ref, cur2, _config(model_file, impact={"weigh_status": True}),
                            progress=False)
    assert strong.status is Severity.CRITICAL


def test_rows_repeats_and_enabled_reach_the_baseline(model_file: Path, tmp_path: Path) -> None:
    ref = _frame(3000, 1)
    small = build_baseline(ref, _config(model_file, impact={"rows": 100, "repeats": 1}))
    stored = small.settings["importance"]
    assert (stored["rows"], stored["repeats"]) == (100, 1)
    big = build_baseline(ref, _config(model_file, impact={"rows": 1000, "repeats": 2}))
    assert big.settings["importance"]["rows"] == 1000
    assert big.settings["importance"]["raw"]["weak"] != stored["raw"]["weak"]
    off = build_baseline(ref, _config(model_file, impact={"enabled": False}))
    assert off.settings["importance"] is None
    # no labels: nothing to measure it by, quietly
    unlabelled = build_baseline(ref.drop(columns="label"),
                                MonitoringConfig(model=str(model_file), positive_class="bad",
                                                 multivariate={"enabled": False}))
    assert unlabelled.settings["importance"] is None
    # saved and loaded, the baseline keeps it; an older baseline without it still runs
    save_baseline(big, tmp_path / "bl")
    loaded = load_baseline(tmp_path / "bl")
    assert loaded.settings["importance"] == big.settings["importance"]
    result = driftscope.run(current=_frame(500, 4, shift=0.5), baseline=loaded,
                            config=_config(model_file), progress=False)
    assert result.feature("strong").impact is not None
    import json

    manifest = json.loads((tmp_path / "bl" / "manifest.json").read_text())
    del manifest["settings"]["importance"]
    (tmp_path / "bl" / "manifest.json").write_text(json.dumps(manifest))
    old = driftscope.run(current=_frame(500, 4, shift=0.5), baseline=tmp_path / "bl",
                         config=_config(model_file), progress=False)
    assert all(f.impact is None and f.importance is None for f in old.features)
    assert "importance" not in old.to_dict()["features"][0]


def test_a_model_fitted_without_feature_names_prints_no_warning(tmp_path: Path) -> None:
    """A model fitted on a numpy array warns on every DataFrame it scores; the baseline's
    importance and the round's contract walk keep those warnings off the terminal, as
    scoring does."""
    import warnings

    import joblib
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": rng.normal(0, 1, 600), "b": rng.normal(0, 1, 600)})
    frame["y"] = (frame.a + rng.normal(0, 1, 600) > 0).astype(int)
    model = LogisticRegression().fit(frame[["a", "b"]].to_numpy(), frame.y)
    joblib.dump(model, tmp_path / "m.joblib")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = driftscope.Monitor(model=str(tmp_path / "m.joblib"), target="y",
                                    reference=pa.Table.from_pandas(frame[:400])
                                    ).run(pa.Table.from_pandas(frame[400:]))
    assert result.features[0].importance is not None  # importance was measured
    assert result.contract is not None
    assert not [w for w in caught if "feature names" in str(w.message)]
