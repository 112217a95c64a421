"""What DeepLocalize knows about a compiled model: its layers, loss, learning rate and accuracy.

Read off the model's state (nothing here runs in the training step except :func:`class_labels`):
:func:`describe_layer` classifies each entry of ``model.layers`` (:class:`LayerInfo`),
:func:`check_supported` refuses models the probe cannot instrument, :func:`loss_info` and
:func:`learning_rate` are the one reading of the compiled loss and the optimizer's learning rate
that DeepLocalize's hints and the re-implemented tools share (:mod:`baselines.model_info`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from localizer import keras_internals

#: Activations that output exactly 0 for negative inputs (or saturate towards a constant there):
#: an all-zero output of such a layer means dead units.
RELU_LIKE = frozenset({"relu", "relu6", "elu", "selu", "silu", "gelu", "hard_silu", "celu"})

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
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


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
    if keras.backend.backend() != "tensorflow":
        raise UnsupportedModelError(
            f"DeepLocalize needs the TensorFlow backend of Keras, got {keras.backend.backend()!r}"
        )
    if not keras_internals.uses_keras_train_step(model):
        raise UnsupportedModelError(
            f"{type(model).__name__} overrides train_step(); DeepLocalize instruments Keras' own "
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


def loss_info(model: keras.Model) -> tuple[str | None, bool]:
    """The compiled loss' canonical name (``mean_squared_error``, ...) and its ``from_logits``.

    Best effort for the first output; strings and functions resolve through ``keras.losses``
    (``"mse"`` -> ``mean_squared_error``), the name is lower case.
    """
    loss = getattr(model, "loss", None)
    if isinstance(loss, dict):
        loss = next(iter(loss.values()), None)
    if isinstance(loss, (list, tuple)):
        loss = loss[0] if loss else None
    if loss is None:
        return None, False
    if isinstance(loss, str):
        try:
            resolved = keras.losses.get(loss)
        except (ValueError, TypeError):
            return loss.lower(), False
        loss = resolved
    if isinstance(loss, keras.losses.Loss):
        name = getattr(loss, "name", None) or _CAMEL.sub("_", type(loss).__name__).lower()
    else:
        name = getattr(loss, "__name__", None) or type(loss).__name__
    kwargs = keras_internals.loss_fn_kwargs(loss)
    from_logits = bool(getattr(loss, "from_logits", False) or kwargs.get("from_logits", False))
    return str(name).lower(), from_logits


def optimizer_steps(model: keras.Model) -> int | None:
    """How many steps the model's optimizer has taken (``None`` when unknown)."""
    optimizer = getattr(model, "optimizer", None)
    try:
        return int(np.asarray(keras.ops.convert_to_numpy(optimizer.iterations)))
    except (AttributeError, TypeError, ValueError):
        return None


def learning_rate(model: keras.Model) -> float | None:
    """The optimizer's current learning rate (schedules evaluated at the current step);
    ``None`` when there is no optimizer or it cannot be read."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    try:
        return float(np.asarray(keras.ops.convert_to_numpy(optimizer.learning_rate)))
    except (AttributeError, TypeError, ValueError):
        return None
