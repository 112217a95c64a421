"""Model kinds, layer kinds and input pipelines the callback must handle (or refuse clearly)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from localizer import DeepLocalize, UnsupportedModelError
from localizer.probe import OUTPUT, PRE, Slot


def test_functional_model_localizes_a_dead_branch(train, blobs):
    """Functional graph with two branches: the dead ReLU branch is named by its index."""
    x, y = blobs
    inputs = keras.Input((4,), name="x")
    left = keras.layers.Dense(8, activation="relu", name="left")(inputs)
    right = keras.layers.Dense(
        8, activation="relu", bias_initializer=keras.initializers.Constant(-100.0), name="right"
    )(inputs)
    merged = keras.layers.Concatenate(name="merge")([left, right])
    outputs = keras.layers.Dense(2, activation="softmax", name="out")(merged)
    model = keras.Model(inputs, outputs)
    cb = DeepLocalize(verbose=0)
    train(model, x, y, callbacks=[cb])
    f = cb.findings[0]
    assert (f.code, f.layer_name, f.layer_class) == ("EAA", "right", "Dense")
    assert model.layers[f.layer_index].name == "right"


def test_lstm_nan_input_is_reported_at_the_lstm(train, blobs):
    """LSTM (activation inside the layer): its output is checked as post-activation (EAA)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5, 3)).astype("float32")
    y = (x[:, 0, 0] > 0).astype("int32")
    x[20, 2, 1] = np.nan
    model = keras.Sequential(
        [keras.Input((5, 3)), keras.layers.LSTM(6), keras.layers.Dense(2, activation="softmax")]
    )
    cb = DeepLocalize(verbose=0)
    train(model, x, y, callbacks=[cb], shuffle=False)
    f = cb.findings[0]
    assert (f.code, f.layer_index, f.layer_class, f.quantity) == (
        "EAA", 0, "LSTM", "post_activation"
    )
    assert f.batch == 2 and f.hint == "data_preprocessing"


def test_conv2d_dead_filters_are_eaa_at_the_conv_layer(train):
    """A Conv2D whose ReLUs are all dead: EAA at that layer (pre-activation tapped in Conv)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6, 6, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0).astype("int32")
    model = keras.Sequential(
        [
            keras.Input((6, 6, 1)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.Conv2D(
                4, 3, activation="relu", bias_initializer=keras.initializers.Constant(-100.0)
            ),
            keras.layers.Flatten(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    cb = DeepLocalize(verbose=0)
    train(model, x, y, callbacks=[cb])
    f = cb.findings[0]
    assert (f.code, f.layer_index, f.layer_class) == ("EAA", 1, "Conv2D")
    assert cb.trace.series(PRE, 1)[-1] < -50  # the tapped pre-activation: bias -100


def test_tf_data_shuffled_dataset_is_probed(make_mlp, train, blobs):
    """tf.data input (shuffled each epoch): the NaN sample is found in its batch."""
    x, y = blobs
    x = x.copy()
    x[77, 0] = np.nan
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(128, seed=1).batch(8)
    cb = DeepLocalize(verbose=0)
    train(make_mlp(), ds, callbacks=[cb], batch_size=None, shuffle=False)
    f = cb.findings[0]
    assert (f.code, f.layer_index) == ("EBA", 0)
    assert cb.trace.series("inputs", stat="nan")[-1] == 1  # the batch holding the NaN


def test_pydataset_input_is_probed(make_mlp, train, blobs):
    """keras.utils.PyDataset input trains and is checked batch by batch."""
    x, y = blobs

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()

        def __len__(self):
            return 16

        def __getitem__(self, i):
            return x[i * 8 : (i + 1) * 8], y[i * 8 : (i + 1) * 8]

    cb = DeepLocalize(verbose=0)
    train(make_mlp(hidden_bias=-100.0), Batches(), callbacks=[cb], batch_size=None,
          shuffle=False)
    assert cb.verdict_code == "EAA" and cb.findings[0].iteration == 10


def test_python_generator_input_is_probed(make_mlp, train, blobs):
    """A Python generator with steps_per_epoch trains and is checked."""
    x, y = blobs

    def batches():
        while True:
            for i in range(16):
                yield x[i * 8 : (i + 1) * 8], y[i * 8 : (i + 1) * 8]

    cb = DeepLocalize(verbose=0, on_fault="record")
    train(make_mlp(), batches(), callbacks=[cb], batch_size=None, steps_per_epoch=16,
          shuffle=False)
    assert cb.iterations == 32
    assert len(cb.trace.series("loss")) == 32


def test_custom_train_step_is_refused_with_a_clear_error(blobs):
    """A subclassed model with its own train_step: UnsupportedModelError naming train_step."""
    x, y = blobs

    class Custom(keras.Sequential):
        def train_step(self, data):
            return super().train_step(data)

    model = Custom([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(UnsupportedModelError, match="overrides train_step"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[DeepLocalize(verbose=0)])
    assert "train_step" not in vars(model)


def test_nested_model_is_checked_as_one_layer(train, blobs):
    """A Sequential inside a functional model is one entry of model.layers, named as such."""
    x, y = blobs
    inner = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(
                8, activation="relu", bias_initializer=keras.initializers.Constant(-100.0)
            ),
        ],
        name="block",
    )
    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(2, activation="softmax")(inner(inputs))
    model = keras.Model(inputs, outputs)
    cb = DeepLocalize(verbose=0)
    train(model, x, y, callbacks=[cb])
    f = cb.findings[0]
    assert (f.layer_name, f.layer_class, f.code) == ("block", "Sequential", "EBA")
    assert f.evidence["rule"] == "zero"


def test_steps_per_execution_checks_every_step(make_mlp, blobs):
    """With steps_per_execution=3 every one of the 16 steps per epoch is checked."""
    x, y = blobs
    model = make_mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", steps_per_execution=3)
    cb = DeepLocalize(verbose=0, on_fault="record")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[cb])
    assert cb.iterations == 32
    assert cb.trace.iterations.tolist() == list(range(1, 33))


def test_jit_compiled_model_is_instrumented_without_xla_and_restored(make_mlp, blobs):
    """jit_compile=True: the instrumented step runs without XLA; the setting is restored."""
    x, y = blobs
    model = make_mlp(hidden_bias=-100.0)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", jit_compile=True)
    cb = DeepLocalize(verbose=0)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[cb])
    assert cb.verdict_code == "EAA"
    assert model.jit_compile is True


def test_run_eagerly_model_is_probed(make_mlp, blobs):
    """run_eagerly=True: the step runs eagerly and is still probed."""
    x, y = blobs
    model = make_mlp(hidden_bias=-100.0)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", run_eagerly=True)
    cb = DeepLocalize(verbose=0)
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[cb])
    assert (cb.verdict_code, cb.findings[0].iteration) == ("EAA", 10)


def test_common_layers_are_all_measured(train):
    """Embedding, GRU, Conv1D, BatchNorm, pooling, Dropout, Flatten, Reshape, Activation."""
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 20, size=(64, 12)).astype("int32")
    y = (tokens[:, 0] > 9).astype("int32")
    model = keras.Sequential(
        [
            keras.Input((12,), dtype="int32"),
            keras.layers.Embedding(20, 6),
            keras.layers.Conv1D(8, 3, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.MaxPooling1D(2),
            keras.layers.GRU(5, return_sequences=True),
            keras.layers.Dropout(0.2),
            keras.layers.Flatten(),
            keras.layers.Reshape((5, 5)),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(2),
            keras.layers.Activation("softmax"),
        ]
    )
    cb = DeepLocalize(verbose=0, on_fault="record", record_all=True)
    train(model, tokens, y, callbacks=[cb], optimizer=keras.optimizers.Adam(0.01), epochs=1)
    for i in range(len(model.layers)):
        assert cb.trace.series(OUTPUT, i, "n")[-1] > 0, model.layers[i].name
    assert cb.trace.series("weights", 0, "n")[-1] == 20 * 6  # Embedding (sparse gradients)
    assert cb.trace.series("weight_gradients", 0, "n")[-1] == 20 * 6
    # the Activation layer's pre-activation is the Dense layer's output
    assert cb.trace.series(PRE, 10)[-1] == pytest.approx(cb.trace.series(OUTPUT, 9)[-1])
    assert Slot(PRE, 3) not in cb.trace.slots  # a pooling layer has no activation


def test_subclassed_model_with_its_own_call_is_probed(train, blobs):
    """A subclassed model (own call, Keras' train_step), built inside the step, is checked."""
    x, y = blobs

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(
                8, activation="relu", bias_initializer=keras.initializers.Constant(-100.0)
            )
            self.out = keras.layers.Dense(2, activation="softmax")

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    cb = DeepLocalize(verbose=0)
    train(Net(), x, y, callbacks=[cb])
    assert (cb.verdict_code, cb.findings[0].layer_index, cb.findings[0].iteration) == ("EAA", 0, 10)


def test_mixed_precision_model_is_probed(make_mlp, train, blobs):
    """Under mixed_float16 the float16 activations and gradients are summarised."""
    x, y = blobs
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = make_mlp()
        cb = DeepLocalize(verbose=0, on_fault="record", record_all=True)
        train(model, x, y, callbacks=[cb], optimizer=keras.optimizers.Adam(0.01), epochs=1)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert model.layers[0].compute_dtype == "float16"
    assert cb.trace.series(OUTPUT, 0, "n")[-1] == 8 * 8
    assert cb.trace.series("output_gradients", 0, "n")[-1] == 8 * 8
    assert np.isfinite(cb.trace.series(PRE, 0)).all()
