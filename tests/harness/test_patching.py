"""Strict unified-diff application (foundation issue #2)."""

from __future__ import annotations

import difflib
import re
import shutil
from pathlib import Path

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


def _create(name: str, text: str = "x = 1\n") -> str:
    """A diff that creates ``name`` (as `git diff` writes a new file)."""
    lines = text.splitlines(True)
    return (f"--- /dev/null\n+++ b/{name}\n@@ -0,0 +1,{len(lines)} @@\n"
            + "".join(f"+{line}" for line in lines))


@pytest.mark.parametrize(
    ("diff", "path"),
    [
        (_create("../evil.py"), "../evil.py"),
        (_create("sub/../../evil.py"), "sub/../../evil.py"),
        ("--- /dev/null\n+++ /tmp/evil.py\n@@ -0,0 +1 @@\n+x = 1\n", "/tmp/evil.py"),
        (_diff(BUGGY, FIXED, "../train.py"), "../train.py"),
    ],
    ids=["creates-dotdot", "nested-dotdot", "absolute", "modifies-dotdot"],
)
def test_path_leaving_the_program_folder_is_refused(diff: str, path: str) -> None:
    """A patch path that is absolute or climbs out ('..') fails, naming the patch and the path."""
    files = {"train.py": BUGGY, "../train.py": BUGGY}
    with pytest.raises(PatchError, match=rf"patches/x\.diff: path '{re.escape(path)}'"):
        apply_patch(files, diff, "patches/x.diff")


def test_path_through_a_symlink_is_refused(tmp_path: Path) -> None:
    """A patch path through a symlink in the case folder (here to a folder outside) fails."""
    case, outside = tmp_path / "case", tmp_path / "outside"
    case.mkdir()
    outside.mkdir()
    (case / "link").symlink_to(outside)
    with pytest.raises(PatchError, match=r"p\.diff: path 'link/evil\.py' goes through the symlink"):
        apply_patch({"train.py": BUGGY}, _create("link/evil.py"), "p.diff", folder=case)


def test_worker_never_writes_outside_the_program_folder(tmp_path: Path, fixture_bench) -> None:
    """End to end: the worker's program copy refuses a patch through a symlink; nothing leaks."""
    from harness.spec import RunSpec
    from harness.worker import prepare_program

    bench, outside = tmp_path / "bench", tmp_path / "outside"
    shutil.copytree(fixture_bench / "bugs" / "gh-fixture-nan", bench / "bugs" / "gh-fixture-nan")
    (bench / "patches").mkdir()
    (bench / "patches" / "gh-fixture-nan.diff").write_text(_create("link/evil.py"))
    outside.mkdir()
    (bench / "bugs" / "gh-fixture-nan" / "link").symlink_to(outside)
    spec = RunSpec(run_id="t", case_id="gh-fixture-nan", variant="patched",
                   tools=("none",), seed=0, bench_root=str(bench))
    with pytest.raises(PatchError, match=r"gh-fixture-nan\.diff: path 'link/evil\.py'"):
        prepare_program(spec, tmp_path / "unit")
    assert list(outside.iterdir()) == []
