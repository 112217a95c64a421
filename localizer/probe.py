"""The probe: per-layer summaries taken from the very training step the optimizer runs.

How it works (Keras 3.15, TensorFlow backend; mirrors ``keras/src/backend/tensorflow/trainer.py``)
------------------------------------------------------------------------------------------------
``Model.fit`` builds ``model.train_function`` *before* it calls ``on_train_begin``. In
``on_train_begin`` :meth:`Probe.acquire` sets an instance attribute ``model.train_step`` (the
instrumented step of :mod:`localizer.step`) and calls ``model.make_train_function(force=True)``;
Keras compiles that step exactly as it would its own (``tf.function``, ``steps_per_execution``
loop, data iterator). When the last subscriber leaves (:meth:`Probe.release`) the attribute is
deleted and the original ``train_function`` put back, so the next ``fit`` without DeepLocalize
runs Keras' own step. The compiled instrumented function stays on the model (:class:`_Compiled`):
the next ``fit`` with DeepLocalize reuses it without tracing, as Keras reuses its own.

The pieces: :mod:`localizer.capture` records the layer tensors while the forward pass is traced,
:mod:`localizer.step` is the step itself (Keras' ``train_step`` line for line plus the
summaries), :mod:`localizer.model_facts` classifies the layers and refuses what cannot be
instrumented, :mod:`localizer.slots` names the summarised quantities. Here: one probe per model
and ``fit`` call, shared by every subscriber, and the ring buffer the step writes into.

Each quantity is reduced inside the compiled step to the 8 numbers of :data:`rules.STATS`, and
all of them are written into ONE preallocated ``tf.Variable`` row of a ring of
:data:`RING_CALLS` × ``steps_per_execution`` rows, tagged with a step counter. A subscriber
reads the ring (one small array crossing to Python) at most every :data:`RING_CALLS` calls of the
train function, and checks the batches it holds all at once. The instrumented step always runs
without XLA (``jit_compile`` is switched off while it is built and restored afterwards); Keras
only enables XLA by default on GPUs.

``from localizer.probe import ...`` keeps working for every name that used to live here
(:class:`LayerInfo`, :func:`describe_layer`, :class:`UnsupportedModelError`, the quantities, ...).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from localizer import keras_internals
from localizer import step as instrumented
from localizer.model_facts import (
    LayerInfo,
    UnsupportedModelError,
    check_supported,
    class_labels,
    describe_layer,
    find_accuracy_metric,
)
from localizer.rules import N_STATS
from localizer.slots import (
    ACCURACY,
    DELTA_WEIGHTS,
    INPUT_GRADIENTS,
    INPUTS,
    LOSS,
    OUTPUT,
    OUTPUT_GRADIENTS,
    PRE,
    QUANTITIES,
    WEIGHT_GRADIENTS,
    WEIGHTS,
    Slot,
    slot_layout,
)

__all__ = [
    "ACCURACY", "DELTA_WEIGHTS", "INPUT_GRADIENTS", "INPUTS", "LOSS", "OUTPUT", "OUTPUT_GRADIENTS",
    "PRE", "QUANTITIES", "WEIGHT_GRADIENTS", "WEIGHTS", "LayerInfo", "Probe", "Slot",
    "UnsupportedModelError", "check_supported", "class_labels", "describe_layer",
    "find_accuracy_metric",
]


#: How many calls of the train function the ring holds before a subscriber must read it.
RING_CALLS = 32
#: The model attribute that keeps the instrumented train function between ``fit`` calls.
_KEPT = "_deeplocalize_instrumented"


@dataclass
class _Compiled:
    """An instrumented train function and the ring it writes, kept on the model (a plain
    attribute, outside Keras' tracking) so that its next ``fit`` reuses it without tracing,
    as Keras reuses its own: valid while Keras' function (``compile`` makes a new one), the
    quantities and the ring size stay the same."""

    keras_function: Any
    quantities: frozenset[str]
    rows: int
    function: Any
    buffer: tf.Variable
    counter: tf.Variable
    traced: bool = False


class Probe:
    """Instruments one model's training step; shared by every DeepLocalize callback on it.

    Use :meth:`acquire` / :meth:`release`: the first subscriber attaches the instrumented step,
    the last one to leave restores Keras' own.
    """

    _active: dict[int, Probe] = {}

    def __init__(self, model: keras.Model) -> None:
        check_supported(model)
        self.model = model
        layers = list(model.layers)
        self.layers = tuple(describe_layer(i, layer) for i, layer in enumerate(layers))
        self._wrapped = [(layer, info) for layer, info in zip(layers, self.layers)]
        self.slots = slot_layout(self.layers)
        self.index = {slot: i for i, slot in enumerate(self.slots)}
        #: The accuracy metric whose batch value is recorded; known once the step was traced.
        self.accuracy_metric: keras.metrics.Metric | None = None
        #: The quantities summarised (the union of what the subscribers asked for).
        self.quantities: frozenset[str] = frozenset({LOSS, ACCURACY})
        self._compiled: _Compiled | None = None
        self._subscribers: list[object] = []
        self._fit_token: object = None
        self._saved_function: Any = None
        self._buffer: tf.Variable | None = None
        self._counter: tf.Variable | None = None
        self._calls = 0
        self._wrapper: Any = None
        self._cache_calls = -1
        self._cache: np.ndarray | None = None
        #: Calls of the train function the ring holds (a subscriber reads at least this often).
        self.ring_calls = RING_CALLS

    # -- subscription ---------------------------------------------------------------------------

    @classmethod
    def acquire(
        cls, model: keras.Model, subscriber: object, quantities: Iterable[str] = QUANTITIES
    ) -> Probe:
        """The model's probe for the current ``fit`` call, attached; ``subscriber`` joins it.

        Args:
            model: The model being trained.
            subscriber: Who asks (released again with :meth:`release`).
            quantities: Which quantities the subscriber needs summarised (see
                :data:`QUANTITIES`); the probe summarises the union of all subscribers' needs.
        """
        token = getattr(model, "history", None)
        probe = cls._active.get(id(model))
        if probe is not None and (probe.model is not model or probe._fit_token is not token):
            probe._detach()  # left over from a fit that ended without on_train_end (an error)
            probe = None
        needed = frozenset(quantities) | {LOSS, ACCURACY}
        unknown = needed - set(QUANTITIES)
        if unknown:
            raise ValueError(f"unknown quantities {sorted(unknown)}; known: {list(QUANTITIES)}")
        if probe is None:
            probe = cls(model)
            probe._fit_token = token
            probe.quantities = needed
            probe._attach()
            cls._active[id(model)] = probe
        probe._subscribers.append(subscriber)
        if not needed <= probe.quantities:
            probe.quantities = probe.quantities | needed
            if probe._compiled.traced:  # a late subscriber needs more: build the step again
                probe._rebuild()
        return probe

    def release(self, subscriber: object) -> None:
        """``subscriber`` leaves; the last one out restores Keras' own training step."""
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)
        if not self._subscribers and Probe._active.get(id(self.model)) is self:
            self._detach()

    @property
    def attached(self) -> bool:
        return self._buffer is not None

    def _attach(self) -> None:
        model = self.model
        rows = max(1, int(getattr(model, "steps_per_execution", 1) or 1)) * self.ring_calls
        self._saved_function = model.train_function
        kept = vars(model).get(_KEPT)
        object.__setattr__(model, "train_step", self._train_step)
        if (isinstance(kept, _Compiled) and kept.keras_function is self._saved_function
                and kept.quantities == self.quantities and kept.rows == rows):
            self._compiled = kept  # same step, same summaries: no tracing this time
            self._buffer, self._counter = kept.buffer, kept.counter
            self._wrap(kept.function)
            return
        width = 1 + len(self.slots) * N_STATS
        self._buffer = tf.Variable(tf.zeros([rows, width], tf.float64), trainable=False)
        self._counter = tf.Variable(tf.constant(0, tf.int64), trainable=False)
        try:
            self._rebuild()
        except BaseException:
            object.__delattr__(model, "train_step")
            model.train_function = self._saved_function
            raise

    def _rebuild(self) -> None:
        """Compile the instrumented step (again, when the set of quantities changed) and keep it
        on the model for its next ``fit``."""
        model = self.model
        jit = model.jit_compile
        try:
            model.jit_compile = False
            model.make_train_function(force=True)
        finally:
            model.jit_compile = jit
        rows = int(self._buffer.shape[0])
        self._compiled = _Compiled(self._saved_function, self.quantities, rows,
                                   model.train_function, self._buffer, self._counter)
        object.__setattr__(model, _KEPT, self._compiled)
        self._wrap(model.train_function)

    def _wrap(self, compiled: Any) -> None:
        def train_function(iterator: Any) -> Any:
            if not self._compiled.traced:
                self._build_state(iterator)
            self._calls += 1
            return compiled(iterator)

        self.model.train_function = self._wrapper = train_function

    def _build_state(self, iterator: Any) -> None:
        """Before the first trace, create the optimizer's and the metrics' variables, so that
        ``tf.function`` traces the instrumented step once, not twice
        (:func:`keras_internals.build_training_state`). Where that cannot be done here, they
        are created while the step is traced, as Keras does."""
        spec = getattr(iterator, "element_spec", None)
        if spec is None:
            return
        try:
            keras_internals.build_training_state(self.model, spec)
        except Exception:  # noqa: BLE001 - Keras builds them in the trace instead
            pass

    def _detach(self) -> None:
        model = self.model
        if "train_step" in vars(model):
            object.__delattr__(model, "train_step")
        model.train_function = self._saved_function
        self._saved_function = None
        self._buffer = None
        self._counter = None
        self._subscribers.clear()
        if Probe._active.get(id(model)) is self:
            del Probe._active[id(model)]

    # -- reading --------------------------------------------------------------------------------

    @property
    def step(self) -> int:
        """Training steps run by the instrumented step so far."""
        return int(self._counter.numpy()) if self._counter is not None else 0

    def rows_after(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        """The steps after ``step`` still in the buffer: ``(steps, tables)``, oldest first.

        ``tables`` has shape ``(k, n_slots, len(STATS))``. The buffer is read at most once per
        call of the train function, however many subscribers ask.
        """
        if self._buffer is None:
            return np.zeros(0, np.int64), np.zeros((0, len(self.slots), N_STATS))
        counted = self.model.train_function is self._wrapper  # else someone rebuilt it: no cache
        if not counted or self._cache_calls != self._calls or self._cache is None:
            self._cache = self._buffer.value().numpy()
            self._cache_calls = self._calls
        cache = self._cache
        n_slots = len(self.slots)
        if cache.shape[0] == 1:  # the common case: one step per call
            last = int(cache[0, 0])
            if last <= step:
                return np.zeros(0, np.int64), np.zeros((0, n_slots, N_STATS))
            return np.array([last]), cache[:, 1:].reshape(1, n_slots, N_STATS)
        steps = cache[:, 0].astype(np.int64)
        keep = np.flatnonzero(steps > step)
        keep = keep[np.argsort(steps[keep])]
        return steps[keep], cache[keep, 1:].reshape(len(keep), n_slots, N_STATS)

    # -- the instrumented step --------------------------------------------------------------------

    def _train_step(self, data: Any) -> Any:
        self._compiled.traced = True
        logs, self.accuracy_metric = instrumented.train_step(
            self.model, data, wrapped=self._wrapped, index=self.index, want=self.quantities,
            buffer=self._buffer, counter=self._counter,
        )
        return logs
