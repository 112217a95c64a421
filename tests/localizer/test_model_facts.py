"""One reading of the compiled loss and the learning rate, shared by DeepLocalize and the tools."""

from __future__ import annotations

from types import SimpleNamespace

import keras
import pytest

from localizer.hints import HintContext, suggest
from localizer.model_facts import LayerInfo, learning_rate, loss_info

#: Every loss the benchmark's programs and patches compile (bugs/*/train.py, patches/*.diff).
BENCHMARK_LOSSES = (
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "mean_squared_error", "mean_absolute_error", "mse",
)


@pytest.mark.parametrize(("loss", "expected"), [
    ("mse", ("mean_squared_error", False)),
    ("categorical_crossentropy", ("categorical_crossentropy", False)),
    (keras.losses.binary_crossentropy, ("binary_crossentropy", False)),
    (keras.losses.BinaryCrossentropy(from_logits=True), ("binary_crossentropy", True)),
    ({"out": "mae"}, ("mean_absolute_error", False)),
    (None, (None, False)),
])
def test_loss_info_reads_the_canonical_name(loss, expected) -> None:
    """Strings and functions resolve through keras.losses; from_logits is read too."""
    assert loss_info(SimpleNamespace(loss=loss)) == expected


@pytest.mark.parametrize("raw", BENCHMARK_LOSSES)
def test_hints_decide_the_same_on_the_benchmarks_losses(raw) -> None:
    """Every hint that reads the loss name (by substring) is the same for the canonical name as
    for the name as compiled, for each loss the benchmark uses (MDL, ELF, EAF, zero Δweights,
    unchanged output; softmax/sigmoid/linear outputs)."""
    canonical, _ = loss_info(SimpleNamespace(loss=raw))
    for activation, units in (("softmax", 1), ("softmax", 3), ("sigmoid", 1), (None, 1)):
        out = LayerInfo(0, "out", "Dense", "fused" if activation else "plain", activation, units)
        for code, rule, quantity in (("MDL", "not_learning", "loss"),
                                     ("ELF", "numerical_error", "loss"),
                                     ("EAF", "zero", "accuracy"),
                                     ("EBDW", "zero", "delta_weights"),
                                     ("EAA", "unchanged", "output")):
            def hint(name, code=code, rule=rule, quantity=quantity, out=out):
                return suggest(HintContext(code, rule, quantity, layer=out, output_layer=out,
                                           iteration=20, loss_name=name))

            assert hint(canonical) == hint(raw), (raw, canonical, code, activation, units)


def test_learning_rate_is_none_when_unknown() -> None:
    """No optimizer, or one without a readable rate: None (not NaN)."""
    assert learning_rate(SimpleNamespace(optimizer=None)) is None
    assert learning_rate(SimpleNamespace(optimizer=SimpleNamespace())) is None
    assert learning_rate(SimpleNamespace(optimizer=keras.optimizers.SGD(0.5))) == 0.5
