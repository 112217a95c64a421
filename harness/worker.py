"""The worker: runs ONE unit of work in the current process. Every executor runs this.

``python -m harness.worker --spec SPEC.json --out DIR``

It loads the case, copies the program into ``DIR/program`` (applying the patch for the
``patched`` variant), seeds everything, applies the loss semantics, runs the **unmodified**
program with each tool's callbacks injected into every ``Model.fit`` call, and writes
``DIR/result.json`` (status, verdicts, training summary, environment) and ``DIR/history.json``.
A program that raises is recorded as ``error`` (``oom`` for ``MemoryError``) with its traceback;
the worker itself exits 0 whenever it managed to write its result. While the program runs, each
tool's findings and stop requests are streamed to ``DIR/findings.jsonl`` (:mod:`harness.stream`),
so they survive a worker that is killed before it can write its result.

Run as a command, the worker also enforces the unit's deadline and memory cap itself and kills
its whole unit when the harness dies (:mod:`harness.watchdog`), so a killed harness leaves no
unit running. Every file of the program copy must land inside ``DIR/program``: a case file or
patch path that would leave it (``..``, absolute, through a symlink) is an error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.spec import NO_TOOL, RunSpec

RESULT_FILE = "result.json"
HISTORY_FILE = "history.json"
PROGRAM_DIR = "program"


def prepare_program(spec: RunSpec, out_dir: Path) -> Path:
    """Copy the case program into ``out_dir/program`` (patched for that variant); return it."""
    from harness.cases import load_case
    from harness.patching import PatchError, apply_patch

    case = load_case(Path(spec.bench_root), spec.case_id)
    folder = case.folder.resolve()
    for path in case.files():
        if not path.resolve().is_relative_to(folder):
            raise PatchError(f"{path}: a case file that leads outside the case folder "
                             f"{case.folder} (a symlink to {path.resolve()})")
    files = {p.relative_to(case.folder).as_posix(): p.read_text() for p in case.files()}
    if spec.variant == "patched":
        files = apply_patch(files, case.patch_path.read_text(), str(case.patch_path),
                            folder=case.folder)
    program = out_dir / PROGRAM_DIR
    program.mkdir(parents=True, exist_ok=True)
    root = program.resolve()
    for rel, text in files.items():
        target = program / rel
        if not target.resolve().is_relative_to(root):
            raise PatchError(f"{case.patch_path}: {rel!r} would be written outside the program "
                             f"folder {program} (to {target.resolve()})")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return program / case.script


def summarize(fits: list[Any], evaluations: list[dict[str, float]]) -> dict[str, Any]:
    """Training summary: last epoch's logs of the last fit, last evaluation, totals."""
    from harness.records import finite_or_flag

    metrics: dict[str, Any] = {}
    last = fits[-1] if fits else None
    if last is not None:
        for key, values in last.history.items():
            if values:
                metrics.update(finite_or_flag(key, values[-1]))
    if evaluations:
        for key, value in evaluations[-1].items():
            metrics.update(finite_or_flag(f"eval_{key}", value))
    losses = [v for fit in fits for v in fit.history.get("loss", [])]
    return {
        "fits": len(fits),
        "epochs_configured": last.epochs_configured if last else 0,
        "epochs_run": last.epochs_run if last else 0,
        "stopped_early": any(f.stopped_early for f in fits),
        "train_s": round(sum(f.train_s for f in fits), 4),
        "any_nonfinite_loss": any(v != v or v in (float("inf"), float("-inf")) for v in losses),
        "metrics": metrics,
    }


class _Phases:
    """Where a unit's time goes, written to ``result["timing"]`` (``benchmarks/unit_time.py``
    sums it over a run): seconds from the process's start to :func:`run`, importing
    TensorFlow/Keras and the tools, setting up (case, program copy, seeds, tools), the program
    (of which ``train_s`` in ``fit`` calls, ``first_epoch_s`` their first epochs, tracing
    included), and writing the result."""

    def __init__(self) -> None:
        self.marks: dict[str, float] = {}
        self.first_epochs: list[float] = []
        self._last = time.perf_counter()
        try:
            import psutil

            self.marks["process_s"] = time.time() - psutil.Process().create_time()
        except Exception:  # noqa: BLE001  (a missing figure, not a failed unit)
            pass

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        self.marks[name] = self.marks.get(name, 0.0) + now - self._last
        self._last = now

    def epoch_timer(self) -> Any:
        import keras

        phases = self

        class FirstEpoch(keras.callbacks.Callback):
            def on_train_begin(self, logs: dict | None = None) -> None:
                self.t0 = time.perf_counter()

            def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
                if epoch == 0:
                    phases.first_epochs.append(time.perf_counter() - self.t0)

        return FirstEpoch()

    def to_json(self, train_s: float | None) -> dict[str, float]:
        out = {k: round(v, 4) for k, v in self.marks.items()}
        out["first_epoch_s"] = round(sum(self.first_epochs), 4)
        if train_s is not None:
            out["train_s"] = round(train_s, 4)
        return out


def run(spec: RunSpec, out_dir: Path) -> dict[str, Any]:
    """Run the unit; return (and write) the result dict."""
    started = time.perf_counter()
    phases = _Phases()
    result: dict[str, Any] = {
        "spec": spec.to_json(),
        "status": "completed",
        "error": None,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    injector = None
    try:
        from harness.cases import load_case

        case = load_case(Path(spec.bench_root), spec.case_id)
        script = prepare_program(spec, out_dir)
        overrides = {**case.params(spec.profile, spec.variant), **spec.extra.get("params", {})}
        os.environ["DEEPLOCALIZE_PARAMS"] = json.dumps(overrides)
        phases.mark("setup_s")

        import keras
        import tensorflow as tf

        from baselines import registry
        from baselines.base import json_safe
        from harness import datasets, params, semantics
        from harness.envinfo import environment
        from harness.injection import FitInjector, run_program
        from harness.stream import FINDINGS_FILE, FindingsStream

        phases.mark("imports_s")
        result["env"] = environment()
        keras.utils.set_random_seed(spec.seed)
        tf.config.experimental.enable_op_determinism()
        semantics.apply(spec.semantics)
        tools = [t for t in spec.tools if t != NO_TOOL]
        detectors = {name: registry.create(name) for name in tools}
        injector = FitInjector(detectors, passive=spec.shared)
        stream = FindingsStream(out_dir / FINDINGS_FILE, detectors, injector.stops)
        injector.trailing += [stream.callback, phases.epoch_timer]
        if spec.extra.get("traces"):
            from harness.traces import TraceKeeper

            injector.trailing.append(TraceKeeper(out_dir))
        phases.mark("setup_s")
        with injector, stream:
            try:
                run_program(script, list(case.args))
            except MemoryError as exc:
                result["status"] = "oom"
                result["error"] = {"type": "MemoryError", "message": str(exc),
                                   "traceback": traceback.format_exc()}
            except Exception as exc:  # the program failed: record it, keep what was observed
                result["status"] = "error"
                result["error"] = {"type": type(exc).__name__, "message": str(exc),
                                   "traceback": traceback.format_exc()}
                traceback.print_exc()
        phases.mark("program_s")
        result["verdicts"] = {n: v.to_json() for n, v in injector.verdicts().items()}
        result["tool_versions"] = {n: d.version for n, d in detectors.items()}
        result["training"] = summarize(injector.fits, injector.evaluations)
        result["data"] = dict(datasets.USED)
        result["params"] = dict(params.USED)
        history = [
            {"index": f.index, "epochs_configured": f.epochs_configured,
             "epochs_run": f.epochs_run, "batch_size": f.batch_size, "train_s": f.train_s,
             "history": f.history}
            for f in injector.fits
        ]
        (out_dir / HISTORY_FILE).write_text(json.dumps(json_safe(history), allow_nan=False))
    except Exception as exc:  # set-up failed before or around the program (bad case, patch...)
        result["status"] = "error"
        result["error"] = {"type": type(exc).__name__, "message": str(exc),
                           "traceback": traceback.format_exc()}
        traceback.print_exc()
    phases.mark("results_s")
    result["timing"] = phases.to_json((result.get("training") or {}).get("train_s"))
    result["wall_s"] = round(time.perf_counter() - started, 4)
    _write_result(out_dir, result)
    return result


def _jsonable(value: Any) -> Any:
    return float(value) if hasattr(value, "__float__") else str(value)


def _write_result(out_dir: Path, result: dict[str, Any]) -> None:
    from baselines.base import json_safe
    from harness.rundir import write_atomic

    text = json.dumps(json_safe(result), allow_nan=False, indent=1, default=_jsonable)
    write_atomic(out_dir / RESULT_FILE, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.worker", description=__doc__)
    parser.add_argument("--spec", type=Path, required=True, help="RunSpec JSON file")
    parser.add_argument("--out", type=Path, required=True, help="output folder for this unit")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    spec = RunSpec.read(args.spec)
    from harness.watchdog import UnitWatchdog

    UnitWatchdog(args.out, spec.timeout_s, spec.memory_mb).start()  # before any other thread
    run(spec, args.out)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
