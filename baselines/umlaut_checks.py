"""UMLAUT's heuristic checks as pure functions of :class:`ModelFacts` / :class:`EpochFacts`.

The checks of :class:`baselines.umlaut.UmlautDetector` (whose docstring lists them and where our
reading had to choose), from ``shared/research/peers.md`` §1.3 (released
``umlaut/heuristics.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

CRITICAL, WARNING, ERROR = "critical", "warning", "error"

#: Losses that expect a probability distribution over classes (the softmax family).
PROBABILITY_LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy")


@dataclass(frozen=True)
class Thresholds:
    """UMLAUT's constants (peers.md §1.3).

    Attributes:
        dropout: A Dropout rate above this is a warning.
        input_bounds: Inputs outside this range are "not normalized".
        lr_high, lr_low: A learning rate above / below these is a warning.
        val_after_epoch: The validation-accuracy check runs from this 0-based epoch on
            ("after epoch 3").
        val_accuracy_high: Validation accuracy above this is suspicious.
        val_gap: Validation accuracy more than this above training accuracy is suspicious.
    """

    dropout: float = 0.5
    input_bounds: tuple[float, float] = (-1.0, 1.0)
    lr_high: float = 0.01
    lr_low: float = 1e-7
    val_after_epoch: int = 3
    val_accuracy_high: float = 0.95
    val_gap: float = 0.05


DEFAULTS = Thresholds()


@dataclass(frozen=True)
class Issue:
    """One UMLAUT message.

    Attributes:
        code: Our name for the check (``missing_softmax``, ``input_not_normalized``, ...).
        severity: ``critical``, ``warning`` or ``error`` (UMLAUT gives no level).
        message: What UMLAUT would say.
        target: What the message blames (a :data:`baselines.base.TARGETS` value).
        layer: Layer index for ``target == "layer"``.
        category: Fault category (``harness.vocab.CATEGORIES``) or ``None``.
        hint: Root-cause hint in the localizer's vocabulary.
        evidence: Values that fired.
    """

    code: str
    severity: str
    message: str
    target: str
    layer: int | None = None
    category: str | None = None
    hint: str | None = None
    evidence: dict = field(default_factory=dict)


# -- static checks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerFacts:
    """A layer as the static checks see it.

    Attributes:
        index, name, cls: Position in ``model.layers``, name, class name.
        activation: Activation name (``None`` when the layer has no activation attribute or it is
            linear).
        computes: The layer has trainable weights and an ``activation`` attribute (Dense, Conv,
            ...): a layer that needs a non-linearity after it.
        is_activation: An activation layer (``Activation``, ``ReLU``, ``Softmax``, ...).
        dropout_rate: The rate of a Dropout layer, else ``None``.
    """

    index: int
    name: str
    cls: str
    activation: str | None
    computes: bool = False
    is_activation: bool = False
    dropout_rate: float | None = None


@dataclass(frozen=True)
class ModelFacts:
    layers: tuple[LayerFacts, ...]
    loss_name: str | None
    from_logits: bool


def check_missing_softmax(m: ModelFacts) -> Issue | None:
    """1. A softmax-family loss without ``from_logits`` needs a softmax output (critical)."""
    if (m.loss_name or "") not in PROBABILITY_LOSSES or m.from_logits or not m.layers:
        return None
    last = m.layers[-1]
    if last.activation == "softmax":
        return None
    return Issue(
        "missing_softmax", CRITICAL,
        f"Missing Softmax layer before loss: {m.loss_name} expects probabilities but the last "
        f"layer {last.name} ({last.cls}) outputs {last.activation or 'linear'} values and the "
        "loss does not take logits.",
        "layer", last.index,
        "missing_activation" if last.activation is None else "wrong_activation", "activation",
        {"loss": m.loss_name, "output_activation": last.activation},
    )


def _next_computing(m: ModelFacts, index: int) -> int | None:
    return next((f.index for f in m.layers[index + 1:] if f.computes), None)


def check_hidden_linear(m: ModelFacts) -> list[Issue]:
    """2. Hidden computing layers with a linear or missing activation (critical): no
    activation on the layer itself nor an activation layer before the next computing layer."""
    issues = []
    computing = [f for f in m.layers if f.computes]
    for f in computing[:-1]:
        if f.activation is not None:
            continue
        stop = _next_computing(m, f.index)
        between = m.layers[f.index + 1: stop]
        if any(b.is_activation and b.activation is not None for b in between):
            continue
        issues.append(Issue(
            "hidden_linear", CRITICAL,
            f"Hidden layer {f.name} ({f.cls}) has a linear activation: stacked linear layers "
            "collapse into one linear map.",
            "layer", f.index, "missing_activation", "activation",
        ))
    return issues


def check_nonlinear_before_softmax(m: ModelFacts) -> Issue | None:
    """3. The last layer has a nonlinear activation before the softmax (warning)."""
    if len(m.layers) < 2 or not m.layers[-1].is_activation or m.layers[-1].activation != "softmax":
        return None
    for f in reversed(m.layers[:-1]):
        if f.is_activation and f.activation not in (None, "softmax"):
            culprit = f
        elif f.computes and f.activation not in (None, "softmax"):
            culprit = f
        elif f.computes:
            return None
        else:
            continue
        return Issue(
            "nonlinear_before_softmax", WARNING,
            f"Last model layer has nonlinear activation: {culprit.name} applies "
            f"{culprit.activation} before the final softmax.",
            "layer", culprit.index, "wrong_activation", "activation",
            {"activation": culprit.activation},
        )
    return None


def check_dropout(m: ModelFacts, t: Thresholds = DEFAULTS) -> list[Issue]:
    """4. Dropout rate above 0.5 (warning)."""
    return [
        Issue("high_dropout", WARNING,
              f"Dropout rate {f.dropout_rate:g} of {f.name} is above {t.dropout:g}: most units "
              "are dropped at every step.",
              "layer", f.index, "architecture", None, {"rate": f.dropout_rate})
        for f in m.layers
        if f.dropout_rate is not None and f.dropout_rate > t.dropout
    ]


def static_issues(m: ModelFacts, t: Thresholds = DEFAULTS) -> list[Issue]:
    """Checks 1-4, in UMLAUT's order."""
    issues: list[Issue] = []
    first = check_missing_softmax(m)
    issues += [first] if first else []
    issues += check_hidden_linear(m)
    third = check_nonlinear_before_softmax(m)
    issues += [third] if third else []
    issues += check_dropout(m, t)
    return issues


# -- epoch-end checks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EpochFacts:
    """What the epoch-end checks look at.

    Attributes:
        epoch: 0-based epoch.
        loss, val_loss, accuracy, val_accuracy: This epoch's logs (``None``: not logged).
        previous_loss, previous_val_loss: The previous epoch's (``None``: first epoch).
        learning_rate: The optimizer's learning rate.
        x_min, x_max: Range of the inputs seen (NaN: not measured).
        x_nan: NaN input values seen.
        x_dtypes, x_shapes: Dtypes and static shapes of the input tensors.
    """

    epoch: int
    loss: float | None = None
    val_loss: float | None = None
    accuracy: float | None = None
    val_accuracy: float | None = None
    previous_loss: float | None = None
    previous_val_loss: float | None = None
    learning_rate: float | None = None
    x_min: float = math.nan
    x_max: float = math.nan
    x_nan: int = 0
    x_dtypes: tuple[str, ...] = ()
    x_shapes: tuple[tuple[int | None, ...], ...] = ()


def check_image_shape(e: EpochFacts) -> Issue | None:
    """5. A rank-4 (image) input whose channel axis is neither last (NHWC) nor second (NCHW)."""
    for shape in e.x_shapes:
        if len(shape) == 4 and shape[-1] not in (1, 3, 4) and shape[1] not in (1, 3, 4):
            return Issue("image_shape", ERROR,
                         f"Image input shape {list(shape)} is neither NHWC nor NCHW.",
                         "data", None, "data_preprocessing", "data_preprocessing",
                         {"shape": list(shape)})
    return None


def check_input_normalization(e: EpochFacts, t: Thresholds = DEFAULTS) -> Issue | None:
    """6. Input values outside [-1, 1]: "input not normalized"."""
    lo, hi = t.input_bounds
    if not (e.x_min < lo or e.x_max > hi):
        return None
    return Issue("input_not_normalized", ERROR,
                 f"Input not normalized: inputs span [{e.x_min:g}, {e.x_max:g}], beyond the "
                 f"typical [{lo:g}, {hi:g}].",
                 "data", None, "input_normalisation", "input_normalisation",
                 {"x_min": e.x_min, "x_max": e.x_max})


def check_input_floating(e: EpochFacts) -> Issue | None:
    """7. An input tensor of a non-floating dtype."""
    bad = [d for d in e.x_dtypes if not d.startswith(("float", "bfloat"))]
    if not bad:
        return None
    return Issue("input_not_floating", ERROR, f"Input is not floating point: dtype {bad[0]}.",
                 "data", None, "data_preprocessing", "data_preprocessing", {"dtypes": bad})


def check_nan_loss(e: EpochFacts) -> Issue | None:
    """8. The loss is NaN while the input contains NaN (critical)."""
    if e.loss is None or not math.isnan(e.loss) or e.x_nan <= 0:
        return None
    return Issue("nan_loss_nan_input", CRITICAL,
                 f"NaN loss: the input contains {e.x_nan} NaN values.",
                 "data", None, "data_preprocessing", "data_preprocessing", {"x_nan": e.x_nan})


def check_learning_rate(e: EpochFacts, t: Thresholds = DEFAULTS) -> Issue | None:
    """9. Learning rate above 0.01 (high) or below 1e-7 (low) (warning)."""
    lr = e.learning_rate
    if lr is None or t.lr_low <= lr <= t.lr_high:
        return None
    high = lr > t.lr_high
    return Issue("learning_rate_high" if high else "learning_rate_low", WARNING,
                 f"Learning rate {lr:g} is {'high' if high else 'low'} (typical range "
                 f"[{t.lr_low:g}, {t.lr_high:g}]).",
                 "hyperparameter", None, "learning_rate", "learning_rate", {"learning_rate": lr})


def check_overfitting(e: EpochFacts) -> Issue | None:
    """10. Validation loss rises while the training loss falls or stays flat."""
    if None in (e.loss, e.val_loss, e.previous_loss, e.previous_val_loss):
        return None
    d_loss, d_val = e.loss - e.previous_loss, e.val_loss - e.previous_val_loss
    if not (d_val > 0 and d_loss <= 0):
        return None
    return Issue("overfitting", WARNING,
                 f"Possible overfitting: training loss changed by {d_loss:.4g} while validation "
                 f"loss rose by {d_val:.4g}.",
                 "model", None, None, None, {"d_loss": d_loss, "d_val_loss": d_val})


def check_validation_accuracy(e: EpochFacts, t: Thresholds = DEFAULTS) -> Issue | None:
    """11. From epoch 3 on: validation accuracy above 95 %, or more than 5 points above the
    training accuracy."""
    if e.epoch < t.val_after_epoch or e.val_accuracy is None:
        return None
    high = e.val_accuracy > t.val_accuracy_high
    gap = e.accuracy is not None and e.val_accuracy > e.accuracy + t.val_gap
    if not (high or gap):
        return None
    why = []
    if high:
        why.append(f"validation accuracy {e.val_accuracy:.4f} is above {t.val_accuracy_high:g}")
    if gap:
        why.append(f"it is more than {t.val_gap:g} above training accuracy {e.accuracy:.4f}")
    return Issue("high_validation_accuracy", WARNING,
                 "Suspicious validation accuracy: " + "; ".join(why) + ".",
                 "data", None, None, None,
                 {"val_accuracy": e.val_accuracy, "accuracy": e.accuracy})


def epoch_issues(e: EpochFacts, t: Thresholds = DEFAULTS) -> list[Issue]:
    """Checks 5-11; critical ones first, then in UMLAUT's order."""
    found = [
        check_image_shape(e),
        check_input_normalization(e, t),
        check_input_floating(e),
        check_nan_loss(e),
        check_learning_rate(e, t),
        check_overfitting(e),
        check_validation_accuracy(e, t),
    ]
    issues = [i for i in found if i is not None]
    return sorted(issues, key=lambda i: i.severity != CRITICAL)
