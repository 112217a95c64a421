"""Shared fixtures. Markers (slow, docker, ray) are declared in pyproject.toml."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURE_BENCH = Path(__file__).resolve().parent / "fixtures" / "bench"


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def fixture_bench() -> Path:
    """A benchmark root with tiny fixture cases (NaN, plateau, crash, hang, memory, error)."""
    return FIXTURE_BENCH
