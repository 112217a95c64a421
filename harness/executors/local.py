"""The default executor: a fresh Python subprocess per unit, in its own process group.

Hard timeout: the whole process group is killed (Keras data pipelines can fork); when the unit
ends, so is every process that carries its ``DEEPLOCALIZE_UNIT`` marker (a daemon that left the
group, :func:`harness.proctree.kill_marked`). Memory cap: a
watchdog samples the resident memory of the worker and all its descendants every 0.2 s and kills
the group when the sum exceeds ``spec.memory_mb`` (an address-space rlimit would break
TensorFlow, which reserves far more virtual memory than it uses). The worker enforces both
itself too, and dies with its whole unit when the harness dies (:mod:`harness.watchdog`).
:meth:`LocalExecutor.interrupt` (the harness got SIGINT/SIGTERM) kills every unit in flight
within a poll; they end as ``interrupted``.

Each unit gets its own ``HOME`` (``XDG_*`` and ``KERAS_HOME`` below it) and ``TMPDIR`` inside
its folder, which is mode 0700. That keeps well-behaved programs (and Keras) from writing to
the user's home; it is not a sandbox: see "Executors" in the README for what a program can
still reach.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path

import psutil

from harness.executors.base import SPEC_FILE, STDERR_LOG, STDOUT_LOG, ExecResult, Executor
from harness.executors.forkserver import ForkedProcess, ForkServer, ForkServerError
from harness.proctree import UNIT_ENV, kill_group, kill_marked, tree_rss_mb
from harness.spec import RunSpec
from harness.zygote import PADDING

POLL_S = 0.2
#: Folders made inside the unit folder for each unit's environment.
HOME_DIR = "home"
TMP_DIR = "tmp"


def unit_environment(spec: RunSpec, unit_dir: Path) -> dict[str, str]:
    """The worker's environment: the harness', with a home and temp folder of the unit's own.

    The dataset cache and the user's site-packages are named explicitly, as the harness sees
    them, so a unit finds them in spite of its own ``HOME``.
    """
    from harness.datasets import ENV_VAR, cache_dir
    from harness.watchdog import HARNESS_PID_ENV

    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("PYTHONUSERBASE", site.getuserbase())
    env[ENV_VAR] = str(cache_dir())
    env.update(folder_environment(str(unit_dir.resolve())))
    env.update({
        "PYTHONHASHSEED": str(spec.seed),
        "PYTHONUNBUFFERED": "1",
        HARNESS_PID_ENV: str(os.getpid()),
        UNIT_ENV: str(unit_dir.resolve()),
    })
    return env


def folder_environment(folder: str) -> dict[str, str]:
    """``HOME`` (``XDG_*``, ``KERAS_HOME`` and ``MPLCONFIGDIR`` below it) and ``TMPDIR`` in
    ``folder``'s :data:`HOME_DIR` and :data:`TMP_DIR`."""
    home = f"{folder}/{HOME_DIR}"
    return {
        "HOME": home,
        "XDG_CACHE_HOME": f"{home}/.cache",
        "XDG_CONFIG_HOME": f"{home}/.config",
        "XDG_DATA_HOME": f"{home}/.local/share",
        "KERAS_HOME": f"{home}/.keras",
        "MPLCONFIGDIR": f"{home}/.config/matplotlib",
        "TMPDIR": f"{folder}/{TMP_DIR}",
    }


def _close_servers(servers: dict[int, ForkServer]) -> None:
    for server in servers.values():
        server.close()
    servers.clear()


def _seed_font_cache(mpl_dir: Path) -> None:
    """Copy matplotlib's font list from the user's cache, so no unit rebuilds it (~0.6 s)."""
    source = os.environ.get("MPLCONFIGDIR") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "matplotlib"
    mpl_dir.mkdir(parents=True, exist_ok=True)
    for path in Path(source).glob("fontlist-v*.json"):
        try:
            shutil.copyfile(path, mpl_dir / path.name)
        except OSError:
            continue  # matplotlib rebuilds it


def zygote_environment(seed: int) -> dict[str, str]:
    """The fork server's environment for units of ``seed``: what every unit's environment
    (:func:`unit_environment`) has that is not the unit's own. The fork server adds the
    folders (:func:`folder_environment` of a folder that each child sees as its unit's)."""
    from harness.datasets import ENV_VAR, cache_dir
    from harness.watchdog import HARNESS_PID_ENV

    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("PYTHONUSERBASE", site.getuserbase())
    env.update({ENV_VAR: str(cache_dir()), "PYTHONHASHSEED": str(seed), "PYTHONUNBUFFERED": "1",
                HARNESS_PID_ENV: str(os.getpid())})
    return env


class LocalExecutor(Executor):
    """Runs the worker in a process of its own with a timeout and a memory cap.

    Args:
        python: The interpreter the worker runs on.
        start_method: ``"forkserver"`` (default on Linux): each unit is a new process forked
            from a zygote that has imported TensorFlow, Keras and the worker and done nothing
            else (:mod:`harness.zygote`), one zygote per seed, which saves each unit the ~3 s
            of those imports. ``"spawn"``: each unit starts a new interpreter
            (``python -m harness.worker``). Either way a unit gets a process, session, folder,
            home and environment of its own. Should the zygote fail, the executor says so once
            on stderr and spawns from then on.
    """

    name = "local"
    START_METHODS = ("forkserver", "spawn")

    def __init__(self, python: str = sys.executable, start_method: str | None = None) -> None:
        start_method = start_method or (
            "forkserver" if sys.platform.startswith("linux") else "spawn")
        if start_method not in self.START_METHODS:
            raise ValueError(f"start_method must be one of {', '.join(self.START_METHODS)}, "
                             f"got {start_method!r}")
        if start_method == "forkserver" and not sys.platform.startswith("linux"):
            raise ValueError("start_method 'forkserver' needs Linux (it rewrites /proc entries)")
        self.python = python
        self.start_method = start_method
        self._stop = threading.Event()
        self._servers: dict[int, ForkServer] = {}
        self._servers_lock = threading.Lock()
        self._finalizer = weakref.finalize(self, _close_servers, self._servers)

    def command(self, unit_dir: Path) -> list[str]:
        return [self.python, "-m", "harness.worker", *self.worker_args(unit_dir)]

    @staticmethod
    def worker_args(unit_dir: Path) -> list[str]:
        return ["--spec", str(unit_dir / SPEC_FILE), "--out", str(unit_dir)]

    def describe(self) -> dict:
        return {"name": self.name, "start_method": self.start_method}

    def close(self) -> None:
        """End the zygotes (they are started again when needed)."""
        with self._servers_lock:
            _close_servers(self._servers)

    def _server(self, seed: int) -> ForkServer:
        with self._servers_lock:
            server = self._servers.get(seed)
            if server is None or not server.alive:
                if server is not None:
                    server.close()
                server = self._servers[seed] = ForkServer(
                    self.python, zygote_environment(seed), folder_environment, PADDING,
                    UNIT_ENV)
            return server

    def _start(self, spec: RunSpec, unit_dir: Path, env: dict[str, str]
               ) -> subprocess.Popen | ForkedProcess:
        """Start the unit's worker, forked from the zygote or spawned."""
        if self.start_method == "forkserver":
            try:
                return self._server(spec.seed).spawn(
                    self.worker_args(unit_dir), env, unit_dir, unit_dir / STDOUT_LOG,
                    unit_dir / STDERR_LOG)
            except ForkServerError as exc:
                self.start_method = "spawn"
                print(f"[deeplocalize] local executor: the fork server failed, spawning a new "
                      f"interpreter per unit from now on: {exc}", file=sys.stderr, flush=True)
        with open(unit_dir / STDOUT_LOG, "ab") as out, open(unit_dir / STDERR_LOG, "ab") as err:
            return subprocess.Popen(self.command(unit_dir), stdout=out, stderr=err, env=env,
                                    start_new_session=True, cwd=str(unit_dir))

    def interrupt(self) -> None:
        """Kill every unit in flight (within ``POLL_S``) and start no other."""
        self._stop.set()

    def run(self, spec: RunSpec, unit_dir: Path) -> ExecResult:
        os.chmod(unit_dir, 0o700)
        env = unit_environment(spec, unit_dir)
        for name in ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "KERAS_HOME", "TMPDIR"):
            Path(env[name]).mkdir(parents=True, exist_ok=True)
        _seed_font_cache(Path(env["MPLCONFIGDIR"]))
        start = time.perf_counter()
        peak = 0.0
        killed_for = None
        if self._stop.is_set():
            return ExecResult(exit_code=None, killed_for="interrupted", wall_s=0.0)
        for log in (STDOUT_LOG, STDERR_LOG):
            (unit_dir / log).write_bytes(b"")
        proc = self._start(spec, unit_dir, env)
        try:
            watched = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:  # ended already: nothing left to watch
            watched = None
        try:
            while proc.poll() is None:
                rss = tree_rss_mb(watched) if watched else 0.0
                peak = max(peak, rss)
                if self._stop.is_set():
                    killed_for = "interrupted"
                elif rss > spec.memory_mb:
                    killed_for = "oom"
                elif time.perf_counter() - start > spec.timeout_s:
                    killed_for = "timeout"
                if killed_for:
                    kill_group(proc.pid)
                    proc.wait()
                    break
                self._stop.wait(POLL_S)
        finally:
            if proc.poll() is None:  # a crashed harness thread
                kill_group(proc.pid)
                proc.wait()
            kill_group(proc.pid)  # leftovers the worker forked
            kill_marked(env[UNIT_ENV])  # and daemons that left its group
        if killed_for:
            with open(unit_dir / STDERR_LOG, "a") as err:
                err.write(f"\n[deeplocalize] worker killed by the local executor: {killed_for} "
                          f"(limit {spec.timeout_s:.0f} s / {spec.memory_mb} MiB, "
                          f"peak RSS {peak:.0f} MiB)\n")
        return ExecResult(
            exit_code=proc.returncode,
            killed_for=killed_for,
            wall_s=round(time.perf_counter() - start, 4),
            peak_rss_mb=round(peak, 1),
        )
