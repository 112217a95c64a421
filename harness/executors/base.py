"""What every executor shares: the :class:`Executor` interface, :class:`ExecResult`, the
errors executors raise and the names of the files a unit folder holds (re-exported by
:mod:`harness.executors`)."""

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
        killed_for: ``"timeout"`` or ``"oom"`` when the executor (or the engine) killed it,
            ``"interrupted"`` when it killed it because the harness was stopped.
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
    #: How many times the runner retries a unit whose attempt raised :class:`UnitLost`.
    max_retries: int = 0

    @abc.abstractmethod
    def run(self, spec: RunSpec, unit_dir: Path) -> ExecResult:
        """Run the unit whose spec is already written to ``unit_dir/spec.json``.

        The worker's stdout/stderr go to ``unit_dir/stdout.log``/``stderr.log`` and its results
        to ``unit_dir``. Must enforce ``spec.timeout_s`` and ``spec.memory_mb``.
        """

    def interrupt(self) -> None:
        """The harness got SIGINT/SIGTERM: end the units in flight now, start no other.

        Called from the signal handler (main thread) while other threads are inside
        :meth:`run`; those calls should return promptly with ``killed_for="interrupted"``. The
        default does nothing: units in flight end as they would (their deadline at the latest).
        """
        return None

    def reclaim(self, run_id: str) -> list[str]:
        """Remove what a killed harness of ``run_id`` left running (called under the run lock,
        so nothing of this run can be in flight); returns what was removed. Default: nothing
        (local workers die with their harness, :mod:`harness.watchdog`)."""
        return []

    def close(self) -> None:
        """Release what the executor keeps between units (the local executor's zygotes); it
        may run units again afterwards. The runner calls this when a batch of units ends.
        Default: nothing."""
        return None

    def describe(self) -> dict:
        """Facts about the executor for ``run.json``."""
        return {"name": self.name}

    def preflight(self) -> dict:
        """Check, before any unit runs, that the executor can work; raise with the fix if not."""
        return {}


EXECUTORS = ("local", "docker", "ray")
#: ``run --executor`` choices: the executors, and ``auto`` (:func:`harness.executors.choose`).
CHOICES = ("auto", *EXECUTORS)


class ExecutorUnavailable(RuntimeError):
    """The executor's infrastructure failed (engine or cluster gone); not the unit's fault.

    The runner records the unit that hit it and stops the run with this message; rerunning the
    same run id resumes.
    """


class UnitLost(RuntimeError):
    """The unit's task or node was lost (e.g. a Ray node died); the attempt may be retried.

    The runner records the lost attempt as ``crashed`` and retries up to the executor's
    ``max_retries`` times.
    """
