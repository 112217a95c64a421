"""The mutant suite: healthy programs with one fault injected by an operator (issue #13).

:mod:`.source` maps a program's model, compile and fit calls; :mod:`.operators` and
:mod:`.data_ops` hold the operators (:data:`OPERATORS`, in a fixed order); :mod:`.parents` finds
the healthy programs; :mod:`.generate` writes each mutant as an ordinary case under
``mutants/``; :mod:`.kill` decides, over seeds, whether a mutant differs from its parent.
"""

from __future__ import annotations

from harness.mutants import data_ops
from harness.mutants import operators as ops
from harness.mutants.operators import Mutation, Operator


def _operator(fn, family: str) -> Operator:
    return Operator(fn.__name__, family, fn, (fn.__doc__ or "").strip().splitlines()[0])


#: Every operator, in the order mutants are generated. Families after DeepCrime.
OPERATORS: tuple[Operator, ...] = (
    _operator(ops.learning_rate, "hyperparameters"),
    _operator(ops.epochs, "hyperparameters"),
    _operator(ops.batch_size, "hyperparameters"),
    _operator(ops.change_optimizer, "optimiser"),
    _operator(ops.gradient_clipping, "optimiser"),
    _operator(ops.swap_loss, "loss"),
    _operator(ops.change_activation, "activations"),
    _operator(ops.remove_activation, "activations"),
    _operator(ops.softmax_one_unit, "activations"),
    _operator(ops.initialisation, "weights"),
    _operator(ops.dead_relu_bias, "weights"),
    _operator(ops.freeze_layer, "weights"),
    _operator(ops.regularisation, "regularisation"),
    _operator(data_ops.unscaled_inputs, "training data"),
    _operator(data_ops.nan_inputs, "training data"),
    _operator(data_ops.label_noise, "training data"),
)

__all__ = ["OPERATORS", "Mutation", "Operator"]
