"""The block scan of the rules (``SlotChecker.quiet_rows`` / ``advance``) against ``update``.

The callback checks the batches it reads together: it advances the rules over the leading
batches that fire nothing in one step and runs ``update`` on the batch that fires. These tests
drive one checker batch by batch and a twin through blocks, on traces built to fire every rule
(constant stretches, zeros, NaN, slots that stop being measured), and require the same fires at
the same batches and the same state.
"""

from __future__ import annotations

import numpy as np
import pytest

from localizer.rules import NUMERICAL, PAPER, RELEASED, UNCHANGED, ZERO, SlotChecker

S = 6


def _trace(seed: int, batches: int = 400) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    means = rng.normal(size=(batches, S))
    stds = np.abs(rng.normal(size=(batches, S))) + 0.1
    valid = np.ones((batches, S), bool)
    for _ in range(6):  # constant stretches ("unchanged"), some with float-rounding jitter
        col, start = rng.integers(S), rng.integers(batches - 80)
        length = int(rng.integers(20, 80))
        value = rng.normal()
        jitter = 1 + rng.integers(-1, 2, size=length) * np.finfo(np.float32).eps
        means[start : start + length, col] = value * jitter
        stds[start : start + length, col] = 0.5
    for _ in range(4):  # zero stretches
        col, start = rng.integers(S), rng.integers(batches - 60)
        means[start : start + 60, col] = 0.0
        stds[start : start + 60, col] = rng.choice([0.0, 1.0])
    means[:40, 0], stds[:40, 0] = 0.0, 0.0  # dead from the start: "zero" fires in both profiles
    for _ in range(2):  # a slot not measured for a while
        col, start = rng.integers(S), rng.integers(batches - 30)
        valid[start : start + 30, col] = False
    means[rng.integers(batches), rng.integers(S)] = rng.choice([np.nan, np.inf])
    return means, valid, stds


def _state(checker: SlotChecker) -> tuple:
    return (checker.observations.tolist(), checker.zero_counts.tolist(),
            checker._stored.tolist(), np.nan_to_num(checker._history, nan=7.0).tolist(),
            np.nan_to_num(checker._history_std, nan=7.0).tolist())


def _checker(settings):
    return SlotChecker(settings.with_window(20), numerical=[True] * S, zero=[True] * S,
                       unchanged=[True] * S, zero_fractions=[0.25, 0.5, 1.0, 0.25, 0.25, 0.25])


def _one_by_one(checker, means, valid, stds):
    return [(r, slot, rule) for r in range(len(means))
            for slot, rule in checker.update(means[r], valid[r], stds[r])]


def _in_blocks(checker, means, valid, stds, size):
    fires, i = [], 0
    while i < len(means):
        end = min(i + size, len(means))
        while i < end:
            quiet = checker.quiet_rows(means[i:end], valid[i:end], stds[i:end])
            checker.advance(means[i : i + quiet], valid[i : i + quiet], stds[i : i + quiet])
            i += quiet
            if i < end:
                fires += [(i, slot, rule) for slot, rule in checker.update(means[i], valid[i],
                                                                            stds[i])]
                i += 1
    return fires


@pytest.mark.parametrize("settings", [PAPER, RELEASED], ids=["paper", "released"])
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("size", [1, 7, 32])
def test_blocks_fire_what_update_fires_at_the_same_batches(settings, seed, size):
    """Same fires, same batches, same state, whatever the block size."""
    means, valid, stds = _trace(seed)
    one, block = _checker(settings), _checker(settings)
    expected = _one_by_one(one, means, valid, stds)
    assert {rule for _, _, rule in expected} >= {NUMERICAL, ZERO, UNCHANGED}  # the trace fires all
    assert _in_blocks(block, means, valid, stds, size) == expected
    assert _state(block) == _state(one)


def test_a_block_is_quiet_up_to_the_first_fire():
    """quiet_rows counts the leading rows that fire nothing; a skipped (known) fire counts as
    nothing."""
    checker = _checker(PAPER)
    means = np.ones((30, S)) + np.arange(30)[:, None]
    means[25, 2] = np.nan
    valid, stds = np.ones((30, S), bool), np.ones((30, S))
    assert checker.quiet_rows(means, valid, stds) == 25
    skip = np.zeros((S, 3), bool)
    skip[2, 0] = True
    assert checker.quiet_rows(means, valid, stds, skip) == 25  # a NaN row still needs update
    means[25, 2] = 3.0
    assert checker.quiet_rows(means, valid, stds, skip) == 30
