"""The Ray executor on a real local Ray instance (issue #6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import records
from harness.executors.local import LocalExecutor
from harness.runner import run_many

from .conftest import spec

pytestmark = pytest.mark.ray
ray = pytest.importorskip("ray", reason="the ray extra is not installed")


@pytest.fixture(scope="module")
def ray_executor():
    from harness.executors.ray import RayExecutor

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    executor = RayExecutor(max_retries=2)
    executor.preflight()
    yield executor
    ray.shutdown()


def test_units_through_ray_match_local(ray_executor, tmp_path: Path) -> None:
    """Ray runs the same worker: same statuses and verdicts; files come back to the driver."""
    specs = [spec("gh-fixture-nan", run_id="ray"), spec("gh-fixture-plateau", run_id="ray")]
    run_many(specs, tmp_path / "ray", ray_executor, jobs=2)
    run_many(specs, tmp_path / "local", LocalExecutor(), jobs=2)
    via_ray, local = records.latest(tmp_path / "ray"), records.latest(tmp_path / "local")
    assert via_ray.keys() == local.keys()
    for key, record in via_ray.items():
        assert record["status"] == local[key]["status"] == "completed"
        assert record["verdict"]["detected"] == local[key]["verdict"]["detected"]
        for field in ("fit_index", "epoch", "batch", "iteration", "early"):
            assert record["verdict"]["stop"][field] == local[key]["verdict"]["stop"][field]
        assert record["executor"] == "ray" and "node" in record["executor_detail"]
        assert (tmp_path / "ray" / record["log_dir"] / "history.json").exists()


def test_lost_task_is_recorded_and_retried_a_bounded_number_of_times(ray_executor,
                                                                      tmp_path: Path) -> None:
    """A unit whose Ray worker dies is recorded per attempt and retried max_retries times."""
    specs = [spec("gh-fixture-raykill", run_id="ray-lost"), spec("gh-fixture-nan",
                                                                 run_id="ray-lost")]
    run_many(specs, tmp_path, ray_executor, jobs=1)
    lost = [r for r in records.read_all(tmp_path) if r["case_id"] == "gh-fixture-raykill"]
    assert [r["attempt"] for r in lost] == [1, 2, 3]
    assert {r["status"] for r in lost} == {"crashed"}
    assert {r["error"]["type"] for r in lost} == {"lost"}
    assert records.latest(tmp_path)["gh-fixture-nan/buggy/keras_union/0"]["status"] == "completed"


def test_interrupt_cancels_the_task_in_flight(ray_executor, tmp_path: Path) -> None:
    """SIGINT/SIGTERM in the harness: the unit in flight ends at once as interrupted, and its
    worker process (a descendant of the cancelled Ray worker) does not outlive it."""
    import threading
    import time

    import psutil

    from harness.executors.ray import UNIT_PREFIX, RayExecutor

    executor = RayExecutor(max_retries=0)  # its own: interrupt() stops it for good
    executor.preflight()  # the module's Ray instance
    s = spec("gh-fixture-hang", run_id="ray-int", timeout_s=300.0)
    result = {}
    thread = threading.Thread(target=lambda: result.update(r=executor.run(s, tmp_path)))
    thread.start()

    def workers() -> list[psutil.Process]:
        return [p for p in psutil.process_iter(["cmdline"])
                if "harness.worker" in " ".join(p.info["cmdline"] or [])
                and UNIT_PREFIX in " ".join(p.info["cmdline"] or [])]

    deadline = time.monotonic() + 90
    while not workers() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert workers(), "the unit's worker never started"
    cmdline = workers()[0].cmdline()
    folder = Path(cmdline[cmdline.index("--out") + 1])
    assert folder.name.startswith(UNIT_PREFIX) and folder.is_dir()
    start = time.monotonic()
    executor.interrupt()
    thread.join(timeout=60)
    assert result["r"].killed_for == "interrupted"
    assert time.monotonic() - start < 30
    deadline = time.monotonic() + 30
    while workers() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert workers() == []
    # The killed Ray worker could not remove its node-local unit folder: the driver did.
    assert not folder.exists()
