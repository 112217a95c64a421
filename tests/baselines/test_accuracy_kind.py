"""Which logged accuracy the tools read: only a classification accuracy, as DeepLocalize.

A regression compiled with ``metrics=["accuracy"]`` gets Keras' ``BinaryAccuracy``, 0 (or
meaningless) on continuous targets; AUTOTRAINER, DeepDiagnosis and UMLAUT treat it as no accuracy,
while a classifier whose accuracy really is 0 still trips their accuracy rules.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from baselines import autotrainer_rules as at
from baselines import deepdiagnosis_rules as dd
from baselines.autotrainer import AutoTrainerDetector
from baselines.base import Detector
from baselines.deepdiagnosis import DeepDiagnosisDetector
from baselines.epoch_logs import logged_accuracy, reads_accuracy
from baselines.recorder import Recorder, RecorderState
from baselines.umlaut import UmlautDetector
from localizer.probe import ACCURACY, Probe, Slot
from localizer.rules import N as COUNT

L = keras.layers
LOGS = {"loss": 0.5, "accuracy": 0.0, "val_loss": 0.6, "val_accuracy": 0.9}


# -- the gate on plain values ---------------------------------------------------------------------


def test_regression_accuracy_is_not_read() -> None:
    """Batches whose targets were not class labels: accuracy and val accuracy count as absent."""
    state = RecorderState(accuracy_batches=8, label_batches=0)
    assert state.accuracy_is_classification is False and not reads_accuracy(state)
    assert logged_accuracy(LOGS, state) is None
    assert logged_accuracy(LOGS, state, validation=True) is None


def test_one_non_label_batch_disqualifies_the_fit() -> None:
    """The epoch accuracy averages every batch, so one batch of continuous targets spoils it."""
    assert RecorderState(accuracy_batches=8, label_batches=7).accuracy_is_classification is False


def test_classification_accuracy_is_read() -> None:
    """Class-label targets in every batch: the logs are read as they are, 0 included."""
    state = RecorderState(accuracy_batches=8, label_batches=8)
    assert logged_accuracy(LOGS, state) == 0.0
    assert logged_accuracy(LOGS, state, validation=True) == pytest.approx(0.9)


def test_unknown_kind_reads_the_logs() -> None:
    """Nothing recorded (no accuracy metric seen, custom train_step): read as logged."""
    assert RecorderState().accuracy_is_classification is None
    assert logged_accuracy(LOGS, RecorderState()) == 0.0
    assert logged_accuracy({"loss": 1.0}, RecorderState()) is None


# -- data -----------------------------------------------------------------------------------------


def _regression(n: int = 256, zero_inflated: bool = False):
    """Continuous targets of a smooth function of 4 inputs in [-1, 1]; ``zero_inflated``: half
    of them exactly 0 (``relu``), as rainfall or counts."""
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (n, 4)).astype("float32")
    y = x @ np.array([0.8, -0.5, 0.3, 0.6], "float32") + 0.1
    return x, (np.maximum(y, 0.0) if zero_inflated else y)[:, None]


def _wrong_class(n: int = 256, label: int = 1):
    """Uniform inputs, every target the one-hot class ``label`` of 2."""
    x = np.random.RandomState(1).uniform(0, 1, (n, 8)).astype("float32")
    return x, keras.utils.to_categorical(np.full(n, label), 2)


def _fit(detector: Detector, layers, x, y, loss, optimizer, build=None, **fit):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((x.shape[1],)), *layers])
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    if build:
        build(model)
    history = model.fit(x, y, verbose=0, callbacks=detector.callbacks(), **fit)
    return detector.verdict([]), history


def _fit_regression(detector: Detector, x=None, y=None, **fit):
    if x is None:
        x, y = _regression()
    return _fit(detector, [L.Dense(16, activation="relu"), L.Dense(1)], x, y, "mse",
                keras.optimizers.Adam(0.005), epochs=4, batch_size=32, **fit)


def _stuck_on_class_0(model: keras.Model) -> None:
    kernel = model.layers[0].get_weights()[0]
    model.layers[0].set_weights([np.zeros_like(kernel), np.array([10.0, -10.0], "float32")])


def _fit_wrong_class(detector: Detector, **fit):
    """A softmax classifier that predicts class 0 while every training label is class 1: its
    (categorical) accuracy is truly 0 for the whole run."""
    x, y = _wrong_class()
    return _fit(detector, [L.Dense(2, activation="softmax")], x, y, "categorical_crossentropy",
                keras.optimizers.SGD(1e-4), build=_stuck_on_class_0, epochs=4, batch_size=32,
                **fit)


def _codes(verdict) -> list[str]:
    return [f.code for f in verdict.findings]


# -- the recorder agrees with DeepLocalize's probe ------------------------------------------------


class _Both(keras.callbacks.Callback):
    """Reads the probe's batch-accuracy count at every batch and the recorder at the end."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: list[float] = []
        self.state = RecorderState()

    def on_train_begin(self, logs=None) -> None:
        self.probe = Probe.acquire(self.model, self)
        self.recorder = Recorder.acquire(self.model, self)

    def on_train_batch_end(self, batch, logs=None) -> None:
        _, tables = self.probe.rows_after(self.probe.step - 1)
        self.counts.append(float(tables[-1][self.probe.index[Slot(ACCURACY)]][COUNT]))

    def on_train_end(self, logs=None) -> None:
        self.state = self.recorder.read()
        self.probe.release(self)
        self.recorder.release(self)


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_recorder_decides_as_the_probe_counts(task: str) -> None:
    """Regression: the probe records every batch accuracy as not measured (n = 0) and the
    recorder calls the accuracy not a classification one; a classifier: both count it."""
    x, y = _regression() if task == "regression" else _wrong_class()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((x.shape[1],)), L.Dense(y.shape[1])])
    model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
    both = _Both()
    model.fit(x, y, epochs=1, batch_size=64, verbose=0, callbacks=[both])
    assert len(both.counts) == both.state.accuracy_batches == 4
    if task == "regression":
        assert both.counts == [0.0] * 4 and both.state.accuracy_is_classification is False
    else:
        assert min(both.counts) > 0 and both.state.accuracy_is_classification is True


def test_no_accuracy_metric_is_unknown() -> None:
    """Compiled without an accuracy: nothing counted, the kind is unknown."""
    x, y = _regression()
    model = keras.Sequential([keras.Input((4,)), L.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    both = _Both()
    model.fit(x, y, epochs=1, batch_size=64, verbose=0, callbacks=[both])
    assert both.state.steps == 4 and both.state.accuracy_is_classification is None


# -- the three tools ------------------------------------------------------------------------------


def test_deepdiagnosis_ignores_regression_accuracy() -> None:
    """A healthy regression logging accuracy 0: no IAS (nor ANIS), training runs to the end."""
    verdict, history = _fit_regression(DeepDiagnosisDetector())
    assert history.history["accuracy"][0] == 0.0  # what IAS used to fire on
    assert not {dd.IAS, dd.ANIS} & set(_codes(verdict)) and len(history.epoch) == 4


def test_deepdiagnosis_zero_classification_accuracy_is_invalid() -> None:
    """A classifier that never predicts a label right: IAS at the first check."""
    verdict, _ = _fit_wrong_class(DeepDiagnosisDetector())
    assert _codes(verdict)[:1] == [dd.IAS]
    assert verdict.findings[0].evidence["values"] == {"accuracy": 0.0}


def test_autotrainer_ignores_regression_accuracy() -> None:
    """A healthy regression logging accuracy 0 is not "slow convergence" (the Θ gate stays
    shut, as for a program without accuracy)."""
    verdict, history = _fit_regression(AutoTrainerDetector())
    assert max(history.history["accuracy"]) == 0.0
    assert not verdict.detected and len(history.epoch) == 4


def test_autotrainer_zero_classification_accuracy_is_slow_convergence() -> None:
    """A classifier stuck at accuracy 0 opens the gate: SC at the judgment point."""
    verdict, _ = _fit_wrong_class(AutoTrainerDetector())
    assert _codes(verdict) == [at.SC] and verdict.findings[0].evidence["best_accuracy"] == 0.0


def test_umlaut_ignores_regression_validation_accuracy() -> None:
    """A zero-inflated regression validated on mostly-zero targets: BinaryAccuracy matches the
    zeros (validation far "above" training), which is no reason for a suspicious-data warning."""
    x, y = _regression(512, zero_inflated=True)
    held = np.arange(384, 512)
    val = np.concatenate([held[y[held, 0] == 0][:60], held[y[held, 0] > 0][:4]])
    verdict, history = _fit_regression(UmlautDetector(), x[:384], y[:384],
                                       validation_data=(x[val], y[val]))
    gap = history.history["val_accuracy"][-1] - history.history["accuracy"][-1]
    assert gap > 0.05 and not math.isnan(gap)  # what check 11 used to fire on
    assert "high_validation_accuracy" not in _codes(verdict)


def test_umlaut_validation_accuracy_of_a_classifier_still_checked() -> None:
    """Training accuracy 0, validation accuracy 1 (validation labels all class 0): warned."""
    x_val, y_val = _wrong_class(64, label=0)
    verdict, _ = _fit_wrong_class(UmlautDetector(), validation_data=(x_val, y_val))
    assert "high_validation_accuracy" in _codes(verdict)
