"""AUTOTRAINER (Zhang, Zhai, Ma, Shen — ICSE 2021), detection only, for Keras 3.

Re-implemented from the rules and default thresholds summarised in
``shared/research/peers.md`` §1.2 (paper Table I and §V-D, released ``AutoTrainer/utils/
monitor.py`` and ``reproduce.py``). Nothing is repaired: where AUTOTRAINER would stop training
and start its repair loop, this detector records the problem and requests a stop. The rules on
plain numbers are in :mod:`baselines.autotrainer_rules`.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from baselines.autotrainer_rules import (
    DEFAULTS,
    DR,
    EG,
    OL,
    PROBLEMS,
    SC,
    VG,
    GradientSummary,
    gradient_problem,
    largest_gain,
    loss_blown,
    oscillating,
    slow_convergence,
    summarize_gradients,
    unsatisfactory,
)
from baselines.base import Detector, Finding, StopEvent, Verdict, first_early
from baselines.epoch_logs import as_float, logged_accuracy, reads_accuracy
from baselines.model_info import loss_info
from baselines.recorder import ProgramClock, Recorder, RecorderState, ToolCallback, acquire_probe
from localizer.probe import WEIGHT_GRADIENTS, WEIGHTS, Probe, Slot
from localizer.rules import INF, NAN
from localizer.rules import N as COUNT

# -- the detector -------------------------------------------------------------------------------


class AutoTrainerDetector(Detector):
    """AUTOTRAINER's five problems (ICSE'21), detection only, following peers.md §1.2.

    Rules and thresholds (defaults: :class:`Thresholds`, paper Table I, ``reproduce.py``):

    - **VG** vanishing gradient: at a gradient check, ``‖g_first‖/‖g_last‖ ≤ β1 = 1e-3`` and
      ``‖g_first‖ ≤ β2 = 1e-4`` while training is unsatisfactory.
    - **EG** exploding gradient: some gradient or weight is NaN/Inf (at any gradient check); or
      the epoch loss (or validation loss) is NaN/Inf, or — for a cross-entropy loss — ≥ 1e3
      (``monitor.py``'s "NaN loss"); or ``‖g_first‖/‖g_last‖ ≥ β3 = 70`` while training is
      unsatisfactory.
    - **DR** dying ReLU: the share of exactly-zero gradient entries over all layers is
      ``≥ γ = 0.7`` while training is unsatisfactory.
    - **SC** slow convergence: the largest gain of the epoch accuracy between consecutive
      checks is ``≤ δ = 0.01`` (training and, when logged, validation accuracy) while training is
      unsatisfactory.
    - **OL** oscillating loss: on the epoch accuracy curve, the local maxima/minima paired in
      order with ``max − min ≥ ζ = 0.03`` number ``≥ η = 20 %`` of the checks.
    - *Unsatisfactory* means the best epoch accuracy so far (training, or validation when logged)
      is ``≤ Θ = 0.6``, judged from the *judgment point* on: once 30 % of the planned epochs ran
      (``monitor.py``).

    Where our reading had to choose (peers.md §1.2 and the released ``monitor.py``):

    - **Cadence.** Gradient checks every 3 iterations (the paper; the released default is every 3
      epochs, ``checktype='epoch_3'``), on the gradients of that very training batch, taken from
      DeepLocalize's probe (no second forward/backward pass as the release does). Loss/accuracy
      checks at every epoch end (our benchmark programs run few epochs).
    - **α1–α3 = 0**: a gradient symptom is judged on the current check only (not "seen once
      since the start").
    - **Θ gate.** Peers.md's table states the accuracy condition for VG; the release's decision
      applies it to DR and the ratio form of EG too, and so do we (a run that reached its target
      has no problem to repair). We also gate SC, which the release does not: without the gate
      every run that converges within its first epoch would be "slow". Θ = 0.6 (``reproduce.py``
      and DeepDiagnosis' comparison; the paper makes it task-dependent, the callback default is
      0.7). OL is not gated (peers.md's table); the release only reports it on converged runs.
    - **Priority.** One batch's gradient problems in the release's order DR > EG > VG; at an epoch
      end the latest gradient check is judged before SC, then OL.
    - **Norms.** Per layer, kernel and bias gradients together (the probe summarises per layer;
      the release uses kernels only); first/last = first/last layer with trainable weights.
    - **No accuracy metric** (e.g. regression): the Θ gate is never open, so only the NaN form
      of EG can fire (AUTOTRAINER is accuracy-based). An accuracy that is not a
      *classification* accuracy counts as none, training and validation alike
      (:func:`baselines.epoch_logs.logged_accuracy`, DeepLocalize's rule): Keras gives a
      regression compiled with ``metrics=["accuracy"]`` a ``BinaryAccuracy`` that is 0 on
      continuous targets; judged as AUTOTRAINER would, it opened the Θ gate of such healthy
      regressions and reported them as SC.
    - **Loss limit.** The ≥ 1e3 "NaN loss" applies to cross-entropy losses only (AUTOTRAINER's
      classification models; an MSE on raw targets is routinely above 1e3).

    Stopping: at its first problem AUTOTRAINER stops training to repair it, so this detector
    requests a stop (``model.stop_training``) and stops checking that ``fit`` call. Findings
    target the ``model`` (AUTOTRAINER does not localize) and name no fault category: its
    problems are symptoms whose repairs span several categories.
    """

    name = "autotrainer"
    version = "1"
    description = "AUTOTRAINER (ICSE'21) problem detection: VG, EG, DR, OL, SC (no repair)"
    localizes = False
    thresholds = DEFAULTS

    def __init__(self) -> None:
        self.clock = ProgramClock()
        self.findings: list[Finding] = []
        self.notes: list[str] = []
        self.fit_calls = 0

    def callbacks(self) -> list[keras.callbacks.Callback]:
        self.fit_calls += 1
        return [_AutoTrainerCallback(self)]

    def findings_so_far(self) -> Sequence[Finding]:
        """The findings so far (they only grow), streamed by the worker while training runs."""
        return tuple(self.findings)

    def verdict(self, stops: Sequence[StopEvent]) -> Verdict:
        return Verdict(
            detected=bool(self.findings),
            stop=first_early(stops),
            findings=tuple(self.findings),
            raw={
                "problems": [f.code for f in self.findings],
                "fit_calls": self.fit_calls,
                "notes": self.notes,
            },
        )


class _AutoTrainerCallback(ToolCallback):
    def __init__(self, detector: AutoTrainerDetector) -> None:
        super().__init__(detector.clock)
        self.detector = detector
        self.t = detector.thresholds
        self.probe: Probe | None = None
        self.recorder: Recorder | None = None
        self.done = False
        self.gate: bool | None = None
        self.latest: GradientSummary | None = None
        self.accuracy: list[float] = []
        self.val_accuracy: list[float] = []
        self._last_step = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        super().on_train_begin(logs)
        self.probe, reason = acquire_probe(self.model, self)
        retrace = "train_step" not in vars(self.model)
        self.recorder = Recorder.acquire(self.model, self, retrace=retrace)  # which accuracy
        if self.probe is None:
            self.detector.notes.append(f"no gradient checks: {reason}")
            return
        self._last_step = self.probe.step
        self._grad_rows = [
            (info.index, self.probe.index[Slot(WEIGHT_GRADIENTS, info.index)],
             self.probe.index[Slot(WEIGHTS, info.index)])
            for info, layer in zip(self.probe.layers, self.model.layers)
            if layer.trainable_weights
        ]

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        super().on_train_batch_end(batch, logs)
        if self.done or self.probe is None:
            return
        steps, tables = self.probe.rows_after(self._last_step)
        for step, table in zip(steps, tables):
            self._last_step = int(step)
            if step % self.t.check_every:
                continue
            g = self._summary(table)
            if g is None:
                continue
            self.latest = g
            if g.nonfinite:
                self._report(EG, g, batch, "a gradient or weight is NaN/Inf")
                return
            if self.gate:
                problem = gradient_problem(g, self.t)
                if problem:
                    self._report(problem, g, batch, "at a gradient check")
                    return

    def _summary(self, table: np.ndarray) -> GradientSummary | None:
        rows = [(i, table[g], table[w]) for i, g, w in self._grad_rows if table[g][COUNT] > 0]
        if not rows:
            return None
        weights_bad = any(w[NAN] + w[INF] > 0 for _, _, w in rows)
        return summarize_gradients([i for i, _, _ in rows], np.stack([g for _, g, _ in rows]),
                                   weights_bad)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.done:
            return
        state = self.recorder.read() if self.recorder is not None else RecorderState()
        if not reads_accuracy(state):  # not a classification accuracy: as if none were logged
            self.accuracy.clear()
            self.val_accuracy.clear()
        for values, validation in ((self.accuracy, False), (self.val_accuracy, True)):
            value = logged_accuracy(logs, state, validation=validation)
            if value is not None:
                values.append(value)
        crossentropy = "crossentropy" in (loss_info(self.model)[0] or "")
        for key in ("loss", "val_loss"):
            value = as_float(logs.get(key))
            if loss_blown(value, crossentropy, self.t):
                self._report(EG, None, None, f"the epoch {key} is {value:.4g}")
                return
        if epoch + 1 < self.t.judgment_point * self.planned_epochs():
            return
        self.gate = unsatisfactory(
            max(self.accuracy) if self.accuracy else None,
            max(self.val_accuracy) if self.val_accuracy else None,
            self.t,
        )
        if self.gate:
            problem = gradient_problem(self.latest, self.t) if self.latest else None
            if problem:
                self._report(problem, self.latest, None, "at the latest gradient check")
                return
            if slow_convergence(self.accuracy, self.val_accuracy, self.t):
                self._report(SC, None, None, "")
                return
        if oscillating(self.accuracy, self.t):
            self._report(OL, None, None, "")

    def on_train_end(self, logs: dict | None = None) -> None:
        self._release()

    def _release(self) -> None:
        if self.probe is not None:
            self.probe.release(self)
            self.probe = None
        if self.recorder is not None:
            self.recorder.release(self)
            self.recorder = None

    def _report(self, code: str, g: GradientSummary | None, batch: int | None, why: str) -> None:
        t = self.t
        evidence: dict = {"problem": PROBLEMS[code]}
        best = max(self.accuracy) if self.accuracy else None
        if g is not None:
            evidence.update(ratio=g.ratio, first_norm=g.norms[0], last_norm=g.norms[-1],
                            zero_share=g.zero_share, nonfinite=g.nonfinite,
                            layers=[g.layers[0], g.layers[-1]])
        if best is not None:
            evidence["best_accuracy"] = best
        if code in (OL, SC):
            evidence["accuracy"] = list(self.accuracy)
        if code == VG:
            detail = (f"gradient-norm ratio first/last layer {g.ratio:.3g} <= {t.beta_1:g} and "
                      f"first layer's gradient norm {g.norms[0]:.3g} <= {t.beta_2:g}")
        elif code == EG and g is not None and not g.nonfinite:
            detail = f"gradient-norm ratio first/last layer {g.ratio:.3g} >= {t.beta_3:g}"
        elif code == EG:
            detail = why
        elif code == DR:
            detail = f"{g.zero_share:.0%} of the gradient entries are zero (>= {t.gamma:.0%})"
        elif code == SC:
            detail = (f"largest accuracy gain between checks {largest_gain(self.accuracy):.4f} "
                      f"<= {t.delta:g}")
        else:
            detail = (f"the accuracy curve oscillates by >= {t.zeta:g} in >= {t.eta:.0%} of "
                      "the checks")
        gated = code in (VG, DR, SC) or (code == EG and g is not None and not g.nonfinite)
        if gated and best is not None:
            detail += f", best accuracy {best:.4f} <= Θ = {t.theta:g}"
        self.detector.findings.append(
            Finding(
                code=code,
                message=f"AUTOTRAINER: {PROBLEMS[code]} ({code}): {detail}.",
                target="model",
                epoch=self.epoch,
                batch=batch,
                iteration=self.clock.iteration,
                wall_s=self.clock.wall_s(),
                evidence=evidence,
            )
        )
        self.done = True
        self._release()
        self.model.stop_training = True
