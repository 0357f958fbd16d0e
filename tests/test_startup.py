"""What starting driftscope costs: heavy libraries are imported only where they are used.

A round's fixed cost is mostly imports (see ``benchmarks/compare_tools.py``); these tests keep
the libraries a round does not always need out of the modules every command loads. Each check
runs in a fresh interpreter, so nothing imported by other tests counts.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # fresh interpreters

# scipy.stats ~1.5 s (only the tests' p-values need it), sklearn ~2.5 s (only models and
# performance), jsonschema (only reading a report back), pyplot ~1 s (never: the PNGs are drawn
# on bare Figures), pyspark and datasketches (only their backends)
HEAVY = ("scipy.stats", "scipy.spatial", "sklearn", "jsonschema", "matplotlib.pyplot",
         "pyspark", "datasketches", "streamlit", "fastapi", "uvicorn", "croniter")


def _loaded(code: str) -> set[str]:
    probe = (f"import sys, json\n{code}\n"
             f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_loading_every_command_and_the_round_imports_no_heavy_library() -> None:
    assert _loaded("import driftscope, driftscope.cli, driftscope.cli_run, driftscope.monitor, "
                   "driftscope.outputs.writer, driftscope.outputs.html, driftscope.store") == set()


def test_a_round_without_a_model_never_needs_sklearn_or_pyplot(tmp_path) -> None:  # noqa: ANN001
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    for name, shift in (("ref", 0.0), ("cur", 1.0)):
        pd.DataFrame({"x": rng.normal(shift, 1, 500), "c": rng.choice(list("ab"), 500)}
                     ).to_parquet(tmp_path / f"{name}.parquet")
    code = ("from driftscope.cli import main\n"
            f"main(['run', '--reference', {str(tmp_path / 'ref.parquet')!r}, '--current', "
            f"{str(tmp_path / 'cur.parquet')!r}, '--out', {str(tmp_path / 'out')!r}, "
            "'--quiet'])")
    loaded = _loaded(code)
    assert "sklearn" not in loaded and "matplotlib.pyplot" not in loaded
    assert (tmp_path / "out" / "images").is_dir()  # the drifted column was drawn
    assert "scipy.stats" in loaded  # the KS p-value
