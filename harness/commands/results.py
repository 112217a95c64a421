"""``deeplocalize score`` and ``report``: pure readers of a run's records (never re-run)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path


def add_parsers(cmd: Callable[..., argparse.ArgumentParser]) -> None:
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


def print_scores(run_dir: Path, root: Path, as_json: bool, write_report: bool) -> int:
    """Score ``run_dir``, write its ``scores.json``, print the table (and write the report)."""
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
    return print_scores(Path(args.runs_dir) / args.run_id, root, args.json, write_report=False)


def _report(args: argparse.Namespace, root: Path) -> int:
    from harness.reporting import load_run
    from reports.render import parse_formats, write_report

    formats = parse_formats(args.format)
    data = load_run(Path(args.runs_dir) / args.run_id, root)
    for path in write_report(data, formats=formats, out=Path(args.out) if args.out else None):
        print(path)
    return 0


HANDLERS = {"score": _score, "report": _report}
