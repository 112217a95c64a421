"""Plan units, run them through an executor in parallel, record every attempt, resume.

The run directory (``runs/<run-id>/``) holds ``run.json`` (the resolved configuration and
environment, replaced atomically), ``records.jsonl`` (one line per attempt per tool), ``.lock``
(held by the one harness running it: :mod:`harness.rundir`) and ``units/...``: per unit a folder
with one ``attempt-<k>/`` per attempt (spec, logs, program copy, result, history), never deleted.
Rerunning with the same run id skips every unit whose records are all ``completed`` by the same
code (:func:`is_current`) and retries the rest. SIGINT/SIGTERM kill the units in flight, record
them as ``interrupted`` and raise :class:`~harness.interrupt.RunInterrupted`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import records
from harness.cases import Case, variants_to_run
from harness.envinfo import environment, git_revision
from harness.executors import SPEC_FILE, Executor
from harness.interrupt import stop_on_signals
from harness.outcome import make_records
from harness.revision import code_revision, tool_versions
from harness.rundir import hold, new_attempt_dir, write_atomic
from harness.spec import NO_TOOL, RunSpec

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
    keep_traces: bool = False  # extra["traces"]: the worker saves full traces (harness.traces)


def plan(config: RunConfig, cases: Iterable[Case]) -> list[RunSpec]:
    """The units of a run, in a stable order (case, variant, seed, tool); the variants of each
    case are :func:`~harness.cases.variants_to_run`'s (one patched run per mutant parent). Each
    unit's ``bench_root`` is its case's own root (the benchmark's for a real case, its
    ``mutants/`` folder for a mutant)."""
    specs = []
    cases = list(cases)
    variants = variants_to_run(cases, config.variants)
    for case in cases:
        digest = case.digest()
        for variant in variants[case.id]:
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
                            bench_root=str(case.root.resolve()), case_digest=digest,
                            extra={"traces": True} if config.keep_traces else {},
                        )
                    )
    return specs


def is_current(
    record: dict[str, Any] | None,
    spec: RunSpec,
    revision: str,
    tool_version: str | None,
) -> bool:
    """A completed record that still answers ``spec``: same case content, profile, semantics
    and code.

    A record made before the case's program, metadata or patch changed (another digest), under
    another profile or loss semantics, by other harness/tool code (``code_revision`` other than
    ``revision``: :func:`harness.revision.code_revision`; a record older than schema 3 has none)
    or by another version of its tool (``tool_version``, the tool's current
    :attr:`~baselines.base.Detector.version`; ``None`` for ``none``) is stale and its unit runs
    again.
    """
    return (
        record is not None
        and record.get("status") == "completed"
        and record.get("case_digest") == spec.case_digest
        and record.get("profile") == spec.profile
        and record.get("semantics") == spec.semantics
        and record.get("code_revision") == revision
        and (record.get("tool") == NO_TOOL or tool_version is not None)
        and record.get("tool_version") == tool_version
    )


def pending(
    specs: list[RunSpec], run_dir: Path, revision: str | None = None
) -> tuple[list[RunSpec], dict[str, int]]:
    """Units still to run (some tool lacks a current completed record) and each unit's next
    attempt number. ``revision`` defaults to this checkout's :func:`code_revision`.

    The tools' versions are looked up (in a subprocess) only when some record could be current.
    """
    revision = revision or code_revision()
    all_records = records.read_all(run_dir)
    latest = {r["key"]: r for r in all_records}
    attempts: dict[str, int] = {}
    for record in all_records:
        attempts[record["unit"]] = max(attempts.get(record["unit"], 0), record["attempt"])
    candidates = {t for s in specs for t in s.tools
                  if is_current(latest.get(s.record_key(t)), s, revision,
                                (latest.get(s.record_key(t)) or {}).get("tool_version"))}
    versions = tool_versions(candidates) if candidates else {}
    todo = [s for s in specs
            if not all(is_current(latest.get(s.record_key(t)), s, revision, versions.get(t))
                       for t in s.tools)]
    return todo, {s.unit_key: attempts.get(s.unit_key, 0) + 1 for s in todo}


def write_run_json(run_dir: Path, config: RunConfig, executor: Executor,
                   rejected: dict[str, str] | None = None) -> None:
    """Write ``run.json`` atomically; on resume keep the first start time and add this session.

    ``config`` is this session's configuration; ``invocations`` keeps every session's (a run
    resumed with other arguments, e.g. more seeds or fewer cases, says so).
    ``rejected``: case id -> why its metadata could not be loaded (those cases did not run).
    """
    path = run_dir / RUN_FILE
    previous = json.loads(path.read_text()) if path.exists() else {}
    now = datetime.now(UTC).isoformat(timespec="seconds")
    asked = {k: list(v) if isinstance(v, tuple) else v for k, v in vars(config).items()}
    info = {
        "schema_version": records.SCHEMA_VERSION,
        "run_id": config.run_id,
        "config": asked,
        "invocations": [*previous.get("invocations", []), {"at": now, "config": asked}],
        "executor": executor.describe(),
        "env": environment(),
        "harness": git_revision(),
        "code_revision": code_revision(),
        "started_at": previous.get("started_at", now),
        "sessions": [*previous.get("sessions", []), now],
        "rejected_cases": dict(rejected or {}),
    }
    write_atomic(path, json.dumps(info, indent=2))


def run_unit(
    spec: RunSpec, run_dir: Path, executor: Executor, attempt: int, revision: str | None = None
) -> list[dict]:
    """Run one unit in a fresh attempt folder and append its records; return the last attempt's.

    Every attempt gets its own folder (:func:`harness.rundir.new_attempt_dir`), which its
    records name as ``log_dir``; nothing of an earlier attempt is deleted. The unit's own
    failures (crash, timeout, OOM, error) become records. An attempt the executor lost
    (:class:`UnitLost`, e.g. a Ray node died) is recorded as ``crashed`` and retried up to
    ``executor.max_retries`` times. When the executor's infrastructure fails
    (:class:`ExecutorUnavailable`) the unit is recorded as ``crashed`` with that reason and the
    exception is re-raised, so the run stops instead of burning every remaining unit.
    """
    from harness.executors import ExecResult, ExecutorUnavailable, UnitLost

    revision = revision or code_revision()
    number = attempt
    for _ in range(executor.max_retries + 1):
        number, unit_dir = new_attempt_dir(run_dir, spec, number)
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
        unit_records = make_records(spec, result, unit_dir, run_dir, executor.name, number,
                                    code_revision=revision)
        records.append(run_dir, unit_records)
        if isinstance(failure, ExecutorUnavailable):
            raise failure
        if failure is None:
            break
        number += 1
    return unit_records


def run_many(
    specs: list[RunSpec],
    run_dir: Path,
    executor: Executor,
    jobs: int,
    on_done: Callable[[RunSpec, list[dict[str, Any]]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run units with ``jobs`` in parallel; return the records written (in completion order).

    Holds the run's lock throughout (:func:`harness.rundir.hold`; raises
    :class:`~harness.rundir.RunLocked` if another harness has it). On SIGINT/SIGTERM (main
    thread only) the executor kills the units in flight, they are recorded as ``interrupted``,
    nothing new starts, and :class:`~harness.interrupt.RunInterrupted` is raised.
    """
    run_dir = run_dir.resolve()  # executors run workers from other folders
    written: list[dict[str, Any]] = []
    lock = threading.Lock()
    abort = threading.Event()

    def stop() -> None:
        abort.set()
        executor.interrupt()

    with hold(run_dir), stop_on_signals(stop):
        revision = code_revision()
        todo, attempts = pending(specs, run_dir, revision)

        def guarded(spec: RunSpec) -> list[dict[str, Any]]:
            if abort.is_set():  # interrupted, or the executor's infrastructure failed
                return []
            try:
                return run_unit(spec, run_dir, executor, attempts[spec.unit_key], revision)
            except BaseException:
                abort.set()
                raise

        try:
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
                    # Interrupted or the executor's infrastructure failed: start nothing new;
                    # units in flight end (killed at once when interrupted) and are recorded
                    # before the pool's exit returns and we re-raise.
                    abort.set()
                    for future in futures:
                        future.cancel()
                    raise
        finally:
            executor.close()
    return written
