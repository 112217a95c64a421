"""Strict unified-diff application (foundation issue #2)."""

from __future__ import annotations

import difflib

import pytest

from harness.patching import PatchError, apply_patch

BUGGY = "a = 1\nb = 2\nc = 3\nd = 4\n"
FIXED = "a = 1\nb = 20\nc = 3\nd = 4\ne = 5\n"


def _diff(old: str, new: str, name: str = "train.py") -> str:
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                        f"a/{name}", f"b/{name}"))


def test_applies_diff_made_by_difflib() -> None:
    """A diff buggy → fixed turns the buggy text into the fixed text."""
    assert apply_patch({"train.py": BUGGY}, _diff(BUGGY, FIXED)) == {"train.py": FIXED}


def test_context_mismatch_names_line_and_text() -> None:
    """A hunk whose context differs from the file fails with the expected and found lines."""
    with pytest.raises(PatchError, match=r"hunk 1 does not apply at line 2: expected 'b = 2', "
                                         r"found 'b = 7'"):
        apply_patch({"train.py": BUGGY.replace("b = 2", "b = 7")}, _diff(BUGGY, FIXED), "p.diff")


def test_patch_for_missing_file_is_an_error() -> None:
    """Patching a file that is not in the case folder names the file and what exists."""
    with pytest.raises(PatchError, match=r"patches 'model\.py'.*files: train\.py"):
        apply_patch({"train.py": BUGGY}, _diff(BUGGY, FIXED, "model.py"))


def test_not_a_diff_is_an_error() -> None:
    """Text without file headers is rejected."""
    with pytest.raises(PatchError, match="not a unified diff"):
        apply_patch({"train.py": BUGGY}, "just some text\n")


def test_reversed_patch_does_not_apply() -> None:
    """Direction matters: a fixed → buggy diff does not apply to the buggy file."""
    with pytest.raises(PatchError):
        apply_patch({"train.py": BUGGY}, _diff(FIXED, BUGGY))
