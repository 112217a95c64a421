"""The fault-site convention of ``bugs/README.md``: which layers one fault names.

A *fault site* is a layer with trainable weights together with the weightless layers that directly
apply its activation (separate ``Activation``, ``ReLU``, ``LeakyReLU``, ``Softmax``, ``ELU`` or
``PReLU`` layers right after it). DeepLocalize's Algorithm 1 checks a layer's output before and
after its activation as the same layer, so a report on either entry of such a pair names the same
fault. Pure: works on ``(class name, has trainable weights)`` per entry of ``model.layers``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: Layer classes that only apply an activation: a run of them directly after a layer with
#: trainable weights belongs to that layer's fault site. PReLU has its own (alpha) weights but
#: is an activation all the same.
ACTIVATION_LAYERS = frozenset({"Activation", "ReLU", "LeakyReLU", "Softmax", "ELU", "PReLU"})


def fault_site(layers: Sequence[tuple[str, bool]], index: int) -> frozenset[int]:
    """The fault site of one faulty layer (the convention of ``bugs/README.md``).

    Args:
        layers: ``(class name, has trainable weights)`` of each entry of ``model.layers``.
        index: 0-based index of the faulty layer in ``layers``.

    Returns:
        The indices of the site: a layer with trainable weights (and no activation class) plus
        the activation layers directly after it; for an activation layer, the weighted layer
        before it (when only activation layers lie between them) plus that whole run of
        activation layers; any other layer alone.

    Raises:
        IndexError: ``index`` is not an index of ``layers``.
    """
    if not 0 <= index < len(layers):
        raise IndexError(f"layer index {index} is outside model.layers (0..{len(layers) - 1})")

    def is_activation(i: int) -> bool:
        return layers[i][0] in ACTIVATION_LAYERS

    def is_head(i: int) -> bool:
        return layers[i][1] and not is_activation(i)

    if is_activation(index):
        first = index
        while first > 0 and is_activation(first - 1):
            first -= 1
        if first == 0 or not is_head(first - 1):
            return frozenset({index})  # an activation that no weighted layer feeds directly
        head = first - 1
    elif is_head(index):
        head = index
    else:
        return frozenset({index})
    last = head
    while last + 1 < len(layers) and is_activation(last + 1):
        last += 1
    return frozenset(range(head, last + 1))


def fault_sites(layers: Sequence[tuple[str, bool]], faulty: Iterable[int]) -> frozenset[int]:
    """The union of the fault sites of every faulty layer index (see :func:`fault_site`)."""
    return frozenset().union(*(fault_site(layers, i) for i in faulty))
