"""Capture of layer tensors while the instrumented forward pass is traced.

While :mod:`localizer.step` traces the forward pass, every entry of ``model.layers`` has its
``call`` replaced by a wrapper (an instance attribute, removed right after) that records the
float tensors the layer returns and ``tape.watch``-es them. For ``fused`` layers (those whose
``call`` ends with ``self.activation(x)``) the ``activation`` attribute is wrapped too, so the
tensor handed to the activation is recorded: the real pre-activation of the same forward pass.
For activation layers the pre-activation is the layer's input.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import keras
import tensorflow as tf

from localizer.model_facts import LayerInfo


def floats(structure: Any) -> list[tf.Tensor]:
    """The floating-point tensors of a (nested) structure, in flattening order."""
    return [
        t for t in keras.tree.flatten(structure) if tf.is_tensor(t) and t.dtype.is_floating
    ]


def dense(value: Any) -> Any:
    """``value`` as a dense tensor (``IndexedSlices``, e.g. Embedding gradients, are summed)."""
    if isinstance(value, tf.IndexedSlices):  # densify without TF's warning
        return tf.math.unsorted_segment_sum(value.values, value.indices, value.dense_shape[0])
    return value


class Capture:
    """Wraps layer ``call``s (and fused activations) while the forward pass is traced.

    Args:
        layers: ``(layer, info)`` for every entry of ``model.layers``.

    Attributes:
        pre: Layer index -> the pre-activation tensors recorded for it.
        out: Layer index -> the output tensors recorded (and watched) for it.
        inp: Layer index -> the input tensors recorded (and watched) for the layers without
            trainable weights; filled only when ``watch_inputs`` is set.
        watch_inputs: Whether to record the inputs of the layers without trainable weights.
    """

    def __init__(self, layers: Sequence[tuple[keras.layers.Layer, LayerInfo]]) -> None:
        self.layers = layers
        self.pre: dict[int, list[tf.Tensor]] = {info.index: [] for _, info in layers}
        self.out: dict[int, list[tf.Tensor]] = {info.index: [] for _, info in layers}
        self.inp: dict[int, list[tf.Tensor]] = {info.index: [] for _, info in layers}
        self.watch_inputs = False
        # The graph of the step being traced (None when running eagerly). Calls in any other
        # graph are not recorded: Keras builds unbuilt layers by tracing them in a scratch graph,
        # and tensors of control-flow branches cannot be used outside them.
        self.graph = None if tf.executing_eagerly() else tf.compat.v1.get_default_graph()

    def _here(self) -> bool:
        return self.graph is None or tf.compat.v1.get_default_graph() is self.graph

    @contextmanager
    def installed(self, tape: tf.GradientTape) -> Iterator[Capture]:
        """Wrap every layer for the duration of the ``with`` block, then restore them all."""
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
            inputs = floats(args[0] if args else kwargs.get("inputs"))
            if is_activation:
                pre.extend(inputs)
            if watch_input:
                for t in inputs:
                    tape.watch(t)
                    inp.append(t)
            outputs = original(*args, **kwargs)
            for t in floats(outputs):
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
        """The extra gradient sources, layer by layer: recorded outputs and/or inputs.

        With ``inputs``, the outputs of the layers whose inputs were recorded are sources too:
        the gradient arriving at such a layer scales the zero test of the one it passes back.
        """
        found: list[tf.Tensor] = []
        for _, info in self.layers:
            if outputs or (inputs and self.inp[info.index]):
                found += self.out[info.index]
            if inputs:
                found += self.inp[info.index]
        return found
