"""The result type itself: how it prints in a notebook, its lookups, and the JSON round-trip."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from driftscope.errors import InputError
from driftscope.outputs.html import render_html
from driftscope.outputs.json_report import read_json, write_json
from driftscope.result import RunResult, Severity
from tests.factories import make_feature, make_result


@pytest.mark.parametrize("level", list(Severity))
def test_severity_prints_as_its_value(level: Severity) -> None:
    assert str(level) == level.value
    assert f"{level}" == level.value
    assert f"[{level:>8}]" == f"[{level.value:>8}]"
    assert level == level.value and Severity(level.value) is level  # still a str enum
    assert json.dumps({"s": level}) == json.dumps({"s": level.value})


def test_repr_is_one_short_line() -> None:
    result = make_result([make_feature(f"f{i}", Severity.CRITICAL if i < 3 else
                                       Severity.WARNING if i < 5 else Severity.NORMAL,
                                       psi=0.2) for i in range(26)])
    text = repr(result)
    assert text == ("RunResult(status=CRITICAL, features=26 [3 CRITICAL, 2 WARNING], "
                    "run='run-1', current='cur.csv' (400 rows))")
    calm = make_result([make_feature("x")], with_model=False)
    assert repr(calm) == ("RunResult(status=NORMAL, features=1, run='run-1', "
                          "current='cur.csv' (400 rows))")
    assert len(repr(make_result([make_feature(f"f{i}") for i in range(500)]))) < 200


def test_repr_html_is_the_html_report() -> None:
    result = make_result()
    assert result._repr_html_() == render_html(result)


def test_feature_lookup_names_the_features() -> None:
    result = make_result()
    assert result.feature("age").name == "age"
    with pytest.raises(KeyError) as info:
        result.feature("agee")
    assert str(info.value) == ("no feature 'agee' in this result; features: 'income', 'age', "
                               "'debt', 'home'")
    many = make_result([make_feature(f"f{i:02d}") for i in range(25)])
    with pytest.raises(KeyError) as info:
        many.feature("nope")
    message = str(info.value)
    assert "'f19', …" in message and "'f20'" not in message
    with pytest.raises(KeyError, match="features: none"):
        make_result([]).feature("x")


def test_equality_and_json_round_trip_are_unchanged() -> None:
    result = make_result()
    again = RunResult.from_json(result.to_json())
    assert again == result and again is not result
    assert dataclasses.replace(result, reason="other") != result
    assert json.loads(result.to_json())["status"] == "CRITICAL"
    assert hash(Severity.NORMAL) == hash("NORMAL")


def test_read_json_checks_the_schema_before_building_the_result(tmp_path: Path) -> None:
    path = tmp_path / "drift_report.json"
    write_json(make_result(), path)
    assert read_json(path) == make_result()

    data = json.loads(path.read_text(encoding="utf-8"))
    del data["run"]["id"]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_json(path)
    message = str(info.value)
    assert message.startswith(f"{path}: not a valid driftscope report at run: 'id' is a "
                              "required property")
    assert "__init__" not in message and "\n" not in message

    data = json.loads(path.read_text(encoding="utf-8"))
    data["run"]["id"] = "r"
    data["features"][0]["metrics"].pop("psi")
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError, match="at features/0/metrics: 'psi' is a required"):
        read_json(path)

    path.write_text(json.dumps({**data, "schema_version": "2.0", "run": {}}), encoding="utf-8")
    with pytest.raises(InputError, match="schema_version '2.0'; this driftscope reads 1.x"):
        read_json(path)


def test_read_json_without_a_version_names_the_missing_field(tmp_path: Path) -> None:
    path = tmp_path / "drift_report.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match="at top level: 'schema_version' is a required"):
        read_json(path)


def test_to_pandas_has_one_row_per_column() -> None:
    import numpy as np
    import pandas as pd

    import driftscope

    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"a": rng.normal(size=400), "b": rng.choice(["x", "y"], 400)})
    cur = pd.DataFrame({"a": rng.normal(1.0, 1.0, 300), "b": rng.choice(["x", "y"], 300)})
    result = driftscope.run(reference=ref, current=cur, progress=False)
    frame = result.to_pandas()
    assert list(frame["name"]) == ["a", "b"]
    assert frame.set_index("name").loc["a", "status"] == result.feature("a").status.value
    assert frame.set_index("name").loc["a", "psi"] == result.feature("a").metrics.psi
    assert pd.isna(frame.set_index("name").loc["b", "ks_statistic"])  # does not apply


# -- layering: the result imports nothing above it --------------------------------------------
def _driftscope_imports(path: Path) -> set[str]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    return {n for n in names if n.startswith("driftscope")}


def test_the_result_imports_only_modules_below_it() -> None:
    import driftscope.result

    assert _driftscope_imports(Path(driftscope.result.__file__)) <= {
        "driftscope.errors", "driftscope.findings", "driftscope.plain", "driftscope.safe_yaml",
        "driftscope.severity", "driftscope.insights", "driftscope.result_performance"
    }  # fmt: skip
    import driftscope.insights  # the contract and multivariate result types: low-level too

    assert _driftscope_imports(Path(driftscope.insights.__file__)) <= {"driftscope.severity"}
    import driftscope.result_performance as performance  # the performance types: low-level too

    assert _driftscope_imports(Path(performance.__file__)) <= {"driftscope.plain",
                                                               "driftscope.severity"}


def test_no_input_module_imports_the_result() -> None:
    import driftscope.inputs

    for path in Path(driftscope.inputs.__file__).parent.glob("*.py"):
        assert "driftscope.result" not in _driftscope_imports(path), path.name


def test_findings_and_severity_are_the_result_s_own() -> None:
    import driftscope.result
    from driftscope.findings import Finding
    from driftscope.severity import Severity as LowSeverity

    assert driftscope.result.Finding is Finding and Severity is LowSeverity


@pytest.mark.slow  # a subprocess
def test_a_notebook_shows_the_report_without_importing_it_up_front() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from driftscope.result import RunResult\n"
        "from tests.factories import make_result\n"
        "assert 'jinja2' not in sys.modules and 'driftscope.outputs.html' not in sys.modules\n"
        "page = make_result()._repr_html_()\n"
        "assert page.startswith('<!DOCTYPE html>'), page[:40]\n"
    )
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


def test_without_a_renderer_a_notebook_shows_the_plain_repr() -> None:
    from driftscope.outputs.notebook import register
    from driftscope.result import set_html_renderer

    set_html_renderer(None)
    try:
        assert make_result()._repr_html_() is None
    finally:
        register()
    assert make_result()._repr_html_() == render_html(make_result())


# -- the columns of a result and the worst-first order ----------------------------------------
def test_columns_are_the_features_then_the_other_columns() -> None:
    result = make_result()
    target = make_feature("y", Severity.NORMAL, origin="target")
    probability = make_feature("prediction[a]", Severity.NORMAL, origin="class_probability")
    full = dataclasses.replace(result, target=target, class_probabilities=(probability,))
    assert result.prediction is not None
    assert full.other_columns() == (result.prediction, target)
    assert full.other_columns(class_probabilities=True) == (result.prediction, target,
                                                           probability)
    assert full.columns() == (*result.features, result.prediction, target)
    assert full.columns(class_probabilities=True)[-1] is probability
    assert make_result(with_model=False).other_columns() == ()


def test_worst_first_orders_by_status_then_psi_and_keeps_ties() -> None:
    from driftscope.result import worst_first

    a = make_feature("a", Severity.WARNING, psi=0.2)
    b = make_feature("b", Severity.CRITICAL, psi=0.3)
    c = make_feature("c", Severity.CRITICAL, psi=0.5)
    d = make_feature("d", Severity.WARNING, psi=0.2)
    e = make_feature("e", Severity.NORMAL, psi=0.9)
    assert [f.name for f in worst_first([a, b, c, d, e])] == ["c", "b", "a", "d", "e"]
    # a PSI that is not a number (a report edited by hand) goes last within its status
    broken = dataclasses.replace(c, name="nan", metrics=c.metrics.replace(
        psi=float("nan")))
    missing = dataclasses.replace(c, name="none", metrics=c.metrics.replace(
        psi=None))
    assert [f.name for f in worst_first([broken, missing, b, e])] == ["b", "nan", "none", "e"]


# -- the metrics mapping ----------------------------------------------------------------------
def test_metrics_are_a_read_only_mapping_in_report_order() -> None:
    import copy
    import pickle

    from driftscope.result import Metrics

    m = make_feature("x").metrics
    assert isinstance(m, Metrics) and list(m)[:2] == ["psi", "psi_pvalue"]
    assert m["ks_statistic"] == m.ks_statistic == 0.05  # attribute access still works
    assert m.psi == m["psi"] and m.psi_pvalue_adjusted is None
    with pytest.raises(TypeError, match="read-only"):
        m["psi"] = 1.0  # type: ignore[index]
    with pytest.raises(TypeError, match="read-only"):
        m.update(psi=1.0)
    with pytest.raises(AttributeError, match="no field 'nope'; fields: psi, psi_pvalue"):
        _ = m.nope
    for twin in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m), copy.copy(m)):
        assert twin == m and list(twin) == list(m) and type(twin) is Metrics
    assert hash(m) == hash(Metrics(dict(m)))  # a frozen result stays hashable
    assert hash(make_feature("x")) == hash(make_feature("x"))
    changed = m.replace(psi=0.5, new_field=1.0)
    assert changed["psi"] == 0.5 and list(changed)[-1] == "new_field" and m["psi"] != 0.5
    assert Metrics({"psi": 0})["psi"] == 0.0 and isinstance(Metrics({"psi": 0})["psi"], float)


def test_a_report_keeps_its_metric_keys_and_order_through_json() -> None:
    result = make_result()
    data = result.to_dict()
    features = data["features"]
    # a field this driftscope does not know (a metric registered elsewhere) is kept, in place;
    # a report without the corrected p-values (written before them) reads without them
    features[0]["metrics"] = {"new_field": 2, **features[0]["metrics"]}
    for key in ("psi_pvalue_adjusted", "missing_pvalue", "unseen_pvalue"):
        del features[1]["metrics"][key]
    back = RunResult.from_dict(json.loads(json.dumps(data)))
    again = back.to_dict()
    assert list(again["features"][0]["metrics"]) == list(features[0]["metrics"])
    assert again["features"][0]["metrics"]["new_field"] == 2.0
    assert again["features"][1]["metrics"] == features[1]["metrics"]
    assert back.features[1].metrics.psi_pvalue_adjusted is None
    assert RunResult.from_json(result.to_json()).to_json() == result.to_json()
