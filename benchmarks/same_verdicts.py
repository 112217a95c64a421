"""Do two runs give the same verdict on every unit? (issue #16: a faster harness must not
change what the tools say.)

Compares the latest record of every (case, variant, tool, seed) the two runs share: status,
detection, the stop (epoch, batch, iteration) and each finding (code, layer, iteration,
target, message, evidence), all but the seconds. A record whose findings agree but whose stop
took effect at another batch is counted apart (see :func:`compare`). Prints the differences
and the records only one run has; ``deeplocalize score`` gives each run's score table. Exit
status 1 if a verdict differs or a record is missing.

Usage::

    python benchmarks/same_verdicts.py RUN_A RUN_B [--runs-dir runs]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import records  # noqa: E402
from harness.results import resolve_run  # noqa: E402

#: Figures left out of the comparison: wall-clock seconds, which no two runs share.
TIMES = ("wall_s",)


def _timeless(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if k not in TIMES}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    """What must be equal between two runs' records of one unit and tool."""
    return {"status": record.get("status"), "verdict": _timeless(record.get("verdict"))}


def _without_stop(record: dict[str, Any]) -> dict[str, Any]:
    out = comparable(record)
    if isinstance(out["verdict"], dict):
        out["verdict"] = {k: v for k, v in out["verdict"].items() if k != "stop"}
    return out


def compare(run_a: Path, run_b: Path) -> dict[str, list[str]]:
    """Keys of the records the runs share, by outcome: ``same``; ``stop_moved`` (the same
    findings, the stop request taken at another batch: DeepLocalize reads its probes in blocks
    of at most ``MAX_DELAY_S`` seconds, so where a stop lands depends on time); ``differ``;
    and the keys ``only_a`` or ``only_b`` has."""
    a, b = records.latest(run_a), records.latest(run_b)
    out: dict[str, list[str]] = {"same": [], "stop_moved": [], "differ": [],
                                 "only_a": sorted(a.keys() - b.keys()),
                                 "only_b": sorted(b.keys() - a.keys())}
    for key in sorted(a.keys() & b.keys()):
        if comparable(a[key]) == comparable(b[key]):
            out["same"].append(key)
        elif _without_stop(a[key]) == _without_stop(b[key]):
            out["stop_moved"].append(key)
        else:
            out["differ"].append(key)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_a")
    parser.add_argument("run_b")
    parser.add_argument("--runs-dir", type=Path, default=Path("runs"))
    ns = parser.parse_args(argv)
    run_a, run_b = (resolve_run(r, ns.runs_dir) for r in (ns.run_a, ns.run_b))
    result = compare(run_a, run_b)
    a, b = records.latest(run_a), records.latest(run_b)
    for kind in ("differ", "stop_moved"):
        for key in result[kind]:
            print(f"{kind}: {key}\n  {run_a.name}: {comparable(a[key])}\n"
                  f"  {run_b.name}: {comparable(b[key])}")
    for name, keys in ((run_a.name, result["only_a"]), (run_b.name, result["only_b"])):
        if keys:
            more = " ..." if len(keys) > 5 else ""
            print(f"only in {name}: {len(keys)} ({', '.join(keys[:5])}{more})")
    compared = sum(len(result[k]) for k in ("same", "stop_moved", "differ"))
    print(f"{compared} records compared: {len(result['same'])} the same, "
          f"{len(result['stop_moved'])} the same but for the batch a stop took effect, "
          f"{len(result['differ'])} differ")
    return 1 if result["differ"] or result["only_a"] or result["only_b"] else 0

if __name__ == "__main__":
    sys.exit(main())
