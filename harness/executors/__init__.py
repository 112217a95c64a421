"""Executors decide *where* the worker runs; they never change *what* it does.

Every executor runs ``python -m harness.worker --spec SPEC --out DIR`` for one unit and reports
an :class:`ExecResult`. Turning that into records is shared code (:mod:`harness.outcome`). The
interface lives in :mod:`harness.executors.base`, so the executors never import this package.
"""

from __future__ import annotations

from harness.executors.base import (
    CHOICES,
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
    "CHOICES", "EXECUTORS", "SPEC_FILE", "STDERR_LOG", "STDOUT_LOG", "ExecResult", "Executor",
    "ExecutorUnavailable", "UnitLost", "choose", "get_executor",
]


def choose(name: str, image: str | None = None) -> tuple[str, str | None]:
    """Resolve ``run --executor``: ``(executor name, one line saying why)`` for ``auto``.

    ``auto`` picks ``docker`` when a Docker engine is reachable, building the offline runner
    image (:func:`harness.images.build`) when ``image`` (default
    :data:`harness.images.DEFAULT_IMAGE`) is missing; otherwise ``local``. The benchmark's
    design runs each program in an isolated container, so a machine with an engine uses it.
    Any other name is returned as it is, with no line.
    """
    if name != "auto":
        return name, None
    from harness import images

    why = images.unreachable()
    if why is not None:
        return "local", (f"executor auto: no Docker engine reachable ({why}); running each unit "
                         "as a local subprocess (not a sandbox: see README, 'Executors')")
    tag = image or images.DEFAULT_IMAGE
    try:
        images.describe(tag)
        return "docker", ("executor auto: Docker engine reachable; each unit runs in a "
                          f"container of {tag}")
    except images.ImageError:
        if image is not None:
            raise  # a named image that is missing is the user's to build
    info = images.build(tag=tag)
    return "docker", (f"executor auto: Docker engine reachable; built the offline runner image "
                      f"{info['tag']} ({info['id'][:19]}); each unit runs in a container")


def get_executor(name: str, **options: object) -> Executor:
    """Create the executor registered under ``name`` with its options."""
    if name == "local":
        from harness.executors.local import LocalExecutor

        return LocalExecutor(**options)  # type: ignore[arg-type]
    if name == "docker":
        from harness.executors.docker import DockerExecutor

        return DockerExecutor(**options)
    if name == "ray":
        from harness.executors.ray import RayExecutor

        return RayExecutor(**options)
    raise ValueError(f"unknown executor {name!r}; available: {', '.join(EXECUTORS)}")
