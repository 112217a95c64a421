"""Every case in bugs/ passes the fast check (schema, files, patch applies, params)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cases import check_case, discover

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.parametrize("case_id", discover(REPO_ROOT))
def test_case_passes_check(case_id: str) -> None:
    assert check_case(REPO_ROOT, case_id) == []


def test_every_patch_belongs_to_a_case() -> None:
    """No orphan patch files."""
    cases = set(discover(REPO_ROOT))
    orphans = [p.name for p in (REPO_ROOT / "patches").glob("*.diff") if p.stem not in cases]
    assert orphans == []
