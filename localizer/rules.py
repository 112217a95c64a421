"""DeepLocalize's numeric rules as pure NumPy: no Keras, no training.

Every per-batch statistic DeepLocalize checks is a *slot*: one quantity (a layer's output before
or after activation, its weights, its weight update, ...) reduced to a few numbers per batch (see
:data:`STATS`). :class:`SlotChecker` applies the paper's ``ANA`` procedure (Algorithm 1) to all
slots of one batch at once, vectorised, or scans a block of batches at once
(:meth:`SlotChecker.quiet_rows`, :meth:`SlotChecker.advance`);
:class:`localizer.progress.ProgressMonitor` is the paper profile's "model does not learn" (MDL)
rule. Both are driven by a :class:`RuleSettings`; :data:`PAPER` and
:data:`RELEASED` are the two profiles (the published algorithm and the authors' released
callback). ``docs/localizer.md`` explains every threshold and where the paper is ambiguous.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from localizer.settings import (  # noqa: F401  (re-exported: the rules' public names)
    PAPER,
    PROFILES,
    RELEASED,
    UNCHANGED_RTOL,
    ZERO_RTOL,
    RuleSettings,
)

#: The per-slot summary of one batch, in this order (the probe writes exactly these).
STATS = ("n", "mean", "std", "min", "max", "nan", "inf", "zero_frac")
N_STATS = len(STATS)
N, MEAN, STD, MIN, MAX, NAN, INF, ZERO_FRAC = range(N_STATS)

#: Rule names, in the order ``ANA`` applies them to one slot.
NUMERICAL = "numerical_error"
ZERO = "zero"
UNCHANGED = "unchanged"
NOT_LEARNING = "not_learning"
#: ``bench`` profile: a layer whose initial weights amplify its input far too much
#: (:attr:`RuleSettings.init_gain`).
INIT_GAIN = "init_gain"
#: ``bench`` profile: updates too small to train (:attr:`RuleSettings.stall_ratio`).
STALLED = "stalled"
#: ``bench`` profile: a loss far above chance level (:attr:`RuleSettings.loss_scale`).
LOSS_SCALE = "loss_scale"

def is_unchanged(values: np.ndarray, rtol: float) -> bool:
    """Whether all values are equal: ``max - min <= rtol * max(|values|)`` (NaN is never equal)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0 or not np.all(np.isfinite(values)):
        return False
    spread = float(values.max() - values.min())
    return spread <= rtol * float(np.abs(values).max())


def zero_threshold(iterations: int, settings: RuleSettings) -> float:
    """How many zero means a slot may reach after ``iterations`` observations before it fires."""
    return settings.zero_fraction * iterations


class SlotChecker:
    """``ANA(input, LayerNo, Location)`` of Algorithm 1, applied to many slots at once.

    For every slot, in this order: a NaN/Inf mean is a fault; a mean of exactly 0 (with
    ``zero_std``: and a standard deviation of 0) increments the slot's zero count, and the slot
    fires when the current mean is 0, the slot has been observed
    at least ``min_iterations`` times and the count reaches ``zero_fraction`` × observations; the
    mean (and, with ``unchanged_std``, the standard deviation) is appended to the slot's history
    and the slot fires when N values are stored and are all equal. At most one rule fires per
    slot and batch (the first in that order). Non-finite means are neither counted nor stored.

    Args:
        settings: The profile's thresholds.
        numerical, zero, unchanged: Boolean arrays, one entry per slot: which rules apply.
        zero_fractions: Per-slot zero thresholds overriding ``settings.zero_fraction``
            (optional).

    Example:

    >>> import numpy as np
    >>> checker = SlotChecker(RELEASED, numerical=[True], zero=[True], unchanged=[True])
    >>> checker.update(np.array([np.nan]))
    [(0, 'numerical_error')]
    """

    def __init__(
        self,
        settings: RuleSettings,
        *,
        numerical: np.ndarray | list[bool],
        zero: np.ndarray | list[bool],
        unchanged: np.ndarray | list[bool],
        zero_fractions: np.ndarray | list[float] | None = None,
    ) -> None:
        self.settings = settings
        self.numerical = np.asarray(numerical, dtype=bool)
        self.zero = np.asarray(zero, dtype=bool)
        self.unchanged = np.asarray(unchanged, dtype=bool)
        if not self.numerical.shape == self.zero.shape == self.unchanged.shape:
            raise ValueError("numerical, zero and unchanged must have one entry per slot")
        self.n_slots = int(self.numerical.shape[0])
        self.zero_fractions = (
            np.full(self.n_slots, settings.zero_fraction)
            if zero_fractions is None
            else np.asarray(zero_fractions, dtype=np.float64)
        )
        if self.zero_fractions.shape != self.numerical.shape:
            raise ValueError("zero_fractions must have one entry per slot")
        self.observations = np.zeros(self.n_slots, dtype=np.int64)
        self.zero_counts = np.zeros(self.n_slots, dtype=np.int64)
        self._history = np.full((settings.window, self.n_slots), np.nan)
        self._history_std = np.full((settings.window, self.n_slots), np.nan)
        self._stored = np.zeros(self.n_slots, dtype=np.int64)  # values stored (may exceed N)
        #: Slot -> the window of values that made it fire "unchanged" in the last update.
        self.fired_windows: dict[int, np.ndarray] = {}

    def window_values(self, slot: int) -> np.ndarray:
        """The values in the slot's current window, oldest first (at most N)."""
        n = self.settings.window
        stored = int(self._stored[slot])
        if self.settings.sliding:
            k = min(stored, n)
            rows = [(stored - k + j) % n for j in range(k)]
        else:
            rows = list(range(stored))
        return self._history[rows, slot].copy()

    def update(
        self,
        means: np.ndarray,
        valid: np.ndarray | None = None,
        stds: np.ndarray | None = None,
        zero_atol: np.ndarray | None = None,
    ) -> list[tuple[int, str]]:
        """Check one batch; return ``(slot, rule)`` for every slot that fired, in slot order.

        Args:
            means: The batch mean of every slot.
            valid: Which slots were measured in this batch (default: all). Unmeasured slots are
                skipped and keep their state.
            stds: The batch standard deviation of every slot; required when the settings have
                ``unchanged_std``.
            zero_atol: Per slot, how far from 0 a value still counts as zero (default: 0, i.e.
                exactly 0; see :meth:`is_zero`).
        """
        s = self.settings
        means = np.asarray(means, dtype=np.float64)
        if means.shape != (self.n_slots,):
            raise ValueError(f"expected {self.n_slots} means, got shape {means.shape}")
        valid = np.ones(self.n_slots, bool) if valid is None else np.asarray(valid, dtype=bool)
        if (s.unchanged_std or s.zero_std) and stds is None:
            raise ValueError(f"the {s.name!r} profile needs the standard deviations (stds=)")
        finite = np.isfinite(means)
        self.observations += valid

        numerical = valid & ~finite & self.numerical
        is_zero = self.is_zero(means, valid, stds, zero_atol)
        self.zero_counts += is_zero
        zero = (
            is_zero
            & self.zero
            & (self.observations >= s.min_iterations)
            & (self.zero_counts >= self.zero_fractions * self.observations)
        )

        store = valid & finite
        idx = np.flatnonzero(store)
        rows = self._stored[idx] % s.window
        self._history[rows, idx] = means[idx]
        if stds is not None:
            self._history_std[rows, idx] = np.asarray(stds, dtype=np.float64)[idx]
        self._stored[idx] += 1
        full = store & (self._stored >= s.window) & self.unchanged
        unchanged = np.zeros(self.n_slots, dtype=bool)
        self.fired_windows = {}
        if full.any():
            cols = np.flatnonzero(full)
            window = self._history[:, cols]
            spread = window.max(axis=0) - window.min(axis=0)
            same = spread <= s.rtol * np.abs(window).max(axis=0)
            if s.unchanged_std:
                window_std = self._history_std[:, cols]
                spread_std = window_std.max(axis=0) - window_std.min(axis=0)
                same &= spread_std <= s.rtol * np.abs(window_std).max(axis=0)
            unchanged[cols] = same
            for slot in np.flatnonzero(unchanged):
                self.fired_windows[int(slot)] = self.window_values(int(slot))
        if not s.sliding:
            # Released callback: the lists are checked, then cleared, after every N-th value.
            self._stored[store & (self._stored >= s.window)] = 0

        fired: list[tuple[int, str]] = []
        for slot in np.flatnonzero(numerical | zero | unchanged):
            if numerical[slot]:
                fired.append((int(slot), NUMERICAL))
            elif zero[slot]:
                fired.append((int(slot), ZERO))
            else:
                fired.append((int(slot), UNCHANGED))
        return fired

    def is_zero(
        self, means: np.ndarray, valid: np.ndarray, stds: Any, zero_atol: Any = None
    ) -> np.ndarray:
        """Where a measured slot counts as zero.

        Without a tolerance: the mean is exactly 0 (with ``zero_std``: and the std too, i.e.
        every value is 0). With ``zero_atol`` > 0: ``|mean| <= zero_atol`` (with ``zero_std``:
        the RMS ``sqrt(mean² + std²) <= zero_atol``). NaN and Inf never count.
        """
        means = np.asarray(means, dtype=np.float64)
        atol = 0.0 if zero_atol is None else np.asarray(zero_atol, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            if self.settings.zero_std:
                size = np.hypot(means, np.asarray(stds, dtype=np.float64))
            else:
                size = np.abs(means)
            return valid & (size <= atol)  # NaN never compares: not zero

    # -- blocks of batches ------------------------------------------------------------------------
    # The callback reads the summaries of several batches at once; these two methods let it run
    # the rules over a whole block with a few array operations instead of one update per batch.
    # ``quiet_rows`` finds how many leading batches of a block fire no rule (nothing new), and
    # ``advance`` then applies exactly those batches to the state, with the result that
    # ``update`` called on them one by one would have had. The batch that fires goes through
    # ``update`` as before, so findings and their evidence are unchanged.

    def quiet_rows(
        self,
        means: np.ndarray,
        valid: np.ndarray,
        stds: np.ndarray | None = None,
        skip: np.ndarray | None = None,
        zero_atol: np.ndarray | None = None,
    ) -> int:
        """How many leading rows of a block would fire no rule (``update`` returns nothing).

        Args:
            means, valid, stds, zero_atol: ``(k, n_slots)`` arrays, one row per batch (as for
                ``update``).
            skip: ``(n_slots, 3)`` booleans: a fire of (slot, rule) that is already known and
                does not count; columns in the order numerical error, zero, unchanged.

        A row also ends the quiet run when it needs the one-batch path: a non-finite mean, a
        slot whose validity differs from the block's first row, or (released profile) any row,
        as its disjoint windows are checked batch by batch.
        """
        s = self.settings
        means = np.asarray(means, dtype=np.float64)
        k = means.shape[0]
        if k == 0 or not s.sliding:
            return 0
        valid = np.asarray(valid, dtype=bool)
        finite = np.isfinite(means)
        irregular = (valid & ~finite) | (valid != valid[0])
        skip = np.zeros((self.n_slots, 3), bool) if skip is None else skip

        is_zero = self.is_zero(means, valid, stds, zero_atol)
        observations = self.observations + np.cumsum(valid, axis=0)
        zero_counts = self.zero_counts + np.cumsum(is_zero, axis=0)
        zero = (
            is_zero
            & (self.zero & ~skip[:, 1])
            & (observations >= s.min_iterations)
            & (zero_counts >= self.zero_fractions * observations)
        )
        numerical = valid & ~finite & (self.numerical & ~skip[:, 0])
        events = irregular | numerical | zero
        checked = self.unchanged & ~skip[:, 2] & valid[0]
        if checked.any():
            cols = np.flatnonzero(checked)
            stored = self._stored[cols] + np.arange(1, k + 1)[:, None]
            same = self._block_unchanged(means, stds, cols)
            events[:, cols] |= same & (stored >= s.window)
        rows = np.flatnonzero(events.any(axis=1))
        return int(rows[0]) if rows.size else k

    def _block_unchanged(
        self, means: np.ndarray, stds: np.ndarray | None, cols: np.ndarray
    ) -> np.ndarray:
        """``(k, len(cols))``: whether the last N stored values are equal after each row.

        Two equal values within the tolerance differ by at most ``rtol / (1 - rtol)`` of the
        later one, so a window can only be unchanged where every step inside it is that small:
        a cheap test on consecutive differences finds the few candidates, and only those get
        ``update``'s exact test (same values, same comparison).
        """
        s = self.settings
        n, k = s.window, means.shape[0]
        seq = self._sequence(self._history, means, cols)
        with np.errstate(invalid="ignore"):
            step = np.abs(np.diff(seq, axis=0))
            close = step <= (s.rtol / (1.0 - s.rtol)) * 1.0001 * np.abs(seq[1:])
        runs = np.concatenate([np.zeros((1, len(cols)), np.int64), np.cumsum(close, axis=0)])
        candidate = runs[n - 1 :] - runs[: k] == n - 1  # all N-1 steps of the window are small
        same = np.zeros((k, len(cols)), bool)
        if not candidate.any():
            return same
        seq_std = self._sequence(self._history_std, stds, cols) if s.unchanged_std else None
        for r, c in zip(*np.nonzero(candidate)):
            ok = is_unchanged(seq[r : r + n, c], s.rtol)
            if ok and seq_std is not None:
                ok = is_unchanged(seq_std[r : r + n, c], s.rtol)
            same[r, c] = ok
        return same

    def _sequence(self, history: np.ndarray, values: Any, cols: np.ndarray) -> np.ndarray:
        """The last N - 1 stored values of ``cols`` (NaN where fewer), then the block's rows."""
        n = self.settings.window
        stored = self._stored[cols]
        back = np.arange(n - 1, 0, -1)[:, None]  # how far back: N-1 ... 1
        past = history[(stored[None, :] - back) % n, cols[None, :]]
        past[back > stored[None, :]] = np.nan
        return np.concatenate([past, np.asarray(values, dtype=np.float64)[:, cols]], axis=0)

    def advance(
        self,
        means: np.ndarray,
        valid: np.ndarray,
        stds: np.ndarray | None = None,
        zero_atol: np.ndarray | None = None,
    ) -> None:
        """Apply a block of rows that :meth:`quiet_rows` found quiet, as ``update`` would."""
        s = self.settings
        means = np.asarray(means, dtype=np.float64)
        k = means.shape[0]
        if k == 0:
            return
        valid = np.asarray(valid, dtype=bool)
        is_zero = self.is_zero(means, valid, stds, zero_atol)
        self.observations += valid.sum(axis=0)
        self.zero_counts += is_zero.sum(axis=0)
        cols = np.flatnonzero(valid[0])
        m = min(k, s.window)  # only the last N rows can still be in the window
        rows = (self._stored[cols][None, :] + np.arange(k - m, k)[:, None]) % s.window
        self._history[rows, cols[None, :]] = means[k - m :, cols]
        if stds is not None:
            self._history_std[rows, cols[None, :]] = np.asarray(stds, np.float64)[k - m :, cols]
        self._stored[cols] += k
        self.fired_windows = {}
