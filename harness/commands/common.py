"""Small helpers shared by the command modules."""

from __future__ import annotations

from datetime import UTC, datetime


def csv_list(value: str) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]`` (argparse ``type=``)."""
    return [v.strip() for v in value.split(",") if v.strip()]


def new_run_id(prefix: str = "") -> str:
    """A run id from the UTC clock, e.g. ``verify-20261203-101500``."""
    return prefix + datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
