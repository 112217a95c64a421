"""The HTML report loads in a real headless browser (Debian's chromium) with its key cells
(issue "Scoring and comparison reports"). Skipped when no chromium binary is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

BROWSER = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(n)), None)
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="no chromium binary on PATH (Debian: apt-get install -y chromium)")


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr",
             "--window-size=1400,3000"]
    return subprocess.run([BROWSER, *flags, *args], capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture
def report(rendered_report: Path) -> Path:
    return rendered_report


def test_index_loads_in_chromium_with_key_cells(report: Path, tmp_path: Path) -> None:
    """The browser's DOM of index.html has the tables, the matrix cells and the figures."""
    result = _chromium(tmp_path, "--dump-dom", (report / "index.html").as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert "✗ 0/2 · FA 0/2 · paper ✓ (differs)" in dom
    assert "34/40" in dom and "21/40" in dom
    assert dom.count("<svg") >= 3
    assert "Failed to load resource" not in result.stderr
    assert "Uncaught" not in result.stderr


def test_case_page_loads_in_chromium(report: Path, tmp_path: Path) -> None:
    """A case page loads from disk, with its curves and its link back to the run."""
    result = _chromium(tmp_path, "--dump-dom", (report / "cases" / "so-10000001.html").as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'href="../index.html"' in result.stdout and "<svg" in result.stdout
    assert "Failed to load resource" not in result.stderr


def test_screenshot_is_not_blank(report: Path, tmp_path: Path) -> None:
    """Chromium paints the page: the screenshot has more than one colour."""
    from PIL import Image

    shot = tmp_path / "index.png"
    result = _chromium(tmp_path, f"--screenshot={shot}", (report / "index.html").as_uri())
    assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
    with Image.open(shot) as image:
        assert len(image.convert("L").getcolors(maxcolors=65536) or range(65537)) > 10
