"""Score DeepLocalize rule profiles on a run's saved traces, without training anything.

``deeplocalize run --keep-traces`` saves every unit's full per-batch summaries
(:mod:`harness.traces`). This script replays each profile named on the command line over the
traces of every unit (:func:`localizer.replay.replay`, the callback's own rules), turns the
result into a record of a virtual tool ``replay:<profile>`` (a copy of the unit's
``deeplocalize`` record with the replayed verdict) and scores those records with the
benchmark's own scoring (:func:`harness.scoring.score`): detection, false alarms, Youden J,
localization, per operator for mutants. Replayed verdicts carry the batch and epoch of the first
finding, not its wall time or hint (a trace has neither), so time-to-detect and diagnosis are
left out.

It is how the ``bench`` profile was designed on the mutant suite (``docs/localizer.md``), and how
anyone checks that replay and live verdicts agree: ``--check`` compares the ``paper`` and
``released`` replays with the live ``deeplocalize`` / ``deeplocalize_released`` records.

    python benchmarks/profile_replay.py runs/<run-id> --profiles paper,released,bench
    python benchmarks/profile_replay.py runs/<run-id> --check
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.envinfo import bench_root
from harness.operator_scores import operator_breakdown
from harness.results import read_run, tool_table
from harness.scoring import score
from harness.tally import score_record
from harness.traces import trace_files
from localizer.replay import ReplayFinding, TraceIncomplete, replay
from localizer.settings import PROFILES
from localizer.trace import Trace

LIVE = {"paper": "deeplocalize", "released": "deeplocalize_released"}


def unit_traces(record: Mapping[str, Any], run_dir: Path) -> list[tuple[Trace, dict]] | None:
    """The saved traces of a record's unit, first fit first (``None``: none were saved)."""
    log_dir = record.get("log_dir")
    if not log_dir:
        return None
    unit = Path(log_dir) if Path(log_dir).is_absolute() else run_dir / log_dir
    files = trace_files(unit)
    return [Trace.load(f) for f in files] if files else None


def replayed_verdict(traces: list[tuple[Trace, dict]], profile: str) -> dict[str, Any]:
    """The verdict a live ``stop``-mode detector of ``profile`` would have given."""
    offset = 0
    for trace, meta in traces:
        hits: list[ReplayFinding] = replay(trace, PROFILES[profile], first_only=True,
                                           steps_per_epoch=meta.get("steps"),
                                           loss_name=meta.get("loss"),
                                           fresh=meta.get("fresh", meta.get("fit_index") == 0))
        if hits:
            h = hits[0]
            finding = {
                "code": h.code, "target": h.target, "layer_index": h.layer_index,
                "quantity": h.quantity, "iteration": h.iteration + offset, "epoch": h.epoch,
                "rule": h.rule,
            }
            return {"detected": True, "findings": [finding], "stop": None, "category": None}
        offset += int(meta.get("steps_run", len(trace)))
    return {"detected": False, "findings": [], "stop": None, "category": None}


def replay_records(run_dir: Path, latest: Mapping[str, Mapping[str, Any]],
                   profiles: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """One ``replay:<profile>`` record per unit with traces and profile; and the units without."""
    out, skipped = [], []
    for record in latest.values():
        if record["tool"] != "deeplocalize":
            continue
        traces = None
        if record["status"] == "completed":
            try:
                traces = unit_traces(record, run_dir)
            except (OSError, ValueError) as exc:
                skipped.append(f"{record['key']}: {exc}")
                continue
        if traces is None:
            skipped.append(f"{record['key']}: {record['status']}, no traces")
            continue
        for profile in profiles:
            new = copy.deepcopy(dict(record))
            new["tool"] = f"replay:{profile}"
            new["key"] = record["key"].replace("/deeplocalize/", f"/replay:{profile}/")
            try:
                new["verdict"] = replayed_verdict(traces, profile)
            except TraceIncomplete as exc:
                skipped.append(f"{record['key']}: {exc}")
                continue
            out.append(new)
    return out, skipped


def check(latest: Mapping[str, Mapping[str, Any]], replayed: list[dict[str, Any]]) -> int:
    """Compare replayed first findings with the live records; print and count disagreements."""
    bad = 0
    for record in replayed:
        profile = record["tool"].split(":", 1)[1]
        if profile not in LIVE:
            continue
        live = latest.get(record["key"].replace(record["tool"], LIVE[profile]))
        if not live or live["status"] != "completed":
            continue
        first = (live["verdict"].get("findings") or [None])[0]
        mine = (record["verdict"]["findings"] or [None])[0]
        a = (first["code"], first.get("layer_index"), first.get("iteration")) if first else "CM"
        b = (mine["code"], mine.get("layer_index"), mine.get("iteration")) if mine else "CM"
        if a != b:
            bad += 1
            print(f"differs: {record['key']}: live {a}, replay {b}")
    print(f"replay vs live: {bad} difference(s) over {len(replayed)} replayed verdicts")
    return bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="a run folder recorded with --keep-traces")
    parser.add_argument("--profiles", default="paper,released",
                        help=f"comma-separated, of {sorted(PROFILES)}")
    parser.add_argument("--suite", default="all", choices=["real", "mutants", "all"])
    parser.add_argument("--denominator", default="real", help="the tally to print")
    parser.add_argument("--operators", action="store_true", help="per-operator rates too")
    parser.add_argument("--check", action="store_true", help="replay vs live verdicts")
    args = parser.parse_args(argv)
    profiles = ["paper", "released"] if args.check else args.profiles.split(",")
    unknown = [p for p in profiles if p not in PROFILES]
    if unknown:
        parser.error(f"unknown profile(s) {unknown}; known: {sorted(PROFILES)}")
    info, latest, cases = read_run(args.run, bench_root(None), args.suite)
    replayed, skipped = replay_records(args.run, latest, profiles)
    for line in skipped:
        print(f"skipped {line}", file=sys.stderr)
    if args.check:
        return 1 if check(latest, replayed) else 0
    live = [r for r in latest.values() if r["tool"] in {LIVE.get(p) for p in profiles}]
    raw = score(cases, [*live, *replayed])
    table = tool_table(raw)
    table = table[table["denominator"] == args.denominator]
    cols = ["tool", "buggy_runs", "tp", "detection", "patched_runs", "fp", "false_alarm",
            "youden_j", "localized", "localization", "median_detect_iteration"]
    print(table[[c for c in cols if c in table.columns]].to_string(index=False))
    if args.operators:
        outcomes = [score_record(cases[r["case_id"]], r) for r in replayed]
        for operator, tools in operator_breakdown(cases, outcomes).items():
            cells = ", ".join(
                f"{t}: det {s['tp']}/{s['buggy_runs']} loc {s['localized']}"
                for t, s in tools.items()
            )
            print(f"{operator}: {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
