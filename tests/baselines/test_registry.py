"""The tool registry fails loudly and loads every registered tool (issue #2)."""

from __future__ import annotations

import pytest

from baselines import registry
from baselines.base import Detector


def test_unknown_tool_suggests_close_names() -> None:
    """A typo gets a 'did you mean' and the list of tools."""
    with pytest.raises(registry.UnknownToolError, match="Did you mean 'terminate_on_nan'"):
        registry.check_names(["terminate_on_nun"])


@pytest.mark.parametrize("name", sorted(registry.available()))
def test_every_registered_tool_loads(name: str) -> None:
    """Every name maps to a Detector subclass that declares that name."""
    cls = registry.get_class(name)
    assert issubclass(cls, Detector) and cls.name == name
    assert isinstance(registry.create(name).callbacks(), list)
