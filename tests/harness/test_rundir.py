"""The run directory: its lock, atomic run.json, one folder per attempt (issue #15)."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from harness import records
from harness.executors import ExecResult, Executor, UnitLost
from harness.runner import RunConfig, run_unit, write_run_json
from harness.spec import RunSpec

REPO = Path(__file__).resolve().parents[2]


class FakeExecutor(Executor):
    """Loses the first attempt (like a dead Ray node), then 'runs' the unit at once."""

    name = "fake"
    max_retries = 1

    def __init__(self) -> None:
        self.calls = 0

    def run(self, spec: RunSpec, unit_dir: Path) -> ExecResult:
        self.calls += 1
        (unit_dir / "stdout.log").write_text(f"call {self.calls}\n")
        if self.calls == 1:
            raise UnitLost("node died")
        (unit_dir / "result.json").write_text(json.dumps({"status": "completed", "verdicts": {}}))
        return ExecResult(exit_code=0, killed_for=None, wall_s=0.1)


def _spec(**kw) -> RunSpec:
    return RunSpec(**{"run_id": "t", "case_id": "gh-fixture-nan", "variant": "buggy",
                      "tools": ("none",), "seed": 0, **kw})


def test_every_attempt_keeps_its_own_folder(tmp_path: Path) -> None:
    """A retry never deletes the previous attempt's logs; each record names its own folder."""
    run_unit(_spec(), tmp_path, FakeExecutor(), attempt=1)
    lost, done = records.read_all(tmp_path)
    assert (lost["attempt"], lost["status"], done["attempt"], done["status"]) == (
        1, "crashed", 2, "completed")
    assert lost["log_dir"] != done["log_dir"]
    assert (tmp_path / lost["log_dir"] / "stdout.log").read_text() == "call 1\n"
    assert (tmp_path / lost["log_dir"] / "executor-error.log").exists()
    assert (tmp_path / done["log_dir"] / "stdout.log").read_text() == "call 2\n"
    assert stat.S_IMODE((tmp_path / done["log_dir"]).stat().st_mode) == 0o700


def test_unrecorded_attempt_folder_is_kept(tmp_path: Path) -> None:
    """A folder left by a harness killed mid-attempt (no record) is kept; the next one is new."""
    spec = _spec()
    stale = tmp_path / spec.log_dir / "attempt-1"
    stale.mkdir(parents=True)
    (stale / "stderr.log").write_text("what the killed attempt said\n")
    run_unit(spec, tmp_path, FakeExecutor(), attempt=1)
    assert (stale / "stderr.log").read_text() == "what the killed attempt said\n"
    assert [r["log_dir"] for r in records.read_all(tmp_path)] == [
        (spec.log_dir / "attempt-2").as_posix(), (spec.log_dir / "attempt-3").as_posix()]


def _config(run_id: str = "t") -> RunConfig:
    return RunConfig(run_id=run_id, case_ids=("gh-fixture-nan",), variants=("buggy",),
                     tools=("none",), seeds=(0,), profile="quick", semantics=None, shared=False,
                     timeout_s=60.0, memory_mb=1024, jobs=1, executor="fake")


def test_run_json_is_replaced_atomically(tmp_path: Path) -> None:
    """run.json is replaced by a rename (new inode), never rewritten in place; no temp left."""
    write_run_json(tmp_path, _config(), FakeExecutor())
    first = (tmp_path / "run.json").stat().st_ino
    write_run_json(tmp_path, _config(), FakeExecutor())
    info = json.loads((tmp_path / "run.json").read_text())
    assert (tmp_path / "run.json").stat().st_ino != first
    assert len(info["sessions"]) == 2 and info["code_revision"]
    assert [i["config"]["seeds"] for i in info["invocations"]] == [[0], [0]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]


def test_run_json_keeps_every_sessions_arguments(tmp_path: Path) -> None:
    """A run resumed with other arguments keeps what each session asked for; ``config`` is the
    last session's."""
    write_run_json(tmp_path, _config(), FakeExecutor())
    write_run_json(tmp_path, dataclasses.replace(_config(), seeds=(0, 1, 2)), FakeExecutor())
    info = json.loads((tmp_path / "run.json").read_text())
    assert [i["config"]["seeds"] for i in info["invocations"]] == [[0], [0, 1, 2]]
    assert info["config"]["seeds"] == [0, 1, 2] and len(info["sessions"]) == 2


def test_failed_run_json_write_keeps_the_old_file(tmp_path: Path, monkeypatch) -> None:
    """A write that fails half-way (disk full at fsync) leaves the previous run.json whole."""
    write_run_json(tmp_path, _config(), FakeExecutor())
    before = (tmp_path / "run.json").read_text()

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        write_run_json(tmp_path, _config(), FakeExecutor())
    assert (tmp_path / "run.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]


def test_second_harness_on_the_same_run_fails_at_once(tmp_path: Path) -> None:
    """While one process holds a run, another fails at once, naming the holder's pid."""
    from harness.rundir import RunLocked, hold

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from harness.rundir import hold\nwith hold(Path(sys.argv[1])):\n"
         "    print('held', flush=True); time.sleep(60)", str(tmp_path)],
        cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunLocked, match=rf"another harness \(pid {holder.pid},"):
            with hold(tmp_path):
                pass
        assert records.read_all(tmp_path) == []  # readers need no lock
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    with hold(tmp_path), hold(tmp_path):  # free again once the holder died; re-entrant
        pass
