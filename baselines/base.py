"""The Detector interface every debugging tool implements.

A *detector* observes one training run of a benchmark program. The harness asks it for Keras
callbacks before every ``Model.fit`` call the program makes, lets those callbacks watch (and, in
a single-tool run, stop) training, and after the program ends asks it for a :class:`Verdict`.

Stopping is observed by the harness, not by the tool: whenever one of a detector's callbacks sets
``model.stop_training = True`` the harness records a :class:`StopEvent`. In a *shared* run (many
tools on one training run) the harness resets the flag so training goes on, and the event reads
"would have stopped here". A detector therefore never needs to know which mode it runs in, and
the two modes give the same verdicts for any tool whose decisions depend only on what it saw.

:class:`Finding`, :data:`TARGETS` and :func:`json_safe` (non-finite floats become ``null``) live in
:mod:`localizer.findings`, the lowest layer, and are re-exported here.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

# The localizer's result type and JSON convention, re-exported: ``from baselines.base import
# Finding`` names the very class DeepLocalize returns. ``localizer.findings`` loads no Keras.
from localizer.findings import TARGETS, Finding, json_safe

if TYPE_CHECKING:  # keep `import baselines` free of TensorFlow for the harness process
    import keras

__all__ = [
    "TARGETS", "Detector", "Finding", "StopEvent", "Verdict", "first_early", "json_safe",
]


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
