"""The reproduction tables: per paper column how many cases agree with the paper and why the
others differ, and per case every column with the measured numbers (``scores["reproduction"]``,
built by ``harness/reproduction.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports.cells import DASH, Table

REASON_TEXT = {
    "port:data": "port: data stand-in", "port:semantics": "port: loss semantics",
    "port:profile": "port: profile", "port:program": "port: program (Keras 3)",
    "seed": "chance (unseeded original)", "paper": "the paper", "tool": "the tool",
}
STATE_TEXT = {"agree": "agrees", "explained": "differs", "unexplained": "differs, no reason",
              "stale": "agrees (stale reason)", "undecided": "undecided"}
STATE_CLASS = {"agree": "agree", "stale": "split", "explained": "differ",
               "unexplained": "failed", "undecided": "split"}


def _mark(value: bool | None) -> str:
    return DASH if value is None else ("✓" if value else "✗")


def columns_table(reproduction: Mapping[str, Any]) -> Table:
    """Per paper column: agreement with the paper and the reasons for the differences."""
    rows = []
    for column, s in reproduction["columns"].items():
        explained = ", ".join(f"{REASON_TEXT.get(k, k)} {v}" for k, v in s["explained"].items())
        rows.append({
            "paper_column": column, "cases": str(s["cases"]),
            "agree": f"{s['agree']}/{s['cases']}", "differ": str(s["differ"]),
            "explained": explained or DASH, "unexplained": str(s["unexplained"]),
            "undecided": str(s["undecided"]), "stale": str(s["stale"]),
            "ours_detected": str(s["ours_detected"]), "paper_detected": str(s["paper_detected"]),
        })
    return Table(
        "reproduction_columns", "Reproduction of the paper, per column",
        "Our verdict on each case's buggy program (majority of seeds) against Tables VI/VII. "
        "The Keras columns are pure functions of the loss and accuracy per epoch, so a "
        "difference there means our port trains differently from the original. Reasons are "
        "recorded per case ([[reproduction]] in case.toml) from measurements; a difference "
        "without one is unexplained, a reason whose column now agrees is stale.",
        ("paper_column", "cases", "agree", "differ", "explained", "unexplained", "undecided",
         "stale", "ours_detected", "paper_detected"), rows)


def cases_table(reproduction: Mapping[str, Any], *, differences_only: bool = False) -> Table:
    """Per case and paper column: the paper's verdict, ours with the per-seed numbers, and the
    reason for a difference."""
    rows, classes = [], []
    for r in reproduction["rows"]:
        if differences_only and r["state"] == "agree":
            continue
        reasons = "; ".join(f"{REASON_TEXT.get(k, k)}: {m}"
                            for k, m in zip(r["reasons"], r["reason_measured"], strict=True))
        paper = _mark(r["paper"])
        if r["paper_epoch"] is not None:
            paper += f" (epoch {r['paper_epoch']})"
        rows.append({
            "case": r["case_id"], "paper_column": r["column"], "paper_detected": paper,
            "ours_detected": f"{r['ours']} ({r['seeds']})", "state": STATE_TEXT[r["state"]],
            "reason": reasons or DASH, "measured": "; ".join(r["measured"]) or DASH,
            "data": r["data"], "profile": r["profile"],
        })
        classes.append({"state": STATE_CLASS[r["state"]]})
    title = ("Differences from the paper, per case" if differences_only
             else "Every case and paper column")
    return Table(
        "reproduction_cases", title,
        "paper: Tables VI/VII (✓ detected, the epoch it reports). ours: majority of seeds "
        "(each seed's cell). measured: per buggy seed where the callback stopped (1-based "
        "epoch) or that it did not, and the final training loss and accuracy.",
        ("case", "paper_column", "paper_detected", "ours_detected", "state", "reason",
         "measured", "data", "profile"), rows, classes)


def non_separating_table(reproduction: Mapping[str, Any]) -> Table:
    """The cases whose buggy and patched programs do not separate on our data, and why."""
    rows = [{"case": r["case_id"], "reason": r["reason"] or DASH,
             "measured": r["measured"] or DASH} for r in reproduction["non_separating"]]
    return Table(
        "reproduction_non_separating", "Pairs that do not separate",
        "From each case's oracle (separates = false): the measured numbers and the reason.",
        ("case", "reason", "measured"), rows)


def reproduction_tables(scores: Mapping[str, Any]) -> dict[str, Table]:
    """The three reproduction tables of a run's scores (empty tables for older scores)."""
    rep = scores.get("reproduction") or {"rows": [], "columns": {}, "non_separating": []}
    return {"reproduction_columns": columns_table(rep),
            "reproduction_cases": cases_table(rep),
            "reproduction_non_separating": non_separating_table(rep)}
