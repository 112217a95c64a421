"""Table cells: the :class:`Table` type, column labels, number formatting, Markdown and CSV.

The only place numbers become text. Every report table (:mod:`reports.summary`,
:mod:`reports.tables`, :mod:`reports.views`) is a :class:`Table` of plain string cells that HTML,
Markdown and CSV render alike.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

DASH = "–"
HIT = ("TP", "TP+L")
KNOWN_CELLS = {"TP", "TP+L", "FN", "FP", "TN", "missing"}

#: Column key -> header (HTML and Markdown). CSV headers are the keys themselves.
LABELS: dict[str, str] = {
    "buggy_runs": "buggy runs", "failed_buggy": "failed (buggy)",
    "missing_buggy": "missing (buggy)", "detection": "detection rate [95% CI]",
    "patched_runs": "patched runs", "failed_patched": "failed (patched)",
    "missing_patched": "missing (patched)", "false_alarm": "false-alarm rate [95% CI]",
    "failures": "failed by status", "localized": "localized (site)",
    "localized_exact": "localized (exact layer)", "adjacent": "adjacent layer",
    "localization": "localization rate (site) [95% CI]",
    "localization_exact": "localization rate (exact) [95% CI]",
    "diagnosis": "diagnosis rate [95% CI]", "denominator": "cases scored",
    "category_correct": "category correct / named", "median_detect_s": "median time to detect (s)",
    "median_detect_epoch": "median epoch (1-based)", "median_detect_iteration": "median iteration",
    "overhead": "median overhead vs none (×)", "flags": "flags",
    "ours_detected": "ours: detected", "paper_detected": "paper: detected",
    "detection_vs_paper": "detection vs paper", "ours_localized": "ours: localized",
    "paper_localized": "paper: localized", "localization_vs_paper": "localization vs paper",
    "our_time_s": "ours: time (s)", "paper_time_s": "paper: time (s)",
    "our_epoch": "ours: epoch (1-based)", "paper_epoch": "paper: epoch",
    "our_iteration": "ours: iteration", "paper_iteration": "paper: iteration",
    "paper_column": "paper column", "cases": "cases", "agree": "agree", "differ": "differ",
    "undecided": "undecided", "localization_agree": "localization agree",
    "localization_differ": "localization differ", "flaky": "flaky cases",
    "headline_detected": "paper headline: detected",
    "headline_localized": "paper headline: localized", "method": "paper method",
    "mean_stop_s": "paper: mean time to stop (s)",
    "scope": "over", "in_run": "this run (cases, majority of seeds)", "note": "note",
    "detections": "detections", "min_s": "min (s)", "median_s": "median (s)", "max_s": "max (s)",
    "median_epoch": "median epoch (1-based)", "median_iteration": "median iteration",
    "paper_median_s": "paper: median time over the same cases (s)", "pairs": "runs with a control",
    "comparable": "comparable pairs", "median_ratio": "median ratio (×)",
    "min_ratio": "min (×)", "max_ratio": "max (×)", "error": "error", "log_dir": "log folder",
    "first_finding": "first finding", "localization_verdict": "localization",
    "verdict_category": "category named", "final_loss": "final loss",
    "final_accuracy": "final accuracy", "train_s": "train time (s)",
    "overhead_ratio": "overhead vs none (×)",
}


@dataclass(frozen=True)
class Table:
    """One table. ``rows`` are the cells as text (what Markdown and CSV write); ``classes`` and
    ``links`` (per row: column -> CSS class / relative href) only decorate the HTML."""

    name: str  # file stem of its CSV
    title: str
    caption: str
    columns: tuple[str, ...]
    rows: list[dict[str, str]]
    classes: list[dict[str, str]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [LABELS.get(c, c) for c in self.columns]

    def cells(self) -> list[list[dict[str, str]]]:
        """Rows as ``{text, cls, href}`` cells in column order (the HTML view model)."""
        out = []
        for i, row in enumerate(self.rows):
            classes = self.classes[i] if i < len(self.classes) else {}
            links = self.links[i] if i < len(self.links) else {}
            out.append([{"text": row[c], "cls": classes.get(c, ""), "href": links.get(c, "")}
                        for c in self.columns])
        return out


# -- formatting (the only place numbers become text) ---------------------------------------------

def fmt_num(value: float | None, digits: int = 2) -> str:
    return DASH if value is None else f"{value:.{digits}f}"


def fmt_plain(value: float | None) -> str:
    """Counts and medians of counts: ``4``, ``4.5``."""
    if value is None:
        return DASH
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def fmt_epoch(value: float | None) -> str:
    """A 0-based epoch as the paper counts it (1-based)."""
    return DASH if value is None else fmt_plain(value + 1)


def fmt_rate(r: Mapping[str, Any]) -> str:
    """``50% [9–91%]`` (Wilson 95 % interval); ``–`` with no runs."""
    if not r["n"]:
        return DASH
    return f"{r['rate']:.0%} [{r['low']:.0%}–{r['high']:.0%}]"


def fmt_j(r: Mapping[str, Any]) -> str:
    """Youden's J ``0.62 [0.41, 0.80]``; ``–`` with no runs."""
    if r.get("rate") is None:
        return DASH
    return f"{r['rate']:.2f} [{r['low']:.2f}, {r['high']:.2f}]"


def fmt_failures(failures: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(failures.items())) or "0"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(columns: list[str] | tuple[str, ...], rows: list[dict[str, str]],
             labels: Sequence[str] | None = None) -> str:
    header = labels or columns
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_md_cell(row[c]) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def table_markdown(table: Table) -> str:
    body = markdown(table.columns, table.rows, table.labels) if table.rows else "_(none)_"
    return f"### {table.title}\n\n{table.caption}\n\n{body}"


def to_csv(columns: list[str] | tuple[str, ...], rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
