"""Which slots DeepLocalize checks, in which order, with which rules (Algorithm 1 per profile).

:func:`plan_checks` turns a profile's :class:`~localizer.rules.RuleSettings` and the model's
layers into a :class:`CheckPlan`: the slots in the order the profile checks them, the rules that
apply to each (a vectorised :class:`~localizer.rules.SlotChecker`), and where "model does not
learn" (MDL) sits in that order. The order and rule choices are documented in
``docs/localizer.md`` ("Rules").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as _replace

import numpy as np

from localizer.model_facts import LayerInfo
from localizer.progress import LossScaleMonitor, ProgressMonitor, StallMonitor
from localizer.rules import (
    INIT_GAIN,
    LOSS_SCALE,
    MEAN,
    NOT_LEARNING,
    STALLED,
    STD,
    ZERO_RTOL,
    N,
    RuleSettings,
    SlotChecker,
)
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

#: What each algorithm's rules and hints read (:attr:`RuleSettings.algorithm`); the probe
#: summarises only these by default.
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
        stall: The ``bench`` profile's "stalled" monitor (``None`` when off).
        loss_scale: The ``bench`` profile's "loss far above chance" monitor (``None`` when off
            or the chance-level loss is unknown).
        gain_checks: ``(position in order, value row, input row)`` per layer whose initial gain
            the first batch checks (``bench``; empty when off or the model trained before).
        init_gain: The largest initial gain that is not a fault.
        rows_seen: Batches :meth:`model_rules` has seen.
        loss_row, accuracy_row: Rows of the loss and accuracy slots in the summary table.
    """

    order: list[Slot]
    columns: np.ndarray
    weight_columns: np.ndarray
    delta_columns: np.ndarray
    zero_scale_columns: np.ndarray
    checker: SlotChecker
    progress: ProgressMonitor | None
    mdl_position: int | None
    stall: StallMonitor | None = None
    loss_scale: LossScaleMonitor | None = None
    gain_checks: list[tuple[int, int, int]] = field(default_factory=list)
    init_gain: float = math.inf
    loss_row: int = 1
    accuracy_row: int = 2
    rows_seen: int = 0

    def model_rules(self, table: np.ndarray) -> list[tuple[int | None, str, dict]]:
        """The rules that read more than one slot, for one batch's summary table: what fired,
        as ``(position in order or None for the model, rule, evidence)``, the initial gain
        (layers, first batch only), then the loss far above chance, "stalled", "model does not
        learn" (the most specific first). Every monitor sees every batch, fired or not."""
        fired: list[tuple[int | None, str, dict]] = []
        self.rows_seen += 1
        if self.rows_seen == 1:
            for position, value, source in self.gain_checks:
                size, base = float(rms(table[value])), float(rms(table[source]))
                if table[value, N] > 0 and table[source, N] > 0 and base > 0 and np.isfinite(
                        size) and size > self.init_gain * base:
                    fired.append((position, INIT_GAIN, {"gain": size / base, "rms": size,
                                                        "input_rms": base}))
        if self.loss_scale is not None:
            evidence = self.loss_scale.update(float(table[self.loss_row, MEAN]))
            if evidence is not None:
                fired.append((None, LOSS_SCALE, evidence))
        if self.stall is not None:
            ratio = update_ratios(table[None], self)[0]
            evidence = self.stall.update(float(ratio))
            if evidence is not None:
                fired.append((None, STALLED, evidence))
        if self.progress is not None:
            acc = table[self.accuracy_row]
            evidence = self.progress.update(
                float(table[self.loss_row, MEAN]), float(acc[MEAN]) if acc[N] > 0 else None
            )
            if evidence is not None:
                fired.append((None, NOT_LEARNING, evidence))
        return fired


def _order(settings: RuleSettings, layers: Sequence[LayerInfo]) -> tuple[list[Slot], int | None]:
    order: list[Slot] = []
    if settings.algorithm == "paper":
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
    settings: RuleSettings, layers: Sequence[LayerInfo], index: Mapping[Slot, int],
    steps_per_epoch: int | None = None, chance: float | None = None, fresh: bool = True,
) -> CheckPlan:
    """The slots to check, in Algorithm 1's order for this profile, and which rules apply.

    Args:
        settings: The profile's rule settings.
        layers: The model's layers.
        index: Slot -> row of the probe's summary table.
        steps_per_epoch: Batches per epoch of the ``fit`` call, when known (sets MDL's window
            with :attr:`RuleSettings.mdl_window_per_epoch`).
        chance: The chance-level loss (:func:`chance_loss`), when known.
        fresh: Whether the model has not been trained before this ``fit`` call (its optimizer
            took no step): only then is the first batch checked for the initial gain.
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
        if settings.algorithm == "paper":
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
    window = settings.mdl_window_for(steps_per_epoch)
    monitored = _replace(settings, mdl_window=window)
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
        progress=ProgressMonitor(monitored, chance) if settings.mdl == "progress" else None,
        mdl_position=mdl_position,
        stall=StallMonitor(window, settings.stall_ratio) if settings.stall_ratio > 0 else None,
        loss_scale=(
            LossScaleMonitor(settings.loss_scale_window, settings.loss_scale, chance)
            if chance and math.isfinite(settings.loss_scale) else None
        ),
        gain_checks=_gain_checks(order, layers, index) if fresh and math.isfinite(
            settings.init_gain) else [],
        init_gain=settings.init_gain,
        loss_row=index[Slot(LOSS)],
        accuracy_row=index[Slot(ACCURACY)],
    )


def merge_hits(hits: Sequence[tuple[int, str]], model: Sequence[tuple[int | None, str, dict]],
               mdl_position: int | None) -> list[tuple[int | None, str]]:
    """One batch's fires in Algorithm 1's order: the slot rules' ``(position, rule)`` and the
    plan-level rules' (:meth:`CheckPlan.model_rules`), a layer's by its position, the model's
    (position ``None``) where MDL sits, before the backward pass."""
    at = 1 << 30 if mdl_position is None else mdl_position  # model-level: before slot `at`
    keyed = [((p, 0, i), (p, r)) for i, (p, r) in enumerate(hits)]
    keyed += [(((at, -1) if p is None else (p, 0)) + (i + len(hits),), (p, r))
              for i, (p, r, _) in enumerate(model)]
    return [hit for _, hit in sorted(keyed, key=lambda k: k[0])]


def _gain_checks(order: list[Slot], layers: Sequence[LayerInfo], index: Mapping[Slot, int]
                 ) -> list[tuple[int, int, int]]:
    """The initial-gain checks: per layer with trainable weights whose value before
    activation is a slot (a fused activation's pre-activation, or a plain layer's output), that
    slot's position in ``order``, its row, and the row of the layer's input (the previous
    entry's output; the model's inputs for the first)."""
    positions = {slot: p for p, slot in enumerate(order)}
    checks = []
    for info in layers:
        if not info.has_weights or info.kind not in ("fused", "plain"):
            continue
        slot = Slot(PRE, info.index) if info.kind == "fused" else Slot(OUTPUT, info.index)
        source = Slot(INPUTS) if info.index == 0 else Slot(OUTPUT, info.index - 1)
        if slot in positions and source in index:
            checks.append((positions[slot], index[slot], index[source]))
    return checks


def chance_loss(
    layers: Sequence[LayerInfo], loss_name: str | None = None, from_logits: bool = False
) -> float | None:
    """The loss of a classifier that predicts the uniform distribution, when it is known.

    Cross-entropy over K classes: ``ln K`` (K from the output layer's units); binary
    cross-entropy: ``ln 2``. Any other loss (MSE, hinge, ...): ``None``. Without a loss name the
    output layer's activation stands in: softmax over K >= 2 units means categorical, sigmoid
    means binary cross-entropy, anything else ``None``. ``from_logits`` does not change it.
    """
    if not layers:
        return None
    out = layers[-1]
    units = out.units or 0
    name = (loss_name or "").lower()
    if not name:
        if out.activation == "softmax" and units >= 2:
            return math.log(units)
        return math.log(2.0) if out.activation == "sigmoid" else None
    if "crossentropy" not in name.replace("_", ""):
        return None
    if "binary" in name:
        return math.log(2.0)
    return math.log(units) if units >= 2 else None


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
