"""A third-party tool arrives through the ``deeplocalize.detectors`` entry-point group and runs
through the harness like a built-in one.

The fixture package ``tests/fixtures/plugin`` is "installed" without touching the shared venv:
a ``.dist-info`` folder holding the ``entry_points.txt`` that pip would write from its
``pyproject.toml`` goes into a temporary site folder, which (with the package's folder) is put
on ``sys.path`` and on ``PYTHONPATH`` for the worker subprocesses, for this test only.
"""

from __future__ import annotations

import importlib
import os
import sys
import tomllib
from pathlib import Path

import pytest

from baselines import registry
from baselines.base import Detector
from harness import records
from harness.executors.local import LocalExecutor
from harness.runner import run_many
from harness.spec import RunSpec

PLUGIN_ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "plugin"
PYPROJECT = tomllib.loads((PLUGIN_ROOT / "pyproject.toml").read_text())
GROUP = registry.ENTRY_POINT_GROUP
ENTRY_POINTS = PYPROJECT["project"]["entry-points"][GROUP]
TOOL = "example_nonfinite_loss"


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Simulate ``pip install tests/fixtures/plugin`` in a throw-away site folder."""
    project = PYPROJECT["project"]
    site = tmp_path / "site"
    dist = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    lines = [f"[{GROUP}]", *(f"{name} = {target}" for name, target in ENTRY_POINTS.items())]
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n")
    paths = [str(site), str(PLUGIN_ROOT)]
    for path in reversed(paths):
        monkeypatch.syspath_prepend(path)
    inherited = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths + ([inherited] if inherited else [])))
    importlib.invalidate_caches()
    yield site
    sys.modules.pop("deeplocalize_example_plugin", None)


def test_plugin_absent_without_install() -> None:
    """Nothing in the shared environment provides the example tool."""
    assert TOOL not in registry.available()


def test_entry_point_registers_the_tool(installed_plugin: Path) -> None:
    """The entry point's name maps to its Detector subclass, which declares that name."""
    assert registry.available()[TOOL] == ENTRY_POINTS[TOOL]
    cls = registry.get_class(TOOL)
    assert issubclass(cls, Detector) and cls.name == TOOL


def test_plugin_runs_through_the_harness(installed_plugin: Path, fixture_bench: Path,
                                         tmp_path: Path) -> None:
    """A worker subprocess loads the plugin, which detects the fixture's NaN loss."""
    spec = RunSpec(run_id="plugin", case_id="gh-fixture-nan", variant="buggy", tools=(TOOL,),
                   seed=0, semantics="keras3", timeout_s=180.0, memory_mb=4096,
                   bench_root=str(fixture_bench))
    run_many([spec], tmp_path / "run", LocalExecutor(), jobs=1)
    record = records.latest(tmp_path / "run")[f"gh-fixture-nan/buggy/{TOOL}/0"]
    assert record["status"] == "completed", record.get("error")
    verdict = record["verdict"]
    assert verdict["detected"] and verdict["findings"][0]["code"] == "nonfinite_loss"
    assert verdict["stop"]["early"]
