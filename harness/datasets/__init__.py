"""Offline datasets for the benchmark programs, one module per dataset.

Each module mirrors the shape of the Keras/sklearn API its original program used (e.g.
``harness.datasets.mnist.load_data()`` returns ``(x_train, y_train), (x_test, y_test)`` like
``keras.datasets.mnist.load_data()``). It returns the **original** data when its file is in the
local cache, otherwise a documented **stand-in** built offline (scikit-learn's bundled datasets
or a generator written here). Nothing is ever downloaded.

Cache: ``$DEEPLOCALIZE_DATA_DIR`` or ``~/.cache/deeplocalize/datasets``; each module documents
the file name and format it looks for. Which source ran is recorded in :data:`USED`, and the
worker copies that into every run record.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ENV_VAR = "DEEPLOCALIZE_DATA_DIR"

#: dataset name → {"source": "cache" | "stand_in", "detail": str, "path": str | None}
USED: dict[str, dict[str, Any]] = {}


def cache_dir() -> Path:
    """Where original datasets are looked for."""
    return Path(os.environ.get(ENV_VAR) or Path.home() / ".cache" / "deeplocalize" / "datasets")


def cached(filename: str) -> Path | None:
    """The cached file's path when it exists, else ``None``."""
    path = cache_dir() / filename
    return path if path.is_file() else None


def record(name: str, source: str, detail: str, path: Path | None = None) -> None:
    """Note which source a program's dataset came from (called by every loader)."""
    if source not in ("cache", "stand_in"):
        raise ValueError(f"source must be 'cache' or 'stand_in', got {source!r}")
    USED[name] = {"source": source, "detail": detail, "path": str(path) if path else None}
