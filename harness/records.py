"""Run records: append-only JSONL, one line per attempt per (case, variant, tool, seed).

Records are never rewritten; a retry appends a new line and readers keep the last record per
``key``. JSON never holds NaN or Infinity: non-finite numbers are stored as ``null`` and flagged
(see :func:`finite_or_flag`).

A record (written by :func:`harness.outcome.make_records`) holds ``schema_version``, ``key``,
``unit``, ``attempt``, the spec's fields (``run_id``, ``case_id``, ``case_digest``, ``variant``,
``tool``, ``tool_version``, ``seed``, ``profile``, ``semantics``, ``shared``), how it ended
(``status``, one of :data:`STATUSES`; ``error``; ``exit_code``; ``executor``,
``executor_detail``), what the program did (``training``, ``data``, ``params``, ``env``,
``timing``), where its files are (``log_dir``) and what the tool said:

- ``verdict``: :meth:`baselines.base.Verdict.to_json` from the worker's result (also for an
  ``error`` unit: made after the program raised); ``None`` for the ``none`` control and when
  the worker left no result (killed for ``timeout`` or ``oom``, or ``crashed``).
- ``partial_verdict`` (schema 2): for a unit that did not complete, what the tool had found or
  asked for before it failed, from the unit's findings stream (:mod:`harness.stream`): the
  verdict's keys (``detected``, ``stop``, ``findings``, ``category`` ``None``, ``raw`` ``{}``)
  plus ``partial: true`` and ``stops`` (the stop requests streamed). ``None`` for a completed
  unit and for ``none``. Schema-1 records, which predate it, read back with ``None``.
"""

from __future__ import annotations

import json
import math
import os
import threading
from pathlib import Path
from typing import Any

from baselines.base import json_safe

SCHEMA_VERSION = 2
#: Versions :func:`read_all` reads (older ones are upgraded in memory: see :func:`upgrade`).
READABLE_VERSIONS = (1, 2)
#: Every status a unit can end with.
STATUSES = ("completed", "timeout", "crashed", "oom", "error")
RECORDS_FILE = "records.jsonl"

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
    """Append records to ``run_dir/records.jsonl`` (thread-safe, fsynced)."""
    for record in records:
        if record.get("status") not in STATUSES:
            raise RecordError(f"record {record.get('key')!r}: bad status {record.get('status')!r}")
    lines = "".join(dumps(json_safe(r)) + "\n" for r in records)
    with _LOCK, open(run_dir / RECORDS_FILE, "a", encoding="utf-8") as f:
        f.write(lines)
        f.flush()
        os.fsync(f.fileno())


def read_all(run_dir: Path) -> list[dict[str, Any]]:
    """Every record in file order. A malformed line is an error naming its line number."""
    path = run_dir / RECORDS_FILE
    if not path.exists():
        return []
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RecordError(f"{path}:{number}: not JSON: {exc}") from exc
        version = record.get("schema_version")
        if version not in READABLE_VERSIONS:
            readable = ", ".join(map(str, READABLE_VERSIONS))
            raise RecordError(
                f"{path}:{number}: schema_version {version!r}, this harness reads {readable}"
            )
        records.append(upgrade(record))
    return records


def upgrade(record: dict[str, Any]) -> dict[str, Any]:
    """Give an older record the fields of the current schema (its ``schema_version`` stays).

    Schema 1 → 2: ``partial_verdict`` (``None``: nothing was streamed before schema 2).
    """
    record.setdefault("partial_verdict", None)
    return record


def latest(run_dir: Path) -> dict[str, dict[str, Any]]:
    """The last record per key."""
    return {r["key"]: r for r in read_all(run_dir)}
