"""Local executor statuses, isolation and resume, with real worker subprocesses (issue #2)."""

from __future__ import annotations

import json
import re
import stat
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


@pytest.fixture(scope="module", autouse=True)
def pinned_code_revision():
    """Resume compares records with this checkout's code revision: pin it, so that edits made
    elsewhere in the tree while these tests run do not count as code changes."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("harness.runner.code_revision", lambda: "test-revision", raising=False)
        yield


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
    # Killed for exceeding its 1500 MiB cap; the record rounds to 0.1 MiB, so a peak of
    # 1500.04 MiB reads 1500.0 (CI saw exactly that once).
    assert oom["timing"]["peak_rss_mb"] >= 1500


def test_hanging_unit_leaves_no_process(failing_run) -> None:
    """The timeout kills the whole process group, forked children included.

    Only this run's processes count (the unit folder is in the worker's command line): another
    test session on the same machine may have its own hanging fixture alive at this moment."""
    run_dir, _ = failing_run
    leftovers = [p for p in psutil.process_iter(["cmdline"])
                 if "gh-fixture-hang" in (line := " ".join(p.info["cmdline"] or []))
                 and str(run_dir) in line]
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


def test_completed_unit_records_where_its_time_went(failing_run, capsys) -> None:
    """The worker splits a unit's time into phases; benchmarks/unit_time.py sums a run's."""
    import importlib.util

    run_dir, _ = failing_run
    timing = _status(run_dir, "gh-fixture-nan")["timing"]
    phases = timing["phases"]
    assert set(phases) >= {"process_s", "setup_s", "imports_s", "program_s", "train_s",
                           "first_epoch_s", "results_s"}
    assert 0 < phases["first_epoch_s"] <= phases["train_s"] <= phases["program_s"]
    assert phases["imports_s"] > 0 and phases["process_s"] > 0
    assert sum(v for k, v in phases.items()
               if k not in ("process_s", "train_s", "first_epoch_s")) <= timing["worker_s"] + 0.01
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "unit_time.py"
    spec = importlib.util.spec_from_file_location("unit_time", path)
    unit_time = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(unit_time)
    assert unit_time.main([str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "1 completed units" in out and "first_epoch_s" in out


def test_resume_skips_completed_and_retries_failed(failing_run) -> None:
    """Rerunning the same run id skips completed units and retries the others once more."""
    run_dir, specs = failing_run
    before = records.read_all(run_dir)
    retry = [s for s in specs if s.case_id in ("gh-fixture-nan", "gh-fixture-error")]
    written = run_many(retry, run_dir, LocalExecutor(), jobs=1)
    assert [r["case_id"] for r in written] == ["gh-fixture-error"]
    assert written[0]["attempt"] == 2
    assert len(records.read_all(run_dir)) == len(before) + 1
    # The retry kept the first attempt's logs, and each record names its own attempt's folder.
    first = next(r for r in before if r["case_id"] == "gh-fixture-error")
    assert first["log_dir"] != written[0]["log_dir"]
    for record in (first, written[0]):
        assert "fixture program failed on purpose" in (
            run_dir / record["log_dir"] / "stderr.log").read_text()


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


def test_resume_reruns_units_made_by_other_code(failing_run, tmp_path: Path) -> None:
    """A completed record is current only if made by this harness/tool code and tool version;
    a record from before code revisions were recorded (schema 2) is not."""
    from harness.runner import pending

    run_dir, specs = failing_run
    nan = next(s for s in specs if s.case_id == "gh-fixture-nan")
    record = records.latest(run_dir)[nan.record_key("terminate_on_nan")]

    def pending_after(drop: tuple[str, ...] = (), **changes) -> list[RunSpec]:
        folder = tmp_path / f"run-{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        changed = {k: v for k, v in {**record, **changes}.items() if k not in drop}
        records.append(folder, [changed])
        return pending([nan], folder)[0]

    assert pending_after() == []
    assert pending_after(tool_version="0") == [nan]
    assert pending_after(code_revision="0000000000000000") == [nan]
    assert pending_after(schema_version=2, drop=("code_revision",)) == [nan]


def test_unit_runs_with_its_own_home_and_a_private_folder(failing_run) -> None:
    """Keras writes its config under the unit's own HOME, not the user's; the attempt folder
    is mode 0700 and holds the unit's TMPDIR."""
    run_dir, _ = failing_run
    unit = run_dir / _status(run_dir, "gh-fixture-nan")["log_dir"]
    _assert_homes_inside(unit)
    assert stat.S_IMODE(unit.stat().st_mode) == 0o700


def _assert_homes_inside(unit: Path) -> None:
    """The fixture printed where its home, Keras' home, matplotlib's folder and its temporary
    files are: all inside the unit folder (its home and its tmp)."""
    line = next(ln for ln in (unit / "stdout.log").read_text().splitlines()
                if ln.startswith("homes:"))
    homes = dict(item.split("=", 1) for item in line.split()[1:])
    assert set(homes) == {"home", "keras", "matplotlib", "tmp"}
    for name, path in homes.items():
        folder = unit.resolve() / ("tmp" if name == "tmp" else "home")
        assert Path(path).is_relative_to(folder), (name, path)
        assert Path(path).is_dir(), (name, path)


def test_forked_and_spawned_units_train_the_same_in_their_own_folders(
        tmp_path: Path, fixture_bench: Path) -> None:
    """A unit forked from the zygote and one in a new interpreter train the same (losses per
    epoch, verdict, hash seed) and keep home, Keras, matplotlib and temporary files in their
    own folders; the zygote's hash seed is the unit's seed."""
    seen = {}
    for method in ("forkserver", "spawn"):
        executor = LocalExecutor(start_method=method)
        assert executor.describe()["start_method"] == method
        spec = _spec(fixture_bench, "gh-fixture-nan", seed=1)
        run_many([spec], tmp_path / method, executor, jobs=1)
        record = records.latest(tmp_path / method)[spec.record_key("terminate_on_nan")]
        assert record["status"] == "completed", record["error"]
        unit = tmp_path / method / record["log_dir"]
        _assert_homes_inside(unit)
        stdout = (unit / "stdout.log").read_text()
        verdict = record["verdict"]
        verdict["stop"].pop("wall_s")  # the only figure that may differ
        seen[method] = (json.loads((unit / "history.json").read_text())[0]["history"],
                        verdict, re.search(r"hash: (-?\d+)", stdout).group(1))
    assert seen["forkserver"] == seen["spawn"]


def test_unit_environment_points_inside_the_unit_folder(tmp_path: Path, fixture_bench) -> None:
    """HOME, XDG_*, KERAS_HOME, MPLCONFIGDIR and TMPDIR all lie inside the unit folder; the
    dataset cache is still the user's."""
    from harness.datasets import ENV_VAR, cache_dir
    from harness.executors.local import unit_environment

    env = unit_environment(_spec(fixture_bench, "gh-fixture-nan"), tmp_path)
    for name in ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "KERAS_HOME",
                 "MPLCONFIGDIR", "TMPDIR"):
        assert Path(env[name]).is_relative_to(tmp_path.resolve()), name
    assert env[ENV_VAR] == str(cache_dir())


def test_a_daemon_that_left_the_unit_group_ends_with_the_unit(tmp_path: Path,
                                                               fixture_bench: Path) -> None:
    """A program's child in a session of its own (missed by a group kill) is gone at the end."""
    import re

    run_many([_spec(fixture_bench, "gh-fixture-orphan")], tmp_path, LocalExecutor(), jobs=1)
    record = _status(tmp_path, "gh-fixture-orphan")
    assert record["status"] == "completed", record["error"]
    out = (tmp_path / record["log_dir"] / "stdout.log").read_text()
    pid = int(re.search(r"orphan: pid (\d+)", out).group(1))
    try:  # SIGKILL was sent when the unit ended; allow the kernel a moment to deliver it
        psutil.Process(pid).wait(timeout=5)
    except psutil.NoSuchProcess:
        pass
