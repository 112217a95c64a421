"""The Detector interface every debugging tool implements.

A *detector* observes one training run of a benchmark program. The harness asks it for Keras
callbacks before every ``Model.fit`` call the program makes, lets those callbacks watch (and, in
a single-tool run, stop) training, and after the program ends asks it for a :class:`Verdict`.

Stopping is observed by the harness, not by the tool: whenever one of a detector's callbacks sets
``model.stop_training = True`` the harness records a :class:`StopEvent`. In a *shared* run (many
tools on one training run) the harness resets the flag so training goes on, and the event reads
"would have stopped here". A detector therefore never needs to know which mode it runs in, and
the two modes give the same verdicts for any tool whose decisions depend only on what it saw.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # keep `import baselines` free of TensorFlow for the harness process
    import keras

#: What a finding blames. ``layer`` findings carry a layer index/name; the others name a part of
#: the training set-up that has no layer.
TARGETS = ("layer", "hyperparameter", "optimizer", "loss", "data", "model")


@dataclass(frozen=True)
class StopEvent:
    """A detector's request to stop training, as the harness observed it.

    Attributes:
        fit_index: Which ``fit`` call of the program (0-based).
        epoch: 0-based epoch in that ``fit`` call.
        batch: 0-based batch within the epoch, or ``None`` for a request made at an epoch end.
        iteration: Optimizer steps taken so far in the whole program (all ``fit`` calls).
        samples: Training samples seen so far in the whole program, when batch sizes are known.
        wall_s: Seconds since the program's first ``fit`` began.
        early: ``True`` when the request came before the configured end of that ``fit`` call;
            a request on the very last batch or epoch end changes nothing and is not early.
        hook: The callback hook that made the request, e.g. ``"on_train_batch_end"``.
    """

    fit_index: int
    epoch: int
    batch: int | None
    iteration: int
    samples: int | None
    wall_s: float
    early: bool
    hook: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


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
        epoch, batch, iteration, wall_s: Where in training it was seen (as in :class:`StopEvent`).
        hint: A root-cause guess (``activation``, ``loss``, ``learning_rate``, ...); heuristic.
        evidence: Small JSON-safe dict of the values that fired.
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


@dataclass(frozen=True)
class Verdict:
    """What a tool concluded about one training run.

    Attributes:
        detected: The tool says the program is buggy.
        stop: The first (early) stop request, if the tool asked to stop training.
        findings: What it reported, most important first. Empty for tools that never localize.
        category: A fault category from ``bugs/README.md`` when the tool names one.
        raw: Small JSON-safe tool-specific extras.
    """

    detected: bool
    stop: StopEvent | None = None
    findings: tuple[Finding, ...] = ()
    category: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "detected": self.detected,
            "stop": self.stop.to_json() if self.stop else None,
            "findings": [f.to_json() for f in self.findings],
            "category": self.category,
            "raw": json_safe(self.raw),
        }


class Detector(abc.ABC):
    """Base class of every debugging tool the harness can run.

    Subclasses set the class attributes and implement :meth:`callbacks` and :meth:`verdict`.
    Instances are created fresh for every training run (one per unit of work), so they may keep
    state across the several ``fit`` calls of one program.

    Class attributes:
        name: Registry key, snake_case.
        version: Bump when the tool's decisions change.
        description: One line for ``deeplocalize tools list``.
        localizes: Whether the tool names a layer or hyperparameter at all.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    localizes: ClassVar[bool] = False

    @abc.abstractmethod
    def callbacks(self) -> list[keras.callbacks.Callback]:
        """Return fresh callbacks to attach to the next ``Model.fit`` call of the program."""

    @abc.abstractmethod
    def verdict(self, stops: Sequence[StopEvent]) -> Verdict:
        """Conclude after the program ended.

        Args:
            stops: Every stop request the harness observed from this detector's callbacks, in
                order (in a shared run training went on after each).
        """

    def findings_so_far(self) -> Sequence[Finding]:
        """Return the findings made so far, while the program still runs.

        The worker polls this after the tools' callbacks (at every batch end, epoch end and end
        of every ``fit`` call) and streams the findings it had not seen yet into the unit folder,
        so a unit that later times out, crashes or runs out of memory keeps what the tool had
        already found (the record's ``partial_verdict``).

        The sequence may only grow: the first ``n`` items must stay the same once returned,
        and should equal the first ``n`` findings of the eventual :meth:`verdict`. Keep it cheap:
        it may be called once per batch.

        Returns:
            The findings so far, in the order :meth:`verdict` would report them. The default
            returns an empty tuple (a tool that only stops training is still streamed through
            its stop requests).
        """
        return ()


def first_early(stops: Sequence[StopEvent]) -> StopEvent | None:
    """The first stop request that came before the configured end of training, if any."""
    return next((s for s in stops if s.early), None)


def json_safe(value: Any) -> Any:
    """Replace non-finite floats by ``None`` (recursively) so ``json.dumps(allow_nan=False)`` works.

    Numpy scalars become Python numbers. Callers that must keep the fact that a value was
    non-finite record a separate ``*_nonfinite`` flag (see :func:`harness.records.finite_or_flag`).
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
