"""Run records: append-only JSONL, one line per attempt per (case, variant, tool, seed).

Records are never rewritten; a retry appends a new line and readers keep the last record per
``key``. JSON never holds NaN or Infinity: non-finite numbers are stored as ``null`` and flagged
(see :func:`finite_or_flag`).
"""

from __future__ import annotations

import json
import math
import os
import threading
from pathlib import Path
from typing import Any

from baselines.base import json_safe

SCHEMA_VERSION = 1
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
        if version != SCHEMA_VERSION:
            raise RecordError(
                f"{path}:{number}: schema_version {version!r}, this harness reads {SCHEMA_VERSION}"
            )
        records.append(record)
    return records


def latest(run_dir: Path) -> dict[str, dict[str, Any]]:
    """The last record per key."""
    return {r["key"]: r for r in read_all(run_dir)}
