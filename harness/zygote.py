"""The zygote behind the local executor's fork server: ``python -m harness.zygote PADDING``.

Importing TensorFlow and Keras costs a unit about 3 s of CPU, a sixth of a typical unit of the
main job. The zygote pays it once: it imports the worker's modules (:data:`PRELOAD`) and does
nothing else (no TensorFlow op, no thread of its own, no case), then forks one child per unit.
Each child is a new process that starts from that snapshot, takes its unit's environment,
folder, logs and session, and runs :func:`harness.worker.main` exactly as
``python -m harness.worker`` would. Children share nothing writable with each other or with the
zygote (copy-on-write). What a child inherits beyond a fresh interpreter is the imported
modules' state: random generators, which the worker reseeds (``keras.utils.set_random_seed``);
paths the modules computed from the environment at import, which the zygote's environment puts
below ``/proc/self/fd/N``, a descriptor each child points at its own unit folder
(:class:`harness.executors.forkserver.ForkServer`); and the hash seed, for which the
executor starts one zygote per seed with ``PYTHONHASHSEED`` set as a fresh worker's would be.
matplotlib memoizes its folders' real paths, which a child forgets
(:func:`_forget_matplotlib_folders`); paths it derived from them at import (its style library)
stay the zygote's and are only read. Keras writes ``keras.json`` at import, so that file lies
in the zygote's home, not the unit's.

Protocol, one JSON object per line. The harness writes requests to the zygote's stdin::

    {"id": 1, "argv": [...], "env": {...}, "cwd": "...", "stdout": "...", "stderr": "..."}

and reads ``{"id": 1, "pid": 1234}`` (or ``{"id": 1, "error": "..."}``) and, when a child ends,
``{"exit": 1234, "code": 0}`` (``code`` as :attr:`subprocess.Popen.returncode`: ``-9`` for a
child killed by SIGKILL). End of stdin (the harness closed it or died) ends the zygote; its
children then get their parent-death signal (:mod:`harness.watchdog`) and end their units, and
the zygote removes its folder (its working folder, made by the fork server).

A child's ``/proc`` entries name its unit, as a spawned worker's would: its command line is
rewritten in place to ``python -m harness.worker --spec ... --out ...`` and its
``DEEPLOCALIZE_UNIT`` marker (:data:`harness.proctree.UNIT_ENV`) to the unit folder, into room
the zygote reserved (``PADDING``, its last argument, and the marker's padded value).
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import select
import shutil
import sys
import tempfile
import traceback
from typing import Any, NoReturn

#: What the zygote imports before its first fork: the modules every worker imports.
PRELOAD = ("numpy", "tensorflow", "keras", "harness.worker", "harness.injection",
           "harness.stream", "harness.envinfo", "harness.semantics", "baselines.registry")
#: Room for a child's command line and marker (bytes of the zygote's padding argument/value).
PADDING = 2048
PAD_CHAR = "_"
#: The descriptor (a number) open on the zygote's folder, which a child points at its unit's.
FOLDER_FD_ENV = "DEEPLOCALIZE_ZYGOTE_FOLDER_FD"
REAP_S = 0.05


def _proc_areas() -> tuple[int, int, int, int]:
    """``(arg_start, arg_end, env_start, env_end)`` of this process (``/proc/self/stat``)."""
    with open("/proc/self/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    # fields[0] is field 3 (state) of proc(5); arg_start..env_end are fields 48..51.
    return tuple(int(v) for v in fields[45:49])  # type: ignore[return-value]


def _write(start: int, end: int, data: bytes) -> None:
    ctypes.memmove(start, data[: end - start], min(len(data), end - start))


def retitle(argv: list[str], marker_name: str, marker: str) -> None:
    """Make ``/proc/self/cmdline`` read ``argv`` and ``/proc/self/environ``'s ``marker_name``
    read ``marker``, in the room the zygote's padding left (longer values are cut)."""
    arg_start, arg_end, env_start, env_end = _proc_areas()
    title = b"\0".join(a.encode() for a in argv)[: arg_end - arg_start - 1]
    _write(arg_start, arg_end, title.ljust(arg_end - arg_start, b"\0"))
    area = ctypes.string_at(env_start, env_end - env_start)
    key = marker_name.encode() + b"="
    if area.startswith(key):
        at = 0
    elif (found := area.find(b"\0" + key)) >= 0:
        at = found + 1
    else:
        return
    value_start = at + len(key)
    room = area.index(b"\0", value_start) - value_start
    value = marker.encode()
    if len(value) + 2 > room:  # the value, its NUL, and at least one filler byte
        return
    # The rest of the old value becomes an entry without "=", which environ readers skip.
    filler = PAD_CHAR.encode() * (room - len(value) - 1)
    _write(env_start + value_start, env_end, value + b"\0" + filler)


def _forget_matplotlib_folders() -> None:
    """Make matplotlib find its config and cache folders again, from the unit's MPLCONFIGDIR.

    matplotlib memoizes them (resolved to real paths) in its ``_logged_cached`` wrappers'
    ``called`` cells; a version without such a cell is left as it is (the fork server's tests
    check where the folders end up)."""
    mpl = sys.modules.get("matplotlib")
    for name in ("get_configdir", "get_cachedir"):
        getter = getattr(mpl, name, None)
        code, closure = getattr(getter, "__code__", None), getattr(getter, "__closure__", None)
        if code is None or not closure:
            continue
        cells = dict(zip(code.co_freevars, closure, strict=False))
        if "called" in cells:
            cells["called"].cell_contents = False


def _child(request: dict[str, Any], protocol: tuple[int, int]) -> NoReturn:
    """In the forked child: become the unit's worker process and run it; never returns."""
    code = 1
    try:
        for fd in protocol:
            os.close(fd)
        os.setsid()
        os.chdir(request["cwd"])
        unit = os.open(request["cwd"], os.O_RDONLY | os.O_DIRECTORY)
        os.dup2(unit, int(os.environ[FOLDER_FD_ENV]), inheritable=False)
        os.close(unit)
        os.environ.clear()
        os.environ.update(request["env"])
        tempfile.tempdir = None  # found again from the unit's TMPDIR
        _forget_matplotlib_folders()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        for fd, key in ((1, "stdout"), (2, "stderr")):
            log = os.open(request[key], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.dup2(log, fd)
            os.close(log)
        from harness.proctree import UNIT_ENV
        from harness.worker import main

        argv = request["argv"]
        retitle([sys.executable, "-m", "harness.worker", *argv], UNIT_ENV,
                request["env"].get(UNIT_ENV, ""))
        sys.argv = [main.__code__.co_filename, *argv]
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001  (reported in the unit's stderr, exit 1)
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code)


def _send(fd: int, message: dict[str, Any]) -> None:
    data = (json.dumps(message) + "\n").encode()
    while data:
        data = data[os.write(fd, data):]


def _reap(out: int) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(out, {"exit": pid, "code": os.waitstatus_to_exitcode(status)})


def serve(requests: int, replies: int) -> None:
    """Fork a child per request read from ``requests``; report pids and exits on ``replies``.
    Returns at the end of ``requests``."""
    pending = b""
    while True:
        ready, _, _ = select.select([requests], [], [], REAP_S)
        _reap(replies)
        if not ready:
            continue
        chunk = os.read(requests, 1 << 16)
        if not chunk:
            return
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            request = json.loads(line)
            try:
                pid = os.fork()
            except OSError as exc:
                _send(replies, {"id": request["id"], "error": f"fork failed: {exc}"})
                continue
            if pid == 0:
                _child(request, (requests, replies))
            _send(replies, {"id": request["id"], "pid": pid})


def main() -> int:
    # The protocol gets fds of its own; fd 1 goes to stderr, so that nothing a module prints
    # while importing can corrupt a reply, and fd 0 to /dev/null.
    requests, replies = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)
    os.close(null)
    for name in PRELOAD:
        importlib.import_module(name)
    sys.stdout.flush()
    sys.stderr.flush()
    serve(requests, replies)
    if FOLDER_FD_ENV in os.environ:  # the fork server's temporary folder, our working folder
        shutil.rmtree(os.getcwd(), ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
