"""A unit's processes: their resident memory and how to kill them all.

Shared by the local executor (which watches the worker from the harness) and the worker's own
watchdog (:mod:`harness.watchdog`), so both measure memory the same way.
"""

from __future__ import annotations

import os
import signal

import psutil

#: Every process of a unit inherits this variable (the unit folder): a daemon that left the
#: unit's process group and session is still found by it (:func:`kill_marked`).
UNIT_ENV = "DEEPLOCALIZE_UNIT"


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


def kill_marked(marker: str, spare: int | None = None) -> int:
    """SIGKILL every process whose environment has ``UNIT_ENV=marker`` (except ``spare``).

    Catches what a group kill misses: a program's daemon in a session of its own, reparented
    to init once its parent died. A process that cleared its environment escapes this (the
    Docker executor ends everything with the container). Returns how many were killed.
    """
    killed = 0
    for proc in psutil.process_iter():
        if proc.pid in (os.getpid(), spare):
            continue
        try:
            if proc.environ().get(UNIT_ENV) == marker:
                proc.kill()
                killed += 1
        except psutil.Error:
            continue  # gone, a zombie, or another user's (not ours to read)
    return killed


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
    marker = os.environ.get(UNIT_ENV)
    if marker:
        kill_marked(marker)
    if os.getpgrp() == os.getpid():
        os.killpg(0, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
