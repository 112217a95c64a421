"""Saved traces and their replay: ``Trace.save``/``load`` and :func:`localizer.replay.replay`
give the findings the live callback gives, for every profile."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from localizer import DeepLocalize
from localizer.replay import TraceIncomplete, replay
from localizer.settings import PROFILES
from localizer.trace import Trace


def _mlp(init: str = "glorot_uniform", lr: float = 1e-2) -> keras.Model:
    model = keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(16, activation="relu", kernel_initializer=init),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _keyed(findings):
    return [(f.code, f.layer_index, f.iteration, f.evidence["rule"], f.target) for f in findings]


def _replayed(hits):
    return [(h.code, h.layer_index, h.iteration, h.rule, h.target) for h in hits]


@pytest.mark.parametrize(("init", "lr"), [
    ("glorot_uniform", 1e-2),  # healthy
    (keras.initializers.RandomNormal(stddev=100.0), 1e-2),  # huge weights: initial gain, loss
    ("glorot_uniform", 1e-9),  # stalled, MDL
])
def test_replay_of_a_saved_trace_gives_the_live_findings(digits, tmp_path, init, lr):
    x, y = digits
    keeper = DeepLocalize(on_fault="record", verbose=0, record_all=True, trace_length=10_000)
    live = {name: DeepLocalize(profile=name, on_fault="record", verbose=0) for name in PROFILES}
    model = _mlp(init, lr)
    model.fit(x[:640], y[:640], batch_size=32, epochs=6, verbose=0,
              callbacks=[keeper, *live.values()])
    keeper.trace.save(tmp_path / "fit0.npz", steps=20)
    trace, meta = Trace.load(tmp_path / "fit0.npz")
    assert meta == {"steps": 20}
    assert np.array_equal(trace.tables(), keeper.trace.tables(), equal_nan=True)
    assert trace.layers == keeper.trace.layers and trace.slots == keeper.trace.slots
    for name, callback in live.items():
        hits = replay(trace, PROFILES[name], steps_per_epoch=20,
                      loss_name="sparse_categorical_crossentropy")
        assert _replayed(hits) == _keyed(callback.findings), name
    if lr == 1e-9:
        assert {f.evidence["rule"] for f in live["bench"].findings} >= {"stalled"}
    if init != "glorot_uniform":
        assert {f.evidence["rule"] for f in live["bench"].findings} >= {"init_gain", "loss_scale"}


def test_a_trace_that_lost_its_first_batches_cannot_be_replayed(digits):
    x, y = digits
    keeper = DeepLocalize(on_fault="record", verbose=0, record_all=True, trace_length=5)
    _mlp().fit(x[:320], y[:320], batch_size=32, epochs=1, verbose=0, callbacks=[keeper])
    with pytest.raises(TraceIncomplete, match="starts at batch 6"):
        replay(keeper.trace, PROFILES["paper"])


def test_loading_a_file_that_is_not_a_trace_says_so(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, x=np.zeros(3))
    with pytest.raises(ValueError, match="not a DeepLocalize trace"):
        Trace.load(path)
