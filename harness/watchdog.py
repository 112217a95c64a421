"""The worker's own limits: a second line behind the executor's.

The executor enforces a unit's deadline and memory cap from the harness. A harness that is
killed (SIGKILL, the kernel's OOM killer) enforces nothing, and its workers would train on with
no limit. So the worker (``python -m harness.worker``) also watches itself, from a thread that
does nothing else:

- **The harness dies.** On Linux the worker asks the kernel (``prctl(PR_SET_PDEATHSIG)``) for
  :data:`PARENT_DEATH_SIGNAL` when its parent dies. SIGKILL would end the worker alone and leave
  the processes the program forked, so the signal is one nothing else uses, blocked in every
  thread and awaited by the watchdog thread, which then kills the whole unit: its descendants,
  its process group (when it leads one, as under the local executor) and itself. The signal comes
  from the worker's direct parent; when the local executor names the harness
  (:data:`HARNESS_PID_ENV`), that process is also polled, so a worker started through an
  intermediate process is covered too.
- **Deadline**: ``spec.timeout_s`` plus :data:`GRACE_S` from the worker's start.
- **Memory**: the resident memory of the worker and its descendants above ``spec.memory_mb``
  times :data:`MEMORY_FACTOR`, sampled every :data:`POLL_S` (like the local executor's watchdog;
  an ``RLIMIT_AS`` would break TensorFlow, which reserves far more address space than it uses).

The margins leave the executor, when alive, to act first. Before killing, the watchdog writes
``watchdog.json`` (``killed_for``: ``timeout``, ``oom`` or ``harness_gone``; the limits) and a
line on stderr; :func:`harness.outcome.make_records` reads it for a worker that left no result.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from harness.proctree import kill_own_unit, tree_rss_mb
from harness.rundir import write_atomic

WATCHDOG_FILE = "watchdog.json"
#: The local executor puts the harness' pid here; the watchdog polls that process.
HARNESS_PID_ENV = "DEEPLOCALIZE_HARNESS_PID"
GRACE_S = 2.0
MEMORY_FACTOR = 1.25
POLL_S = 0.5
_PR_SET_PDEATHSIG = 1
#: A real-time signal no library here uses (Linux only).
PARENT_DEATH_SIGNAL = getattr(signal, "SIGRTMIN", 34) + 6


def read_marker(unit_dir: Path) -> dict[str, Any] | None:
    """What the watchdog wrote before it killed the unit, or ``None``."""
    try:
        marker = json.loads((Path(unit_dir) / WATCHDOG_FILE).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return marker if isinstance(marker, dict) and marker.get("killed_for") else None


class UnitWatchdog:
    """Kills this worker's whole unit when the harness dies or a limit is passed.

    Call :meth:`start` from the main thread before any other thread exists (the parent-death
    signal must be blocked in every thread, and threads inherit the mask of their creator).

    Args:
        out_dir: The unit folder (where ``watchdog.json`` goes).
        timeout_s: The unit's deadline in seconds (``spec.timeout_s``).
        memory_mb: The unit's memory cap in MiB (``spec.memory_mb``).
    """

    def __init__(self, out_dir: Path, timeout_s: float, memory_mb: float) -> None:
        self.out_dir = Path(out_dir)
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.deadline = time.monotonic() + timeout_s + GRACE_S
        self.memory_limit_mb = memory_mb * MEMORY_FACTOR
        self._parent = os.getppid()
        self._harness: psutil.Process | None = None
        self._harness_gone = False
        self._linux = sys.platform.startswith("linux")

    def start(self) -> None:
        """Ask for the parent-death signal and start the watchdog thread."""
        pid = os.environ.get(HARNESS_PID_ENV)
        if pid:
            try:
                self._harness = psutil.Process(int(pid))
            except (ValueError, psutil.Error):
                self._harness_gone = True
        if self._linux:
            signal.pthread_sigmask(signal.SIG_BLOCK, {PARENT_DEATH_SIGNAL})
            libc = ctypes.CDLL(None, use_errno=True)
            args = (ctypes.c_ulong(PARENT_DEATH_SIGNAL), *[ctypes.c_ulong(0)] * 3)
            if libc.prctl(ctypes.c_int(_PR_SET_PDEATHSIG), *args) != 0:
                print(f"[deeplocalize] watchdog: prctl(PR_SET_PDEATHSIG) failed: "
                      f"{os.strerror(ctypes.get_errno())}; polling the parent instead",
                      file=sys.stderr)
        # The parent may have died before the prctl: then no signal ever comes.
        self._harness_gone |= os.getppid() != self._parent
        threading.Thread(target=self._watch, name="deeplocalize-watchdog", daemon=True).start()

    def _reason(self, signalled: bool) -> tuple[str, str] | None:
        if signalled or self._harness_gone or os.getppid() != self._parent or (
            self._harness is not None and not self._harness.is_running()
        ):
            return "harness_gone", "the harness that started this worker is gone"
        if time.monotonic() > self.deadline:
            return "timeout", f"deadline passed ({self.timeout_s:.0f} s + {GRACE_S:.0f} s grace)"
        rss = tree_rss_mb(psutil.Process())
        if rss > self.memory_limit_mb:
            return "oom", (f"resident memory {rss:.0f} MiB > {self.memory_limit_mb:.0f} MiB "
                           f"({self.memory_mb} MiB cap x {MEMORY_FACTOR})")
        return None

    def _watch(self) -> None:
        while True:
            if self._linux:
                signalled = signal.sigtimedwait({PARENT_DEATH_SIGNAL}, POLL_S) is not None
            else:
                time.sleep(POLL_S)
                signalled = False
            reason = self._reason(signalled)
            if reason:
                self._kill(*reason)

    def _kill(self, killed_for: str, why: str) -> None:
        marker = {"killed_for": killed_for, "reason": why, "timeout_s": self.timeout_s,
                  "memory_mb": self.memory_mb, "pid": os.getpid(),
                  "at": datetime.now(UTC).isoformat(timespec="seconds")}
        try:
            write_atomic(self.out_dir / WATCHDOG_FILE, json.dumps(marker))
            print(f"\n[deeplocalize] worker watchdog: killing the unit: {killed_for}: {why}",
                  file=sys.stderr, flush=True)
        finally:
            kill_own_unit()
