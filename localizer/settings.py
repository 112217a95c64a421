"""DeepLocalize's rule profiles: the thresholds of :mod:`localizer.rules`, as data.

:data:`PAPER` is the published algorithm (Algorithm 1), :data:`RELEASED` the authors' released
callback; ``docs/localizer.md`` explains every threshold and where the paper is ambiguous.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

#: Relative tolerance of "unchanged" in the paper profile: four float32 ulps. A mean computed in
#: float32 from identical values may differ in its last bits between batches (reduction order on
#: GPUs, partial last batches); any real change of a trained quantity is far larger.
UNCHANGED_RTOL = 4 * float(np.finfo(np.float32).eps)

#: Relative tolerance of "zero" for a gradient *through* a layer (paper profile: the input
#: gradient of a layer without weights), relative to the RMS of the gradient arriving at the
#: layer's output. Such a layer passes back ``J^T g``; where its Jacobian ``J`` is zero in exact
#: arithmetic, float32 kernels may still leave rounding noise of order ``eps * |g|``. Measured:
#: a softmax over one unit returns 0.99999994 instead of 1 on an AVX2 CPU (exactly 1 on
#: AVX-512), so the gradient it passes back is about 1e-7 of the one it receives, not 0.
ZERO_RTOL = 4 * float(np.finfo(np.float32).eps)


@dataclass(frozen=True)
class RuleSettings:
    """Thresholds of one rule profile.

    Attributes:
        name: ``"paper"``, ``"released"`` or ``"bench"``.
        algorithm: Which slots are checked, in which order, with which of the three slot rules
            (``"paper"``: Algorithm 1 as published; ``"released"``: the released callback's;
            :func:`localizer.plan.plan_checks`).
        window: N, the number of consecutive values that must be equal for "unchanged".
        sliding: ``True``: the last N values (a sliding window, paper). ``False``: disjoint
            blocks of N values, checked and cleared after every N-th value (released callback).
        zero_fraction: A slot whose mean was exactly 0 in at least this fraction of the batches
            seen so far is a fault (paper ¼, released ½).
        min_iterations: The zero rule needs at least this many observations of the slot (the
            released callback uses 1, so a single zero at batch 1 fires).
        rtol: Relative tolerance of "unchanged": ``max - min <= rtol * max(|values|)``.
        zero_std: A zero mean counts only when the standard deviation is 0 too, i.e. every value
            is 0 (paper profile: means that are 0 because values cancel, like the update of a
            2-unit softmax layer under cross-entropy, are not dead values). ``False``: the mean
            alone (released).
        unchanged_std: "Unchanged" also requires the standard deviation to be unchanged (paper
            profile: §III-D1 records mean *and* std, and with a softmax output and
            cross-entropy the mean of the last layer's weights is invariant under SGD, so the
            mean alone stays constant in healthy training). ``False``: the mean alone (released).
        mdl: ``"progress"``: :class:`ProgressMonitor` (paper profile); ``"unchanged"``: the loss
            or the accuracy stayed exactly equal over a block of N batches (released callback).
        mdl_window: W, the window of :class:`ProgressMonitor` in batches.
        mdl_min_delta: Minimum relative decrease of the mean loss that counts as learning.
        mdl_min_accuracy_gain: Minimum absolute increase of the mean accuracy that counts.
        mdl_accuracy_ceiling: A mean batch accuracy at or above this means there is nothing left
            to learn; MDL does not fire.
        mdl_window_per_epoch: W is the number of batches per epoch of the ``fit`` call, within
            ``[mdl_window_min, mdl_window]`` (so MDL compares whole epochs where they are short
            and needs no more than 2 epochs); ``False``: W is ``mdl_window``.
        mdl_window_min: The smallest W when ``mdl_window_per_epoch``.
        init_gain: At the first batch a model trains (its optimizer has taken no step), a
            layer with weights whose value before activation has more than this many times the
            RMS of its input (the previous entry of ``model.layers``, or the model's inputs) is
            a fault (rule ``init_gain``: its initial weights are far too large; a standard
            initialiser keeps this gain near 1). ``inf``: off.
        stall_ratio: When even the fastest-moving layer's update ``‖ΔW‖/‖W‖`` stays below this
            for W batches in a row, training has stalled (rule ``stalled``, blamed on the
            learning rate or optimizer: target ``hyperparameter``). 0: off.
        loss_scale: A classifier whose mean loss over the last ``loss_scale_window`` batches
            exceeds this many times the chance-level loss (:func:`localizer.plan.chance_loss`,
            the loss of predicting the uniform distribution) is a fault (rule ``loss_scale``,
            code ELF: confident wrong outputs or a penalty that swamps the data term). ``inf``:
            off.
        loss_scale_window: How many batches the ``loss_scale`` rule averages.
        mdl_chance_fraction: MDL also fires when, after 2W batches, the mean loss of the last W
            is still at least this fraction of the chance-level loss (the classifier learned
            nothing beyond the class frequencies), whatever the accuracy did. 0: off.
    """

    name: str
    window: int
    sliding: bool
    zero_fraction: float
    min_iterations: int
    rtol: float
    mdl: str
    zero_std: bool = False
    unchanged_std: bool = False
    mdl_window: int = 50
    mdl_min_delta: float = 0.01
    mdl_min_accuracy_gain: float = 0.01
    mdl_accuracy_ceiling: float = 0.99
    algorithm: str = "paper"
    mdl_window_per_epoch: bool = False
    mdl_window_min: int = 10
    init_gain: float = math.inf
    stall_ratio: float = 0.0
    loss_scale: float = math.inf
    loss_scale_window: int = 10
    mdl_chance_fraction: float = 0.0

    def __post_init__(self) -> None:
        if self.window < 2:
            raise ValueError(f"window must be >= 2, got {self.window!r}")
        if not 0.0 < self.zero_fraction <= 1.0:
            raise ValueError(f"zero_fraction must be in (0, 1], got {self.zero_fraction!r}")
        if self.mdl not in ("progress", "unchanged"):
            raise ValueError(f"mdl must be 'progress' or 'unchanged', got {self.mdl!r}")
        if self.algorithm not in ("paper", "released"):
            raise ValueError(f"algorithm must be 'paper' or 'released', got {self.algorithm!r}")
        if not self.init_gain > 0:
            raise ValueError(f"init_gain must be > 0, got {self.init_gain!r}")
        if not self.loss_scale > 0 or self.loss_scale_window < 1:
            raise ValueError(f"loss_scale must be > 0 and loss_scale_window >= 1, got "
                             f"{self.loss_scale!r}, {self.loss_scale_window!r}")
        if not 0.0 <= self.mdl_chance_fraction:
            raise ValueError(f"mdl_chance_fraction must be >= 0, got {self.mdl_chance_fraction!r}")
        if self.stall_ratio < 0:
            raise ValueError(f"stall_ratio must be >= 0, got {self.stall_ratio!r}")
        if self.mdl_window_min < 2:
            raise ValueError(f"mdl_window_min must be >= 2, got {self.mdl_window_min!r}")

    def mdl_window_for(self, steps_per_epoch: int | None) -> int:
        """W for a ``fit`` call with this many batches per epoch (``None``: unknown)."""
        if not self.mdl_window_per_epoch or not steps_per_epoch:
            return self.mdl_window
        return min(self.mdl_window, max(self.mdl_window_min, int(steps_per_epoch)))

    def with_window(self, window: int) -> RuleSettings:
        """The same settings with N (and, for the paper profile, W) set to ``window``."""
        return replace(self, window=window, mdl_window=window)


#: Algorithm 1 as published: N = 50, zero threshold ¼ × iterations so far.
PAPER = RuleSettings(
    name="paper",
    window=50,
    sliding=True,
    zero_fraction=0.25,
    min_iterations=10,
    rtol=UNCHANGED_RTOL,
    mdl="progress",
    zero_std=True,
    unchanged_std=True,
)

#: The released callback (``Our Callback/callbacks.py``): N = 5 in disjoint blocks, zero
#: threshold ½ × batches so far from batch 1, exact equality.
RELEASED = RuleSettings(
    name="released",
    window=5,
    sliding=False,
    zero_fraction=0.5,
    min_iterations=1,
    rtol=0.0,
    mdl="unchanged",
    algorithm="released",
)

#: This project's own profile (issue #13): Algorithm 1 as in :data:`PAPER`, plus five rules
#: designed on the mutant suite only and then frozen (``docs/localizer.md``, "The bench
#: profile"): initial weights that amplify far too much, a loss far above chance level,
#: updates that stall, MDL at chance level, and MDL windows of one epoch.
BENCH = replace(
    PAPER,
    name="bench",
    mdl_window_per_epoch=True,
    mdl_window_min=10,
    init_gain=50.0,
    stall_ratio=1e-5,
    loss_scale=5.0,
    mdl_chance_fraction=0.9,
)

PROFILES = {"paper": PAPER, "released": RELEASED, "bench": BENCH}
