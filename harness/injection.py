"""Attach detectors to every ``Model.fit`` call of an unmodified training program.

:class:`FitInjector` is a context manager that patches ``keras.Model.fit`` for its duration.
Each ``fit`` call gets, after the program's own callbacks, a :class:`_Progress` tracker and every
detector's callbacks wrapped in a :class:`_StopGuard`. The guard notices when the wrapped
callback sets ``model.stop_training`` and records a :class:`~baselines.base.StopEvent`; in
*passive* mode (a shared run) it then clears the flag so training goes on.

The same mechanism serves the benchmark worker and ``deeplocalize diagnose``.
"""

from __future__ import annotations

import inspect
import math
import os
import runpy
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from baselines.base import Detector, StopEvent, Verdict

_HOOKS = (
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_begin",
    "on_test_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_begin",
    "on_predict_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
)


@dataclass
class FitRecord:
    """What one ``fit`` call did: its configuration, its history and how long it took."""

    index: int
    epochs_configured: int
    steps_per_epoch: int | None
    batch_size: int | None
    epochs_run: int = 0
    history: dict[str, list[float]] = field(default_factory=dict)
    train_s: float = 0.0
    stopped_early: bool = False


@dataclass
class _Clock:
    """Where training is, shared by all guards: updated by :class:`_Progress` first."""

    started: float | None = None
    fit_index: int = -1
    epoch: int = 0
    batch: int | None = None
    iteration: int = 0
    samples: int | None = 0
    epochs: int = 1
    steps: int | None = None
    batch_size: int | None = None
    n_samples: int | None = None

    def wall_s(self) -> float:
        return 0.0 if self.started is None else time.perf_counter() - self.started


class _Progress(keras.callbacks.Callback):
    """Keeps the shared clock current; runs before every detector callback."""

    def __init__(self, clock: _Clock) -> None:
        super().__init__()
        self.clock = clock

    def on_train_begin(self, logs: dict | None = None) -> None:
        c = self.clock
        if c.started is None:
            c.started = time.perf_counter()
        c.epochs = int(self.params.get("epochs") or 1)
        c.steps = self.params.get("steps")

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.clock.epoch = epoch
        self.clock.batch = None

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self.clock.batch = batch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        c = self.clock
        c.iteration += 1
        if c.samples is not None and c.batch_size is not None:
            if c.n_samples is not None:
                done_in_epoch = min(batch * c.batch_size, c.n_samples)
                c.samples += min(c.batch_size, c.n_samples - done_in_epoch)
            else:
                c.samples += c.batch_size
        else:
            c.samples = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.clock.batch = None


class _StopGuard(keras.callbacks.Callback):
    """Wraps one detector callback and turns its ``stop_training`` writes into StopEvents."""

    def __init__(
        self,
        inner: keras.callbacks.Callback,
        clock: _Clock,
        events: list[StopEvent],
        passive: bool,
    ) -> None:
        super().__init__()
        self.inner = inner
        self.clock = clock
        self.events = events
        self.passive = passive

    def set_model(self, model: keras.Model) -> None:
        super().set_model(model)
        self.inner.set_model(model)

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        self.inner.set_params(params)

    def _call(self, hook: str, *args: Any, **kwargs: Any) -> None:
        model = self.model
        before = bool(getattr(model, "stop_training", False))
        getattr(self.inner, hook)(*args, **kwargs)
        if before or not getattr(model, "stop_training", False):
            return
        if hook.startswith("on_train") or hook.startswith("on_epoch"):
            self.events.append(self._event(hook))
        if self.passive:
            model.stop_training = False

    def _event(self, hook: str) -> StopEvent:
        c = self.clock
        batch = c.batch if hook.startswith("on_train_batch") else None
        last_epoch = c.epoch >= c.epochs - 1
        if batch is None:
            early = not last_epoch
        else:
            early = not (last_epoch and c.steps is not None and batch >= c.steps - 1)
        return StopEvent(
            fit_index=c.fit_index,
            epoch=c.epoch,
            batch=batch,
            iteration=c.iteration,
            samples=c.samples,
            wall_s=round(c.wall_s(), 6),
            early=early,
            hook=hook,
        )


def _make_hook(hook: str):
    def method(self: _StopGuard, *args: Any, **kwargs: Any) -> None:
        self._call(hook, *args, **kwargs)

    method.__name__ = hook
    return method


for _hook in _HOOKS:
    setattr(_StopGuard, _hook, _make_hook(_hook))


def _n_samples(x: Any, validation_split: float) -> int | None:
    if hasattr(x, "shape") and not callable(x):  # NumPy arrays and tensors
        try:
            n = int(x.shape[0])
        except (TypeError, IndexError):
            return None
        # Keras' own split (trainers/data_adapters/array_slicing.py): floor(n * (1 - split)).
        return int(math.floor(n * (1.0 - validation_split))) if validation_split else n
    if isinstance(x, (list, tuple)) and x and hasattr(x[0], "shape"):
        return _n_samples(x[0], validation_split)
    if isinstance(x, dict) and x:
        return _n_samples(next(iter(x.values())), validation_split)
    return None


class FitInjector:
    """Context manager that attaches detectors to every ``keras.Model.fit`` call.

    Args:
        detectors: Tool name → fresh Detector instance.
        passive: ``True`` for a shared run: a stop request is recorded and training goes on.
            ``False``: a stop request really stops training (only sensible with one detector).

    Attributes:
        stops: Tool name → the StopEvents observed for that tool, in order.
        fits: One :class:`FitRecord` per ``fit`` call the program made.
        evaluations: The return values of the program's ``Model.evaluate`` calls, as dicts.
        trailing: Callback factories, each called once per ``fit`` call; their callbacks run
            after every detector's, so they see that batch's findings and stop requests (the
            worker's findings stream, :mod:`harness.stream`).
    """

    def __init__(self, detectors: Mapping[str, Detector], *, passive: bool) -> None:
        if not passive and len(detectors) > 1:
            raise ValueError(
                f"an active (non-shared) run takes one detector, got {sorted(detectors)}; "
                "use passive=True to attach several tools to one training run"
            )
        self.detectors = dict(detectors)
        self.passive = passive
        self.stops: dict[str, list[StopEvent]] = {name: [] for name in self.detectors}
        self.fits: list[FitRecord] = []
        self.evaluations: list[dict[str, float]] = []
        self._clock = _Clock()
        self._fit_depth = 0
        self._saved: dict[str, Any] = {}
        self.trailing: list[Callable[[], keras.callbacks.Callback]] = []

    def __enter__(self) -> FitInjector:
        self._saved = {"fit": keras.Model.fit, "evaluate": keras.Model.evaluate}
        injector = self
        original_fit = self._saved["fit"]
        original_evaluate = self._saved["evaluate"]
        fit_signature = inspect.signature(original_fit)

        def fit(model: keras.Model, *args: Any, **kwargs: Any) -> Any:
            bound = fit_signature.bind(model, *args, **kwargs)
            bound.apply_defaults()
            params = dict(bound.arguments)
            params.pop("self", None)
            extra = params.pop("kwargs", {}) or {}
            user_callbacks = list(params["callbacks"] or [])
            params["callbacks"] = injector._callbacks_for_fit(params, user_callbacks)
            record = injector.fits[-1]
            start = time.perf_counter()
            injector._fit_depth += 1
            try:
                history = injector._fit(original_fit, model, params, extra)
            finally:
                injector._fit_depth -= 1
                record.train_s = time.perf_counter() - start
            record.history = {k: [float(v) for v in vals] for k, vals in history.history.items()}
            record.epochs_run = len(history.epoch)
            record.stopped_early = record.epochs_run < record.epochs_configured
            return history

        def evaluate(model: keras.Model, *args: Any, **kwargs: Any) -> Any:
            result = original_evaluate(model, *args, **kwargs)
            if injector._fit_depth:  # fit's own validation pass, not the program's evaluate()
                return result
            # After evaluate() the metric objects hold the evaluation's results, by name.
            logs = model.get_metrics_result()
            injector.evaluations.append({k: float(np.asarray(v)) for k, v in logs.items()})
            return result

        keras.Model.fit = fit
        keras.Model.evaluate = evaluate
        return self

    def __exit__(self, *exc: object) -> None:
        keras.Model.fit = self._saved["fit"]
        keras.Model.evaluate = self._saved["evaluate"]

    def _fit(
        self, fit: Any, model: keras.Model, params: dict[str, Any], extra: dict[str, Any]
    ) -> Any:
        """Run the real ``fit`` (a hook: :mod:`harness.buildprobe` records instead of training)."""
        return fit(model, **params, **extra)

    def _callbacks_for_fit(
        self, params: dict[str, Any], user_callbacks: list[keras.callbacks.Callback]
    ) -> list[keras.callbacks.Callback]:
        c = self._clock
        c.fit_index += 1
        x = params.get("x")
        batch_size = params.get("batch_size")
        c.n_samples = _n_samples(x, float(params.get("validation_split") or 0.0))
        # Keras' default batch size applies only to array inputs; datasets bring their own.
        c.batch_size = (batch_size or 32) if c.n_samples is not None else batch_size
        self.fits.append(
            FitRecord(
                index=c.fit_index,
                epochs_configured=int(params.get("epochs") or 1),
                steps_per_epoch=params.get("steps_per_epoch"),
                batch_size=c.batch_size,
            )
        )
        ours: list[keras.callbacks.Callback] = [_Progress(c)]
        for name, detector in self.detectors.items():
            for cb in detector.callbacks():
                ours.append(_StopGuard(cb, c, self.stops[name], self.passive))
        ours.extend(make() for make in self.trailing)
        return user_callbacks + ours

    def verdicts(self) -> dict[str, Verdict]:
        """Each detector's verdict, given the stop requests observed for it."""
        return {name: det.verdict(self.stops[name]) for name, det in self.detectors.items()}


@contextmanager
def _program_context(script: Path, args: Sequence[str]):
    old_argv, old_cwd, old_path = sys.argv[:], os.getcwd(), sys.path[:]
    sys.argv = [str(script), *args]
    os.chdir(script.parent)
    sys.path.insert(0, str(script.parent))
    try:
        yield
    finally:
        sys.argv, sys.path[:] = old_argv, old_path
        os.chdir(old_cwd)


def run_program(script: Path, args: Sequence[str] = ()) -> None:
    """Run a Python training script as ``__main__``, from its own folder, with ``args``.

    ``SystemExit(0)``/``SystemExit(None)`` counts as a normal end; any other exception propagates.
    """
    script = Path(script).resolve()
    with _program_context(script, args):
        try:
            runpy.run_path(str(script), run_name="__main__")
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise
