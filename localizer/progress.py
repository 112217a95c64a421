"""The paper profile's "model does not learn" (MDL) rule, as pure NumPy (no Keras)."""

from __future__ import annotations

from collections import deque

import numpy as np

from localizer.rules import RuleSettings

__all__ = ["ProgressMonitor"]


class ProgressMonitor:
    """The paper profile's MDL rule: "loss not decreasing and accuracy not increasing".

    The paper compares the current loss/accuracy with values "at least ``num_steps`` earlier"
    without giving the number; single batch values are too noisy for that. This monitor keeps
    the mean over the first W finite batches of the ``fit`` call (the reference) and over the
    last W. From 2W batches on, it fires when

    - the recent mean loss is not at least ``mdl_min_delta`` (relative) below the reference, and
    - when there is an accuracy: the recent mean accuracy is not ``mdl_min_accuracy_gain``
      above the reference, and is below ``mdl_accuracy_ceiling``.

    So it flags a model that has not learned anything since training began; a model that
    learned and then levelled off (a converged healthy model) never fires.

    Example:

    >>> from localizer.rules import PAPER
    >>> monitor = ProgressMonitor(PAPER.with_window(2))
    >>> [monitor.update(1.0, 0.5) is not None for _ in range(4)]
    [False, False, False, True]
    """

    def __init__(self, settings: RuleSettings, chance: float | None = None) -> None:
        self.settings = settings
        #: The chance-level loss (``settings.mdl_chance_fraction``), when known.
        self.chance = chance
        w = settings.mdl_window
        self._first_loss: list[float] = []
        self._first_acc: list[float] = []
        self._recent_loss = np.full(w, np.nan)
        self._recent_acc = np.full(w, np.nan)
        self._acc_seen = np.zeros(w, dtype=bool)
        self.count = 0

    def update(self, loss: float, accuracy: float | None) -> dict[str, float] | None:
        """Add one batch; return the evidence dict when MDL fires, else ``None``.

        Args:
            loss: The batch loss; non-finite values are ignored (they are ELF's business).
            accuracy: The batch accuracy, or ``None`` when the model has none or the batch had
                no accuracy (e.g. all sample weights 0).
        """
        if not np.isfinite(loss):
            return None
        s = self.settings
        w = s.mdl_window
        acc_ok = accuracy is not None and bool(np.isfinite(accuracy))
        if self.count < w:
            self._first_loss.append(float(loss))
            if acc_ok:
                self._first_acc.append(float(accuracy))
        slot = self.count % w
        self._recent_loss[slot] = loss
        self._recent_acc[slot] = accuracy if acc_ok else np.nan
        self._acc_seen[slot] = acc_ok
        self.count += 1
        if self.count < 2 * w:
            return None

        first_loss = float(np.mean(self._first_loss))
        recent_loss = float(np.mean(self._recent_loss))
        gain = (first_loss - recent_loss) / max(abs(first_loss), 1e-12)
        evidence = {
            "batches": self.count,
            "window": w,
            "first_mean_loss": first_loss,
            "recent_mean_loss": recent_loss,
            "relative_loss_decrease": gain,
        }
        if (self.chance and s.mdl_chance_fraction > 0
                and recent_loss >= s.mdl_chance_fraction * self.chance):
            evidence.update(chance_loss=self.chance, chance_fraction=s.mdl_chance_fraction)
            return evidence
        if gain >= s.mdl_min_delta:
            return None
        if self._first_acc and self._acc_seen.any():
            first_acc = float(np.mean(self._first_acc))
            recent_acc = float(np.mean(self._recent_acc[self._acc_seen]))
            if recent_acc - first_acc >= s.mdl_min_accuracy_gain:
                return None
            if recent_acc >= s.mdl_accuracy_ceiling:
                return None
            evidence.update(first_mean_accuracy=first_acc, recent_mean_accuracy=recent_acc)
        return evidence


class LossScaleMonitor:
    """The ``bench`` profile's "loss far above chance" rule (:attr:`RuleSettings.loss_scale`).

    A classifier that predicts the uniform distribution scores the chance-level loss (``ln K``
    for K classes under cross-entropy); a freshly initialised one scores about that. A mean loss
    over the last ``window`` batches of many times that means confident wrong outputs
    (saturated by huge weights or inputs) or a penalty term that swamps the data term.

    Example:

    >>> monitor = LossScaleMonitor(window=2, factor=3.0, chance=0.69)
    >>> [monitor.update(50.0) is not None for _ in range(2)]
    [False, True]
    """

    def __init__(self, window: int, factor: float, chance: float) -> None:
        self.factor = factor
        self.chance = chance
        self._recent: deque[float] = deque(maxlen=window)

    def update(self, loss: float) -> dict[str, float] | None:
        """Add one batch's loss (non-finite ones are ignored); the evidence when it fires."""
        if not np.isfinite(loss):
            return None
        self._recent.append(float(loss))
        if len(self._recent) < self._recent.maxlen:
            return None
        mean = float(np.mean(self._recent))
        if mean <= self.factor * self.chance:
            return None
        return {"batches": len(self._recent), "recent_mean_loss": mean,
                "chance_loss": self.chance, "loss_scale": self.factor}


class StallMonitor:
    """The ``bench`` profile's "stalled" rule: updates too small to train anything.

    Each batch gives the largest ``‖ΔW‖/‖W‖`` over the model's layers (the update of the
    fastest-moving layer relative to its weights). When it stays below ``ratio`` for
    ``window`` batches in a row, the optimizer is not moving the model: a learning rate orders
    of magnitude too small, an optimizer that barely steps, gradients clipped to nothing. A batch
    whose ratio is unknown (NaN: no layer with both summaries) neither counts nor resets.

    Example:

    >>> monitor = StallMonitor(window=3, ratio=1e-5)
    >>> [monitor.update(1e-7) is not None for _ in range(3)]
    [False, False, True]
    """

    def __init__(self, window: int, ratio: float) -> None:
        self.window = window
        self.ratio = ratio
        self.run = 0
        self.largest = 0.0

    def update(self, update_ratio: float) -> dict[str, float] | None:
        """Add one batch's largest update ratio; return the evidence when the rule fires."""
        if not np.isfinite(update_ratio):
            return None
        if update_ratio >= self.ratio:
            self.run, self.largest = 0, 0.0
            return None
        self.run += 1
        self.largest = max(self.largest, float(update_ratio))
        if self.run < self.window:
            return None
        return {"batches": self.run, "window": self.window, "stall_ratio": self.ratio,
                "largest_update_ratio": self.largest}
