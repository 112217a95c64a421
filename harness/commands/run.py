"""``deeplocalize run``, ``image`` and ``clean``; the executor plumbing ``cases verify`` shares."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from harness import vocab
from harness.commands.common import csv_list, new_run_id
from harness.executors.base import CHOICES

#: ``run --tools`` default: the paper's callback columns (its imperative tool runs on request).
DEFAULT_TOOLS = ("deeplocalize", "terminate_on_nan", "early_stopping_loss",
                 "early_stopping_accuracy", "keras_union")


def add_parsers(cmd: Callable[..., argparse.ArgumentParser]) -> None:
    run = cmd("run", "run cases × variants × tools × seeds and score them",
              "deeplocalize run --quick --shared",
              "deeplocalize run --cases so-48385830 --tools deeplocalize,keras_union --seeds 3")
    run.add_argument("--cases", type=csv_list, default=[],
                     help="comma-separated ids (default: every active case of --suite)")
    run.add_argument("--suite", choices=vocab.SUITES, default="real",
                     help="real: the paper's cases (default); mutants: the killed mutants of "
                          "mutants/ (deeplocalize mutants); all: both")
    run.add_argument("--variants", type=csv_list, default=list(vocab.VARIANTS))
    run.add_argument("--tools", type=csv_list, default=list(DEFAULT_TOOLS))
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
    run.add_argument("--keep-traces", action="store_true",
                     help="also save every fit call's full per-batch summaries to "
                          "<unit>/traces/ (for localizer.replay; costs time and disk)")
    run.add_argument("--timeout", type=float, default=900.0, help="seconds per unit")
    run.add_argument("--memory", type=int, default=6144, help="MiB per unit")
    run.add_argument("--executor", default="auto", choices=CHOICES,
                     help="auto (default): docker when an engine is reachable, else local")
    run.add_argument("--image", help="docker: runner image (default deeplocalize/runner:latest)")
    run.add_argument("--start-method", choices=["forkserver", "spawn"],
                     help="local: forkserver (default on Linux) forks each unit's new process "
                     "from a zygote that has imported TensorFlow; spawn starts a new "
                     "interpreter per unit")
    run.add_argument("--cpus", type=float, help="docker: CPU limit per container (default: this "
                     "machine's CPUs / --jobs, a local unit's share); ray: CPUs per task (1)")
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
        share = args.cpus or max(1.0, (os.cpu_count() or 1) / max(1, args.jobs))
        return {"cpus": share, **({"image": args.image} if args.image else {})}
    if args.executor == "ray":
        cpus = args.cpus or 1.0
        inner = {"cpus": cpus, **({"image": args.image} if args.image else {})}
        return {"address": args.ray_address, "inner": args.ray_inner, "cpus": cpus,
                "inner_options": inner if args.ray_inner == "docker" else {}}
    if args.executor == "local" and args.start_method:
        return {"start_method": args.start_method}
    return {}


def execute(config, cases, root: Path, runs_dir: Path, options: dict | None = None,
            rejected: dict[str, str] | None = None) -> Path:
    """Run every pending unit of ``config`` under the run lock; return the run folder.

    ``rejected``: cases whose metadata could not be loaded, written to ``run.json``."""
    from harness.executors import get_executor
    from harness.interrupt import RunInterrupted
    from harness.rundir import hold

    run_dir = (runs_dir / config.run_id).resolve()
    executor = get_executor(config.executor, **(options or {}))
    with hold(run_dir):  # one harness per run, from run.json to the last record
        try:
            _execute_locked(config, cases, root, run_dir, executor, rejected)
        except RunInterrupted:
            print(f"run {config.run_id}: stopped; units in flight were killed and recorded as "
                  f"'interrupted'; rerun --run-id {config.run_id} to resume", file=sys.stderr)
            raise
    return run_dir


def _execute_locked(config, cases, root: Path, run_dir: Path, executor,
                    rejected: dict[str, str] | None = None) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from harness.runner import pending, plan, run_many, write_run_json

    executor.preflight()
    for name in executor.reclaim(config.run_id):
        print(f"run {config.run_id}: removed {name}, left running by a harness that was killed")
    write_run_json(run_dir, config, executor, rejected)
    specs = plan(config, cases)
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


def _run(args: argparse.Namespace, root: Path) -> int:
    from baselines import registry
    from harness.commands.results import print_scores
    from harness.executors import choose
    from harness.runner import RunConfig

    registry.check_names([t for t in args.tools if t != "none"])
    bad = [v for v in args.variants if v not in vocab.VARIANTS]
    if bad:
        raise ValueError(f"unknown variant(s) {bad}; expected {list(vocab.VARIANTS)}")
    cases, rejected = _load_leniently(root, args.cases, args.suite)
    cases = [c for c in cases if c.status == "active" or args.cases]
    if args.suite != "real" and not args.cases:
        from harness.mutants.kill import killed_only

        cases = killed_only(root, cases)
    args.executor, why = choose(args.executor, args.image)
    if why:
        print(why)
    config = RunConfig(
        run_id=args.run_id or new_run_id(), case_ids=tuple(c.id for c in cases),
        variants=tuple(args.variants), tools=tuple(args.tools), seeds=tuple(range(args.seeds)),
        profile=args.profile, semantics=args.semantics, shared=args.shared,
        timeout_s=args.timeout, memory_mb=args.memory, jobs=args.jobs, executor=args.executor,
        keep_traces=args.keep_traces,
    )
    run_dir = execute(config, cases, root, Path(args.runs_dir), _executor_options(args), rejected)
    code = print_scores(run_dir, root, as_json=False, write_report=True,
                        suite=None if args.suite == "all" else args.suite)
    for case_id, why in rejected.items():
        print(f"deeplocalize: error: case {case_id} did not run: {why}", file=sys.stderr)
    return 1 if rejected else code


def _load_leniently(root: Path, ids: list[str], suite: str = "real"
                    ) -> tuple[list, dict[str, str]]:
    """The cases that load, and ``{id: error}`` for those whose metadata is malformed.

    A malformed case does not stop the others (the run goes on, names it, and exits 1); an id
    that names no case folder is a typo and stops the run before anything starts.
    """
    from harness.cases import CaseError, discover, load_case

    known = set(discover(root, "all"))
    unknown = [i for i in ids if i not in known]
    if unknown:
        load_case(root, unknown[0])  # raises the "unknown case ... Known cases: ..." error
    loaded, rejected = [], {}
    for case_id in ids or discover(root, suite):
        try:
            loaded.append(load_case(root, case_id))
        except CaseError as exc:
            rejected[case_id] = str(exc)
            print(f"deeplocalize: error: {exc} (the case is skipped; the run goes on)",
                  file=sys.stderr)
    return loaded, rejected


HANDLERS = {"run": _run, "image": _image, "clean": _clean}
