"""Verdicts survive a failed unit: the findings stream and partial verdicts (issue #12)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import keras
import pytest

from baselines import registry
from baselines.base import Detector, Finding, StopEvent, Verdict
from harness import records
from harness.executors import ExecResult
from harness.executors.local import LocalExecutor
from harness.injection import FitInjector, run_program
from harness.outcome import make_records
from harness.runner import run_many
from harness.spec import RunSpec
from harness.stream import FINDINGS_FILE, FindingsStream, partial_verdicts, read
from localizer.probe import RING_CALLS

BENCH = Path(__file__).resolve().parent.parent / "fixtures" / "bench"
TOOLS = ("deeplocalize", "terminate_on_nan")
#: Each fixture trains into a NaN loss in epoch 0, then fails as epoch 1 begins.
FAILURES = {
    "gh-fixture-find-hang": "timeout",
    "gh-fixture-find-error": "error",
    "gh-fixture-find-kill": "crashed",
}


def _spec(bench: Path, case_id: str, **kw) -> RunSpec:
    defaults = dict(
        run_id="stream",
        case_id=case_id,
        variant="buggy",
        tools=TOOLS,
        shared=True,
        seed=0,
        semantics="keras3",
        timeout_s=120.0,
        memory_mb=4096,
        bench_root=str(bench),
    )
    return RunSpec(**{**defaults, **kw})


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory) -> Path:
    """One shared run (DeepLocalize and TerminateOnNaN) per failure: hang, raise, SIGKILL.

    The timeout leaves the worker (Python and TensorFlow start-up, a few batches) ample time
    to reach epoch 1 on a loaded machine; the unit then waits for it, so keep it short.
    """
    run_dir = tmp_path_factory.mktemp("run")
    specs = [
        _spec(BENCH, case_id, timeout_s=45.0 if status == "timeout" else 120.0)
        for case_id, status in FAILURES.items()
    ]
    run_many(specs, run_dir, LocalExecutor(), jobs=3)
    return run_dir


def _record(run_dir: Path, case_id: str, tool: str) -> dict:
    return records.latest(run_dir)[f"{case_id}/buggy/{tool}/0"]


@pytest.mark.parametrize(("case_id", "status"), sorted(FAILURES.items()))
def test_failed_unit_keeps_the_findings_made_before(
    failed_run: Path, case_id: str, status: str
) -> None:
    """A unit that hangs, raises or is SIGKILLed after DeepLocalize found the NaN keeps it."""
    record = _record(failed_run, case_id, "deeplocalize")
    assert record["status"] == status
    assert record["schema_version"] == records.SCHEMA_VERSION == 3
    partial = record["partial_verdict"]
    assert partial["partial"] is True and partial["detected"] is True
    finding = partial["findings"][0]
    assert finding["epoch"] == 0 and finding["target"] == "layer"
    assert finding["code"] in ("EBA", "EAA", "ELF", "EAF", "EBW", "EBDW")
    # The stop request comes at DeepLocalize's next read of the probe (docs/localizer.md).
    assert partial["stop"]["early"]
    assert finding["iteration"] <= partial["stop"]["iteration"] <= finding["iteration"] + RING_CALLS
    assert set(partial) == {"partial", "detected", "stop", "stops", "findings", "category", "raw"}


@pytest.mark.parametrize("case_id", sorted(FAILURES))
def test_failed_unit_keeps_the_stop_request_made_before(failed_run: Path, case_id: str) -> None:
    """A Keras baseline 'detects' by an early stop request; that survives the failure too."""
    partial = _record(failed_run, case_id, "terminate_on_nan")["partial_verdict"]
    assert partial["detected"] is True and partial["findings"] == []
    assert partial["stop"]["epoch"] == 0 and partial["stop"]["early"] is True
    assert partial["stops"] == [partial["stop"]]  # streamed up to the first early one only


def test_streamed_findings_equal_the_workers_verdict(failed_run: Path) -> None:
    """Where the worker still wrote its verdict (the program raised), the stream agrees."""
    for tool in TOOLS:
        record = _record(failed_run, "gh-fixture-find-error", tool)
        assert record["partial_verdict"]["findings"] == record["verdict"]["findings"]
        assert record["partial_verdict"]["stop"] == record["verdict"]["stop"]


def test_stream_matches_the_verdict_of_a_completed_program(
    tmp_path: Path, fixture_bench: Path
) -> None:
    """In-process: what the worker streams is what the detectors' verdicts report."""
    keras.utils.set_random_seed(0)
    injector = FitInjector({t: registry.create(t) for t in TOOLS}, passive=True)
    stream = FindingsStream(tmp_path / FINDINGS_FILE, injector.detectors, injector.stops)
    injector.trailing.append(stream.callback)
    assert injector.detectors["deeplocalize"].findings_so_far() == ()
    with injector, stream:
        run_program(fixture_bench / "bugs" / "gh-fixture-nan" / "train.py")
    streamed = read(tmp_path)
    for tool, verdict in injector.verdicts().items():
        assert streamed[tool]["findings"] == [f.to_json() for f in verdict.findings]
        assert streamed[tool]["stops"][-1] == verdict.stop.to_json()
    assert len(injector.stops["terminate_on_nan"]) > 1  # asked again at every later batch...
    assert len(streamed["terminate_on_nan"]["stops"]) == 1  # ...which is not streamed


class _Fake(Detector):
    """A detector whose findings and failure the test sets by hand."""

    name = "fake"

    def __init__(self) -> None:
        self.found: list[Finding] = []
        self.broken = False

    def callbacks(self) -> list:
        return []

    def verdict(self, stops: Sequence[StopEvent]) -> Verdict:
        return Verdict(detected=bool(self.found), findings=tuple(self.found))

    def findings_so_far(self) -> Sequence[Finding]:
        if self.broken:
            raise RuntimeError("findings_so_far failed on purpose")
        return tuple(self.found)


def _stop(early: bool, iteration: int) -> StopEvent:
    return StopEvent(
        fit_index=0,
        epoch=0,
        batch=iteration - 1,
        iteration=iteration,
        samples=None,
        wall_s=float("nan"),
        early=early,
        hook="on_train_batch_end",
    )


def test_stream_writes_only_what_is_new(tmp_path: Path, capsys) -> None:
    """No file until something is found; each item once; a raising tool is dropped alone."""
    fake, other = _Fake(), _Fake()
    stops: dict[str, list[StopEvent]] = {"fake": [], "other": []}
    path = tmp_path / FINDINGS_FILE
    with FindingsStream(path, {"fake": fake, "other": other}, stops) as stream:
        stream.poll()
        assert not path.exists()
        fake.found.append(Finding(code="X", message="x", evidence={"mean": float("nan")}))
        stops["fake"] += [_stop(False, 1), _stop(True, 2), _stop(True, 3)]
        stream.poll()
        stream.poll()
        other.broken = True
        fake.found.append(Finding(code="Y", message="y", target="data"))
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(i["tool"], i["kind"], i["n"]) for i in lines] == [
        ("fake", "finding", 0),
        ("fake", "stop", 0),
        ("fake", "stop", 1),
        ("fake", "finding", 1),
    ]
    assert lines[0]["finding"]["evidence"] == {"mean": None}  # as the verdict has it
    assert lines[1]["stop"]["wall_s"] is None  # json_safe, as everywhere else
    assert "stopped streaming 'other'" in capsys.readouterr().err


def test_reader_skips_torn_and_repeated_lines(tmp_path: Path) -> None:
    """A line cut by a kill mid-write is ignored; an item seen twice counts once."""
    item = {"tool": "t", "kind": "finding", "n": 0, "finding": {"code": "X"}}
    (tmp_path / FINDINGS_FILE).write_text(
        json.dumps(item) + "\n" + json.dumps(item) + "\n" + '{"tool": "t", "kind": "fin'
    )
    assert read(tmp_path) == {"t": {"findings": [{"code": "X"}], "stops": []}}
    assert partial_verdicts(tmp_path, ["t", "u"])["u"]["detected"] is False


def test_partial_verdict_only_on_records_of_failed_units(
    tmp_path: Path, fixture_bench: Path
) -> None:
    """Completed units and the no-tool control get None; a failed unit gets the stream."""
    unit = tmp_path / "units" / "u"
    unit.mkdir(parents=True)
    (unit / FINDINGS_FILE).write_text(
        json.dumps({"tool": "deeplocalize", "kind": "finding", "n": 0, "finding": {"code": "EBA"}})
        + "\n"
    )
    spec = _spec(fixture_bench, "gh-fixture-find-hang")
    killed = ExecResult(exit_code=-9, killed_for="timeout", wall_s=1.0)
    by_tool = {r["tool"]: r for r in make_records(spec, killed, unit, tmp_path, "local", 1)}
    assert by_tool["deeplocalize"]["partial_verdict"]["findings"] == [{"code": "EBA"}]
    assert by_tool["terminate_on_nan"]["partial_verdict"]["detected"] is False
    (unit / "result.json").write_text(json.dumps({"status": "completed", "verdicts": {}}))
    done = make_records(
        spec, ExecResult(exit_code=0, killed_for=None, wall_s=1.0), unit, tmp_path, "local", 1
    )
    assert [r["partial_verdict"] for r in done] == [None, None]
    control = _spec(fixture_bench, "gh-fixture-find-hang", tools=("none",), shared=False)
    assert make_records(control, killed, unit, tmp_path, "local", 1)[0]["partial_verdict"] is None
