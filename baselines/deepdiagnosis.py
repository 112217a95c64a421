"""DeepDiagnosis (Wardat, Dantas Cruz, Le, Rajan — ICSE 2022) for Keras 3.

Re-implemented from the symptoms, helper checks and thresholds summarised in
``shared/research/peers.md`` §1.1 (PDF Tables 2–4, §3.4 Fig. 2; released
``callback/callbacks.py``). The symptom rules and the symptom → fix decision tree are pure
functions on plain numbers (:mod:`baselines.deepdiagnosis_rules`); :class:`DeepDiagnosisDetector`
feeds them from DeepLocalize's probe and :class:`baselines.recorder.Recorder`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np

from baselines.base import Detector, Finding, StopEvent, Verdict, first_early
from baselines.deepdiagnosis_rules import (
    ACTIVATION,
    ANIS,
    BW,
    DEFAULTS,
    DNS,
    FIX_TARGET,
    FIX_TEXT,
    FW,
    IAS,
    ILS,
    LNDS,
    LOSS,
    NS,
    ORS,
    SAS,
    SYMPTOMS,
    UCS,
    VGS,
    Facts,
    W,
    dead,
    decide_fix,
    improper_data,
    learning_rate_off,
    mean_abs_bound,
    numerical_error,
    out_of_range,
    poor_weight,
    saturated,
    unchanged,
    vanishing,
)
from baselines.epoch_logs import as_float, logged_accuracy
from baselines.model_info import learning_rate, loss_info
from baselines.recorder import ProgramClock, Recorder, RecorderState, ToolCallback, acquire_probe
from localizer.probe import OUTPUT, WEIGHT_GRADIENTS, WEIGHTS, LayerInfo, Probe, Slot
from localizer.rules import INF, MAX, MEAN, MIN, NAN, STD, ZERO_FRAC
from localizer.rules import N as COUNT

# -- the detector -------------------------------------------------------------------------------


class DeepDiagnosisDetector(Detector):
    """DeepDiagnosis' 8 symptoms, invalid loss/accuracy and its symptom -> fix tree.

    Symptoms (peers.md §1.1, PDF Table 2; thresholds in :class:`Thresholds`):

    - **NS** numerical error: the mean of a layer's output (FW), weights (W) or weight
      gradient (BW) is NaN, Inf or exactly 0 (with every value 0, see below).
    - **UCS** unchanged: the mean and standard deviation of a layer's output, weights or
      weight gradient are the same over the last N = 5 checks.
    - **SAS** saturated activation: > 50 % of a sigmoid/tanh layer's pre-activations have
      ``|x| ≥ 5``.
    - **DNS** dead node: ≥ 70 % of a ReLU layer's outputs are ≤ 0.
    - **ORS** out of range: the output activation's range cannot hold the labels (see
      :func:`out_of_range`); checked at the first check of a ``fit`` call.
    - **LNDS** / **ANIS**: the epoch loss / accuracy is the same over N = 5 checks.
    - **VGS** vanishing gradient: a layer's mean |weight gradient| < 1e-7.
    - **ILS** / **IAS**: the epoch loss is NaN/Inf; the epoch accuracy is NaN/Inf or 0.

    Helper checks (PDF Table 3): *ImproperData* (inputs outside [-1, 1]),
    *WeightInitialization* (a layer's weight variance outside [1e-5, 10]), *TuneLearn*
    (``lr·‖ΔW‖/‖W‖`` outside [1e-5, 1e-1]). :func:`decide_fix` is the symptom -> fix tree; the
    fix decides the finding's target and fault category (activation -> the layer, with
    ``missing_activation`` when that layer has none and ``wrong_activation`` otherwise; learning
    rate -> hyperparameter; data -> data, ``input_normalisation``; loss -> loss; optimizer ->
    optimizer; initialisation -> the layer; number of layers -> model, ``architecture``).

    Where our reading had to choose (the release, ``callback/callbacks.py``, vs the paper):

    - **Cadence.** One check per epoch end, as the release. The quantities are those of the
      epoch's last training step, from DeepLocalize's probe (the release re-runs the first batch
      of the data); labels and inputs come from every training batch seen so far.
    - **Order.** Per check: forward per layer (ORS, NS, DNS, SAS), UCS of the outputs, then ILS,
      LNDS, IAS, ANIS, then per layer with weights from the last one (NS of the gradient, VGS,
      NS of the weights) and UCS of gradients and weights. The first symptom wins.
    - **NS "0"** counts only when the whole tensor is 0 (mean and standard deviation 0), as in
      DeepLocalize's paper profile: under softmax and cross-entropy the mean of the last
      layer's weight gradient is 0 by construction (each row of ``p − y`` sums to 0), so the
      mean alone reports healthy classifiers whenever float rounding lands on 0.
    - **"Δweights"** are weight gradients, as in the release; VGS uses an upper bound of mean
      |g| (the smaller of the RMS and max |g|, all the probe's STATS allow), so it fires only
      when the mean is surely below 1e-7.
    - **LNDS** is implemented as published (the release crashes in that branch, so it never
      fired). **ANIS** uses the paper's N = 5 (the release: 20). "Not decreasing/increasing" is
      read as the release does: the value stayed exactly the same over the window.
    - **IAS / ANIS** read only a *classification* accuracy (DeepLocalize's rule,
      :func:`baselines.epoch_logs.logged_accuracy`); any other counts as not logged. Keras gives
      a regression compiled with ``metrics=["accuracy"]`` a ``BinaryAccuracy`` that is 0 on
      continuous targets: read as is, IAS ("accuracy 0") stopped such healthy regressions at
      their first check.
    - **UCS** compares mean *and* standard deviation (the release: the mean alone). A softmax
      output's mean is 1/K whatever the weights, and under SGD so is the mean of the last
      layer's weights, so the mean alone flags every healthy classifier. The release avoids the
      output case by skipping the last layer, which makes its own "last layer -> activation"
      branch unreachable and hides a constant output; we check it (Flatten layers skipped). All
      layers with weights are checked, not only those *named* ``dense``.
    - **DNS** runs at every check (the release only when the epoch index equals epochs − 1).
      **SAS** at every check (the release: every N-th) on the layer whose activation is sigmoid
      or tanh (the release: the layer before an ``Activation`` layer *named* so).
    - **ORS**: the release's fix helper always answers "softmax" (its condition is always true);
      both of its answers change the last layer's activation, which is what we report. With
      ``from_logits=True`` a linear output is in range.
    - **WeightInitialization** uses each layer's kernel variance at the start of training (the
      release computes it on a per-layer *mean*, so it never fires; after divergence current
      weights would blame the initialiser for a learning-rate fault). **TuneLearn** uses the
      weight gradients and weights of the checked step; NaN ratios are "unknown".
    - **NS in BW** at the last layer with weights (the release: the second-to-last entry of
      ``model.layers``, in its models the last Dense) suggests the loss first.

    Stopping: DeepDiagnosis terminates training at its first symptom, so this detector requests
    a stop and stops checking that ``fit`` call.
    """

    name = "deepdiagnosis"
    version = "1"
    description = "DeepDiagnosis (ICSE'22): 8 symptoms + invalid loss/accuracy, symptom -> fix"
    localizes = True
    thresholds = DEFAULTS

    def __init__(self) -> None:
        self.clock = ProgramClock()
        self.findings: list[Finding] = []
        self.categories: list[str | None] = []
        self.notes: list[str] = []
        self.fit_calls = 0
        self.initial_variance: dict[int, float] | None = None

    def callbacks(self) -> list[keras.callbacks.Callback]:
        self.fit_calls += 1
        return [_DeepDiagnosisCallback(self)]

    def findings_so_far(self) -> Sequence[Finding]:
        """The findings so far (they only grow), streamed by the worker while training runs."""
        return tuple(self.findings)

    def verdict(self, stops: Sequence[StopEvent]) -> Verdict:
        return Verdict(
            detected=bool(self.findings),
            stop=first_early(stops),
            findings=tuple(self.findings),
            category=self.categories[0] if self.categories else None,
            raw={
                "symptoms": [f.code for f in self.findings],
                "fixes": [f.evidence.get("fix") for f in self.findings],
                "fit_calls": self.fit_calls,
                "notes": self.notes,
            },
        )


def kernel_variances(model: keras.Model) -> dict[int, float]:
    """Layer index -> variance of all its weight arrays of rank >= 2 (kernels)."""
    out: dict[int, float] = {}
    for i, layer in enumerate(model.layers):
        kernels = [np.ravel(keras.ops.convert_to_numpy(w)) for w in layer.trainable_weights
                   if len(w.shape) >= 2]
        if kernels:
            out[i] = float(np.var(np.concatenate(kernels)))
    return out


class _DeepDiagnosisCallback(ToolCallback):
    def __init__(self, detector: DeepDiagnosisDetector) -> None:
        super().__init__(detector.clock)
        self.detector = detector
        self.t = detector.thresholds
        self.probe: Probe | None = None
        self.recorder: Recorder | None = None
        self.done = False
        self.checks = 0
        self.history: dict[tuple[str, int | None], list[float]] = {}

    # -- hooks --------------------------------------------------------------------------------

    def on_train_begin(self, logs: dict | None = None) -> None:
        super().on_train_begin(logs)
        model = self.model
        self.probe, reason = acquire_probe(model, self)
        if self.probe is None:
            self.detector.notes.append(f"no layer checks: {reason}")
        self.recorder = Recorder.acquire(model, self, retrace="train_step" not in vars(model))
        self.layers: tuple[LayerInfo, ...] = self.recorder.layers
        self.weighted = [i for i, layer in enumerate(model.layers) if layer.trainable_weights]
        if self.detector.initial_variance is None:
            self.detector.initial_variance = kernel_variances(model)
        self.loss_name, self.from_logits = loss_info(model)

    def on_train_end(self, logs: dict | None = None) -> None:
        self._release()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.done:
            return
        self.checks += 1
        table = None
        if self.probe is not None:
            _, tables = self.probe.rows_after(0)
            table = tables[-1] if len(tables) else None
        state = self.recorder.read() if self.recorder is not None else RecorderState()
        hit = self._check(table, state, logs or {})
        if hit is not None:
            self._report(*hit, table=table, state=state)

    # -- one check ------------------------------------------------------------------------------

    def _row(self, table: np.ndarray | None, quantity: str, layer: int) -> np.ndarray | None:
        if table is None:
            return None
        slot = self.probe.index.get(Slot(quantity, layer))
        if slot is None or table[slot][COUNT] <= 0:
            return None
        return table[slot]

    def _unchanged(self, key: tuple[str, int | None], value: float | tuple[float, ...]) -> bool:
        values = self.history.setdefault(key, [])
        values.append(value)
        del values[: -self.t.window]
        return unchanged(values, self.t)

    def _check(self, table, state: RecorderState, logs: dict) -> tuple | None:
        t = self.t
        last = len(self.layers) - 1
        # Forward, layer by layer.
        for info in self.layers:
            out = self._row(table, OUTPUT, info.index)
            if info.index == last and self.checks == 1 and out is not None and out[NAN] == 0:
                if out_of_range(info.activation, self.loss_name, self.from_logits,
                                (out[MIN], out[MAX]), (state.y_min, state.y_max), t):
                    return ORS, FW, info.index, "output", {
                        "output_range": [out[MIN], out[MAX]],
                        "label_range": [state.y_min, state.y_max],
                        "activation": info.activation or "linear"}
            if out is None:
                continue
            mean = out[MEAN] if out[NAN] + out[INF] == 0 else math.nan
            if numerical_error(mean, out[STD]):
                return NS, FW, info.index, "output", {"mean": mean}
            if info.activation == "relu" and dead(out[ZERO_FRAC], t):
                return DNS, FW, info.index, "output", {"share_nonpositive": out[ZERO_FRAC]}
            share = state.saturation.get(info.index)
            if share is not None and saturated(share, t):
                return SAS, FW, info.index, "pre_activation", {"share_saturated": share}
        for info in self.layers:
            out = self._row(table, OUTPUT, info.index)
            if out is None or info.cls == "Flatten":
                continue
            if self._unchanged(("output", info.index), (out[MEAN], out[STD])):
                return UCS, FW, info.index, "output", {"window": self.history[("output",
                                                                                info.index)]}
        # Metrics.
        loss = as_float(logs.get("loss"))
        if loss is not None and not math.isfinite(loss):
            return ILS, None, None, "loss", {"loss": loss}
        if loss is not None and self._unchanged(("loss", None), loss):
            return LNDS, None, None, "loss", {"window": self.history[("loss", None)]}
        acc = logged_accuracy(logs, state)  # None unless a classification accuracy
        if acc is not None and (not math.isfinite(acc) or acc == 0.0):
            return IAS, None, None, "accuracy", {"accuracy": acc}
        if acc is not None and self._unchanged(("accuracy", None), acc):
            return ANIS, None, None, "accuracy", {"window": self.history[("accuracy", None)]}
        # Backward, from the last layer with weights.
        for i in reversed(self.weighted):
            grad = self._row(table, WEIGHT_GRADIENTS, i)
            weights = self._row(table, WEIGHTS, i)
            if grad is not None:
                g_mean = grad[MEAN] if grad[NAN] + grad[INF] == 0 else math.nan
                if numerical_error(g_mean, grad[STD]):
                    return NS, BW, i, "weight_gradients", {"mean": g_mean}
                bound = mean_abs_bound(grad[COUNT], grad[MEAN], grad[STD], grad[MIN], grad[MAX])
                if vanishing(bound, t):
                    return VGS, BW, i, "weight_gradients", {"mean_abs_bound": bound}
            if weights is not None:
                w_mean = weights[MEAN] if weights[NAN] + weights[INF] == 0 else math.nan
                if numerical_error(w_mean, weights[STD]):
                    return NS, W, i, "weights", {"mean": w_mean}
        for i in reversed(self.weighted):
            for quantity, stage in ((WEIGHT_GRADIENTS, BW), (WEIGHTS, W)):
                row = self._row(table, quantity, i)
                if row is not None and self._unchanged((quantity, i), (row[MEAN], row[STD])):
                    return UCS, stage, i, quantity, {"window": self.history[(quantity, i)]}
        return None

    # -- helpers and the report -----------------------------------------------------------------

    def _facts(self, table, state: RecorderState) -> tuple[Facts, dict]:
        t = self.t
        variances = self.detector.initial_variance or {}
        poor = next((i for i, v in sorted(variances.items()) if poor_weight(v, t)), None)
        lr = learning_rate(self.model)
        ratios = {}
        if table is not None and lr is not None:
            for i in self.weighted:
                g, w = self._row(table, WEIGHT_GRADIENTS, i), self._row(table, WEIGHTS, i)
                if g is None or w is None:
                    continue
                g_norm = math.sqrt(g[COUNT] * (g[MEAN] ** 2 + g[STD] ** 2))
                w_norm = math.sqrt(w[COUNT] * (w[MEAN] ** 2 + w[STD] ** 2))
                ratios[i] = lr * g_norm / w_norm if w_norm > 0 else math.nan
        lr_off = any(learning_rate_off(r, t) for r in ratios.values())
        data_bad = state.x_count > 0 and improper_data(state.x_min, state.x_max, t)
        last = self.layers[-1]
        facts = Facts(
            improper_data=data_bad,
            poor_weight_layer=poor,
            learning_rate_off=lr_off,
            last_layer=last.index,
            last_weighted_layer=self.weighted[-1] if self.weighted else None,
            output_linear=last.activation in (None, "linear"),
            saturating_layer=next((i.index for i in self.layers[:-1]
                                   if i.activation in ("sigmoid", "tanh")), None),
        )
        helpers = {
            "improper_data": data_bad,
            "input_range": [state.x_min, state.x_max],
            "poor_weight_layer": poor,
            "kernel_variances": {str(k): v for k, v in variances.items()},
            "learning_rate": lr,
            "update_ratios": {str(k): v for k, v in ratios.items()},
            "learning_rate_off": lr_off,
        }
        return facts, helpers

    def _report(self, symptom, stage, layer, quantity, values, *, table, state) -> None:
        facts, helpers = self._facts(table, state)
        fix = decide_fix(symptom, stage, layer, facts)
        target, category, hint = FIX_TARGET[fix.kind]
        model_layers = self.model.layers
        fix_layer = fix.layer if target == "layer" else None
        if fix.kind == ACTIVATION and fix_layer is not None:
            if self.layers[fix_layer].activation in (None, "linear"):
                category = "missing_activation"
        where = f"epoch {self.epoch}"
        if layer is not None:
            where += f" layer {layer} ({model_layers[layer].name}, {self.layers[layer].cls})"
        stage_text = {FW: " in the forward pass", W: " in the weights",
                      BW: " in the weight gradients", None: ""}[stage]
        fix_text = FIX_TEXT[fix.kind]
        if fix_layer is not None:
            fix_text += f" of layer {fix_layer} ({model_layers[fix_layer].name})"
        if fix.kind == LOSS:
            fix_text += f" (or the activation of layer {layer})"
        self.detector.findings.append(
            Finding(
                code=symptom,
                message=(f"DeepDiagnosis: {where}: {SYMPTOMS[symptom]}{stage_text}, "
                         f"terminating training -> {fix_text}."),
                target=target,
                layer_index=fix_layer,
                layer_name=model_layers[fix_layer].name if fix_layer is not None else None,
                layer_class=self.layers[fix_layer].cls if fix_layer is not None else None,
                phase={FW: "forward", W: "forward", BW: "backward"}.get(stage),
                quantity=quantity,
                epoch=self.epoch,
                batch=None,
                iteration=self.clock.iteration,
                wall_s=self.clock.wall_s(),
                hint=hint,
                evidence={
                    "symptom": SYMPTOMS[symptom],
                    "stage": stage,
                    "symptom_layer": layer,
                    "values": values,
                    "fix": fix.kind,
                    "fix_rule": fix.rule,
                    "helpers": helpers,
                },
            )
        )
        self.detector.categories.append(category)
        self.done = True
        self._release()
        self.model.stop_training = True

    def _release(self) -> None:
        if self.probe is not None:
            self.probe.release(self)
            self.probe = None
        if self.recorder is not None:
            self.recorder.release(self)
            self.recorder = None
