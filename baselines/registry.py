"""Name → Detector class registry: lazy, loud, and open to third-party plugins.

Built-in tools come from :data:`baselines.BUILTIN_DETECTORS` (``name -> "module:Class"``);
third-party tools from the ``deeplocalize.detectors`` entry-point group. Nothing is imported
until a name is asked for, a duplicate name is an error, and an unknown name raises with the
closest matches and the full list.
"""

from __future__ import annotations

import difflib
import importlib
from importlib.metadata import entry_points

from baselines.base import Detector

ENTRY_POINT_GROUP = "deeplocalize.detectors"


class UnknownToolError(KeyError):
    """Raised for a tool name that no registry entry provides."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the plain sentence.
        return str(self.args[0])


class ToolLoadError(RuntimeError):
    """Raised when a registered tool cannot be imported or is not a Detector."""


def available() -> dict[str, str]:
    """All registered tool names mapped to their ``module:Class`` target, sorted by name."""
    from baselines import BUILTIN_DETECTORS

    table = dict(BUILTIN_DETECTORS)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in table and table[ep.name] != ep.value:
            raise ToolLoadError(
                f"tool name {ep.name!r} from entry point {ep.value!r} "
                f"is already registered by {table[ep.name]!r}"
            )
        table[ep.name] = ep.value
    return dict(sorted(table.items()))


def check_names(names: list[str]) -> None:
    """Raise :class:`UnknownToolError` if any name is not registered."""
    table = available()
    for name in names:
        if name not in table:
            close = difflib.get_close_matches(name, table, n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise UnknownToolError(
                f"unknown tool {name!r}.{hint} Available: {', '.join(table)}"
            )


def get_class(name: str) -> type[Detector]:
    """Import and return the Detector class registered under ``name``."""
    check_names([name])
    target = available()[name]
    module_name, _, attr = target.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ToolLoadError(f"tool {name!r}: cannot load {target!r}: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Detector)):
        raise ToolLoadError(f"tool {name!r}: {target!r} is not a baselines.base.Detector subclass")
    if getattr(cls, "name", None) != name:
        raise ToolLoadError(
            f"tool {name!r}: class {target!r} declares name {getattr(cls, 'name', None)!r}"
        )
    return cls


def create(name: str) -> Detector:
    """A fresh detector instance for one training run."""
    return get_class(name)()
