"""The ``deeplocalize`` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from harness import datacmd, vocab

PAPER_TOOLS = ("deeplocalize", "terminate_on_nan", "early_stopping_loss",
               "early_stopping_accuracy", "keras_union")


def _bench_root(value: str | None) -> Path:
    if value:
        return Path(value).resolve()
    if os.environ.get("DEEPLOCALIZE_BENCH"):
        return Path(os.environ["DEEPLOCALIZE_BENCH"]).resolve()
    if (Path.cwd() / "bugs").is_dir():
        return Path.cwd()
    from harness.envinfo import REPO_ROOT

    return REPO_ROOT


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="deeplocalize",
        description="Benchmark harness for fault localization in deep neural networks.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples("deeplocalize run --cases so-48385830 --seeds 1",
                         "deeplocalize diagnose my_training_script.py"),
    )
    p.add_argument("--bench-root", help="folder with bugs/ and patches/ (default: ./ or the repo)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def cmd(name: str, help_: str, *examples: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_, description=help_, epilog=_examples(*examples),
                              formatter_class=argparse.RawDescriptionHelpFormatter)

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
    c_check.add_argument("--variants", type=_csv, default=list(vocab.VARIANTS), help="--build")
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

    datacmd.add_parser(cmd("data", "which data each dataset runs on; fetch originals",
                           "deeplocalize data status", "deeplocalize data fetch mnist"))

    tools = cmd("tools", "list the registered debugging tools", "deeplocalize tools list")
    tools.add_argument("action", choices=["list"])

    run = cmd("run", "run cases × variants × tools × seeds and score them",
              "deeplocalize run --quick --shared",
              "deeplocalize run --cases so-48385830 --tools deeplocalize,keras_union --seeds 3")
    run.add_argument("--cases", type=_csv, default=[], help="comma-separated ids (default all)")
    run.add_argument("--variants", type=_csv, default=list(vocab.VARIANTS))
    run.add_argument("--tools", type=_csv, default=list(PAPER_TOOLS))
    run.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1")
    run.add_argument("--shared", action="store_true",
                     help="attach all tools to one training run (stops are only recorded)")
    prof = run.add_mutually_exclusive_group()
    prof.add_argument("--quick", dest="profile", action="store_const", const="quick")
    prof.add_argument("--full", dest="profile", action="store_const", const="full")
    run.set_defaults(profile="quick")
    run.add_argument("--semantics", choices=vocab.SEMANTICS,
                     help="loss semantics for every case (default: each case's own)")
    run.add_argument("--jobs", type=int, default=1)
    run.add_argument("--timeout", type=float, default=900.0, help="seconds per unit")
    run.add_argument("--memory", type=int, default=6144, help="MiB per unit")
    run.add_argument("--executor", default="local", choices=["local", "docker", "ray"])
    run.add_argument("--image", help="docker: runner image (default deeplocalize/runner:latest)")
    run.add_argument("--cpus", type=float, default=1.0, help="docker/ray: CPUs per unit")
    run.add_argument("--ray-address", default=os.environ.get("RAY_ADDRESS"),
                     help="ray: cluster address (default $RAY_ADDRESS; none starts a local Ray)")
    run.add_argument("--ray-inner", choices=["local", "docker"], default="local",
                     help="ray: where each task runs the worker on its node")
    run.add_argument("--run-id")
    run.add_argument("--runs-dir", default="runs")

    image = cmd("image", "build or inspect the Docker runner image",
                "deeplocalize image build", "deeplocalize image build --base python:3.11-slim")
    image.add_argument("action", choices=["build", "show"])
    image.add_argument("--base", help="base image with Python 3.11 (self-contained image); "
                                      "default: offline image using this machine's Python")
    image.add_argument("--tag", default=None, help="tag (default deeplocalize/runner:latest)")

    clean = cmd("clean", "remove containers a run left behind (by label)",
                "deeplocalize clean 20261125-120000", "deeplocalize clean --all")
    clean.add_argument("run_id", nargs="?")
    clean.add_argument("--all", action="store_true", help="every deeplocalize container")

    score = cmd("score", "score a run (pure: reads records, never re-runs)",
                "deeplocalize score 20261125-120000", "deeplocalize score RUN --json")
    score.add_argument("run_id")
    score.add_argument("--json", action="store_true")
    score.add_argument("--runs-dir", default="runs")

    report = cmd("report", "write a run's report (HTML, Markdown, CSV; pure: never re-runs)",
                 "deeplocalize report RUN", "deeplocalize report RUN --format md,csv --out /tmp/r")
    report.add_argument("run_id")
    report.add_argument("--runs-dir", default="runs")
    report.add_argument("--out", help="folder (default: the run's report/)")
    report.add_argument("--format", default="html,md,csv",
                        help="comma-separated: html, md, csv (default all)")

    diag = cmd("diagnose", "run any training script with DeepLocalize attached to every fit",
               "deeplocalize diagnose train.py --epochs 5", "deeplocalize diagnose --json train.py")
    diag.add_argument("--json", action="store_true")
    diag.add_argument("script")
    diag.add_argument("args", nargs=argparse.REMAINDER)
    return p


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow is first imported
    args = _parser().parse_args(argv)
    root = _bench_root(args.bench_root)
    try:
        handler = {
            "cases": _cases, "tools": _tools, "run": _run, "score": _score, "data": datacmd.run,
            "report": _report, "diagnose": _diagnose, "image": _image, "clean": _clean,
        }[args.command]
        return handler(args, root)
    except KeyboardInterrupt as exc:  # RunInterrupted (SIGINT/SIGTERM during a run) or Ctrl-C
        print(f"deeplocalize: interrupted {exc}".rstrip(), file=sys.stderr)
        return getattr(exc, "exit_code", 130)
    except (ValueError, KeyError, FileNotFoundError, RuntimeError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"deeplocalize: error: {message}", file=sys.stderr)
        return 2


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


def _new_run_id(prefix: str = "") -> str:
    return prefix + datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def _image(args: argparse.Namespace, root: Path) -> int:
    from harness import images

    tag = args.tag or images.DEFAULT_IMAGE
    info = images.build(base=args.base, tag=tag) if args.action == "build" else images.describe(tag)
    print(f"{info['tag']}  mode={info['mode']}  id={info['id']}")
    return 0


def _clean(args: argparse.Namespace, root: Path) -> int:
    from harness.executors.docker import clean

    if not args.run_id and not args.all:
        raise ValueError("name a run id, or pass --all to remove every deeplocalize container")
    removed = clean(None if args.all else args.run_id)
    print(f"removed {len(removed)} container(s)" + "".join(f"\n  {n}" for n in removed))
    return 0


def _executor_options(args: argparse.Namespace) -> dict:
    if args.executor == "docker":
        return {"cpus": args.cpus, **({"image": args.image} if args.image else {})}
    if args.executor == "ray":
        inner = {"cpus": args.cpus, **({"image": args.image} if args.image else {})}
        return {"address": args.ray_address, "inner": args.ray_inner, "cpus": args.cpus,
                "inner_options": inner if args.ray_inner == "docker" else {}}
    return {}


def _execute(config, cases, root: Path, runs_dir: Path, options: dict | None = None) -> Path:
    from harness.executors import get_executor
    from harness.interrupt import RunInterrupted
    from harness.rundir import hold

    run_dir = (runs_dir / config.run_id).resolve()
    executor = get_executor(config.executor, **(options or {}))
    with hold(run_dir):  # one harness per run, from run.json to the last record
        try:
            _execute_locked(config, cases, root, run_dir, executor)
        except RunInterrupted:
            print(f"run {config.run_id}: stopped; units in flight were killed and recorded as "
                  f"'interrupted'; rerun --run-id {config.run_id} to resume", file=sys.stderr)
            raise
    return run_dir


def _execute_locked(config, cases, root: Path, run_dir: Path, executor) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from harness.runner import pending, plan, run_many, write_run_json

    executor.preflight()
    write_run_json(run_dir, config, executor)
    specs = plan(config, cases, root)
    todo, _ = pending(specs, run_dir)
    skipped = len(specs) - len(todo)
    print(f"run {config.run_id}: {len(specs)} unit(s), {skipped} already completed by this code, "
          f"{len(todo)} to run with {config.jobs} job(s) on the {config.executor} executor")
    counts = {"detected": 0, "clean": 0, "failed": 0}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("{task.fields[counts]}"),
                  disable=not todo) as progress:
        task = progress.add_task("units", total=len(todo), counts="")

        def done(spec, unit_records):
            for r in unit_records:
                if r["status"] != "completed":
                    counts["failed"] += 1
                elif (r.get("verdict") or {}).get("detected"):
                    counts["detected"] += 1
                else:
                    counts["clean"] += 1
            progress.update(task, advance=1, counts=(
                f"✓ {counts['detected']} detected · {counts['clean']} clean "
                f"✖ {counts['failed']} failed"))

        run_many(specs, run_dir, executor, config.jobs, on_done=done)


def _verify(args: argparse.Namespace, root: Path) -> int:
    from harness import records
    from harness.cases import load_cases
    from harness.runner import RunConfig
    from harness.verify import verdicts

    cases = load_cases(root, args.case_ids)
    config = RunConfig(
        run_id=args.run_id or _new_run_id("verify-"), case_ids=tuple(c.id for c in cases),
        variants=vocab.VARIANTS, tools=("none",), seeds=tuple(range(args.seeds)),
        profile="full" if args.full else "quick", semantics=None, shared=False,
        timeout_s=args.timeout, memory_mb=6144, jobs=args.jobs, executor="local",
    )
    run_dir = _execute(config, cases, root, Path(args.runs_dir))
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


def _tools(args: argparse.Namespace, root: Path) -> int:
    from baselines import registry

    for name in registry.available():
        try:
            cls = registry.get_class(name)
            print(f"{name:<26} v{cls.version:<4} {'localizes' if cls.localizes else '         '} "
                  f"{cls.description}")
        except registry.ToolLoadError as exc:
            print(f"{name:<26} BROKEN: {exc}")
    return 0


def _run(args: argparse.Namespace, root: Path) -> int:
    from baselines import registry
    from harness.cases import load_cases
    from harness.runner import RunConfig

    registry.check_names([t for t in args.tools if t != "none"])
    bad = [v for v in args.variants if v not in vocab.VARIANTS]
    if bad:
        raise ValueError(f"unknown variant(s) {bad}; expected {list(vocab.VARIANTS)}")
    cases = [c for c in load_cases(root, args.cases) if c.status == "active" or args.cases]
    config = RunConfig(
        run_id=args.run_id or _new_run_id(), case_ids=tuple(c.id for c in cases),
        variants=tuple(args.variants), tools=tuple(args.tools), seeds=tuple(range(args.seeds)),
        profile=args.profile, semantics=args.semantics, shared=args.shared,
        timeout_s=args.timeout, memory_mb=args.memory, jobs=args.jobs, executor=args.executor,
    )
    run_dir = _execute(config, cases, root, Path(args.runs_dir), _executor_options(args))
    return _print_scores(run_dir, root, as_json=False, write_report=True)


def _print_scores(run_dir: Path, root: Path, as_json: bool, write_report: bool) -> int:
    from harness.reporting import load_run
    from reports.render import write_report as write_report_files
    from reports.summary import score_table_markdown

    data = load_run(run_dir, root)
    (run_dir / "scores.json").write_text(json.dumps(data.scores, indent=1, allow_nan=False))
    if as_json:
        print(json.dumps(data.scores, indent=1))
        return 0
    print(score_table_markdown(data.scores))
    if write_report:
        paths = write_report_files(data)
        print(f"report: {paths[0].parent / 'index.html'} ({len(paths)} files)")
    return 0


def _score(args: argparse.Namespace, root: Path) -> int:
    return _print_scores(Path(args.runs_dir) / args.run_id, root, args.json, write_report=False)


def _report(args: argparse.Namespace, root: Path) -> int:
    from harness.reporting import load_run
    from reports.render import parse_formats, write_report

    formats = parse_formats(args.format)
    data = load_run(Path(args.runs_dir) / args.run_id, root)
    for path in write_report(data, formats=formats, out=Path(args.out) if args.out else None):
        print(path)
    return 0


def _diagnose(args: argparse.Namespace, root: Path) -> int:
    from harness.diagnose import diagnose

    return diagnose(Path(args.script), list(args.args), as_json=args.json)


if __name__ == "__main__":
    sys.exit(main())
