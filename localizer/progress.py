"""The paper profile's "model does not learn" (MDL) rule, as pure NumPy (no Keras)."""

from __future__ import annotations

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

    def __init__(self, settings: RuleSettings) -> None:
        self.settings = settings
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
        if gain >= s.mdl_min_delta:
            return None
        evidence = {
            "batches": self.count,
            "window": w,
            "first_mean_loss": first_loss,
            "recent_mean_loss": recent_loss,
            "relative_loss_decrease": gain,
        }
        if self._first_acc and self._acc_seen.any():
            first_acc = float(np.mean(self._first_acc))
            recent_acc = float(np.mean(self._recent_acc[self._acc_seen]))
            if recent_acc - first_acc >= s.mdl_min_accuracy_gain:
                return None
            if recent_acc >= s.mdl_accuracy_ceiling:
                return None
            evidence.update(first_mean_accuracy=first_acc, recent_mean_accuracy=recent_acc)
        return evidence
