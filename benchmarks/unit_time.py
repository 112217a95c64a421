"""Where a run's unit time goes: process start, imports, set-up, the program (data, model
building, tracing and training inside it), writing the result, and the harness around it.

Reads a run's records (one per unit and tool; the split is per unit) and prints, per phase, the
median seconds per unit and the share of the summed unit wall time. The phases are written by
the worker (``harness.worker._Phases``; runs made before it recorded them have none):

- ``process_s``: from the worker process's start to its ``run`` (interpreter, harness imports);
- ``setup_s``: the case, the program copy, seeds, loss semantics, the tools;
- ``imports_s``: TensorFlow, Keras and the tools' modules;
- ``program_s``: the program itself, of which ``train_s`` in ``fit`` calls, of which
  ``first_epoch_s`` their first epochs (tracing included); the rest of the program
  (``program_s - train_s``) is its data loading, model building and evaluation;
- ``results_s``: the verdicts, the training summary and ``result.json``;
- ``harness_s``: the unit's wall time as the executor saw it minus the worker's, i.e. spawning
  the process and, for Docker, the container.

Usage::

    python benchmarks/unit_time.py RUN        # a run id or a run folder
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import records  # noqa: E402
from harness.results import resolve_run  # noqa: E402

PHASES = ("process_s", "imports_s", "setup_s", "program_s", "train_s", "first_epoch_s",
          "results_s", "harness_s")


def unit_phases(run_dir: Path) -> list[dict[str, float]]:
    """One dict of phase seconds per completed unit of the run (its latest record)."""
    units: dict[str, dict[str, float]] = {}
    for record in records.latest(run_dir).values():
        timing = record.get("timing") or {}
        phases = timing.get("phases")
        if record.get("status") != "completed" or not phases or record["unit"] in units:
            continue
        row = {k: float(phases.get(k) or 0.0) for k in PHASES if k != "harness_s"}
        wall, worker = timing.get("wall_s"), timing.get("worker_s")
        row["wall_s"] = float(wall or 0.0)
        row["harness_s"] = max(0.0, float(wall or 0.0) - float(worker or 0.0)
                               - row["process_s"])
        units[record["unit"]] = row
    return list(units.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="run id or run folder")
    parser.add_argument("--runs-dir", type=Path, default=Path("runs"))
    ns = parser.parse_args(argv)
    run_dir = resolve_run(ns.run, ns.runs_dir)
    rows = unit_phases(run_dir)
    if not rows:
        print(f"{run_dir}: no completed unit with a time split (made before the worker "
              "recorded one?)", file=sys.stderr)
        return 1
    total = sum(r["wall_s"] for r in rows)
    print(f"{run_dir.name}: {len(rows)} completed units, {total:.0f} s of unit wall time")
    print(f"{'phase':<15} {'median s/unit':>13} {'share of wall':>13}")
    for phase in (*PHASES, "wall_s"):
        values = [r[phase] for r in rows]
        print(f"{phase:<15} {statistics.median(values):>13.2f} "
              f"{sum(values) / total:>12.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
