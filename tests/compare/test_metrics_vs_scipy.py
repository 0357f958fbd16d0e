"""Every metric against scipy or a hand computation, to 1e-9."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats
from scipy.spatial import distance

from driftscope.backends.local import profile_categorical, profile_numeric
from driftscope.compare import compare_column
from driftscope.compare.ks import ks_2samp_sorted, ks_statistic_sorted
from driftscope.compare.psi import psi_significance


def _num(ref, cur, **kw):
    r = profile_numeric("x", np.asarray(ref, dtype=float), **kw)
    c = profile_numeric("x", np.asarray(cur, dtype=float), r.binning)
    return r, c, compare_column(r, c)


def test_psi_hand_computed_on_small_table():
    ref = pa.array(["a"] * 50 + ["b"] * 30 + ["c"] * 20)
    cur = pa.array(["a"] * 40 + ["b"] * 40 + ["c"] * 10 + ["d"] * 10)
    comp = compare_column(profile_categorical("x", ref), profile_categorical("x", cur))
    r = [0.5, 0.3, 0.2, 0.0001]
    c = [0.4, 0.4, 0.1, 0.1]
    expected = sum((ci - ri) * math.log(ci / ri) for ri, ci in zip(r, c))
    assert comp.values["psi"].value == pytest.approx(expected, abs=1e-9)
    contrib = comp.values["psi"].extra["contributions"]
    assert contrib[3] == pytest.approx((0.1 - 0.0001) * math.log(0.1 / 0.0001), abs=1e-12)


def test_psi_missing_bin_uses_all_rows():
    ref = np.array([1.0, 2.0, 3.0, np.nan] * 25)
    cur = np.array([1.0, 2.0, np.nan, np.nan] * 25)
    _, _, comp = _num(ref, cur)
    # value bins 1, 2, 3, missing (no new values: no bin for them)
    r = [0.25, 0.25, 0.25, 0.25]
    c = [0.25, 0.25, 0.0001, 0.5]
    expected = sum((ci - ri) * math.log(ci / ri) for ri, ci in zip(r, c))
    assert comp.values["psi"].value == pytest.approx(expected, abs=1e-9)
    assert comp.bins.labels[-1] == "missing"


@pytest.mark.parametrize("n,m", [(50, 40), (3000, 2000), (20_000, 15_000), (12_000, 300)])
def test_ks_equals_scipy(n, m):
    rng = np.random.default_rng(n + m)
    ref = rng.normal(size=n)
    cur = rng.normal(0.05, 1.1, size=m)
    _, _, comp = _num(ref, cur)
    expected = stats.ks_2samp(ref, cur)
    assert comp.values["ks"].value == pytest.approx(expected.statistic, abs=1e-12)
    assert comp.values["ks"].pvalue == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)


def test_ks_with_ties_and_infinities_equals_scipy():
    rng = np.random.default_rng(1)
    ref = np.concatenate([rng.integers(0, 50, 15_000).astype(float), [np.inf, -np.inf]])
    cur = np.concatenate([rng.integers(0, 55, 11_000).astype(float), [np.inf] * 5])
    a, b = np.sort(ref), np.sort(cur)
    expected = stats.ks_2samp(ref, cur)
    d, p = ks_2samp_sorted(a, b)
    assert d == expected.statistic  # bit-identical
    assert p == pytest.approx(expected.pvalue, rel=1e-12, abs=1e-300)
    assert ks_statistic_sorted(a, b) == expected.statistic


def test_js_and_chi2_equal_scipy():
    rng = np.random.default_rng(2)
    ref = rng.gamma(2, size=4000)
    cur = rng.gamma(2.3, size=2500)
    _, _, comp = _num(ref, cur)
    r = comp.bins.reference / comp.bins.reference.sum()
    c = comp.bins.current / comp.bins.current.sum()
    assert comp.values["jensen_shannon"].value == pytest.approx(
        distance.jensenshannon(r, c, base=2), abs=1e-12)
    table = np.vstack([comp.bins.reference, comp.bins.current])
    res = stats.chi2_contingency(table, correction=False)
    assert comp.values["chi2"].value == pytest.approx(res.statistic, abs=1e-9)
    assert comp.values["chi2"].pvalue == pytest.approx(res.pvalue, rel=1e-9, abs=1e-300)


def test_chi2_drops_bins_empty_on_both_sides():
    ref = pa.array(["a"] * 30 + ["b"] * 20 + [None] * 0)
    cur = pa.array(["a"] * 10 + ["b"] * 30 + ["c"] * 5)
    comp = compare_column(profile_categorical("x", ref), profile_categorical("x", cur))
    table = np.array([[30, 20, 0], [10, 30, 5]])
    res = stats.chi2_contingency(table, correction=False)
    assert comp.values["chi2"].value == pytest.approx(res.statistic, abs=1e-9)
    assert comp.values["chi2"].extra["dof"] == 2


def test_bins_are_deciles_tie_aware_and_open():
    ref = np.arange(1000, dtype=float)
    r = profile_numeric("x", ref)
    assert r.binning.kind == "quantile"
    assert np.array_equal(r.binning.edges, np.unique(np.quantile(ref, np.arange(1, 10) / 10)))
    c = profile_numeric("x", np.array([-1e9, 1e9, 99.9, 100.0]), r.binning)
    assert c.counts[0] == 1 and c.counts[-1] == 1  # outside the reference range still counted
    assert c.counts[1] == 2  # bins are left-closed: 99.9 falls in [99.9, 199.8)
    # heavy ties collapse edges
    tied = np.concatenate([np.zeros(900), np.arange(100, dtype=float) + 1, np.arange(30) + 0.5])
    rb = profile_numeric("x", tied).binning
    assert len(rb.edges) == len(set(rb.edges)) < 9


def test_value_binning_for_few_distinct_values():
    ref = np.array([0, 1, 2, 3] * 100, dtype=float)
    r = profile_numeric("x", ref)
    assert r.binning.kind == "value" and r.binning.values == (0.0, 1.0, 2.0, 3.0)
    c = profile_numeric("x", np.array([0, 1, 7, 7.5, 3], dtype=float), r.binning)
    # value bins 0, 1, 2, 3, then the new values below 0, between them, above 3
    assert c.counts.tolist() == [1, 1, 0, 1, 0, 0, 2]
    _, _, comp = _num(ref, [0, 1, 7, 7.5, 3])
    assert comp.values["unseen_share"].value == pytest.approx(2 / 5)


def test_new_values_go_below_between_or_above_the_reference_values():
    ref = np.array([18, 19, 20, 22, 23] * 40, dtype=float)  # no 21 in the reference
    cur = np.array([17, -np.inf, 18, 21, 20.5, 23, 24, 99, np.inf, 22], dtype=float)
    r, c, comp = _num(ref, cur)
    assert c.counts.tolist() == [1, 0, 0, 1, 1, 2, 2, 3]  # 18 19 20 22 23 | below between above
    b = comp.bins
    assert b.labels == ("< 18", "18", "19", "20", "22", "23", "> 23", "(18, 23) between")
    assert b.kinds == ("below", "value", "value", "value", "value", "value", "above", "between")
    assert b.lowers == (None, 18.0, 19.0, 20.0, 22.0, 23.0, 23.0, 18.0)
    assert b.uppers == (18.0, 18.0, 19.0, 20.0, 22.0, 23.0, None, 23.0)
    assert b.current.tolist() == [2, 1, 0, 0, 1, 1, 3, 2] and b.current.sum() == len(cur)
    # every new value counts as unseen: outside the range and in a gap (21, and 20.5)
    assert comp.values["unseen_share"].value == pytest.approx(7 / 10)
    # the metrics on these bins equal scipy's on the same counts
    rs, cs = b.reference / b.reference.sum(), b.current / b.current.sum()
    assert comp.values["jensen_shannon"].value == pytest.approx(
        distance.jensenshannon(rs, cs, base=2), abs=1e-12)
    table = np.vstack([b.reference, b.current])
    res = stats.chi2_contingency(table[:, table.sum(axis=0) > 0], correction=False)
    assert comp.values["chi2"].value == pytest.approx(res.statistic, abs=1e-9)
    assert comp.values["chi2"].pvalue == pytest.approx(res.pvalue, rel=1e-9, abs=1e-300)
    r_, c_ = np.where(rs == 0, 1e-4, rs), np.where(cs == 0, 1e-4, cs)
    assert comp.values["psi"].value == pytest.approx(float(np.sum((c_ - r_) * np.log(c_ / r_))),
                                                     abs=1e-12)
    assert comp.values["psi"].pvalue == psi_significance(comp.values["psi"].value, b.reference,
                                                         b.current)


def test_new_value_bins_empty_on_both_sides_are_left_out_and_change_nothing():
    ref = np.array([1, 2, 3] * 50, dtype=float)
    r, c, comp = _num(ref, [1, 2, 3, 3])
    assert comp.bins.kinds == ("value", "value", "value")
    assert comp.values["unseen_share"].value == 0
    # with the empty bins kept, every metric is the same
    full_r = np.concatenate([r.counts[:3], [0, 0, 0]])
    full_c = np.concatenate([c.counts[:3], [0, 0, 0]])
    rs, cs = full_r / full_r.sum(), full_c / full_c.sum()
    r_, c_ = np.where(rs == 0, 1e-4, rs), np.where(cs == 0, 1e-4, cs)
    assert comp.values["psi"].value == pytest.approx(float(np.sum((c_ - r_) * np.log(c_ / r_))),
                                                     abs=1e-15)
    assert comp.values["psi"].pvalue == psi_significance(comp.values["psi"].value, full_r, full_c)
    assert comp.values["jensen_shannon"].value == pytest.approx(
        distance.jensenshannon(rs, cs, base=2), abs=1e-12)


def test_a_reference_with_infinities_keeps_them_below_and_above():
    ref = np.concatenate([np.array([0, 1, 2] * 30, dtype=float), [-np.inf, np.inf, np.inf]])
    r, c, comp = _num(ref, [0, 1, 2, np.inf])
    assert r.counts.tolist() == [30, 30, 30, 1, 0, 2]
    assert comp.bins.labels == ("< 0", "0", "1", "2", "> 2")
    assert comp.bins.reference.tolist() == [1, 30, 30, 30, 2]
    assert comp.bins.current.tolist() == [0, 1, 1, 1, 1]


def test_psi_pvalue_matches_definition():
    ref = np.array([400, 300, 200, 100])
    cur = np.array([380, 310, 190, 120])
    psi = float(np.sum((cur / 1000 - ref / 1000) * np.log((cur / 1000) / (ref / 1000))))
    p = psi_significance(psi, ref, cur, draws=2000, seed=0)
    rng = np.random.default_rng(0)
    pooled = (ref + cur) / 2000
    rd = rng.multinomial(1000, pooled, size=2000) / 1000
    cd = rng.multinomial(1000, pooled, size=2000) / 1000
    rd = np.where(rd == 0, 1e-4, rd)
    cd = np.where(cd == 0, 1e-4, cd)
    null = ((cd - rd) * np.log(cd / rd)).sum(axis=1)
    a = null.var(ddof=1) / (2 * null.mean())
    nu = 2 * null.mean() ** 2 / null.var(ddof=1)
    assert p == pytest.approx(stats.chi2.sf(psi / a, nu), rel=1e-12)
    # for large samples without empty bins it is close to the textbook approximation
    textbook = stats.chi2.sf(psi / (1 / 1000 + 1 / 1000), 3)
    assert abs(p - textbook) < 0.05


def test_psi_pvalue_zero_variance():
    ref = np.array([100])
    cur = np.array([50])
    assert psi_significance(0.0, ref, cur) == 1.0
    assert psi_significance(0.5, ref, cur) == 0.0


@pytest.mark.slow  # 200 simulated batches
def test_psi_pvalue_more_honest_than_textbook_on_small_batches():
    """On no-drift batches of 50 rows the definition raises fewer false alarms than the
    textbook (1/n + 1/m)·χ²(K − 1) approximation, and few in absolute terms."""
    rng = np.random.default_rng(7)
    ref = rng.lognormal(size=5000)
    rp = profile_numeric("x", ref)
    ours = textbook = 0
    trials = 200
    for _ in range(trials):
        cp = profile_numeric("x", rng.choice(ref, 50), rp.binning)
        comp = compare_column(rp, cp, draws=1000)
        psi = comp.values["psi"].value
        ours += comp.values["psi"].pvalue < 0.01
        k = len(comp.bins.labels)
        textbook += stats.chi2.sf(psi / (1 / 5000 + 1 / 50), k - 1) < 0.01
    assert ours <= textbook
    assert ours / trials <= 0.025  # 1 % expected; the fitted curve alone gave 5 %


@pytest.mark.slow  # 2,000 simulated batches
def test_psi_pvalue_holds_its_level_when_a_bin_can_come_out_empty():
    """50-row batches against bins one of which expects 6 rows (a real loan table's
    inquiries): the fitted curve alone put p < 0.001 on 0.35 % of no-drift batches, the
    batches that left that bin empty; the Monte Carlo tail keeps it at its level."""
    ref_counts = np.array([1586, 1231, 830, 757, 596])
    shares = ref_counts / ref_counts.sum()
    rng = np.random.default_rng(11)
    trials, below = 2000, 0
    for _ in range(trials):
        cur = rng.multinomial(50, shares)
        psi = float(((cur / 50 - shares) * np.log(np.where(cur == 0, 1e-4, cur / 50) /
                                                  shares)).sum())
        below += psi_significance(psi, ref_counts, cur) < 0.001
    assert below <= 4  # 2 expected at the level; the fitted curve alone gave 7


def test_psi_pvalue_is_the_fitted_curve_where_no_bin_is_sparse(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every bin expecting at least 15 rows on both sides: the definition's fitted curve, and
    no draw beyond the 2,000 (the curve resolves what the draws cannot)."""
    from driftscope.compare import psi as psi_module

    ref, cur = np.array([400, 300, 200, 100]), np.array([250, 350, 250, 150])
    value = float(psi_module.psi_terms(ref / 1000, cur / 1000).sum())
    calls: list[int] = []
    real = psi_module.psi_null_draws

    def counted(*args: Any) -> Any:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(psi_module, "psi_null_draws", counted)
    p = psi_significance(value, ref, cur)
    assert len(calls) == 1 and p < 1 / 2001


def test_missing_share_test_is_one_sided():
    ref = np.array([1.0] * 95 + [np.nan] * 5)
    up = np.array([1.0] * 60 + [np.nan] * 40)
    down = np.array([1.0] * 100)
    _, _, comp_up = _num(ref, up)
    _, _, comp_down = _num(ref, down)
    expected = stats.fisher_exact([[40, 60], [5, 95]], alternative="greater").pvalue
    assert comp_up.values["missing_share"].pvalue == pytest.approx(expected, rel=1e-12)
    assert comp_down.values["missing_share"].pvalue == 1.0
    assert comp_up.values["missing_share"].extra["reference"] == pytest.approx(0.05)


def test_unseen_share_binomial_against_rule_of_three():
    ref = pa.array(["a", "b"] * 500)
    cur = pa.array(["a"] * 90 + ["new"] * 10)
    comp = compare_column(profile_categorical("x", ref), profile_categorical("x", cur))
    assert comp.values["unseen_share"].value == pytest.approx(0.1)
    assert comp.values["unseen_share"].pvalue == pytest.approx(
        stats.binom.sf(9, 100, 3 / 1000), rel=1e-12)
