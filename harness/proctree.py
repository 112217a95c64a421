"""A unit's processes: their resident memory and how to kill them all.

Shared by the local executor (which watches the worker from the harness) and the worker's own
watchdog (:mod:`harness.watchdog`), so both measure memory the same way.
"""

from __future__ import annotations

import os
import signal

import psutil


def tree_rss_mb(proc: psutil.Process) -> float:
    """Resident memory (MiB) of ``proc`` and all its descendants; 0 when it is gone."""
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


def kill_group(pid: int) -> None:
    """SIGKILL the process group ``pid`` (a worker started in a session of its own)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def kill_own_unit() -> None:
    """SIGKILL this process' descendants, its process group if it leads one, then itself.

    A process that does not lead its group (e.g. run under coreutils ``timeout`` in a container)
    spares the group, which holds its parent.
    """
    try:
        descendants = psutil.Process().children(recursive=True)
    except psutil.Error:
        descendants = []
    for child in descendants:
        try:
            child.kill()
        except psutil.Error:
            continue
    if os.getpgrp() == os.getpid():
        os.killpg(0, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
