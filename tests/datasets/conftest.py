"""Fixtures for the dataset tests: an empty cache folder, the default mode, a fake data package.

Nothing here needs the network or the real data packages; tests pass whether or not
``bash scripts/data`` installed them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness import datasets


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test gets its own empty cache folder, ``auto`` mode and an empty ``USED``."""
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path / "cache"))
    monkeypatch.delenv(datasets.MODE_VAR, raising=False)
    monkeypatch.setattr(datasets, "USED", {})


@pytest.fixture
def fake_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Path]:
    """Install a package-like folder with a ``.dist-info`` on ``sys.path``; returns its folder.

    Its ``__init__.py`` raises, so a test fails if anything imports the package's code.
    """

    def install(files: dict[str, bytes], distribution: str = "fake-data",
                module: str = "fake_data", version: str = "1.0") -> Path:
        site = tmp_path / "site"
        folder = site / module
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text("raise RuntimeError('data package code imported')\n")
        for relative, content in files.items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_bytes(content)
        info = site / f"{module}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n")
        monkeypatch.syspath_prepend(str(site))
        return folder

    return install
