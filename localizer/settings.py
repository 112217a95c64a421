"""DeepLocalize's rule profiles: the thresholds of :mod:`localizer.rules`, as data.

:data:`PAPER` is the published algorithm (Algorithm 1), :data:`RELEASED` the authors' released
callback; ``docs/localizer.md`` explains every threshold and where the paper is ambiguous.
"""

from __future__ import annotations

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
        name: ``"paper"`` or ``"released"``.
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

    def __post_init__(self) -> None:
        if self.window < 2:
            raise ValueError(f"window must be >= 2, got {self.window!r}")
        if not 0.0 < self.zero_fraction <= 1.0:
            raise ValueError(f"zero_fraction must be in (0, 1], got {self.zero_fraction!r}")
        if self.mdl not in ("progress", "unchanged"):
            raise ValueError(f"mdl must be 'progress' or 'unchanged', got {self.mdl!r}")

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
)

PROFILES = {"paper": PAPER, "released": RELEASED}
