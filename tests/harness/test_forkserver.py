"""The local executor's fork server (issue #16): a zygote that dies, one that cannot start."""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest

from harness import records
from harness.executors.forkserver import ForkServerError
from harness.executors.local import LocalExecutor
from harness.runner import run_many
from harness.spec import RunSpec

BENCH = Path(__file__).resolve().parent.parent / "fixtures" / "bench"


def _spec(case_id: str, **kw) -> RunSpec:
    defaults = dict(run_id="t", case_id=case_id, variant="buggy", tools=("terminate_on_nan",),
                    seed=0, semantics="keras3", timeout_s=120.0, memory_mb=4096,
                    bench_root=str(BENCH))
    return RunSpec(**{**defaults, **kw})


def _record(run_dir: Path, spec: RunSpec) -> dict:
    return records.latest(run_dir)[spec.record_key("terminate_on_nan")]


def _cmdline(process: psutil.Process) -> str:
    """The process' command line; "" for one that is gone or a zombie (a child of the zygote
    that just ended, e.g. an earlier unit's worker, is a zombie until the zygote reaps it)."""
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def test_a_unit_whose_zygote_dies_ends_and_the_next_gets_a_new_zygote(tmp_path: Path) -> None:
    """Killing the zygote ends the unit it forked (its watchdog sees its parent go) long before
    the unit's deadline; the executor then starts a new zygote for the next unit."""
    executor = LocalExecutor(start_method="forkserver")
    hang = _spec("gh-fixture-hang", timeout_s=90.0)
    started = time.monotonic()

    def kill_zygote() -> None:
        while not executor._servers:
            time.sleep(0.1)
        server = executor._servers[0]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until the hang unit's worker runs
            if any("gh-fixture-hang" in _cmdline(p)
                   for p in psutil.Process(server._proc.pid).children()):
                break
            time.sleep(0.2)
        server._proc.kill()

    import threading

    killer = threading.Thread(target=kill_zygote)
    killer.start()
    run_many([hang], tmp_path, executor, jobs=1)
    killer.join()
    record = _record(tmp_path, hang)
    assert record["status"] == "crashed", record
    assert time.monotonic() - started < 60
    nan = _spec("gh-fixture-nan")
    run_many([nan], tmp_path, executor, jobs=1)
    assert _record(tmp_path, nan)["status"] == "completed"
    assert executor.start_method == "forkserver"


def test_a_zygote_that_cannot_start_falls_back_to_spawning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """When the fork server fails the executor says so once and spawns a new interpreter."""

    class Broken:
        def __init__(self, *args, **kwargs) -> None:
            self.alive = True

        def spawn(self, *args, **kwargs):
            raise ForkServerError("the zygote could not start a worker: it died; its log:\n"
                                  "ImportError: no tensorflow")

        def close(self) -> None:
            pass

    monkeypatch.setattr("harness.executors.local.ForkServer", Broken)
    executor = LocalExecutor(start_method="forkserver")
    nan = _spec("gh-fixture-nan")
    run_many([nan], tmp_path, executor, jobs=1)
    assert _record(tmp_path, nan)["status"] == "completed"
    assert executor.start_method == "spawn"
    err = capsys.readouterr().err
    assert "fork server failed" in err and "no tensorflow" in err


def test_start_method_is_checked() -> None:
    with pytest.raises(ValueError, match="start_method must be one of"):
        LocalExecutor(start_method="fork")
