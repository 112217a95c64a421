"""DeepDiagnosis' symptoms, helper checks and symptom -> fix tree, on plain numbers (no Keras).

The rules of :class:`baselines.deepdiagnosis.DeepDiagnosisDetector` (whose docstring states them
and where our reading had to choose), from ``shared/research/peers.md`` §1.1 (PDF Tables 2–4,
§3.4 Fig. 2; released ``callback/callbacks.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Symptom codes (PDF Table 2 / Table 5).
NS, UCS, SAS, DNS, ORS, LNDS, ANIS, VGS, ILS, IAS = (
    "NS", "UCS", "SAS", "DNS", "ORS", "LNDS", "ANIS", "VGS", "ILS", "IAS")
SYMPTOMS = {
    NS: "Numerical Error",
    UCS: "Unchanged Weight",
    SAS: "Saturated Activation",
    DNS: "Dead Node",
    ORS: "Out of Range",
    LNDS: "Loss Not Decreasing",
    ANIS: "Accuracy Not Increasing",
    VGS: "Vanishing Gradient",
    ILS: "Invalid Loss",
    IAS: "Invalid Accuracy",
}
# Stages: forward (layer outputs), weights, backward (weight gradients, the release's "Δweights").
FW, W, BW = "FW", "W", "BW"

# The 7 actionable messages (PDF Table 4) as fix kinds.
DATA, LOSS, ACTIVATION, LEARNING_RATE, INITIALISATION, LAYERS, OPTIMIZER = (
    "data", "loss", "activation", "learning_rate", "initialisation", "layers", "optimizer")
FIX_TEXT = {
    DATA: "improper data: normalise the training data",
    LOSS: "change the loss function",
    ACTIVATION: "change the activation function",
    LEARNING_RATE: "change the learning rate",
    INITIALISATION: "change the weight initialisation",
    LAYERS: "change the number of layers",
    OPTIMIZER: "change the optimizer",
}
#: Fix kind -> (Finding target, fault category in ``harness.vocab.CATEGORIES``, hint).
FIX_TARGET = {
    DATA: ("data", "input_normalisation", "input_normalisation"),
    LOSS: ("loss", "wrong_loss", "loss"),
    ACTIVATION: ("layer", "wrong_activation", "activation"),
    LEARNING_RATE: ("hyperparameter", "learning_rate", "learning_rate"),
    INITIALISATION: ("layer", "initialisation", "initialisation"),
    LAYERS: ("model", "architecture", "architecture"),
    OPTIMIZER: ("optimizer", "optimizer", "optimizer"),
}
_CATEGORICAL_LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy")
_RANGES = {
    "sigmoid": (0.0, 1.0),
    "hard_sigmoid": (0.0, 1.0),
    "tanh": (-1.0, 1.0),
    "relu": (0.0, math.inf),
    "relu6": (0.0, 6.0),
    "elu": (-1.0, math.inf),
    "exponential": (0.0, math.inf),
    "softplus": (0.0, math.inf),
}


@dataclass(frozen=True)
class Thresholds:
    """DeepDiagnosis' thresholds (peers.md §1.1; PDF Tables 2 and 3).

    Attributes:
        window: N, the checks over which a value must stay the same (UCS, LNDS, ANIS).
        saturated_share: SAS: more than this share of pre-activations are saturated (|x| ≥ 5).
        dead_share: DNS: at least this share of a ReLU layer's outputs are ≤ 0.
        vanishing: VGS: mean |weight gradient| of a layer below this.
        data_bound: ImproperData: training data outside ``[-data_bound, data_bound]``.
        weight_variance: WeightInitialization: a layer's weight variance outside this range.
        update_ratio: TuneLearn: ``lr·‖ΔW‖/‖W‖`` outside this range (1e-3 ÷/× 100).
        range_spread: ORS for a linear output: output spread above this × the label spread.
    """

    window: int = 5
    saturated_share: float = 0.5
    dead_share: float = 0.7
    vanishing: float = 1e-7
    data_bound: float = 1.0
    weight_variance: tuple[float, float] = (1e-5, 10.0)
    update_ratio: tuple[float, float] = (1e-5, 1e-1)
    range_spread: float = 10.0


DEFAULTS = Thresholds()


# -- symptom rules, on plain numbers ------------------------------------------------------------


def numerical_error(mean: float, std: float = 0.0) -> bool:
    """NS: the mean is NaN or Inf, or exactly 0 with every value 0 (``std == 0``).

    A zero mean of values that cancel (``std > 0``) does not count: under softmax and
    cross-entropy the last layer's weight gradient has mean 0 by construction.
    """
    return not math.isfinite(mean) or (mean == 0.0 and std == 0.0)


def unchanged(values: Sequence[float | tuple[float, ...]], t: Thresholds = DEFAULTS) -> bool:
    """UCS / LNDS / ANIS: the last N values are finite and all equal.

    A value may be a tuple (e.g. a tensor's mean and standard deviation): all its parts must
    stay the same.
    """
    window = [v if isinstance(v, tuple) else (v,) for v in list(values)[-t.window:]]
    return (len(window) == t.window and all(math.isfinite(p) for v in window for p in v)
            and all(v == window[0] for v in window))


def saturated(share: float, t: Thresholds = DEFAULTS) -> bool:
    """SAS: more than 50 % of a sigmoid/tanh layer's pre-activations have |x| ≥ 5."""
    return share > t.saturated_share


def dead(share_nonpositive: float, t: Thresholds = DEFAULTS) -> bool:
    """DNS: at least 70 % of a ReLU layer's outputs are ≤ 0."""
    return share_nonpositive >= t.dead_share


def vanishing(mean_abs_gradient: float, t: Thresholds = DEFAULTS) -> bool:
    """VGS: a layer's mean |weight gradient| is below 1e-7."""
    return mean_abs_gradient < t.vanishing


def mean_abs_bound(n: float, mean: float, std: float, lo: float, hi: float) -> float:
    """An upper bound of mean |x| from STATS: the smaller of the RMS and max |x|."""
    if n <= 0:
        return math.nan
    return min(math.sqrt(mean * mean + std * std), max(abs(lo), abs(hi)))


def out_of_range(
    activation: str | None,
    loss_name: str | None,
    from_logits: bool,
    output: tuple[float, float],
    labels: tuple[float, float],
    t: Thresholds = DEFAULTS,
) -> bool:
    """ORS: the last layer's activation cannot produce the labels' range.

    ``activation`` is the output activation's name (``None``/``linear``: none). Softmax outputs
    are not checked (as in the release). A linear or ReLU output under a categorical
    cross-entropy that does not take logits is out of range; a linear output is also out of
    range when its spread exceeds ``range_spread`` × the labels' spread. Otherwise the labels
    must lie within the activation's range.
    """
    name = activation or "linear"
    if name == "softmax":
        return False
    categorical = (loss_name or "") in _CATEGORICAL_LOSSES and not from_logits
    if name in ("linear", "relu") and categorical:
        return True
    y_lo, y_hi = labels
    if not (math.isfinite(y_lo) and math.isfinite(y_hi)):
        return False
    if name == "linear":
        o_lo, o_hi = output
        spread = abs(o_hi - o_lo)
        return math.isfinite(spread) and spread > t.range_spread * abs(y_hi - y_lo) > 0
    bounds = _RANGES.get(name)
    if bounds is None:
        return False
    return y_lo < bounds[0] or y_hi > bounds[1]


# -- helper checks (PDF Table 3) ----------------------------------------------------------------


def improper_data(x_min: float, x_max: float, t: Thresholds = DEFAULTS) -> bool:
    """ImproperData: the training data lie outside [-1, 1]."""
    return x_min < -t.data_bound or x_max > t.data_bound


def poor_weight(variance: float, t: Thresholds = DEFAULTS) -> bool:
    """WeightInitialization: a weight variance below 1e-5 or above 10."""
    lo, hi = t.weight_variance
    return math.isfinite(variance) and (variance < lo or variance > hi)


def learning_rate_off(ratio: float, t: Thresholds = DEFAULTS) -> bool:
    """TuneLearn: ``lr·‖ΔW‖/‖W‖`` outside [1e-5, 1e-1] (NaN: unknown, not flagged)."""
    lo, hi = t.update_ratio
    return math.isfinite(ratio) and (ratio < lo or ratio > hi)


# -- symptom -> fix (PDF §3.4, Fig. 2) -----------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What the decision tree looks at besides the symptom.

    Attributes:
        improper_data: ImproperData holds.
        poor_weight_layer: First layer failing WeightInitialization (``None``: none).
        learning_rate_off: TuneLearn holds for some layer.
        last_layer: Index of the model's last layer.
        last_weighted_layer: Index of the last layer with trainable weights.
        output_linear: The last layer has no activation.
        saturating_layer: First layer with a sigmoid/tanh activation (``None``: none).
    """

    improper_data: bool = False
    poor_weight_layer: int | None = None
    learning_rate_off: bool = False
    last_layer: int = 0
    last_weighted_layer: int | None = None
    output_linear: bool = False
    saturating_layer: int | None = None


@dataclass(frozen=True)
class Fix:
    """One of the seven actionable messages, and the layer it names (if any)."""

    kind: str
    layer: int | None = None
    rule: str = ""


def decide_fix(symptom: str, stage: str | None, layer: int | None, f: Facts) -> Fix:
    """The decision tree: (symptom, stage, layer) and the helper checks -> a fix.

    The branches, first match wins (``rule`` names the branch taken):

    - NS in FW or W: WeightInitialization -> initialisation; ImproperData -> data;
      TuneLearn -> learning rate; else -> activation of that layer.
    - NS in BW: at the last layer with weights -> loss (or that layer's activation);
      elsewhere -> activation of that layer.
    - UCS in FW at the last layer -> activation of that layer.
    - UCS elsewhere (FW, W, BW): WeightInitialization -> initialisation; TuneLearn -> learning
      rate; else -> optimizer.
    - SAS, DNS: ImproperData -> data; WeightInitialization -> initialisation; TuneLearn ->
      learning rate; else -> activation of that layer.
    - VGS: TuneLearn -> learning rate; a sigmoid/tanh layer -> its activation; else -> number
      of layers.
    - ORS -> activation of the last layer.
    - ILS, IAS: linear output -> activation of the last layer; TuneLearn -> learning rate; else
      -> optimizer.
    - LNDS, ANIS: WeightInitialization -> initialisation; ImproperData -> data; TuneLearn ->
      learning rate; else -> optimizer.
    """
    init = Fix(INITIALISATION, f.poor_weight_layer, "WeightInitialization")
    data = Fix(DATA, None, "ImproperData")
    lr = Fix(LEARNING_RATE, None, "TuneLearn")
    if symptom == NS and stage in (FW, W):
        if f.poor_weight_layer is not None:
            return init
        if f.improper_data:
            return data
        if f.learning_rate_off:
            return lr
        return Fix(ACTIVATION, layer, "default")
    if symptom == NS:
        if layer is not None and layer == f.last_weighted_layer:
            return Fix(LOSS, None, "last layer with weights")
        return Fix(ACTIVATION, layer, "default")
    if symptom == UCS and stage == FW and layer == f.last_layer:
        return Fix(ACTIVATION, layer, "output layer")
    if symptom == UCS:
        if f.poor_weight_layer is not None:
            return init
        if f.learning_rate_off:
            return lr
        return Fix(OPTIMIZER, None, "default")
    if symptom in (SAS, DNS):
        if f.improper_data:
            return data
        if f.poor_weight_layer is not None:
            return init
        if f.learning_rate_off:
            return lr
        return Fix(ACTIVATION, layer, "default")
    if symptom == VGS:
        if f.learning_rate_off:
            return lr
        if f.saturating_layer is not None:
            return Fix(ACTIVATION, f.saturating_layer, "sigmoid/tanh layer")
        return Fix(LAYERS, None, "default")
    if symptom == ORS:
        return Fix(ACTIVATION, f.last_layer, "output layer")
    if symptom in (ILS, IAS):
        if f.output_linear:
            return Fix(ACTIVATION, f.last_layer, "linear output")
        if f.learning_rate_off:
            return lr
        return Fix(OPTIMIZER, None, "default")
    if symptom in (LNDS, ANIS):
        if f.poor_weight_layer is not None:
            return init
        if f.improper_data:
            return data
        if f.learning_rate_off:
            return lr
        return Fix(OPTIMIZER, None, "default")
    raise ValueError(f"unknown symptom {symptom!r}")
