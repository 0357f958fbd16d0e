"""The floor of the comparison: the same drift metrics written plainly with numpy and pyarrow.

    python benchmarks/tools/plain_numpy.py REFERENCE.parquet CURRENT.parquet OUT_DIR

Reads both files with pyarrow. For each numerical column: drop the missing values, sort
each side once, the exact two-sample Kolmogorov–Smirnov statistic from binary searches of
the sorted values and its asymptotic p-value (``scipy.special.kolmogorov``; the chi-square
p-values come from ``scipy.special.chdtrc``), the reference deciles as bin edges, PSI
(zero shares replaced by 0.0001), Jensen–Shannon distance (base 2) and a chi-square test of
homogeneity on the decile counts (plus a "missing" bin when either side has any). For each
categorical column: the category counts of both sides (missing as its own bin), the same
PSI, Jensen–Shannon and chi-square, and the share of current rows in categories the
reference never had. Columns are processed in a thread pool (numpy releases the GIL while
sorting and searching). No policy, no report beyond a JSON of the numbers: this is the
computation a round cannot avoid, written straightforwardly but without waste.

Writes ``OUT_DIR/plain_numpy_metrics.json`` and prints one JSON line on stdout with the
seconds spent after the imports (reading included) and the columns whose PSI is at least
0.1 (the usual rule of thumb), for the comparison's sanity check.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from scipy.special import chdtrc, kolmogorov

EPSILON = 1e-4
DECILES = np.arange(1, 10) / 10


def psi(r: np.ndarray, c: np.ndarray) -> float:
    r = np.where(r == 0, EPSILON, r)
    c = np.where(c == 0, EPSILON, c)
    return float(np.sum((c - r) * np.log(c / r)))


def jensen_shannon(r: np.ndarray, c: np.ndarray) -> float:
    m = (r + c) / 2

    def kl(p: np.ndarray) -> float:
        nz = p > 0
        return float(np.sum(p[nz] * np.log2(p[nz] / m[nz])))

    return float(np.sqrt(max(kl(r) + kl(c), 0.0) / 2))


def chi_square(ref_counts: np.ndarray, cur_counts: np.ndarray) -> tuple[float, float]:
    table = np.vstack([ref_counts, cur_counts]).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 0.0, 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0) / table.sum()
    stat = float(np.sum((table - expected) ** 2 / expected))
    return stat, float(chdtrc(table.shape[1] - 1, stat))


def binned(ref_counts: np.ndarray, cur_counts: np.ndarray) -> dict[str, float]:
    r = ref_counts / max(ref_counts.sum(), 1)
    c = cur_counts / max(cur_counts.sum(), 1)
    stat, p = chi_square(ref_counts, cur_counts)
    return {"psi": psi(r, c), "jensen_shannon": jensen_shannon(r, c),
            "chi2_statistic": stat, "chi2_pvalue": p}


def ks_statistic(r: np.ndarray, c: np.ndarray) -> float:
    """sup |F_r − F_c| of two sorted samples. Both CDFs are steps that only move at sample
    points, so the supremum is reached at one of them: at the last copy of each distinct value
    of a sample its own CDF is (index + 1) / size, and the other's comes from one binary search
    of sorted queries."""
    d = 0.0
    for a, b in ((r, c), (c, r)):
        ends = np.flatnonzero(np.append(a[1:] != a[:-1], True))  # last copy of each value
        own = (ends + 1) / a.shape[0]
        other = np.searchsorted(b, a[ends], "right") / b.shape[0]
        d = max(d, float(np.max(np.abs(own - other))))
    return d


def numerical(ref: pa.ChunkedArray, cur: pa.ChunkedArray) -> dict[str, float]:
    sides = []
    for col in (ref, cur):
        values = col.to_numpy()  # nulls come back as NaN
        missing = np.isnan(values)
        kept = values[~missing] if missing.any() else values.copy()
        kept.sort()
        sides.append((kept, int(missing.sum())))
    (r, r_missing), (c, c_missing) = sides
    n, m = r.shape[0], c.shape[0]
    out: dict[str, float] = {"missing_share_reference": r_missing / len(ref),
                             "missing_share_current": c_missing / len(cur)}
    if n and m:
        out["ks_statistic"] = ks_statistic(r, c)
        d = out["ks_statistic"]
        out["ks_pvalue"] = float(kolmogorov(np.sqrt(n * m / (n + m)) * d))
        # reference deciles (linear interpolation on the sorted values) as bin edges
        pos = DECILES * (n - 1)
        lo = np.floor(pos).astype(np.intp)
        hi = np.minimum(lo + 1, n - 1)
        edges = np.unique(r[lo] + (r[hi] - r[lo]) * (pos - lo))
        ref_counts = np.diff(np.searchsorted(r, edges, "left"), prepend=0, append=n)
        cur_counts = np.diff(np.searchsorted(c, edges, "left"), prepend=0, append=m)
    else:
        ref_counts = np.array([n])
        cur_counts = np.array([m])
    if r_missing or c_missing:
        ref_counts = np.append(ref_counts, r_missing)
        cur_counts = np.append(cur_counts, c_missing)
    out.update(binned(ref_counts, cur_counts))
    return out


def categorical(ref: pa.ChunkedArray, cur: pa.ChunkedArray) -> dict[str, float]:
    counts = []
    for col in (ref, cur):
        vc = pc.value_counts(col)
        counts.append(dict(zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist())))
    rc, cc = counts
    cats = sorted(set(rc) | set(cc), key=lambda k: (k is None, str(k)))
    ref_counts = np.array([rc.get(k, 0) for k in cats], dtype=np.int64)
    cur_counts = np.array([cc.get(k, 0) for k in cats], dtype=np.int64)
    out = {"missing_share_reference": rc.get(None, 0) / len(ref),
           "missing_share_current": cc.get(None, 0) / len(cur),
           "unseen_share_current": sum(v for k, v in cc.items()
                                       if k is not None and k not in rc) / len(cur)}
    out.update(binned(ref_counts, cur_counts))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reference")
    ap.add_argument("current")
    ap.add_argument("out")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    t0 = time.perf_counter()
    ref = pq.read_table(args.reference)
    cur = pq.read_table(args.current)

    def one(name: str) -> tuple[str, dict[str, float]]:
        r, c = ref.column(name), cur.column(name)
        if pa.types.is_floating(r.type) or pa.types.is_integer(r.type):
            return name, numerical(r, c)
        return name, categorical(r, c)

    with ThreadPoolExecutor(args.threads) as pool:
        metrics = dict(pool.map(one, ref.column_names))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "plain_numpy_metrics.json").write_text(json.dumps(metrics, indent=1))
    seconds = time.perf_counter() - t0
    flagged = sorted(k for k, v in metrics.items() if v["psi"] >= 0.1)
    print(json.dumps({"compute_seconds": round(seconds, 3), "flagged": flagged,
                      "rule": "PSI >= 0.1"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
