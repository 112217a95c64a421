"""Executors decide *where* the worker runs; they never change *what* it does.

Every executor runs ``python -m harness.worker --spec SPEC --out DIR`` for one unit and reports
an :class:`ExecResult`. Turning that into records is shared code (:mod:`harness.outcome`).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from harness.spec import RunSpec

STDOUT_LOG = "stdout.log"
STDERR_LOG = "stderr.log"
SPEC_FILE = "spec.json"


@dataclass(frozen=True)
class ExecResult:
    """How the worker process ended.

    Attributes:
        exit_code: The worker's exit status (negative: killed by that signal); ``None`` if it
            never started.
        killed_for: ``"timeout"`` or ``"oom"`` when the executor (or the engine) killed it.
        wall_s: Seconds from start to end.
        peak_rss_mb: Highest resident memory observed for the unit's processes, if measured.
        detail: Extra, executor-specific facts for the record (e.g. a container image id).
    """

    exit_code: int | None
    killed_for: str | None
    wall_s: float
    peak_rss_mb: float | None = None
    detail: dict | None = None


class Executor(abc.ABC):
    """Runs the worker for one unit somewhere. Must be safe to call from several threads."""

    name: ClassVar[str]

    @abc.abstractmethod
    def run(self, spec: RunSpec, unit_dir: Path) -> ExecResult:
        """Run the unit whose spec is already written to ``unit_dir/spec.json``.

        The worker's stdout/stderr go to ``unit_dir/stdout.log``/``stderr.log`` and its results
        to ``unit_dir``. Must enforce ``spec.timeout_s`` and ``spec.memory_mb``.
        """

    def describe(self) -> dict:
        """Facts about the executor for ``run.json``."""
        return {"name": self.name}


def get_executor(name: str, **options: object) -> Executor:
    """Create the executor registered under ``name``."""
    if name == "local":
        from harness.executors.local import LocalExecutor

        return LocalExecutor()
    raise ValueError(f"unknown executor {name!r}; available: local")
