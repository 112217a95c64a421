"""Plan units, run them through an executor in parallel, record every attempt, resume.

The run directory (``runs/<run-id>/``) holds ``run.json`` (the resolved configuration and
environment), ``records.jsonl`` (one line per attempt per tool) and ``units/...`` (each unit's
spec, logs, program copy, result and history). Rerunning with the same run id skips every unit
whose records are all ``completed`` and retries the rest.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import records
from harness.cases import Case
from harness.envinfo import environment, git_revision
from harness.executors import SPEC_FILE, Executor
from harness.outcome import make_records
from harness.spec import RunSpec

RUN_FILE = "run.json"


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides which units a run has and how each runs."""

    run_id: str
    case_ids: tuple[str, ...]
    variants: tuple[str, ...]
    tools: tuple[str, ...]
    seeds: tuple[int, ...]
    profile: str
    semantics: str | None  # None: each case's own
    shared: bool
    timeout_s: float
    memory_mb: int
    jobs: int
    executor: str


def plan(config: RunConfig, cases: Iterable[Case], bench_root: Path) -> list[RunSpec]:
    """The units of a run, in a stable order (case, variant, seed, tool)."""
    specs = []
    for case in cases:
        digest = case.digest()
        for variant in config.variants:
            for seed in config.seeds:
                groups = [config.tools] if config.shared else [(t,) for t in config.tools]
                for tools in groups:
                    specs.append(
                        RunSpec(
                            run_id=config.run_id, case_id=case.id, variant=variant,
                            tools=tuple(tools), seed=seed, profile=config.profile,
                            semantics=config.semantics or case.semantics,
                            shared=config.shared and len(tools) > 1,
                            timeout_s=config.timeout_s, memory_mb=config.memory_mb,
                            bench_root=str(bench_root.resolve()), case_digest=digest,
                        )
                    )
    return specs


def is_current(record: dict[str, Any] | None, spec: RunSpec) -> bool:
    """A completed record that still answers ``spec``: same case content, profile and semantics.

    A record made before the case's program, metadata or patch changed (another digest), or
    under another profile or loss semantics, is stale and its unit runs again.
    """
    return (
        record is not None
        and record.get("status") == "completed"
        and record.get("case_digest") == spec.case_digest
        and record.get("profile") == spec.profile
        and record.get("semantics") == spec.semantics
    )


def pending(specs: list[RunSpec], run_dir: Path) -> tuple[list[RunSpec], dict[str, int]]:
    """Units still to run (some tool lacks a current completed record) and each unit's next
    attempt number."""
    latest = records.latest(run_dir)
    attempts: dict[str, int] = {}
    for record in records.read_all(run_dir):
        attempts[record["unit"]] = max(attempts.get(record["unit"], 0), record["attempt"])
    todo = [s for s in specs
            if not all(is_current(latest.get(s.record_key(t)), s) for t in s.tools)]
    return todo, {s.unit_key: attempts.get(s.unit_key, 0) + 1 for s in todo}


def write_run_json(run_dir: Path, config: RunConfig, executor: Executor) -> None:
    """Write ``run.json``; on resume keep the first start time and add this session."""
    path = run_dir / RUN_FILE
    previous = json.loads(path.read_text()) if path.exists() else {}
    now = datetime.now(UTC).isoformat(timespec="seconds")
    info = {
        "schema_version": records.SCHEMA_VERSION,
        "run_id": config.run_id,
        "config": {k: list(v) if isinstance(v, tuple) else v for k, v in vars(config).items()},
        "executor": executor.describe(),
        "env": environment(),
        "harness": git_revision(),
        "started_at": previous.get("started_at", now),
        "sessions": [*previous.get("sessions", []), now],
    }
    path.write_text(json.dumps(info, indent=2))


def run_unit(spec: RunSpec, run_dir: Path, executor: Executor, attempt: int) -> list[dict]:
    """Run one unit from a clean unit folder and append its records; return the last attempt's.

    The unit's own failures (crash, timeout, OOM, error) become records. An attempt the executor
    lost (:class:`UnitLost`, e.g. a Ray node died) is recorded as ``crashed`` and retried up to
    ``executor.max_retries`` times. When the executor's infrastructure fails
    (:class:`ExecutorUnavailable`) the unit is recorded as ``crashed`` with that reason and the
    exception is re-raised, so the run stops instead of burning every remaining unit.
    """
    from harness.executors import ExecResult, ExecutorUnavailable, UnitLost

    for number in range(attempt, attempt + executor.max_retries + 1):
        unit_dir = run_dir / spec.log_dir
        if unit_dir.exists():
            shutil.rmtree(unit_dir)
        unit_dir.mkdir(parents=True)
        spec.write(unit_dir / SPEC_FILE)
        failure: Exception | None = None
        try:
            result = executor.run(spec, unit_dir)
        except (ExecutorUnavailable, UnitLost) as exc:
            failure = exc
            kind = "lost" if isinstance(exc, UnitLost) else "executor_unavailable"
            (unit_dir / "executor-error.log").write_text(f"{kind}: {exc}\n")
            result = ExecResult(exit_code=None, killed_for=None, wall_s=0.0,
                                detail={"executor_error": str(exc), "error_type": kind})
        unit_records = make_records(spec, result, unit_dir, run_dir, executor.name, number)
        records.append(run_dir, unit_records)
        if isinstance(failure, ExecutorUnavailable):
            raise failure
        if failure is None:
            break
    return unit_records


def run_many(
    specs: list[RunSpec],
    run_dir: Path,
    executor: Executor,
    jobs: int,
    on_done: Callable[[RunSpec, list[dict[str, Any]]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run units with ``jobs`` in parallel; return the records written (in completion order)."""
    run_dir = run_dir.resolve()  # executors run workers from other folders
    run_dir.mkdir(parents=True, exist_ok=True)
    todo, attempts = pending(specs, run_dir)
    written: list[dict[str, Any]] = []
    lock = threading.Lock()
    abort = threading.Event()

    def guarded(spec: RunSpec) -> list[dict[str, Any]]:
        if abort.is_set():  # the executor's infrastructure failed: start nothing new
            return []
        try:
            return run_unit(spec, run_dir, executor, attempts[spec.unit_key])
        except BaseException:
            abort.set()
            raise

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(guarded, spec): spec for spec in todo}
        try:
            for future in as_completed(futures):
                unit_records = future.result()
                with lock:
                    written.extend(unit_records)
                if on_done:
                    on_done(futures[future], unit_records)
        except BaseException:
            # Ctrl-C or the executor's infrastructure failed: start nothing new; units in
            # flight finish (their executor cleans up) and are recorded before we re-raise.
            abort.set()
            for future in futures:
                future.cancel()
            raise
    return written
