"""UMLAUT's heuristic checks: pure checks on synthetic facts, then tiny real trainings."""

from __future__ import annotations

import math

import keras
import numpy as np
from sklearn.datasets import load_digits, load_iris

from baselines import umlaut_checks as um
from baselines.umlaut import UmlautDetector
from baselines.umlaut_checks import EpochFacts, LayerFacts, ModelFacts

L = keras.layers


def _dense(index, activation=None):
    return LayerFacts(index, f"dense_{index}", "Dense", activation, computes=True)


def _act(index, activation):
    return LayerFacts(index, f"act_{index}", "Activation", activation, is_activation=True)


# -- static checks --------------------------------------------------------------------------------


def test_missing_softmax_fires_on_linear_output() -> None:
    """Categorical cross-entropy on a linear output is critical, at the last layer."""
    issue = um.check_missing_softmax(
        ModelFacts((_dense(0, "relu"), _dense(1)), "categorical_crossentropy", False))
    assert issue.severity == um.CRITICAL and issue.layer == 1


def test_missing_softmax_accepts_fused_softmax() -> None:
    """Dense(activation='softmax') is a softmax (the release's name check would flag it)."""
    assert um.check_missing_softmax(
        ModelFacts((_dense(0, "relu"), _dense(1, "softmax")), "categorical_crossentropy", False)
    ) is None


def test_missing_softmax_accepts_from_logits() -> None:
    """A loss that takes logits needs no softmax."""
    assert um.check_missing_softmax(
        ModelFacts((_dense(0, "relu"), _dense(1)), "categorical_crossentropy", True)) is None


def test_hidden_linear_fires_without_activation() -> None:
    """A linear hidden Dense followed directly by another Dense is critical."""
    issues = um.check_hidden_linear(ModelFacts((_dense(0), _dense(1, "softmax")), None, False))
    assert [i.layer for i in issues] == [0]


def test_hidden_linear_accepts_separate_activation_layer() -> None:
    """Dense followed by Activation('relu') has an activation."""
    facts = ModelFacts((_dense(0), _act(1, "relu"), _dense(2, "softmax")), None, False)
    assert um.check_hidden_linear(facts) == []


def test_nonlinear_before_softmax_fires() -> None:
    """Dense(relu) then a Softmax layer is a warning at the Dense."""
    facts = ModelFacts((_dense(0, "relu"), _dense(1, "relu"), _act(2, "softmax")), None, False)
    issue = um.check_nonlinear_before_softmax(facts)
    assert issue.severity == um.WARNING and issue.layer == 1


def test_linear_before_softmax_is_fine() -> None:
    """Dense (linear) then a Softmax layer is the intended pattern."""
    facts = ModelFacts((_dense(0, "relu"), _dense(1), _act(2, "softmax")), None, False)
    assert um.check_nonlinear_before_softmax(facts) is None


def test_dropout_above_half() -> None:
    """Dropout 0.6 is a warning, 0.5 is not."""
    high = LayerFacts(1, "drop", "Dropout", None, dropout_rate=0.6)
    half = LayerFacts(2, "drop2", "Dropout", None, dropout_rate=0.5)
    issues = um.check_dropout(ModelFacts((_dense(0, "relu"), high, half), None, False))
    assert [i.layer for i in issues] == [1]


# -- epoch-end checks -----------------------------------------------------------------------------


def test_image_shape_fires_on_channels_in_the_middle() -> None:
    """(N, 28, 5, 28) is neither NHWC nor NCHW."""
    assert um.check_image_shape(EpochFacts(0, x_shapes=((None, 28, 5, 28),)))


def test_image_shape_accepts_nhwc() -> None:
    """(N, 28, 28, 1) is NHWC."""
    assert um.check_image_shape(EpochFacts(0, x_shapes=((None, 28, 28, 1),))) is None


def test_input_normalization_bounds() -> None:
    """Inputs in [0, 255] are not normalized; inputs in [-1, 1] are."""
    assert um.check_input_normalization(EpochFacts(0, x_min=0.0, x_max=255.0))
    assert um.check_input_normalization(EpochFacts(0, x_min=-1.0, x_max=1.0)) is None


def test_input_floating() -> None:
    """uint8 inputs are flagged, float32 inputs are not."""
    assert um.check_input_floating(EpochFacts(0, x_dtypes=("uint8",)))
    assert um.check_input_floating(EpochFacts(0, x_dtypes=("float32",))) is None


def test_nan_loss_needs_nan_input() -> None:
    """A NaN loss is critical only when the input has NaN too."""
    assert um.check_nan_loss(EpochFacts(0, loss=math.nan, x_nan=3)).severity == um.CRITICAL
    assert um.check_nan_loss(EpochFacts(0, loss=math.nan, x_nan=0)) is None


def test_learning_rate_range() -> None:
    """0.1 is high, 1e-8 is low, 1e-3 is fine."""
    assert um.check_learning_rate(EpochFacts(0, learning_rate=0.1)).code == "learning_rate_high"
    assert um.check_learning_rate(EpochFacts(0, learning_rate=1e-8)).code == "learning_rate_low"
    assert um.check_learning_rate(EpochFacts(0, learning_rate=1e-3)) is None


def test_overfitting_fires_when_validation_loss_rises() -> None:
    """Training loss falls while validation loss rises: possible overfitting."""
    facts = EpochFacts(5, loss=0.2, val_loss=0.9, previous_loss=0.3, previous_val_loss=0.8)
    assert um.check_overfitting(facts)


def test_overfitting_quiet_when_both_fall() -> None:
    """Both losses falling is healthy."""
    facts = EpochFacts(5, loss=0.2, val_loss=0.7, previous_loss=0.3, previous_val_loss=0.8)
    assert um.check_overfitting(facts) is None


def test_validation_accuracy_checked_from_epoch_3() -> None:
    """Validation accuracy 0.97 is suspicious at epoch 3, not at epoch 2."""
    assert um.check_validation_accuracy(EpochFacts(3, accuracy=0.96, val_accuracy=0.97))
    assert um.check_validation_accuracy(EpochFacts(2, accuracy=0.96, val_accuracy=0.97)) is None


def test_validation_accuracy_gap() -> None:
    """Validation 6 points above training is suspicious; 4 points is not."""
    assert um.check_validation_accuracy(EpochFacts(4, accuracy=0.70, val_accuracy=0.76))
    assert um.check_validation_accuracy(EpochFacts(4, accuracy=0.70, val_accuracy=0.74)) is None


def test_critical_issues_come_first() -> None:
    """Within one epoch a critical message precedes the others."""
    facts = EpochFacts(0, loss=math.nan, x_nan=1, x_min=0.0, x_max=5.0, learning_rate=0.5)
    assert um.epoch_issues(facts)[0].code == "nan_loss_nan_input"


# -- real trainings -------------------------------------------------------------------------------


def _digits():
    d = load_digits()
    return (d.data / 16.0).astype("float32"), keras.utils.to_categorical(d.target, 10)


def _train(layers, x, y, optimizer="adam", loss="categorical_crossentropy", **fit):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((x.shape[1],)), *layers])
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    detector = UmlautDetector()
    history = model.fit(x, y, verbose=0, callbacks=detector.callbacks(), **fit)
    return detector.verdict([]), history


def _codes(verdict) -> list[str]:
    return [f.code for f in verdict.findings]


def test_linear_output_with_crossentropy_is_missing_softmax() -> None:
    """A linear output under categorical cross-entropy: missing softmax at the last layer."""
    x, y = _digits()
    verdict, _ = _train([L.Dense(32, activation="relu"), L.Dense(10)], x, y, epochs=1,
                        batch_size=64)
    first = verdict.findings[0]
    assert (first.code, first.target, first.layer_index) == ("missing_softmax", "layer", 1)
    assert verdict.category == "missing_activation"


def test_linear_hidden_layer_is_reported() -> None:
    """A hidden Dense without activation is critical at that layer."""
    x, y = _digits()
    verdict, _ = _train([L.Dense(32), L.Dense(10, activation="softmax")], x, y, epochs=1,
                        batch_size=64)
    assert (verdict.findings[0].code, verdict.findings[0].layer_index) == ("hidden_linear", 0)


def test_relu_before_softmax_layer_and_high_dropout() -> None:
    """Dense(relu) before a Softmax layer and Dropout(0.7) are both warned about."""
    x, y = _digits()
    layers = [L.Dense(32, activation="relu"), L.Dropout(0.7), L.Dense(10, activation="relu"),
              L.Softmax()]
    verdict, _ = _train(layers, x, y, epochs=1, batch_size=64)
    found = {(f.code, f.layer_index) for f in verdict.findings}
    assert {("nonlinear_before_softmax", 2), ("high_dropout", 1)} <= found


def test_raw_uint8_digits_are_flagged() -> None:
    """Unscaled uint8 pixels (0-16): input not normalized and not floating, blaming the data."""
    d = load_digits()
    verdict, _ = _train([L.Dense(32, activation="relu"), L.Dense(10, activation="softmax")],
                        d.data.astype("uint8"), keras.utils.to_categorical(d.target, 10),
                        epochs=1, batch_size=64)
    assert _codes(verdict)[:2] == ["input_not_normalized", "input_not_floating"]
    assert verdict.findings[0].target == "data" and verdict.category == "input_normalisation"


def test_high_learning_rate_is_warned() -> None:
    """SGD(0.5) is above 0.01: a learning-rate warning blaming the hyperparameter."""
    x, y = _digits()
    verdict, _ = _train([L.Dense(32, activation="relu"), L.Dense(10, activation="softmax")],
                        x, y, keras.optimizers.SGD(0.5), epochs=1, batch_size=64)
    assert _codes(verdict) == ["learning_rate_high"]
    assert verdict.findings[0].target == "hyperparameter"


def test_nan_input_with_nan_loss_is_critical() -> None:
    """One NaN pixel makes the loss NaN (tanh propagates it): critical, blaming the data."""
    x, y = _digits()
    x = x.copy()
    x[5, 3] = np.nan
    verdict, _ = _train([L.Dense(32, activation="tanh"), L.Dense(10, activation="softmax")],
                        x, y, epochs=1, batch_size=64)
    assert verdict.findings[0].code == "nan_loss_nan_input"
    assert verdict.findings[0].target == "data"


def test_umlaut_never_stops_training() -> None:
    """UMLAUT only reports: every epoch runs and the verdict has no stop."""
    x, y = _digits()
    verdict, history = _train([L.Dense(32), L.Dense(10, activation="softmax")], x, y, epochs=3,
                              batch_size=128)
    assert verdict.detected and verdict.stop is None and len(history.epoch) == 3


def test_healthy_digits_not_flagged() -> None:
    """Scaled digits, ReLU MLP with softmax, Adam, 20 % validation: no message."""
    x, y = _digits()
    verdict, history = _train([L.Dense(32, activation="relu"), L.Dense(10, activation="softmax")],
                              x, y, epochs=5, batch_size=32, validation_split=0.2)
    assert not verdict.detected and history.history["accuracy"][-1] > 0.85


def test_healthy_iris_not_flagged() -> None:
    """Scaled iris, ReLU MLP with softmax, Adam: no message."""
    d = load_iris()
    x = d.data.astype("float32")
    x = (x - x.min(0)) / (x.max(0) - x.min(0))
    verdict, history = _train([L.Dense(16, activation="relu"), L.Dense(3, activation="softmax")],
                              x, keras.utils.to_categorical(d.target, 3),
                              keras.optimizers.Adam(0.01), epochs=10, batch_size=16)
    assert not verdict.detected and history.history["accuracy"][-1] > 0.8
