"""What a metric declares where it registers, and what the report builds from it: field
order (the JSON contract), refused declarations, unregistering, and the published JSON Schema
listing exactly the fields of the built-in metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import numpy as np
import pytest

from driftscope.backends.local import profile_categorical, profile_numeric
from driftscope.compare import compare_column
from driftscope.compare.registry import (
    MetricField,
    MetricInput,
    MetricValue,
    field_names,
    fields,
    get_spec,
    metric,
    needed,
    registered,
    specs,
    unregister,
)
from driftscope.errors import ConfigError

BUILTIN = ("psi", "ks", "jensen_shannon", "chi2", "missing_share", "unseen_share")
REPORT_KEYS = (
    "psi", "psi_pvalue", "ks_statistic", "ks_pvalue", "jensen_shannon", "chi2_statistic",
    "chi2_pvalue", "missing_share_reference", "missing_share_current", "unseen_share_current",
    "psi_pvalue_adjusted", "missing_pvalue", "unseen_pvalue",
)
"""``features[].metrics`` of every report written so far, in order (SPEC.md)."""


def test_the_built_in_metrics_give_the_report_keys_in_their_order() -> None:
    assert registered()[:len(BUILTIN)] == BUILTIN
    assert field_names() == REPORT_KEYS  # the order of the JSON objects of every report


def test_every_builtin_declares_labels_kinds_and_needs() -> None:
    for spec in specs():
        assert spec.label and spec.description and spec.fields
        assert spec.headline in {f.name for f in spec.fields}
        for f in spec.fields:
            assert f.label and f.description, f.name
    assert get_spec("ks").kinds == ("numerical",) and get_spec("ks").needs == ("values",)
    assert get_spec("psi").kinds == ("numerical", "categorical")
    assert get_spec("chi2").headline == "chi2_pvalue"
    assert [f.name for f in get_spec("psi").adjusted] == ["psi_pvalue_adjusted"]
    assert needed("numerical") == {"bins", "values"} and needed("categorical") == {"bins"}


def _numeric_pair() -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    ref = profile_numeric("x", rng.normal(size=500))
    cur = profile_numeric("x", rng.normal(0.3, 1.0, 400), ref.binning)
    return ref, cur


def test_metrics_are_built_from_the_registry_with_corrected_pvalues() -> None:
    comp = compare_column(*_numeric_pair(), draws=200)
    plain = comp.metrics()
    assert tuple(plain) == REPORT_KEYS
    assert plain["psi_pvalue_adjusted"] is None  # outside a correction
    assert plain["missing_pvalue"] == comp.values["missing_share"].pvalue
    corrected = comp.metrics(0.5, 0.25, adjusted={"unseen_share": 0.125})
    assert corrected["psi_pvalue_adjusted"] == 0.5
    assert corrected["missing_pvalue"] == 0.25 and corrected["unseen_pvalue"] == 0.125
    assert comp.metrics(1e-9)["psi_pvalue_adjusted"] == 1 / 200  # the draws' floor


def test_a_metric_that_does_not_apply_is_not_called_and_its_fields_are_null() -> None:
    import pyarrow as pa

    arr = pa.array(["a", "b", "a", None])
    comp = compare_column(profile_categorical("c", arr), profile_categorical("c", arr),
                          draws=50)
    assert comp.values["ks"] == MetricValue(value=None, pvalue=None)
    metrics = comp.metrics()
    assert metrics["ks_statistic"] is None and metrics["ks_pvalue"] is None


@pytest.fixture
def cleanup() -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        if name in registered():
            unregister(name)


def _register(name: str, **declared: Any) -> None:
    def fn(inp: MetricInput) -> MetricValue:
        return MetricValue(value=2.0, pvalue=0.5)

    fn.__name__ = name
    metric(name, **declared)(fn)


def test_a_registered_metric_reports_its_fields_after_the_measured_ones(
        cleanup: list[str]) -> None:
    cleanup.append("toy")
    _register("toy", label="Toy", fields=(
        MetricField("toy_value", "Toy", "a toy"),
        MetricField("toy_pvalue", "Toy p", "its p", read=lambda v: v.pvalue, kind="pvalue"),
        MetricField("toy_adjusted", "Toy adj.", "corrected", kind="pvalue", adjusted=True,
                    read=lambda v: v.adjusted_pvalue)))
    names = field_names()
    assert names[:10] == REPORT_KEYS[:10]
    assert names[10:12] == ("toy_value", "toy_pvalue")
    assert names[12:] == (*REPORT_KEYS[10:], "toy_adjusted")
    comp = compare_column(*_numeric_pair(), draws=50)
    metrics = comp.metrics(adjusted={"toy": 0.25})
    assert (metrics["toy_value"], metrics["toy_pvalue"], metrics["toy_adjusted"]) == (
        2.0, 0.5, 0.25)
    unregister("toy")
    assert field_names() == REPORT_KEYS and "toy" not in registered()


def test_a_metric_declared_with_defaults_reports_its_value_under_its_name(
        cleanup: list[str]) -> None:
    cleanup.append("plain_toy")
    _register("plain_toy")
    spec = get_spec("plain_toy")
    assert [f.name for f in spec.fields] == ["plain_toy"] and spec.label == "plain_toy"
    assert compare_column(*_numeric_pair(), draws=50).metrics()["plain_toy"] == 2.0


@pytest.mark.parametrize(("declared", "message"), [
    ({"fields": (MetricField("psi", "x", "y"),)}, "already reported by metric 'psi'"),
    ({"fields": (MetricField("Bad-Name", "x", "y"),)}, "must be snake_case"),
    ({"fields": (MetricField("status", "x", "y"),)}, "is reserved"),
    ({"fields": (MetricField("a_b", "x", "y"), MetricField("a_b", "x", "y"))}, "declared twice"),
    ({"fields": ()}, "declares no fields"),
    ({"kinds": ("text",)}, "kinds must be taken from"),
    ({"needs": ("rows",)}, "needs must be taken from"),
    ({"headline": "nope"}, "headline 'nope' is not one of its fields"),
    ({"label": "PSI"}, "label 'PSI' is already metric 'psi'"),
    ({"fields": (MetricField("x_cur", "x", "y", reference="x_ref"),)}, "reference field"),
])
def test_declarations_the_report_could_not_hold_are_refused(
        cleanup: list[str], declared: dict[str, Any], message: str) -> None:
    cleanup.append("bad_toy")
    with pytest.raises(ValueError, match=message):
        _register("bad_toy", **declared)
    assert "bad_toy" not in registered()


def test_unregistering_an_unknown_metric_lists_the_registry() -> None:
    with pytest.raises(ConfigError, match="registered metrics: .*psi"):
        unregister("nope")


# -- the published JSON Schema ------------------------------------------------------------------
def _schema() -> dict[str, Any]:
    text = resources.files("driftscope").joinpath("schemas/drift_report.schema.json")
    return dict(json.loads(text.read_text(encoding="utf-8")))


def _validates(schema: dict[str, Any], value: Any) -> bool:
    import jsonschema

    try:
        jsonschema.Draft202012Validator(schema).validate(value)
    except jsonschema.ValidationError:
        return False
    return True


def _entry(spec: Any, f: Any) -> dict[str, Any]:
    """A schema entry for a declared field (what the failure message suggests)."""
    base: dict[str, Any] = ({"$ref": f"#/$defs/{f.kind}"} if f.kind != "statistic" else
                            {"type": "number", **({"minimum": f.minimum} if f.minimum is not None
                                                  else {}),
                             **({"maximum": f.maximum} if f.maximum is not None else {})})
    entry = {"anyOf": [base, {"type": "null"}]} if spec.nullable(f) else base
    return {**entry, "description": f.description}


def test_the_published_schema_lists_exactly_the_fields_of_the_builtin_metrics() -> None:
    """The schema file is static (it ships in the package and other programs read it), so this
    test keeps it equal to the registry: every field of a built-in metric is listed, in report
    order, with the type, nullability and bounds it declares; nothing else is listed. A metric
    registered by other code validates through ``additionalProperties`` (numbers or null)."""
    full = _schema()
    column = full["$defs"]["column"]["properties"]["metrics"]
    builtin = [(s, f) for s, f in fields() if s.fn.__module__.startswith("driftscope.compare.")]
    listed = [f.name for _s, f in builtin]
    missing = {f.name: _entry(spec, f) for spec, f in builtin if f.name not in column["properties"]}
    assert list(column["properties"]) == listed, (
        "list the fields of the built-in metrics in schemas/drift_report.schema.json, in this "
        f"order: {listed}; entries for the missing ones: {json.dumps(missing)}")
    assert set(column["required"]) <= set(column["properties"])
    for spec, f in builtin:
        entry = {"$defs": full["$defs"], **column["properties"][f.name]}
        lo, hi = f.bounds
        assert _validates(entry, 0.5 if hi is None or hi >= 0.5 else lo), f.name
        assert _validates(entry, None) == spec.nullable(f), f.name
        assert not _validates(entry, "0.5"), f.name
        if lo is not None:
            assert not _validates(entry, lo - 0.5), f.name
        if hi is not None:
            assert not _validates(entry, hi + 0.5), f.name
    extra = {"$defs": full["$defs"], **column}
    assert _validates(extra, {**dict.fromkeys(column["required"], 0.0), "new_field": 1.5})
    assert _validates(extra, {**dict.fromkeys(column["required"], 0.0), "new_field": None})
    assert not _validates(extra, {**dict.fromkeys(column["required"], 0.0), "new_field": "x"})
