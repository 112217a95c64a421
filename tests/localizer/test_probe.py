"""The probe reads the real training step: the batch the optimizer used, the update it applied."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from localizer import DeepLocalize
from localizer.probe import Probe

BATCH = 8
LR = 0.1


class Recorder(keras.layers.Layer):
    """Identity layer that keeps the last training batch it saw: the ground truth."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = self.add_weight(shape=(BATCH, 4), initializer="zeros", trainable=False)

    def call(self, x, training=None):
        if training:
            self.seen.assign(x)
        return x


class Spy(keras.callbacks.Callback):
    """Weights before and after every step, and the batch the Recorder saw."""

    def __init__(self):
        super().__init__()
        self.before, self.after, self.batches = [], [], []

    def on_train_batch_begin(self, batch, logs=None):
        self.before.append([w.copy() for w in self.model.get_weights()])

    def on_train_batch_end(self, batch, logs=None):
        self.after.append([w.copy() for w in self.model.get_weights()])
        self.batches.append(self.model.layers[0].seen.numpy().copy())


def _label(x: np.ndarray) -> np.ndarray:
    return (x[:, 0] > 0).astype("int32") + (x[:, 1] > 0.5).astype("int32")


def _forward(weights, x):
    """NumPy forward pass of Recorder -> Dense(6, relu) -> Dense(3, softmax)."""
    _, k1, b1, k2, b2 = weights
    pre1 = x @ k1 + b1
    post1 = np.maximum(pre1, 0)
    logits = post1 @ k2 + b2
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return pre1, post1, e / e.sum(axis=1, keepdims=True)


def _ce(prob, y):
    return float(np.mean(-np.log(np.clip(prob[np.arange(len(y)), y], 1e-7, 1.0))))


@pytest.fixture(scope="module")
def sgd_run():
    """One shuffled SGD run (8 batches x 2 epochs), everything recorded."""
    keras.utils.set_random_seed(3)
    x = np.random.default_rng(3).normal(size=(64, 4)).astype("float32")
    y = _label(x)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            Recorder(),
            keras.layers.Dense(6, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(LR), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    cb = DeepLocalize(verbose=0, on_fault="record", record_all=True)
    spy = Spy()
    model.fit(x, y, batch_size=BATCH, epochs=2, shuffle=True, verbose=0, callbacks=[cb, spy])
    yield {"x": x, "y": y, "cb": cb, "spy": spy}
    Probe._active.clear()


def test_probe_loss_is_the_loss_of_the_shuffled_batch_trained_on(sgd_run):
    """Per batch, the recorded loss is the loss of the batch the model saw, not x[b*bs:...]."""
    cb, spy, x = sgd_run["cb"], sgd_run["spy"], sgd_run["x"]
    recorded = cb.trace.series("loss")
    resliced_differs = 0
    for i, (weights, batch) in enumerate(zip(spy.before, spy.batches)):
        _, _, prob = _forward(weights, batch)
        assert recorded[i] == pytest.approx(_ce(prob, _label(batch)), rel=1e-5)
        b = i % 8
        naive = x[b * BATCH : (b + 1) * BATCH]
        _, _, naive_prob = _forward(weights, naive)
        resliced_differs += abs(_ce(naive_prob, _label(naive)) - recorded[i]) > 1e-4
    assert resliced_differs >= 12  # shuffle=True: re-slicing would have read other samples


def test_probe_inputs_are_the_batch_trained_on(sgd_run):
    """The input summary (mean, min, max) is that of the batch the Recorder layer saw."""
    cb, spy = sgd_run["cb"], sgd_run["spy"]
    for stat, fn in (("mean", np.mean), ("min", np.min), ("max", np.max)):
        expected = [fn(batch) for batch in spy.batches]
        np.testing.assert_allclose(cb.trace.series("inputs", stat=stat), expected, rtol=1e-5)


def test_probe_batch_accuracy_is_that_of_the_batch(sgd_run):
    """The accuracy slot is this batch's accuracy (Keras only logs the running mean)."""
    cb, spy = sgd_run["cb"], sgd_run["spy"]
    expected = [
        np.mean(np.argmax(_forward(w, batch)[2], axis=1) == _label(batch))
        for w, batch in zip(spy.before, spy.batches)
    ]
    np.testing.assert_allclose(cb.trace.series("accuracy"), expected, atol=1e-6)
    assert len(set(np.round(expected, 3))) > 2  # batch values differ, unlike a running mean


def test_probe_pre_and_post_activation_come_from_the_same_forward_pass(sgd_run):
    """Layer 1's pre/post-activation summaries match x @ W + b and relu of it on that batch."""
    cb, spy = sgd_run["cb"], sgd_run["spy"]
    pre, post = zip(*[_forward(w, batch)[:2] for w, batch in zip(spy.before, spy.batches)])
    for quantity, values in (("pre_activation", pre), ("output", post)):
        for stat, fn in (("mean", np.mean), ("std", np.std), ("min", np.min), ("max", np.max)):
            np.testing.assert_allclose(
                cb.trace.series(quantity, 1, stat), [fn(v) for v in values], rtol=1e-4, atol=1e-6
            )
    zero_frac = [np.mean(v == 0) for v in post]
    np.testing.assert_allclose(cb.trace.series("output", 1, "zero_frac"), zero_frac)


def test_probe_delta_weights_equal_the_applied_update(sgd_run):
    """Δweights summaries equal (weights after - weights before) of the step, per layer."""
    cb, spy = sgd_run["cb"], sgd_run["spy"]
    for layer, (k, b) in ((1, (1, 2)), (2, (3, 4))):
        deltas = [
            np.concatenate([(a[k] - p[k]).ravel(), (a[b] - p[b]).ravel()])
            for p, a in zip(spy.before, spy.after)
        ]
        for stat, fn in (("min", np.min), ("max", np.max)):
            np.testing.assert_array_equal(
                cb.trace.series("delta_weights", layer, stat),
                np.array([fn(d) for d in deltas], dtype=np.float32),
            )
        scale = max(np.abs(d).max() for d in deltas)
        np.testing.assert_allclose(
            cb.trace.series("delta_weights", layer), [d.mean() for d in deltas], atol=1e-6 * scale
        )
        assert all(np.abs(d).max() > 0 for d in deltas)


def test_probe_weights_are_the_weights_after_the_step(sgd_run):
    """The weights summary is taken after the optimizer step."""
    cb, spy = sgd_run["cb"], sgd_run["spy"]
    after = [np.concatenate([w[3].ravel(), w[4].ravel()]) for w in spy.after]
    np.testing.assert_allclose(cb.trace.series("weights", 2), [a.mean() for a in after], rtol=1e-5)
    np.testing.assert_allclose(cb.trace.series("weights", 2, "max"), [a.max() for a in after])


def test_probe_weight_gradients_are_the_gradients_the_optimizer_used(sgd_run):
    """With plain SGD, Δw = -lr · g: the gradient summary is -Δ/lr."""
    cb = sgd_run["cb"]
    for layer in (1, 2):
        np.testing.assert_allclose(
            cb.trace.series("weight_gradients", layer, "max"),
            -cb.trace.series("delta_weights", layer, "min") / LR,
            rtol=1e-4,
        )


def test_probe_output_gradient_is_dloss_doutput(train, blobs):
    """With loss = mean(y_pred) every element of dL/dy_pred is 1/(batch · units)."""
    x, y = blobs
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    cb = DeepLocalize(verbose=0, on_fault="record", record_all=True)
    train(model, x, y, callbacks=[cb], loss=lambda t, p: keras.ops.mean(p, axis=-1),
          metrics=(), epochs=1)
    np.testing.assert_allclose(cb.trace.series("output_gradients", 0), 1 / (8 * 3), rtol=1e-6)
    np.testing.assert_allclose(cb.trace.series("output_gradients", 0, "std"), 0, atol=1e-7)


def test_instrumented_training_matches_plain_training(make_mlp, train, blobs):
    """Weights and logs after training are those of Keras' own step (same seed, no shuffle)."""
    x, y = blobs
    results = []
    for callbacks in ([], [DeepLocalize(verbose=0, on_fault="record")]):
        keras.utils.set_random_seed(7)
        model = make_mlp()
        history = train(model, x, y, callbacks=callbacks, shuffle=False,
                        optimizer=keras.optimizers.Adam(0.01))
        results.append((model.get_weights(), history.history))
    (w_plain, h_plain), (w_dl, h_dl) = results
    for a, b in zip(w_plain, w_dl):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert h_plain.keys() == h_dl.keys()
    for key in h_plain:
        np.testing.assert_allclose(h_plain[key], h_dl[key], rtol=1e-6)


def test_keras_step_is_restored_after_fit(make_mlp, train, blobs):
    """After fit the model has no instrumented step and trains with Keras' own."""
    x, y = blobs
    model = make_mlp()
    train(model, x, y, callbacks=[DeepLocalize(verbose=0)], epochs=1)
    assert "train_step" not in vars(model)
    assert not Probe._active
    model.fit(x, y, epochs=1, verbose=0)  # the original train function still works
    assert "Probe" not in repr(model.train_function)


def test_unbuilt_sequential_model_is_instrumented(train, blobs):
    """A Sequential model without Input is built inside the instrumented step and checked."""
    x, y = blobs
    model = keras.Sequential([keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    cb = DeepLocalize(verbose=0)
    train(model, x, y, callbacks=[cb], epochs=1)
    assert cb.iterations == 16
    assert cb.trace.series("weights", 0, "n")[-1] == 4 * 8 + 8


@pytest.fixture
def traces(monkeypatch) -> list[int]:
    """One entry per trace of the instrumented step from here on."""
    from localizer import step as instrumented

    calls: list[int] = []
    original = instrumented.train_step
    monkeypatch.setattr(instrumented, "train_step",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    return calls


def test_a_second_fit_reuses_the_instrumented_step(make_mlp, train, blobs, traces, tmp_path):
    """Tracing is paid once per model, as Keras pays its own: the next fit with DeepLocalize
    does not trace the instrumented step again and checks every batch from 1; compile makes a
    new step; the model still saves and loads."""
    x, y = blobs
    model = make_mlp()
    first, second = DeepLocalize(verbose=0), DeepLocalize(verbose=0)
    train(model, x, y, callbacks=[first], optimizer=keras.optimizers.Adam(0.01))
    assert traces and first.iterations == 32
    traced = len(traces)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[second])
    assert len(traces) == traced  # reused
    assert (second.verdict_code, second.iterations, second.trace.iterations[0]) == ("CM", 32, 1)
    train(model, x, y, callbacks=[DeepLocalize(verbose=0)], optimizer=keras.optimizers.Adam(0.01))
    assert len(traces) > traced  # compile made a new Keras step: traced again
    model.save(tmp_path / "model.keras")
    assert keras.models.load_model(tmp_path / "model.keras").count_params() == model.count_params()


def test_the_instrumented_step_is_traced_once(make_mlp, train, blobs, traces):
    """The optimizer's and the compiled metrics' variables are created before the first trace,
    so ``tf.function`` traces the instrumented step once (Keras' own step creates them while it
    is traced and is therefore traced twice); a model whose layers are not built yet is left
    to build inside the step, as before."""
    x, y = blobs
    model = make_mlp()
    cb = DeepLocalize(verbose=0)
    train(model, x, y, callbacks=[cb], optimizer=keras.optimizers.Adam(0.01))
    assert len(traces) == 1
    assert cb.verdict_code == "CM" and cb.trace.series("accuracy", None, "n")[-1] > 0
    assert model.optimizer.built and len(model.optimizer.variables) > 1

    traces.clear()
    unbuilt = keras.Sequential([keras.layers.Dense(8, activation="relu"),
                                keras.layers.Dense(2, activation="softmax")])
    train(unbuilt, x, y, callbacks=[DeepLocalize(verbose=0)], epochs=1)
    assert len(traces) == 2
