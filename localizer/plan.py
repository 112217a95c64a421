"""Which slots DeepLocalize checks, in which order, with which rules (Algorithm 1 per profile).

:func:`plan_checks` turns a profile's :class:`~localizer.rules.RuleSettings` and the model's
layers into a :class:`CheckPlan`: the slots in the order the profile checks them, the rules that
apply to each (a vectorised :class:`~localizer.rules.SlotChecker`), and where "model does not
learn" (MDL) sits in that order. The order and rule choices are documented in
``docs/localizer.md`` ("Rules").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from localizer.model_facts import LayerInfo
from localizer.progress import ProgressMonitor
from localizer.rules import MEAN, STD, ZERO_RTOL, N, RuleSettings, SlotChecker
from localizer.slots import (
    ACCURACY,
    DELTA_WEIGHTS,
    INPUT_GRADIENTS,
    INPUTS,
    LOSS,
    OUTPUT,
    OUTPUT_GRADIENTS,
    PRE,
    WEIGHT_GRADIENTS,
    WEIGHTS,
    Slot,
)

#: What each profile's rules and hints read; the probe summarises only these by default.
PROFILE_QUANTITIES = {
    "paper": (INPUTS, LOSS, ACCURACY, PRE, OUTPUT, WEIGHTS, DELTA_WEIGHTS, INPUT_GRADIENTS),
    "released": (
        INPUTS, LOSS, ACCURACY, OUTPUT, OUTPUT_GRADIENTS, WEIGHTS, DELTA_WEIGHTS, WEIGHT_GRADIENTS,
    ),
}


@dataclass
class CheckPlan:
    """The checks of one ``fit`` call.

    Attributes:
        order: The checked slots, in the profile's order.
        columns: Row of each slot of ``order`` in the probe's summary table.
        weight_columns: Row of each layer's weights slot (update ratios).
        delta_columns: Row of each layer's Δweights slot (update ratios).
        zero_scale_columns: Per slot of ``order``, the row whose RMS scales the slot's zero
            tolerance (:data:`~localizer.rules.ZERO_RTOL`), or -1: exactly zero. Set for the
            gradient through a layer without weights, scaled by the gradient at its output.
        checker: The numerical-error / zero / unchanged rules over ``order``.
        progress: The paper profile's MDL monitor (``None`` for the released profile).
        mdl_position: Where MDL sits in ``order`` (before the backward pass), or ``None``.
    """

    order: list[Slot]
    columns: np.ndarray
    weight_columns: np.ndarray
    delta_columns: np.ndarray
    zero_scale_columns: np.ndarray
    checker: SlotChecker
    progress: ProgressMonitor | None
    mdl_position: int | None


def _order(settings: RuleSettings, layers: Sequence[LayerInfo]) -> tuple[list[Slot], int | None]:
    order: list[Slot] = []
    if settings.name == "paper":
        for info in layers:
            if info.has_pre:
                order.append(Slot(PRE, info.index))
            order.append(Slot(OUTPUT, info.index))
        order += [Slot(LOSS), Slot(ACCURACY)]
        mdl_position: int | None = len(order)
        # Backward, last layer first (Algorithm 1 step 6): Δweights and weights of a layer
        # with trainable weights; the gradient flowing back through a layer without them.
        for info in reversed(layers):
            if info.has_weights:
                order += [Slot(DELTA_WEIGHTS, info.index), Slot(WEIGHTS, info.index)]
            else:
                order.append(Slot(INPUT_GRADIENTS, info.index))
        return order, mdl_position
    order += [Slot(OUTPUT, info.index) for info in layers]
    order += [Slot(WEIGHTS, info.index) for info in reversed(layers)]
    order += [Slot(LOSS), Slot(ACCURACY)]
    order += [
        Slot(WEIGHT_GRADIENTS, info.index) for info in reversed(layers) if info.cls == "Dense"
    ]
    order += [Slot(OUTPUT_GRADIENTS, info.index) for info in reversed(layers)]
    return order, None


def plan_checks(
    settings: RuleSettings, layers: Sequence[LayerInfo], index: Mapping[Slot, int]
) -> CheckPlan:
    """The slots to check, in Algorithm 1's order for this profile, and which rules apply.

    Args:
        settings: The profile's rule settings.
        layers: The model's layers.
        index: Slot -> row of the probe's summary table.
    """
    order, mdl_position = _order(settings, layers)
    numerical, zero, unchanged, zero_fractions, scales = [], [], [], [], []
    for slot in order:
        through = slot.quantity == INPUT_GRADIENTS and slot.layer is not None
        scales.append(index[Slot(OUTPUT_GRADIENTS, slot.layer)] if through else -1)
        info = layers[slot.layer] if slot.layer is not None else None
        numerical.append(True)
        # Paper EAF "accuracy 0": a batch of an untrained model often scores 0, so only an
        # accuracy of 0 in *every* batch so far counts (from min_iterations on).
        zero_fractions.append(1.0 if slot.quantity == ACCURACY else settings.zero_fraction)
        if settings.name == "paper":
            zero.append(slot.quantity != LOSS)
            unchanged.append(slot.quantity not in (LOSS, ACCURACY))
        else:
            zero.append(slot.quantity not in (LOSS, ACCURACY))
            if slot.quantity == OUTPUT:
                unchanged.append(info is not None and info.cls != "Flatten")
            elif slot.quantity == WEIGHTS:
                unchanged.append(info is not None and info.cls == "Dense")
            else:
                unchanged.append(True)
    return CheckPlan(
        order=order,
        columns=np.array([index[slot] for slot in order], dtype=np.int64),
        weight_columns=np.array([index[Slot(WEIGHTS, i.index)] for i in layers], np.int64),
        delta_columns=np.array([index[Slot(DELTA_WEIGHTS, i.index)] for i in layers], np.int64),
        zero_scale_columns=np.array(scales, dtype=np.int64),
        checker=SlotChecker(
            settings,
            numerical=numerical,
            zero=zero,
            unchanged=unchanged,
            zero_fractions=zero_fractions,
        ),
        progress=ProgressMonitor(settings) if settings.mdl == "progress" else None,
        mdl_position=mdl_position,
    )


def rms(rows: np.ndarray) -> np.ndarray:
    """The root mean square of the values behind summaries (rows of :data:`STATS`, any leading
    shape): for values with mean m and standard deviation s it is ``sqrt(m² + s²)``."""
    return np.hypot(rows[..., MEAN], rows[..., STD])


def zero_tolerances(tables: np.ndarray, plan: CheckPlan) -> np.ndarray:
    """``(k, len(order))`` absolute zero tolerances for a block of ``k`` summary tables.

    ``ZERO_RTOL`` × the RMS of each slot's scale row; 0 (exactly zero) where the slot has no
    scale row or it was not measured.
    """
    scaled = plan.zero_scale_columns >= 0
    atol = np.zeros((len(tables), len(plan.zero_scale_columns)))
    if not scaled.any():
        return atol
    ref = tables[:, plan.zero_scale_columns[scaled]]
    with np.errstate(invalid="ignore"):
        scale = rms(ref)
    scale[(ref[..., N] <= 0) | ~np.isfinite(scale)] = 0.0
    atol[:, scaled] = ZERO_RTOL * scale
    return atol


def update_ratios(tables: np.ndarray, plan: CheckPlan) -> np.ndarray:
    """Largest ``‖ΔW‖/‖W‖`` over layers for each of ``tables`` (NaN where unknown)."""
    w, dw = tables[:, plan.weight_columns], tables[:, plan.delta_columns]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = rms(dw) / rms(w)
    ratios[(w[..., N] <= 0) | (dw[..., N] <= 0) | ~np.isfinite(ratios)] = -np.inf
    best = ratios.max(axis=1) if ratios.shape[1] else np.full(len(tables), -np.inf)
    return np.where(np.isfinite(best), best, np.nan)


def update_ratio(weights: np.ndarray, delta: np.ndarray) -> float:
    """``‖ΔW‖ / ‖W‖`` of one layer from its summaries (rows of :data:`STATS`), NaN if unknown.

    For n values with mean m and standard deviation s, ``‖x‖ = sqrt(n (m² + s²))``; the n's are
    equal for a layer's weights and their update, so the ratio of RMS values is the norm ratio
    (DeepDiagnosis' ``TuneLearn`` quantity, with the applied update in place of lr·gradient).
    """
    w, d = float(rms(weights)), float(rms(delta))
    if weights[N] <= 0 or delta[N] <= 0 or not np.isfinite(w) or not np.isfinite(d):
        return float("nan")
    if w == 0.0:
        return float("inf") if d > 0 else 0.0
    return d / w
