"""Profile parameters for benchmark programs.

A program reads each setting a profile may change through :func:`param`, with the asker's
original value as the default::

    from harness.params import param
    EPOCHS = param("epochs", 30)

Run on its own, the program uses its defaults (the *full* profile). The worker sets
``DEEPLOCALIZE_PARAMS`` to the JSON overrides of the chosen profile (``[profiles.quick]`` in the
case metadata); ``deeplocalize cases check`` verifies statically that every override names a
``param`` the program really reads.
"""

from __future__ import annotations

import json
import os
from typing import Any, TypeVar

ENV_VAR = "DEEPLOCALIZE_PARAMS"
T = TypeVar("T")

#: Names read so far with the value used (the worker stores this in the run record).
USED: dict[str, Any] = {}


def _overrides() -> dict[str, Any]:
    raw = os.environ.get(ENV_VAR, "")
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{ENV_VAR} is not valid JSON: {exc}: {raw!r}") from exc
    if not isinstance(value, dict):
        raise ValueError(f"{ENV_VAR} must be a JSON object, got {raw!r}")
    return value


def param(name: str, default: T) -> T:
    """The profile's value for ``name``, else ``default``; the override keeps the default's type."""
    overrides = _overrides()
    value = overrides.get(name, default)
    if name in overrides and default is not None and not isinstance(value, type(default)):
        try:
            value = type(default)(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"param {name!r}: override {value!r} cannot become {type(default).__name__}"
            ) from exc
    USED[name] = value
    return value
