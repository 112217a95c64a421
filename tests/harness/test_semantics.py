"""Loss semantics: keras2 and tfkeras bring back the published frozen-loss bugs (issue #4)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from harness import semantics


def _train(output_activation: str, loss: str, units: int, sem: str) -> list[float]:
    semantics.apply(sem)
    try:
        keras.utils.set_random_seed(0)
        x = np.concatenate([np.ones((64, 8)), np.zeros((64, 8))]).astype("float32")
        labels = np.concatenate([np.ones(64), np.zeros(64)]).astype("int32")
        y = labels[:, None].astype("float32") if units == 1 else np.eye(units)[labels]
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(units),
                                  keras.layers.Activation(output_activation)])
        model.compile(optimizer="rmsprop", loss=loss)
        return model.fit(x, y, epochs=3, batch_size=16, verbose=0).history["loss"]
    finally:
        semantics.apply("keras3")


@pytest.mark.parametrize("sem", ["keras2", "tfkeras"])
def test_one_unit_softmax_with_bce_has_a_frozen_loss(sem: str) -> None:
    """The published symptom: the constant output 1.0 gives a loss frozen near 8."""
    losses = _train("softmax", "binary_crossentropy", 1, sem)
    assert losses[0] == pytest.approx(losses[-1]) and losses[-1] > 7


def test_keras3_hides_the_one_unit_softmax_bug() -> None:
    """Plain Keras 3 computes BCE from the hidden logits: the loss falls."""
    losses = _train("softmax", "binary_crossentropy", 1, "keras3")
    assert losses[-1] < losses[0] < 1


def test_tfkeras_keeps_matched_softmax_cce_on_logits() -> None:
    """A legitimate softmax + CCE pair trains (from logits) under tfkeras."""
    losses = _train("softmax", "categorical_crossentropy", 2, "tfkeras")
    assert losses[-1] < losses[0]


def test_unknown_semantics_is_rejected() -> None:
    """Only the documented semantics exist."""
    with pytest.raises(ValueError, match="semantics must be one of"):
        semantics.apply("keras1")
