"""DeepLocalize (Wardat, Le, Rajan, ICSE 2021) as a Keras 3 callback.

The callback drives the checks: it subscribes to the model's probe (:mod:`localizer.probe`),
reads every batch's summaries, runs the profile's rules in Algorithm 1's order
(:mod:`localizer.plan`, :mod:`localizer.rules`) and turns what fires into a
:class:`~localizer.findings.Finding` (:mod:`localizer.messages`, :mod:`localizer.evidence`,
:mod:`localizer.hints`).
"""

from __future__ import annotations

import bisect
import time

import keras
import numpy as np

from localizer.compose import compose_finding
from localizer.findings import Finding
from localizer.messages import CODES, finding_code, finding_quantity
from localizer.model_facts import LayerInfo, learning_rate, loss_info, optimizer_steps
from localizer.plan import (
    PROFILE_QUANTITIES,
    CheckPlan,
    chance_loss,
    merge_hits,
    plan_checks,
    zero_tolerances,
)
from localizer.probe import Probe
from localizer.rules import MEAN, NUMERICAL, STD, UNCHANGED, ZERO, N
from localizer.settings import PROFILES, RuleSettings
from localizer.slots import LOSS, QUANTITIES, Slot
from localizer.trace import Trace

__all__ = [
    "CODES", "MAX_DELAY_S", "ON_FAULT", "PROFILE_QUANTITIES", "DeepLocalize", "FaultDetected",
]

ON_FAULT = ("stop", "raise", "record")

#: The callback reads the summaries of the batches run so far when this many seconds have passed
#: since its last read (or when the probe's ring of :attr:`Probe.ring_calls` calls is full, or
#: at an epoch's and at training's end), and checks them all at once. A finding still names the
#: exact batch that fired and that batch's time; *acting* on it (``stop``, ``raise``) comes at
#: most this long, or one ring, after that batch.
MAX_DELAY_S = 0.05
_RULES = (NUMERICAL, ZERO, UNCHANGED)  # the columns of SlotChecker's skip mask


class FaultDetected(RuntimeError):
    """Raised by ``DeepLocalize(on_fault="raise")``; ``finding`` is what it found."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


class DeepLocalize(keras.callbacks.Callback):
    """Detects and localizes faults in a model while it trains (DeepLocalize, ICSE 2021).

    After every training batch, DeepLocalize checks summaries taken from that very training
    step: every layer's output before and after its activation, its weights and the update the
    optimizer applied (Δweights), the batch loss and the batch accuracy. Following Algorithm 1
    of the paper it reports the first anomaly in a fixed order (forward pass first to last
    layer, loss, accuracy, "model does not learn", backward pass last to first layer): a
    NaN/Inf mean, a mean of exactly 0 too often, or a mean that stopped changing. The finding
    names the layer, the phase and the quantity, where in training it happened, and carries a
    heuristic root-cause ``hint``. Rules and thresholds: ``docs/localizer.md``.

    The callback replaces the model's training step by an instrumented copy of Keras' own for
    the duration of ``fit`` (see :mod:`localizer.probe`); training computes exactly what it
    would without it. TensorFlow backend only.

    Args:
        profile: ``"paper"`` for Algorithm 1 as published (N = 50, zero threshold ¼ of the
            batches so far), ``"released"`` for the behaviour of the authors' released callback
            (N = 5 in disjoint blocks, ½ of the batches, exact "unchanged" on loss or accuracy
            as MDL, also checks the gradients w.r.t. each layer's output), ``"bench"`` for the
            paper's rules plus this project's (initial gain, loss far above chance, stalled
            updates, MDL at chance level and per epoch; ``localizer.settings.BENCH``). Defaults
            to `"paper"`.
        on_fault: What to do at a finding. ``"stop"`` sets ``model.stop_training`` like the
            paper (every callback's ``on_train_end`` runs), then stops checking. ``"raise"``
            restores the model's training step and raises :class:`FaultDetected` (other
            callbacks' ``on_train_end`` do not run). Either comes when the callback reads the
            batches run so far: within :data:`MAX_DELAY_S` seconds or ``RING_CALLS`` batches
            of the batch that fired, which the finding names (its ``wall_s`` is that batch's).
            After ``"stop"``, a training that goes on (someone cleared ``stop_training``) gets
            Keras' own step back at the finding's batch + ``RING_CALLS``, whenever the read.
            ``"record"`` lets training go on and keeps every distinct finding (the first
            occurrence of each code/layer/quantity/rule). Defaults to `"stop"`.
        window: Overrides N, the number of batches "unchanged" looks at (and the MDL window W
            of the paper profile). Defaults to `None` (the profile's value).
        verbose: 0 is silent, 1 prints each finding with its hint, 2 also prints a line when
            training ends without a finding. Defaults to `1`.
        trace_length: How many batches of summaries :attr:`trace` keeps (the newest).
            0 keeps none. Defaults to `1000`.
        record_all: Summarise every quantity the probe can see, also those no rule of the
            profile uses (the paper profile does not use gradients, the released profile does
            not use pre-activations), so that :attr:`trace` has them all. Costs time. Defaults
            to `False`.

    Attributes:
        findings: :class:`~localizer.findings.Finding` list of the last ``fit`` call; the first is
            the one the paper would report.
        verdict_code: The first finding's code, or ``"CM"`` (correct model) when none.
        trace: :class:`~localizer.trace.Trace` of per-batch summaries of the last ``fit`` call.
        iterations: Training batches checked in the last ``fit`` call.
        steps_run: Training batches the last ``fit`` call ran (checked or not: after a finding
            in ``stop`` mode in a run that goes on, the rest is not checked).
        started_at: ``time.perf_counter()`` when the last ``fit`` call began.

    Raises:
        ValueError: For an invalid argument.
        localizer.probe.UnsupportedModelError: From ``fit`` when the model cannot be
            instrumented (custom ``train_step``, non-TensorFlow backend, ...).

    Example:

    ```python
    detector = DeepLocalize()
    model.fit(x, y, epochs=10, callbacks=[detector])
    print(detector.verdict_code)        # "CM", or e.g. "EAA"
    for finding in detector.findings:
        print(finding.message, finding.hint)
    ```
    """

    def __init__(
        self,
        *,
        profile: str = "paper",
        on_fault: str = "stop",
        window: int | None = None,
        verbose: int = 1,
        trace_length: int = 1000,
        record_all: bool = False,
    ) -> None:
        super().__init__()
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}")
        if on_fault not in ON_FAULT:
            raise ValueError(f"on_fault must be one of {list(ON_FAULT)}, got {on_fault!r}")
        if window is not None and (
            isinstance(window, bool) or not isinstance(window, int) or window < 2
        ):
            raise ValueError(f"window must be None or an int >= 2, got {window!r}")
        if isinstance(verbose, bool) or verbose not in (0, 1, 2):
            raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
        if isinstance(trace_length, bool) or not isinstance(trace_length, int) or trace_length < 0:
            raise ValueError(f"trace_length must be an int >= 0, got {trace_length!r}")
        if not isinstance(record_all, bool):
            raise ValueError(f"record_all must be True or False, got {record_all!r}")
        self.profile = profile
        self.record_all = record_all
        self.on_fault = on_fault
        self.window = window
        self.verbose = verbose
        self.trace_length = trace_length
        base = PROFILES[profile]
        self.settings: RuleSettings = base if window is None else base.with_window(window)
        self.findings: list[Finding] = []
        self.trace: Trace | None = None
        self.iterations = 0
        self.steps_run = 0
        self.started_at: float | None = None
        self._epoch_steps = 0
        self._probe: Probe | None = None
        self._active = False
        self._release_at = 0  # the step from which a stopped callback gives Keras its step back

    @property
    def verdict_code(self) -> str:
        return self.findings[0].code if self.findings else "CM"

    # -- Keras hooks ----------------------------------------------------------------------------

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._release()
        self.findings = []
        self.iterations = 0
        self.steps_run = 0
        self._epoch_steps = 0
        self.started_at = time.perf_counter()
        self._seen: set[tuple] = set()
        self._epoch = 0
        self._prev_table: np.ndarray | None = None
        quantities = QUANTITIES if self.record_all else PROFILE_QUANTITIES[self.settings.algorithm]
        probe = Probe.acquire(self.model, self, quantities)
        self._probe = probe
        self._active = True
        self._start_step = self._last_step = probe.step
        self._ends: list[int] = []  # the step each batch since the last read ended with
        self._end_times: list[float] = []  # ... and when it ended
        self._read_at = time.perf_counter()
        self._table: np.ndarray | None = None
        self._skip_for, self._skip_mask = -1, None
        self._layers: tuple[LayerInfo, ...] = probe.layers
        self.trace = Trace(probe.slots, probe.layers, self.trace_length)
        self._loss_name, self._from_logits = loss_info(self.model)
        self._fresh = optimizer_steps(self.model) == 0  # trained before: not an initial state
        self._plan: CheckPlan = plan_checks(
            self.settings, probe.layers, probe.index, (self.params or {}).get("steps"),
            chance_loss(probe.layers, self._loss_name, self._from_logits), self._fresh,
        )
        self._model_evidence: dict[tuple[int | None, str], dict] = {}

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch
        self._epoch_steps = 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._drain()
        self.steps_run += self._epoch_steps
        self._epoch_steps = 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._epoch_steps = batch + 1
        if not self._active or self._probe is None:
            if self._probe is not None and (
                    self._start_step + self.steps_run + batch + 1 >= self._release_at):
                self._release()
            return
        now = time.perf_counter()
        self._ends.append(self._start_step + self.steps_run + batch + 1)
        self._end_times.append(now)
        if len(self._ends) >= self._probe.ring_calls or now - self._read_at >= MAX_DELAY_S:
            self._drain()

    def on_train_end(self, logs: dict | None = None) -> None:
        self._drain()
        self.steps_run += self._epoch_steps  # an epoch cut short has no on_epoch_end
        self._epoch_steps = 0
        self._release()
        if self.verbose >= 2 and not self.findings:
            print(f"DeepLocalize: no fault found in {self.iterations} batches (CM).", flush=True)

    # -- checks ---------------------------------------------------------------------------------

    def _drain(self) -> None:
        """Check every batch run since the last read, oldest first, and act on a finding."""
        if not self._active or self._probe is None:
            return
        steps, tables = self._probe.rows_after(self._last_step)
        ends, end_times = self._ends, self._end_times
        self._ends, self._end_times = [], []
        self._read_at = time.perf_counter()
        if len(steps) and steps[0] != self._last_step + 1:  # cannot happen: a bug if it does
            raise RuntimeError(f"DeepLocalize: the ring lost steps after {self._last_step}")
        base = self._start_step + self.steps_run  # the step before this epoch's first batch
        plan = self._plan
        stats = tables[:, plan.columns]
        means, valid, stds = stats[..., MEAN], stats[..., N] > 0, stats[..., STD]
        atol = zero_tolerances(tables, plan)
        i, k = 0, len(steps)
        while i < k:
            quiet = plan.checker.quiet_rows(means[i:], valid[i:], stds[i:], self._skip(), atol[i:])
            event, model = i + quiet, []
            for j in range(i, i + quiet):  # model-level rules batch by batch; they may fire earlier
                model = self._model_rules(tables[j])
                if model:
                    event = j
                    break
            plan.checker.advance(means[i:event], valid[i:event], stds[i:event], atol[i:event])
            self._record(steps[i:event], tables[i:event], base)
            if event == k:
                break
            step = int(steps[event])
            self._record(steps[event : event + 1], tables[event : event + 1], base)
            hits = plan.checker.update(means[event], valid[event], stds[event], atol[event])
            if event == i + quiet:  # the first non-quiet row: the monitors have not seen it yet
                model = self._model_rules(tables[event])
            wall = end_times[bisect.bisect_left(ends, step)] if ends and step <= ends[-1] else None
            found = self._report(hits, model, tables[event], step - base - 1, wall)
            if found and self.on_fault != "record":
                self._act(found[0], step)
                return
            i = event + 1

    def _record(self, steps: np.ndarray, tables: np.ndarray, base: int) -> None:
        """Count the checked batches, keep them in the trace and as the previous table."""
        if not len(steps):
            return
        if self.trace is not None:
            for step, table in zip(steps.tolist(), tables):
                self.trace.append(self._epoch, step - base - 1, step - self._start_step, table)
        self.iterations += len(steps)
        self._last_step = int(steps[-1])
        self._prev_table, self._table = (self._table if len(steps) == 1 else tables[-2]), tables[-1]

    def _model_rules(self, table: np.ndarray) -> list[tuple[int | None, str, dict]]:
        """The rules that read several slots (MDL; the bench profile's) for one batch: the new
        fires only."""
        fired = self._plan.model_rules(table)
        return [hit for hit in fired if self._key(hit[0], hit[1]) not in self._seen]

    def _key(self, position: int | None, rule: str) -> tuple:
        """What makes a finding distinct (``record`` mode keeps the first of each)."""
        slot = Slot(LOSS) if position is None else self._plan.order[position]
        info = self._layers[slot.layer] if slot.layer is not None else None
        code = finding_code(slot, rule, info)
        return (code, info.index if info else None, finding_quantity(slot, info), rule)

    def _skip(self) -> np.ndarray | None:
        """``(slots, 3)``: the (slot, rule) fires that would add nothing (already reported)."""
        if not self._seen:
            return None
        if self._skip_for != len(self._seen):
            order = self._plan.order
            self._skip_mask = np.array(
                [[self._key(p, rule) in self._seen for rule in _RULES] for p in range(len(order))],
                bool,
            )
            self._skip_for = len(self._seen)
        return self._skip_mask

    def _report(self, hits: list[tuple[int, str]], model: list[tuple[int | None, str, dict]],
                table: np.ndarray, batch: int, wall: float | None) -> list[Finding]:
        """Turn one batch's fires into findings (Algorithm 1's order; new ones only)."""
        hits = merge_hits(hits, model, self._plan.mdl_position)
        self._model_evidence = {(position, rule): ev for position, rule, ev in model}
        new: list[Finding] = []
        for position, rule in hits:
            key = self._key(position, rule)
            if key in self._seen:
                continue
            finding = self._finding(position, rule, table, batch, wall)
            self._seen.add(key)
            self.findings.append(finding)
            new.append(finding)
            if self.verbose:
                print(f"DeepLocalize: {finding.message}", flush=True)
                print(
                    f"  hint (heuristic): {finding.hint or 'none'} ({finding.evidence['hint']})",
                    flush=True,
                )
            if self.on_fault != "record":
                break
        return new

    def _act(self, finding: Finding, step: int) -> None:
        """Stop checking and ask training to stop (or raise). Keras' own step comes back at
        the first batch end at or after ``step + HOLD`` steps (``HOLD``: the ring's capacity in
        steps), not at this read: the read's batch depends on time (:data:`MAX_DELAY_S`), and
        the instrumented step does not round exactly as Keras' does, so a run that trains on
        (the harness' shared runs) would otherwise not repeat its losses. Every read comes
        within the ring's capacity of the batch that fired, so this is never earlier."""
        self._active = False
        if self.on_fault == "raise":
            self._release()
            raise FaultDetected(finding)
        assert self._probe is not None
        spe = max(1, int(getattr(self.model, "steps_per_execution", 1) or 1))
        self._release_at = step + self._probe.ring_calls * spe
        self.model.stop_training = True

    def _release(self) -> None:
        if self._probe is not None:
            self._probe.release(self)
            self._probe = None

    # -- findings -------------------------------------------------------------------------------

    def _finding(self, position: int | None, rule: str, table: np.ndarray, batch: int,
                 wall: float | None) -> Finding:
        history = self.trace.tables() if self.trace is not None and len(self.trace) else None
        return compose_finding(
            self._plan, self.settings, self._layers, self._probe.index, position, rule, table,
            model_evidence=self._model_evidence.get((position, rule)), previous=self._prev_table,
            history=history, epoch=self._epoch, batch=batch, iteration=self.iterations,
            wall_s=(wall or time.perf_counter()) - (self.started_at or 0.0),
            loss_name=self._loss_name, from_logits=self._from_logits,
            learning_rate=learning_rate(self.model),
        )
