"""Wall time of the same units under the local, Docker and Ray executors, side by side.

    python benchmarks/executors.py [--cases so-48385830,so-31880720,so-48934338] [--tool none]

Runs every case's buggy and patched variant (quick profile, seed 0) once per executor, one unit
at a time so the executors do not compete, and prints per-unit wall times and each executor's
overhead per unit relative to local. Docker needs a reachable engine and the runner image
(`deeplocalize image build`); Ray needs the `ray` extra. An executor that is not available is
reported as such and skipped. Verdict agreement across executors is printed too.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from harness import records
from harness.cases import load_cases
from harness.envinfo import REPO_ROOT
from harness.executors import get_executor
from harness.runner import RunConfig, plan, run_many

PILOTS = "so-48385830,so-31880720,so-48934338"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default=PILOTS)
    parser.add_argument("--tool", default="none")
    parser.add_argument("--executors", default="local,docker,ray")
    args = parser.parse_args(argv)
    cases = load_cases(REPO_ROOT, args.cases.split(","))
    walls: dict[str, dict[str, float]] = {}
    verdicts: dict[str, dict[str, object]] = {}
    for name in args.executors.split(","):
        try:
            executor = get_executor(name)
            executor.preflight()
        except Exception as exc:  # report and skip an executor that cannot run here
            print(f"{name}: not available: {exc}", file=sys.stderr)
            continue
        config = RunConfig(run_id=f"bench-{name}", case_ids=tuple(c.id for c in cases),
                           variants=("buggy", "patched"), tools=(args.tool,), seeds=(0,),
                           profile="quick", semantics=None, shared=False, timeout_s=900,
                           memory_mb=6144, jobs=1, executor=name)
        with tempfile.TemporaryDirectory() as tmp:
            run_dir = Path(tmp)
            run_many(plan(config, cases, REPO_ROOT), run_dir, executor, jobs=1)
            for key, record in records.latest(run_dir).items():
                walls.setdefault(key, {})[name] = record["timing"]["wall_s"]
                verdict = record.get("verdict") or {}
                verdicts.setdefault(key, {})[name] = (record["status"], verdict.get("detected"))
    names = [n for n in args.executors.split(",") if any(n in w for w in walls.values())]
    print(f"{'unit':<44}" + "".join(f"{n:>10}" for n in names) + "   same outcome")
    for key in sorted(walls):
        row = "".join(f"{walls[key].get(n, float('nan')):>10.2f}" for n in names)
        same = len({verdicts[key].get(n) for n in names}) == 1
        print(f"{key:<44}{row}   {'yes' if same else 'NO'}")
    if "local" in names:
        for name in names:
            if name == "local":
                continue
            extra = [w[name] - w["local"] for w in walls.values() if name in w and "local" in w]
            ratio = [w[name] / w["local"] for w in walls.values() if name in w and "local" in w]
            print(f"{name}: median overhead per unit {statistics.median(extra):+.2f} s "
                  f"(median ratio {statistics.median(ratio):.2f}x local, {len(extra)} units)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
