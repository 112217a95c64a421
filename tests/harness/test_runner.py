"""Local executor statuses, isolation and resume, with real worker subprocesses (issue #2)."""

from __future__ import annotations

import json
from pathlib import Path

import psutil
import pytest

from harness import records
from harness.executors.local import LocalExecutor
from harness.runner import run_many
from harness.spec import RunSpec


def _spec(bench: Path, case_id: str, tool: str = "terminate_on_nan", **kw) -> RunSpec:
    defaults = dict(run_id="t", case_id=case_id, variant="buggy", tools=(tool,), seed=0,
                    semantics="keras3", timeout_s=120.0, memory_mb=4096, bench_root=str(bench))
    defaults.update(kw)
    return RunSpec(**defaults)


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory, fixture_bench: Path):
    """One run with a crashing, a hanging, a memory-hungry, a raising and a good unit."""
    run_dir = tmp_path_factory.mktemp("run")
    specs = [
        _spec(fixture_bench, "gh-fixture-crash"),
        _spec(fixture_bench, "gh-fixture-hang", timeout_s=20.0),
        _spec(fixture_bench, "gh-fixture-memory", memory_mb=1500),
        _spec(fixture_bench, "gh-fixture-error"),
        _spec(fixture_bench, "gh-fixture-nan"),
    ]
    run_many(specs, run_dir, LocalExecutor(), jobs=2)
    return run_dir, specs


@pytest.fixture(scope="module")
def fixture_bench() -> Path:
    return Path(__file__).resolve().parent.parent / "fixtures" / "bench"


def _status(run_dir: Path, case_id: str) -> dict:
    return records.latest(run_dir)[f"{case_id}/buggy/terminate_on_nan/0"]


@pytest.mark.parametrize(
    ("case_id", "status"),
    [
        ("gh-fixture-crash", "crashed"),
        ("gh-fixture-hang", "timeout"),
        ("gh-fixture-memory", "oom"),
        ("gh-fixture-error", "error"),
        ("gh-fixture-nan", "completed"),
    ],
)
def test_unit_status(failing_run, case_id: str, status: str) -> None:
    """Each failure mode gets its own status, and the run goes on to the next unit."""
    run_dir, _ = failing_run
    assert _status(run_dir, case_id)["status"] == status


def test_failed_units_keep_logs_and_reason(failing_run) -> None:
    """A failed unit's record carries the error and its log folder has the stderr."""
    run_dir, _ = failing_run
    error = _status(run_dir, "gh-fixture-error")
    assert error["error"]["type"] == "ValueError"
    assert "fixture program failed on purpose" in error["error"]["message"]
    assert (run_dir / error["log_dir"] / "stderr.log").read_text().count("ValueError") >= 1
    crash = _status(run_dir, "gh-fixture-crash")
    assert crash["exit_code"] == -9 and "no result" in crash["error"]["message"]
    oom = _status(run_dir, "gh-fixture-memory")
    assert oom["timing"]["peak_rss_mb"] > 1500


def test_hanging_unit_leaves_no_process(failing_run) -> None:
    """The timeout kills the whole process group, forked children included."""
    leftovers = [p for p in psutil.process_iter(["cmdline"])
                 if "gh-fixture-hang" in " ".join(p.info["cmdline"] or [])]
    assert leftovers == []


def test_completed_unit_has_verdict_history_and_environment(failing_run) -> None:
    """A completed unit records the tool's verdict, the training summary and versions."""
    run_dir, _ = failing_run
    record = _status(run_dir, "gh-fixture-nan")
    assert record["verdict"]["detected"] is True
    assert record["verdict"]["stop"]["early"] is True
    assert record["training"]["any_nonfinite_loss"] is True
    assert record["env"]["packages"]["tensorflow"].startswith("2.")
    history = json.loads((run_dir / record["log_dir"] / "history.json").read_text())
    assert history[0]["epochs_configured"] == 3  # the quick profile's override


def test_resume_skips_completed_and_retries_failed(failing_run) -> None:
    """Rerunning the same run id skips completed units and retries the others once more."""
    run_dir, specs = failing_run
    before = records.read_all(run_dir)
    retry = [s for s in specs if s.case_id in ("gh-fixture-nan", "gh-fixture-error")]
    written = run_many(retry, run_dir, LocalExecutor(), jobs=1)
    assert [r["case_id"] for r in written] == ["gh-fixture-error"]
    assert written[0]["attempt"] == 2
    assert len(records.read_all(run_dir)) == len(before) + 1


def test_resume_reruns_units_whose_case_changed(failing_run) -> None:
    """A completed record made from other case content (digest) is stale and reruns."""
    from harness.runner import pending

    run_dir, specs = failing_run
    nan = next(s for s in specs if s.case_id == "gh-fixture-nan")
    assert pending([nan], run_dir)[0] == []
    changed = RunSpec.from_json({**nan.to_json(), "case_digest": "another-digest"})
    assert pending([changed], run_dir)[0] == [changed]
    other_semantics = RunSpec.from_json({**nan.to_json(), "semantics": "keras2"})
    assert pending([other_semantics], run_dir)[0] == [other_semantics]


def test_relative_run_dir_works(tmp_path, monkeypatch, fixture_bench: Path) -> None:
    """Regression: the CLI's default ./runs is relative, while workers run in their unit folder."""
    monkeypatch.chdir(tmp_path)
    run_many([_spec(fixture_bench, "gh-fixture-nan")], Path("runs") / "rel", LocalExecutor(),
             jobs=1)
    record = records.latest(tmp_path / "runs" / "rel")["gh-fixture-nan/buggy/terminate_on_nan/0"]
    assert record["status"] == "completed"
