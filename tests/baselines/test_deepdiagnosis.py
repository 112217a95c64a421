"""DeepDiagnosis: symptom rules, helper checks and the fix tree on synthetic values, then tiny
real trainings with each symptom, healthy controls and the shared-run contract."""

from __future__ import annotations

import math
from pathlib import Path

import keras
import pytest
from sklearn.datasets import load_digits, load_iris

from baselines import deepdiagnosis_rules as dd
from baselines import registry
from baselines.deepdiagnosis import DeepDiagnosisDetector
from baselines.deepdiagnosis_rules import Facts
from harness.injection import FitInjector, run_program

L = keras.layers
NAN = float("nan")


# -- symptom rules --------------------------------------------------------------------------------


@pytest.mark.parametrize("mean", [NAN, float("inf"), 0.0])
def test_numerical_error_fires(mean: float) -> None:
    """A NaN, Inf or exactly-zero mean is a numerical error."""
    assert dd.numerical_error(mean)


def test_numerical_error_quiet_on_normal_mean() -> None:
    """A small non-zero mean is fine."""
    assert not dd.numerical_error(1e-12)


def test_numerical_error_ignores_cancelling_values() -> None:
    """A zero mean of non-zero values (a softmax layer's gradient) is not an error."""
    assert not dd.numerical_error(0.0, std=0.3)


def test_unchanged_fires_on_five_equal_values() -> None:
    """Five equal checks in a row are unchanged."""
    assert dd.unchanged([0.3, 0.5, 0.5, 0.5, 0.5, 0.5])


def test_unchanged_needs_a_full_window() -> None:
    """Four equal checks are not enough for N = 5."""
    assert not dd.unchanged([0.5, 0.5, 0.5, 0.5])


def test_unchanged_compares_every_part() -> None:
    """Equal means with a changing standard deviation are not unchanged (a softmax output)."""
    assert not dd.unchanged([(0.1, 0.2), (0.1, 0.25), (0.1, 0.3), (0.1, 0.3), (0.1, 0.3)])


def test_saturated_threshold() -> None:
    """More than 50 % saturated pre-activations is SAS; exactly 50 % is not."""
    assert dd.saturated(0.51) and not dd.saturated(0.5)


def test_dead_threshold() -> None:
    """70 % non-positive ReLU outputs is DNS; 69 % is not."""
    assert dd.dead(0.7) and not dd.dead(0.69)


def test_vanishing_uses_an_upper_bound_of_mean_abs() -> None:
    """Gradients within ±5e-8 vanish; an RMS of 1e-3 does not."""
    assert dd.vanishing(dd.mean_abs_bound(100, 0.0, 1e-3, -5e-8, 5e-8))
    assert not dd.vanishing(dd.mean_abs_bound(100, 0.0, 1e-3, -0.1, 0.1))


def test_out_of_range_sigmoid_for_large_labels() -> None:
    """A sigmoid output cannot reach labels up to 9."""
    assert dd.out_of_range("sigmoid", "mean_squared_error", False, (0, 1), (0.0, 9.0))


def test_in_range_sigmoid_for_binary_labels() -> None:
    """A sigmoid output fits 0/1 labels."""
    assert not dd.out_of_range("sigmoid", "binary_crossentropy", False, (0, 1), (0.0, 1.0))


def test_out_of_range_linear_under_categorical_loss() -> None:
    """Linear outputs under categorical cross-entropy without logits are out of range."""
    assert dd.out_of_range(None, "categorical_crossentropy", False, (-3, 4), (0.0, 1.0))


def test_linear_with_from_logits_in_range() -> None:
    """Linear outputs are what a from_logits loss expects."""
    assert not dd.out_of_range(None, "categorical_crossentropy", True, (-3, 4), (0.0, 1.0))


def test_softmax_output_never_out_of_range() -> None:
    """Softmax outputs are not checked, as in the release."""
    assert not dd.out_of_range("softmax", "sparse_categorical_crossentropy", False, (0, 1),
                               (0.0, 9.0))


# -- helper checks --------------------------------------------------------------------------------


def test_improper_data_outside_unit_range() -> None:
    """Inputs in [0, 16] are improper, inputs in [-1, 1] are not."""
    assert dd.improper_data(0.0, 16.0) and not dd.improper_data(-1.0, 1.0)


def test_poor_weight_variance() -> None:
    """Variances 1e-6 and 25 are poor, 0.01 and NaN are not."""
    assert dd.poor_weight(1e-6) and dd.poor_weight(25.0)
    assert not dd.poor_weight(0.01) and not dd.poor_weight(NAN)


def test_learning_rate_ratio_bounds() -> None:
    """Ratios 0.5 and 1e-7 are off, 1e-3 and NaN are not."""
    assert dd.learning_rate_off(0.5) and dd.learning_rate_off(1e-7)
    assert not dd.learning_rate_off(1e-3) and not dd.learning_rate_off(NAN)


# -- the fix tree ---------------------------------------------------------------------------------

FACTS = Facts(last_layer=3, last_weighted_layer=2)


def test_fix_numerical_forward_defaults_to_activation() -> None:
    """NS in the forward pass with no helper firing blames that layer's activation."""
    assert dd.decide_fix(dd.NS, dd.FW, 1, FACTS) == dd.Fix(dd.ACTIVATION, 1, "default")


def test_fix_numerical_forward_prefers_data() -> None:
    """NS in the forward pass with inputs outside [-1, 1] is improper data."""
    fix = dd.decide_fix(dd.NS, dd.FW, 1, Facts(improper_data=True, learning_rate_off=True))
    assert fix.kind == dd.DATA


def test_fix_numerical_backward_at_last_weighted_layer_is_loss() -> None:
    """NS in the gradient of the last layer with weights blames the loss."""
    assert dd.decide_fix(dd.NS, dd.BW, 2, FACTS).kind == dd.LOSS


def test_fix_unchanged_output_layer_is_activation() -> None:
    """A frozen output layer blames its activation."""
    assert dd.decide_fix(dd.UCS, dd.FW, 3, FACTS) == dd.Fix(dd.ACTIVATION, 3, "output layer")


def test_fix_unchanged_weights_defaults_to_optimizer() -> None:
    """Frozen weights with no helper firing blame the optimizer."""
    assert dd.decide_fix(dd.UCS, dd.W, 0, FACTS).kind == dd.OPTIMIZER


def test_fix_vanishing_prefers_learning_rate() -> None:
    """VGS with an update ratio out of bounds blames the learning rate."""
    facts = Facts(learning_rate_off=True, saturating_layer=0)
    assert dd.decide_fix(dd.VGS, dd.BW, 0, facts).kind == dd.LEARNING_RATE


def test_fix_invalid_loss_with_linear_output() -> None:
    """A NaN loss with a linear output blames the output activation."""
    facts = Facts(last_layer=3, output_linear=True)
    assert dd.decide_fix(dd.ILS, None, None, facts) == dd.Fix(dd.ACTIVATION, 3, "linear output")


def test_fix_not_learning_prefers_initialisation() -> None:
    """Accuracy not increasing with a poor initial weight variance blames initialisation."""
    fix = dd.decide_fix(dd.ANIS, None, None, Facts(poor_weight_layer=1, improper_data=True))
    assert fix == dd.Fix(dd.INITIALISATION, 1, "WeightInitialization")


# -- real trainings -------------------------------------------------------------------------------


def _digits():
    d = load_digits()
    return (d.data / 16.0).astype("float32"), keras.utils.to_categorical(d.target, 10), d.target


def _train(layers, x, y, optimizer, loss="categorical_crossentropy", *, build=None, **fit):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((x.shape[1],)), *layers])
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    if build:
        build(model)
    detector = DeepDiagnosisDetector()
    history = model.fit(x, y, verbose=0, callbacks=detector.callbacks(), **fit)
    return detector.verdict([]), history, model


def _symptom(verdict) -> tuple[str, int | None]:
    first = verdict.findings[0]
    return first.code, first.evidence["symptom_layer"]


def test_diverging_linear_mlp_is_numerical_error_at_layer_0() -> None:
    """NaN outputs in the first (linear) layer: NS there, fix its missing activation."""
    x, y, _ = _digits()
    normal = keras.initializers.RandomNormal(stddev=1.0)
    layers = [L.Dense(30, kernel_initializer=normal, bias_initializer=normal),
              L.Dense(10, kernel_initializer=normal, bias_initializer=normal)]
    verdict, _, _ = _train(layers, x, y, keras.optimizers.SGD(3.0), "mse", epochs=2,
                           batch_size=10)
    assert _symptom(verdict) == (dd.NS, 0)
    assert verdict.findings[0].layer_index == 0 and verdict.category == "missing_activation"


def test_mostly_dead_relu_layer_is_dead_node() -> None:
    """A ReLU layer with 26 of 32 biases at -20 is DNS at that layer."""
    x, y, _ = _digits()

    def kill(model):
        kernel, bias = model.layers[0].get_weights()
        bias[:] = -20.0
        bias[:6] = 1.0
        model.layers[0].set_weights([kernel, bias])

    layers = [L.Dense(32, activation="relu"), L.Dense(10, activation="softmax")]
    verdict, _, _ = _train(layers, x, y, keras.optimizers.SGD(0.01), build=kill, epochs=2,
                           batch_size=64)
    assert _symptom(verdict) == (dd.DNS, 0)


def test_large_sigmoid_kernel_is_saturated_activation() -> None:
    """Kernel std 4 drives most sigmoid inputs past ±5: SAS, fix the initialisation."""
    x, y, _ = _digits()
    init = keras.initializers.RandomNormal(stddev=4.0)
    layers = [L.Dense(32, activation="sigmoid", kernel_initializer=init),
              L.Dense(10, activation="softmax")]
    verdict, _, _ = _train(layers, x, y, keras.optimizers.SGD(0.01), epochs=2, batch_size=64)
    assert _symptom(verdict) == (dd.SAS, 0)
    assert verdict.findings[0].evidence["fix"] == dd.INITIALISATION


def test_sigmoid_output_for_digit_values_is_out_of_range() -> None:
    """Regressing 0..9 through a sigmoid output is ORS at the last layer."""
    x, _, target = _digits()
    layers = [L.Dense(32, activation="relu"), L.Dense(1, activation="sigmoid")]
    verdict, _, _ = _train(layers, x, target.astype("float32")[:, None],
                           keras.optimizers.Adam(0.01), "mse", epochs=2, batch_size=64)
    assert _symptom(verdict) == (dd.ORS, 1) and verdict.findings[0].layer_index == 1


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis -1:UserWarning")
def test_one_unit_softmax_output_is_unchanged() -> None:
    """A 1-unit softmax outputs 1.0 forever: UCS at the output, fix its activation."""
    x, _, target = _digits()
    layers = [L.Dense(16, activation="relu"), L.Dense(1), L.Activation("softmax")]
    verdict, _, _ = _train(layers, x, (target >= 5).astype("float32"),
                           keras.optimizers.Adam(0.01), "binary_crossentropy", epochs=6,
                           batch_size=256)
    assert _symptom(verdict) == (dd.UCS, 2)
    assert verdict.findings[0].layer_index == 2 and verdict.category == "wrong_activation"


def test_deep_sigmoid_stack_is_vanishing_gradient() -> None:
    """Eight small-init sigmoid layers: VGS in an early layer."""
    x, y, _ = _digits()
    init = keras.initializers.RandomNormal(stddev=0.05)
    layers = [L.Dense(16, activation="sigmoid", kernel_initializer=init) for _ in range(8)]
    verdict, _, _ = _train([*layers, L.Dense(10, activation="softmax")], x, y,
                           keras.optimizers.SGD(0.01), epochs=2, batch_size=64)
    code, layer = _symptom(verdict)
    assert code == dd.VGS and layer < 5


def test_detection_stops_training() -> None:
    """DeepDiagnosis terminates training at its first symptom."""
    x, _, target = _digits()
    layers = [L.Dense(32, activation="relu"), L.Dense(1, activation="sigmoid")]
    verdict, history, _ = _train(layers, x, target.astype("float32")[:, None],
                                 keras.optimizers.Adam(0.01), "mse", epochs=4, batch_size=64)
    assert verdict.detected and len(history.epoch) == 1


def test_model_is_restored_after_fit() -> None:
    """No wrapper is left on the model or its layers once training ends."""
    x, y, _ = _digits()
    layers = [L.Dense(8, activation="tanh"), L.Dense(10, activation="softmax")]
    _, _, model = _train(layers, x[:200], y[:200], "adam", epochs=1, batch_size=64)
    assert "_compute_loss" not in vars(model) and "train_step" not in vars(model)
    assert model.layers[0].activation is keras.activations.tanh


def test_healthy_digits_not_flagged() -> None:
    """A ReLU MLP on scaled digits trained 12 epochs has no symptom."""
    x, y, _ = _digits()
    layers = [L.Dense(32, activation="relu"), L.Dense(10, activation="softmax")]
    verdict, history, _ = _train(layers, x, y, keras.optimizers.Adam(0.01), epochs=12,
                                 batch_size=64)
    assert not verdict.detected and history.history["accuracy"][-1] > 0.95


def test_healthy_iris_not_flagged() -> None:
    """A ReLU MLP on scaled iris trained 15 epochs has no symptom."""
    d = load_iris()
    x = d.data.astype("float32")
    x = (x - x.min(0)) / (x.max(0) - x.min(0))
    layers = [L.Dense(16, activation="relu"), L.Dense(3, activation="softmax")]
    verdict, history, _ = _train(layers, x, keras.utils.to_categorical(d.target, 3),
                                 keras.optimizers.Adam(0.05), epochs=15, batch_size=16)
    assert not verdict.detected and history.history["accuracy"][-1] > 0.9


def _fixture_verdict(bench: Path, tools: list[str], passive: bool):
    keras.utils.set_random_seed(0)
    injector = FitInjector({t: registry.create(t) for t in tools}, passive=passive)
    with injector:
        run_program(bench / "bugs" / "gh-fixture-nan" / "train.py")
    return injector.verdicts()


def test_shared_run_gives_the_single_run_verdict(fixture_bench: Path) -> None:
    """Observing a shared run with DeepLocalize gives the same finding as running alone."""
    alone = _fixture_verdict(fixture_bench, ["deepdiagnosis"], passive=False)["deepdiagnosis"]
    shared = _fixture_verdict(fixture_bench, ["deeplocalize", "deepdiagnosis"], passive=True)
    together = shared["deepdiagnosis"]
    assert alone.detected and together.stop is not None and together.stop.early
    key = lambda v: [(f.code, f.target, f.layer_index, f.epoch) for f in v.findings]  # noqa: E731
    assert key(alone) == key(together)
    assert shared["deeplocalize"].detected


def test_numpy_evidence_is_json_safe() -> None:
    """Verdicts serialise with allow_nan=False (NaN means become null)."""
    import json

    x, y, _ = _digits()
    normal = keras.initializers.RandomNormal(stddev=1.0)
    layers = [L.Dense(30, kernel_initializer=normal, bias_initializer=normal),
              L.Dense(10, kernel_initializer=normal, bias_initializer=normal)]
    verdict, _, _ = _train(layers, x, y, keras.optimizers.SGD(3.0), "mse", epochs=1,
                           batch_size=10)
    text = json.dumps(verdict.to_json(), allow_nan=False)
    assert math.isnan(verdict.findings[0].evidence["values"]["mean"]) and '"mean": null' in text


def test_sigmoid_output_for_binary_labels_is_in_range() -> None:
    """A sigmoid output trained on 0/1 labels is not out of range."""
    x, _, target = _digits()
    layers = [L.Dense(8, activation="relu"), L.Dense(1, activation="sigmoid")]
    verdict, _, _ = _train(layers, x, (target >= 5).astype("float32")[:, None],
                           keras.optimizers.Adam(0.01), "binary_crossentropy", epochs=1,
                           batch_size=64)
    assert not any(f.code == dd.ORS for f in verdict.findings)
