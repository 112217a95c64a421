"""Facts of the compiled model the re-implemented tools look at: its layers, loss, learning rate.

Read off the model's public state when a check runs (nothing in-graph; the per-batch quantities
come from :class:`localizer.probe.Probe` and :class:`baselines.recorder.Recorder`). The loss and
learning-rate readings are DeepLocalize's own (:mod:`localizer.model_facts`), so every tool reads
the same name (``"mse"`` -> ``mean_squared_error``) and the same rate (``None`` when unknown).
"""

from __future__ import annotations

import keras

from localizer.model_facts import LayerInfo, describe_layer, learning_rate, loss_info

__all__ = ["layer_infos", "learning_rate", "loss_info"]


def layer_infos(model: keras.Model) -> tuple[LayerInfo, ...]:
    """:func:`localizer.model_facts.describe_layer` for every entry of ``model.layers``."""
    return tuple(describe_layer(i, layer) for i, layer in enumerate(model.layers))
