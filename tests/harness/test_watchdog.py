"""The worker enforces its deadline and memory cap itself (issue #15), and the records say so."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from harness.executors import ExecResult
from harness.outcome import make_records
from harness.spec import RunSpec

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "tests" / "fixtures" / "bench"
MARKER = "watchdog.json"


def _spec(case_id: str, **kw) -> RunSpec:
    return RunSpec(**{"run_id": "wd", "case_id": case_id, "variant": "buggy",
                      "tools": ("none",), "seed": 0, "semantics": "keras3",
                      "bench_root": str(BENCH), **kw})


def _run_worker_alone(spec: RunSpec, out: Path, wait_s: float) -> subprocess.CompletedProcess:
    """Run the worker with no executor watching it, in a session of its own."""
    out.mkdir()
    spec.write(out / "spec.json")
    with open(out / "stderr.log", "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "harness.worker", "--spec", str(out / "spec.json"),
             "--out", str(out)],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        try:
            code = proc.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group this test started
            proc.wait()
            pytest.fail(f"the worker was still running after {wait_s:.0f} s")
    return subprocess.CompletedProcess(proc.args, code)


def test_worker_enforces_its_own_deadline(tmp_path: Path) -> None:
    """With nobody watching, a hanging unit dies at its deadline (+ grace), marked 'timeout'."""
    done = _run_worker_alone(_spec("gh-fixture-hang", timeout_s=1.0), tmp_path / "u", 40)
    assert done.returncode == -9
    marker = json.loads((tmp_path / "u" / MARKER).read_text())
    assert marker["killed_for"] == "timeout" and marker["timeout_s"] == 1.0
    assert "worker watchdog: killing the unit: timeout" in (
        tmp_path / "u" / "stderr.log").read_text()


def test_worker_enforces_its_own_memory_cap(tmp_path: Path) -> None:
    """With nobody watching, a memory-hungry unit dies above its cap, marked 'oom'."""
    done = _run_worker_alone(_spec("gh-fixture-memory", memory_mb=600), tmp_path / "u", 90)
    assert done.returncode == -9
    assert json.loads((tmp_path / "u" / MARKER).read_text())["killed_for"] == "oom"


@pytest.mark.parametrize(("killed_for", "status"),
                         [("timeout", "timeout"), ("oom", "oom"), ("harness_gone", "crashed")])
def test_records_read_the_watchdog_marker(tmp_path: Path, killed_for: str, status: str) -> None:
    """A worker its own watchdog killed (no result) is recorded with the watchdog's reason."""
    (tmp_path / MARKER).write_text(json.dumps({"killed_for": killed_for, "reason": "why"}))
    (record,) = make_records(_spec("gh-fixture-hang"), ExecResult(-9, None, 3.0), tmp_path,
                             tmp_path.parent, "local", 1)
    assert record["status"] == status and record["error"]["type"] == killed_for
    assert "killed by the worker's own watchdog" in record["error"]["message"]
