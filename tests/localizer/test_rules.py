"""Pure tests of the numeric rules on synthetic traces (no Keras, no training)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from localizer.plan import update_ratio, zero_tolerances
from localizer.progress import ProgressMonitor
from localizer.rules import (
    NUMERICAL,
    PAPER,
    RELEASED,
    UNCHANGED,
    UNCHANGED_RTOL,
    ZERO,
    ZERO_RTOL,
    RuleSettings,
    SlotChecker,
    is_unchanged,
)


def _checker(settings: RuleSettings, n: int = 1, **enabled: bool) -> SlotChecker:
    flags = {"numerical": True, "zero": True, "unchanged": True, **enabled}
    return SlotChecker(settings, **{k: [v] * n for k, v in flags.items()})


def _feed(checker: SlotChecker, means, stds=None) -> list[tuple[int, str]]:
    """Feed one slot's series; return (1-based iteration, rule) of every firing."""
    fired = []
    for i, mean in enumerate(means):
        std = None if stds is None else np.array([stds[i]], dtype=float)
        for _, rule in checker.update(np.array([mean], dtype=float), None, std):
            fired.append((i + 1, rule))
    return fired


def _varying(n: int, start: int = 0) -> list[float]:
    return [1.0 + 0.01 * (start + i) for i in range(n)]


# -- numerical error -----------------------------------------------------------------------------


@pytest.mark.parametrize("settings", [PAPER, RELEASED], ids=["paper", "released"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_numerical_fires_on_nonfinite_mean(settings, bad):
    """A NaN/Inf mean is a numerical error at the batch it appears, in both profiles."""
    fired = _feed(_checker(settings), [0.5, 0.7, bad], [0.1, 0.1, 0.1])
    assert fired == [(3, NUMERICAL)]


@pytest.mark.parametrize("settings", [PAPER, RELEASED], ids=["paper", "released"])
def test_numerical_silent_on_finite_means(settings):
    """Finite, changing means never fire, in both profiles."""
    means = _varying(60)
    assert _feed(_checker(settings), means, [0.1 + 0.001 * i for i in range(60)]) == []


def test_numerical_rule_can_be_disabled_per_slot():
    """A slot with the numerical rule off ignores NaN."""
    assert _feed(_checker(RELEASED, numerical=False, zero=False), [np.nan]) == []


# -- zero ------------------------------------------------------------------------------------------


def test_paper_zero_fires_at_min_iterations_when_always_zero():
    """Paper: an all-zero slot fires at iteration 10 (the minimum), not before."""
    fired = _feed(_checker(PAPER), [0.0] * 12, [0.0] * 12)
    assert fired[0] == (10, ZERO)


def test_paper_zero_single_zero_at_first_batch_does_not_fire():
    """Paper: one zero at batch 1 followed by non-zero means never fires."""
    means = [0.0, *_varying(30)]
    stds = [0.0] + [0.1 + 0.001 * i for i in range(30)]
    assert _feed(_checker(PAPER), means, stds) == []


def test_paper_zero_threshold_is_a_quarter_of_iterations():
    """Paper: 2 zeros in 10 batches do not fire; the 3rd zero at batch 12 does (3 >= 12/4)."""
    means = _varying(8) + [0.0, 0.0, 1.5, 0.0]
    stds = [0.1] * 8 + [0.0, 0.0, 0.1, 0.0]
    assert _feed(_checker(PAPER), means, stds) == [(12, ZERO)]


def test_paper_zero_ignores_a_zero_mean_with_spread():
    """Paper: a mean of exactly 0 from values that cancel (std > 0) is not a zero."""
    assert _feed(_checker(PAPER), [0.0] * 20, [0.3] * 20) == []


def test_zero_tolerance_counts_rounding_noise_as_zero():
    """With a tolerance, |values| at or below it count as zero; exactly-zero stays the default."""
    checker = _checker(PAPER, n=3)
    means, stds = np.array([1e-9, 0.0, 2e-6]), np.array([1e-9, 0.0, 0.0])
    valid = np.ones(3, dtype=bool)
    assert checker.is_zero(means, valid, stds).tolist() == [False, True, False]
    atol = np.array([1e-6, 0.0, 1e-6])
    assert checker.is_zero(means, valid, stds, atol).tolist() == [True, True, False]
    assert not checker.is_zero(np.array([np.nan]), np.ones(1, bool), np.zeros(1), 1.0)[0]


def test_zero_tolerances_scale_with_the_gradient_arriving_at_the_layer():
    """atol = ZERO_RTOL x RMS of the scale row; 0 where unscaled or not measured."""
    plan = SimpleNamespace(zero_scale_columns=np.array([-1, 1, 2]))
    tables = np.zeros((2, 3, 8))
    tables[:, 1, :3] = [4, 3.0, 4.0]  # n, mean, std: rms 5
    tables[0, 2, :3] = [4, 1.0, 0.0]  # rms 1; batch 1: n = 0, not measured
    atol = zero_tolerances(tables, plan)
    assert atol[:, 0].tolist() == [0.0, 0.0]
    assert atol[:, 1] == pytest.approx([5 * ZERO_RTOL] * 2)
    assert atol[:, 2] == pytest.approx([ZERO_RTOL, 0.0])


def test_released_zero_counts_a_zero_mean_with_spread():
    """Released: the mean alone counts, so cancelling values fire at batch 1."""
    assert _feed(_checker(RELEASED), [0.0] * 3)[0] == (1, ZERO)


def test_released_zero_threshold_is_half_of_batches():
    """Released: zero at batch 3 (1 < 3/2) is silent; zero at batch 2 (1 >= 2/2) fires."""
    assert _feed(_checker(RELEASED, unchanged=False), [1.0, 2.0, 0.0]) == []
    assert _feed(_checker(RELEASED, unchanged=False), [1.0, 0.0]) == [(2, ZERO)]


def test_per_slot_zero_fraction_overrides_the_profile():
    """A slot with zero fraction 1.0 fires only when every batch so far was zero."""
    checker = SlotChecker(PAPER, numerical=[True], zero=[True], unchanged=[False],
                          zero_fractions=[1.0])
    means = [0.0] * 5 + [0.5] + [0.0] * 10
    assert _feed(checker, means, [0.0] * 16) == []
    always = SlotChecker(PAPER, numerical=[True], zero=[True], unchanged=[False],
                         zero_fractions=[1.0])
    assert _feed(always, [0.0] * 10, [0.0] * 10) == [(10, ZERO)]


# -- unchanged -------------------------------------------------------------------------------------


def test_paper_unchanged_fires_after_exactly_n_equal_values():
    """Paper: 50 equal (mean, std) pairs fire at batch 50, 49 do not."""
    checker = _checker(PAPER, zero=False)
    assert _feed(checker, [0.25] * 49, [0.1] * 49) == []
    assert checker.update(np.array([0.25]), None, np.array([0.1])) == [(0, UNCHANGED)]


def test_paper_unchanged_uses_a_sliding_window():
    """Paper: after 10 changing values, the 50th equal value (batch 60) fires."""
    means = _varying(10) + [2.0] * 50
    fired = _feed(_checker(PAPER, zero=False), means, [0.1] * 60)
    assert fired[0] == (60, UNCHANGED)


def test_paper_unchanged_needs_the_std_unchanged_too():
    """Paper: a constant mean with a changing std (softmax/CE output layer) does not fire."""
    stds = [0.1 + 0.001 * i for i in range(80)]
    assert _feed(_checker(PAPER, zero=False), [0.25] * 80, stds) == []


def test_paper_unchanged_tolerates_float_rounding_only():
    """Paper: differences within 4 float32 ulps are 'unchanged'; 1e-5 relative is not."""
    tiny = [1.0 + (i % 2) * UNCHANGED_RTOL / 2 for i in range(50)]
    assert _feed(_checker(PAPER, zero=False), tiny, [0.1] * 50) == [(50, UNCHANGED)]
    small = [1.0 + (i % 2) * 1e-5 for i in range(50)]
    assert _feed(_checker(PAPER, zero=False), small, [0.1] * 50) == []


def test_window_override_sets_n():
    """with_window(5) makes five equal values enough."""
    fired = _feed(_checker(PAPER.with_window(5), zero=False), [3.0] * 5, [0.0] * 5)
    assert fired == [(5, UNCHANGED)]


def test_released_unchanged_checks_disjoint_blocks():
    """Released: 7 equal values spanning two blocks of 5 (batches 3-9) never fire."""
    means = [1.0, 2.0] + [5.0] * 7 + [6.0]
    assert _feed(_checker(RELEASED, zero=False), means) == []
    # the same series fires with a sliding window of 5
    sliding = _feed(_checker(PAPER.with_window(5), zero=False), means, [0.0] * 10)
    assert sliding == [(7, UNCHANGED), (8, UNCHANGED), (9, UNCHANGED)]


def test_released_unchanged_fires_on_an_aligned_block():
    """Released: equal values filling batches 6-10 fire at batch 10."""
    means = _varying(5) + [4.0] * 5
    assert _feed(_checker(RELEASED, zero=False), means) == [(10, UNCHANGED)]


def test_released_unchanged_is_exact():
    """Released: a 1e-12 relative wobble is a change."""
    means = [1.0 + (i % 2) * 1e-12 for i in range(5)]
    assert _feed(_checker(RELEASED, zero=False), means) == []


# -- bookkeeping -----------------------------------------------------------------------------------


def test_unmeasured_slots_are_skipped():
    """A slot marked invalid neither fires nor counts as an observation."""
    checker = _checker(RELEASED, n=2)
    fired = checker.update(np.array([np.nan, 0.0]), np.array([False, False]))
    assert fired == [] and checker.observations.tolist() == [0, 0]


def test_one_rule_per_slot_in_slot_order():
    """Several slots fire in slot order, each with its first rule (numerical before zero)."""
    checker = _checker(RELEASED, n=3)
    assert checker.update(np.array([0.0, 1.0, np.nan])) == [(0, ZERO), (2, NUMERICAL)]


def test_fired_window_is_kept_for_evidence():
    """The values that made a slot 'unchanged' are available after it fired."""
    checker = _checker(RELEASED, zero=False)
    _feed(checker, [7.0] * 5)
    assert checker.fired_windows[0].tolist() == [7.0] * 5


def test_is_unchanged():
    """is_unchanged: equal within rtol, never with NaN or when empty."""
    assert is_unchanged(np.array([1.0, 1.0]), 0.0)
    assert not is_unchanged(np.array([1.0, 1.1]), 0.0)
    assert not is_unchanged(np.array([np.nan, np.nan]), 1.0)
    assert not is_unchanged(np.array([]), 1.0)


# -- model does not learn ------------------------------------------------------------------------


def test_progress_fires_at_two_windows_when_nothing_improves():
    """MDL fires at batch 2W when loss and accuracy stay flat."""
    monitor = ProgressMonitor(PAPER.with_window(5))
    fired = [i + 1 for i in range(12) if monitor.update(0.69, 0.5) is not None]
    assert fired[0] == 10


def test_progress_silent_while_loss_decreases():
    """MDL stays silent while the loss falls by more than 1 %."""
    monitor = ProgressMonitor(PAPER.with_window(5))
    assert all(monitor.update(1.0 - 0.02 * i, 0.5) is None for i in range(30))


def test_progress_silent_when_accuracy_rises():
    """A flat loss with a rising accuracy is learning."""
    monitor = ProgressMonitor(PAPER.with_window(5))
    assert all(monitor.update(0.69, 0.3 + 0.02 * i) is None for i in range(20))


def test_progress_silent_at_the_accuracy_ceiling():
    """A model at 100 % batch accuracy has nothing left to learn."""
    monitor = ProgressMonitor(PAPER.with_window(5))
    assert all(monitor.update(0.01, 1.0) is None for _ in range(20))


def test_progress_without_accuracy_uses_loss_only():
    """Without an accuracy metric a flat loss alone is MDL."""
    monitor = ProgressMonitor(PAPER.with_window(5))
    fired = [monitor.update(2.0, None) for _ in range(10)]
    assert fired[-1] is not None and fired[-1]["relative_loss_decrease"] == 0.0


def test_progress_ignores_nonfinite_losses():
    """NaN losses are not batches for MDL (ELF reports them)."""
    monitor = ProgressMonitor(PAPER.with_window(5))
    assert all(monitor.update(float("nan"), 0.5) is None for _ in range(30))
    assert monitor.count == 0


# -- settings and helpers ------------------------------------------------------------------------


def test_profiles_pin_published_and_released_thresholds():
    """Paper: N=50, zero at 1/4; released: N=5 blocks, zero at 1/2 from batch 1."""
    assert (PAPER.window, PAPER.zero_fraction, PAPER.sliding) == (50, 0.25, True)
    assert (RELEASED.window, RELEASED.zero_fraction, RELEASED.sliding) == (5, 0.5, False)
    assert RELEASED.min_iterations == 1 and RELEASED.rtol == 0.0


@pytest.mark.parametrize(
    "field, value", [("window", 1), ("zero_fraction", 0.0), ("zero_fraction", 1.5), ("mdl", "x")]
)
def test_settings_reject_bad_values(field, value):
    """RuleSettings raises ValueError quoting a bad value."""
    from dataclasses import replace

    with pytest.raises(ValueError, match=repr(value)):
        replace(PAPER, **{field: value})


def test_update_ratio_is_the_norm_ratio():
    """update_ratio = ‖ΔW‖/‖W‖ from (mean, std) summaries; NaN when not measured."""
    weights = np.array([10, 3.0, 4.0, 0, 0, 0, 0, 0])  # rms 5
    delta = np.array([10, 0.0, 0.5, 0, 0, 0, 0, 0])  # rms 0.5
    assert update_ratio(weights, delta) == pytest.approx(0.1)
    assert np.isnan(update_ratio(np.zeros(8), delta))
