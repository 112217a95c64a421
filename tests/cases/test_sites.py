"""The fault-site convention of bugs/README.md (issue #12), on lists of (class, has weights)."""

from __future__ import annotations

import pytest

from harness.sites import fault_site, fault_sites

DENSE = ("Dense", True)
CONV = ("Conv2D", True)
ACT = ("Activation", False)
RELU = ("ReLU", False)
PRELU = ("PReLU", True)  # has alpha weights, but is an activation layer
DROPOUT = ("Dropout", False)
FLATTEN = ("Flatten", False)
POOL = ("MaxPooling2D", False)
BATCHNORM = ("BatchNormalization", True)
INPUT = ("InputLayer", False)


def test_weighted_layer_takes_the_activations_directly_after_it() -> None:
    """Dense, Activation, Dense, Activation: each Dense owns the Activation after it."""
    layers = [DENSE, ACT, DENSE, ACT]
    assert fault_site(layers, 0) == {0, 1}
    assert fault_site(layers, 2) == {2, 3}


def test_activation_layer_takes_the_weighted_layer_before_it() -> None:
    """A faulty Activation names the same site as its Dense (either entry of the pair)."""
    layers = [DENSE, ACT, DENSE, ACT]
    assert fault_site(layers, 1) == {0, 1}
    assert fault_site(layers, 3) == {2, 3}


def test_a_run_of_activation_layers_is_one_site() -> None:
    """Several activation layers in a row all belong to the weighted layer before them."""
    layers = [CONV, RELU, ("LeakyReLU", False), ("Softmax", False), DENSE]
    for index in (0, 1, 2, 3):
        assert fault_site(layers, index) == {0, 1, 2, 3}
    assert fault_site(layers, 4) == {4}


def test_prelu_counts_as_activation_not_as_weighted_layer() -> None:
    """PReLU has trainable alpha weights but joins the site of the layer before it."""
    layers = [DENSE, PRELU, ("ELU", False), DENSE]
    assert fault_site(layers, 1) == {0, 1, 2}
    assert fault_site(layers, 0) == {0, 1, 2}


def test_weightless_layers_in_between_break_the_site() -> None:
    """Conv2D, Dropout, Activation: the activation is not directly after the Conv2D."""
    layers = [CONV, DROPOUT, ACT, FLATTEN, DENSE]
    assert fault_site(layers, 0) == {0}
    assert fault_site(layers, 2) == {2}
    assert fault_site(layers, 1) == {1}


def test_other_layers_are_their_own_site() -> None:
    """Flatten, Dropout, pooling and the InputLayer of a functional model stand alone."""
    layers = [INPUT, CONV, ACT, POOL, FLATTEN, DROPOUT, DENSE, ACT]
    for index in (0, 3, 4, 5):
        assert fault_site(layers, index) == {index}


def test_activation_at_the_start_or_after_weightless_layer_is_alone() -> None:
    """No weighted layer feeds it directly: only the faulty activation itself."""
    assert fault_site([ACT, DENSE], 0) == {0}
    assert fault_site([FLATTEN, ACT, ACT], 2) == {2}


def test_batchnormalization_has_weights_so_heads_a_site() -> None:
    """The rule asks 'trainable weights': BatchNormalization then Activation is one site."""
    layers = [CONV, BATCHNORM, ACT]
    assert fault_site(layers, 2) == {1, 2}
    assert fault_site(layers, 0) == {0}
    assert fault_site([CONV, BATCHNORM, POOL], 1) == {1}


def test_weighted_layer_without_activation_is_alone() -> None:
    """A Dense followed by another Dense (no activation) is a one-layer site."""
    assert fault_site([DENSE, DENSE, ACT], 0) == {0}


def test_sites_are_the_union_over_faulty_layers() -> None:
    """Labels on three Conv2D layers of a Conv/Activation/Pool stack (gh-keras-catsdogs)."""
    layers = [CONV, ACT, POOL] * 3 + [FLATTEN, DENSE, ACT]
    assert fault_sites(layers, [0, 3, 6]) == {0, 1, 3, 4, 6, 7}
    assert fault_sites(layers, [1, 0]) == {0, 1}
    assert fault_sites(layers, []) == frozenset()


def test_index_outside_the_model_is_an_error() -> None:
    with pytest.raises(IndexError, match="layer index 4 is outside model.layers"):
        fault_site([DENSE, ACT], 4)
