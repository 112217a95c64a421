"""Run each unit in its own Docker container (the benchmark programs are untrusted code).

Isolation: no network, an explicit non-root user (:func:`container_user`), a read-only root
file system with a ``tmpfs`` at ``/tmp``, all capabilities dropped, ``no-new-privileges``,
memory (no swap), CPU and process limits. Mounts are minimal (:meth:`DockerExecutor.mounts`):
the unit's folder read-write at ``/out`` (mode 0700, owned by the container user), the case
folder read-only at ``/bench/bugs/<id>``, the case's patch read-only only for the ``patched``
variant, and the runtime read-only (``hostenv`` images: the host's system folders, its Python,
the virtual environment and the four code packages); nothing else of the repository, so a
program reads neither ``patches/`` nor ``runs/``. The deadline is enforced twice: coreutils
``timeout`` inside the container (so it holds even if the harness dies) and a host-side wait
that kills the container. :meth:`DockerExecutor.interrupt` kills the containers in flight.
Containers carry the label ``deeplocalize.run_id=<run>`` and are always removed, also on
Ctrl-C; ``deeplocalize clean RUN`` removes any that a killed harness left behind.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from harness import images
from harness.envinfo import REPO_ROOT
from harness.executors.base import (
    STDERR_LOG,
    STDOUT_LOG,
    ExecResult,
    Executor,
    ExecutorUnavailable,
)
from harness.spec import RunSpec

RUN_LABEL = "deeplocalize.run_id"
UNIT_LABEL = "deeplocalize.unit"
CONTAINER_OUT = "/out"
#: Where the case folder (and, for ``patched``, its patch) appear in the container.
CONTAINER_BENCH = "/bench"
#: The spec the container reads: the unit's spec with ``bench_root`` = :data:`CONTAINER_BENCH`.
CONTAINER_SPEC = "spec.container.json"
#: The user a container runs as when the harness runs as root (otherwise the harness' own).
UNPRIVILEGED = (10001, 10001)
#: The project's code packages a ``hostenv`` container imports (read-only).
CODE_PACKAGES = ("harness", "localizer", "baselines", "reports")
#: Exit status of coreutils `timeout` when the command timed out (124) or needed SIGKILL (137).
TIMEOUT_EXIT = (124,)
KILL_GRACE_S = 10
HOST_MARGIN_S = 30
#: Host folders a hostenv container sees read-only (those that exist).
HOST_SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc")


def container_user() -> tuple[int, int]:
    """``(uid, gid)`` a container runs as: the harness' own, or :data:`UNPRIVILEGED` for root."""
    uid, gid = os.geteuid(), os.getegid()
    return UNPRIVILEGED if uid == 0 else (uid, gid)


def _chown_tree(folder: Path, uid: int, gid: int) -> None:
    for path in [folder, *folder.rglob("*")]:
        try:
            os.lchown(path, uid, gid)
        except OSError:
            continue  # vanished; the record says what happened to the unit


def container_name(spec: RunSpec) -> str:
    """A valid, unique-per-unit container name derived from the spec."""
    raw = f"deeplocalize.{spec.run_id}.{spec.unit_key.replace('/', '.')}"
    return re.sub(r"[^a-zA-Z0-9_.-]", "_", raw)[:200]


class DockerExecutor(Executor):
    """Runs the worker in a container from the runner image (see :mod:`harness.images`).

    Args:
        image: Runner image tag (``deeplocalize image build`` makes ``deeplocalize/runner:latest``).
        cpus: CPU limit per container (default: every CPU of this machine; ``deeplocalize run``
            passes the machine's CPUs divided by ``--jobs``, the share a local unit gets).
    """

    name = "docker"

    def __init__(self, image: str = images.DEFAULT_IMAGE, cpus: float | None = None) -> None:
        cpus = float(os.cpu_count() or 1) if cpus is None else cpus
        if cpus <= 0:
            raise ValueError(f"cpus must be > 0, got {cpus}")
        self.image = image
        self.cpus = cpus
        self._info: dict[str, Any] | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._in_flight: set[str] = set()  # container names

    def preflight(self) -> dict[str, Any]:
        """Check the engine and the image before a run; raises ImageError with the fix."""
        self._info = images.describe(self.image)
        return self._info

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "cpus": self.cpus, **(self._info or self.preflight())}

    def interrupt(self) -> None:
        """Kill the containers in flight (from a thread: this runs in a signal handler)."""
        self._stop.set()
        with self._lock:
            names = sorted(self._in_flight)
        if names:
            threading.Thread(target=_kill, args=(names,), daemon=True).start()

    def reclaim(self, run_id: str) -> list[str]:
        """Remove the containers of ``run_id`` a killed harness left (they run to their own
        deadline otherwise)."""
        return clean(run_id)

    def mounts(self, spec: RunSpec, unit_dir: Path, mode: str) -> dict[str, dict[str, str]]:
        """Host path -> ``{"bind", "mode"}``: the unit folder, the case, the runtime; no more."""
        from harness.cases import load_case
        from harness.datasets import cache_dir

        case = load_case(Path(spec.bench_root), spec.case_id)
        volumes = {str(unit_dir.resolve()): {"bind": CONTAINER_OUT, "mode": "rw"}}
        inside = Path(CONTAINER_BENCH)
        named = [(case.folder, inside / "bugs" / case.id)]
        if spec.variant == "patched":
            named.append((case.patch_path, inside / "patches" / case.patch_path.name))
        if mode == "hostenv":
            runtime = [Path(p) for p in HOST_SYSTEM_DIRS if Path(p).exists()]
            runtime += [Path(sys.base_prefix), Path(sys.prefix)]
            runtime += [REPO_ROOT / package for package in CODE_PACKAGES]
            named += [(path, path.absolute()) for path in runtime]
        if cache_dir().is_dir():
            named.append((cache_dir(), cache_dir().absolute()))
        for source, target in named:
            # Source resolved, target as named: /lib64 -> usr/lib64 must still appear as /lib64.
            volumes.setdefault(str(source.resolve()), {"bind": str(target), "mode": "ro"})
        return volumes

    def run(self, spec: RunSpec, unit_dir: Path) -> ExecResult:
        import docker
        import requests

        info = self._info or self.preflight()
        if self._stop.is_set():
            return ExecResult(exit_code=None, killed_for="interrupted", wall_s=0.0)
        python = sys.executable if info["mode"] == "hostenv" else "python"
        limit = max(1, int(spec.timeout_s))
        RunSpec.from_json({**spec.to_json(), "bench_root": CONTAINER_BENCH}).write(
            unit_dir / CONTAINER_SPEC)
        command = ["timeout", "-k", str(KILL_GRACE_S), str(limit), python, "-m", "harness.worker",
                   "--spec", f"{CONTAINER_OUT}/{CONTAINER_SPEC}", "--out", CONTAINER_OUT]
        from harness.datasets import ENV_VAR, cache_dir

        environment = {
            "HOME": "/tmp", "MPLCONFIGDIR": "/tmp", "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1", "PYTHONHASHSEED": str(spec.seed),
            "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
            ENV_VAR: str(cache_dir()),
        }
        if info["mode"] == "hostenv":  # the code this harness runs, wherever the venv points
            environment["PYTHONPATH"] = str(REPO_ROOT)
        uid, gid = container_user()
        owner = (os.geteuid(), os.getegid())
        if (uid, gid) != owner:
            _chown_tree(unit_dir, uid, gid)  # the harness is root: hand the folder over
        os.chmod(unit_dir, 0o700)
        try:
            client = images.client()
        except images.ImageError as exc:
            raise ExecutorUnavailable(str(exc)) from exc
        start = time.perf_counter()
        killed_for = None
        container = None
        try:
            for stale in client.containers.list(all=True, filters={"name": container_name(spec)}):
                stale.remove(force=True)  # left by a harness that was killed mid-unit
            container = client.containers.create(
                info["tag"], command, name=container_name(spec), user=f"{uid}:{gid}",
                labels={RUN_LABEL: spec.run_id, UNIT_LABEL: spec.unit_key},
                network_mode="none", read_only=True,
                tmpfs={"/tmp": "rw,exec,size=2g,mode=1777"},
                mem_limit=f"{spec.memory_mb}m", memswap_limit=f"{spec.memory_mb}m",
                nano_cpus=int(self.cpus * 1e9), pids_limit=1024,
                cap_drop=["ALL"], security_opt=["no-new-privileges"],
                volumes=self.mounts(spec, unit_dir, info["mode"]),
                environment=environment, working_dir="/tmp", detach=True,
            )
            with self._lock:
                self._in_flight.add(container.name)
            if self._stop.is_set():
                raise _Interrupted
            container.start()
            try:
                status = container.wait(timeout=limit + KILL_GRACE_S + HOST_MARGIN_S)
                exit_code = status.get("StatusCode")
            except requests.exceptions.RequestException:
                # docker-py raises ReadTimeout or ConnectionError here (docker/docker-py#1966)
                container.kill()
                exit_code, killed_for = None, "timeout"
            container.reload()
            state = container.attrs.get("State", {})
            if self._stop.is_set():
                killed_for = "interrupted"
            elif state.get("OOMKilled"):
                killed_for = "oom"
            elif exit_code in TIMEOUT_EXIT or (
                exit_code == 137 and time.perf_counter() - start >= limit
            ):
                killed_for = "timeout"
            (unit_dir / STDOUT_LOG).write_bytes(container.logs(stdout=True, stderr=False))
            (unit_dir / STDERR_LOG).write_bytes(container.logs(stdout=False, stderr=True))
        except _Interrupted:
            exit_code, killed_for = None, "interrupted"
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            if self._stop.is_set():  # the container was killed and removed under us
                return ExecResult(exit_code=None, killed_for="interrupted",
                                  wall_s=round(time.perf_counter() - start, 4))
            raise ExecutorUnavailable(f"Docker engine failed during unit {spec.unit_key}: "
                                      f"{type(exc).__name__}: {exc}") from exc
        finally:
            if container is not None:
                with self._lock:
                    self._in_flight.discard(container.name)
                try:
                    container.remove(force=True)
                except (docker.errors.DockerException,
                        requests.exceptions.RequestException):
                    pass  # engine gone; `deeplocalize clean` removes it by label later
            client.close()
            if (uid, gid) != owner:
                _chown_tree(unit_dir, *owner)
        if killed_for:
            with open(unit_dir / STDERR_LOG, "a") as err:
                err.write(f"\n[deeplocalize] container ended by the docker executor: {killed_for}"
                          f" (limit {limit} s / {spec.memory_mb} MiB)\n")
        return ExecResult(
            exit_code=exit_code, killed_for=killed_for,
            wall_s=round(time.perf_counter() - start, 4),
            detail={"image": info["tag"], "image_id": info["id"], "image_mode": info["mode"],
                    "container": container_name(spec)},
        )


class _Interrupted(Exception):
    """The harness was stopped between creating and starting a container."""


def _kill(names: list[str]) -> None:
    """Kill the named containers; the engine may be gone (then their deadline ends them)."""
    import docker

    try:
        with closing(images.client(timeout=10)) as client:
            for name in names:
                try:
                    client.containers.get(name).kill()
                except docker.errors.DockerException:
                    continue  # already ended or removed
    except (images.ImageError, docker.errors.DockerException):
        return


def clean(run_id: str | None) -> list[str]:
    """Remove every container of ``run_id`` (all deeplocalize containers when ``None``)."""
    label = f"{RUN_LABEL}={run_id}" if run_id else RUN_LABEL
    removed = []
    with closing(images.client()) as client:
        for container in client.containers.list(all=True, filters={"label": label}):
            container.remove(force=True)
            removed.append(container.name)
    return removed
