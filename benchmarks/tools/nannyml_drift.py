"""NannyML's univariate drift calculator on one pair of files (runs in NannyML's environment).

    python benchmarks/tools/nannyml_drift.py REFERENCE.parquet CURRENT.parquet OUT_DIR

Reads both files with pandas and runs ``UnivariateDriftCalculator`` over every column with
the methods closest to driftscope's: Kolmogorov–Smirnov and Jensen–Shannon on the numerical
columns, chi-square and Jensen–Shannon on the categorical ones, with one chunk (the whole
current file is one round, as in driftscope). It fits on the reference, calculates on the
current and writes the analysis results as CSV (``results.to_df()``), which is how a
pipeline keeps them. NannyML's default alert thresholds are derived from the spread of the
metric over the reference's chunks, which one chunk cannot give, so KS and Jensen–Shannon
get fixed thresholds here (``--ks-threshold``, ``--js-threshold``, 0.1 each, the value its
documentation uses as an example); chi-square alerts on its p-value < 0.05, NannyML's fixed
rule. Prints one JSON line on stdout: the seconds after the imports and the columns with an
alert on any method.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")

import nannyml as nml  # noqa: E402
import pandas as pd  # noqa: E402
from nannyml.thresholds import ConstantThreshold  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reference")
    ap.add_argument("current")
    ap.add_argument("out")
    ap.add_argument("--ks-threshold", type=float, default=0.1)
    ap.add_argument("--js-threshold", type=float, default=0.1)
    args = ap.parse_args()
    t0 = time.perf_counter()
    ref = pd.read_parquet(args.reference)
    cur = pd.read_parquet(args.current)
    categorical = [c for c in ref.columns if not pd.api.types.is_numeric_dtype(ref[c])]
    calc = nml.UnivariateDriftCalculator(
        column_names=list(ref.columns),
        treat_as_categorical=categorical,
        continuous_methods=["kolmogorov_smirnov", "jensen_shannon"],
        categorical_methods=["chi2", "jensen_shannon"],
        chunk_number=1,
        thresholds={"kolmogorov_smirnov": ConstantThreshold(upper=args.ks_threshold),
                    "jensen_shannon": ConstantThreshold(upper=args.js_threshold)},
    )
    calc.fit(ref)
    results = calc.calculate(cur).filter(period="analysis")
    table = results.to_df()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "nannyml_univariate_drift.csv")
    seconds = time.perf_counter() - t0
    flagged = set()
    for column in table.columns:
        # the columns are a MultiIndex (feature, method, field)
        if column[-1] == "alert" and bool(table[column].any()):
            flagged.add(column[0])
    print(json.dumps({"compute_seconds": round(seconds, 3), "flagged": sorted(flagged),
                      "rule": f"KS > {args.ks_threshold}, JS > {args.js_threshold}, "
                              "chi2 p < 0.05"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
