"""Root-cause hints for a DeepLocalize finding. HEURISTIC: a guess, not part of the paper.

DeepLocalize itself only says *where* a symptom appeared. The later DeepDiagnosis tool (Wardat et
al., ICSE'22) maps (symptom, stage, layer) to one of seven fixes with a decision tree and three
helper checks: *ImproperData* (training data outside [-1, 1]), *WeightInitialization* (weight
variance outside [1e-5, 10]) and *TuneLearn* (the ratio lr·‖ΔW‖/‖W‖ outside [1e-5, 1e-1]).
:func:`suggest` follows that idea with the numbers DeepLocalize already has: the input batch,
every layer's summaries of this batch and the previous one, and the model's configuration.
The rules, first match wins, are listed in ``docs/localizer.md``.

Hint vocabulary: :data:`HINTS`, a subset of the benchmark's fault categories (``bugs/README.md``;
``tests/localizer/test_hints.py`` checks it), so a hint can be scored as a diagnosis:
``data_preprocessing`` (NaN/Inf/constant inputs), ``input_normalisation``, ``wrong_activation``,
``wrong_loss``, ``learning_rate``, ``initialisation``. ``None`` when no rule applies.
"""

from __future__ import annotations

from dataclasses import dataclass

from localizer.model_facts import RELU_LIKE, LayerInfo
from localizer.slots import BACKWARD

#: Inputs whose largest magnitude exceeds this are "not normalised". DeepDiagnosis uses 1;
#: standardised data routinely reaches |x| of 3-5, so we only flag inputs far outside [-1, 1].
INPUT_RANGE = 10.0
#: ``‖ΔW‖/‖W‖`` above this means the learning rate is too large (DeepDiagnosis' upper bound).
RATIO_HIGH = 1e-1
#: ``‖ΔW‖/‖W‖`` below this means the learning rate is too small (DeepDiagnosis' lower bound).
RATIO_LOW = 1e-5

#: Every hint :func:`suggest` can give; each one is a fault category of the benchmark.
HINTS = (
    "data_preprocessing",
    "input_normalisation",
    "wrong_activation",
    "wrong_loss",
    "learning_rate",
    "initialisation",
    "regularisation",
)
_PROBABILITY = frozenset({"softmax", "sigmoid", "hard_sigmoid", "log_softmax"})
_CROSSENTROPY = ("crossentropy", "cross_entropy", "hinge", "kl_divergence", "poisson")
_REGRESSION = ("squared", "absolute", "huber", "log_cosh", "mse", "mae", "mape", "msle")


@dataclass(frozen=True)
class HintContext:
    """The facts :func:`suggest` looks at.

    Attributes:
        code: The finding's code (``EBA`` ... ``MDL``).
        rule: Which rule fired (:mod:`localizer.rules` names).
        quantity: The slot's quantity (:mod:`localizer.probe` names).
        layer: The layer the finding names, ``None`` for loss/accuracy/MDL.
        first_layer: Whether that layer is the first one that computes anything.
        iteration: 1-based batch count when it fired.
        output_layer: The model's last layer.
        loss_name: Name of the compiled loss (function or class name), when known.
        from_logits: Whether the compiled loss takes logits.
        input_max_abs: Largest |x| in the batch (NaN when unknown).
        input_nonfinite: Whether the batch's inputs contain NaN or Inf.
        input_constant: Whether every input value of the batch is the same.
        update_ratio: Largest ``‖ΔW‖/‖W‖`` over layers in this or the previous batch (NaN if
            unknown).
        max_update_ratio: Largest ``‖ΔW‖/‖W‖`` over layers and batches so far.
        weight_gradient_zero: Whether the layer's weight gradients were all 0 (``None``: unknown).
        zero_since_start: For the zero rule: the mean was 0 in every batch so far.
        dead_relu_layer: Index of a ReLU-like layer whose output is all zeros, if any.
        learning_rate: The optimizer's current learning rate (``None`` if unknown).
    """

    code: str
    rule: str
    quantity: str
    layer: LayerInfo | None = None
    first_layer: bool = False
    iteration: int = 1
    output_layer: LayerInfo | None = None
    loss_name: str | None = None
    from_logits: bool = False
    input_max_abs: float = float("nan")
    input_nonfinite: bool = False
    input_constant: bool = False
    update_ratio: float = float("nan")
    max_update_ratio: float = float("nan")
    weight_gradient_zero: bool | None = None
    zero_since_start: bool = False
    dead_relu_layer: int | None = None
    learning_rate: float | None = None


def output_mismatch(
    output: LayerInfo | None, loss_name: str | None, from_logits: bool
) -> tuple[str, str] | None:
    """A static mismatch of output activation and loss: ``(hint, reason)`` or ``None``."""
    if output is None:
        return None
    act = output.activation or "linear"
    loss = (loss_name or "").lower()
    if act == "softmax" and output.units == 1:
        return "wrong_activation", "the output is a softmax over one unit, which always outputs 1"
    if any(k in loss for k in _CROSSENTROPY) and act not in _PROBABILITY and not from_logits:
        return (
            "wrong_activation",
            f"a cross-entropy loss on a '{act}' output, which is not a probability",
        )
    if any(k in loss for k in _REGRESSION) and act == "softmax":
        return "wrong_activation", "a regression loss on a softmax output"
    return None


def suggest(ctx: HintContext) -> tuple[str | None, str]:
    """A root-cause guess for one finding: ``(hint, reason)``; hint ``None`` when none applies."""
    mismatch = output_mismatch(ctx.output_layer, ctx.loss_name, ctx.from_logits)
    ratio = ctx.update_ratio
    peak = ctx.max_update_ratio
    big_update = peak == peak and peak > RATIO_HIGH
    unscaled = ctx.input_max_abs == ctx.input_max_abs and ctx.input_max_abs > INPUT_RANGE
    backward = ctx.quantity in BACKWARD
    act = ctx.layer.activation if ctx.layer else None

    if ctx.input_nonfinite:
        return "data_preprocessing", "the training inputs contain NaN or Inf values"

    if ctx.code == "MDL" or (ctx.rule == "unchanged" and ctx.quantity in ("loss", "accuracy")):
        if mismatch:
            return mismatch
        if unscaled:
            return "input_normalisation", f"inputs reach |x| = {ctx.input_max_abs:.3g}"
        if big_update:
            return "learning_rate", f"updates changed weights by up to {peak:.3g}× their norm"
        if ratio == ratio and ratio < RATIO_LOW:
            return "learning_rate", f"updates change weights by only {ratio:.3g} of their norm"
        return None, "no heuristic applies"

    if ctx.rule == "numerical_error":
        if big_update:
            return "learning_rate", f"updates changed weights by up to {peak:.3g}× their norm"
        if unscaled:
            return "input_normalisation", f"inputs reach |x| = {ctx.input_max_abs:.3g}"
        if ctx.code == "ELF":
            return (mismatch or ("wrong_loss", "the loss function produced NaN/Inf"))
        if ctx.iteration <= 1 and not backward:
            return "initialisation", "values overflow before any update was applied"
        if backward:
            return "learning_rate", "the backward pass overflowed"
        return "wrong_activation", "the forward pass overflowed"

    if ctx.rule == "init_gain":
        return "initialisation", "the layer's initial weights amplify its input far too much"
    if ctx.rule == "loss_scale":
        if unscaled:
            return "input_normalisation", f"inputs reach |x| = {ctx.input_max_abs:.3g}"
        if big_update:
            return "learning_rate", f"updates changed weights by up to {peak:.3g}× their norm"
        if mismatch:
            return mismatch
        return "regularisation", ("no layer's values are out of range, yet the loss is far above "
                                  "chance: a penalty term swamps the data term")

    if ctx.code == "EAF":  # accuracy exactly 0 too often
        if mismatch:
            return mismatch
        if any(k in (ctx.loss_name or "").lower() for k in _REGRESSION):
            return "wrong_loss", "accuracy is 0 with a regression loss: wrong loss for the task"
        return "wrong_loss", "the batch accuracy is 0"

    if ctx.rule == "zero":
        if ctx.quantity in ("pre_activation", "output") and ctx.first_layer and ctx.input_constant:
            return "data_preprocessing", "the input batches are constant"
        if ctx.quantity == "output" and act in RELU_LIKE:
            if ctx.zero_since_start:
                return "initialisation", f"all '{act}' units are dead from the first batch"
            if big_update:
                return "learning_rate", f"'{act}' units died after updates of {peak:.3g}× norm"
            return "wrong_activation", f"all '{act}' units output 0"
        if ctx.quantity in ("pre_activation", "weights"):
            return "initialisation", "the layer's weights (and bias) are zero"
        if ctx.quantity in BACKWARD:  # weights returned above: updates and gradients
            if ctx.quantity == "delta_weights" and ctx.learning_rate == 0.0:
                return "learning_rate", "the optimizer's learning rate is 0"
            if ctx.quantity == "delta_weights" and ctx.weight_gradient_zero is False:
                return "learning_rate", "the gradients are non-zero but the update is 0"
            if mismatch:
                return mismatch
            if ctx.dead_relu_layer is not None:
                return "wrong_activation", f"layer {ctx.dead_relu_layer} outputs only zeros"
            return "wrong_activation", "the gradients vanish"
        return "wrong_activation", "the layer outputs only zeros"

    # unchanged
    if ctx.quantity in ("weights", "delta_weights", "weight_gradients"):
        if ctx.learning_rate == 0.0:
            return "learning_rate", "the optimizer's learning rate is 0"
        if ctx.weight_gradient_zero is False:
            return "learning_rate", "the gradients are non-zero but the weights do not change"
        if mismatch:
            return mismatch
        return "wrong_activation", "no gradient reaches the layer"
    if ctx.quantity == "pre_activation" and ctx.input_constant:
        return "data_preprocessing", "the input batches are constant"
    if mismatch and ctx.layer is not None and ctx.layer is ctx.output_layer:
        return mismatch
    return "wrong_activation", "the layer's output is constant (saturated)"
