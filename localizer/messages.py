"""What a DeepLocalize finding says: its code, phase, quantity and one-sentence message.

Pure functions of the slot that fired, the rule, the layer and the batch's summary row.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from localizer.model_facts import LayerInfo
from localizer.rules import (
    INF,
    INIT_GAIN,
    LOSS_SCALE,
    MEAN,
    NAN,
    NOT_LEARNING,
    NUMERICAL,
    STALLED,
    UNCHANGED,
    ZERO,
    RuleSettings,
)
from localizer.slots import (
    ACCURACY,
    BACKWARD,
    DELTA_WEIGHTS,
    INPUT_GRADIENTS,
    LOSS,
    OUTPUT,
    OUTPUT_GRADIENTS,
    PRE,
    WEIGHT_GRADIENTS,
    WEIGHTS,
    Slot,
)

#: What each code means, as the start of a finding's message.
CODES = {
    "EBA": "Error before activation",
    "EAA": "Error after activation",
    "EBW": "Error in the weights",
    "EBDW": "Error in the backward pass",
    "ELF": "Error in the loss",
    "EAF": "Error in the accuracy",
    "MDL": "Model does not learn",
    "CM": "Correct model",
}

_WHAT = {
    PRE: "its output before activation",
    "post_activation": "its output after activation",
    "output": "its output",
    WEIGHTS: "its weights",
    DELTA_WEIGHTS: "its weight update (Δweights)",
    WEIGHT_GRADIENTS: "the gradient of the loss w.r.t. its weights",
    OUTPUT_GRADIENTS: "the gradient of the loss w.r.t. its output",
    INPUT_GRADIENTS: "the gradient flowing back through it (w.r.t. its input)",
}


def finding_code(slot: Slot, rule: str, info: LayerInfo | None) -> str:
    """The paper's code for ``rule`` firing on ``slot`` (``EBA`` ... ``MDL``)."""
    q = slot.quantity
    if rule in (NOT_LEARNING, STALLED):
        return "MDL"
    if q == LOSS:
        return "MDL" if rule == UNCHANGED else "ELF"
    if q == ACCURACY:
        return "MDL" if rule == UNCHANGED else "EAF"
    if q == PRE:
        return "EBA"
    if q == OUTPUT:
        return "EAA" if info is not None and info.has_activation else "EBA"
    if q == WEIGHTS:
        return "EBW"
    return "EBDW"


def finding_target(slot: Slot, rule: str, code: str, info: LayerInfo | None) -> str:
    """What a finding blames (:data:`localizer.findings.TARGETS`): its layer; the learning rate
    or optimizer (``hyperparameter``) for "stalled"; the loss function for a non-finite loss;
    else the whole model (EAF, MDL)."""
    if info is not None:
        return "layer"
    if rule == STALLED:
        return "hyperparameter"
    if slot.quantity == LOSS and code == "ELF":
        return "loss"
    return "model"


def finding_phase(code: str, slot: Slot) -> str | None:
    """``forward`` or ``backward``; ``None`` for MDL."""
    if code == "MDL":
        return None
    return "backward" if slot.quantity in BACKWARD else "forward"


def finding_quantity(slot: Slot, info: LayerInfo | None) -> str:
    """The finding's quantity: a layer output is ``post_activation`` or ``pre_activation``."""
    if slot.quantity == OUTPUT:
        return "post_activation" if info is not None and info.has_activation else "pre_activation"
    return slot.quantity


def fmt(value: float) -> str:
    """A number for a message: ``NaN``, ``Inf``, ``-Inf`` or 6 significant digits."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    return f"{value:.6g}"


def message(
    code: str, rule: str, slot: Slot, info: LayerInfo | None, row: np.ndarray,
    evidence: dict[str, Any], settings: RuleSettings, where: str,
) -> str:
    """The finding's one sentence, e.g. *"Error after activation in layer 0 'dense' (Dense):
    its output after activation was all zeros in 10 of 10 batches, at epoch 0, batch 9
    (iteration 10)."*

    Args:
        code: The finding's code.
        rule: The rule that fired (:mod:`localizer.rules` names).
        slot: The slot it fired on.
        info: The slot's layer, ``None`` for model slots.
        row: The slot's summary row of this batch.
        evidence: The finding's evidence (zero counts; MDL's window means).
        settings: The profile's rule settings.
        where: ``"at epoch e, batch b (iteration i)"``.
    """
    if rule == NOT_LEARNING:
        ev = evidence
        text = (
            f"after {ev['batches']} batches the mean loss of the last {ev['window']} batches "
            f"({ev['recent_mean_loss']:.4g}) is not {settings.mdl_min_delta:.0%} below "
            f"that of the first {ev['window']} ({ev['first_mean_loss']:.4g})"
        )
        if "chance_loss" in ev:  # the bench profile's MDL at chance level
            text = (
                f"after {ev['batches']} batches the mean loss of the last {ev['window']} batches "
                f"({ev['recent_mean_loss']:.4g}) is still at least {ev['chance_fraction']:g} "
                f"of the chance-level loss ({ev['chance_loss']:.4g})"
            )
        elif "recent_mean_accuracy" in ev:
            text += (
                f" and the mean accuracy did not rise ({ev['first_mean_accuracy']:.3f} → "
                f"{ev['recent_mean_accuracy']:.3f})"
            )
        return f"{CODES[code]}: {text}, {where}."
    if rule == LOSS_SCALE:
        ev = evidence
        text = (
            f"the mean loss of the last {ev['batches']} batches ({ev['recent_mean_loss']:.4g}) "
            f"is more than {ev['loss_scale']:g} times the chance-level loss "
            f"({ev['chance_loss']:.4g}, predicting the uniform distribution)"
        )
        return f"{CODES[code]}: {text}, {where}."
    if rule == STALLED:
        ev = evidence
        text = (
            f"for {ev['batches']} batches in a row no layer's update was even "
            f"{ev['stall_ratio']:.0e} of its weights (largest {ev['largest_update_ratio']:.2e}): "
            "the learning rate or the optimizer lets nothing train"
        )
        return f"{CODES[code]}: {text}, {where}."
    if info is not None:
        key = slot.quantity
        if key == OUTPUT:
            key = "post_activation" if info.has_activation else "output"
        subject = f"in layer {info.index} '{info.name}' ({info.cls}): {_WHAT[key]}"
    else:
        subject = {LOSS: ": the batch loss", ACCURACY: ": the batch accuracy"}[slot.quantity]
    if rule == NUMERICAL:
        seen = f"had a {fmt(row[MEAN])} mean ({int(row[NAN])} NaN, {int(row[INF])} Inf values)"
        if info is None:
            seen = f"was {fmt(row[MEAN])}"
    elif rule == INIT_GAIN:
        seen = (f"was {evidence['gain']:.3g} times as large (RMS) as its input at the first "
                f"batch, above {settings.init_gain:g}: its initial weights are far too large")
    elif rule == ZERO:
        zero = "was all zeros" if settings.zero_std else "had a mean of exactly 0"
        seen = f"{zero} in {evidence['zero_count']} of {evidence['observations']} batches"
    else:
        stat = "mean and std" if settings.unchanged_std else "mean"
        seen = f"kept the same {stat} ({fmt(row[MEAN])}) for {settings.window} batches"
    return f"{CODES[code]} {subject} {seen}, {where}.".replace(" : ", ": ")
