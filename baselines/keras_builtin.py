"""Keras' own callbacks as the DeepLocalize paper used them (its baseline).

Settings are the paper's (``shared/research/deeplocalize-paper.md`` §3): ``TerminateOnNaN()``,
``EarlyStopping(monitor='loss', patience=1)`` and ``EarlyStopping(monitor='accuracy',
patience=1)``, everything else at Keras defaults (``min_delta=0``, ``mode='auto'``, checked per
epoch), plus the *union* of the three.

Detection rule (the paper's, inferred from its tables): a run is detected iff the callback
stopped, or in a shared run would have stopped, training *before* the configured number of
epochs. Keras never localizes, so these verdicts carry no findings.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

from baselines.base import Detector, StopEvent, Verdict, first_early


class _KerasCallbackDetector(Detector):
    """Shared logic: build the callbacks, then detected = an early stop request was seen."""

    localizes = False

    def _make(self) -> list[keras.callbacks.Callback]:
        raise NotImplementedError

    def callbacks(self) -> list[keras.callbacks.Callback]:
        return self._make()

    def verdict(self, stops: Sequence[StopEvent]) -> Verdict:
        stop = first_early(stops)
        return Verdict(
            detected=stop is not None,
            stop=stop,
            raw={"stop_requests": len(stops)},
        )


class TerminateOnNaNDetector(_KerasCallbackDetector):
    """``keras.callbacks.TerminateOnNaN()``: stops when a batch loss is NaN or Inf."""

    name = "terminate_on_nan"
    description = "Keras TerminateOnNaN(): stop when the batch loss is NaN/Inf"

    def _make(self) -> list[keras.callbacks.Callback]:
        return [keras.callbacks.TerminateOnNaN()]


class EarlyStoppingLossDetector(_KerasCallbackDetector):
    """``keras.callbacks.EarlyStopping(monitor='loss', patience=1)``."""

    name = "early_stopping_loss"
    description = "Keras EarlyStopping(monitor='loss', patience=1)"

    def _make(self) -> list[keras.callbacks.Callback]:
        return [keras.callbacks.EarlyStopping(monitor="loss", patience=1)]


class EarlyStoppingAccuracyDetector(_KerasCallbackDetector):
    """``keras.callbacks.EarlyStopping(monitor='accuracy', patience=1)``.

    ``mode='max'`` is explicit: Keras 2.2's ``mode='auto'`` chose ``max`` for any monitor whose
    name contains ``acc``, while Keras 3's ``auto`` raises when the program has no metric named
    ``accuracy``. When the program logs no ``accuracy`` (e.g. a regression), Keras warns and
    never stops, so the run is not detected, as in the paper's setting.
    """

    name = "early_stopping_accuracy"
    description = "Keras EarlyStopping(monitor='accuracy', patience=1)"

    def _make(self) -> list[keras.callbacks.Callback]:
        return [keras.callbacks.EarlyStopping(monitor="accuracy", patience=1, mode="max")]


class KerasUnionDetector(_KerasCallbackDetector):
    """The union of the three Keras callbacks: detected iff any of them stops early."""

    name = "keras_union"
    description = "Union of TerminateOnNaN, EarlyStopping(loss) and EarlyStopping(accuracy)"

    def _make(self) -> list[keras.callbacks.Callback]:
        return [
            *TerminateOnNaNDetector().callbacks(),
            *EarlyStoppingLossDetector().callbacks(),
            *EarlyStoppingAccuracyDetector().callbacks(),
        ]
