"""`cases check --build` over every active case: labels, sites, >= 100 batches (issue #12).

Runs every program (buggy and patched, quick profile) up to its fits without training: about two
minutes on 2 cores (82 programs in 2 subprocesses that import TensorFlow once each).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cases import discover
from harness.modelcheck import build_report

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.slow
def test_every_active_case_matches_the_model_it_builds() -> None:
    """No label, site or batch-count error in any active case, in either variant."""
    lines, errors = build_report(
        REPO_ROOT, discover(REPO_ROOT), ("buggy", "patched"), jobs=2, named=False
    )
    assert errors == [], "\n".join(lines)
