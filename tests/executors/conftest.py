"""Fixtures for executor tests that need a Docker engine or Ray."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURE_BENCH = Path(__file__).resolve().parent.parent / "fixtures" / "bench"


@pytest.fixture(scope="session")
def docker_image() -> str:
    """The offline runner image, built once per session; skips when no engine is reachable."""
    from harness import images

    try:
        images.client(timeout=10)
    except images.ImageError as exc:
        pytest.skip(f"no Docker engine: {exc}")
    return images.build()["tag"]


def spec(case_id: str, run_id: str = "t", tool: str = "keras_union", bench: Path = FIXTURE_BENCH,
         **kw):
    from harness.spec import RunSpec

    defaults = dict(run_id=run_id, case_id=case_id, variant="buggy", tools=(tool,), seed=0,
                    semantics="keras3", timeout_s=180.0, memory_mb=3072, bench_root=str(bench))
    defaults.update(kw)
    return RunSpec(**defaults)
