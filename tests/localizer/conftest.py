"""Shared tiny models and data for the localizer tests (all seeded, all small)."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from collections.abc import Callable  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from localizer.probe import Probe  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_keras():
    """Seed every test and leave no instrumented model behind."""
    keras.utils.set_random_seed(0)
    yield
    leftover = dict(Probe._active)
    Probe._active.clear()
    keras.backend.clear_session()
    assert not leftover, f"a probe was left attached: {leftover}"


@pytest.fixture(scope="session")
def blobs() -> tuple[np.ndarray, np.ndarray]:
    """128 samples, 4 standard-normal features, a linearly separable 2-class label."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    return x, y


def _scaled(data) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.preprocessing import StandardScaler

    x = StandardScaler().fit_transform(data.data).astype("float32")
    return x, data.target.astype("int32")


@pytest.fixture(scope="session")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits (1797 x 64), standardised."""
    from sklearn.datasets import load_digits

    return _scaled(load_digits())


@pytest.fixture(scope="session")
def iris() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's iris (150 x 4), standardised."""
    from sklearn.datasets import load_iris

    return _scaled(load_iris())


@pytest.fixture
def make_mlp() -> Callable[..., keras.Model]:
    """Factory: ``Input(n_in) -> Dense(hidden, relu) -> Dense(n_out, out_act)``."""

    def make(
        n_in: int = 4,
        hidden: int = 8,
        n_out: int = 2,
        out_act: str = "softmax",
        hidden_bias: float = 0.0,
    ) -> keras.Model:
        return keras.Sequential(
            [
                keras.Input((n_in,)),
                keras.layers.Dense(
                    hidden,
                    activation="relu",
                    bias_initializer=keras.initializers.Constant(hidden_bias),
                ),
                keras.layers.Dense(n_out, activation=out_act),
            ]
        )

    return make


@pytest.fixture
def train() -> Callable[..., keras.callbacks.History]:
    """Compile (SGD, sparse CE, accuracy unless given) and fit ``model`` with ``callbacks``."""

    def run(
        model: keras.Model,
        x,
        y=None,
        *,
        callbacks=(),
        optimizer=None,
        loss: str = "sparse_categorical_crossentropy",
        metrics=("accuracy",),
        epochs: int = 2,
        batch_size: int | None = 8,
        **fit_kwargs,
    ) -> keras.callbacks.History:
        model.compile(
            optimizer=optimizer or keras.optimizers.SGD(0.05),
            loss=loss,
            metrics=list(metrics),
        )
        return model.fit(
            x,
            y,
            epochs=epochs,
            batch_size=batch_size,
            verbose=0,
            callbacks=list(callbacks),
            **fit_kwargs,
        )

    return run
