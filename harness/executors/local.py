"""The default executor: a fresh Python subprocess per unit, in its own process group.

Hard timeout: the whole process group is killed (Keras data pipelines can fork). Memory cap: a
watchdog samples the resident memory of the worker and all its descendants every 0.2 s and kills
the group when the sum exceeds ``spec.memory_mb`` (an address-space rlimit would break
TensorFlow, which reserves far more virtual memory than it uses).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from harness.executors import SPEC_FILE, STDERR_LOG, STDOUT_LOG, ExecResult, Executor
from harness.spec import RunSpec

POLL_S = 0.2


def _group_rss_mb(proc: psutil.Process) -> float:
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0.0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total / 2**20


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class LocalExecutor(Executor):
    """Runs ``python -m harness.worker`` in a subprocess with a timeout and a memory cap."""

    name = "local"

    def __init__(self, python: str = sys.executable) -> None:
        self.python = python

    def command(self, unit_dir: Path) -> list[str]:
        return [self.python, "-m", "harness.worker", "--spec", str(unit_dir / SPEC_FILE),
                "--out", str(unit_dir)]

    def run(self, spec: RunSpec, unit_dir: Path) -> ExecResult:
        env = dict(os.environ)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env["PYTHONHASHSEED"] = str(spec.seed)
        env["PYTHONUNBUFFERED"] = "1"
        start = time.perf_counter()
        peak = 0.0
        killed_for = None
        with open(unit_dir / STDOUT_LOG, "wb") as out, open(unit_dir / STDERR_LOG, "wb") as err:
            proc = subprocess.Popen(
                self.command(unit_dir), stdout=out, stderr=err, env=env,
                start_new_session=True, cwd=str(unit_dir),
            )
            watched = psutil.Process(proc.pid)
            try:
                while proc.poll() is None:
                    rss = _group_rss_mb(watched)
                    peak = max(peak, rss)
                    if rss > spec.memory_mb:
                        killed_for = "oom"
                    elif time.perf_counter() - start > spec.timeout_s:
                        killed_for = "timeout"
                    if killed_for:
                        _kill_group(proc.pid)
                        proc.wait()
                        break
                    time.sleep(POLL_S)
            finally:
                if proc.poll() is None:  # interrupted (Ctrl-C) or crashed harness thread
                    _kill_group(proc.pid)
                    proc.wait()
                _kill_group(proc.pid)  # leftovers the worker forked
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
