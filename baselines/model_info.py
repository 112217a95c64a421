"""Facts of the compiled model the re-implemented tools look at: its layers, loss, learning rate.

Read off the model's public state when a check runs (nothing in-graph; the per-batch quantities
come from :class:`localizer.probe.Probe` and :class:`baselines.recorder.Recorder`).
"""

from __future__ import annotations

import re

import keras
import numpy as np

from localizer.probe import LayerInfo, describe_layer


def layer_infos(model: keras.Model) -> tuple[LayerInfo, ...]:
    """:func:`localizer.probe.describe_layer` for every entry of ``model.layers``."""
    return tuple(describe_layer(i, layer) for i, layer in enumerate(model.layers))


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def loss_info(model: keras.Model) -> tuple[str | None, bool]:
    """The compiled loss' canonical name (``mean_squared_error``, ...) and its ``from_logits``.

    Best effort for the first output; strings and functions resolve through ``keras.losses``.
    """
    loss = getattr(model, "loss", None)
    if isinstance(loss, dict):
        loss = next(iter(loss.values()), None)
    if isinstance(loss, (list, tuple)):
        loss = loss[0] if loss else None
    if loss is None:
        return None, False
    if isinstance(loss, str):
        try:
            resolved = keras.losses.get(loss)
        except (ValueError, TypeError):
            return loss.lower(), False
        loss = resolved
    if isinstance(loss, keras.losses.Loss):
        name = getattr(loss, "name", None) or _CAMEL.sub("_", type(loss).__name__).lower()
    else:
        name = getattr(loss, "__name__", None) or type(loss).__name__
    kwargs = getattr(loss, "_fn_kwargs", None) or {}
    from_logits = bool(getattr(loss, "from_logits", False) or kwargs.get("from_logits", False))
    return str(name).lower(), from_logits


def learning_rate(model: keras.Model) -> float | None:
    """The optimizer's current learning rate (schedules evaluated at the current step)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    try:
        return float(np.asarray(keras.ops.convert_to_numpy(optimizer.learning_rate)))
    except (AttributeError, TypeError, ValueError):
        return None
