"""DeepLocalize (Wardat, Le, Rajan, ICSE 2021) for Keras 3: fault localization while training.

>>> from localizer import DeepLocalize
>>> model.fit(x, y, callbacks=[DeepLocalize()])  # doctest: +SKIP

A standalone library: it imports nothing from ``baselines``, ``harness`` or ``reports``
(``docs/architecture.md``). The callback and its errors are loaded on first use, so
``import localizer.findings`` (what :mod:`baselines.base` re-exports) needs no TensorFlow.
"""

from __future__ import annotations

from typing import Any

from localizer.findings import Finding

__all__ = ["CODES", "DeepLocalize", "FaultDetected", "Finding", "UnsupportedModelError"]


def __getattr__(name: str) -> Any:
    if name in ("CODES", "DeepLocalize", "FaultDetected"):
        from localizer import deeplocalize

        return getattr(deeplocalize, name)
    if name == "UnsupportedModelError":
        from localizer.model_facts import UnsupportedModelError

        return UnsupportedModelError
    raise AttributeError(f"module 'localizer' has no attribute {name!r}")
