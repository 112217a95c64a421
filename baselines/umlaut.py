"""UMLAUT (Schoop, Huang, Hartmann — CHI 2021) heuristic checks, for Keras 3.

Re-implemented from the checks summarised in ``shared/research/peers.md`` §1.3 (released
``umlaut/heuristics.py``). The checks are pure functions on :class:`ModelFacts` /
:class:`EpochFacts` (:mod:`baselines.umlaut_checks`); :class:`UmlautDetector` builds those facts
from the compiled model, the epoch logs and :class:`baselines.recorder.Recorder` (the last
batches' inputs).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

from baselines.base import Detector, Finding, StopEvent, Verdict
from baselines.epoch_logs import as_float, logged_accuracy
from baselines.model_info import layer_infos, learning_rate, loss_info
from baselines.recorder import ProgramClock, Recorder, RecorderState, ToolCallback
from baselines.umlaut_checks import (
    DEFAULTS,
    EpochFacts,
    Issue,
    LayerFacts,
    ModelFacts,
    epoch_issues,
    static_issues,
)

# -- the detector -------------------------------------------------------------------------------


def model_facts(model: keras.Model) -> ModelFacts:
    """:class:`ModelFacts` of a compiled model."""
    layers = []
    for info, layer in zip(layer_infos(model), model.layers):
        activation = info.activation if info.activation not in (None, "linear") else None
        rate = getattr(layer, "rate", None) if isinstance(layer, keras.layers.Dropout) else None
        layers.append(LayerFacts(
            index=info.index, name=info.name, cls=info.cls, activation=activation,
            computes=bool(layer.trainable_weights) and hasattr(layer, "activation")
            and info.kind in ("fused", "plain", "internal"),
            is_activation=info.kind == "activation",
            dropout_rate=float(rate) if rate is not None else None,
        ))
    loss_name, from_logits = loss_info(model)
    return ModelFacts(tuple(layers), loss_name, from_logits)


class UmlautDetector(Detector):
    """UMLAUT's heuristic checks (peers.md §1.3; released ``umlaut/heuristics.py``).

    Before training (every ``fit`` call's ``on_train_begin``, on the compiled model):

    1. **missing_softmax** (critical): the loss is categorical / sparse categorical
       cross-entropy without ``from_logits`` and the last layer does not output a softmax.
    2. **hidden_linear** (critical): a hidden Dense/Conv-like layer with a linear or missing
       activation and no activation layer before the next such layer.
    3. **nonlinear_before_softmax** (warning): the final softmax layer follows a nonlinear
       activation.
    4. **high_dropout** (warning): a Dropout rate above 0.5.

    At every epoch end:

    5. **image_shape**: a rank-4 input whose channel axis is neither last nor second
       (``|C| ∈ {1, 3, 4}``).
    6. **input_not_normalized**: input values outside [-1, 1].
    7. **input_not_floating**: an input tensor of non-floating dtype.
    8. **nan_loss_nan_input** (critical): the epoch loss is NaN and the input contained NaN.
    9. **learning_rate_high / _low** (warning): learning rate above 0.01 or below 1e-7.
    10. **overfitting** (warning): validation loss rose while training loss fell or stayed flat.
    11. **high_validation_accuracy** (warning): from epoch 3 on, validation accuracy above 95 %,
        or more than 5 points above training accuracy.

    Where our reading had to choose:

    - **Softmax check.** The release looks for ``softmax`` in the last layer's *name* (or a
      ``Softmax`` instance), so ``Dense(activation='softmax')`` is reported as missing a softmax
      — a documented source of UMLAUT false alarms. We check the last layer's actual activation
      (a ``Softmax``/``Activation('softmax')`` layer or a fused softmax), and only for the
      softmax-family losses (binary cross-entropy with a sigmoid output is fine).
    - **Inputs** are every numeric input value of the training batches seen so far in the
      ``fit`` call, integers included, recorded in-graph by
      :class:`baselines.recorder.Recorder` (the release wraps ``model.call`` and checks the
      last batch).
    - **Severity.** peers.md gives critical/warning for checks 1-4, 8-11 only; 5-7 are reported
      as ``error`` (no level given). Every message counts as a detection, as third-party
      evaluations of UMLAUT counted them.
    - **Accuracy.** Training and validation accuracy are read only when they are a
      *classification* accuracy (DeepLocalize's rule,
      :func:`baselines.epoch_logs.logged_accuracy`); otherwise check 11 sees none. Keras gives a
      regression compiled with ``metrics=["accuracy"]`` a ``BinaryAccuracy``, which on
      continuous targets only counts the exact 0s and 1s it happens to match: a validation set
      richer in them made a healthy regression "suspicious".
    - **"After epoch 3"** = 0-based epoch index ≥ 3. The two stub checks of the release
      (accuracy metric added, validation passed to ``fit``) are not implemented.
    - Each message is reported once per run (the first time it fires), static ones first, then
      per epoch critical ones first. Targets and fault categories follow the message: layer
      checks name the layer (``missing_activation`` / ``wrong_activation`` / ``architecture``),
      input checks the ``data`` (``input_normalisation`` / ``data_preprocessing``), the learning
      rate check the ``hyperparameter`` (``learning_rate``); overfitting (``model``) and the
      validation-accuracy check (``data``) name no category.

    Stopping: UMLAUT only reports (coloured console warnings, a dashboard); it never stops
    training, so this detector never requests a stop and detection time is the first message's.
    """

    name = "umlaut"
    version = "1"
    description = "UMLAUT (CHI'21) heuristic checks: static model checks + epoch-end checks"
    localizes = True
    thresholds = DEFAULTS

    def __init__(self) -> None:
        self.clock = ProgramClock()
        self.findings: list[Finding] = []
        self.issues: list[Issue] = []
        self.fit_calls = 0
        self._seen: set[tuple[str, int | None]] = set()

    def callbacks(self) -> list[keras.callbacks.Callback]:
        self.fit_calls += 1
        return [_UmlautCallback(self)]

    def add(self, issues: Sequence[Issue], epoch: int, model: keras.Model) -> None:
        for issue in issues:
            key = (issue.code, issue.layer)
            if key in self._seen:
                continue
            self._seen.add(key)
            layer = model.layers[issue.layer] if issue.layer is not None else None
            self.issues.append(issue)
            self.findings.append(Finding(
                code=issue.code,
                message=f"UMLAUT ({issue.severity}): {issue.message}",
                target=issue.target,
                layer_index=issue.layer,
                layer_name=layer.name if layer is not None else None,
                layer_class=type(layer).__name__ if layer is not None else None,
                epoch=epoch,
                batch=None,
                iteration=self.clock.iteration,
                wall_s=self.clock.wall_s(),
                hint=issue.hint,
                evidence={"severity": issue.severity, **issue.evidence},
            ))

    def findings_so_far(self) -> Sequence[Finding]:
        """The findings so far (they only grow), streamed by the worker while training runs."""
        return tuple(self.findings)

    def verdict(self, stops: Sequence[StopEvent]) -> Verdict:
        return Verdict(
            detected=bool(self.findings),
            stop=None,
            findings=tuple(self.findings),
            category=self.issues[0].category if self.issues else None,
            raw={
                "messages": [f"{i.severity}: {i.code}" for i in self.issues],
                "fit_calls": self.fit_calls,
            },
        )


class _UmlautCallback(ToolCallback):
    def __init__(self, detector: UmlautDetector) -> None:
        super().__init__(detector.clock)
        self.detector = detector
        self.recorder: Recorder | None = None
        self.previous: tuple[float | None, float | None] = (None, None)

    def on_train_begin(self, logs: dict | None = None) -> None:
        super().on_train_begin(logs)
        model = self.model
        self.detector.add(static_issues(model_facts(model), self.detector.thresholds), 0, model)
        self.recorder = Recorder.acquire(model, self, retrace="train_step" not in vars(model))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        state = self.recorder.read() if self.recorder is not None else RecorderState()
        loss, val_loss = as_float(logs.get("loss")), as_float(logs.get("val_loss"))
        facts = EpochFacts(
            epoch=epoch,
            loss=loss,
            val_loss=val_loss,
            accuracy=logged_accuracy(logs, state),  # None unless a classification accuracy
            val_accuracy=logged_accuracy(logs, state, validation=True),
            previous_loss=self.previous[0],
            previous_val_loss=self.previous[1],
            learning_rate=learning_rate(self.model),
            x_min=state.x_min,
            x_max=state.x_max,
            x_nan=state.x_nan,
            x_dtypes=state.x_dtypes,
            x_shapes=state.x_shapes,
        )
        self.previous = (loss, val_loss)
        self.detector.add(epoch_issues(facts, self.detector.thresholds), epoch, self.model)

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.recorder is not None:
            self.recorder.release(self)
            self.recorder = None
