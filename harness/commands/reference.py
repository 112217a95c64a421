"""``deeplocalize reference``: pack a run into a reference, show what a reference holds.

``scripts/reference`` runs the main job with every built-in tool and packs it into the shipped
reference (``benchmarks/reference/``); ``score``/``report --against`` compare a run with it
(:mod:`harness.reference`).
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable
from pathlib import Path


def add_parsers(cmd: Callable[..., argparse.ArgumentParser]) -> None:
    ref = cmd("reference", "pack a run into a reference run; show a reference",
              "deeplocalize reference pack runs/reference-20261210",
              "deeplocalize reference show", "deeplocalize reference show /tmp/my-reference")
    rsub = ref.add_subparsers(dest="reference_command", required=True, metavar="ACTION")
    pack = rsub.add_parser("pack", help="write a run's latest records, run.json and case digests "
                           "into a reference folder (deterministic)")
    pack.add_argument("run", metavar="RUN", help="a run id (in --runs-dir) or a run folder")
    pack.add_argument("--out", type=Path, help="the reference folder (default: the shipped one, "
                      "benchmarks/reference)")
    pack.add_argument("--runs-dir", default="runs", help="where run ids are looked up")
    show = rsub.add_parser("show", help="what a reference holds: run, code, tools, cases")
    show.add_argument("ref", metavar="REF", nargs="?", default="reference",
                      help="'reference' (the shipped one, default) or a reference folder")


def _reference(args: argparse.Namespace, root: Path) -> int:
    from harness import reference

    if args.reference_command == "pack":
        from harness.results import resolve_run

        run_dir = resolve_run(args.run, args.runs_dir)
        for path in reference.pack(run_dir, args.out or reference.SHIPPED, root):
            print(path)
        return 0
    ref = reference.load(args.ref)
    config = ref.info.get("config") or {}
    units = Counter(r["tool"] for r in ref.records.values())
    print(f"reference {ref.path}: run {ref.run_id}, code revision {ref.code_revision or '?'}, "
          f"profile {config.get('profile', '?')}, "
          f"seeds {sorted({r['seed'] for r in ref.records.values()})}, "
          f"{len(ref.digests)} case(s), {len(ref.records)} record(s)")
    for tool in ref.tools:
        print(f"  {tool:<26} v{ref.tool_versions.get(tool) or '?':<4} {units[tool]} record(s)")
    return 0


HANDLERS = {"reference": _reference}
