"""Run units as Ray tasks, for users who outgrow one machine.

Each unit becomes one Ray task that asks for the unit's CPUs and memory as Ray resources and,
on whichever node runs it, runs the worker through the local or the Docker executor (so the
timeout and memory cap are enforced where the process runs). The task sends the unit's files
(result, history, logs, program copy) back to the driver, which writes them into the run
directory. The benchmark root must exist at the same path on every node (a shared file system
or the same checkout).

A task or node that is lost raises :class:`~harness.executors.UnitLost`; the runner records the
lost attempt and retries it a bounded number of times. Ray has no per-task timeout, so the driver
waits for the unit's deadline plus a margin and then cancels the task as a backstop.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from harness.executors.base import ExecResult, Executor, ExecutorUnavailable, UnitLost
from harness.spec import RunSpec

BACKSTOP_MARGIN_S = 120
#: A task's node-local unit folder: this prefix, then the Ray worker's pid. A force-cancelled or
#: killed worker cannot remove its folder; :func:`sweep_orphans` removes those whose worker is
#: gone (every task does on its node before it starts, and the driver after it cancels one).
UNIT_PREFIX = "deeplocalize-ray-"
#: How long the driver waits for a cancelled task's worker to die to remove its folder.
SWEEP_WAIT_S = 15.0
#: How often the driver's wait for a task looks at the stop flag.
POLL_S = 1.0
MAX_FILE_BYTES = 32 * 2**20


def _collect(folder: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if len(data) > MAX_FILE_BYTES:
                data = data[-MAX_FILE_BYTES:]
            files[path.relative_to(folder).as_posix()] = data
    return files


def sweep_orphans(root: Path | None = None) -> list[Path]:
    """Remove the unit folders under ``root`` (default: the temp folder) whose Ray worker no
    longer runs; return them. A folder whose pid runs (or was reused) is left alone."""
    import shutil

    import psutil

    removed = []
    for folder in Path(root or tempfile.gettempdir()).glob(f"{UNIT_PREFIX}*"):
        pid = folder.name[len(UNIT_PREFIX):].split("-", 1)[0]
        if folder.is_dir() and pid.isdigit() and not psutil.pid_exists(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _tag(spec: RunSpec) -> str:
    """A short name for the unit in its folder's name, so the driver can find that folder."""
    import hashlib

    return hashlib.sha256(f"{spec.run_id}/{spec.unit_key}".encode()).hexdigest()[:12]


def run_on_node(spec_json: dict[str, Any], inner: str, inner_options: dict[str, Any]):
    """The body of a Ray task: run one unit with the inner executor in a node-local folder."""
    from harness.executors.base import SPEC_FILE

    spec = RunSpec.from_json(spec_json)
    if inner == "docker":
        from harness.executors.docker import DockerExecutor

        executor: Executor = DockerExecutor(**inner_options)
    else:
        from harness.executors.local import LocalExecutor

        executor = LocalExecutor(start_method="spawn")  # one unit per task: nothing to share
    executor.preflight()
    sweep_orphans()
    with tempfile.TemporaryDirectory(prefix=f"{UNIT_PREFIX}{os.getpid()}-{_tag(spec)}-") as tmp:
        unit_dir = Path(tmp)
        spec.write(unit_dir / SPEC_FILE)
        result = executor.run(spec, unit_dir)
        detail = dict(result.detail or {}, node=os.uname().nodename, inner=inner)
        return {
            "exit_code": result.exit_code, "killed_for": result.killed_for,
            "wall_s": result.wall_s, "peak_rss_mb": result.peak_rss_mb, "detail": detail,
        }, _collect(unit_dir)


class RayExecutor(Executor):
    """Submits every unit as a Ray task.

    Args:
        address: Ray cluster address (``ray://...`` or ``host:port``); ``None`` starts a local
            Ray instance on this machine.
        inner: ``local`` or ``docker``: how the task runs the worker on its node.
        cpus: CPUs each unit asks Ray for.
        inner_options: Options of the inner executor (e.g. the Docker image).
        max_retries: How many times a lost unit is retried.
    """

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        inner: str = "local",
        cpus: float = 1.0,
        inner_options: dict[str, Any] | None = None,
        max_retries: int = 2,
    ) -> None:
        if inner not in ("local", "docker"):
            raise ValueError(f"inner must be 'local' or 'docker', got {inner!r}")
        if cpus <= 0:
            raise ValueError(f"cpus must be > 0, got {cpus}")
        self.address = address
        self.inner = inner
        self.cpus = cpus
        self.inner_options = dict(inner_options or {})
        self.max_retries = max_retries
        self._remote = None
        self._stop = threading.Event()

    def interrupt(self) -> None:
        """Stop waiting: every task in flight is force-cancelled by the thread that waits on it
        (within :data:`POLL_S`), which kills the Ray worker; a local inner worker dies with it
        (:mod:`harness.watchdog`), a Docker inner container at its own deadline at the latest
        (``deeplocalize clean RUN`` removes it now)."""
        self._stop.set()

    def _cancel(self, task: Any, spec: RunSpec) -> None:
        """Force-cancel ``task`` (its Ray worker is killed); on a local Ray instance, also
        remove the unit folder the killed worker leaves in the temp folder, once that worker
        is gone (waiting at most :data:`SWEEP_WAIT_S`)."""
        ray = self._ray()
        ray.cancel(task, force=True)
        if self.address is not None:
            return
        mine = f"{UNIT_PREFIX}*-{_tag(spec)}-*"
        deadline = time.monotonic() + SWEEP_WAIT_S
        while True:
            sweep_orphans()
            if not any(Path(tempfile.gettempdir()).glob(mine)) or time.monotonic() > deadline:
                return
            time.sleep(0.25)

    def _ray(self):
        try:
            import ray
        except ImportError as exc:
            raise ExecutorUnavailable(
                "the ray executor needs Ray: pip install 'deeplocalize[ray]'"
            ) from exc
        return ray

    def preflight(self) -> dict[str, Any]:
        ray = self._ray()
        if not ray.is_initialized():
            try:
                if self.address:
                    ray.init(address=self.address, log_to_driver=False)
                else:
                    ray.init(include_dashboard=False, log_to_driver=False)
            except Exception as exc:  # ray raises ConnectionError, RuntimeError, ...
                raise ExecutorUnavailable(
                    f"cannot start or reach Ray at {self.address or 'a local instance'}: {exc}"
                ) from exc
        self._remote = ray.remote(run_on_node)
        return {"resources": ray.cluster_resources()}

    def describe(self) -> dict[str, Any]:
        info = self.preflight() if self._remote is None else {}
        return {"name": self.name, "address": self.address or "local", "inner": self.inner,
                "cpus": self.cpus, "max_retries": self.max_retries, **info}

    def run(self, spec: RunSpec, unit_dir: Path) -> ExecResult:
        ray = self._ray()
        if self._remote is None:
            self.preflight()
        if self._stop.is_set():
            return ExecResult(exit_code=None, killed_for="interrupted", wall_s=0.0)
        start = time.perf_counter()
        task = self._remote.options(
            num_cpus=self.cpus, memory=spec.memory_mb * 2**20, max_retries=0,
        ).remote(spec.to_json(), self.inner, self.inner_options)
        deadline = start + spec.timeout_s + BACKSTOP_MARGIN_S
        ready: list = []
        while not ready and not self._stop.is_set() and time.perf_counter() < deadline:
            ready, _ = ray.wait([task], timeout=min(POLL_S, deadline - time.perf_counter()))
        if not ready and self._stop.is_set():
            self._cancel(task, spec)
            return ExecResult(exit_code=None, killed_for="interrupted",
                              wall_s=round(time.perf_counter() - start, 4),
                              detail={"ray": "cancelled: the harness was stopped"})
        if not ready:
            self._cancel(task, spec)
            return ExecResult(exit_code=None, killed_for="timeout",
                              wall_s=round(time.perf_counter() - start, 4),
                              detail={"ray": "cancelled by the driver's backstop deadline"})
        try:
            outcome, files = ray.get(task)
        except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError,
                ray.exceptions.ObjectLostError, ray.exceptions.TaskCancelledError,
                ray.exceptions.RaySystemError) as exc:
            raise UnitLost(f"Ray lost unit {spec.unit_key}: {type(exc).__name__}: {exc}") from exc
        except ray.exceptions.RayTaskError as exc:
            cause = exc.cause if hasattr(exc, "cause") else exc
            if isinstance(cause, ExecutorUnavailable):
                raise ExecutorUnavailable(str(cause)) from exc
            raise UnitLost(f"Ray task for {spec.unit_key} failed: {cause}") from exc
        for rel, data in files.items():
            target = unit_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return ExecResult(**outcome)
