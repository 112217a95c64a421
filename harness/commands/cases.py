"""``deeplocalize cases``: list, show, check, verify, make-patch and new."""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from harness import vocab
from harness.commands.common import csv_list, new_run_id

if TYPE_CHECKING:
    from harness.newcase import NewCase


def add_parsers(cmd: Callable[..., argparse.ArgumentParser]) -> None:
    cases = cmd("cases", "list, show, check, verify and add benchmark cases",
                "deeplocalize cases list", "deeplocalize cases check so-48385830",
                "deeplocalize cases new so-45378493 --buggy buggy.py --fixed fixed.py")
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
    c_new = csub.add_parser("new", help="a draft case from a buggy and a fixed script: program, "
                            "patch, case.toml with what can be inferred; lists what is left")
    c_new.add_argument("case_id", help="so-<post id> or gh-<repository name in lower case>")
    c_new.add_argument("--buggy", type=Path, required=True, help="the buggy training script")
    c_new.add_argument("--fixed", type=Path, required=True, help="the same script, fixed")
    c_new.add_argument("--semantics", choices=vocab.SEMANTICS,
                       help="loss semantics of the case (default: left to fill in; the first "
                       "training runs under keras3)")
    c_new.add_argument("--no-verify", action="store_true",
                       help="skip the first training of both variants")
    c_new.add_argument("--seeds", type=int, default=1, help="seeds of the first training")
    c_new.add_argument("--jobs", type=int, default=2)
    c_new.add_argument("--timeout", type=float, default=900.0, help="seconds per training")
    c_new.add_argument("--runs-dir", default="runs")


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
        from harness.schema import LEFT_TO_FILL

        ids = args.case_ids or discover(root)
        problems = [line for case_id in ids for line in check_case(root, case_id)]
        for line in problems:
            print(line)
        if args.build:
            problems += _check_build(args, root, ids)
        todo = sum(LEFT_TO_FILL in line for line in problems)
        verdict = f"{len(problems)} error(s)" if problems else "OK"
        if todo:
            verdict += f", of which {todo} value(s) left to fill in"
        print(f"checked {len(ids)} case(s){' and their built models' if args.build else ''}: "
              f"{verdict}")
        return 1 if problems else 0
    if args.cases_command == "make-patch":
        return _make_patch(root, args.case_id, [Path(p) for p in args.fixed])
    if args.cases_command == "new":
        return _new(args, root)
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
    mutants = [c.id for c in cases if c.origin == "mutant"]
    if mutants:
        raise ValueError(f"{mutants[0]} is a mutant: its separation is its kill test, "
                         "`deeplocalize mutants verify --mutants ID` (it has no oracle)")
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


def _new(args: argparse.Namespace, root: Path) -> int:
    """``cases new``: write the draft, check it, train both variants once, list what is left."""
    from harness.cases import check_case
    from harness.newcase import create
    from harness.schema import LEFT_TO_FILL

    case_id = args.case_id
    with tempfile.TemporaryDirectory(prefix="deeplocalize-new-") as tmp:
        new = create(root, case_id, args.buggy, args.fixed, Path(tmp), args.semantics)
        quick = ", ".join(f"{k} = {v}" for k, v in new.quick.items())
        print(f"quick profile: {quick or 'no overrides (the full training)'}")
        for note in new.notes:
            print(f"note: {note}")
        print(f"check: deeplocalize cases check {case_id}")
        others = [line for line in check_case(root, case_id) if LEFT_TO_FILL not in line]
        for line in others:
            print(line)
        print(f"  {len(others)} error(s) besides the values left to fill in")
        if not args.no_verify:
            _first_training(args, new)
    metadata = new.written[1]
    print(f"left to fill in ({len(new.todos)}), in {metadata}:")
    for key, hint in new.todos:
        print(f"  {key:<26} {hint}")
    print(f"then: deeplocalize cases check {case_id} --build && "
          f"deeplocalize cases verify {case_id} --seeds 3")
    return 1 if others else 0


def _first_training(args: argparse.Namespace, new: NewCase) -> None:
    """Train both staged variants with no tool; print their summaries and an oracle to start
    from (the case has no oracle yet, so nothing can fail)."""
    from harness import records
    from harness.casedraft import suggest_oracle
    from harness.cases import load_case
    from harness.commands.run import execute
    from harness.runner import RunConfig

    case = load_case(new.staged, new.case_id)
    config = RunConfig(
        run_id=new_run_id(f"new-{new.case_id}-"), case_ids=(new.case_id,),
        variants=vocab.VARIANTS, tools=("none",), seeds=tuple(range(args.seeds)),
        profile="quick", semantics=None, shared=False, timeout_s=args.timeout, memory_mb=6144,
        jobs=args.jobs, executor="local",
    )
    print(f"verify: training both variants with no tool ({args.seeds} seed(s), quick profile, "
          f"{case.semantics} semantics)...")
    run_dir = execute(config, [case], new.staged, Path(args.runs_dir))
    measured: dict[str, list[dict]] = {variant: [] for variant in vocab.VARIANTS}
    for r in sorted(records.latest(run_dir).values(), key=lambda r: (r["variant"], r["seed"])):
        metrics = (r.get("training") or {}).get("metrics") or {}
        if r["status"] == "completed":
            measured[r["variant"]].append(metrics)
            shown = _metrics_text(metrics)
        else:
            shown = (r.get("error") or {}).get("message", "")
        print(f"  {r['variant']:<8} seed {r['seed']}: {r['status']:<10} {shown}")
    lines, why = suggest_oracle(measured)
    print(f"  oracle to start from ({why}):" if lines else f"  no oracle suggested: {why}")
    for line in lines:
        print(f"    {line}")
    print(f"  (records in {run_dir})")


def _metrics_text(metrics: dict) -> str:
    shown = []
    for key in sorted(metrics):
        if key.endswith(("_nonfinite", "_raw")):
            continue
        value = metrics[key]
        if value is None and metrics.get(f"{key}_nonfinite"):
            value = metrics.get(f"{key}_raw", "nan")
        shown.append(f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}")
    return " ".join(shown)


HANDLERS = {"cases": _cases}
