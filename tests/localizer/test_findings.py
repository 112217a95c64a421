"""The localizer's own result type and JSON convention, shared with the harness."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np

from localizer import findings


def test_json_safe_writes_non_finite_numbers_as_null() -> None:
    """NaN and ±Inf become None at any depth; numpy scalars become Python numbers."""
    value = {"a": float("nan"), "b": [np.float32(1.5), float("inf")], 3: (1, -math.inf)}
    safe = findings.json_safe(value)
    assert safe == {"a": None, "b": [1.5, None], "3": [1, None]}
    json.dumps(safe, allow_nan=False)


def test_baselines_re_exports_the_localizer_types() -> None:
    """``baselines.base`` names the very same Finding, TARGETS and json_safe."""
    import baselines.base as base

    assert base.Finding is findings.Finding
    assert base.TARGETS is findings.TARGETS
    assert base.json_safe is findings.json_safe


def test_the_harness_side_loads_no_tensorflow() -> None:
    """Importing the records, scoring and the Detector interface loads neither Keras nor
    TensorFlow (the localizer package loads its callback lazily)."""
    code = (
        "import sys, baselines.base, harness.records, harness.scoring, localizer; "
        "print(sorted(m for m in ('keras', 'tensorflow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
