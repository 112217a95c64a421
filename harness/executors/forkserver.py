"""The local executor's fork server: starts units as children of a preloaded zygote.

:class:`ForkServer` runs ``python -m harness.zygote`` (:mod:`harness.zygote`, which says what a
child shares with a fresh interpreter and what it does not) and asks it for one child per unit;
:class:`ForkedProcess` is the handle the executor watches, with the part of
:class:`subprocess.Popen`'s interface it uses (``pid``, ``poll``, ``wait``, ``returncode``).
The child is the zygote's, not the harness', so its exit status comes from the zygote.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

#: Seconds to wait for the zygote to fork a child; its first fork waits for its imports.
START_TIMEOUT_S = 300.0
LOG_FILE = "zygote.log"


class ForkServerError(RuntimeError):
    """The zygote could not start a child (it failed to start, or died); the message says why
    and carries the end of its log."""


class ForkedProcess:
    """A unit's worker forked by the zygote; what :class:`subprocess.Popen` offers for it."""

    def __init__(self, server: ForkServer, pid: int) -> None:
        self._server = server
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._server.exit_code(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired(f"forked worker {self.pid}", timeout or 0.0)
            self._server.wait_for_exit(0.2)
        return self.returncode  # type: ignore[return-value]


class ForkServer:
    """One zygote process and the bookkeeping of the children it forked.

    Args:
        python: The interpreter the zygote runs on; it runs in a temporary folder of its own.
        env: The zygote's environment (its ``PYTHONHASHSEED`` is every child's hash seed).
        folders: Given a folder, the variables that put a process' home and temporary files
            in it (:func:`harness.executors.local.folder_environment`). The zygote gets them
            for ``/proc/self/fd/N``, N a descriptor on its own folder that each child points at
            its unit's folder instead: modules compute such paths once, at import (Keras its
            home, matplotlib its folders), and these lead each child to its own.
        padding: Bytes reserved in the zygote's command line and ``marker`` variable for a
            child's own (:func:`harness.zygote.retitle`).
        marker: The environment variable a child's ``/proc`` entry must show its value of.
    """

    def __init__(self, python: str, env: Mapping[str, str],
                 folders: Callable[[str], dict[str, str]], padding: int, marker: str) -> None:
        from harness.zygote import FOLDER_FD_ENV, PAD_CHAR

        self._folder = Path(tempfile.mkdtemp(prefix="deeplocalize-zygote-"))
        folder_fd = os.open(self._folder, os.O_RDONLY | os.O_DIRECTORY)
        own = f"/proc/self/fd/{folder_fd}"
        homes = folders(own)
        for path in homes.values():
            (self._folder / os.path.relpath(path, own)).mkdir(parents=True, exist_ok=True)
        full_env = {**env, **homes, FOLDER_FD_ENV: str(folder_fd), marker: PAD_CHAR * padding}
        self._log = open(self._folder / LOG_FILE, "wb")
        self._proc = subprocess.Popen(
            [python, "-m", "harness.zygote", PAD_CHAR * padding], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self._log, env=full_env, cwd=str(self._folder),
            start_new_session=True, pass_fds=(folder_fd,),
        )
        os.close(folder_fd)
        self._cond = threading.Condition()
        self._write_lock = threading.Lock()
        self._next_id = 0
        self._replies: dict[int, dict[str, Any]] = {}
        self._exits: dict[int, int] = {}
        self._dead = False
        self._reader = threading.Thread(target=self._read, name="deeplocalize-forkserver",
                                        daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            message = json.loads(line)
            with self._cond:
                if "exit" in message:
                    self._exits[message["exit"]] = message["code"]
                else:
                    self._replies[message["id"]] = message
                self._cond.notify_all()
        with self._cond:
            self._dead = True
            self._cond.notify_all()

    def _log_tail(self) -> str:
        self._log.flush()
        text = (self._folder / LOG_FILE).read_text(errors="replace") if self._folder.exists() \
            else ""
        lines = [ln for ln in text.splitlines() if ln.strip()]
        return "\n".join(lines[-15:])

    def spawn(self, argv: list[str], env: Mapping[str, str], cwd: Path, stdout: Path,
              stderr: Path) -> ForkedProcess:
        """Fork a child that runs ``harness.worker.main(argv)`` in ``cwd`` with ``env``,
        appending to ``stdout`` and ``stderr``. Raises :class:`ForkServerError`."""
        with self._cond:
            request_id = self._next_id = self._next_id + 1
        request = {"id": request_id, "argv": list(argv), "env": dict(env), "cwd": str(cwd),
                   "stdout": str(stdout), "stderr": str(stderr)}
        try:
            with self._write_lock:
                assert self._proc.stdin is not None
                self._proc.stdin.write((json.dumps(request) + "\n").encode())
                self._proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError) as exc:
            raise ForkServerError(
                f"the zygote is gone ({exc}); its log:\n{self._log_tail()}") from exc
        end = time.monotonic() + START_TIMEOUT_S
        with self._cond:
            while request_id not in self._replies and not self._dead:
                if not self._cond.wait(max(0.0, end - time.monotonic())):
                    break
            reply = self._replies.pop(request_id, None)
        if reply is None or "pid" not in reply:
            why = (reply or {}).get("error") or ("it died" if self._dead else
                                                 f"no answer in {START_TIMEOUT_S:.0f} s")
            raise ForkServerError(f"the zygote could not start a worker: {why}; its log:\n"
                                  f"{self._log_tail()}")
        return ForkedProcess(self, reply["pid"])

    def exit_code(self, pid: int) -> int | None:
        """The child's exit code (as ``Popen.returncode``); ``None`` while it runs. A child
        still alive when its zygote died is killed by its watchdog; once it is gone it reads
        ``-9``."""
        with self._cond:
            if pid in self._exits:
                return self._exits.pop(pid)
            if not self._dead:
                return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return -9
        except PermissionError:
            pass
        return None

    def wait_for_exit(self, timeout: float) -> None:
        """Block until any child ends, the zygote dies, or ``timeout`` seconds pass."""
        with self._cond:
            self._cond.wait(timeout)

    @property
    def alive(self) -> bool:
        return not self._dead and self._proc.poll() is None

    def close(self) -> None:
        """End the zygote (closing its stdin) and remove its folder. Children still running
        end with it (their watchdogs)."""
        try:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
        except OSError:
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._reader.join(timeout=10)
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._log.close()
        shutil.rmtree(self._folder, ignore_errors=True)
