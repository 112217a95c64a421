"""Run each unit in its own Docker container (the benchmark programs are untrusted code).

Isolation: no network, a non-root user, a read-only root file system with a ``tmpfs`` at
``/tmp``, all capabilities dropped, ``no-new-privileges``, memory (no swap), CPU and process
limits; the unit's folder is the only writable mount (at ``/out``). The deadline is enforced
twice: coreutils ``timeout`` inside the container (so it holds even if the harness dies) and a
host-side wait that kills the container. Containers carry the label
``deeplocalize.run_id=<run>`` and are always removed, also on Ctrl-C; ``deeplocalize clean
RUN`` removes any that a killed harness left behind.
"""

from __future__ import annotations

import os
import re
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from harness import images
from harness.envinfo import REPO_ROOT
from harness.executors.base import (
    SPEC_FILE,
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
#: Exit status of coreutils `timeout` when the command timed out (124) or needed SIGKILL (137).
TIMEOUT_EXIT = (124,)
KILL_GRACE_S = 10
HOST_MARGIN_S = 30
#: Host folders a hostenv container sees read-only (those that exist).
HOST_SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc")


def container_name(spec: RunSpec) -> str:
    """A valid, unique-per-unit container name derived from the spec."""
    raw = f"deeplocalize.{spec.run_id}.{spec.unit_key.replace('/', '.')}"
    return re.sub(r"[^a-zA-Z0-9_.-]", "_", raw)[:200]


class DockerExecutor(Executor):
    """Runs the worker in a container from the runner image (see :mod:`harness.images`).

    Args:
        image: Runner image tag (``deeplocalize image build`` makes ``deeplocalize/runner:latest``).
        cpus: CPU limit per container.
    """

    name = "docker"

    def __init__(self, image: str = images.DEFAULT_IMAGE, cpus: float = 1.0) -> None:
        if cpus <= 0:
            raise ValueError(f"cpus must be > 0, got {cpus}")
        self.image = image
        self.cpus = cpus
        self._info: dict[str, Any] | None = None

    def preflight(self) -> dict[str, Any]:
        """Check the engine and the image before a run; raises ImageError with the fix."""
        self._info = images.describe(self.image)
        return self._info

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "cpus": self.cpus, **(self._info or self.preflight())}

    def _mounts(self, spec: RunSpec, unit_dir: Path, mode: str) -> dict[str, dict[str, str]]:
        volumes = {str(unit_dir.resolve()): {"bind": CONTAINER_OUT, "mode": "rw"}}
        read_only = [Path(spec.bench_root)]
        if mode == "hostenv":
            read_only += [Path(p) for p in HOST_SYSTEM_DIRS if Path(p).exists()]
            read_only += [Path(sys.base_prefix), Path(sys.prefix), REPO_ROOT]
        from harness.datasets import cache_dir

        if cache_dir().is_dir():
            read_only.append(cache_dir())
        for path in read_only:
            # Source resolved, target as named: /lib64 -> usr/lib64 must still appear as /lib64.
            volumes.setdefault(str(path.resolve()), {"bind": str(path.absolute()), "mode": "ro"})
        return volumes

    def run(self, spec: RunSpec, unit_dir: Path) -> ExecResult:
        import docker
        import requests

        info = self._info or self.preflight()
        python = sys.executable if info["mode"] == "hostenv" else "python"
        limit = max(1, int(spec.timeout_s))
        command = ["timeout", "-k", str(KILL_GRACE_S), str(limit), python, "-m", "harness.worker",
                   "--spec", f"{CONTAINER_OUT}/{SPEC_FILE}", "--out", CONTAINER_OUT]
        from harness.datasets import ENV_VAR, cache_dir

        environment = {
            "HOME": "/tmp", "MPLCONFIGDIR": "/tmp", "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1", "PYTHONHASHSEED": str(spec.seed),
            "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
            ENV_VAR: str(cache_dir()),
        }
        os.chmod(unit_dir, 0o777)  # the container's non-root user writes here
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
                info["tag"], command, name=container_name(spec),
                labels={RUN_LABEL: spec.run_id, UNIT_LABEL: spec.unit_key},
                network_mode="none", read_only=True,
                tmpfs={"/tmp": "rw,exec,size=2g,mode=1777"},
                mem_limit=f"{spec.memory_mb}m", memswap_limit=f"{spec.memory_mb}m",
                nano_cpus=int(self.cpus * 1e9), pids_limit=1024,
                cap_drop=["ALL"], security_opt=["no-new-privileges"],
                volumes=self._mounts(spec, unit_dir, info["mode"]),
                environment=environment, working_dir="/tmp", detach=True,
            )
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
            if state.get("OOMKilled"):
                killed_for = "oom"
            elif exit_code in TIMEOUT_EXIT or (
                exit_code == 137 and time.perf_counter() - start >= limit
            ):
                killed_for = "timeout"
            (unit_dir / STDOUT_LOG).write_bytes(container.logs(stdout=True, stderr=False))
            (unit_dir / STDERR_LOG).write_bytes(container.logs(stdout=False, stderr=True))
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise ExecutorUnavailable(f"Docker engine failed during unit {spec.unit_key}: "
                                      f"{type(exc).__name__}: {exc}") from exc
        finally:
            if container is not None:
                try:
                    container.remove(force=True)
                except (docker.errors.DockerException,
                        requests.exceptions.RequestException):
                    pass  # engine gone; `deeplocalize clean` removes it by label later
            client.close()
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


def clean(run_id: str | None) -> list[str]:
    """Remove every container of ``run_id`` (all deeplocalize containers when ``None``)."""
    label = f"{RUN_LABEL}={run_id}" if run_id else RUN_LABEL
    removed = []
    with closing(images.client()) as client:
        for container in client.containers.list(all=True, filters={"label": label}):
            container.remove(force=True)
            removed.append(container.name)
    return removed
