"""Run records: append-only JSONL, one line per attempt per (case, variant, tool, seed).

Records are never rewritten; a retry appends a new line and readers keep the last record per
``key``. JSON never holds NaN or Infinity: non-finite numbers are stored as ``null`` and flagged
(see :func:`finite_or_flag`).

A record (written by :func:`harness.outcome.make_records`) holds ``schema_version``, ``key``,
``unit``, ``attempt``, the spec's fields (``run_id``, ``case_id``, ``case_digest``, ``variant``,
``tool``, ``tool_version``, ``seed``, ``profile``, ``semantics``, ``shared``), the harness code it
was made with (``code_revision``, schema 3: :func:`harness.revision.code_revision`), how it ended
(``status``, one of :data:`STATUSES`; ``error``; ``exit_code``; ``executor``,
``executor_detail``), what the program did (``training``, ``data``, ``params``, ``env``,
``timing``), where its files are (``log_dir``: the attempt's own folder) and what the tool said:

- ``verdict``: :meth:`baselines.base.Verdict.to_json` from the worker's result (also for an
  ``error`` unit: made after the program raised); ``None`` for the ``none`` control and when
  the worker left no result (killed for ``timeout`` or ``oom``, ``crashed``, ``interrupted``).
- ``partial_verdict`` (schema 2): for a unit that did not complete, what the tool had found or
  asked for before it failed, from the unit's findings stream (:mod:`harness.stream`): the
  verdict's keys (``detected``, ``stop``, ``findings``, ``category`` ``None``, ``raw`` ``{}``)
  plus ``partial: true`` and ``stops`` (the stop requests streamed). ``None`` for a completed
  unit and for ``none``. Schema-1 records, which predate it, read back with ``None``.

Schema 3 added ``code_revision`` and the status ``interrupted`` (the harness was stopped by
SIGINT/SIGTERM and killed the unit); older records read back with ``code_revision`` ``None``,
which never matches a revision, so a resume runs their units again.

A harness killed in the middle of an append can leave a torn last line (no newline, not JSON).
:func:`read_all` skips it with a warning on stderr; the next :func:`append` moves its bytes to
``records.jsonl.torn`` and cuts them off, so every record starts on a fresh line and nothing is
lost. A malformed line anywhere else is corruption and an error naming the file and line.
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
from pathlib import Path
from typing import Any, BinaryIO

from baselines.base import json_safe

SCHEMA_VERSION = 3
#: Versions :func:`read_all` reads (older ones are upgraded in memory: see :func:`upgrade`).
READABLE_VERSIONS = (1, 2, 3)
#: Every status a unit can end with.
STATUSES = ("completed", "timeout", "crashed", "oom", "error", "interrupted")
RECORDS_FILE = "records.jsonl"
#: Where :func:`append` keeps the bytes of a torn last line it cut off (one line per tear).
TORN_FILE = RECORDS_FILE + ".torn"

_LOCK = threading.Lock()


class RecordError(ValueError):
    """A records file line is not a valid record."""


def finite_or_flag(name: str, value: float | None) -> dict[str, Any]:
    """``{name: value}`` for a finite value, ``{name: None, name_nonfinite: True}`` otherwise."""
    if value is None:
        return {name: None}
    value = float(value)
    if math.isfinite(value):
        return {name: value}
    return {name: None, f"{name}_nonfinite": True, f"{name}_raw": repr(value)}


def dumps(record: dict[str, Any]) -> str:
    """One JSON line; raises ``ValueError`` if a NaN/Inf slipped through."""
    return json.dumps(record, allow_nan=False, sort_keys=True)


def append(run_dir: Path, records: list[dict[str, Any]]) -> None:
    """Append records to ``run_dir/records.jsonl`` (thread-safe, fsynced).

    If the file ends in a torn line (a harness killed mid-write), that line is first moved to
    :data:`TORN_FILE` (see :func:`_set_aside_torn_tail`), so the records start on a fresh line.
    """
    for record in records:
        if record.get("status") not in STATUSES:
            raise RecordError(f"record {record.get('key')!r}: bad status {record.get('status')!r}")
    data = "".join(dumps(json_safe(r)) + "\n" for r in records).encode("utf-8")
    path = run_dir / RECORDS_FILE
    with _LOCK, open(path, "a+b") as f:
        size = f.seek(0, os.SEEK_END)
        if size:
            f.seek(size - 1)
            if f.read(1) != b"\n":
                _set_aside_torn_tail(path, f)
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _set_aside_torn_tail(path: Path, f: BinaryIO) -> None:
    """End the file on a newline: keep a complete last record, move a torn one aside.

    A last line that parses (only its newline was lost) just gets its newline. A torn one is
    appended to :data:`TORN_FILE` (fsynced) and then cut off, so a kill between the two steps
    leaves it in both files, never in neither.
    """
    f.seek(0)
    content = f.read()
    start = content.rfind(b"\n") + 1
    tail = content[start:]
    if _parse(tail) is not None:
        f.write(b"\n")
        return
    line = content.count(b"\n", 0, start) + 1
    torn = path.with_name(TORN_FILE)
    with open(torn, "ab") as out:
        out.write(tail + b"\n")
        out.flush()
        os.fsync(out.fileno())
    f.truncate(start)
    print(f"deeplocalize: warning: {path}:{line}: moved a torn last line ({len(tail)} bytes, "
          f"a harness killed mid-write) to {torn}; appending on a fresh line", file=sys.stderr)


def _parse(line: bytes) -> dict[str, Any] | None:
    """The JSON object on ``line``, or ``None`` when it is not one."""
    try:
        value = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def read_all(run_dir: Path) -> list[dict[str, Any]]:
    """Every record in file order.

    A torn last line (no newline at the end of the file, not a JSON object) is skipped with a
    warning on stderr; any other malformed line is a :class:`RecordError` naming the file and
    its line number.
    """
    path = run_dir / RECORDS_FILE
    if not path.exists():
        return []
    content = path.read_bytes()
    lines = content.split(b"\n")  # the last item is what follows the last newline
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        record = _parse(line)
        if record is None:
            if number == len(lines):  # no newline after it: a write cut short
                print(f"deeplocalize: warning: {path}:{number}: skipped a torn last line "
                      f"({len(line)} bytes, no newline: a harness killed mid-write?)",
                      file=sys.stderr)
                continue
            raise RecordError(f"{path}:{number}: not a JSON record: {_preview(line)}")
        version = record.get("schema_version")
        if version not in READABLE_VERSIONS:
            readable = ", ".join(map(str, READABLE_VERSIONS))
            raise RecordError(
                f"{path}:{number}: schema_version {version!r}, this harness reads {readable}"
            )
        records.append(upgrade(record))
    return records


def _preview(line: bytes, limit: int = 80) -> str:
    text = line.decode("utf-8", errors="replace")
    return repr(text if len(text) <= limit else text[:limit] + "...")


def upgrade(record: dict[str, Any]) -> dict[str, Any]:
    """Give an older record the fields of the current schema (its ``schema_version`` stays).

    Schema 1 → 2: ``partial_verdict`` (``None``: nothing was streamed before schema 2).
    Schema 2 → 3: ``code_revision`` (``None``: unknown, so never current on resume).
    """
    record.setdefault("partial_verdict", None)
    record.setdefault("code_revision", None)
    return record


def latest(run_dir: Path) -> dict[str, dict[str, Any]]:
    """The last record per key."""
    return {r["key"]: r for r in read_all(run_dir)}
