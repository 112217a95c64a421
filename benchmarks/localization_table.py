"""Per case: the ground-truth fault site, a tool's first finding on every seed, and the paper.

A script, not a test: it reads a finished run (records and case metadata, nothing is re-run)
and prints one Markdown row per case with, for the buggy and the patched variant, the first
finding (code@layer, or the target for non-layer findings; ``–`` when the tool found nothing)
of each seed, how each buggy finding grades against the site (``E`` exact, ``S`` site, ``A``
adjacent, ``W`` wrong), and the paper's published verdict for the same column.

    python benchmarks/localization_table.py runs/RUN [--tool deeplocalize] [--root .]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.cases import load_cases  # noqa: E402
from harness.records import latest  # noqa: E402
from harness.scoring import in_paper, is_control  # noqa: E402
from harness.tally import score_record  # noqa: E402

GRADE = {"exact": "E", "site": "S", "adjacent": "A", "wrong": "W", "none": ""}


def _verdict(record: dict) -> dict:
    """The verdict scoring reads: the tool's own, or what it streamed before a failure."""
    key = "verdict" if record["status"] == "completed" else "partial_verdict"
    return record.get(key) or {}


def _first(record: dict) -> dict | None:
    findings = _verdict(record).get("findings") or []
    return findings[0] if findings else None


def _cell(record: dict | None) -> str:
    if record is None:
        return "missing"
    first = _first(record)
    status = "" if record["status"] == "completed" else f" ({record['status']})"
    if first is None:
        return ("stop" if _verdict(record).get("stop") else "–") + status
    where = first.get("layer_index") if first.get("target") == "layer" else first.get("target")
    return f"{first.get('code')}@{where}{status}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="the run folder (runs/<id>)")
    parser.add_argument("--tool", default="deeplocalize")
    parser.add_argument("--root", type=Path, default=ROOT, help="benchmark root")
    args = parser.parse_args(argv)
    records = [r for r in latest(args.run).values() if r["tool"] == args.tool]
    cases = {c.id: c for c in load_cases(args.root, sorted({r["case_id"] for r in records}))}
    seeds = sorted({r["seed"] for r in records})
    by_key = {(r["case_id"], r["variant"], r["seed"]): r for r in records}
    print("| case | set | site / target | buggy: first finding per seed | grade | patched | "
          "paper: detected / localized |")
    print("|---|---|---|---|---|---|---|")
    for case_id, case in sorted(cases.items()):
        group = ("control" if is_control(case) else "real" if case.separates else "non-sep")
        group += "" if in_paper(case) else ", not in paper"
        truth = ",".join(str(i) for i in sorted(case.site_layers)) or "–"
        if case.targets != ("layer",):
            truth += "; " + ",".join(t for t in case.targets if t != "layer")
        buggy = [by_key.get((case_id, "buggy", s)) for s in seeds]
        patched = [by_key.get((case_id, "patched", s)) for s in seeds]
        outcomes = [score_record(case, r) if r else None for r in buggy]
        grades = [GRADE[o.localization] if o and o.detected else "" for o in outcomes]
        paper = (case.meta.get("paper") or {}).get(args.tool) or {}
        published = ("not run" if paper.get("run") is False else
                     f"{'✓' if paper.get('detected') else '✗'} / "
                     f"{'✓' if paper.get('localized') else '✗'}" if paper else "–")
        print(f"| {case_id} | {group} | {truth} | {' '.join(_cell(r) for r in buggy)} | "
              f"{' '.join(g or '·' for g in grades)} | {' '.join(_cell(r) for r in patched)} | "
              f"{published} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
