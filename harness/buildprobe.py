"""Run a case program as the worker does, but record each ``Model.fit`` call instead of training.

``python -m harness.buildprobe --bench-root ROOT --unit CASE:VARIANT [--unit ...]
[--profile quick] --out DIR``

The unit runs through :func:`harness.worker.run` itself (program copy, patch for the patched
variant, profile parameters, seed, loss semantics, offline data), planned by
:func:`harness.runner.plan` like any control run, with :class:`RecordingInjector` in place of the
worker's :class:`~harness.injection.FitInjector`. Every ``fit`` call then records the model's
layers (index, class, name, whether it has trainable weights) and the batches it would train,
and returns an empty :class:`keras.callbacks.History` at once. The program goes on with its
untrained model, so every later ``fit`` is recorded too; a program that fails afterwards (e.g. on
the empty history) keeps the fits recorded so far, and its error is reported.

Several units may share one process (TensorFlow is imported once): before each, Keras' global
state is cleared, so layer names count from zero as in a fresh worker process.

:mod:`harness.modelcheck` starts this in a subprocess and checks the case against the result.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any, ClassVar

import keras

from harness import injection
from harness.injection import FitInjector


class _Unrecorded(dict):
    """``History.history`` of a fit that did not train: every metric reads as one NaN."""

    def __missing__(self, key: str) -> list[float]:
        return [float("nan")]


def _batches_per_epoch(
    params: dict[str, Any], samples: int | None, batch_size: int | None
) -> int | None:
    steps = params.get("steps_per_epoch")
    if steps:
        return int(steps)
    if samples is not None and batch_size:
        return math.ceil(samples / batch_size)
    x = params.get("x")
    if hasattr(x, "cardinality"):  # tf.data.Dataset
        n = int(x.cardinality())
        return n if n >= 0 else None
    if isinstance(x, keras.utils.PyDataset):
        try:
            return len(x)
        except TypeError:
            return None
    return None


def _layers(model: keras.Model, params: dict[str, Any]) -> list[dict[str, Any]]:
    if not model.built:  # Sequential without an Input: build it the way fit would
        x = params.get("x")
        if hasattr(x, "shape"):
            model.build((None, *tuple(x.shape[1:])))
    return [
        {
            "index": i,
            "cls": type(layer).__name__,
            "name": layer.name,
            "has_weights": bool(layer.trainable_weights),
        }
        for i, layer in enumerate(model.layers)
    ]


class RecordingInjector(FitInjector):
    """A :class:`FitInjector` whose ``fit`` records the call and returns without training."""

    #: Every instance made in this process, newest last (the worker makes one per unit).
    instances: ClassVar[list[RecordingInjector]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recorded: list[dict[str, Any]] = []
        RecordingInjector.instances.append(self)

    def _fit(
        self, fit: Any, model: keras.Model, params: dict[str, Any], extra: dict[str, Any]
    ) -> keras.callbacks.History:
        record = self.fits[-1]
        clock = self._clock  # the injector's own sample count and batch-size default
        epochs = int(params.get("epochs") or 1) - int(params.get("initial_epoch") or 0)
        self.recorded.append(
            {
                "index": record.index,
                "model": type(model).__name__,
                "layers": _layers(model, params),
                "epochs": epochs,
                "batch_size": clock.batch_size,
                "samples": clock.n_samples,
                "steps_per_epoch": params.get("steps_per_epoch"),
                "batches_per_epoch": _batches_per_epoch(params, clock.n_samples, clock.batch_size),
            }
        )
        history = keras.callbacks.History()
        history.set_model(model)
        history.history = _Unrecorded()
        history.epoch = []
        return history


def run_probe(root: Path, case_id: str, variant: str, profile: str) -> dict[str, Any]:
    """Probe one case variant in this process; return the JSON-able record."""
    from harness import worker
    from harness.cases import load_case
    from harness.runner import RunConfig, plan
    from harness.spec import NO_TOOL

    case = load_case(root, case_id)
    config = RunConfig(
        run_id="build-probe",
        case_ids=(case_id,),
        variants=(variant,),
        tools=(NO_TOOL,),
        seeds=(0,),
        profile=profile,
        semantics=None,
        shared=False,
        timeout_s=600.0,
        memory_mb=6144,
        jobs=1,
        executor="local",
    )
    (spec,) = plan(config, [case])
    injection.FitInjector = RecordingInjector  # the worker imports it from there at run time
    try:
        with tempfile.TemporaryDirectory(prefix="probe-unit-") as tmp:
            result = worker.run(spec, Path(tmp))
    finally:
        injection.FitInjector = FitInjector
    if not RecordingInjector.instances:
        raise RuntimeError(
            "the worker did not build its FitInjector from harness.injection; "
            "harness.buildprobe must follow how the worker attaches tools"
        )
    error = result.get("error") or {}
    return {
        "case_id": case_id,
        "variant": variant,
        "profile": profile,
        "status": result["status"],
        "error": f"{error['type']}: {error['message']}" if error else None,
        "fits": RecordingInjector.instances[-1].recorded,
        "params": result.get("params", {}),
        "wall_s": result.get("wall_s", 0.0),
    }


def _isolate() -> None:
    """Reset what one program leaves behind before the next runs in this process: Keras'
    global state (layer-name counters included, so names match a fresh worker process) and
    the parameter and dataset logs."""
    from harness import datasets, params

    keras.backend.clear_session()
    params.USED.clear()
    datasets.USED.clear()
    RecordingInjector.instances.clear()


def _out_of_time(signum: int, frame: Any) -> None:
    raise TimeoutError("the program ran past the build probe's time limit")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.buildprobe", description=__doc__)
    parser.add_argument("--bench-root", type=Path, required=True)
    parser.add_argument(
        "--unit",
        action="append",
        required=True,
        metavar="CASE:VARIANT",
        help="a case variant to probe (repeat for several, probed in order)",
    )
    parser.add_argument("--profile", default="quick", choices=["quick", "full"])
    parser.add_argument("--out", type=Path, required=True, help="folder for CASE--VARIANT.json")
    parser.add_argument("--unit-timeout", type=int, default=300, help="seconds per unit")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGALRM, _out_of_time)
    for unit in args.unit:
        case_id, _, variant = unit.partition(":")
        _isolate()
        signal.alarm(args.unit_timeout)  # the worker records the TimeoutError as the error
        try:
            record = run_probe(args.bench_root.resolve(), case_id, variant or "buggy", args.profile)
        finally:
            signal.alarm(0)
        target = args.out / f"{case_id}--{record['variant']}.json"
        target.write_text(json.dumps(record, indent=1, default=str))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
