"""Fixtures for the scoring and report tests: a two-case bench and a hand-written run."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.cases import Case, load_case

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "reports"
CASE = "so-10000001"  # separating; faulty layer 1; categories missing_activation, wrong_loss
NONSEP = "gh-report-nonsep"  # separates = false; the paper did not run deeplocalize on it


@pytest.fixture
def report_bench() -> Path:
    return FIXTURES / "bench"


@pytest.fixture
def cases(report_bench: Path) -> dict[str, Case]:
    return {c: load_case(report_bench, c) for c in (CASE, NONSEP)}


@pytest.fixture
def fixture_run(tmp_path: Path) -> Path:
    """A writable copy of ``tests/fixtures/reports/run`` (run id ``fixture``)."""
    run_dir = tmp_path / "runs" / "fixture"
    shutil.copytree(FIXTURES / "run", run_dir)
    return run_dir


@pytest.fixture(scope="session")
def rendered_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture run's report folder, every format, rendered once per session (read only)."""
    from harness.reporting import load_run
    from reports.render import write_report

    run_dir = tmp_path_factory.mktemp("runs") / "fixture"
    shutil.copytree(FIXTURES / "run", run_dir)
    write_report(load_run(run_dir, FIXTURES / "bench"))
    return run_dir / "report"


def _record(case: str = CASE, variant: str = "buggy", tool: str = "t", seed: int = 0, *,
            status: str = "completed", detected: bool = False, stop: dict | None = None,
            finding: dict | None = None, category: str | None = None,
            train_s: float | None = 10.0, stopped_early: bool = False, epochs_run: int = 3,
            loss: float | None = 0.5) -> dict[str, Any]:
    """One hand-written record in the shape ``harness.outcome.make_records`` writes."""
    metrics: dict[str, Any] = {"loss": loss}
    if loss is None:
        metrics.update(loss_nonfinite=True, loss_raw="nan")
    verdict = {"detected": detected, "stop": stop, "findings": [finding] if finding else [],
               "category": category, "raw": {}}
    return {
        "schema_version": 1, "key": f"{case}/{variant}/{tool}/{seed}", "case_id": case,
        "variant": variant, "tool": tool, "seed": seed, "status": status,
        "verdict": verdict if status == "completed" and tool != "none" else None,
        "error": None if status == "completed" else {"type": status, "message": "boom"},
        "training": {"train_s": train_s, "stopped_early": stopped_early,
                     "epochs_run": epochs_run, "metrics": metrics},
        "log_dir": f"units/{case}/{variant}/{tool}/seed-{seed}", "semantics": "keras2",
    }


@pytest.fixture
def rec() -> Callable[..., dict[str, Any]]:
    """Factory for hand-written records: ``rec(case, variant, tool, seed, detected=...)``."""
    return _record
