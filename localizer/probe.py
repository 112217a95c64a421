"""The probe: per-layer summaries taken from the very training step the optimizer runs.

How it works (Keras 3.15, TensorFlow backend; mirrors ``keras/src/backend/tensorflow/trainer.py``)
------------------------------------------------------------------------------------------------
``Model.fit`` builds ``model.train_function`` *before* it calls ``on_train_begin``. In
``on_train_begin`` :meth:`Probe.attach` sets an instance attribute ``model.train_step`` (our
:meth:`Probe._train_step`) and calls ``model.make_train_function(force=True)``; Keras compiles
that step exactly as it would its own (``tf.function``, ``steps_per_execution`` loop, data
iterator). ``on_train_end`` (:meth:`Probe.detach`) deletes the attribute and puts the original
``train_function`` back, so the next ``fit`` without DeepLocalize runs Keras' own step.

The instrumented step is Keras' TF ``train_step`` line for line (unpack ``(x, y, sample_weight)``,
forward pass under a ``GradientTape``, ``model._compute_loss``, loss tracker update,
``optimizer.scale_loss``, ``apply_gradients``, ``compute_metrics``), plus:

- **Layer outputs.** While the forward pass is traced, every layer in ``model.layers`` has its
  ``call`` temporarily replaced by a wrapper (an instance attribute, removed right after) that
  records the float tensors the layer returns and ``tape.watch``-es them.
- **Pre-activations.** For layers whose ``call`` ends with ``self.activation(x)`` (Dense,
  EinsumDense, the Conv/ConvTranspose/SeparableConv/DepthwiseConv family, not subclasses that
  override ``call``) the ``activation`` attribute is wrapped too, so the tensor handed to the
  activation is recorded: the real pre-activation of the same forward pass, with no second call.
  For activation layers (``Activation``, ``ReLU``, ``Softmax``, ...) the pre-activation is the
  layer's input. Other layers have no separable activation: their output is the only forward
  quantity.
- **Gradients.** ONE ``tape.gradient`` call returns the gradients w.r.t. the trainable weights
  (these go to the optimizer, as in Keras) and w.r.t. the recorded layer outputs.
- **Updates.** Every trainable variable is read before ``apply_gradients`` and after it; the
  difference is the update the optimizer really applied (Δweights).
- **Batch accuracy.** The ``total``/``count`` variables of the model's accuracy metric are read
  before and after ``compute_metrics``; Δtotal/Δcount is this batch's accuracy. It counts only
  when the batch's targets are class labels (0/1 for binary and categorical accuracy, integers
  for the others): Keras gives a regression compiled with ``metrics=["accuracy"]`` a
  ``BinaryAccuracy`` that is 0 on continuous targets, which is no statement about the model.
  The batch loss is the loss tensor the gradients came from (not Keras' running mean).

Each quantity is reduced inside the compiled step to the 8 numbers of :data:`rules.STATS`, and
all of them are written into ONE preallocated ``tf.Variable`` row (a ring of
``steps_per_execution`` rows tagged with a step counter), so a single small vector crosses to
Python per batch. The instrumented step always runs without XLA (``jit_compile`` is switched
off while it is built and restored afterwards); Keras only enables XLA by default on GPUs.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from localizer.rules import N_STATS
from localizer.summaries import SummaryTable, scalar_row

# Slot quantities. ``OUTPUT`` is a layer's returned value (after its activation, if it has one).
INPUTS = "inputs"
LOSS = "loss"
ACCURACY = "accuracy"
PRE = "pre_activation"
OUTPUT = "output"
OUTPUT_GRADIENTS = "output_gradients"
#: The gradient of the loss w.r.t. a layer's input: what flows back *through* the layer
#: (Algorithm 1's ``V3 = Layer[L].Backward(dy)``). Recorded for layers without trainable weights.
INPUT_GRADIENTS = "input_gradients"
WEIGHTS = "weights"
DELTA_WEIGHTS = "delta_weights"
WEIGHT_GRADIENTS = "weight_gradients"
#: Every quantity the probe can summarise, in slot order within a layer.
QUANTITIES = (
    INPUTS,
    LOSS,
    ACCURACY,
    PRE,
    OUTPUT,
    OUTPUT_GRADIENTS,
    INPUT_GRADIENTS,
    WEIGHTS,
    DELTA_WEIGHTS,
    WEIGHT_GRADIENTS,
)

#: Layers whose ``call`` applies ``self.activation`` last, so the pre-activation can be tapped.
_FUSED_CLASSES: tuple[type, ...] = (
    keras.layers.Dense,
    keras.layers.EinsumDense,
    keras.layers.Conv1D,
    keras.layers.Conv2D,
    keras.layers.Conv3D,
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
    keras.layers.SeparableConv1D,
    keras.layers.SeparableConv2D,
    keras.layers.DepthwiseConv1D,
    keras.layers.DepthwiseConv2D,
)
_FUSED_CALLS = frozenset(cls.call for cls in _FUSED_CLASSES)
_ACTIVATION_LAYERS: dict[type, str] = {
    keras.layers.ReLU: "relu",
    keras.layers.LeakyReLU: "leaky_relu",
    keras.layers.Softmax: "softmax",
    keras.layers.ELU: "elu",
    keras.layers.PReLU: "prelu",
}
_ACCURACY_METRICS: tuple[type, ...] = (
    keras.metrics.Accuracy,
    keras.metrics.BinaryAccuracy,
    keras.metrics.CategoricalAccuracy,
    keras.metrics.SparseCategoricalAccuracy,
)


class UnsupportedModelError(RuntimeError):
    """Raised when DeepLocalize cannot instrument a model's training step; names the reason."""


@dataclass(frozen=True)
class LayerInfo:
    """What DeepLocalize knows about one entry of ``model.layers``.

    Attributes:
        index: 0-based index into ``model.layers``.
        name: ``layer.name``.
        cls: ``type(layer).__name__``.
        kind: ``fused`` (activation applied at the end of ``call``: pre-activation tapped),
            ``activation`` (an activation layer: pre-activation = its input), ``internal``
            (an activation inside the layer, e.g. LSTM: output only, after activation) or
            ``plain`` (no activation: output only, which is the pre-activation value).
        activation: Name of the activation function, ``None`` for ``plain`` layers.
        units: Size of the last output axis when known.
        has_weights: Whether the layer has trainable variables (a frozen layer has none); a
            layer without them has its input gradient checked in the backward pass instead.
    """

    index: int
    name: str
    cls: str
    kind: str
    activation: str | None
    units: int | None
    has_weights: bool = True

    @property
    def has_pre(self) -> bool:
        """Whether the pre-activation is a separate slot."""
        return self.kind in ("fused", "activation")

    @property
    def has_activation(self) -> bool:
        """Whether the layer's output is an activation's output."""
        return self.kind != "plain"


@dataclass(frozen=True)
class Slot:
    """One summarised quantity: what it is and which layer it belongs to (``None``: model)."""

    quantity: str
    layer: int | None = None


def _activation_name(fn: Any) -> str | None:
    if fn is None:
        return None
    return getattr(fn, "__name__", None) or type(fn).__name__.lower()


def _units(layer: keras.layers.Layer) -> int | None:
    for attr in ("units", "filters"):
        value = getattr(layer, attr, None)
        if isinstance(value, int):
            return value
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError, RuntimeError):
        return None
    last = shape[-1] if shape else None
    return int(last) if isinstance(last, int) else None


def describe_layer(index: int, layer: keras.layers.Layer) -> LayerInfo:
    """Classify one layer (see :class:`LayerInfo`)."""
    act = getattr(layer, "activation", None)
    name = _activation_name(act) if callable(act) else None
    if type(layer).call in _FUSED_CALLS and callable(act):
        kind = "plain" if name == "linear" else "fused"
    elif isinstance(layer, keras.layers.Activation):
        kind = "activation"
    elif type(layer) in _ACTIVATION_LAYERS:
        kind, name = "activation", _ACTIVATION_LAYERS[type(layer)]
    elif callable(act) and name != "linear":
        kind = "internal"
    else:
        kind, name = "plain", None
    return LayerInfo(
        index=index,
        name=layer.name,
        cls=type(layer).__name__,
        kind=kind,
        activation=name if kind != "plain" else None,
        units=_units(layer),
        has_weights=bool(layer.trainable_weights),
    )


def check_supported(model: keras.Model) -> None:
    """Raise :class:`UnsupportedModelError` naming what cannot be instrumented."""
    from keras.src.backend.tensorflow.trainer import TensorFlowTrainer

    if keras.backend.backend() != "tensorflow":
        raise UnsupportedModelError(
            f"DeepLocalize needs the TensorFlow backend of Keras, got {keras.backend.backend()!r}"
        )
    cls = type(model)
    if getattr(cls, "train_step", None) is not TensorFlowTrainer.train_step:
        raise UnsupportedModelError(
            f"{cls.__name__} overrides train_step(); DeepLocalize instruments Keras' own "
            "training step and cannot see inside a custom one"
        )
    if "train_step" in vars(model):
        raise UnsupportedModelError(
            f"model {model.name!r} already has an instance-level train_step (another tool "
            "instrumenting it?); DeepLocalize cannot instrument it a second time"
        )
    if model.optimizer is None:
        raise UnsupportedModelError(f"model {model.name!r} has no optimizer; compile() it first")
    if getattr(model.optimizer, "gradient_accumulation_steps", None):
        raise UnsupportedModelError(
            "optimizer gradient_accumulation_steps is not supported: the weights do not change "
            "on most batches, which DeepLocalize would report as a fault"
        )
    strategy = model.distribute_strategy
    if strategy.num_replicas_in_sync > 1:
        raise UnsupportedModelError(
            f"distributed training over {strategy.num_replicas_in_sync} replicas is not supported"
        )
    if not model.layers:
        raise UnsupportedModelError(f"model {model.name!r} has no layers")
    for layer in model.layers:
        if getattr(layer, "quantization_mode", None) is not None:
            raise UnsupportedModelError(
                f"layer {layer.name!r} is quantized ({layer.quantization_mode}); quantized "
                "layers are not supported"
            )


def find_accuracy_metric(model: keras.Model) -> keras.metrics.Metric | None:
    """The first accuracy metric among the model's compiled metrics, if any."""
    stack = list(model.metrics)
    while stack:
        metric = stack.pop(0)
        if isinstance(metric, _ACCURACY_METRICS):
            return metric
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)):
            stack[:0] = list(inner)
    return None


def class_labels(metric: keras.metrics.Metric, y: Any) -> tf.Tensor:
    """Whether the batch's targets are class labels for ``metric``: 0/1 (one-hot or binary)
    for ``BinaryAccuracy`` and ``CategoricalAccuracy``, integers for the others."""
    targets = [t for t in keras.tree.flatten(y) if tf.is_tensor(t)]
    if not targets:
        return tf.constant(True)
    t = tf.cast(targets[0], tf.float32)
    if isinstance(metric, (keras.metrics.BinaryAccuracy, keras.metrics.CategoricalAccuracy)):
        return tf.reduce_all((t == 0.0) | (t == 1.0))
    return tf.reduce_all(t == tf.round(t))


def _floats(structure: Any) -> list[tf.Tensor]:
    return [
        t for t in keras.tree.flatten(structure) if tf.is_tensor(t) and t.dtype.is_floating
    ]


def _dense(value: Any) -> Any:
    if isinstance(value, tf.IndexedSlices):  # e.g. Embedding gradients: densify without warning
        return tf.math.unsorted_segment_sum(value.values, value.indices, value.dense_shape[0])
    return value


class _Capture:
    """Wraps layer ``call``s (and fused activations) while the forward pass is traced."""

    def __init__(self, layers: Sequence[tuple[keras.layers.Layer, LayerInfo]]) -> None:
        self.layers = layers
        self.pre: dict[int, list[tf.Tensor]] = {info.index: [] for _, info in layers}
        self.out: dict[int, list[tf.Tensor]] = {info.index: [] for _, info in layers}
        #: Inputs of the layers without trainable weights (their input gradient is checked);
        #: filled only when ``watch_inputs`` is set.
        self.inp: dict[int, list[tf.Tensor]] = {info.index: [] for _, info in layers}
        self.watch_inputs = False
        # The graph of the step being traced (None when running eagerly). Calls in any other
        # graph are not recorded: Keras builds unbuilt layers by tracing them in a scratch graph,
        # and tensors of control-flow branches cannot be used outside them.
        self.graph = None if tf.executing_eagerly() else tf.compat.v1.get_default_graph()

    def _here(self) -> bool:
        return self.graph is None or tf.compat.v1.get_default_graph() is self.graph

    @contextmanager
    def installed(self, tape: tf.GradientTape) -> Iterator[_Capture]:
        undo: list[Any] = []
        try:
            for layer, info in self.layers:
                self._wrap_call(layer, info, tape, undo)
                if info.kind == "fused":
                    self._wrap_activation(layer, info, undo)
            yield self
        finally:
            for restore in reversed(undo):
                restore()

    def _wrap_call(self, layer: Any, info: LayerInfo, tape: tf.GradientTape, undo: list) -> None:
        had_own = "call" in vars(layer)
        own = vars(layer).get("call")
        original = layer.call
        pre, out, inp = self.pre[info.index], self.out[info.index], self.inp[info.index]
        is_activation = info.kind == "activation"
        watch_input = self.watch_inputs and not info.has_weights

        def call(*args: Any, **kwargs: Any) -> Any:
            if not self._here():
                return original(*args, **kwargs)
            inputs = _floats(args[0] if args else kwargs.get("inputs"))
            if is_activation:
                pre.extend(inputs)
            if watch_input:
                for t in inputs:
                    tape.watch(t)
                    inp.append(t)
            outputs = original(*args, **kwargs)
            for t in _floats(outputs):
                tape.watch(t)
                out.append(t)
            return outputs

        object.__setattr__(layer, "call", call)
        if had_own:
            undo.append(lambda: object.__setattr__(layer, "call", own))
        else:
            undo.append(lambda: object.__delattr__(layer, "call"))

    def _wrap_activation(self, layer: Any, info: LayerInfo, undo: list) -> None:
        original = layer.activation
        pre = self.pre[info.index]

        def activation(x: Any) -> Any:
            if self._here():
                pre.append(x)
            return original(x)

        object.__setattr__(layer, "activation", activation)
        undo.append(lambda: object.__setattr__(layer, "activation", original))

    def sources(self, outputs: bool, inputs: bool) -> list[tf.Tensor]:
        """The extra gradient sources, layer by layer: recorded outputs and/or inputs."""
        found: list[tf.Tensor] = []
        for _, info in self.layers:
            if outputs:
                found += self.out[info.index]
            if inputs:
                found += self.inp[info.index]
        return found


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
        slots = [Slot(INPUTS), Slot(LOSS), Slot(ACCURACY)]
        for info in self.layers:
            if info.has_pre:
                slots.append(Slot(PRE, info.index))
            slots += [
                Slot(q, info.index)
                for q in (
                    OUTPUT, OUTPUT_GRADIENTS, INPUT_GRADIENTS, WEIGHTS, DELTA_WEIGHTS,
                    WEIGHT_GRADIENTS,
                )
            ]
        self.slots = tuple(slots)
        self.index = {slot: i for i, slot in enumerate(self.slots)}
        #: The accuracy metric whose batch value is recorded; known once the step was traced.
        self.accuracy_metric: keras.metrics.Metric | None = None
        #: The quantities summarised (the union of what the subscribers asked for).
        self.quantities: frozenset[str] = frozenset({LOSS, ACCURACY})
        self._traced = False
        self._subscribers: list[object] = []
        self._fit_token: object = None
        self._saved_function: Any = None
        self._buffer: tf.Variable | None = None
        self._counter: tf.Variable | None = None
        self._calls = 0
        self._wrapper: Any = None
        self._cache_calls = -1
        self._cache: np.ndarray | None = None

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
        if probe is None:
            probe = cls(model)
            probe._fit_token = token
            probe._attach()
            cls._active[id(model)] = probe
        probe._subscribers.append(subscriber)
        needed = frozenset(quantities) | {LOSS, ACCURACY}
        unknown = needed - set(QUANTITIES)
        if unknown:
            raise ValueError(f"unknown quantities {sorted(unknown)}; known: {list(QUANTITIES)}")
        if not needed <= probe.quantities:
            probe.quantities = probe.quantities | needed
            if probe._traced:  # a late subscriber needs more: build the step again
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
        rows = max(1, int(getattr(model, "steps_per_execution", 1) or 1))
        width = 1 + len(self.slots) * N_STATS
        self._buffer = tf.Variable(tf.zeros([rows, width], tf.float64), trainable=False)
        self._counter = tf.Variable(tf.constant(0, tf.int64), trainable=False)
        self._saved_function = model.train_function
        object.__setattr__(model, "train_step", self._train_step)
        try:
            self._rebuild()
        except BaseException:
            object.__delattr__(model, "train_step")
            model.train_function = self._saved_function
            raise

    def _rebuild(self) -> None:
        """Compile the instrumented step again (the set of quantities changed)."""
        model = self.model
        jit = model.jit_compile
        try:
            model.jit_compile = False
            model.make_train_function(force=True)
        finally:
            model.jit_compile = jit
        compiled = model.train_function

        def train_function(iterator: Any) -> Any:
            self._calls += 1
            return compiled(iterator)

        model.train_function = self._wrapper = train_function
        self._traced = False

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

    def _layer_variables(self, variables: Sequence[Any]) -> dict[int, list[int]]:
        """Layer index -> positions in ``variables`` of that layer's trainable variables."""
        owner: dict[int, int] = {}
        for layer, info in self._wrapped:
            for v in layer.trainable_weights:
                owner.setdefault(id(v), info.index)
        result: dict[int, list[int]] = {info.index: [] for info in self.layers}
        for k, v in enumerate(variables):
            if id(v) in owner:
                result[owner[id(v)]].append(k)
        return result

    # -- the instrumented step --------------------------------------------------------------------

    def _train_step(self, data: Any) -> Any:
        self._traced = True
        model = self.model
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        want = self.quantities
        capture = _Capture(self._wrapped)
        capture.watch_inputs = INPUT_GRADIENTS in want
        with tf.GradientTape() as tape:
            with capture.installed(tape):
                if model._call_has_training_arg:
                    y_pred = model(x, training=True)
                else:
                    y_pred = model(x)
            loss = model._compute_loss(
                x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True
            )
            # One replica only (checked), so Keras' unscale_loss_for_distribution is the identity.
            model._loss_tracker.update_state(
                loss,
                sample_weight=tf.shape(next(i for i in keras.tree.flatten(x) if i is not None))[0],
            )
            batch_loss = loss
            if model.optimizer is not None:
                loss = model.optimizer.scale_loss(loss)

        variables = list(model.trainable_weights)  # the model is built by now
        layer_vars = self._layer_variables(variables)
        sources = capture.sources(OUTPUT_GRADIENTS in want, INPUT_GRADIENTS in want)
        track = bool(want & {WEIGHTS, DELTA_WEIGHTS})
        if variables:
            before = [v.value.value() for v in variables] if DELTA_WEIGHTS in want else []
            gradients = tape.gradient(loss, variables + sources)
            weight_grads, output_grads = gradients[: len(variables)], gradients[len(variables) :]
            model.optimizer.apply_gradients(zip(weight_grads, variables))
            after = [v.value.value() for v in variables] if track else []
        else:
            warnings.warn("The model does not have any trainable weights.", stacklevel=2)
            output_grads = tape.gradient(loss, sources) if sources else []
            before, after, weight_grads = [], [], []

        compiled = getattr(model, "_compile_metrics", None)
        if compiled is not None and not compiled.built:
            compiled.build(y, y_pred)  # what compute_metrics does first; we need the variables
        acc = self.accuracy_metric = find_accuracy_metric(model)
        if acc is not None:
            total0, count0 = acc.total.value.value(), acc.count.value.value()
        logs = model.compute_metrics(x, y, y_pred, sample_weight=sample_weight)
        if acc is not None:
            d_count = acc.count.value.value() - count0
            d_total = acc.total.value.value() - total0
            # Not a classification accuracy (e.g. BinaryAccuracy of a regression on continuous
            # targets, 0 in every batch): recorded as not measured (n = 0).
            d_count = d_count * tf.cast(class_labels(acc, y), d_count.dtype)
            acc_row = scalar_row(d_total / tf.maximum(d_count, 1e-12), d_count)
        else:
            acc_row = tf.zeros([N_STATS], tf.float64)

        grads_by_source: dict[int, Any] = {id(t): g for t, g in zip(sources, output_grads)}
        table = SummaryTable(len(self.slots))
        index = self.index
        if INPUTS in want:
            table.add(index[Slot(INPUTS)], _floats(x))
        table.set_row(index[Slot(LOSS)], scalar_row(batch_loss, 1))
        table.set_row(index[Slot(ACCURACY)], acc_row)
        for info in self.layers:
            i = info.index
            forward: list[tuple[int, list[Any]]] = []
            if PRE in want and info.has_pre:
                forward.append((index[Slot(PRE, i)], capture.pre[i]))
            if OUTPUT in want:
                forward.append((index[Slot(OUTPUT, i)], capture.out[i]))
            if OUTPUT_GRADIENTS in want:
                grads = [grads_by_source.get(id(t)) for t in capture.out[i]]
                forward.append((index[Slot(OUTPUT_GRADIENTS, i)], grads))
            if INPUT_GRADIENTS in want and capture.inp[i]:
                grads = [grads_by_source.get(id(t)) for t in capture.inp[i]]
                table.add(index[Slot(INPUT_GRADIENTS, i)], grads)
            if forward and all(len(tensors) == 1 for _, tensors in forward):
                table.add_family([slot for slot, _ in forward], [t[0] for _, t in forward])
            else:  # several calls or outputs: summarise each tensor on its own
                for slot, tensors in forward:
                    table.add(slot, tensors)
            backward = [q for q in (WEIGHTS, DELTA_WEIGHTS, WEIGHT_GRADIENTS) if q in want]
            weight_slots = [index[Slot(q, i)] for q in backward]
            for k in layer_vars[i]:
                values = {
                    WEIGHTS: lambda k=k: after[k],
                    DELTA_WEIGHTS: lambda k=k: after[k] - before[k],
                    WEIGHT_GRADIENTS: lambda k=k: _dense(weight_grads[k]),
                }
                table.add_family(weight_slots, [values[q]() for q in backward])
        table = table.build()
        step = self._counter.assign_add(1)
        row = tf.concat([tf.cast(tf.reshape(step, [1]), tf.float64), tf.reshape(table, [-1])], 0)
        slot_index = tf.math.floormod(step - 1, tf.shape(self._buffer, out_type=tf.int64)[0])
        self._buffer.scatter_nd_update(tf.reshape(slot_index, [1, 1]), tf.reshape(row, [1, -1]))
        return logs
