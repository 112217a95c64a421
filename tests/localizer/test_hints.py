"""Pure tests of the heuristic root-cause hints."""

from __future__ import annotations

from localizer.hints import HintContext, output_mismatch, suggest
from localizer.probe import LayerInfo


def _layer(index=0, kind="fused", activation="relu", units=8) -> LayerInfo:
    return LayerInfo(index, f"dense_{index}", "Dense", kind, activation, units)


def test_nonfinite_inputs_point_at_the_data():
    """NaN/Inf in the input batch → data_preprocessing, whatever fired."""
    ctx = HintContext("EBA", "numerical_error", "pre_activation", _layer(), input_nonfinite=True)
    assert suggest(ctx)[0] == "data_preprocessing"


def test_large_updates_before_a_nan_point_at_the_learning_rate():
    """A NaN after updates of > 10 % of the weight norm → learning_rate."""
    ctx = HintContext("EBA", "numerical_error", "pre_activation", _layer(1), max_update_ratio=3.0)
    assert suggest(ctx)[0] == "learning_rate"
    calm = HintContext("EBA", "numerical_error", "pre_activation", _layer(1), iteration=5,
                       max_update_ratio=1e-3)
    assert suggest(calm)[0] == "wrong_activation"


def test_relu_dead_from_the_start_points_at_initialisation():
    """All-zero ReLU output since batch 1 → initialisation; later with big updates → lr."""
    ctx = HintContext("EAA", "zero", "output", _layer(), zero_since_start=True)
    assert suggest(ctx)[0] == "initialisation"
    later = HintContext("EAA", "zero", "output", _layer(), max_update_ratio=5.0)
    assert suggest(later)[0] == "learning_rate"


def test_zero_update_with_zero_learning_rate_points_at_the_learning_rate():
    """Δweights all zero and lr == 0 → learning_rate; with vanishing gradients → activation."""
    ctx = HintContext("EBDW", "zero", "delta_weights", _layer(1), learning_rate=0.0)
    assert suggest(ctx)[0] == "learning_rate"
    vanishing = HintContext("EBDW", "zero", "delta_weights", _layer(1), learning_rate=0.01,
                            weight_gradient_zero=True)
    assert suggest(vanishing)[0] == "wrong_activation"


def test_one_unit_softmax_output_is_an_activation_mismatch():
    """A softmax over one unit is flagged; a 2-unit softmax with cross-entropy is not."""
    one = _layer(1, activation="softmax", units=1)
    assert output_mismatch(one, "binary_crossentropy", False)[0] == "wrong_activation"
    two = _layer(1, activation="softmax", units=2)
    assert output_mismatch(two, "sparse_categorical_crossentropy", False) is None


def test_cross_entropy_on_linear_output_is_a_mismatch_unless_from_logits():
    """CE on a linear output is a mismatch, unless the loss takes logits."""
    linear = _layer(1, kind="plain", activation=None, units=3)
    assert output_mismatch(linear, "categorical_crossentropy", False) is not None
    assert output_mismatch(linear, "categorical_crossentropy", True) is None


def test_mdl_with_unscaled_inputs_points_at_normalisation():
    """MDL with inputs reaching |x| = 255 → input_normalisation; nothing known → None."""
    ctx = HintContext("MDL", "not_learning", "loss", input_max_abs=255.0)
    assert suggest(ctx)[0] == "input_normalisation"
    assert suggest(HintContext("MDL", "not_learning", "loss", input_max_abs=2.0))[0] is None


def test_every_hint_is_a_fault_category():
    """Hints and ground truth share one closed vocabulary, so a hint can be scored as a
    diagnosis."""
    from harness.vocab import CATEGORIES
    from localizer.hints import HINTS

    assert set(HINTS) <= set(CATEGORIES)
