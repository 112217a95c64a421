"""Stopping a harness: Ctrl-C/SIGTERM, SIGKILL, and a second harness on the same run (issue #15).

Each test starts ``deeplocalize run`` in a subprocess on the hang fixture (the program forks a
child and both sleep for an hour), so only the harness' own machinery can end the unit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from harness import records

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "tests" / "fixtures" / "bench"


def _harness(runs_dir: Path, run_id: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "harness.cli", "--bench-root", str(BENCH), "run",
               "--executor", "local", "--cases", "gh-fixture-hang", "--variants", "buggy",
               "--tools", "terminate_on_nan", "--timeout", "300", "--run-id", run_id,
               "--runs-dir", str(runs_dir)]
    log = open(runs_dir / f"{run_id}.log", "wb")  # closed by the `start` fixture
    proc = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    proc.log = log  # type: ignore[attr-defined]
    return proc


def unit_processes(run_dir: Path) -> list[psutil.Process]:
    """Live processes of the run's units (the worker and what it forked share its cmdline)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if str(run_dir) in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


def _wait_for(predicate, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture
def start(tmp_path: Path) -> Iterator:
    """Start harnesses; afterwards kill whatever they (or their units) left, by pid."""
    started: list[tuple[subprocess.Popen, Path]] = []

    def _start(run_id: str) -> tuple[subprocess.Popen, Path]:
        proc = _harness(tmp_path, run_id)
        started.append((proc, tmp_path / run_id))
        return proc, tmp_path / run_id

    yield _start
    for proc, run_dir in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.log.close()
        for leftover in unit_processes(run_dir):
            leftover.kill()


def _output(runs_dir: Path, run_id: str) -> str:
    return (runs_dir / f"{run_id}.log").read_text(errors="replace")


def test_second_harness_on_the_same_run_fails_at_once(start, tmp_path: Path) -> None:
    """While a harness runs a run id, another on the same id fails at once naming its pid."""
    harness, run_dir = start("lock")
    _wait_for(lambda: unit_processes(run_dir), 60, "the unit's worker")
    second = subprocess.run(
        [sys.executable, "-m", "harness.cli", "--bench-root", str(BENCH), "run", "--cases",
         "gh-fixture-hang", "--variants", "buggy", "--tools", "terminate_on_nan",
         "--executor", "local", "--run-id", "lock", "--runs-dir", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=60)
    assert second.returncode == 2, second.stdout + second.stderr
    assert f"already being run by another harness (pid {harness.pid}" in second.stderr
    assert len(unit_processes(run_dir)) <= 2  # the first harness' worker (and its child) only


@pytest.mark.parametrize(("signum", "exit_code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_sigint_stops_units_in_flight_and_records_them(
    start, tmp_path: Path, signum: int, exit_code: int
) -> None:
    """Ctrl-C (or SIGTERM) kills the units in flight within seconds (not after --timeout),
    records them as 'interrupted' and exits 128 + signal, leaving a run that resumes."""
    harness, run_dir = start("int")
    _wait_for(lambda: unit_processes(run_dir), 60, "the unit's worker")
    sent = time.monotonic()
    harness.send_signal(signum)
    try:
        code = harness.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("the harness was still waiting for its unit 30 s after the signal")
    assert code == exit_code, _output(tmp_path, "int")
    assert time.monotonic() - sent < 15
    (record,) = records.read_all(run_dir)
    assert record["status"] == "interrupted" and record["error"]["type"] == "interrupted"
    assert (run_dir / record["log_dir"] / "stderr.log").exists()
    _wait_for(lambda: not unit_processes(run_dir), 5, "the unit's processes to go")
    assert "rerun --run-id int to resume" in _output(tmp_path, "int")


def test_sigkilled_harness_leaves_no_unit_running(start) -> None:
    """A harness killed with SIGKILL takes its units with it: the worker and its forked child
    die within seconds (the worker's own watchdog: parent-death signal, process group)."""
    harness, run_dir = start("kill")
    _wait_for(lambda: len(unit_processes(run_dir)) >= 2, 120,
              "the program's forked child (worker + child)")
    os.kill(harness.pid, signal.SIGKILL)
    harness.wait()
    _wait_for(lambda: not unit_processes(run_dir), 10, "the unit's processes to go")
