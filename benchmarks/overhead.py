"""Training-time overhead of DeepLocalize, side by side with plain ``fit`` and a naive port.

Three variants train the same model on the same synthetic data:

- ``plain``: ``model.fit`` with no callback;
- ``deeplocalize``: ``fit`` with ``DeepLocalize(on_fault="record", verbose=0)`` (record mode, so
  every batch is checked however the model behaves);
- ``naive``: a straightforward port of the released callback's approach: after every batch it
  re-slices ``x[batch*bs:(batch+1)*bs]`` (ignoring the shuffle), builds a fresh sub-model per
  layer to get that layer's output (the ``K.function`` the released code builds each batch), and
  runs a ``GradientTape`` forward/backward pass for the kernel gradients and the gradients
  w.r.t. every layer output.

Models: Keras' MNIST MLP and MNIST convnet examples and an LSTM sequence classifier (the
"required" three), plus a small MLP and a cheap CNN at batch size 32, where DeepLocalize's
per-step cost weighs most. Each run trains ``--epochs`` epochs; the first epoch (tracing,
warm-up) is excluded and the others are timed with an epoch-level timer (which does not change
Keras' batch-level dispatch), both wall-clock and process CPU time (the latter is steadier on a
shared machine). Variants are interleaved and repeated ``--repeats`` times; medians are shown.

Whole ``fit``: what a user sees is the whole ``fit`` call, tracing included, and the benchmark's
programs are short fits of small models. ``--whole-fit`` times ``model.fit`` end to end (3 epochs
by default, a fresh model each time, so each pays its own tracing) on scikit-learn's digits
(1,797 images, 8x8) with an MLP (64-128-64-10), a CNN and an LSTM (the rows as time steps), at
batch 32 and 128, plain and with DeepLocalize interleaved; it prints the median whole-``fit``
ratio next to the steady-epoch ratio (epochs after the first). Keras traces its own step twice
in the first ``fit`` (its first trace creates the optimizer's and the metrics' variables, and
``tf.function`` retraces such a function); DeepLocalize creates them first and traces its step
once. So a third variant, ``plain1``, is plain ``fit`` with the same variables created first
(Keras traced once): the ratio against it is the instrumented step's own cost, without that
saving.

Usage::

    python benchmarks/overhead.py                    # per batch, all models
    python benchmarks/overhead.py --models mlp cnn lstm --repeats 5
    python benchmarks/overhead.py --whole-fit        # whole fit on digits, batch 32 and 128
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from localizer import DeepLocalize, keras_internals  # noqa: E402


def make_mlp() -> keras.Model:
    """Keras' MNIST MLP example: 784-512-512-10 with dropout (batch 128)."""
    return keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def make_cnn() -> keras.Model:
    """Keras' "simple MNIST convnet" example (batch 128)."""
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def make_lstm() -> keras.Model:
    """A sequence classifier: 40 steps x 16 features -> LSTM(64) -> 10 classes (batch 64)."""
    return keras.Sequential(
        [
            keras.Input((40, 16)),
            keras.layers.LSTM(64),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def make_small_mlp() -> keras.Model:
    """A small MLP, 64-256-128-10 (batch 32): op overhead matters most here."""
    return keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def make_small_cnn() -> keras.Model:
    """A cheap CNN, 1->16->32 channels (batch 32): large activations for few FLOPs."""
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


#: name -> (builder, input shape, batch size)
MODELS: dict[str, tuple[Callable[[], keras.Model], tuple[int, ...], int]] = {
    "mlp": (make_mlp, (784,), 128),
    "cnn": (make_cnn, (28, 28, 1), 128),
    "lstm": (make_lstm, (40, 16), 64),
    "mlp-small": (make_small_mlp, (64,), 32),
    "cnn-small": (make_small_cnn, (28, 28, 1), 32),
}
REQUIRED = ("mlp", "cnn", "lstm")


def make_data(
    shape: tuple[int, ...], batches: int, batch_size: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Learnable synthetic data: the label is the arg-max of 10 fixed projections."""
    rng = np.random.default_rng(seed)
    n = batches * batch_size
    x = rng.normal(size=(n, *shape)).astype("float32")
    w = rng.normal(size=(int(np.prod(shape)), 10)).astype("float32")
    y = np.argmax(x.reshape(n, -1) @ w, axis=1).astype("int32")
    return x, y


class EpochTimer(keras.callbacks.Callback):
    """Wall and process-CPU seconds per epoch (epoch hooks only: batch dispatch unchanged)."""

    def __init__(self) -> None:
        super().__init__()
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._t = (time.perf_counter(), time.process_time())

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.wall.append(time.perf_counter() - self._t[0])
        self.cpu.append(time.process_time() - self._t[1])


class NaiveReleasedPort(keras.callbacks.Callback):
    """The released callback's probing, ported literally (slow on purpose; for comparison)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> None:
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        self.loss_fn = keras.losses.SparseCategoricalCrossentropy()
        self.means: list[float] = []

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        model = self.model
        lo = batch * self.batch_size
        xb = self.x[lo : lo + self.batch_size]
        yb = self.y[lo : lo + self.batch_size]
        for layer in model.layers:  # forward means: one fresh sub-model per layer per batch
            sub = keras.Model(model.inputs[0], layer.output)
            self.means.append(float(np.mean(sub(xb, training=False))))
        kernels = [layer.kernel for layer in model.layers if hasattr(layer, "kernel")]
        with tf.GradientTape() as tape:
            h = tf.convert_to_tensor(xb)
            outputs = []
            for layer in model.layers:
                h = layer(h, training=False)
                tape.watch(h)
                outputs.append(h)
            loss = self.loss_fn(yb, h)
        grads = tape.gradient(loss, kernels + outputs)
        self.means += [float(np.mean(g)) for g in grads if g is not None]
        self.means += [float(np.mean(k.numpy())) for k in kernels]
        self.means += [float(logs.get("loss", 0.0))] if logs else []


def run_once(name: str, variant: str, epochs: int, batches: int) -> tuple[float, float]:
    """Train once; return (wall, cpu) milliseconds per batch, warm-up epoch excluded."""
    build, shape, batch_size = MODELS[name]
    keras.utils.set_random_seed(0)
    x, y = make_data(shape, batches, batch_size)
    model = build()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    timer = EpochTimer()
    callbacks: list[keras.callbacks.Callback] = [timer]
    if variant == "deeplocalize":
        callbacks.insert(0, DeepLocalize(on_fault="record", verbose=0))
    elif variant == "naive":
        callbacks.insert(0, NaiveReleasedPort(x, y, batch_size))
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=callbacks)
    keras.backend.clear_session()
    measured = (epochs - 1) * batches
    return sum(timer.wall[1:]) / measured * 1e3, sum(timer.cpu[1:]) / measured * 1e3


def make_digits_mlp() -> keras.Model:
    """The digits MLP: 64-128-64-10 (ReLU, softmax)."""
    return keras.Sequential([keras.Input((64,)), keras.layers.Dense(128, activation="relu"),
                             keras.layers.Dense(64, activation="relu"),
                             keras.layers.Dense(10, activation="softmax")])


def make_digits_cnn() -> keras.Model:
    """A digits CNN: Conv2D(16, 3) - MaxPooling - Conv2D(32, 3) - Flatten - Dense(10)."""
    return keras.Sequential([keras.Input((8, 8, 1)),
                             keras.layers.Conv2D(16, 3, activation="relu", padding="same"),
                             keras.layers.MaxPooling2D(),
                             keras.layers.Conv2D(32, 3, activation="relu"),
                             keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])


def make_digits_lstm() -> keras.Model:
    """A digits LSTM: the 8 rows as time steps of 8 features - LSTM(32) - Dense(10)."""
    return keras.Sequential([keras.Input((8, 8)), keras.layers.LSTM(32),
                             keras.layers.Dense(10, activation="softmax")])


#: name -> (builder, input shape) on digits, for ``--whole-fit``.
DIGITS_MODELS: dict[str, tuple[Callable[[], keras.Model], tuple[int, ...]]] = {
    "mlp": (make_digits_mlp, (64,)),
    "cnn": (make_digits_cnn, (8, 8, 1)),
    "lstm": (make_digits_lstm, (8, 8)),
}


def whole_fit_once(name: str, variant: str, batch_size: int, epochs: int) -> tuple[float, float]:
    """One fresh model, one ``fit`` on digits; (whole fit, median later epoch) in seconds."""
    from sklearn.datasets import load_digits

    build, shape = DIGITS_MODELS[name]
    digits = load_digits()
    x = (digits.data / 16.0).astype("float32").reshape(-1, *shape)
    y = digits.target.astype("int32")
    keras.utils.set_random_seed(0)
    model = build()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    timer = EpochTimer()
    callbacks: list[keras.callbacks.Callback] = [timer]
    if variant == "deeplocalize":
        callbacks.insert(0, DeepLocalize(on_fault="record", verbose=0))
    start = time.perf_counter()
    if variant == "plain1":  # Keras traced once: its variables created first, as DeepLocalize does
        spec = (tf.TensorSpec((None, *x.shape[1:]), x.dtype), tf.TensorSpec((None,), y.dtype))
        keras_internals.build_training_state(model, spec)
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=callbacks)
    whole = time.perf_counter() - start
    keras.backend.clear_session()
    return whole, statistics.median(timer.wall[1:])


def whole_fit(models: list[str], batches: list[int], epochs: int, repeats: int) -> None:
    """Print the whole-fit table: plain vs DeepLocalize, interleaved, medians of ``repeats``."""
    print(f"whole fit on digits (1797 x 8x8), {epochs} epochs, Adam, median of {repeats} "
          "interleaved pairs; a fresh model per fit")
    print("plain1: plain fit with Keras' variables created first (its step traced once, as "
          "DeepLocalize's is)")
    print(f"{'model':<6} {'batch':>5} {'plain fit s':>11} {'plain1 s':>8} {'DL fit s':>8} "
          f"{'fit ratio':>9} {'vs plain1':>9} {'plain epoch s':>13} {'DL epoch s':>10} "
          f"{'epoch ratio':>11}")
    ratios: dict[int, list[tuple[float, float]]] = {b: [] for b in batches}
    for name in models:
        for batch in batches:
            runs: dict[str, list[tuple[float, float]]] = {
                "plain": [], "plain1": [], "deeplocalize": []}
            for _ in range(repeats):
                for variant in runs:
                    runs[variant].append(whole_fit_once(name, variant, batch, epochs))
            fit = {v: statistics.median(w for w, _ in r) for v, r in runs.items()}
            epoch = {v: statistics.median(e for _, e in r) for v, r in runs.items()}
            ratio, ratio1 = (statistics.median(d[0] / p[0] for p, d in zip(runs[base],
                                                                           runs["deeplocalize"]))
                             for base in ("plain", "plain1"))
            ratios[batch].append((ratio, ratio1))
            print(f"{name:<6} {batch:>5} {fit['plain']:>11.3f} {fit['plain1']:>8.3f} "
                  f"{fit['deeplocalize']:>8.3f} {ratio:>8.2f}x {ratio1:>8.2f}x "
                  f"{epoch['plain']:>13.4f} {epoch['deeplocalize']:>10.4f} "
                  f"{epoch['deeplocalize'] / epoch['plain']:>10.2f}x", flush=True)
    for batch, values in ratios.items():
        print(f"median whole-fit ratio at batch {batch}: "
              f"{statistics.median(r for r, _ in values):.2f}x vs plain, "
              f"{statistics.median(r for _, r in values):.2f}x vs plain1, "
              f"over {len(values)} models")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run; first is warm-up")
    parser.add_argument("--batches", type=int, default=100, help="batches per epoch")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--naive-epochs", type=int, default=2,
                        help="epochs for the naive port (it is slow); the first is warm-up")
    parser.add_argument("--whole-fit", action="store_true",
                        help="time whole fit calls on digits instead (see the module docstring)")
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[32, 128])
    parser.add_argument("--digits-models", nargs="+", default=list(DIGITS_MODELS),
                        choices=list(DIGITS_MODELS))
    ns = parser.parse_args(argv)
    if ns.whole_fit:
        print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f}")
        whole_fit(ns.digits_models, ns.batch_sizes, ns.epochs, ns.repeats)
        return 0

    devices = [d.device_type for d in tf.config.list_physical_devices()]
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, devices {devices}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"{ns.batches} batches/epoch, {ns.epochs - 1} timed epochs, median of {ns.repeats}")
    rows = []
    for name in ns.models:
        times: dict[str, list[tuple[float, float]]] = {
            "plain": [], "deeplocalize": [], "naive": []
        }
        for _ in range(ns.repeats):
            for variant in ("plain", "deeplocalize", "naive"):
                epochs = ns.naive_epochs if variant == "naive" else ns.epochs
                times[variant].append(run_once(name, variant, epochs, ns.batches))
        med = {
            k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
            for k, v in times.items()
        }
        rows.append((name, med))
        print(f"  done {name}: {med}", flush=True)

    print()
    print("ms per batch (wall / process CPU); ratios vs plain fit on the same clock")
    print(f"{'model':<10} {'batch':>5} {'plain':>13} {'DeepLocalize':>13} {'ratio':>11} "
          f"{'naive port':>15} {'ratio':>11}")
    for name, med in rows:
        (pw, pc), (dw, dc), (nw, nc) = med["plain"], med["deeplocalize"], med["naive"]
        print(f"{name:<10} {MODELS[name][2]:>5} {pw:>6.2f}/{pc:<6.2f} {dw:>6.2f}/{dc:<6.2f} "
              f"{dw / pw:>5.2f}x/{dc / pc:.2f}x {nw:>7.1f}/{nc:<7.1f} "
              f"{nw / pw:>5.1f}x/{nc / pc:.1f}x")
    groups = (("required (mlp, cnn, lstm)", REQUIRED), ("all models", [n for n, _ in rows]))
    for label, names in groups:
        sel = [med for name, med in rows if name in names]
        if not sel:
            continue
        wall = statistics.median(m["deeplocalize"][0] / m["plain"][0] for m in sel)
        cpu = statistics.median(m["deeplocalize"][1] / m["plain"][1] for m in sel)
        naive = statistics.median(m["naive"][0] / m["plain"][0] for m in sel)
        print(f"median overhead, {label}: DeepLocalize {wall:.2f}x wall / {cpu:.2f}x CPU; "
              f"naive port {naive:.1f}x wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
