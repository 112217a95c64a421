"""Turn what an executor observed plus the worker's ``result.json`` into run records.

One function for every executor, so a timeout or a crash means the same thing everywhere.
Status rules, first match wins:

- the executor killed the worker for ``timeout``, ``oom`` or ``interrupted`` (the harness got
  SIGINT/SIGTERM) → that status;
- no valid ``result.json`` but the worker's own watchdog (:mod:`harness.watchdog`) killed it →
  ``timeout`` or ``oom`` as it says (``crashed`` with ``error.type`` ``harness_gone`` when it
  killed the unit because the harness had gone);
- no valid ``result.json`` → ``crashed`` (the worker died: segfault, kill signal, abort);
- otherwise the worker's own status: ``completed``, ``error`` (the program or the set-up raised)
  or ``oom`` (``MemoryError``).

A tool's record of a unit that did not complete also gets a ``partial_verdict``: what the tool
had found or asked for before the failure, read from the unit's findings stream
(:func:`harness.stream.partial_verdicts`; the shape is documented in :mod:`harness.records`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.executors import STDERR_LOG, ExecResult
from harness.records import SCHEMA_VERSION
from harness.spec import NO_TOOL, RunSpec
from harness.stream import partial_verdicts
from harness.watchdog import read_marker
from harness.worker import RESULT_FILE

_TAIL_CHARS = 2000


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-_TAIL_CHARS:]
    except OSError:
        return ""


def read_result(unit_dir: Path) -> dict[str, Any] | None:
    """The worker's result, or ``None`` when it is missing or unreadable."""
    try:
        return json.loads((unit_dir / RESULT_FILE).read_text())
    except (OSError, json.JSONDecodeError):
        return None


def make_records(
    spec: RunSpec,
    exec_result: ExecResult,
    unit_dir: Path,
    run_dir: Path,
    executor: str,
    attempt: int,
    code_revision: str | None = None,
) -> list[dict[str, Any]]:
    """One record per tool of the unit (``code_revision``: :func:`harness.revision.code_revision`
    of the harness that ran it)."""
    result = read_result(unit_dir)
    marker = read_marker(unit_dir) if result is None else None
    if exec_result.killed_for:
        status = exec_result.killed_for
        error = {"type": status, "message": f"killed by the {executor} executor: {status}",
                 "stderr_tail": _tail(unit_dir / STDERR_LOG)}
    elif marker is not None:
        kind = marker["killed_for"]
        status = kind if kind in ("timeout", "oom") else "crashed"
        error = {"type": kind, "message": f"killed by the worker's own watchdog: {kind}: "
                                          f"{marker.get('reason', '')}",
                 "stderr_tail": _tail(unit_dir / STDERR_LOG)}
    elif result is None and (exec_result.detail or {}).get("executor_error"):
        status = "crashed"
        error = {"type": exec_result.detail.get("error_type", "executor_unavailable"),
                 "message": exec_result.detail["executor_error"]}
    elif result is None:
        status = "crashed"
        error = {"type": "crashed",
                 "message": f"worker ended with exit code {exec_result.exit_code} and no result",
                 "stderr_tail": _tail(unit_dir / STDERR_LOG)}
    else:
        status = result["status"]
        error = result.get("error")
    result = result or {}
    verdicts = result.get("verdicts") or {}
    base = {
        "schema_version": SCHEMA_VERSION,
        "run_id": spec.run_id,
        "case_id": spec.case_id,
        "case_digest": spec.case_digest,
        "variant": spec.variant,
        "seed": spec.seed,
        "profile": spec.profile,
        "semantics": spec.semantics,
        "shared": spec.shared,
        "code_revision": code_revision,
        "unit": spec.unit_key,
        "executor": executor,
        "executor_detail": exec_result.detail or {},
        "attempt": attempt,
        "status": status,
        "error": error,
        "exit_code": exec_result.exit_code,
        "training": result.get("training"),
        "data": result.get("data"),
        "params": result.get("params"),
        "env": result.get("env"),
        "timing": {
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "started_at": result.get("started_at"),
            "wall_s": exec_result.wall_s,
            "worker_s": result.get("wall_s"),
            "train_s": (result.get("training") or {}).get("train_s"),
            "peak_rss_mb": exec_result.peak_rss_mb,
            "phases": result.get("timing"),  # the worker's own split (harness.worker._Phases)
        },
        "log_dir": unit_dir.relative_to(run_dir).as_posix(),
    }
    tools = [tool for tool in spec.tools if tool != NO_TOOL]
    partial = partial_verdicts(unit_dir, tools) if status != "completed" else {}
    records = []
    for tool in spec.tools:
        record = dict(base, key=spec.record_key(tool), tool=tool)
        record["tool_version"] = (result.get("tool_versions") or {}).get(tool)
        record["verdict"] = None if tool == NO_TOOL else verdicts.get(tool)
        record["partial_verdict"] = partial.get(tool)
        records.append(record)
    return records
