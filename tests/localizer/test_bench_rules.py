"""The ``bench`` profile's rules, as pure NumPy: initial gain, loss far above chance, stalled
updates, MDL at chance level and per-epoch windows (``localizer.settings.BENCH``)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from localizer.model_facts import LayerInfo
from localizer.plan import chance_loss, merge_hits, plan_checks
from localizer.progress import LossScaleMonitor, ProgressMonitor, StallMonitor
from localizer.rules import INIT_GAIN, PAPER, STALLED, STATS, STD, N
from localizer.settings import BENCH, PROFILES
from localizer.slots import OUTPUT, PRE, Slot, slot_layout


def _dense(index: int, units: int, activation: str | None) -> LayerInfo:
    kind = "plain" if activation in (None, "linear") else "fused"
    return LayerInfo(index, f"dense_{index}", "Dense", kind, activation, units)


def test_bench_is_its_own_profile_and_the_others_are_untouched():
    assert PROFILES["bench"] is BENCH and BENCH.name == "bench"
    for name in ("paper", "released"):
        s = PROFILES[name]
        assert math.isinf(s.init_gain) and math.isinf(s.loss_scale)
        assert s.stall_ratio == 0 and s.mdl_chance_fraction == 0 and not s.mdl_window_per_epoch


def _plan(layers, **kw):
    index = {slot: i for i, slot in enumerate(slot_layout(layers))}
    return plan_checks(BENCH, layers, index, **kw), index


def _table(index, rms_of):
    """A summary table whose slots have mean 0 and the given RMS (std), the rest RMS 1."""
    table = np.zeros((len(index), len(STATS)))
    table[:, N], table[:, STD] = 10, 1.0
    for slot, value in rms_of.items():
        table[index[slot], STD] = value
    return table


def test_initial_gain_fires_at_the_first_batch_on_the_layer_that_amplifies():
    layers = [_dense(0, 8, "relu"), _dense(1, 8, None), _dense(2, 3, "softmax")]
    plan, index = _plan(layers)
    assert [plan.order[p] for p, _, _ in plan.gain_checks] == [
        Slot(PRE, 0), Slot(OUTPUT, 1), Slot(PRE, 2)]
    table = _table(index, {Slot(OUTPUT, 0): 2.0, Slot(OUTPUT, 1): 500.0})  # 250x its input
    fired = plan.model_rules(table)
    assert [(plan.order[p], rule) for p, rule, _ in fired] == [(Slot(OUTPUT, 1), INIT_GAIN)]
    assert fired[0][2]["gain"] == pytest.approx(250.0)
    assert plan.model_rules(table) == []  # the first batch only
    trained, _ = _plan(layers, fresh=False)  # a model trained before: initial weights are gone
    assert trained.gain_checks == [] and trained.model_rules(table) == []
    assert plan_checks(PAPER, layers, index).gain_checks == []


def test_model_level_fires_sit_where_mdl_sits_and_layer_fires_by_position():
    hits = [(0, "zero"), (5, "unchanged")]
    model = [(2, INIT_GAIN, {}), (None, STALLED, {}), (None, "not_learning", {})]
    assert merge_hits(hits, model, mdl_position=5) == [
        (0, "zero"), (2, INIT_GAIN), (None, STALLED), (None, "not_learning"), (5, "unchanged")]


@pytest.mark.parametrize(("layers", "loss", "expected"), [
    ([_dense(0, 10, "softmax")], "categorical_crossentropy", math.log(10)),
    ([_dense(0, 10, None)], "sparse_categorical_crossentropy", math.log(10)),
    ([_dense(0, 1, "sigmoid")], "binary_crossentropy", math.log(2)),
    ([_dense(0, 1, None)], "mean_squared_error", None),
    ([_dense(0, 4, "softmax")], None, math.log(4)),  # no loss name: the activation stands in
    ([_dense(0, 1, "sigmoid")], None, math.log(2)),
    ([_dense(0, 1, None)], None, None),
    ([], "categorical_crossentropy", None),
])
def test_chance_loss(layers, loss, expected):
    got = chance_loss(layers, loss)
    assert got == pytest.approx(expected) if expected is not None else got is None


def test_loss_scale_fires_on_the_mean_of_its_window_only():
    monitor = LossScaleMonitor(window=3, factor=5.0, chance=1.0)
    assert [monitor.update(v) for v in (40.0, 1.0)] == [None, None]
    assert monitor.update(1.0) is not None  # mean 14 > 5
    assert monitor.update(float("nan")) is None  # ignored: NaN is the numerical rule's
    assert monitor.update(31.0) is not None  # window (1, 1, 31): mean 11 > 5
    assert monitor.update(1.0) is not None  # (1, 31, 1): still 11
    assert monitor.update(1.0) is not None and monitor.update(1.0) is None  # (31,1,1), (1,1,1)


def test_stall_needs_a_full_window_in_a_row():
    monitor = StallMonitor(window=3, ratio=1e-5)
    assert [monitor.update(r) is not None for r in (1e-7, 1e-7, 1e-3, 1e-7, 1e-7)] == [False] * 5
    assert monitor.update(float("nan")) is None  # unknown: neither counts nor resets
    ev = monitor.update(2e-7)
    assert ev == {"batches": 3, "window": 3, "stall_ratio": 1e-5, "largest_update_ratio": 2e-7}


def test_mdl_at_chance_level_fires_even_when_the_loss_falls():
    settings = replace(PAPER, mdl_window=2, mdl_chance_fraction=0.9)
    falling = [2.5, 2.4, 2.2, 2.1]  # 12 % lower, but still above 0.9 ln 10 = 2.07
    monitor = ProgressMonitor(settings, chance=math.log(10))
    assert [monitor.update(v, 0.1 * i) is not None for i, v in enumerate(falling)] == [
        False, False, False, True]
    plain = ProgressMonitor(replace(settings, mdl_chance_fraction=0.0), chance=math.log(10))
    assert not any(plain.update(v, 0.1 * i) for i, v in enumerate(falling))


@pytest.mark.parametrize(("steps", "expected"), [(None, 50), (4, 10), (23, 23), (400, 50)])
def test_mdl_window_per_epoch_is_clamped(steps, expected):
    settings = replace(PAPER, mdl_window_per_epoch=True, mdl_window_min=10)
    assert settings.mdl_window_for(steps) == expected
    assert PAPER.mdl_window_for(steps) == 50


@pytest.mark.parametrize("bad", [
    {"init_gain": 0.0}, {"stall_ratio": -1.0}, {"loss_scale": 0.0},
    {"loss_scale_window": 0}, {"mdl_chance_fraction": -0.1}, {"mdl_window_min": 1},
    {"algorithm": "mine"},
])
def test_bad_settings_say_what_is_wrong(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        replace(PAPER, **bad)
