"""``deeplocalize cases``: list, show, check, verify and make-patch."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from harness import vocab
from harness.commands.common import csv_list, new_run_id


def add_parsers(cmd: Callable[..., argparse.ArgumentParser]) -> None:
    cases = cmd("cases", "list, show, check and verify benchmark cases",
                "deeplocalize cases list", "deeplocalize cases check so-48385830")
    csub = cases.add_subparsers(dest="cases_command", required=True, metavar="ACTION")
    c_list = csub.add_parser("list", help="one line per case")
    c_list.add_argument("--json", action="store_true")
    c_show = csub.add_parser("show", help="a case's metadata")
    c_show.add_argument("case_id")
    c_check = csub.add_parser("check", help="fast lint: metadata, files, patch, params")
    c_check.add_argument("case_ids", nargs="*")
    c_check.add_argument("--build", action="store_true", help="also check labels, fault sites "
                         "and batches per fit against the model each program builds (no training)")
    c_check.add_argument("--variants", type=csv_list, default=list(vocab.VARIANTS), help="--build")
    c_check.add_argument("--jobs", type=int, default=2, help="--build: parallel subprocesses")
    c_verify = csub.add_parser("verify", help="train buggy and patched with no tool; check oracles")
    c_verify.add_argument("case_ids", nargs="*")
    c_verify.add_argument("--seeds", type=int, default=3)
    c_verify.add_argument("--full", action="store_true", help="full profile (default quick)")
    c_verify.add_argument("--jobs", type=int, default=2)
    c_verify.add_argument("--timeout", type=float, default=900.0)
    c_verify.add_argument("--runs-dir", default="runs")
    c_verify.add_argument("--run-id")
    c_patch = csub.add_parser("make-patch", help="write patches/<id>.diff from fixed files")
    c_patch.add_argument("case_id")
    c_patch.add_argument("fixed", nargs="+", help="fixed file(s); name = the buggy file's name")


def _cases(args: argparse.Namespace, root: Path) -> int:
    from harness.cases import check_case, discover, load_case, load_cases

    if args.cases_command == "list":
        cases = load_cases(root)
        if args.json:
            print(json.dumps([{"id": c.id, "title": c.title, "task": c.task, "status": c.status,
                               "categories": list(c.categories), "symptom": c.symptom,
                               "separates": c.separates} for c in cases], indent=2))
        else:
            for c in cases:
                mark = "" if c.separates else "  [non-separating]"
                print(f"{c.id:<28} {c.task:<11} {','.join(c.categories):<40} {c.title}{mark}")
            print(f"{len(cases)} cases")
        return 0
    if args.cases_command == "show":
        case = load_case(root, args.case_id)
        print(case.metadata_path.read_text())
        return 0
    if args.cases_command == "check":
        ids = args.case_ids or discover(root)
        problems = [line for case_id in ids for line in check_case(root, case_id)]
        for line in problems:
            print(line)
        if args.build:
            problems += _check_build(args, root, ids)
        verdict = f"{len(problems)} error(s)" if problems else "OK"
        print(f"checked {len(ids)} case(s){' and their built models' if args.build else ''}: "
              f"{verdict}")
        return 1 if problems else 0
    if args.cases_command == "make-patch":
        return _make_patch(root, args.case_id, [Path(p) for p in args.fixed])
    return _verify(args, root)


def _check_build(args: argparse.Namespace, root: Path, ids: list[str]) -> list[str]:
    """``cases check --build``: print each case's built-model summary; return the errors."""
    from harness.modelcheck import build_report

    if set(args.variants) - set(vocab.VARIANTS):
        raise ValueError(f"unknown variant(s) in {args.variants}; expected {vocab.VARIANTS}")
    lines, errors = build_report(root, ids, args.variants, args.jobs, named=bool(args.case_ids))
    for line in lines:
        print(line)
    return errors


def _make_patch(root: Path, case_id: str, fixed: list[Path]) -> int:
    from harness.cases import load_case, write_patch

    print(f"wrote {write_patch(load_case(root, case_id), fixed)}")
    return 0


def _verify(args: argparse.Namespace, root: Path) -> int:
    from harness import records
    from harness.cases import load_cases
    from harness.commands.run import execute
    from harness.runner import RunConfig
    from harness.verify import verdicts

    cases = load_cases(root, args.case_ids)
    config = RunConfig(
        run_id=args.run_id or new_run_id("verify-"), case_ids=tuple(c.id for c in cases),
        variants=vocab.VARIANTS, tools=("none",), seeds=tuple(range(args.seeds)),
        profile="full" if args.full else "quick", semantics=None, shared=False,
        timeout_s=args.timeout, memory_mb=6144, jobs=args.jobs, executor="local",
    )
    run_dir = execute(config, cases, root, Path(args.runs_dir))
    failed = 0
    for v in verdicts(cases, records.latest(run_dir)):
        print(f"{v.outcome:<15} {v.case_id}")
        for c in v.checks:
            print(f"    {c.variant:<8} seed {c.seed}: {'ok  ' if c.passed else 'FAIL'} "
                  f"{'; '.join(c.details)}")
        failed += v.outcome == "FAIL"
    print(f"verify: {len(cases) - failed}/{len(cases)} case(s) as declared "
          f"(records in {run_dir})")
    return 1 if failed else 0


HANDLERS = {"cases": _cases}
