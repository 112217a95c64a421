"""What a DeepLocalize finding carries: its evidence, and the facts its hint is chosen from.

:func:`rule_evidence` collects the numbers that fired (the slot's statistics, zero counts, the
window of equal values, MDL's window means); :func:`hint_context` reads the facts the heuristic
hints look at (:class:`localizer.hints.HintContext`) off the batch's summary table, the previous
one and the trace. Both are pure functions of what the callback already has.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from localizer.hints import HintContext
from localizer.model_facts import RELU_LIKE, LayerInfo
from localizer.plan import CheckPlan, update_ratios
from localizer.rules import (
    INF,
    INIT_GAIN,
    LOSS_SCALE,
    MAX,
    MIN,
    NAN,
    NOT_LEARNING,
    STALLED,
    STATS,
    STD,
    UNCHANGED,
    ZERO,
    ZERO_FRAC,
    N,
    RuleSettings,
)
from localizer.slots import INPUTS, OUTPUT, WEIGHT_GRADIENTS, Slot


def rule_evidence(
    rule: str, row: np.ndarray, plan: CheckPlan, position: int | None, settings: RuleSettings,
    mdl: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The evidence of one finding, before the hint's reason is added (floats may be NaN).

    Args:
        rule: The rule that fired.
        row: The slot's summary row of this batch.
        plan: The fit call's checks (zero counts, observations, fired windows).
        position: The slot's position in ``plan.order`` (``None`` for MDL).
        settings: The profile's rule settings.
        mdl: The evidence a plan-level rule gave ("model does not learn", "stalled", "loss
            far above chance", "initial gain").
    """
    evidence: dict[str, Any] = {"rule": rule}
    if rule in (NOT_LEARNING, STALLED, LOSS_SCALE):
        evidence.update(mdl or {})
    else:
        evidence.update({name: float(row[k]) for k, name in enumerate(STATS)})
    if rule == INIT_GAIN:
        evidence.update(mdl or {})
    if rule == ZERO:
        evidence["zero_count"] = int(plan.checker.zero_counts[position])
        evidence["observations"] = int(plan.checker.observations[position])
        evidence["zero_fraction_threshold"] = settings.zero_fraction
    if rule == UNCHANGED:
        values = plan.checker.fired_windows.get(position, np.zeros(0))
        evidence["window"] = settings.window
        evidence["window_min"] = float(values.min()) if values.size else None
        evidence["window_max"] = float(values.max()) if values.size else None
    return evidence


def hint_context(
    *,
    slot: Slot,
    info: LayerInfo | None,
    code: str,
    rule: str,
    quantity: str,
    table: np.ndarray,
    previous: np.ndarray | None,
    history: np.ndarray | None,
    plan: CheckPlan,
    index: Mapping[Slot, int],
    layers: Sequence[LayerInfo],
    iteration: int,
    loss_name: str | None,
    from_logits: bool,
    learning_rate: float | None,
) -> HintContext:
    """The facts :func:`localizer.hints.suggest` chooses a hint from.

    Args:
        slot, info, code, rule, quantity: The finding: its slot, layer, code, rule, quantity.
        table: This batch's summary table.
        previous: The previous batch's table, if any.
        history: The trace's tables (this batch included), if any.
        plan: The fit call's checks.
        index: Slot -> row of the summary table.
        layers: The model's layers.
        iteration: 1-based batch count of the finding.
        loss_name, from_logits: The compiled loss (:func:`model_facts.loss_info`).
        learning_rate: The optimizer's learning rate, ``None`` when unknown.
    """
    x = table[index[Slot(INPUTS)]]
    has_x = x[N] > 0
    recent_tables = [table] if previous is None else [table, previous]
    recent = [r for r in update_ratios(np.stack(recent_tables), plan) if r == r]
    peak = [r for r in update_ratios(history, plan) if r == r] if history is not None else []
    peak = max(peak + recent) if peak or recent else float("nan")
    grad_zero = None
    if info is not None:
        g = table[index[Slot(WEIGHT_GRADIENTS, info.index)]]
        if g[N] > 0:
            grad_zero = bool(g[ZERO_FRAC] == 1.0)
    computing = [layer.index for layer in layers if table[index[Slot(OUTPUT, layer.index)], N] > 0]
    dead = [
        layer.index
        for layer in layers
        if layer.activation in RELU_LIKE
        and table[index[Slot(OUTPUT, layer.index)], N] > 0
        and table[index[Slot(OUTPUT, layer.index)], ZERO_FRAC] == 1.0
    ]
    position = plan.order.index(slot) if slot in plan.order else None
    since_start = (
        position is not None
        and rule == ZERO
        and plan.checker.zero_counts[position] == plan.checker.observations[position]
    )
    return HintContext(
        code=code,
        rule=rule,
        quantity="output" if slot.quantity == OUTPUT else quantity,
        layer=info,
        first_layer=bool(info is not None and computing and info.index == computing[0]),
        iteration=iteration,
        output_layer=layers[-1],
        loss_name=loss_name,
        from_logits=from_logits,
        input_max_abs=float(max(abs(x[MIN]), abs(x[MAX]))) if has_x else float("nan"),
        input_nonfinite=bool(has_x and (x[NAN] > 0 or x[INF] > 0)),
        input_constant=bool(has_x and x[N] > 1 and x[STD] == 0.0),
        update_ratio=max(recent) if recent else float("nan"),
        max_update_ratio=peak,
        weight_gradient_zero=grad_zero,
        zero_since_start=bool(since_start),
        dead_relu_layer=dead[0] if dead else None,
        learning_rate=learning_rate,
    )
