"""``run --keep-traces``: the worker saves each fit call's full trace, and replaying it with a
profile gives that profile's live verdict on the same training run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness.cases import load_case
from harness.runner import RunConfig, plan
from harness.spec import RunSpec
from harness.traces import trace_files
from localizer.replay import replay
from localizer.settings import PROFILES
from localizer.trace import Trace


def test_keep_traces_reaches_every_unit(fixture_bench: Path) -> None:
    config = RunConfig(run_id="t", case_ids=("gh-fixture-plateau",), variants=("buggy",),
                       tools=("deeplocalize",), seeds=(0,), profile="quick", semantics=None,
                       shared=False, timeout_s=60.0, memory_mb=1024, jobs=1, executor="local",
                       keep_traces=True)
    specs = plan(config, [load_case(fixture_bench, "gh-fixture-plateau")])
    assert specs and all(s.extra == {"traces": True} for s in specs)
    assert all(s.extra == {} for s in plan(
        RunConfig(**{**vars(config), "keep_traces": False}),
        [load_case(fixture_bench, "gh-fixture-plateau")]))


def test_a_saved_trace_replays_to_the_live_verdicts(fixture_bench: Path, tmp_path: Path) -> None:
    tools = ("deeplocalize", "deeplocalize_bench")
    spec = RunSpec(run_id="t", case_id="gh-fixture-plateau", variant="buggy", tools=tools,
                   seed=0, shared=True, bench_root=str(fixture_bench), extra={"traces": True})
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec.to_json()))
    out = tmp_path / "unit"
    subprocess.run([sys.executable, "-m", "harness.worker", "--spec", str(spec_file),
                    "--out", str(out)], check=True, timeout=300)
    result = json.loads((out / "result.json").read_text())
    assert result["status"] == "completed"
    files = trace_files(out)
    assert [f.name for f in files] == ["fit0.npz"]
    trace, meta = Trace.load(files[0])
    assert meta["steps_run"] == len(trace) > 0 and meta["fresh"] is True
    for tool, profile in zip(tools, ("paper", "bench")):
        hits = replay(trace, PROFILES[profile], first_only=True, steps_per_epoch=meta["steps"],
                      loss_name=meta["loss"], fresh=meta["fresh"])
        live = result["verdicts"][tool]["findings"]
        assert [(h.code, h.layer_index, h.iteration) for h in hits] == [
            (f["code"], f["layer_index"], f["iteration"]) for f in live[:1]], tool
