"""Bounded access to the per-batch summaries DeepLocalize recorded (``DeepLocalize.trace``)."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np

from localizer.model_facts import LayerInfo
from localizer.rules import MEAN, STATS
from localizer.slots import Slot


class Trace:
    """The per-batch summaries of the newest ``maxlen`` batches (bounded memory).

    Attributes:
        slots: What each row of a table is (:class:`Slot`).
        layers: The :class:`LayerInfo` of every layer.
    """

    def __init__(self, slots: Sequence[Slot], layers: Sequence[LayerInfo], maxlen: int) -> None:
        self.slots = tuple(slots)
        self.layers = tuple(layers)
        self.maxlen = maxlen
        self._index = {slot: i for i, slot in enumerate(self.slots)}
        self._meta: deque[tuple[int, int, int]] = deque(maxlen=maxlen)
        self._tables: deque[np.ndarray] = deque(maxlen=maxlen)

    def append(self, epoch: int, batch: int, iteration: int, table: np.ndarray) -> None:
        """Record one batch's ``(n_slots, len(STATS))`` table."""
        if self.maxlen:
            self._meta.append((epoch, batch, iteration))
            self._tables.append(table.astype(np.float32))

    def __len__(self) -> int:
        return len(self._meta)

    @property
    def iterations(self) -> np.ndarray:
        """1-based iteration of each recorded batch."""
        return np.array([m[2] for m in self._meta], dtype=np.int64)

    def tables(self) -> np.ndarray:
        """All recorded tables, ``(len(self), n_slots, len(STATS))``, oldest first."""
        if not self._tables:
            return np.zeros((0, len(self.slots), len(STATS)), np.float32)
        return np.stack(list(self._tables))

    def series(self, quantity: str, layer: int | None = None, stat: str = "mean") -> np.ndarray:
        """One statistic of one slot over the recorded batches, e.g. ``series("loss")``.

        Raises:
            KeyError: When the model has no such slot.
        """
        slot = Slot(quantity, layer)
        if slot not in self._index:
            raise KeyError(f"no slot {slot}; available: {list(self._index)}")
        col = STATS.index(stat)
        i = self._index[slot]
        return np.array([t[i, col] for t in self._tables], dtype=np.float64)

    def to_records(self) -> list[dict[str, Any]]:
        """The recorded batches as JSON-friendly dicts (slot means only)."""
        names = [s.quantity if s.layer is None else f"{s.layer}:{s.quantity}" for s in self.slots]
        records = []
        for (epoch, batch, iteration), table in zip(self._meta, self._tables):
            means = dict(zip(names, table[:, MEAN].tolist()))
            records.append({"epoch": epoch, "batch": batch, "iteration": iteration, "means": means})
        return records
