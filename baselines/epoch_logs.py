"""Values of Keras' epoch logs as the re-implemented tools read them, and which accuracy counts.

The tools (AUTOTRAINER, DeepDiagnosis, UMLAUT) read the loss and the (validation) accuracy from
the ``logs`` of ``on_epoch_end``. An accuracy counts only when it is a *classification*
accuracy, the rule DeepLocalize's probe applies to its batch accuracy (``localizer.probe``,
"Batch accuracy"; ``docs/localizer.md``, EAF): Keras gives a regression compiled with
``metrics=["accuracy"]`` a ``BinaryAccuracy`` that is 0 in every batch on continuous targets,
which says nothing about the model, and reading it raised false alarms on healthy regression
programs. The decision is made once, by :class:`baselines.recorder.Recorder`, with the probe's
own target test on every training batch of the ``fit`` call
(:attr:`~baselines.recorder.RecorderState.accuracy_is_classification`); a tool reads the
accuracy through :func:`logged_accuracy` and so treats such a program as one that logs no
accuracy, its validation accuracy included.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from baselines.recorder import RecorderState


def accuracy_key(logs: Mapping[str, Any], *, validation: bool = False) -> str | None:
    """The key of the (validation) accuracy in epoch logs: ``accuracy``, ``acc``,
    ``categorical_accuracy``, ... ``None`` when the program logs no accuracy."""
    prefix = "val_" if validation else ""
    for key in logs:
        bare = key[len(prefix):] if key.startswith(prefix) else None
        if bare is None or (not validation and key.startswith("val_")):
            continue
        if bare == "acc" or bare.endswith("accuracy"):
            return key
    return None


def as_float(value: Any) -> float | None:
    """``float(value)``, or ``None`` when it is missing."""
    if value is None:
        return None
    return float(np.asarray(value))


def reads_accuracy(state: RecorderState) -> bool:
    """Whether the ``fit`` call's logged accuracy may be read: it is a classification accuracy,
    or that is not known (no training batch reached the recorder, e.g. a custom
    ``train_step``; or an accuracy the probe does not read, e.g. a custom ``acc`` function)."""
    return state.accuracy_is_classification is not False


def logged_accuracy(
    logs: Mapping[str, Any], state: RecorderState, *, validation: bool = False
) -> float | None:
    """The epoch's (validation) accuracy as a tool may read it.

    Args:
        logs: ``on_epoch_end``'s logs.
        state: The recorder's state of the same ``fit`` call.
        validation: Read the validation accuracy (``val_...``).

    Returns:
        The accuracy, or ``None`` when the program logs none or it is not a classification
        accuracy (see :func:`reads_accuracy`).
    """
    key = accuracy_key(logs, validation=validation)
    if key is None or not reads_accuracy(state):
        return None
    return as_float(logs.get(key))
