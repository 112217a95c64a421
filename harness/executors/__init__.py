"""Executors decide *where* the worker runs; they never change *what* it does.

Every executor runs ``python -m harness.worker --spec SPEC --out DIR`` for one unit and reports
an :class:`ExecResult`. Turning that into records is shared code (:mod:`harness.outcome`). The
interface lives in :mod:`harness.executors.base`, so the executors never import this package.
"""

from __future__ import annotations

from harness.executors.base import (
    EXECUTORS,
    SPEC_FILE,
    STDERR_LOG,
    STDOUT_LOG,
    ExecResult,
    Executor,
    ExecutorUnavailable,
    UnitLost,
)

__all__ = [
    "EXECUTORS", "SPEC_FILE", "STDERR_LOG", "STDOUT_LOG", "ExecResult", "Executor",
    "ExecutorUnavailable", "UnitLost", "get_executor",
]


def get_executor(name: str, **options: object) -> Executor:
    """Create the executor registered under ``name`` with its options."""
    if name == "local":
        from harness.executors.local import LocalExecutor

        return LocalExecutor()
    if name == "docker":
        from harness.executors.docker import DockerExecutor

        return DockerExecutor(**options)
    if name == "ray":
        from harness.executors.ray import RayExecutor

        return RayExecutor(**options)
    raise ValueError(f"unknown executor {name!r}; available: {', '.join(EXECUTORS)}")
