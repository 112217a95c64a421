"""Every private Keras internal the project relies on, in one place (Keras 3.15, TF backend).

Keras' public API cannot give what DeepLocalize needs: the probe runs a copy of Keras' own
TensorFlow ``train_step`` (:mod:`localizer.step`), which calls the trainer's private
``_compute_loss`` and ``_loss_tracker``; the recorder (:mod:`baselines.recorder`) wraps
``_compute_loss``; the loss facts read a loss wrapper's ``_fn_kwargs``; the loss semantics
(:mod:`harness.semantics`) replace the TF backend's ``nn._get_logits``. Every such access goes
through a function of this module, and nowhere else in ``localizer/``, ``baselines/`` or
``harness/`` is a private attribute of a Keras object read or a ``keras.src`` module imported.

:data:`MIRRORED` names each Keras function whose source this code copies or depends on, with
the sha256 of its source (``inspect.getsource``) in Keras :data:`KERAS_VERSION`, the version
``requirements.lock`` pins. ``tests/test_keras_internals.py`` recomputes the hashes: on the
pinned version a changed source fails the test loudly, with a diff against the source the hash
was taken from (``tests/fixtures/keras_mirrored.json``): re-read the function, adapt the code
that mirrors it, then update the hash and the fixture. On any other Keras version the test is
skipped.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from collections.abc import Callable
from typing import Any

#: The Keras version the hashes in :data:`MIRRORED` were taken from (``requirements.lock``).
KERAS_VERSION = "3.15.1"

#: ``"module:qualified.name"`` -> sha256 of its source in :data:`KERAS_VERSION`. Why each one:
#:
#: - ``TensorFlowTrainer.train_step``: :mod:`localizer.step` mirrors it line by line, and
#:   :func:`uses_keras_train_step` refuses models that do not run it.
#: - ``TensorFlowTrainer.make_train_function`` and ``_make_function``: read ``self.train_step``
#:   and ``self.jit_compile`` when they build the step, which is how the probe's instance
#:   attribute gets compiled (``force=True``) without XLA.
#: - ``Trainer._compute_loss``: called by the step as Keras does, wrapped by the recorder with
#:   its argument names (``x, y, y_pred, sample_weight, training``).
#: - ``Trainer.compute_metrics``: builds and updates ``_compile_metrics``; the probe reads the
#:   accuracy metric's counters around it and builds the metrics first, as it does.
#: - ``BaseOptimizer.apply``: builds the optimizer on its first call (under its name scope);
#:   :func:`build_training_state` does the same before the step is first traced.
#: - ``nn._get_logits``: replaced by the ``keras2`` and ``tfkeras`` loss semantics.
#: - ``LossFunctionWrapper.__init__``: keeps a loss function's keyword arguments
#:   (``from_logits``) in ``_fn_kwargs``.
#: - ``array_slicing.train_validation_split``: :mod:`harness.injection` counts training samples
#:   with its rule (``floor(n * (1 - validation_split))``).
MIRRORED: dict[str, str] = {
    "keras.src.backend.tensorflow.trainer:TensorFlowTrainer.train_step":
        "debf0efab9d5794b017ade2937acbcc51886fc1dc5cf021e7d7e80f974ee707c",
    "keras.src.backend.tensorflow.trainer:TensorFlowTrainer.make_train_function":
        "a9703da4a49beb28b365ceef4d30fe787f55a7c76e435a8bc28b695e5161258a",
    "keras.src.backend.tensorflow.trainer:TensorFlowTrainer._make_function":
        "bb33b7a0da3d27406c70fac54b8e9617156ef225f452b93f6addf8cc34aca0d0",
    "keras.src.trainers.trainer:Trainer._compute_loss":
        "13153b89c765b0d6e50e8d688cdcfa0b384c29c53b3bb576e276dff7cd71369d",
    "keras.src.trainers.trainer:Trainer.compute_metrics":
        "8c5a423878e01a48ad252c02b49475758cc934062152795e4e9ab7781eec5e5e",
    "keras.src.optimizers.base_optimizer:BaseOptimizer.apply":
        "43097be63b919d035bddf973cb3dac75e56b37f55dabb66c960254165e2f1477",
    "keras.src.backend.tensorflow.nn:_get_logits":
        "753de9fdd9c722ba7745ac9336e76f0cb79940c112aa048a385e3c4e4b1bcf7f",
    "keras.src.losses.losses:LossFunctionWrapper.__init__":
        "f2c3be17105295521d9f50538933373157badf91da8d2d7472618435ae83c8c3",
    "keras.src.trainers.data_adapters.array_slicing:train_validation_split":
        "97e71878bad6150421e9c130feb9f1b2dc5d848cc9a3397e96201f9e1f66e1d6",
}


def resolve(name: str) -> Any:
    """The object a :data:`MIRRORED` key names (``"module:Qualified.name"``)."""
    module, _, qualname = name.partition(":")
    obj: Any = importlib.import_module(module)
    for attr in qualname.split("."):
        obj = getattr(obj, attr)
    return obj


def source_sha256(name: str) -> str:
    """sha256 (hex) of the source of the object a :data:`MIRRORED` key names."""
    return hashlib.sha256(inspect.getsource(resolve(name)).encode("utf-8")).hexdigest()


# -- the training step (TensorFlowTrainer.train_step) -------------------------------------------


def keras_train_step() -> Callable[..., Any]:
    """Keras' own TensorFlow ``train_step`` (the function :mod:`localizer.step` mirrors)."""
    from keras.src.backend.tensorflow.trainer import TensorFlowTrainer

    return TensorFlowTrainer.train_step


def uses_keras_train_step(model: Any) -> bool:
    """Whether ``type(model)`` runs Keras' own TF ``train_step`` (no subclass override)."""
    return getattr(type(model), "train_step", None) is keras_train_step()


def forward(model: Any, x: Any) -> Any:
    """``y_pred`` as ``train_step`` computes it: ``training=True`` if ``call`` takes it."""
    if model._call_has_training_arg:
        return model(x, training=True)
    return model(x)


def compute_loss(model: Any, x: Any, y: Any, y_pred: Any, sample_weight: Any) -> Any:
    """The training loss as ``train_step`` computes it (``model._compute_loss``)."""
    return model._compute_loss(
        x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True
    )


def track_loss(model: Any, loss: Any, batch_size: Any) -> None:
    """Update the model's running loss metric as ``train_step`` does (one replica: Keras'
    ``unscale_loss_for_distribution`` is the identity)."""
    model._loss_tracker.update_state(loss, sample_weight=batch_size)


def build_compile_metrics(model: Any, y: Any, y_pred: Any) -> None:
    """Build the compiled metrics if they are not yet, as ``compute_metrics`` does first."""
    compiled = getattr(model, "_compile_metrics", None)
    if compiled is not None and not compiled.built:
        compiled.build(y, y_pred)


def build_training_state(model: Any, data_spec: Any) -> bool:
    """Create, before the train function is first traced, the variables Keras' step creates
    while it is traced: the optimizer's (as ``BaseOptimizer.apply`` does on its first call) and
    the compiled metrics' (as ``compute_metrics`` does, from ``y`` and ``y_pred``).

    ``tf.function`` traces a function whose first trace created variables a second time; with
    them created beforehand, the instrumented step is traced once. Their values are the same
    (zeros); no random number is drawn. A model whose layers are not all built is left alone
    (building them here would draw their initial weights outside the step).

    Args:
        model: The compiled, built model about to train.
        data_spec: The ``element_spec`` of the iterator the train function reads.

    Returns:
        Whether anything was built.
    """
    import keras

    if not model.built or not all(layer.built for layer in model.layers):
        return False
    changed = False
    optimizer = getattr(model, "optimizer", None)
    variables = list(model.trainable_weights)
    if optimizer is not None and not optimizer.built and variables:
        with keras.name_scope(optimizer.name, caller=optimizer):
            optimizer.build(variables)
        optimizer.built = True
        changed = True
    compiled = getattr(model, "_compile_metrics", None)
    if compiled is not None and not compiled.built:
        symbolic = keras.tree.map_structure(
            lambda s: keras.KerasTensor(s.shape, s.dtype.name), data_spec
        )
        x, y, _ = keras.utils.unpack_x_y_sample_weight(symbolic)
        if y is not None:
            compiled.build(y, model.compute_output_spec(x))
            changed = True
    return changed


def wrap_compute_loss(
    model: Any, make: Callable[[Callable[..., Any]], Callable[..., Any]]
) -> Callable[[], None]:
    """Put ``make(original)`` in place of ``model._compute_loss`` (an instance attribute).

    Returns:
        A function that restores the model as it was.
    """
    had_own = "_compute_loss" in vars(model)
    own = vars(model).get("_compute_loss")
    object.__setattr__(model, "_compute_loss", make(model._compute_loss))
    if had_own:
        return lambda: object.__setattr__(model, "_compute_loss", own)
    return lambda: object.__delattr__(model, "_compute_loss")


# -- losses ------------------------------------------------------------------------------------


def loss_fn_kwargs(loss: Any) -> dict[str, Any]:
    """The keyword arguments a ``LossFunctionWrapper`` passes to its function (else ``{}``)."""
    return getattr(loss, "_fn_kwargs", None) or {}


def get_logits_hook() -> Callable[..., Any] | None:
    """The TF backend's logit recovery (``keras.src.backend.tensorflow.nn._get_logits``), or
    ``None`` when this Keras has none."""
    from keras.src.backend.tensorflow import nn as tf_nn

    return getattr(tf_nn, "_get_logits", None)


def set_logits_hook(function: Callable[..., Any]) -> None:
    """Replace the TF backend's logit recovery for the whole process."""
    from keras.src.backend.tensorflow import nn as tf_nn

    tf_nn._get_logits = function
