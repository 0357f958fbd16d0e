"""Where a metric does not apply (KS of a categorical column) every view shows "—", never
"None": the HTML report, the dashboard's feature table and ``driftscope history``."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import driftscope
from driftscope.outputs.history_report import history_report
from driftscope.outputs.html import render_html
from driftscope.store import HistoryStore


@pytest.fixture(scope="module")
def result() -> driftscope.RunResult:
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.normal(size=800), "home": rng.choice(["rent", "own"], 800)})
    cur = pd.DataFrame({"x": rng.normal(0.3, size=500), "home": rng.choice(["rent", "own"], 500)})
    out = driftscope.run(reference=ref, current=cur)
    assert out.feature("home").metrics.ks_statistic is None
    return out


def test_history_table_of_a_categorical_column(result: driftscope.RunResult, tmp_path: Path
                                               ) -> None:
    store = HistoryStore(tmp_path / "h.db")
    store.record(result)
    table = history_report(store, feature="home")
    header, _rule, row = table.splitlines()[1:4]
    ks = header.index(" ks ") + 1
    assert row[ks:ks + 2].strip() == "—"
    assert "None" not in table
    numeric = history_report(store, feature="x").splitlines()[3]
    assert re.search(r"\b0\.\d{4}\b", numeric[ks:ks + 8])


def test_dashboard_feature_table(result: driftscope.RunResult) -> None:
    from driftscope.dashboard.app_data import features_table

    table = features_table(result, {})
    ks = dict(zip(table["Feature"], table["KS"]))
    assert ks["home"] == "—"
    assert ks["x"] == f"{result.feature('x').metrics.ks_statistic:.3f}"
    assert "None" not in table.to_string()


def test_html_report(result: driftscope.RunResult) -> None:
    page = render_html(result)
    assert ">None<" not in page and "None" not in re.sub(r"<script.*?</script>", "", page,
                                                         flags=re.S)
    assert "—" in page
