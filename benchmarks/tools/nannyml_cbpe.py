"""NannyML's CBPE on one reference and one analysis file (runs in NannyML's environment).

    python benchmarks/tools/nannyml_cbpe.py REFERENCE.parquet ANALYSIS.parquet --chunk-size N

Both files hold ``y_pred_proba`` (the model's probability of the positive class 1),
``y_pred`` (its predicted class) and, in the reference only, the label ``repaid``. Fits
``nannyml.CBPE`` (binary classification, metrics ROC AUC and accuracy, NannyML's defaults
otherwise: isotonic calibration unless the scores are calibrated already) on the reference and
estimates each ``--chunk-size`` chunk of the analysis file, in row order. Prints one JSON line:
the seconds after the imports and, per chunk, the estimates with NannyML's sampling error.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")

import nannyml as nml  # noqa: E402
import pandas as pd  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reference")
    ap.add_argument("analysis")
    ap.add_argument("--chunk-size", type=int, required=True)
    args = ap.parse_args()
    t0 = time.perf_counter()
    ref = pd.read_parquet(args.reference)
    ana = pd.read_parquet(args.analysis)
    cbpe = nml.CBPE(problem_type="classification_binary", y_pred_proba="y_pred_proba",
                    y_pred="y_pred", y_true="repaid", metrics=["roc_auc", "accuracy"],
                    chunk_size=args.chunk_size)
    cbpe.fit(ref)
    frame = cbpe.estimate(ana).filter(period="analysis").to_df()
    chunks = []
    for _, row in frame.iterrows():
        chunks.append({
            "start": int(row[("chunk", "start_index")]),
            "end": int(row[("chunk", "end_index")]),
            **{f"{m}": float(row[(m, "value")]) for m in ("roc_auc", "accuracy")},
            **{f"{m}_sampling_error": float(row[(m, "sampling_error")])
               for m in ("roc_auc", "accuracy")},
        })
    print(json.dumps({"seconds": time.perf_counter() - t0, "chunks": chunks}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
