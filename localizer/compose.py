"""One fire of a rule at one batch, composed into a :class:`~localizer.findings.Finding`.

The callback (:mod:`localizer.deeplocalize`) knows *that* a rule fired and where; this module
puts together what a user reads: the code, the target, the message, the evidence and the
heuristic hint.
"""

from __future__ import annotations

import numpy as np

from localizer.evidence import hint_context, rule_evidence
from localizer.findings import Finding, json_safe
from localizer.hints import suggest
from localizer.messages import (
    finding_code,
    finding_phase,
    finding_quantity,
    finding_target,
    message,
)
from localizer.model_facts import LayerInfo
from localizer.plan import CheckPlan
from localizer.settings import RuleSettings
from localizer.slots import LOSS, Slot

__all__ = ["compose_finding"]


def compose_finding(
    plan: CheckPlan,
    settings: RuleSettings,
    layers: tuple[LayerInfo, ...],
    index: dict[Slot, int],
    position: int | None,
    rule: str,
    table: np.ndarray,
    *,
    model_evidence: dict | None,
    previous: np.ndarray | None,
    history: np.ndarray | None,
    epoch: int,
    batch: int,
    iteration: int,
    wall_s: float,
    loss_name: str | None,
    from_logits: bool,
    learning_rate: float | None,
) -> Finding:
    """The finding for ``rule`` firing on the slot at ``position`` of ``plan.order`` (``None``:
    the model-level slot, the loss) in the batch whose summaries are ``table``.

    ``previous`` is the batch before's table, ``history`` the trace so far (both for the hint);
    ``model_evidence`` what a model-level rule measured when it fired; ``wall_s`` the seconds
    from the start of ``fit`` to the end of the batch that fired.
    """
    slot = Slot(LOSS) if position is None else plan.order[position]
    info = layers[slot.layer] if slot.layer is not None else None
    row = table[index[slot]]
    code = finding_code(slot, rule, info)
    quantity = finding_quantity(slot, info)
    evidence = rule_evidence(rule, row, plan, position, settings, model_evidence)
    hint, reason = suggest(hint_context(
        slot=slot, info=info, code=code, rule=rule, quantity=quantity, table=table,
        previous=previous, history=history, plan=plan, index=index, layers=layers,
        iteration=iteration, loss_name=loss_name, from_logits=from_logits,
        learning_rate=learning_rate,
    ))
    evidence["hint"] = reason
    where = f"at epoch {epoch}, batch {batch} (iteration {iteration})"
    return Finding(
        code=code,
        message=message(code, rule, slot, info, row, evidence, settings, where),
        target=finding_target(slot, rule, code, info),
        layer_index=info.index if info else None,
        layer_name=info.name if info else None,
        layer_class=info.cls if info else None,
        phase=finding_phase(code, slot),
        quantity=quantity,
        epoch=epoch,
        batch=batch,
        iteration=iteration,
        wall_s=round(wall_s, 6),
        hint=hint,
        evidence=json_safe(evidence),
    )
