"""The instrumented training step the probe has Keras compile in place of its own.

:func:`train_step` is Keras' TensorFlow ``train_step`` line for line (unpack ``(x, y,
sample_weight)``, forward pass under one ``GradientTape``, ``_compute_loss``, loss tracker
update, ``optimizer.scale_loss``, ``apply_gradients``, ``compute_metrics``; the private parts
through :mod:`localizer.keras_internals`, which pins the Keras source it mirrors), plus:

- the layer tensors of the same forward pass (:class:`localizer.capture.Capture`);
- ONE ``tape.gradient`` call for the gradients w.r.t. the trainable weights (these go to the
  optimizer, as in Keras) and w.r.t. the recorded layer outputs / inputs;
- every trainable variable read before and after ``apply_gradients`` (Δweights);
- the batch accuracy: Δtotal/Δcount of the model's accuracy metric around ``compute_metrics``,
  counted only when the batch's targets are class labels (:func:`model_facts.class_labels`);
- every wanted quantity reduced to :data:`localizer.rules.STATS` (:mod:`localizer.summaries`)
  and written as ONE row, tagged with a step counter, into the probe's ring buffer.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import keras
import tensorflow as tf

from localizer import keras_internals
from localizer.capture import Capture, dense, floats
from localizer.model_facts import LayerInfo, class_labels, find_accuracy_metric
from localizer.rules import N_STATS
from localizer.slots import (
    ACCURACY,
    DELTA_WEIGHTS,
    INPUT_GRADIENTS,
    INPUTS,
    LOSS,
    OUTPUT,
    OUTPUT_GRADIENTS,
    PRE,
    WEIGHT_GRADIENTS,
    WEIGHTS,
    Slot,
)
from localizer.summaries import SummaryTable, scalar_row


def layer_variables(
    wrapped: Sequence[tuple[keras.layers.Layer, LayerInfo]], variables: Sequence[Any]
) -> dict[int, list[int]]:
    """Layer index -> positions in ``variables`` of that layer's trainable variables."""
    owner: dict[int, int] = {}
    for layer, info in wrapped:
        for v in layer.trainable_weights:
            owner.setdefault(id(v), info.index)
    result: dict[int, list[int]] = {info.index: [] for _, info in wrapped}
    for k, v in enumerate(variables):
        if id(v) in owner:
            result[owner[id(v)]].append(k)
    return result


def train_step(
    model: keras.Model,
    data: Any,
    *,
    wrapped: Sequence[tuple[keras.layers.Layer, LayerInfo]],
    index: Mapping[Slot, int],
    want: frozenset[str],
    buffer: tf.Variable,
    counter: tf.Variable,
) -> tuple[Any, keras.metrics.Metric | None]:
    """Run (trace) one instrumented training step.

    Args:
        model: The model being trained.
        data: The batch, as Keras hands it to ``train_step``.
        wrapped: ``(layer, info)`` for every entry of ``model.layers``.
        index: Slot -> row of the summary table.
        want: The quantities to summarise (:data:`localizer.slots.QUANTITIES`).
        buffer: The ring buffer, ``(rows, 1 + len(index) * N_STATS)`` float64.
        counter: The step counter (int64).

    Returns:
        ``(logs, accuracy_metric)``: what Keras' step returns, and the accuracy metric whose
        batch value was recorded (``None`` when the model has none).
    """
    x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
    capture = Capture(wrapped)
    capture.watch_inputs = INPUT_GRADIENTS in want
    with tf.GradientTape() as tape:
        with capture.installed(tape):
            y_pred = keras_internals.forward(model, x)
        loss = keras_internals.compute_loss(model, x, y, y_pred, sample_weight)
        batch_size = tf.shape(next(i for i in keras.tree.flatten(x) if i is not None))[0]
        keras_internals.track_loss(model, loss, batch_size)
        batch_loss = loss
        if model.optimizer is not None:
            loss = model.optimizer.scale_loss(loss)

    variables = list(model.trainable_weights)  # the model is built by now
    layer_vars = layer_variables(wrapped, variables)
    sources = capture.sources(OUTPUT_GRADIENTS in want, INPUT_GRADIENTS in want)
    track = bool(want & {WEIGHTS, DELTA_WEIGHTS})
    if variables:
        before = [v.value.value() for v in variables] if DELTA_WEIGHTS in want else []
        gradients = tape.gradient(loss, variables + sources)
        weight_grads, source_grads = gradients[: len(variables)], gradients[len(variables) :]
        model.optimizer.apply_gradients(zip(weight_grads, variables))
        after = [v.value.value() for v in variables] if track else []
    else:
        warnings.warn("The model does not have any trainable weights.", stacklevel=3)
        source_grads = tape.gradient(loss, sources) if sources else []
        before, after, weight_grads = [], [], []

    keras_internals.build_compile_metrics(model, y, y_pred)  # we need the metric's variables
    acc = find_accuracy_metric(model)
    if acc is not None:
        total0, count0 = acc.total.value.value(), acc.count.value.value()
    logs = model.compute_metrics(x, y, y_pred, sample_weight=sample_weight)
    if acc is not None:
        d_count = acc.count.value.value() - count0
        d_total = acc.total.value.value() - total0
        # Not a classification accuracy (e.g. BinaryAccuracy of a regression on continuous
        # targets, 0 in every batch): recorded as not measured (n = 0).
        d_count = d_count * tf.cast(class_labels(acc, y), d_count.dtype)
        acc_row = scalar_row(d_total / tf.maximum(d_count, 1e-12), d_count)
    else:
        acc_row = tf.zeros([N_STATS], tf.float64)

    grads_by_source: dict[int, Any] = {id(t): g for t, g in zip(sources, source_grads)}
    table = SummaryTable(len(index))
    if INPUTS in want:
        table.add(index[Slot(INPUTS)], floats(x))
    table.set_row(index[Slot(LOSS)], scalar_row(batch_loss, 1))
    table.set_row(index[Slot(ACCURACY)], acc_row)
    for _, info in wrapped:
        i = info.index
        forward: list[tuple[int, list[Any]]] = []
        if PRE in want and info.has_pre:
            forward.append((index[Slot(PRE, i)], capture.pre[i]))
        if OUTPUT in want:
            forward.append((index[Slot(OUTPUT, i)], capture.out[i]))
        through = INPUT_GRADIENTS in want and bool(capture.inp[i])
        if OUTPUT_GRADIENTS in want or through:  # through: the scale of the zero test
            grads = [grads_by_source.get(id(t)) for t in capture.out[i]]
            forward.append((index[Slot(OUTPUT_GRADIENTS, i)], grads))
        if through:
            grads = [grads_by_source.get(id(t)) for t in capture.inp[i]]
            table.add(index[Slot(INPUT_GRADIENTS, i)], grads)
        if forward and all(len(tensors) == 1 for _, tensors in forward):
            table.add_family([slot for slot, _ in forward], [t[0] for _, t in forward])
        else:  # several calls or outputs: summarise each tensor on its own
            for slot, tensors in forward:
                table.add(slot, tensors)
        backward = [q for q in (WEIGHTS, DELTA_WEIGHTS, WEIGHT_GRADIENTS) if q in want]
        weight_slots = [index[Slot(q, i)] for q in backward]
        for k in layer_vars[i]:
            values = {
                WEIGHTS: lambda k=k: after[k],
                DELTA_WEIGHTS: lambda k=k: after[k] - before[k],
                WEIGHT_GRADIENTS: lambda k=k: dense(weight_grads[k]),
            }
            table.add_family(weight_slots, [values[q]() for q in backward])
    summaries = table.build()
    step = counter.assign_add(1)
    row = tf.concat([tf.cast(tf.reshape(step, [1]), tf.float64), tf.reshape(summaries, [-1])], 0)
    slot_index = tf.math.floormod(step - 1, tf.shape(buffer, out_type=tf.int64)[0])
    buffer.scatter_nd_update(tf.reshape(slot_index, [1, 1]), tf.reshape(row, [1, -1]))
    return logs, acc
