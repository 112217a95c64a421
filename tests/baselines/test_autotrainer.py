"""AUTOTRAINER's five problems: pure rules on synthetic traces, then tiny real trainings."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris

from baselines import autotrainer_rules as at
from baselines.autotrainer import AutoTrainerDetector
from baselines.autotrainer_rules import GradientSummary

L = keras.layers


def _summary(norms, zero_share=0.0, nonfinite=False) -> GradientSummary:
    return GradientSummary(tuple(range(len(norms))), tuple(norms), zero_share, nonfinite)


# -- pure rules -----------------------------------------------------------------------------------


def test_summarize_gradients_norm_from_stats() -> None:
    """The ℓ2 norm of n values with mean m and std s is sqrt(n·(s² + m²))."""
    row = np.array([4, 1.0, 1.0, 0, 2, 0, 0, 0.25])  # n, mean, std, min, max, nan, inf, zero
    g = at.summarize_gradients([3], row[None])
    assert g.norms == (pytest.approx(math.sqrt(8)),) and g.zero_share == 0.25


def test_vanishing_fires_on_tiny_first_layer_gradient() -> None:
    """Ratio 1e-5 with a first-layer norm of 1e-6 is VG."""
    assert at.vanishing_gradient(_summary([1e-6, 1e-3, 0.1]))


def test_vanishing_needs_small_first_layer_norm() -> None:
    """A small ratio with a first-layer norm above β2 is not VG."""
    assert not at.vanishing_gradient(_summary([1e-3, 10.0]))


def test_exploding_fires_on_large_ratio() -> None:
    """A first-to-last gradient-norm ratio of 100 is EG."""
    assert at.exploding_gradient(_summary([100.0, 1.0]))


def test_exploding_fires_on_nonfinite_gradient() -> None:
    """A NaN gradient is EG whatever the ratio."""
    assert at.exploding_gradient(_summary([1.0, 1.0], nonfinite=True))


def test_exploding_quiet_on_moderate_ratio() -> None:
    """A ratio of 5 is not EG."""
    assert not at.exploding_gradient(_summary([5.0, 1.0]))


def test_dying_relu_threshold() -> None:
    """70 % zero gradient entries is DR, 69 % is not."""
    assert at.dying_relu(_summary([1, 1], zero_share=0.7))
    assert not at.dying_relu(_summary([1, 1], zero_share=0.69))


def test_gradient_problem_priority() -> None:
    """A batch that is both dead and vanishing is reported as DR, as the release does."""
    assert at.gradient_problem(_summary([1e-7, 1e-2], zero_share=0.9)) == at.DR


def test_oscillating_fires_on_alternating_accuracy() -> None:
    """An accuracy curve alternating by 0.3 oscillates."""
    assert at.oscillating([0.3, 0.6, 0.3, 0.6, 0.3, 0.6])


def test_oscillating_quiet_on_rising_accuracy() -> None:
    """A monotone learning curve does not oscillate."""
    assert not at.oscillating([0.3, 0.5, 0.7, 0.8, 0.85, 0.9])


def test_oscillating_needs_enough_pairs() -> None:
    """One 0.05 wobble in 10 checks is below η = 20 %."""
    assert not at.oscillating([0.5, 0.6, 0.7, 0.8, 0.85, 0.8, 0.86, 0.87, 0.88, 0.89])


def test_slow_convergence_fires_on_flat_accuracy() -> None:
    """Gains of at most 0.005 between checks are SC."""
    assert at.slow_convergence([0.50, 0.505, 0.51])


def test_slow_convergence_quiet_on_progress() -> None:
    """A gain of 0.1 is not SC; one check alone is never SC."""
    assert not at.slow_convergence([0.5, 0.6])
    assert not at.slow_convergence([0.5])


def test_slow_convergence_checks_validation_too() -> None:
    """Flat training accuracy with rising validation accuracy is not SC."""
    assert not at.slow_convergence([0.5, 0.5, 0.5], [0.4, 0.5, 0.6])


def test_unsatisfactory_gate() -> None:
    """Best accuracy 0.55 is below Θ = 0.6, 0.9 is not, no accuracy is unknown."""
    assert at.unsatisfactory(0.55) is True
    assert at.unsatisfactory(0.9) is False
    assert at.unsatisfactory(None) is None


def test_loss_limit_only_for_crossentropy() -> None:
    """A loss of 2000 is a "NaN loss" under cross-entropy, not under MSE; NaN always is."""
    assert at.loss_blown(2000.0, crossentropy=True)
    assert not at.loss_blown(2000.0, crossentropy=False)
    assert at.loss_blown(float("nan"), crossentropy=False)


# -- real trainings -------------------------------------------------------------------------------


def _digits():
    d = load_digits()
    return (d.data / 16.0).astype("float32"), keras.utils.to_categorical(d.target, 10)


def _iris():
    d = load_iris()
    x = d.data.astype("float32")
    x = (x - x.min(0)) / (x.max(0) - x.min(0))
    order = np.random.RandomState(0).permutation(len(x))
    return x[order], keras.utils.to_categorical(d.target, 3)[order]


def _train(layers, x, y, optimizer, loss="categorical_crossentropy", **fit):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((x.shape[1],)), *layers])
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    detector = AutoTrainerDetector()
    history = model.fit(x, y, verbose=0, callbacks=detector.callbacks(), **fit)
    return detector.verdict([]), history


def _code(verdict) -> str | None:
    return verdict.findings[0].code if verdict.findings else None


def test_diverging_training_is_exploding_gradient() -> None:
    """A linear MLP with MSE and SGD(3) turns NaN: EG."""
    x, y = _digits()
    normal = keras.initializers.RandomNormal(stddev=1.0)
    layers = [L.Dense(30, kernel_initializer=normal, bias_initializer=normal),
              L.Dense(10, kernel_initializer=normal, bias_initializer=normal)]
    verdict, _ = _train(layers, x, y, keras.optimizers.SGD(3.0), "mse", epochs=2, batch_size=10)
    assert verdict.detected and _code(verdict) == at.EG


def test_dead_relus_are_dying_relu() -> None:
    """ReLUs whose bias starts at -10 never fire: DR."""
    x, y = _digits()
    layers = [L.Dense(32, activation="relu", bias_initializer=keras.initializers.Constant(-10.0)),
              L.Dense(10, activation="softmax")]
    verdict, _ = _train(layers, x, y, keras.optimizers.SGD(0.01), epochs=4, batch_size=64)
    assert _code(verdict) == at.DR


def test_deep_sigmoid_stack_is_vanishing_gradient() -> None:
    """Eight small-init sigmoid layers starve the first layer of gradient: VG."""
    x, y = _digits()
    init = keras.initializers.RandomNormal(stddev=0.05)
    layers = [L.Dense(16, activation="sigmoid", kernel_initializer=init) for _ in range(8)]
    verdict, _ = _train([*layers, L.Dense(10, activation="softmax")], x, y,
                        keras.optimizers.SGD(0.01), epochs=4, batch_size=64)
    assert _code(verdict) == at.VG


def test_tiny_learning_rate_is_slow_convergence() -> None:
    """SGD at 1e-5 leaves accuracy flat below Θ: SC."""
    x, y = _digits()
    layers = [L.Dense(32, activation="relu"), L.Dense(10, activation="softmax")]
    verdict, _ = _train(layers, x, y, keras.optimizers.SGD(1e-5), epochs=4, batch_size=64)
    assert _code(verdict) == at.SC


def test_huge_full_batch_step_oscillates() -> None:
    """Full-batch SGD(20) on iris flips the accuracy between 1/3 and 2/3: OL."""
    x, y = _iris()
    verdict, _ = _train([L.Dense(3, activation="softmax")], x, y, keras.optimizers.SGD(20.0),
                        epochs=12, batch_size=150)
    assert _code(verdict) == at.OL


def test_detection_stops_training() -> None:
    """AUTOTRAINER stops training at its first problem (to repair it)."""
    x, y = _digits()
    layers = [L.Dense(32, activation="relu"), L.Dense(10, activation="softmax")]
    verdict, history = _train(layers, x, y, keras.optimizers.SGD(1e-5), epochs=6, batch_size=64)
    assert verdict.detected and len(history.epoch) < 6


def test_findings_blame_the_model() -> None:
    """AUTOTRAINER does not localize: findings target the model and name no category."""
    x, y = _digits()
    layers = [L.Dense(32, activation="relu"), L.Dense(10, activation="softmax")]
    verdict, _ = _train(layers, x, y, keras.optimizers.SGD(1e-5), epochs=4, batch_size=64)
    assert verdict.findings[0].target == "model" and verdict.category is None


def test_healthy_digits_not_flagged() -> None:
    """A small ReLU MLP learning scaled digits with Adam has no problem."""
    x, y = _digits()
    layers = [L.Dense(32, activation="relu"), L.Dense(10, activation="softmax")]
    verdict, history = _train(layers, x, y, keras.optimizers.Adam(0.01), epochs=5,
                              batch_size=64, validation_split=0.2)
    assert not verdict.detected and history.history["accuracy"][-1] > 0.9


def test_healthy_iris_not_flagged() -> None:
    """A small ReLU MLP learning scaled iris with Adam has no problem."""
    x, y = _iris()
    layers = [L.Dense(16, activation="relu"), L.Dense(3, activation="softmax")]
    verdict, history = _train(layers, x, y, keras.optimizers.Adam(0.05), epochs=10,
                              batch_size=16)
    assert not verdict.detected and history.history["accuracy"][-1] > 0.9


def test_healthy_regression_with_large_loss_not_flagged() -> None:
    """Regressing digit values ×100 starts with an MSE far above 1e3: no accuracy, no problem."""
    d = load_digits()
    x, target = (d.data / 16.0).astype("float32"), (d.target * 100.0).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), L.Dense(32, activation="relu"), L.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    detector = AutoTrainerDetector()
    history = model.fit(x, target, epochs=3, batch_size=64, verbose=0,
                        callbacks=detector.callbacks())
    assert history.history["loss"][0] > 1e3 and not detector.verdict([]).detected
