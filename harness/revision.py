"""Which code a record was made with: the harness' code revision and the tools' versions.

A completed record is current (its unit is skipped on resume) only if it was made by the same
code: :func:`code_revision` must match the record's ``code_revision`` and each tool's
:attr:`~baselines.base.Detector.version` its ``tool_version`` (see
:func:`harness.runner.is_current`).

The code revision is a content hash of the Python sources (``*.py``) under ``localizer/``,
``baselines/`` and ``harness/`` of the checkout the harness runs from: any change there, even a
comment, makes a resume run every unit again. It is computed once per run (a few ms), when the
run starts; editing the sources while a run is going on is not noticed by that run. It is not a
git commit: uncommitted edits count, and so do untracked files. Third-party tools living outside
those folders are covered by their ``version`` only.
"""

from __future__ import annotations

import functools
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from harness.envinfo import REPO_ROOT
from harness.spec import NO_TOOL

#: The folders whose Python sources make up the code revision.
SOURCE_DIRS = ("localizer", "baselines", "harness")


def code_revision(root: Path = REPO_ROOT) -> str:
    """Content hash (16 hex digits) of the ``*.py`` files under :data:`SOURCE_DIRS` of ``root``."""
    digest = hashlib.sha256()
    for folder in SOURCE_DIRS:
        for path in sorted((root / folder).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


_PROBE = """
import json, sys
from baselines import registry
out = {}
for name in sys.argv[1:]:
    try:
        out[name] = registry.get_class(name).version
    except Exception as exc:
        print(f"{name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        out[name] = None
print(json.dumps(out))
"""


def tool_versions(names: Iterable[str]) -> dict[str, str | None]:
    """Each tool's current ``version`` (``None`` for ``none`` and for a tool that cannot load).

    The tools are imported in a subprocess, so the harness itself never loads TensorFlow; the
    answer is kept for the rest of the process (a run's versions do not change under it).

    Raises:
        RuntimeError: the subprocess failed; the message has its stderr.
    """
    names = list(names)
    versions: dict[str, str | None] = {n: None for n in names}
    wanted = tuple(sorted({n for n in names if n != NO_TOOL}))
    if wanted:
        versions.update(_probe(wanted))
    return versions


@functools.cache
def _probe(wanted: tuple[str, ...]) -> dict[str, str | None]:
    """Versions of ``wanted`` from a subprocess (once per process and set of names)."""
    proc = subprocess.run([sys.executable, "-c", _PROBE, *wanted], capture_output=True,
                          text=True, cwd=str(REPO_ROOT), timeout=300)
    try:
        found = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise RuntimeError(
            f"cannot read the versions of tools {wanted} (exit code {proc.returncode}): "
            f"{proc.stderr.strip()[-2000:]}"
        ) from None
    return {n: None if v is None else str(v) for n, v in found.items()}
