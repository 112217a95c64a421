"""AUTOTRAINER's problems, thresholds and rules on plain numbers (no Keras).

The rules of :class:`baselines.autotrainer.AutoTrainerDetector` (whose docstring states them and
where our reading had to choose), from ``shared/research/peers.md`` §1.2 (paper Table I and
§V-D, released ``AutoTrainer/utils/monitor.py`` and ``reproduce.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from localizer.rules import INF, MEAN, NAN, STD, ZERO_FRAC
from localizer.rules import N as COUNT

VG, EG, DR, OL, SC = "VG", "EG", "DR", "OL", "SC"
PROBLEMS = {
    VG: "vanishing gradient",
    EG: "exploding gradient",
    DR: "dying ReLU",
    OL: "oscillating loss",
    SC: "slow convergence",
}


@dataclass(frozen=True)
class Thresholds:
    """AUTOTRAINER's parameters (peers.md §1.2; defaults of paper Table I / ``reproduce.py``).

    Attributes:
        beta_1: VG: first-to-last gradient-norm ratio at most this.
        beta_2: VG: first layer's gradient norm at most this.
        beta_3: EG: first-to-last gradient-norm ratio at least this.
        gamma: DR: share of zero gradient entries at least this.
        zeta: OL: a local maximum and its paired minimum at least this far apart.
        eta: OL: such pairs at least this share of the checks.
        delta: SC: largest accuracy gain between consecutive checks at most this.
        theta: Θ, the target accuracy: training is unsatisfactory while the best accuracy so far
            is at most this (``reproduce.py`` and DeepDiagnosis' comparison: 0.6).
        check_every: Gradient checks every this many iterations (paper: every 3 iterations).
        judgment_point: Loss/accuracy checks start once this share of the planned epochs ran.
        loss_limit: A loss at or above this counts as a NaN loss (``monitor.py``).
    """

    beta_1: float = 1e-3
    beta_2: float = 1e-4
    beta_3: float = 70.0
    gamma: float = 0.7
    zeta: float = 0.03
    eta: float = 0.2
    delta: float = 0.01
    theta: float = 0.6
    check_every: int = 3
    judgment_point: float = 0.3
    loss_limit: float = 1e3


DEFAULTS = Thresholds()


# -- the rules, on plain numbers --------------------------------------------------------------


@dataclass(frozen=True)
class GradientSummary:
    """One batch's weight gradients, per layer with trainable weights (in layer order).

    Attributes:
        layers: Indices (into ``model.layers``) of the layers with weight gradients.
        norms: ℓ2 norm of each of those layers' gradients (kernel and bias together).
        zero_share: Share of exactly-zero entries over all gradient entries of the model.
        nonfinite: Some gradient or weight entry is NaN or Inf.
    """

    layers: tuple[int, ...]
    norms: tuple[float, ...]
    zero_share: float
    nonfinite: bool

    @property
    def ratio(self) -> float:
        """First layer's gradient norm over the last layer's (NaN when undefined)."""
        if len(self.norms) < 2 or not self.norms[-1] > 0 or not math.isfinite(self.norms[0]):
            return math.nan
        return self.norms[0] / self.norms[-1]


def summarize_gradients(
    layers: Sequence[int], rows: np.ndarray, weight_nonfinite: bool = False
) -> GradientSummary:
    """Build a :class:`GradientSummary` from probe STATS rows (one per layer, ``n > 0``).

    The ℓ2 norm of ``n`` values with mean ``m`` and standard deviation ``s`` is
    ``sqrt(n·(s² + m²))``.
    """
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, ZERO_FRAC + 1)
    n = rows[:, COUNT]
    norms = np.sqrt(n * (rows[:, STD] ** 2 + rows[:, MEAN] ** 2))
    total = float(n.sum())
    zero_share = float((rows[:, ZERO_FRAC] * n).sum() / total) if total > 0 else 0.0
    nonfinite = bool(weight_nonfinite or (rows[:, NAN] + rows[:, INF]).sum() > 0)
    return GradientSummary(tuple(int(i) for i in layers), tuple(float(v) for v in norms),
                           zero_share, nonfinite)


def vanishing_gradient(g: GradientSummary, t: Thresholds = DEFAULTS) -> bool:
    """VG: ratio ≤ β1 and the first layer's gradient norm ≤ β2."""
    return bool(g.ratio <= t.beta_1 and g.norms[0] <= t.beta_2)


def exploding_gradient(g: GradientSummary, t: Thresholds = DEFAULTS) -> bool:
    """EG: ratio ≥ β3, or some gradient (or weight) is NaN/Inf."""
    return g.nonfinite or bool(g.ratio >= t.beta_3)


def dying_relu(g: GradientSummary, t: Thresholds = DEFAULTS) -> bool:
    """DR: the share of zero gradient entries is ≥ γ."""
    return g.zero_share >= t.gamma


def gradient_problem(g: GradientSummary, t: Thresholds = DEFAULTS) -> str | None:
    """The finite-gradient problem of a batch, in the released monitor's priority DR > EG > VG."""
    if dying_relu(g, t):
        return DR
    if not g.nonfinite and exploding_gradient(g, t):
        return EG
    if vanishing_gradient(g, t):
        return VG
    return None


def oscillating(accuracy: Sequence[float], t: Thresholds = DEFAULTS) -> bool:
    """OL: local maxima and minima of the accuracy curve (endpoints excluded; a flat point is
    both), paired in order; the pairs whose gap ``max − min`` is ≥ ζ number ≥ η × checks."""
    acc = [float(a) for a in accuracy]
    maxima, minima = [], []
    for i in range(1, len(acc) - 1):
        if acc[i] >= acc[i - 1] and acc[i] >= acc[i + 1]:
            maxima.append(acc[i])
        if acc[i] <= acc[i - 1] and acc[i] <= acc[i + 1]:
            minima.append(acc[i])
    pairs = sum(hi - lo >= t.zeta for hi, lo in zip(maxima, minima))
    return pairs > 0 and pairs >= t.eta * len(acc)


def largest_gain(accuracy: Sequence[float]) -> float:
    """Largest increase between consecutive checks (0 when it never rises)."""
    return max([0.0, *(b - a for a, b in zip(accuracy, accuracy[1:]))])


def slow_convergence(
    accuracy: Sequence[float], val_accuracy: Sequence[float] = (), t: Thresholds = DEFAULTS
) -> bool:
    """SC: the largest accuracy gain between consecutive checks is ≤ δ (needs two checks);
    with validation accuracy, it must hold for both curves, as in the released monitor."""
    if len(accuracy) < 2:
        return False
    if largest_gain(accuracy) > t.delta:
        return False
    return len(val_accuracy) < 2 or largest_gain(val_accuracy) <= t.delta


def unsatisfactory(
    best_accuracy: float | None, best_val_accuracy: float | None = None, t: Thresholds = DEFAULTS
) -> bool | None:
    """Training is unsatisfactory: the best accuracy (training, or validation when logged) so
    far is ≤ Θ. ``None`` when no accuracy is logged (AUTOTRAINER is accuracy-based)."""
    known = [a for a in (best_accuracy, best_val_accuracy) if a is not None and not math.isnan(a)]
    if not known:
        return None
    return min(known) <= t.theta


def loss_blown(loss: float | None, crossentropy: bool, t: Thresholds = DEFAULTS) -> bool:
    """A "NaN loss": NaN/Inf, or (for a cross-entropy loss only) ≥ the loss limit."""
    if loss is None:
        return False
    if not math.isfinite(loss):
        return True
    return crossentropy and loss >= t.loss_limit
