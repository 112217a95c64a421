"""The quantities the probe can summarise, and :class:`Slot`: one quantity of one layer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from localizer.model_facts import LayerInfo

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
#: Backward-pass quantities.
BACKWARD = (WEIGHTS, DELTA_WEIGHTS, WEIGHT_GRADIENTS, OUTPUT_GRADIENTS, INPUT_GRADIENTS)


@dataclass(frozen=True)
class Slot:
    """One summarised quantity: what it is and which layer it belongs to (``None``: model)."""

    quantity: str
    layer: int | None = None


def slot_layout(layers: Sequence[LayerInfo]) -> tuple[Slot, ...]:
    """Every slot of a model, in table order: the model's inputs, loss and accuracy, then per
    layer its pre-activation (when separate) and the layer quantities."""
    slots = [Slot(INPUTS), Slot(LOSS), Slot(ACCURACY)]
    for info in layers:
        if info.has_pre:
            slots.append(Slot(PRE, info.index))
        slots += [
            Slot(q, info.index)
            for q in (
                OUTPUT, OUTPUT_GRADIENTS, INPUT_GRADIENTS, WEIGHTS, DELTA_WEIGHTS, WEIGHT_GRADIENTS,
            )
        ]
    return tuple(slots)
