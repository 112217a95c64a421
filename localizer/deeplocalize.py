"""DeepLocalize (Wardat, Le, Rajan, ICSE 2021) as a Keras 3 callback."""

from __future__ import annotations

import math
import time
from typing import Any

import keras
import numpy as np

from baselines.base import Finding
from localizer.hints import HintContext, suggest
from localizer.probe import (
    ACCURACY,
    DELTA_WEIGHTS,
    INPUT_GRADIENTS,
    INPUTS,
    LOSS,
    OUTPUT,
    OUTPUT_GRADIENTS,
    PRE,
    QUANTITIES,
    WEIGHT_GRADIENTS,
    WEIGHTS,
    LayerInfo,
    Probe,
    Slot,
)
from localizer.rules import (
    INF,
    MAX,
    MEAN,
    MIN,
    NAN,
    NOT_LEARNING,
    NUMERICAL,
    PROFILES,
    STATS,
    STD,
    UNCHANGED,
    ZERO,
    ZERO_FRAC,
    N,
    ProgressMonitor,
    RuleSettings,
    SlotChecker,
)
from localizer.trace import Trace

ON_FAULT = ("stop", "raise", "record")

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

_RELU_LIKE = ("relu", "relu6", "elu", "selu", "silu", "gelu")

#: What each profile's rules and hints read; the probe summarises only these by default.
PROFILE_QUANTITIES = {
    "paper": (INPUTS, LOSS, ACCURACY, PRE, OUTPUT, WEIGHTS, DELTA_WEIGHTS, INPUT_GRADIENTS),
    "released": (
        INPUTS, LOSS, ACCURACY, OUTPUT, OUTPUT_GRADIENTS, WEIGHTS, DELTA_WEIGHTS, WEIGHT_GRADIENTS,
    ),
}
_BACKWARD = (WEIGHTS, DELTA_WEIGHTS, WEIGHT_GRADIENTS, OUTPUT_GRADIENTS, INPUT_GRADIENTS)


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
            as MDL, also checks the gradients w.r.t. each layer's output). Defaults to
            `"paper"`.
        on_fault: What to do at a finding. ``"stop"`` sets ``model.stop_training`` like the
            paper (training ends after this batch; every callback's ``on_train_end`` runs),
            then stops checking. ``"raise"`` restores the model's training step and raises
            :class:`FaultDetected` at once (other callbacks' ``on_train_end`` do not run).
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
        findings: :class:`~baselines.base.Finding` list of the last ``fit`` call; the first is
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
        quantities = QUANTITIES if self.record_all else PROFILE_QUANTITIES[self.profile]
        probe = Probe.acquire(self.model, self, quantities)
        self._probe = probe
        self._active = True
        self._last_step = probe.step
        self._layers: tuple[LayerInfo, ...] = probe.layers
        self.trace = Trace(probe.slots, probe.layers, self.trace_length)
        self._plan_checks(probe)
        self._loss_name, self._from_logits = _loss_info(self.model)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch
        self._epoch_steps = 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.steps_run += self._epoch_steps
        self._epoch_steps = 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._epoch_steps = batch + 1
        if not self._active or self._probe is None:
            return
        steps, tables = self._probe.rows_after(self._last_step)
        k = len(steps)
        for j in range(k):
            self._last_step = int(steps[j])
            self.iterations += 1
            table = tables[j]
            this_batch = batch - (k - 1 - j)  # steps_per_execution > 1: several steps per call
            if self.trace is not None:
                self.trace.append(self._epoch, this_batch, self.iterations, table)
            found = self._check(table, this_batch)
            self._prev_table = table
            if found and self.on_fault != "record":
                self._act(found[0])
                return

    def on_train_end(self, logs: dict | None = None) -> None:
        self.steps_run += self._epoch_steps  # an epoch cut short has no on_epoch_end
        self._epoch_steps = 0
        self._release()
        if self.verbose >= 2 and not self.findings:
            print(
                f"DeepLocalize: no fault found in {self.iterations} batches (CM).", flush=True
            )

    # -- checks ---------------------------------------------------------------------------------

    def _plan_checks(self, probe: Probe) -> None:
        """The slots to check, in Algorithm 1's order for this profile, and which rules apply."""
        layers = self._layers
        order: list[Slot] = []
        if self.settings.name == "paper":
            for info in layers:
                if info.has_pre:
                    order.append(Slot(PRE, info.index))
                order.append(Slot(OUTPUT, info.index))
            order += [Slot(LOSS), Slot(ACCURACY)]
            self._mdl_position: int | None = len(order)
            # Backward, last layer first (Algorithm 1 step 6): Δweights and weights of a layer
            # with trainable weights; the gradient flowing back through a layer without them.
            for info in reversed(layers):
                if info.has_weights:
                    order += [Slot(DELTA_WEIGHTS, info.index), Slot(WEIGHTS, info.index)]
                else:
                    order.append(Slot(INPUT_GRADIENTS, info.index))
        else:
            order += [Slot(OUTPUT, info.index) for info in layers]
            order += [Slot(WEIGHTS, info.index) for info in reversed(layers)]
            order += [Slot(LOSS), Slot(ACCURACY)]
            self._mdl_position = None
            order += [
                Slot(WEIGHT_GRADIENTS, info.index)
                for info in reversed(layers)
                if info.cls == "Dense"
            ]
            order += [Slot(OUTPUT_GRADIENTS, info.index) for info in reversed(layers)]
        numerical, zero, unchanged, zero_fractions = [], [], [], []
        for slot in order:
            info = layers[slot.layer] if slot.layer is not None else None
            numerical.append(True)
            # Paper EAF "accuracy 0": a batch of an untrained model often scores 0, so only an
            # accuracy of 0 in *every* batch so far counts (from min_iterations on).
            zero_fractions.append(
                1.0 if slot.quantity == ACCURACY else self.settings.zero_fraction
            )
            if self.settings.name == "paper":
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
        self._order = order
        self._columns = np.array([probe.index[slot] for slot in order], dtype=np.int64)
        self._w_cols = np.array([probe.index[Slot(WEIGHTS, i.index)] for i in layers], np.int64)
        self._dw_cols = np.array(
            [probe.index[Slot(DELTA_WEIGHTS, i.index)] for i in layers], np.int64
        )

        self._checker = SlotChecker(
            self.settings,
            numerical=numerical,
            zero=zero,
            unchanged=unchanged,
            zero_fractions=zero_fractions,
        )
        self._progress = (
            ProgressMonitor(self.settings) if self.settings.mdl == "progress" else None
        )

    def _update_ratios(self, tables: np.ndarray) -> np.ndarray:
        """Largest ``‖ΔW‖/‖W‖`` over layers for each of ``tables`` (NaN where unknown)."""
        w, dw = tables[:, self._w_cols], tables[:, self._dw_cols]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = np.hypot(dw[..., MEAN], dw[..., STD]) / np.hypot(w[..., MEAN], w[..., STD])
        ratios[(w[..., N] <= 0) | (dw[..., N] <= 0) | ~np.isfinite(ratios)] = -np.inf
        best = ratios.max(axis=1) if ratios.shape[1] else np.full(len(tables), -np.inf)
        return np.where(np.isfinite(best), best, np.nan)

    def _check(self, table: np.ndarray, batch: int) -> list[Finding]:
        stats = table[self._columns]
        hits: list[tuple[int | None, str]] = list(
            self._checker.update(stats[:, MEAN], stats[:, N] > 0, stats[:, STD])
        )
        if self._progress is not None:
            index = self._probe.index
            loss = float(table[index[Slot(LOSS)], MEAN])
            acc_row = table[index[Slot(ACCURACY)]]
            acc = float(acc_row[MEAN]) if acc_row[N] > 0 else None
            mdl = self._progress.update(loss, acc)
            if mdl is not None:
                pos = self._mdl_position
                hits = [h for h in hits if h[0] < pos] + [(None, NOT_LEARNING)] + [
                    h for h in hits if h[0] >= pos
                ]
                self._mdl_evidence = mdl
        new: list[Finding] = []
        for position, rule in hits:
            finding = self._finding(position, rule, table, batch)
            key = (finding.code, finding.layer_index, finding.quantity, rule)
            if key in self._seen:
                continue
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

    def _act(self, finding: Finding) -> None:
        self._active = False
        self._release()
        if self.on_fault == "raise":
            raise FaultDetected(finding)
        self.model.stop_training = True

    def _release(self) -> None:
        if self._probe is not None:
            self._probe.release(self)
            self._probe = None

    # -- findings -------------------------------------------------------------------------------

    def _finding(self, position: int | None, rule: str, table: np.ndarray, batch: int) -> Finding:
        slot = Slot(LOSS) if position is None else self._order[position]
        info = self._layers[slot.layer] if slot.layer is not None else None
        row = table[self._probe.index[slot]]
        code = _code(slot, rule, info)
        quantity = _quantity(slot, info)
        evidence: dict[str, Any] = {"rule": rule}
        if rule == NOT_LEARNING:
            evidence.update(self._mdl_evidence)
        else:
            evidence.update({name: float(row[k]) for k, name in enumerate(STATS)})
        if rule == ZERO:
            evidence["zero_count"] = int(self._checker.zero_counts[position])
            evidence["observations"] = int(self._checker.observations[position])
            evidence["zero_fraction_threshold"] = self.settings.zero_fraction
        if rule == UNCHANGED:
            values = self._checker.fired_windows.get(position, np.zeros(0))
            evidence["window"] = self.settings.window
            evidence["window_min"] = float(values.min()) if values.size else None
            evidence["window_max"] = float(values.max()) if values.size else None
        hint, reason = suggest(self._hint_context(slot, info, code, rule, quantity, table))
        evidence["hint"] = reason
        if info is not None:
            target = "layer"
        elif slot.quantity == LOSS and code == "ELF":
            target = "loss"
        else:
            target = "model"
        return Finding(
            code=code,
            message=self._message(code, rule, slot, info, row, evidence, batch),
            target=target,
            layer_index=info.index if info else None,
            layer_name=info.name if info else None,
            layer_class=info.cls if info else None,
            phase=_phase(code, slot),
            quantity=quantity,
            epoch=self._epoch,
            batch=batch,
            iteration=self.iterations,
            wall_s=round(time.perf_counter() - (self.started_at or 0.0), 6),
            hint=hint,
            evidence=_json_safe(evidence),
        )

    def _hint_context(
        self, slot: Slot, info: LayerInfo | None, code: str, rule: str, quantity: str,
        table: np.ndarray,
    ) -> HintContext:
        index = self._probe.index
        x = table[index[Slot(INPUTS)]]
        has_x = x[N] > 0
        recent_tables = [table] if self._prev_table is None else [table, self._prev_table]
        recent = [r for r in self._update_ratios(np.stack(recent_tables)) if r == r]
        history = self.trace.tables() if self.trace is not None and len(self.trace) else None
        peak = [r for r in self._update_ratios(history) if r == r] if history is not None else []
        peak = max(peak + recent) if peak or recent else float("nan")
        grad_zero = None
        if info is not None:
            g = table[index[Slot(WEIGHT_GRADIENTS, info.index)]]
            if g[N] > 0:
                grad_zero = bool(g[ZERO_FRAC] == 1.0)
        computing = [
            layer.index for layer in self._layers if table[index[Slot(OUTPUT, layer.index)], N] > 0
        ]
        dead = [
            layer.index
            for layer in self._layers
            if layer.activation in _RELU_LIKE
            and table[index[Slot(OUTPUT, layer.index)], N] > 0
            and table[index[Slot(OUTPUT, layer.index)], ZERO_FRAC] == 1.0
        ]
        position = self._order.index(slot) if slot in self._order else None
        since_start = (
            position is not None
            and rule == ZERO
            and self._checker.zero_counts[position] == self._checker.observations[position]
        )
        return HintContext(
            code=code,
            rule=rule,
            quantity="output" if slot.quantity == OUTPUT else quantity,
            layer=info,
            first_layer=bool(info is not None and computing and info.index == computing[0]),
            iteration=self.iterations,
            output_layer=self._layers[-1],
            loss_name=self._loss_name,
            from_logits=self._from_logits,
            input_max_abs=float(max(abs(x[MIN]), abs(x[MAX]))) if has_x else float("nan"),
            input_nonfinite=bool(has_x and (x[NAN] > 0 or x[INF] > 0)),
            input_constant=bool(has_x and x[N] > 1 and x[STD] == 0.0),
            update_ratio=max(recent) if recent else float("nan"),
            max_update_ratio=peak,
            weight_gradient_zero=grad_zero,
            zero_since_start=bool(since_start),
            dead_relu_layer=dead[0] if dead else None,
            learning_rate=_learning_rate(self.model),
        )

    def _message(
        self, code: str, rule: str, slot: Slot, info: LayerInfo | None, row: np.ndarray,
        evidence: dict[str, Any], batch: int,
    ) -> str:
        where = f"at epoch {self._epoch}, batch {batch} (iteration {self.iterations})"
        if rule == NOT_LEARNING:
            ev = evidence
            text = (
                f"after {ev['batches']} batches the mean loss of the last {ev['window']} batches "
                f"({ev['recent_mean_loss']:.4g}) is not {self.settings.mdl_min_delta:.0%} below "
                f"that of the first {ev['window']} ({ev['first_mean_loss']:.4g})"
            )
            if "recent_mean_accuracy" in ev:
                text += (
                    f" and the mean accuracy did not rise ({ev['first_mean_accuracy']:.3f} → "
                    f"{ev['recent_mean_accuracy']:.3f})"
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
            seen = f"had a {_fmt(row[MEAN])} mean ({int(row[NAN])} NaN, {int(row[INF])} Inf values)"
            if info is None:
                seen = f"was {_fmt(row[MEAN])}"
        elif rule == ZERO:
            zero = "was all zeros" if self.settings.zero_std else "had a mean of exactly 0"
            seen = f"{zero} in {evidence['zero_count']} of {evidence['observations']} batches"
        else:
            stat = "mean and std" if self.settings.unchanged_std else "mean"
            seen = f"kept the same {stat} ({_fmt(row[MEAN])}) for {self.settings.window} batches"
        return f"{CODES[code]} {subject} {seen}, {where}.".replace(" : ", ": ")


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


def _code(slot: Slot, rule: str, info: LayerInfo | None) -> str:
    q = slot.quantity
    if rule == NOT_LEARNING:
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


def _phase(code: str, slot: Slot) -> str | None:
    if code == "MDL":
        return None
    return "backward" if slot.quantity in _BACKWARD else "forward"


def _quantity(slot: Slot, info: LayerInfo | None) -> str:
    if slot.quantity == OUTPUT:
        return "post_activation" if info is not None and info.has_activation else "pre_activation"
    return slot.quantity


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    return f"{value:.6g}"


def _json_safe(value: Any) -> Any:
    """Non-finite floats become the strings ``"nan"``, ``"inf"``, ``"-inf"``; numpy → Python."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def _learning_rate(model: keras.Model) -> float:
    """The optimizer's current learning rate, NaN when it cannot be read."""
    try:
        return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    except (AttributeError, TypeError, ValueError):
        return float("nan")


def _loss_info(model: keras.Model) -> tuple[str | None, bool]:
    """The compiled loss' name and whether it takes logits (best effort, first output)."""
    loss = getattr(model, "loss", None)
    if isinstance(loss, dict):
        loss = next(iter(loss.values()), None)
    if isinstance(loss, (list, tuple)):
        loss = loss[0] if loss else None
    if loss is None:
        return None, False
    if isinstance(loss, str):
        return loss, False
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__
    kwargs = getattr(loss, "_fn_kwargs", None) or {}
    from_logits = bool(getattr(loss, "from_logits", False) or kwargs.get("from_logits", False))
    return str(name), from_logits
