"""Loss semantics a benchmark program runs under: ``keras2`` (as published) or ``keras3``.

Keras 3 on TensorFlow makes ``softmax``/``sigmoid`` outputs remember their logits, and its
cross-entropy losses compute from those logits *whichever activation produced them* (and, in
graph mode, from the input of any ``Softmax``/``Sigmoid`` op). A 1-unit softmax trained with
binary cross-entropy then shows a normally falling loss while its output stays 1.0, and a
sigmoid output under categorical cross-entropy silently becomes softmax. Keras 2.2, which the
DeepLocalize benchmark was published on, computed these losses in probability space (clipped at
``epsilon``), so those bugs showed a frozen loss.

``keras2`` restores the published behaviour for the whole process: the cross-entropies use the
probabilities they are given (clipped at epsilon), never hidden logits (the TF backend's hook is
replaced through :mod:`localizer.keras_internals`, which pins the Keras source it relies on).
``keras3`` leaves Keras as it is, so users can see which of the published bugs Keras 3 now
hides. The worker applies the semantics before running a program and records it in every run
record.
"""

from __future__ import annotations

from typing import Any

from harness.vocab import SEMANTICS

_ORIGINAL: dict[str, Any] = {}


def _probability_space(output: Any, from_logits: bool, op_type: str, fn_name: str):
    """Replacement for Keras' logit recovery: take the tensor at face value, like Keras 2."""
    return output, from_logits


def _matched_only(output: Any, from_logits: bool, op_type: str, fn_name: str):
    """tf.keras 2.x: logits only from the input of the matching activation op, else as given."""
    import tensorflow as tf

    op = getattr(output, "op", None)
    if (
        not from_logits
        and op is not None
        and not isinstance(output, (tf.__internal__.EagerTensor, tf.Variable))
        and op.type == op_type
        and len(op.inputs) == 1
    ):
        return op.inputs[0], True
    return output, from_logits


_REPLACEMENTS = {"keras2": _probability_space, "tfkeras": _matched_only}


def apply(semantics: str) -> None:
    """Make this process's Keras losses follow ``semantics`` (``keras2`` or ``keras3``).

    Raises:
        ValueError: unknown semantics.
        RuntimeError: ``keras2``/``tfkeras`` on a Keras build whose TensorFlow backend no longer
            has the hook this relies on (``keras.src.backend.tensorflow.nn._get_logits``).
    """
    if semantics not in SEMANTICS:
        raise ValueError(f"semantics must be one of {SEMANTICS}, got {semantics!r}")
    import keras

    if keras.backend.backend() != "tensorflow":
        # Keras 3's JAX and torch backends already compute these losses in probability space.
        return
    from localizer import keras_internals

    if "logits" not in _ORIGINAL:
        original = keras_internals.get_logits_hook()
        if original is None:
            raise RuntimeError(
                "semantics 'keras2' needs keras.src.backend.tensorflow.nn._get_logits, which this "
                f"Keras ({keras.__version__}) lacks; run with --semantics keras3 or pin Keras 3.15"
            )
        _ORIGINAL["logits"] = original
    keras_internals.set_logits_hook(_REPLACEMENTS.get(semantics, _ORIGINAL["logits"]))
