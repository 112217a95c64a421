"""Small buggy models DeepLocalize must catch (code, layer, hint) and healthy ones it must not."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from localizer import DeepLocalize


def _first(callback: DeepLocalize):
    assert callback.findings, "expected a finding, got CM"
    return callback.findings[0]


def test_nan_input_is_eba_in_the_first_layer(make_mlp, train, blobs):
    """A NaN in the inputs: EBA, layer 0, at the batch holding it, hint data_preprocessing."""
    x, y = blobs
    x = x.copy()
    x[42, 1] = np.nan  # batch 5 with batch_size 8 and no shuffling
    cb = DeepLocalize(verbose=0)
    train(make_mlp(), x, y, callbacks=[cb], shuffle=False)
    f = _first(cb)
    assert (f.code, f.layer_index, f.phase, f.quantity) == ("EBA", 0, "forward", "pre_activation")
    assert (f.epoch, f.batch, f.iteration) == (0, 5, 6)
    assert f.hint == "data_preprocessing"


def test_huge_learning_rate_is_a_numerical_error_hinting_learning_rate(make_mlp, train, blobs):
    """SGD(lr=1e4): the forward pass overflows within a few batches; hint learning_rate."""
    x, y = blobs
    cb = DeepLocalize(verbose=0)
    train(make_mlp(), x, y, callbacks=[cb], optimizer=keras.optimizers.SGD(1e4), shuffle=False)
    f = _first(cb)
    assert (f.code, f.layer_index, f.evidence["rule"]) == ("EBA", 1, "numerical_error")
    assert f.iteration <= 10
    assert f.hint == "learning_rate"


def test_dead_relu_layer_is_eaa_zero(make_mlp, train, blobs):
    """Bias -100 kills every ReLU of layer 0: EAA, layer 0, at iteration 10; initialisation."""
    x, y = blobs
    cb = DeepLocalize(verbose=0)
    train(make_mlp(hidden_bias=-100.0), x, y, callbacks=[cb])
    f = _first(cb)
    assert (f.code, f.layer_index, f.quantity, f.evidence["rule"]) == (
        "EAA", 0, "post_activation", "zero"
    )
    assert f.iteration == 10
    assert f.hint == "initialisation"


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis -1:UserWarning")
def test_one_unit_softmax_is_eaa_unchanged_in_the_output_layer(make_mlp, train, blobs):
    """A softmax over one unit outputs 1 forever: EAA 'unchanged', last layer, hint activation."""
    x, y = blobs
    cb = DeepLocalize(verbose=0)
    train(make_mlp(n_out=1, out_act="softmax"), x, y.astype("float32"), callbacks=[cb],
          loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.01), epochs=4)
    f = _first(cb)
    assert (f.code, f.layer_index, f.evidence["rule"]) == ("EAA", 1, "unchanged")
    assert f.iteration == 50
    assert f.hint == "wrong_activation"


def test_zero_learning_rate_is_ebdw_in_the_last_layer(make_mlp, train, blobs):
    """Learning rate 0: the update of the last layer is all zeros (EBDW, backward, last→first)."""
    x, y = blobs
    cb = DeepLocalize(verbose=0)
    train(make_mlp(), x, y, callbacks=[cb], optimizer=keras.optimizers.SGD(0.0))
    f = _first(cb)
    assert (f.code, f.layer_index, f.phase, f.quantity) == (
        "EBDW", 1, "backward", "delta_weights"
    )
    assert f.iteration == 10
    assert f.hint == "learning_rate"


def test_model_that_cannot_learn_is_mdl(train, blobs):
    """Random labels and a zero-initialised output: MDL at 2W batches, target 'model'."""
    x, _ = blobs
    y = np.random.default_rng(1).integers(0, 2, size=len(x)).astype("int32")
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="tanh"),
            keras.layers.Dense(2, activation="softmax", kernel_initializer="zeros"),
        ]
    )
    cb = DeepLocalize(verbose=0, window=10)
    train(model, x, y, callbacks=[cb], optimizer=keras.optimizers.SGD(0.01), epochs=3)
    f = _first(cb)
    assert (f.code, f.target, f.layer_index, f.phase) == ("MDL", "model", None, None)
    assert f.iteration == 20


def test_nan_loss_from_the_loss_function_is_elf(train, blobs):
    """A loss that is NaN although every layer is finite: ELF, target 'loss'."""
    x, y = blobs

    def broken_loss(y_true, y_pred):
        return keras.ops.mean(keras.ops.log(y_pred - 2.0))  # log of a negative number

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    cb = DeepLocalize(verbose=0)
    train(model, x, y, callbacks=[cb], loss=broken_loss)
    f = _first(cb)
    assert (f.code, f.target, f.quantity, f.iteration) == ("ELF", "loss", "loss", 1)


def test_zero_accuracy_is_eaf(train, blobs):
    """A classifier that gets no batch right (all labels 1, output stuck below 0.5): EAF at
    iteration 10, the first batch the "every batch so far" rule may fire."""
    x, _ = blobs
    y = np.ones((len(x), 1), dtype="float32")
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(1, activation="sigmoid", kernel_initializer="zeros",
                           bias_initializer=keras.initializers.Constant(-50.0)),
    ])
    cb = DeepLocalize(verbose=0)
    train(model, x, y, callbacks=[cb], loss="binary_crossentropy", metrics=("accuracy",),
          optimizer=keras.optimizers.SGD(1e-4))
    f = _first(cb)
    assert (f.code, f.target, f.quantity, f.iteration) == ("EAF", "model", "accuracy", 10)
    assert f.hint == "wrong_loss"


def test_regression_accuracy_is_not_a_fault(train, blobs):
    """A regression compiled with 'accuracy' gets a BinaryAccuracy that is 0 on continuous
    targets in every batch; that says nothing about the model, so no EAF (and no finding)."""
    x, _ = blobs
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], dtype="float32"))[:, None]
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    cb = DeepLocalize(verbose=0)
    train(model, x, y, callbacks=[cb], loss="mse", metrics=("accuracy",))
    assert cb.iterations >= 10
    assert all(f.code != "EAF" for f in cb.findings), [f.message for f in cb.findings]
    assert cb.trace.series("accuracy", None, "n").max() == 0  # recorded as not measured


def test_zero_gradient_through_an_activation_layer_is_ebdw_there(train, blobs):
    """Backward through a layer without weights (Algorithm 1 step 6): a separate 1-unit
    softmax passes back a gradient of exactly 0, reported as EBDW at the Activation layer
    itself, not at the Dense layer before it."""
    x, _ = blobs
    y = (x[:, :1] > 0).astype("float32")
    model = keras.Sequential([
        keras.Input((4,)), keras.layers.Dense(1), keras.layers.Activation("softmax"),
    ])
    cb = DeepLocalize(verbose=0)
    train(model, x, y, callbacks=[cb], loss="mse")
    f = _first(cb)
    assert (f.code, f.layer_index, f.layer_class) == ("EBDW", 1, "Activation")
    assert (f.phase, f.quantity, f.evidence["rule"], f.iteration) == (
        "backward", "input_gradients", "zero", 10)
    assert f.hint == "wrong_activation"


def test_healthy_digits_mlp_is_correct_in_the_paper_profile(train, digits):
    """A standard MLP on scaled digits for 4 epochs (228 batches): no finding."""
    x, y = digits
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    cb = DeepLocalize(verbose=0)
    history = train(model, x, y, callbacks=[cb], optimizer=keras.optimizers.Adam(1e-3),
                    epochs=4, batch_size=32)
    assert cb.verdict_code == "CM", [f.message for f in cb.findings]
    assert cb.iterations == 4 * 57
    assert history.history["accuracy"][-1] > 0.9


def test_healthy_iris_mlp_is_correct_in_the_paper_profile(make_mlp, train, iris):
    """A small MLP on scaled iris for 15 epochs (285 batches) with SGD: no finding."""
    x, y = iris
    cb = DeepLocalize(verbose=0)
    history = train(make_mlp(n_out=3, hidden=16), x, y, callbacks=[cb],
                    optimizer=keras.optimizers.SGD(0.05), epochs=15)
    assert cb.verdict_code == "CM", [f.message for f in cb.findings]
    assert history.history["accuracy"][-1] > 0.8


def test_released_profile_fires_on_a_single_zero_at_batch_one(make_mlp, train, blobs):
    """Released: the dead ReLU layer fires at iteration 1 (zero threshold 1/2 from batch 1)."""
    x, y = blobs
    cb = DeepLocalize(verbose=0, profile="released")
    train(make_mlp(hidden_bias=-100.0), x, y, callbacks=[cb])
    f = _first(cb)
    assert (f.code, f.layer_index, f.iteration) == ("EAA", 0, 1)


def test_released_profile_flags_constant_weights_after_five_batches(make_mlp, train, blobs):
    """Released: with learning rate 0 the kernel mean is unchanged over the first block: EBW.

    A 1-unit sigmoid output, not a 2-unit softmax: under cross-entropy the gradient of a
    softmax layer has rows that sum to 0, so its mean (all the released rule reads) is 0 up
    to float32 rounding, and whether it is exactly 0.0 at batch 1 depends on the CPU's
    reduction order (exactly 0.0 on an AVX2 EPYC, not on the machine the test was written on).
    """
    x, y = blobs
    cb = DeepLocalize(verbose=0, profile="released")
    train(make_mlp(n_out=1, out_act="sigmoid"), x, y.astype("float32"), callbacks=[cb],
          loss="binary_crossentropy", optimizer=keras.optimizers.SGD(0.0))
    f = _first(cb)
    assert (f.code, f.layer_index, f.quantity, f.iteration) == ("EBW", 1, "weights", 5)
