"""The run directory's own files: its lock, atomic writes, and one folder per attempt.

- ``runs/<id>/.lock``: one harness per run. :func:`hold` takes an exclusive, non-blocking
  ``flock`` on it for the whole run and writes the holder's pid into it; a second harness on the
  same run id fails at once with :class:`RunLocked`, naming that pid. The kernel drops the lock
  when the holder dies, however it dies. Readers (``score``, ``report``) take no lock.
- :func:`write_atomic`: a temp file in the same folder, fsync, ``os.replace``: a reader or a
  crash sees the old file or the new one, never half of one (``run.json``, ``result.json``).
- :func:`new_attempt_dir`: ``units/<case>/<variant>/<tools>/seed-<n>/attempt-<k>/``, made fresh
  for every attempt (mode 0700), so no attempt's logs are ever deleted by a later one.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.spec import RunSpec

LOCK_FILE = ".lock"
#: Permissions of an attempt folder: the unit's programs run as this user; nobody else reads.
UNIT_DIR_MODE = 0o700

_HELD: dict[Path, list[int]] = {}  # run dir -> [lock fd, depth]; re-entrant per process
_HELD_LOCK = threading.Lock()


class RunLocked(RuntimeError):
    """Another harness holds the run's lock."""


def _acquire(run_dir: Path) -> int:
    path = run_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise RunLocked(
            f"run {run_dir.name!r} is already being run by another harness (pid {holder}, "
            f"lock {path}); wait for it to end or stop it (kill -INT {holder}), then rerun "
            f"the same --run-id to resume"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


@contextmanager
def hold(run_dir: Path) -> Iterator[None]:
    """Hold the run's lock for the ``with`` block (re-entrant within one process).

    Raises:
        RunLocked: another process holds it; the message names that process' pid.
    """
    key = Path(run_dir).resolve()
    with _HELD_LOCK:
        if key in _HELD:
            _HELD[key][1] += 1
        else:
            key.mkdir(parents=True, exist_ok=True)
            _HELD[key] = [_acquire(key), 1]
    try:
        yield
    finally:
        with _HELD_LOCK:
            entry = _HELD[key]
            entry[1] -= 1
            if entry[1] == 0:
                del _HELD[key]
                os.close(entry[0])  # releases the flock; the file stays (no unlink races)


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically and durably (temp file, fsync, rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)  # the rename itself survives a power cut
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def new_attempt_dir(run_dir: Path, spec: RunSpec, attempt: int) -> tuple[int, Path]:
    """Make the folder of the unit's next attempt; return its number and path.

    ``attempt`` is the number the records call for; if its folder already exists (a harness
    was killed during that attempt, so it has no record) the next free number is used and the
    old folder is kept as it is.
    """
    unit_dir = run_dir / spec.log_dir
    unit_dir.mkdir(parents=True, exist_ok=True)
    while True:
        path = unit_dir / f"attempt-{attempt}"
        try:
            path.mkdir(mode=UNIT_DIR_MODE)
        except FileExistsError:
            attempt += 1
            continue
        os.chmod(path, UNIT_DIR_MODE)  # whatever the umask
        return attempt, path
