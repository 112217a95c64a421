"""The DeepLocalize callback's API: arguments, fault modes, reuse, output and trace."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from localizer import DeepLocalize, FaultDetected, Finding
from localizer.probe import RING_CALLS, Probe


@pytest.mark.parametrize(
    "kwargs, bad",
    [
        ({"profile": "paper2"}, "'paper2'"),
        ({"on_fault": "halt"}, "'halt'"),
        ({"window": 1}, "1"),
        ({"window": 5.0}, "5.0"),
        ({"verbose": 3}, "3"),
        ({"trace_length": -1}, "-1"),
        ({"record_all": "yes"}, "'yes'"),
    ],
)
def test_constructor_rejects_bad_values_quoting_them(kwargs, bad):
    """Each invalid argument raises ValueError with the received value in the message."""
    with pytest.raises(ValueError, match=bad):
        DeepLocalize(**kwargs)


def test_constructor_takes_no_positional_or_unknown_arguments():
    """Arguments are keyword-only and there is no **kwargs sink."""
    with pytest.raises(TypeError):
        DeepLocalize("paper")
    with pytest.raises(TypeError):
        DeepLocalize(windows=5)


def test_defaults_are_the_paper_profile_stopping_at_the_first_fault():
    """DeepLocalize() is the published algorithm (N=50) in stop mode; CM before any fit."""
    cb = DeepLocalize()
    assert (cb.profile, cb.on_fault, cb.settings.window, cb.verdict_code) == (
        "paper", "stop", 50, "CM"
    )


def test_healthy_model_is_cm(make_mlp, train, blobs):
    """A separable problem trained well: no findings, verdict CM, all batches checked."""
    x, y = blobs
    cb = DeepLocalize(verbose=0)
    train(make_mlp(), x, y, callbacks=[cb], optimizer=keras.optimizers.Adam(0.01), epochs=3)
    assert (cb.verdict_code, cb.findings, cb.iterations) == ("CM", [], 48)


def test_stop_mode_stops_training_after_the_finding(make_mlp, train, blobs):
    """on_fault='stop' sets stop_training: fit ends in the epoch of the finding, at most one
    read of the ring (MAX_DELAY_S, RING_CALLS batches) after the batch that fired, which the
    finding names."""
    x, y = blobs
    cb = DeepLocalize(verbose=0)
    history = train(make_mlp(hidden_bias=-100.0), x, y, callbacks=[cb], epochs=5)
    assert len(history.history["loss"]) == 1
    assert len(cb.findings) == 1 and cb.findings[0].iteration == 10
    assert 10 <= cb.steps_run <= 10 + RING_CALLS


def test_raise_mode_raises_fault_detected_and_restores_the_model(make_mlp, train, blobs):
    """on_fault='raise' raises FaultDetected carrying the finding; the step is restored."""
    x, y = blobs
    model = make_mlp(hidden_bias=-100.0)
    with pytest.raises(FaultDetected) as info:
        train(model, x, y, callbacks=[DeepLocalize(verbose=0, on_fault="raise")])
    assert isinstance(info.value.finding, Finding) and info.value.finding.code == "EAA"
    assert "train_step" not in vars(model) and not Probe._active


def test_record_mode_keeps_training_and_every_distinct_finding(make_mlp, train, blobs):
    """on_fault='record' trains all epochs; its first finding is the one stop mode reports."""
    x, y = blobs
    x = x.copy()
    x[42, 1] = np.nan
    recorded, stopped = DeepLocalize(verbose=0, on_fault="record"), DeepLocalize(verbose=0)
    history = train(make_mlp(), x, y, callbacks=[recorded], shuffle=False, epochs=3)
    keras.utils.set_random_seed(0)
    train(make_mlp(), x, y, callbacks=[stopped], shuffle=False, epochs=3)
    assert len(history.history["loss"]) == 3
    keys = [(f.code, f.layer_index, f.quantity, f.evidence["rule"]) for f in recorded.findings]
    assert len(keys) > 1 and len(keys) == len(set(keys))
    first = lambda f: (f.code, f.layer_index, f.quantity, f.epoch, f.batch, f.iteration)  # noqa: E731
    assert first(recorded.findings[0]) == first(stopped.findings[0])


def test_instance_is_reusable_across_fits(make_mlp, train, blobs):
    """State is reset in on_train_begin: a fault in fit 1 does not leak into fit 2."""
    x, y = blobs
    cb = DeepLocalize(verbose=0)
    train(make_mlp(hidden_bias=-100.0), x, y, callbacks=[cb])
    assert cb.verdict_code == "EAA"
    train(make_mlp(), x, y, callbacks=[cb], optimizer=keras.optimizers.Adam(0.01))
    assert (cb.verdict_code, cb.iterations) == ("CM", 32)


def test_verbose_prints_the_finding_and_its_hint(make_mlp, train, blobs, capsys):
    """verbose=1 prints one sentence naming the layer, epoch and batch, plus the hint."""
    x, y = blobs
    train(make_mlp(hidden_bias=-100.0), x, y, callbacks=[DeepLocalize()])
    out = capsys.readouterr().out
    assert "layer 0 'dense" in out and "epoch 0, batch 9" in out
    assert "hint (heuristic): initialisation" in out


def test_verbose_zero_prints_nothing(make_mlp, train, blobs, capsys):
    """verbose=0 is silent even when a fault is found."""
    x, y = blobs
    train(make_mlp(hidden_bias=-100.0), x, y, callbacks=[DeepLocalize(verbose=0)])
    assert capsys.readouterr().out == ""


def test_finding_fields_are_json_safe(make_mlp, train, blobs):
    """A finding with NaN evidence is JSON-safe: the NaN mean is null, its count says why."""
    x, y = blobs
    x = x.copy()
    x[3, 0] = np.inf
    cb = DeepLocalize(verbose=0)
    train(make_mlp(), x, y, callbacks=[cb], shuffle=False)
    payload = json.dumps(cb.findings[0].to_json(), allow_nan=False)
    assert '"code": "EBA"' in payload and '"mean": null' in payload
    evidence = cb.findings[0].evidence
    assert evidence["mean"] is None and evidence["nan"] + evidence["inf"] >= 1


def test_trace_keeps_only_the_newest_batches(make_mlp, train, blobs):
    """trace_length bounds memory: only the last N batches are kept."""
    x, y = blobs
    cb = DeepLocalize(verbose=0, trace_length=5)
    train(make_mlp(), x, y, callbacks=[cb], optimizer=keras.optimizers.Adam(0.01))
    assert len(cb.trace) == 5
    assert cb.trace.iterations.tolist() == [28, 29, 30, 31, 32]
    assert cb.trace.series("loss").shape == (5,)
    assert len(cb.trace.to_records()) == 5


def test_two_callbacks_share_one_probe(make_mlp, train, blobs):
    """Paper and released profiles on one fit each get their own verdict from one probe."""
    x, y = blobs
    paper = DeepLocalize(verbose=0, on_fault="record")
    released = DeepLocalize(verbose=0, on_fault="record", profile="released")
    train(make_mlp(hidden_bias=-100.0), x, y, callbacks=[paper, released])
    assert paper.findings[0].iteration == 10 and released.findings[0].iteration == 1
    assert paper.iterations == released.iterations == 32
    assert not Probe._active


def test_codes_follow_slot_rule_and_layer_kind():
    """Code mapping: pre→EBA; output→EAA/EBA by activation; loss/accuracy 'unchanged'→MDL."""
    from localizer.messages import finding_code as _code
    from localizer.probe import ACCURACY, LOSS, OUTPUT, PRE, LayerInfo, Slot

    fused = LayerInfo(0, "d", "Dense", "fused", "relu", 4)
    plain = LayerInfo(1, "f", "Flatten", "plain", None, None)
    assert _code(Slot(PRE, 0), "zero", fused) == "EBA"
    assert _code(Slot(OUTPUT, 0), "zero", fused) == "EAA"
    assert _code(Slot(OUTPUT, 1), "zero", plain) == "EBA"
    assert _code(Slot(LOSS), "numerical_error", None) == "ELF"
    assert _code(Slot(LOSS), "unchanged", None) == "MDL"
    assert _code(Slot(ACCURACY), "zero", None) == "EAF"
    assert _code(Slot(ACCURACY), "unchanged", None) == "MDL"
    assert _code(Slot("delta_weights", 0), "zero", fused) == "EBDW"
    assert _code(Slot("output_gradients", 0), "zero", fused) == "EBDW"
    assert _code(Slot("weights", 0), "unchanged", fused) == "EBW"


@pytest.mark.parametrize("hidden_bias, nan_at", [(-100.0, None), (0.0, 42)])
def test_reading_every_batch_or_in_blocks_finds_the_same(make_mlp, train, blobs, monkeypatch,
                                                          hidden_bias, nan_at):
    """The callback reads the probe's ring every batch (no delay) or in blocks: the same
    findings, at the same batches, with the same evidence."""
    from localizer import deeplocalize

    x, y = blobs
    x = x.copy()
    if nan_at is not None:
        x[nan_at, 1] = np.nan
    found = []
    for delay in (0.0, 1e9):  # every batch; only when the ring is full or an epoch ends
        monkeypatch.setattr(deeplocalize, "MAX_DELAY_S", delay)
        keras.utils.set_random_seed(0)
        cb = DeepLocalize(verbose=0, on_fault="record")
        train(make_mlp(hidden_bias=hidden_bias), x, y, callbacks=[cb], shuffle=False, epochs=3)
        found.append([(f.code, f.layer_index, f.quantity, f.epoch, f.batch, f.iteration,
                       json.dumps(f.evidence, sort_keys=True)) for f in cb.findings])
    assert found[0] and found[0] == found[1]
