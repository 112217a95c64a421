"""Bounded access to the per-batch summaries DeepLocalize recorded (``DeepLocalize.trace``)."""

from __future__ import annotations

import dataclasses
import json
from collections import deque
from collections.abc import Sequence
from pathlib import Path
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

    @property
    def epochs(self) -> np.ndarray:
        """0-based epoch of each recorded batch."""
        return np.array([m[0] for m in self._meta], dtype=np.int64)

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

    def save(self, path: str | Path, **meta: Any) -> None:
        """Write the recorded batches to a compressed ``.npz`` file (:meth:`load` reads it).

        Args:
            path: Where to write.
            **meta: JSON-serialisable facts kept with the trace (e.g. ``steps_run``, so a reader
                can tell a trace that lost its oldest batches to ``maxlen``).
        """
        header = {
            "slots": [[s.quantity, s.layer] for s in self.slots],
            "layers": [dataclasses.asdict(info) for info in self.layers],
            "maxlen": self.maxlen,
            "meta": meta,
        }
        meta_rows = np.array(list(self._meta), dtype=np.int64).reshape(-1, 3)
        with open(path, "wb") as fh:
            np.savez_compressed(fh, tables=self.tables(), meta=meta_rows,
                                header=np.array(json.dumps(header)))

    @classmethod
    def load(cls, path: str | Path) -> tuple[Trace, dict[str, Any]]:
        """Read a trace written by :meth:`save`; return it and its ``meta``.

        Raises:
            ValueError: When the file is not a saved trace (names the file and what is missing).
        """
        with np.load(path, allow_pickle=False) as data:
            missing = {"tables", "meta", "header"} - set(data.files)
            if missing:
                raise ValueError(f"{path}: not a DeepLocalize trace (no {sorted(missing)})")
            header = json.loads(str(data["header"]))
            tables, meta_rows = data["tables"], data["meta"]
        slots = [Slot(q, layer) for q, layer in header["slots"]]
        layers = [LayerInfo(**info) for info in header["layers"]]
        trace = cls(slots, layers, max(int(header["maxlen"]), len(tables)))
        for (epoch, batch, iteration), table in zip(meta_rows.tolist(), tables):
            trace.append(epoch, batch, iteration, table)
        return trace, dict(header.get("meta") or {})
