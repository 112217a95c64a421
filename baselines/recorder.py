"""Shared plumbing of the re-implemented debugging tools (AUTOTRAINER, DeepDiagnosis, UMLAUT).

Per-batch layer quantities (gradients, weights, updates, layer outputs) come from DeepLocalize's
probe (:class:`localizer.probe.Probe`): it instruments the real training step and every tool on a
model subscribes to the same instance, so a shared run computes them once. The probe reduces
each quantity to :data:`localizer.rules.STATS` and summarises only *floating* inputs. Four
things the tools' rules need are not derivable from those summaries, and :class:`Recorder` adds
them, in-graph, without touching the training step itself:

- whether the model's accuracy metric is a **classification accuracy** in this ``fit`` call:
  the training batches whose targets are class labels for it, by the probe's own test
  (:func:`localizer.model_facts.class_labels` on the same targets), so the tools ignore the logged
  accuracy exactly where DeepLocalize does (:func:`baselines.epoch_logs.logged_accuracy`). The
  probe's accuracy row (n = 0 for such a batch) holds the latest steps only, and is missing
  where the probe cannot attach or (UMLAUT) is not used; the count here covers the whole call;
- the **raw training inputs** as the program feeds them: dtype and static shape (at trace time),
  running min / max and NaN/Inf counts over every numeric input tensor, integers included
  (UMLAUT's input checks, DeepDiagnosis' *ImproperData*);
- the **labels' range** (DeepDiagnosis' *Out of Range*);
- for every layer whose separable activation is ``sigmoid`` or ``tanh``, the share of its
  pre-activations with ``|x| >= 5`` in the latest training batch (DeepDiagnosis' *Saturated
  Activation*).

How: an instance attribute wraps the model's ``_compute_loss`` (Keras' TF ``train_step``, and the
probe's copy of it, call it with ``x``, ``y`` and ``training``; through
:func:`localizer.keras_internals.wrap_compute_loss`) and the ``activation`` attribute
of the sigmoid/tanh layers (``functools.wraps`` keeps name and module, so serialising the layer
while training is unaffected). The activation wrappers only *stash* their counts; the loss
wrapper commits the stash of the same graph when ``training`` is true, so validation, evaluate
and predict traces never count. Everything lands in one float64 ``tf.Variable`` read at most
once per check. Like the probe, one recorder per model and ``fit`` call is shared by all
subscribers; the last one out restores the model.

Also here: :class:`ProgramClock` (program-wide iteration and time across ``fit`` calls),
:class:`ToolCallback` (the clock bookkeeping every tool callback needs) and
:func:`acquire_probe`. Facts of the compiled model are in :mod:`baselines.model_info`, the
epoch logs' values (and which accuracy counts) in :mod:`baselines.epoch_logs`.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from localizer import keras_internals
from localizer.model_facts import (
    UnsupportedModelError,
    class_labels,
    describe_layer,
    find_accuracy_metric,
)
from localizer.probe import Probe

#: ``|pre-activation|`` at or above this counts as saturated (DeepDiagnosis, PDF Table 2).
SATURATION_BOUND = 5.0
#: Activations whose saturation the recorder counts.
SATURATING = frozenset({"sigmoid", "tanh"})

# Layout of the recorder's vector.
_STEPS, _X_N, _X_MIN, _X_MAX, _X_NAN, _X_INF, _Y_N, _Y_MIN, _Y_MAX = range(9)
_ACC_N, _ACC_LABELS = 9, 10  # batches with an accuracy metric; those with class-label targets
_FIXED = 11


@dataclass(frozen=True)
class RecorderState:
    """What the recorder saw since the ``fit`` call began (training batches only).

    Attributes:
        steps: Training batches recorded.
        x_count: Numeric input elements seen (0: inputs not measured).
        x_min, x_max: Range of every numeric input value seen (NaN ignored by min/max).
        x_nan, x_inf: NaN / Inf input values seen.
        x_dtypes: Dtype names of the input tensors as fed to the model.
        x_shapes: Static shapes of those tensors (``None`` for unknown dimensions).
        y_count, y_min, y_max: The same for the labels.
        saturation: Layer index -> share of pre-activations with ``|x| >= 5`` in the latest
            training batch that reached that layer.
        accuracy_batches: Training batches recorded while the model had an accuracy metric (the
            one DeepLocalize reads, :func:`localizer.model_facts.find_accuracy_metric`).
        label_batches: Those of them whose targets were class labels for that metric.
    """

    steps: int = 0
    x_count: int = 0
    x_min: float = math.nan
    x_max: float = math.nan
    x_nan: int = 0
    x_inf: int = 0
    x_dtypes: tuple[str, ...] = ()
    x_shapes: tuple[tuple[int | None, ...], ...] = ()
    y_count: int = 0
    y_min: float = math.nan
    y_max: float = math.nan
    saturation: dict[int, float] = field(default_factory=dict)
    accuracy_batches: int = 0
    label_batches: int = 0

    @property
    def accuracy_is_classification(self) -> bool | None:
        """Whether the accuracy is a classification accuracy: every training batch so far had
        class-label targets (DeepLocalize's probe counts exactly those batches). ``None``: not
        known (no accuracy metric, or no training batch seen)."""
        if self.accuracy_batches == 0:
            return None
        return self.label_batches == self.accuracy_batches


def _numeric(structure: Any) -> list[tf.Tensor]:
    """Dense numeric tensors of a structure (ragged, sparse and string inputs are skipped)."""
    out = []
    for t in keras.tree.flatten(structure):
        if isinstance(t, tf.Tensor) and (
            t.dtype.is_floating or t.dtype.is_integer or t.dtype.is_bool
        ):
            out.append(t)
    return out


class Recorder:
    """In-graph recorder of inputs, labels and saturation; one per model and ``fit`` call.

    Use :meth:`acquire` in ``on_train_begin`` and :meth:`release` when done (at the latest in
    ``on_train_end``). When the probe cannot be attached (so nobody forces Keras to rebuild the
    training function), pass ``retrace=True`` so the wrappers are traced into the step.
    """

    _active: dict[int, Recorder] = {}

    def __init__(self, model: keras.Model) -> None:
        self.model = model
        self.layers = tuple(describe_layer(i, layer) for i, layer in enumerate(model.layers))
        self.saturating = tuple(
            info.index
            for info in self.layers
            if info.kind in ("fused", "activation") and info.activation in SATURATING
        )
        size = _FIXED + 2 * len(self.saturating)
        initial = np.zeros(size)
        initial[[_X_MIN, _Y_MIN]] = np.inf
        initial[[_X_MAX, _Y_MAX]] = -np.inf
        self._initial = initial
        self._vector = tf.Variable(initial, dtype=tf.float64, trainable=False)
        self._stash: list[tuple[int, Any, tf.Tensor, tf.Tensor]] = []
        self._undo: list[Any] = []
        self._subscribers: list[object] = []
        self._fit_token: object = None
        self.x_dtypes: tuple[str, ...] = ()
        self.x_shapes: tuple[tuple[int | None, ...], ...] = ()

    # -- subscription ---------------------------------------------------------------------------

    @classmethod
    def acquire(cls, model: keras.Model, subscriber: object, *, retrace: bool = False) -> Recorder:
        """The model's recorder for the current ``fit`` call; ``subscriber`` joins it."""
        token = getattr(model, "history", None)
        recorder = cls._active.get(id(model))
        stale = recorder is not None and (
            recorder.model is not model or recorder._fit_token is not token
        )
        if stale:
            recorder._detach()  # left over from a fit that ended in an error
            recorder = None
        if recorder is None:
            recorder = cls(model)
            recorder._fit_token = token
            recorder._attach()
            cls._active[id(model)] = recorder
            if retrace:
                model.make_train_function(force=True)
        recorder._subscribers.append(subscriber)
        return recorder

    def release(self, subscriber: object) -> None:
        """``subscriber`` leaves; the last one out restores the model's own attributes."""
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)
        if not self._subscribers:
            self._detach()

    def _attach(self) -> None:
        model = self.model

        def wrap(original: Any) -> Any:
            def compute_loss(*args: Any, **kwargs: Any) -> Any:
                names = ("x", "y", "y_pred", "sample_weight", "training")
                bound = dict(zip(names, args)) | kwargs
                if bound.get("training", True):
                    self._commit(bound.get("x"), bound.get("y"), bound.get("y_pred"))
                else:
                    self._stash.clear()
                return original(*args, **kwargs)

            return compute_loss

        self._undo.append(keras_internals.wrap_compute_loss(model, wrap))
        for index in self.saturating:
            self._wrap_activation(model.layers[index], index)

    def _wrap_activation(self, layer: keras.layers.Layer, index: int) -> None:
        original = layer.activation
        stash = self._stash

        @functools.wraps(original)
        def activation(x: Any, *args: Any, **kwargs: Any) -> Any:
            if tf.is_tensor(x) and x.dtype.is_floating:
                hits = tf.reduce_sum(tf.cast(tf.abs(x) >= SATURATION_BOUND, tf.float64))
                stash.append((index, _graph(), hits, tf.cast(tf.size(x), tf.float64)))
            return original(x, *args, **kwargs)

        object.__setattr__(layer, "activation", activation)
        self._undo.append(lambda: object.__setattr__(layer, "activation", original))

    def _detach(self) -> None:
        for restore in reversed(self._undo):
            restore()
        self._undo.clear()
        self._subscribers.clear()
        if Recorder._active.get(id(self.model)) is self:
            del Recorder._active[id(self.model)]

    # -- in-graph update ------------------------------------------------------------------------

    def _commit(self, x: Any, y: Any, y_pred: Any) -> None:
        xs, ys = _numeric(x), _numeric(y)
        self.x_dtypes = tuple(t.dtype.name for t in xs)
        self.x_shapes = tuple(
            tuple(None if d is None else int(d) for d in t.shape) if t.shape.rank is not None
            else () for t in xs
        )
        graph = _graph()
        mine = [entry for entry in self._stash if entry[1] is graph]
        self._stash.clear()
        values = tf.unstack(tf.convert_to_tensor(self._vector))
        values[_STEPS] = values[_STEPS] + 1.0
        for tensors, (n, lo, hi) in ((xs, (_X_N, _X_MIN, _X_MAX)), (ys, (_Y_N, _Y_MIN, _Y_MAX))):
            for t in tensors:
                f = tf.cast(t, tf.float64)
                ok = tf.math.is_finite(f)  # no boolean_mask: static shapes keep XLA happy
                values[n] += tf.cast(tf.size(f), tf.float64)
                values[lo] = tf.minimum(values[lo], tf.reduce_min(tf.where(ok, f, np.inf)))
                values[hi] = tf.maximum(values[hi], tf.reduce_max(tf.where(ok, f, -np.inf)))
                if n == _X_N:
                    values[_X_NAN] += tf.reduce_sum(tf.cast(tf.math.is_nan(f), tf.float64))
                    values[_X_INF] += tf.reduce_sum(tf.cast(tf.math.is_inf(f), tf.float64))
        if y is not None and y_pred is not None:  # what compute_metrics (and the probe) do next
            keras_internals.build_compile_metrics(self.model, y, y_pred)
        metric = find_accuracy_metric(self.model)
        if metric is not None:
            values[_ACC_N] += 1.0
            values[_ACC_LABELS] += tf.cast(class_labels(metric, y), tf.float64)
        for position, index in enumerate(self.saturating):
            entries = [(hits, total) for i, _, hits, total in mine if i == index]
            if entries:
                values[_FIXED + 2 * position] = tf.add_n([h for h, _ in entries])
                values[_FIXED + 2 * position + 1] = tf.add_n([t for _, t in entries])
        self._vector.assign(tf.stack(values))

    # -- reading --------------------------------------------------------------------------------

    def read(self) -> RecorderState:
        """The current values (one device-to-host copy)."""
        v = self._vector.numpy()

        def bound(value: float) -> float:
            return float(value) if math.isfinite(value) else math.nan

        saturation = {}
        for position, index in enumerate(self.saturating):
            hits, total = v[_FIXED + 2 * position], v[_FIXED + 2 * position + 1]
            if total > 0:
                saturation[index] = float(hits / total)
        return RecorderState(
            steps=int(v[_STEPS]),
            x_count=int(v[_X_N]),
            x_min=bound(v[_X_MIN]),
            x_max=bound(v[_X_MAX]),
            x_nan=int(v[_X_NAN]),
            x_inf=int(v[_X_INF]),
            x_dtypes=self.x_dtypes,
            x_shapes=self.x_shapes,
            y_count=int(v[_Y_N]),
            y_min=bound(v[_Y_MIN]),
            y_max=bound(v[_Y_MAX]),
            saturation=saturation,
            accuracy_batches=int(v[_ACC_N]),
            label_batches=int(v[_ACC_LABELS]),
        )


def _graph() -> Any:
    return tf.compat.v1.get_default_graph()


# -- program-wide clock and the callback base ---------------------------------------------------


class ProgramClock:
    """Iterations and seconds since a detector's first ``fit`` call began (all ``fit`` calls)."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.iteration = 0

    def start(self) -> None:
        if self.started is None:
            self.started = time.perf_counter()

    def wall_s(self) -> float:
        return 0.0 if self.started is None else round(time.perf_counter() - self.started, 6)


class ToolCallback(keras.callbacks.Callback):
    """Keeps a :class:`ProgramClock`, the epoch and the batch; subclasses add the checks.

    ``self.epoch`` is the 0-based epoch of this ``fit`` call and ``self.batch`` the 0-based
    batch of the latest ``on_train_batch_end``. With ``steps_per_execution > 1`` Keras reports
    several steps at once; the clock advances by all of them.
    """

    def __init__(self, clock: ProgramClock) -> None:
        super().__init__()
        self.clock = clock
        self.epoch = 0
        self.batch: int | None = None
        self._epoch_steps = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.clock.start()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch
        self.batch = None
        self._epoch_steps = 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.clock.iteration += max(1, batch + 1 - self._epoch_steps)
        self._epoch_steps = batch + 1
        self.batch = batch

    def planned_epochs(self) -> int:
        return int((self.params or {}).get("epochs") or 1)


def acquire_probe(model: keras.Model, subscriber: object) -> tuple[Probe | None, str | None]:
    """DeepLocalize's probe for this ``fit`` call, or ``(None, reason)`` when it cannot attach."""
    try:
        return Probe.acquire(model, subscriber), None
    except UnsupportedModelError as exc:
        return None, str(exc)
