"""What a fault-localization tool reports: :class:`Finding`, and the JSON convention it follows.

The localizer's own result type, so the library needs nothing from the harness. The harness'
:mod:`baselines.base` re-exports :class:`Finding`, :data:`TARGETS` and :func:`json_safe`, so
``from baselines.base import Finding`` names the very same class.

Non-finite numbers in JSON (one convention for records, findings and reports): a NaN or ±Inf
float is written as ``null``. Where the fact matters it is kept beside the value: a run record
adds a ``<name>_nonfinite`` flag (:func:`harness.records.finite_or_flag`), and the evidence of a
numerical-error finding carries the slot's ``nan`` and ``inf`` counts.

Importing this module loads neither Keras nor NumPy (the harness process stays light).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

#: What a finding blames. ``layer`` findings carry a layer index/name; the others name a part of
#: the training set-up that has no layer.
TARGETS = ("layer", "hyperparameter", "optimizer", "loss", "data", "model")


@dataclass(frozen=True)
class Finding:
    """One fault a tool reports.

    Attributes:
        code: The tool's own code for what it saw (DeepLocalize: ``EBA``, ``EAA``, ``ELF``,
            ``EAF``, ``EBW``, ``EBDW``, ``MDL``; Keras: ``nan_loss``, ``no_improvement``).
        message: One human sentence naming what was seen and where.
        target: What the finding blames; one of :data:`TARGETS`.
        layer_index: 0-based index into ``model.layers`` when ``target == "layer"``.
        layer_name: ``layer.name`` of that layer.
        layer_class: ``type(layer).__name__`` of that layer.
        phase: ``forward`` or ``backward`` when the tool distinguishes them.
        quantity: What was measured, e.g. ``pre_activation``, ``weights``, ``delta_weights``.
        epoch, batch, iteration, wall_s: Where in training it was seen (as in
            :class:`baselines.base.StopEvent`).
        hint: A root-cause guess (``activation``, ``loss``, ``learning_rate``, ...); heuristic.
        evidence: Small dict of the values that fired; :meth:`to_json` makes it JSON-safe
            (:func:`json_safe`).
    """

    code: str
    message: str
    target: str = "layer"
    layer_index: int | None = None
    layer_name: str | None = None
    layer_class: str | None = None
    phase: str | None = None
    quantity: str | None = None
    epoch: int | None = None
    batch: int | None = None
    iteration: int | None = None
    wall_s: float | None = None
    hint: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ValueError(f"Finding.target must be one of {TARGETS}, got {self.target!r}")

    def to_json(self) -> dict[str, Any]:
        return json_safe(asdict(self))


def json_safe(value: Any) -> Any:
    """Replace non-finite floats by ``None`` (recursively) so ``json.dumps(allow_nan=False)`` works.

    Numpy scalars become Python numbers, tuples become lists, dict keys become strings. Callers
    that must keep the fact that a value was non-finite record it separately (a ``*_nonfinite``
    flag, or NaN/Inf counts; see the module docstring).
    """
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "shape", None) == ():
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
