"""Re-check a recorded :class:`~localizer.trace.Trace` with any rule profile, without training.

A trace recorded with ``DeepLocalize(record_all=True, trace_length=...)`` holds every per-batch
summary the probe can take, so the rules of *another* profile can be run over it afterwards:
the same :func:`~localizer.plan.plan_checks`, :class:`~localizer.rules.SlotChecker` and
:class:`~localizer.progress.ProgressMonitor` the callback drives, fed one batch at a time, in
the callback's order (Algorithm 1, with MDL where the profile places it). This is how a new
profile is designed and compared on many recorded runs at the cost of a few array operations
per batch. It gives each finding's code, place and batch, not its hint or message (those read
the model, which a trace does not keep).

>>> from localizer.settings import PAPER
>>> hits = replay(trace, PAPER)  # doctest: +SKIP
>>> hits[0].code if hits else "CM"  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from localizer.messages import finding_code, finding_quantity, finding_target
from localizer.plan import chance_loss, merge_hits, plan_checks, zero_tolerances
from localizer.rules import MEAN, STD, N
from localizer.settings import RuleSettings
from localizer.slots import LOSS, Slot
from localizer.trace import Trace

__all__ = ["ReplayFinding", "TraceIncomplete", "replay"]


class TraceIncomplete(ValueError):
    """Raised for a trace that lost its first batches (``trace_length`` was too small)."""


@dataclass(frozen=True)
class ReplayFinding:
    """One distinct finding of a replay (the first occurrence of its code, place and rule).

    Attributes:
        code: ``EBA`` ... ``MDL`` (as :attr:`localizer.Finding.code`).
        target: What it blames (as :attr:`localizer.Finding.target`).
        rule: ``numerical_error``, ``zero``, ``unchanged``, ``not_learning``, or one of the
            ``bench`` profile's: ``init_gain``, ``loss_scale``, ``stalled``.
        layer_index: 0-based index into ``model.layers``; ``None`` for model-level findings.
        quantity: The finding's quantity (as :attr:`localizer.Finding.quantity`).
        iteration: 1-based batch of the ``fit`` call at which it fired.
        epoch: 0-based epoch of that batch.
    """

    code: str
    rule: str
    target: str
    layer_index: int | None
    quantity: str
    iteration: int
    epoch: int


def replay(
    trace: Trace, settings: RuleSettings, *, first_only: bool = False,
    steps_per_epoch: int | None = None, loss_name: str | None = None, fresh: bool = True,
) -> list[ReplayFinding]:
    """Run a profile's rules over a recorded trace, batch by batch.

    Args:
        trace: A trace that holds every quantity the profile reads (record it with
            ``record_all=True``) from the first batch of its ``fit`` call on.
        settings: The profile (e.g. :data:`~localizer.settings.PAPER`).
        first_only: Stop at the first batch that fires (its first finding is the verdict).
        steps_per_epoch: Batches per epoch of the ``fit`` call (Keras' ``params["steps"]``,
            which the callback uses); default: the number of batches the trace holds for its
            first epoch.
        loss_name: The compiled loss' name (``localizer.model_facts.loss_info``), which sets the
            chance-level loss (:func:`~localizer.plan.chance_loss`); default: unknown, so the
            output layer's activation stands in.
        fresh: Whether the model had not been trained before the ``fit`` call (the callback
            reads the optimizer's step count; the initial-gain rule checks only then).

    Returns:
        The distinct findings, in the order the callback in ``on_fault="record"`` mode would
        report them; empty: the profile finds nothing (``CM``).

    Raises:
        TraceIncomplete: When the trace does not start at the fit call's first batch.
        KeyError: When the trace lacks a slot the profile checks.
    """
    iterations = trace.iterations
    if len(iterations) and int(iterations[0]) != 1:
        raise TraceIncomplete(
            f"the trace starts at batch {int(iterations[0])}, not 1: it kept only the newest "
            f"{trace.maxlen} batches; record it with a larger trace_length"
        )
    index = {slot: i for i, slot in enumerate(trace.slots)}
    layers = trace.layers
    epochs = trace.epochs
    if steps_per_epoch is None and len(epochs):
        steps_per_epoch = int((epochs == epochs[0]).sum())
    plan = plan_checks(settings, layers, index, steps_per_epoch, chance_loss(layers, loss_name),
                       fresh)
    tables = trace.tables().astype(np.float64)
    if not len(tables):
        return []
    stats = tables[:, plan.columns]
    means, valid, stds = stats[..., MEAN], stats[..., N] > 0, stats[..., STD]
    atol = zero_tolerances(tables, plan)
    seen: set[tuple] = set()
    found: list[ReplayFinding] = []
    for b in range(len(tables)):
        hits = plan.checker.update(means[b], valid[b], stds[b], atol[b])
        hits = merge_hits(hits, plan.model_rules(tables[b]), plan.mdl_position)
        for position, rule in hits:
            slot = Slot(LOSS) if position is None else plan.order[position]
            info = layers[slot.layer] if slot.layer is not None else None
            code = finding_code(slot, rule, info)
            quantity = finding_quantity(slot, info)
            key = (code, info.index if info else None, quantity, rule)
            if key in seen:
                continue
            seen.add(key)
            target = finding_target(slot, rule, code, info)
            found.append(ReplayFinding(code, rule, target, key[1], quantity, int(iterations[b]),
                                       int(epochs[b])))
        if first_only and found:
            return found[:1]
    return found
