"""Rows for the score tables (pure), and their Markdown and CSV writers.

One source of truth: :func:`summary_rows` and :func:`matrix_rows` build plain rows from the
output of :func:`harness.scoring.score`; every format renders those same rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SUMMARY_COLUMNS = (
    "tool", "buggy_runs", "TP", "FN", "failed_buggy", "detection_rate", "patched_runs", "FP",
    "TN", "failed_patched", "localized", "adjacent", "median_detect_s", "median_detect_iteration",
    "paper_detected",
)


def _rate(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "–"


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def paper_totals(cases: Mapping[str, Any], tool: str) -> str:
    """The paper's detected count for ``tool`` over the given cases, e.g. ``"2/3"``."""
    runs = [c.meta["paper"].get(tool) for c in cases.values()]
    ran = [r for r in runs if r is not None and r.get("run", True) and "detected" in r]
    return f"{sum(r['detected'] for r in ran)}/{len(ran)}" if ran else "–"


def summary_rows(scores: Mapping[str, Any], cases: Mapping[str, Any]) -> list[dict[str, str]]:
    rows = []
    for tool, s in scores["tools"].items():
        rows.append({
            "tool": tool,
            "buggy_runs": str(s["buggy_runs"]),
            "TP": str(s["tp"]),
            "FN": str(s["fn"]),
            "failed_buggy": str(s["failed_buggy"]),
            "detection_rate": _rate(s["tp"], s["buggy_runs"]),
            "patched_runs": str(s["patched_runs"]),
            "FP": str(s["fp"]),
            "TN": str(s["tn"]),
            "failed_patched": str(s["failed_patched"]),
            "localized": str(s["localized"]),
            "adjacent": str(s["adjacent"]),
            "median_detect_s": _num(s["median_detect_s"]),
            "median_detect_iteration": _num(s["median_detect_iteration"], 0),
            "paper_detected": paper_totals(cases, tool),
        })
    return rows


def matrix_rows(scores: Mapping[str, Any]) -> tuple[list[str], list[dict[str, str]]]:
    """Case × tool cells like ``TP+L,TP | TN`` (buggy seeds | patched seeds)."""
    tools = list(scores["tools"])
    rows = []
    for case_id, row in scores["matrix"].items():
        cells = {"case": case_id}
        for tool in tools:
            by_variant = row.get(tool, {})
            cells[tool] = " | ".join(
                ",".join(by_variant.get(v, [])) or "–" for v in ("buggy", "patched")
            )
        rows.append(cells)
    return ["case", *tools], rows


def markdown(columns: list[str] | tuple[str, ...], rows: list[dict[str, str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(row[c] for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def to_csv(columns: list[str] | tuple[str, ...], rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def score_table_markdown(scores: Mapping[str, Any], cases: Mapping[str, Any] | None = None) -> str:
    rows = summary_rows(scores, cases or {})
    columns = [c for c in SUMMARY_COLUMNS if cases or c != "paper_detected"]
    return markdown(columns, rows)


def write_reports(
    run_dir: Path,
    scores: Mapping[str, Any],
    cases: Mapping[str, Any],
    latest: Mapping[str, Any],
    out: Path | None = None,
) -> list[Path]:
    """Write ``report.md``, ``summary.csv`` and ``matrix.csv``; return their paths."""
    out = out or run_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    summary = summary_rows(scores, cases)
    matrix_columns, matrix = matrix_rows(scores)
    statuses: dict[str, int] = {}
    for record in latest.values():
        statuses[record["status"]] = statuses.get(record["status"], 0) + 1
    text = "\n\n".join([
        f"# DeepLocalize Bench: run `{run_dir.name}`",
        f"{len(cases)} case(s), {len(latest)} record(s); statuses: "
        + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
        "## Per tool\n\nTP/FN on buggy runs, FP/TN (false alarms) on patched runs; failed units "
        "(timeout, crash, OOM, error) stay in the denominators. `paper_detected` is the paper's "
        "count for the same cases.",
        markdown(SUMMARY_COLUMNS, summary),
        "## Per case\n\nCells: buggy seeds | patched seeds. `TP+L`: detected and localized.",
        markdown(matrix_columns, matrix),
    ])
    paths = [out / "report.md", out / "summary.csv", out / "matrix.csv"]
    paths[0].write_text(text + "\n")
    paths[1].write_text(to_csv(SUMMARY_COLUMNS, summary))
    paths[2].write_text(to_csv(matrix_columns, matrix))
    return paths
