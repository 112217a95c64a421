"""``deeplocalize mutants``: generate the mutant suite, list it, measure which are killed."""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from harness.commands.common import csv_list, new_run_id


def add_parsers(cmd: Callable[..., argparse.ArgumentParser]) -> None:
    mut = cmd("mutants", "the mutant suite: healthy programs with one injected fault (mutants/)",
              "deeplocalize mutants generate", "deeplocalize mutants list --operators",
              "deeplocalize mutants verify --parents digits-mlp --seeds 3",
              "deeplocalize run --suite mutants --shared")
    msub = mut.add_subparsers(dest="mutants_command", required=True, metavar="ACTION")
    gen = msub.add_parser("generate", help="write every mutant of every parent under mutants/ "
                          "(deterministic; replaces mutants/bugs and mutants/patches)")
    gen.add_argument("--parents", type=csv_list, default=[], help="default: every parent")
    gen.add_argument("--operators", type=csv_list, default=[], help="default: every operator")
    lst = msub.add_parser("list", help="mutants with their kill verdict, or the operators")
    lst.add_argument("--operators", action="store_true", help="list the operators instead")
    lst.add_argument("--parents-only", action="store_true", help="list the parents instead")
    lst.add_argument("--summary", action="store_true",
                     help="verdict counts per operator and per parent instead of one line each")
    ver = msub.add_parser("verify", help="train parents and mutants with no tool over seeds; "
                          "record killed / equivalent in mutants/kills.json")
    ver.add_argument("--parents", type=csv_list, default=[], help="default: every parent")
    ver.add_argument("--mutants", type=csv_list, default=[], help="only these mutant ids")
    ver.add_argument("--seeds", type=int, default=3)
    ver.add_argument("--jobs", type=int, default=2)
    ver.add_argument("--timeout", type=float, default=600.0)
    ver.add_argument("--runs-dir", default="runs")
    ver.add_argument("--run-id")
    ver.add_argument("--no-run", action="store_true",
                     help="train nothing: decide from the records --run-id already holds (a "
                          "mutant with a missing or unfinished seed stays unverified)")


def _generate(args: argparse.Namespace, root: Path) -> int:
    from harness.mutants.generate import generate
    from harness.mutants.parents import find_parents

    if args.parents or args.operators:
        print("note: a partial generation replaces the whole of mutants/bugs and mutants/patches")
    result = generate(root, find_parents(root, args.parents), set(args.operators) or None)
    for parent, ids in result.mutants.items():
        why = result.skipped.get(parent, "")
        print(f"{parent:<34} {len(ids):>3} mutant(s){'  (' + why + ')' if why else ''}")
    total = sum(len(ids) for ids in result.mutants.values())
    print(f"generate: {total} mutant(s) of {len(result.mutants)} parent(s) in {root / 'mutants'}")
    return 0


def _list(args: argparse.Namespace, root: Path) -> int:
    from harness.cases import discover, load_case
    from harness.mutants import OPERATORS
    from harness.mutants.kill import load_kills
    from harness.mutants.parents import find_parents

    if args.operators:
        for op in OPERATORS:
            print(f"{op.name:<20} {op.family:<16} {op.doc}")
        return 0
    if args.parents_only:
        for parent in find_parents(root):
            print(f"{parent.id:<34} {parent.kind:<8} {parent.task:<11} {parent.where}")
        return 0
    kills = load_kills(root)
    states: Counter[str] = Counter()
    by: dict[str, Counter[tuple[str, str]]] = {"operator": Counter(), "parent": Counter()}
    for case_id in discover(root, "mutants"):
        case = load_case(root, case_id)
        found = kills.get(case_id)
        state = "unverified" if not found or found.get("digest") != case.digest() \
            else found["verdict"]
        states[state] += 1
        by["operator"][case.meta["mutant"]["operator"], state] += 1
        by["parent"][case.meta["mutant"]["parent"], state] += 1
        if args.summary:
            continue
        detail = "" if state == "unverified" else (
            f"{found['metric']} parent {_values(found['parent'])} mutant "
            f"{_values(found['mutant'])} p={found['p']} d={found['d_text']}")
        print(f"{state:<12} {case_id:<60} {detail}")
    if args.summary:
        _summary(by, sorted(states))
    print("mutants: " + ", ".join(f"{n} {s}" for s, n in sorted(states.items())))
    return 0


def _summary(by: dict[str, Counter[tuple[str, str]]], states: list[str]) -> None:
    """A Markdown table of verdict counts per operator, then per parent."""
    for key, counts in by.items():
        names = list(dict.fromkeys(name for name, _ in counts))
        print(f"| {key} | mutants | " + " | ".join(states) + " |")
        print("|---|---|" + "---|" * len(states))
        for name in names:
            row = [counts[name, state] for state in states]
            print(f"| {name} | {sum(row)} | " + " | ".join(str(n) for n in row) + " |")
        print()


def _values(values: list) -> str:
    return "[" + ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in values) + "]"


def _verify(args: argparse.Namespace, root: Path) -> int:
    from harness import records
    from harness.cases import discover, load_case, variants_to_run
    from harness.commands.run import execute
    from harness.mutants.kill import decide, entry, load_kills, save_kills
    from harness.runner import RunConfig

    mutants = [load_case(root, i) for i in (args.mutants or discover(root, "mutants"))]
    if args.parents:
        mutants = [m for m in mutants if m.meta["mutant"]["parent"] in args.parents]
    if not mutants:
        raise ValueError("no mutants to verify: run `deeplocalize mutants generate` first")
    by_parent: dict[str, list] = {}
    for m in mutants:
        by_parent.setdefault(m.meta["mutant"]["parent"], []).append(m)
    run_id = args.run_id or new_run_id("mutants-")
    seeds = tuple(range(args.seeds))

    def config(suffix: str, ids: list[str], variant: str) -> RunConfig:
        return RunConfig(
            run_id=f"{run_id}{suffix}", case_ids=tuple(ids), variants=(variant,),
            tools=("none",), seeds=seeds, profile="quick", semantics=None, shared=False,
            timeout_s=args.timeout, memory_mb=6144, jobs=args.jobs, executor="local")

    # A mutant's patched variant is its parent: run it once per parent, not once per mutant,
    # as the mutant that ``variants_to_run`` picks (the one a suite run trains it as).
    picked = variants_to_run(mutants, ("patched",))
    stand_ins = [m for m in mutants if picked[m.id]]
    stand_in = {m.meta["mutant"]["parent"]: m.id for m in stand_ins}
    print(f"verify: {len(by_parent)} parent(s) and {len(mutants)} mutant(s), "
          f"{args.seeds} seed(s) each, quick profile, no tool")
    if args.no_run:
        if not args.run_id:
            raise ValueError("--no-run needs the --run-id of an earlier verify")
        parent_dir = Path(args.runs_dir) / f"{run_id}-parents"
        mutant_dir = Path(args.runs_dir) / run_id
    else:
        parent_dir = execute(config("-parents", [c.id for c in stand_ins], "patched"),
                             stand_ins, root, Path(args.runs_dir))
        mutant_dir = execute(config("", [m.id for m in mutants], "buggy"), mutants, root,
                             Path(args.runs_dir))
    parent_runs = records.latest(parent_dir).values()
    mutant_runs = records.latest(mutant_dir).values()
    from harness.mutants.parents import find_parents

    scores = {p.id: p.score for p in find_parents(root, sorted(by_parent))}
    kills = load_kills(root)
    counts: Counter[str] = Counter()
    for parent, ms in by_parent.items():
        runs_p = [r for r in parent_runs if r["case_id"] == stand_in[parent]]
        for m in ms:
            runs_m = [r for r in mutant_runs if r["case_id"] == m.id]
            if len(runs_p) < args.seeds or len(runs_m) < args.seeds or any(
                    r.get("status") == "interrupted" for r in runs_p + runs_m):
                counts["unverified"] += 1  # not every seed ran (--no-run, or interrupted)
                continue
            verdict = decide(scores[parent], m.meta["mutant"]["operator"], runs_p, runs_m)
            kills[m.id] = entry(m, verdict, args.seeds, "quick", run_id)
            counts[verdict.verdict] += 1
            print(f"{verdict.verdict:<12} {m.id:<60} {verdict.metric} p={verdict.p} "
                  f"d={'' if verdict.d is None else f'{verdict.d:.3g}'} {verdict.why}")
    path = save_kills(root, kills)
    print("verify: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
          + f" (written to {path}; runs {parent_dir.name}, {mutant_dir.name})")
    return 0


def _mutants(args: argparse.Namespace, root: Path) -> int:
    return {"generate": _generate, "list": _list, "verify": _verify}[args.mutants_command](
        args, root)


HANDLERS = {"mutants": _mutants}
