"""What a run ran on (package versions, Python, hardware, git revision of the harness) and where
the benchmark lives (:func:`bench_root`)."""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("deeplocalize", "tensorflow", "keras", "numpy", "pandas", "scikit-learn", "jinja2",
            "docker")
REPO_ROOT = Path(__file__).resolve().parent.parent
LOCK_FILE = REPO_ROOT / "requirements.lock"


def bench_root(value: str | Path | None = None) -> Path:
    """The benchmark root (the folder with ``bugs/`` and ``patches/``).

    The rule of ``deeplocalize --bench-root``: ``value`` when given, else
    ``$DEEPLOCALIZE_BENCH``, else the current folder when it has ``bugs/``, else this
    repository.
    """
    if value:
        return Path(value).resolve()
    if os.environ.get("DEEPLOCALIZE_BENCH"):
        return Path(os.environ["DEEPLOCALIZE_BENCH"]).resolve()
    if (Path.cwd() / "bugs").is_dir():
        return Path.cwd()
    return REPO_ROOT


def versions() -> dict[str, str | None]:
    """Installed version of each package that matters to results (``None`` when absent)."""
    found: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def git_revision(path: Path = REPO_ROOT) -> dict[str, Any]:
    """Commit and dirty flag of the checkout at ``path`` (``None`` outside git)."""
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True,
                                 timeout=10, check=True)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip()

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def environment() -> dict[str, Any]:
    """Everything a record needs to say where it ran."""
    lock = LOCK_FILE.read_bytes() if LOCK_FILE.exists() else b""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "packages": versions(),
        "lock_sha256": hashlib.sha256(lock).hexdigest()[:16] if lock else None,
    }
