"""``deeplocalize score``, ``report`` and ``reproduce``: pure readers of a run's records (never
re-run).

Both take a run id (looked up in ``--runs-dir``) or a path to a run folder
(:func:`harness.results.resolve_run`), e.g. ``runs/<id>`` as ``deeplocalize run`` prints it.
With ``--against REF`` (``reference``: the shipped reference run, or a reference folder) the
reference's tools join every table (:mod:`harness.reference`): a new tool run alone is ranked
beside all the others; cases changed since the reference are named and left out.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from harness import vocab

#: ``deeplocalize score --format``: the Markdown tables, the score dict, the per-tool table.
FORMATS = ("table", "json", "csv")
_RUN_HELP = "a run id (in --runs-dir) or the path to a run folder"
_SUITE_HELP = ("real (the paper's cases), mutants (mutants/) or all (one table for both); "
               "default: each suite the run holds, on its own")
_AGAINST_HELP = ("compare with a reference run: 'reference' (the shipped one, benchmarks/"
                 "reference) or a reference folder; its tools join every table, cases changed "
                 "since it are listed as stale and not compared")


def add_parsers(cmd: Callable[..., argparse.ArgumentParser]) -> None:
    score = cmd("score", "score a run (pure: reads records, never re-runs)",
                "deeplocalize score 20261125-120000", "deeplocalize score runs/20261125-120000",
                "deeplocalize score RUN --format csv > scores.csv",
                "deeplocalize score RUN --against reference")
    score.add_argument("run", metavar="RUN", help=_RUN_HELP)
    score.add_argument("--format", choices=FORMATS, default=None,
                       help="table: the score tables (Markdown, default); json: every figure; "
                            "csv: the per-tool table, one row per (denominator, tool)")
    score.add_argument("--json", action="store_true", help="the same as --format json")
    score.add_argument("--runs-dir", default="runs", help="where run ids are looked up")
    score.add_argument("--against", metavar="REF", help=_AGAINST_HELP)
    score.add_argument("--suite", choices=vocab.SUITES, help=_SUITE_HELP)

    report = cmd("report", "write a run's report (HTML, Markdown, CSV; pure: never re-runs)",
                 "deeplocalize report RUN", "deeplocalize report RUN --format md,csv --out /tmp/r",
                 "deeplocalize report RUN --against reference")
    report.add_argument("run", metavar="RUN", help=_RUN_HELP)
    report.add_argument("--runs-dir", default="runs", help="where run ids are looked up")
    report.add_argument("--out", help="folder (default: the run's report/, with --against "
                        "report-against-<reference folder name>/)")
    report.add_argument("--format", default="html,md,csv",
                        help="comma-separated: html, md, csv (default all)")
    report.add_argument("--against", metavar="REF", help=_AGAINST_HELP)
    report.add_argument("--suite", choices=vocab.SUITES, help=_SUITE_HELP)

    repro = cmd("reproduce", "how far a run reproduces the paper: per case and paper column, "
                "ours, the paper's and the recorded reason for a difference (pure)",
                "deeplocalize reproduce RUN", "deeplocalize reproduce RUN --all",
                "deeplocalize reproduce RUN --format json")
    repro.add_argument("run", metavar="RUN", help=_RUN_HELP)
    repro.add_argument("--runs-dir", default="runs", help="where run ids are looked up")
    repro.add_argument("--all", action="store_true",
                       help="every case and column, not only the differences")
    repro.add_argument("--format", choices=("table", "json"), default="table")


def suites_to_show(run_dir: Path, root: Path, suite: str | None) -> list[str]:
    """``[suite]`` when one is asked for, else each suite the run holds (``all`` for none)."""
    from harness.results import run_suites

    return [suite] if suite else (run_suites(run_dir, root) or ["all"])


def print_scores(run_dir: Path, root: Path, as_json: bool = False, write_report: bool = False,
                 fmt: str | None = None, against: str | None = None,
                 suite: str | None = None) -> int:
    """Score each suite of ``run_dir`` on its own (:func:`suites_to_show`); see
    :func:`print_suite_scores`."""
    suites = suites_to_show(run_dir, root, suite)
    for name in suites:
        if len(suites) > 1 and fmt in (None, "table") and not as_json:
            print(f"\n# Suite: {name}\n")
        print_suite_scores(run_dir, root, as_json, write_report, fmt, against, name,
                           sub=name if len(suites) > 1 else None)
    return 0


def print_suite_scores(run_dir: Path, root: Path, as_json: bool = False,
                       write_report: bool = False, fmt: str | None = None,
                       against: str | None = None, suite: str = "all",
                       sub: str | None = None) -> int:
    """Score ``run_dir``'s ``suite``, write its ``scores.json`` (``scores-<sub>.json`` and the
    report under ``report/<sub>/`` when the run holds several suites) and print the scores.

    Args:
        run_dir: The run folder.
        root: The benchmark root.
        as_json: The same as ``fmt="json"``.
        write_report: Also write the run's report (every format) and print where.
        fmt: One of :data:`FORMATS` (default ``table``, or ``json`` with ``as_json``).
        against: A reference (:func:`harness.reference.load`): its tools join the tables. The
            lines naming it and its stale cases come first (on stderr for ``csv`` and ``json``;
            ``json`` has them under ``reference``), and the run's ``scores.json`` (its own
            figures) is left as it is.
    """
    from harness.reporting import load_run
    from harness.results import tool_table
    from reports.render import write_report as write_report_files
    from reports.summary import score_table_markdown

    fmt = fmt or ("json" if as_json else "table")
    if fmt not in FORMATS:
        raise ValueError(f"unknown score format {fmt!r}; expected one of {', '.join(FORMATS)}")
    data = load_run(run_dir, root, against=against, suite=suite)
    if against is None:
        name = f"scores-{sub}.json" if sub else "scores.json"
        (run_dir / name).write_text(json.dumps(data.scores, indent=1, allow_nan=False))
    else:
        from harness.reference import note

        print("\n".join(note(data.scores["reference"])) + ("\n" if fmt == "table" else ""),
              file=sys.stdout if fmt == "table" else sys.stderr)
    if fmt == "json":
        print(json.dumps(data.scores, indent=1))
    elif fmt == "csv":
        print(tool_table(data.scores).to_csv(index=False, float_format="%.10g"), end="")
    else:
        print(score_table_markdown(data.scores))
    if write_report:
        paths = write_report_files(data, out=run_dir / "report" / sub if sub else None)
        print(f"report: {paths[0].parent / 'index.html'} ({len(paths)} files)")
    return 0


def _score(args: argparse.Namespace, root: Path) -> int:
    from harness.results import resolve_run

    if args.json and args.format not in (None, "json"):
        raise ValueError(f"--json and --format {args.format} contradict each other; give one")
    run_dir = resolve_run(args.run, args.runs_dir)
    return print_scores(run_dir, root, args.json, write_report=False, fmt=args.format,
                        against=args.against, suite=args.suite)


def _report(args: argparse.Namespace, root: Path) -> int:
    from harness.reference import note
    from harness.reporting import load_run
    from harness.results import resolve_run
    from reports.render import parse_formats, write_report

    formats = parse_formats(args.format)
    run_dir = resolve_run(args.run, args.runs_dir)
    suites = suites_to_show(run_dir, root, args.suite)
    for suite in suites:
        data = load_run(run_dir, root, against=args.against, suite=suite)
        out = Path(args.out) if args.out else None
        if args.against is not None:
            summary = data.scores["reference"]
            print("\n".join(note(summary)))
            out = out or run_dir / f"report-against-{Path(summary['path']).name}"
        if len(suites) > 1:  # each suite on its own, in a folder named for it
            out = (out or run_dir / "report") / suite
        for path in write_report(data, formats=formats, out=out):
            print(path)
    return 0


def _reproduce(args: argparse.Namespace, root: Path) -> int:
    from harness.reporting import load_run
    from harness.results import resolve_run
    from reports.cells import table_markdown
    from reports.reproduction import cases_table, columns_table, non_separating_table

    rep = load_run(resolve_run(args.run, args.runs_dir), root).scores["reproduction"]
    if args.format == "json":
        print(json.dumps(rep, indent=1))
        return 0
    tables = (columns_table(rep), cases_table(rep, differences_only=not args.all),
              non_separating_table(rep))
    print("\n\n".join(table_markdown(t) for t in tables))
    return 0


HANDLERS = {"score": _score, "report": _report, "reproduce": _reproduce}
