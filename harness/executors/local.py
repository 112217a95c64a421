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
from pathlib import Path

import psutil

from harness.executors.base import SPEC_FILE, STDERR_LOG, STDOUT_LOG, ExecResult, Executor
from harness.proctree import UNIT_ENV, kill_group, kill_marked, tree_rss_mb
from harness.spec import RunSpec

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

    home = (unit_dir / HOME_DIR).resolve()
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("PYTHONUSERBASE", site.getuserbase())
    env[ENV_VAR] = str(cache_dir())
    env.update({
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "KERAS_HOME": str(home / ".keras"),
        "MPLCONFIGDIR": str(home / ".config" / "matplotlib"),
        "TMPDIR": str((unit_dir / TMP_DIR).resolve()),
        "PYTHONHASHSEED": str(spec.seed),
        "PYTHONUNBUFFERED": "1",
        HARNESS_PID_ENV: str(os.getpid()),
        UNIT_ENV: str(unit_dir.resolve()),
    })
    return env


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


class LocalExecutor(Executor):
    """Runs ``python -m harness.worker`` in a subprocess with a timeout and a memory cap."""

    name = "local"

    def __init__(self, python: str = sys.executable) -> None:
        self.python = python
        self._stop = threading.Event()

    def command(self, unit_dir: Path) -> list[str]:
        return [self.python, "-m", "harness.worker", "--spec", str(unit_dir / SPEC_FILE),
                "--out", str(unit_dir)]

    def interrupt(self) -> None:
        """Kill every unit in flight (within ``POLL_S``) and start no other."""
        self._stop.set()

    def run(self, spec: RunSpec, unit_dir: Path) -> ExecResult:
        os.chmod(unit_dir, 0o700)
        env = unit_environment(spec, unit_dir)
        for name in ("HOME", "XDG_CACHE_HOME", "KERAS_HOME", "TMPDIR"):
            Path(env[name]).mkdir(parents=True, exist_ok=True)
        _seed_font_cache(Path(env["MPLCONFIGDIR"]))
        start = time.perf_counter()
        peak = 0.0
        killed_for = None
        if self._stop.is_set():
            return ExecResult(exit_code=None, killed_for="interrupted", wall_s=0.0)
        with open(unit_dir / STDOUT_LOG, "wb") as out, open(unit_dir / STDERR_LOG, "wb") as err:
            proc = subprocess.Popen(
                self.command(unit_dir), stdout=out, stderr=err, env=env,
                start_new_session=True, cwd=str(unit_dir),
            )
            watched = psutil.Process(proc.pid)
            try:
                while proc.poll() is None:
                    rss = tree_rss_mb(watched)
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
