"""In-graph summaries: the :data:`~localizer.rules.STATS` of many quantities with few ops.

On a CPU the number of ops, not the arithmetic, dominates what summarising a small model costs,
so the work is organised to keep the op count low and independent of the statistics:

1. Tensors of the same shape that belong together are stacked into one *family* and reduced at
   once over all axes but the first: a layer's pre-activation, output and output gradient; and,
   per trainable variable, its value after the step, its update and its gradient. Each family
   costs five reductions: sum, Euclidean norm (for the sum of squares), min, max, and the norm
   of ``sign(x)`` (its square counts the non-zero values). Tensors of 65,536 or more elements
   are reduced one by one instead (stacking would copy them).
2. The raw per-row results of all families are concatenated and folded into slots with three
   segment reductions over a few dozen numbers (a layer's kernel and bias rows go to the same
   slot), then mean, std and zero fraction are derived once for all slots.
3. NaN and Inf are counted only when some sum is not finite (one ``tf.cond`` per step): a
   finite sum proves that there is neither. That branch also recounts the non-zero values,
   which the ``sign`` trick cannot do when NaNs are present. It puts every value in one flat
   vector and counts per slot with three segment sums, so that it adds a handful of ops to the
   traced step, not a dozen per family (building it used to take about half of the time spent
   tracing the summaries).

The standard deviation comes from the sum of squares; its relative error is about
``eps32 * mean² / var``, which only matters when the spread is tiny next to the mean. Values
that are all equal in two batches get the same (possibly not exactly 0) std in both, which is
what "unchanged" compares; all-zero values give exactly 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import tensorflow as tf

from localizer.rules import N_STATS

_F32 = tf.float32


#: Tensors with at least this many elements (a batch of 32 assumed when the batch size is not
#: known) are reduced one by one: stacking them would cost a full extra copy, and their op
#: count does not matter next to their size.
LARGE = 1 << 16


def _is_large(t: Any) -> bool:
    if t.shape.rank is None:
        return True
    dims = [32 if d is None else d for d in t.shape.as_list()]
    size = 1
    for d in dims:
        size *= d
    return size >= LARGE


def _as_f32(t: Any) -> tf.Tensor:
    return t if t.dtype == _F32 else tf.cast(t, _F32)


class SummaryTable:
    """Collects the quantities of one step, then builds the ``[n_slots, 8]`` STATS table.

    Args:
        n_slots: Rows of the table. A slot that gets nothing has a row of zeros (``n = 0``:
            not measured).
    """

    def __init__(self, n_slots: int) -> None:
        self.n_slots = n_slots
        self._families: list[tuple[list[int], tf.Tensor]] = []
        self._fixed: list[tuple[int, tf.Tensor]] = []

    def add(self, slot: int, tensors: Sequence[Any]) -> None:
        """Add every tensor in ``tensors`` (``None`` skipped) to ``slot``."""
        for t in tensors:
            if t is not None:
                self._families.append(([slot], tf.expand_dims(_as_f32(t), 0)))

    def add_family(self, slots: Sequence[int], tensors: Sequence[Any]) -> None:
        """Add ``tensors[j]`` to ``slots[j]``; tensors of one static shape are reduced together.

        Falls back to :meth:`add` per slot when a tensor is ``None`` or the shapes differ.
        """
        present = [t for t in tensors if t is not None]
        same = (
            len(present) == len(tensors) > 1
            and present[0].shape.rank is not None
            and all(t.shape.is_compatible_with(present[0].shape) for t in present)
            and not _is_large(present[0])
        )
        if not same:
            for slot, t in zip(slots, tensors):
                self.add(slot, [t])
            return
        self._families.append((list(slots), tf.stack([_as_f32(t) for t in tensors])))

    def set_row(self, slot: int, row: tf.Tensor) -> None:
        """Use a precomputed ``[8]`` row (e.g. :func:`scalar_row`) for ``slot``."""
        self._fixed.append((slot, tf.cast(row, tf.float64)))

    def build(self) -> tf.Tensor:
        """The ``[n_slots, len(STATS)]`` float64 table."""
        if self._families:
            table = self._reduce()
        else:
            table = tf.zeros([self.n_slots, N_STATS], tf.float64)
        if self._fixed:
            table = tf.tensor_scatter_nd_update(
                table,
                [[slot] for slot, _ in self._fixed],
                tf.stack([row for _, row in self._fixed]),
            )
        return table

    def _reduce(self) -> tf.Tensor:
        sizes: list[Any] = []  # elements per row, per family: an int, or an int32 tensor
        totals, norms, nonzero_norms, lows, highs, owners = [], [], [], [], [], []
        for slots, x in self._families:
            axes = tf.constant(list(range(1, x.shape.rank)), tf.int32)  # one constant, 5 uses
            per_row = x.shape[1:].num_elements()  # static when the shape is known
            sizes.append(per_row if per_row is not None else tf.size(x) // len(slots))
            totals.append(tf.reduce_sum(x, axis=axes))
            norms.append(tf.math.reduce_euclidean_norm(x, axis=axes))
            # ‖sign(x)‖² is the number of non-zero values (NaN-poisoned; fixed below if needed)
            nonzero_norms.append(tf.math.reduce_euclidean_norm(tf.sign(x), axis=axes))
            lows.append(tf.reduce_min(x, axis=axes))
            highs.append(tf.reduce_max(x, axis=axes))
            owners += slots
        owner = tf.constant(owners, tf.int32)
        n_slots = self.n_slots
        row_sizes = _row_sizes(sizes, [len(slots) for slots, _ in self._families])
        per_row = tf.stack(
            [
                tf.cast(row_sizes, _F32),
                tf.concat(totals, 0),
                tf.square(tf.concat(norms, 0)),
                tf.round(tf.square(tf.concat(nonzero_norms, 0))),
            ],
            axis=1,
        )
        n, total, square, nonzero = tf.unstack(
            tf.math.unsorted_segment_sum(per_row, owner, n_slots), axis=1
        )
        measured = n > 0
        safe_n = tf.maximum(n, 1.0)
        mean = total / safe_n
        std = tf.sqrt(tf.maximum(square / safe_n - tf.square(mean), 0.0))
        lo = tf.math.unsorted_segment_min(tf.concat(lows, 0), owner, n_slots)
        hi = tf.math.unsorted_segment_max(tf.concat(highs, 0), owner, n_slots)
        lo, hi = tf.where(measured, lo, 0.0), tf.where(measured, hi, 0.0)
        stacks = [x for _, x in self._families]

        def count_nonfinite() -> tf.Tensor:
            # Rarely run, so built with few ops whatever the number of families: every value in
            # one flat vector, each tagged with its slot, three segment sums.
            flat = tf.constant([-1], tf.int32)
            values = tf.concat([tf.reshape(x, flat) for x in stacks], 0)
            slot_of_value = tf.repeat(owner, row_sizes)
            counts = [
                tf.math.unsorted_segment_sum(tf.cast(mask, tf.int32), slot_of_value, n_slots)
                for mask in (
                    tf.math.is_nan(values), tf.math.is_inf(values), tf.not_equal(values, 0.0)
                )
            ]
            return tf.cast(tf.stack(counts, axis=1), _F32)

        def all_finite() -> tf.Tensor:
            return tf.stack([tf.zeros_like(n), tf.zeros_like(n), nonzero], axis=1)

        finite = tf.reduce_all(tf.math.is_finite(total))
        nan, inf, nonzero = tf.unstack(tf.cond(finite, all_finite, count_nonfinite), axis=1)
        zero_frac = tf.where(measured, (n - nonzero) / safe_n, 0.0)
        rows = tf.stack([n, mean, std, lo, hi, nan, inf, zero_frac], axis=1)
        return tf.cast(rows, tf.float64)


def _row_sizes(sizes: Sequence[Any], rows: Sequence[int]) -> tf.Tensor:
    """The int32 vector of elements per row: family ``j`` has ``rows[j]`` rows of ``sizes[j]``
    elements each. Consecutive static sizes become one constant, not one per row."""
    pieces: list[Any] = []
    static: list[int] = []
    for size, k in zip(sizes, rows):
        if isinstance(size, int):
            static += [size] * k
            continue
        if static:
            pieces.append(tf.constant(static, tf.int32))
            static = []
        pieces.append(tf.fill([k], size))
    if static:
        pieces.append(tf.constant(static, tf.int32))
    return pieces[0] if len(pieces) == 1 else tf.concat(pieces, 0)


def summarize(tensors: Sequence[Any]) -> tf.Tensor:
    """The ``[8]`` STATS row of all elements of ``tensors`` (zeros when there are none)."""
    table = SummaryTable(1)
    table.add(0, tensors)
    return table.build()[0]


def scalar_row(value: Any, n: Any) -> tf.Tensor:
    """STATS of one scalar value that stands for ``n`` elements (``n = 0``: not measured)."""
    v = tf.cast(tf.reshape(value, []), _F32)
    n = tf.cast(n, _F32)
    flag = lambda c: tf.cast(c, _F32)  # noqa: E731
    row = [n, v, 0.0, v, v, flag(tf.math.is_nan(v)), flag(tf.math.is_inf(v)), flag(v == 0.0)]
    return tf.cast(tf.stack(row), tf.float64)
