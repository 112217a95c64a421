"""Per-tool score tables (pure): detection, false alarms, localization, diagnosis, time.

The headline tables are computed over ``score()["tools"]``: the separating pairs with a real
fault. :func:`denominator_table` repeats the rates over every case set of
:data:`harness.scoring.DENOMINATORS` (the paper's 40, every case, the negative control), so a
reader sees each figure next to the denominator it was computed over.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports.cells import (
    DASH,
    Table,
    fmt_epoch,
    fmt_failures,
    fmt_j,
    fmt_num,
    fmt_plain,
    fmt_rate,
    markdown,
)

SUMMARY_DETECTION_COLUMNS = (
    "tool", "buggy_runs", "TP", "FN", "failed_buggy", "missing_buggy", "detection",
    "patched_runs", "FP", "TN", "failed_patched", "missing_patched", "false_alarm", "youden_j",
    "failures",
)
SUMMARY_LOCALIZATION_COLUMNS = (
    "tool", "localized", "localized_exact", "adjacent", "localization", "localization_exact",
    "category_correct", "diagnosis", "median_detect_s", "median_detect_epoch",
    "median_detect_iteration", "overhead",
)
SUMMARY_COLUMNS = SUMMARY_DETECTION_COLUMNS + SUMMARY_LOCALIZATION_COLUMNS[1:]
#: ``summary.csv``: every denominator's rows, told apart by the first column.
SUMMARY_CSV_COLUMNS = ("denominator", *SUMMARY_COLUMNS)
DENOMINATOR_COLUMNS = (
    "denominator", "tool", "cases", "detection", "false_alarm", "youden_j", "localization",
    "localization_exact", "diagnosis",
)


def summary_rows(scores: Mapping[str, Any], tools: Mapping[str, Any] | None = None
                 ) -> list[dict[str, str]]:
    """One row per tool of ``tools`` (default: the headline ``scores["tools"]``): unit counts
    over seeds, rates with Wilson intervals, medians."""
    rows = []
    for tool, s in (scores["tools"] if tools is None else tools).items():
        overhead = DASH
        if s["median_overhead"] is not None:
            overhead = f"{s['median_overhead']:.2f} (n={s['overhead_units']})"
        rows.append({
            "tool": tool,
            "buggy_runs": str(s["buggy_runs"]),
            "TP": str(s["tp"]),
            "FN": str(s["fn"]),
            "failed_buggy": str(s["failed_buggy"]),
            "missing_buggy": str(s["missing_buggy"]),
            "detection": fmt_rate(s["detection"]),
            "patched_runs": str(s["patched_runs"]),
            "FP": str(s["fp"]),
            "TN": str(s["tn"]),
            "failed_patched": str(s["failed_patched"]),
            "missing_patched": str(s["missing_patched"]),
            "false_alarm": fmt_rate(s["false_alarm"]),
            "youden_j": fmt_j(s["youden_j"]) if "youden_j" in s else DASH,
            "failures": fmt_failures(s["failures"]),
            "localized": str(s["localized"]),
            "localized_exact": str(s["localized_exact"]),
            "adjacent": str(s["adjacent"]),
            "localization": fmt_rate(s["localization"]),
            "localization_exact": fmt_rate(s["localization_exact"]),
            "category_correct": (f"{s['category_correct']}/{s['category_named']}"
                                 if s["category_named"] else DASH),
            "diagnosis": fmt_rate(s["diagnosis"]),
            "median_detect_s": fmt_num(s["median_detect_s"]),
            "median_detect_epoch": fmt_epoch(s["median_detect_epoch"]),
            "median_detect_iteration": fmt_plain(s["median_detect_iteration"]),
            "overhead": overhead,
        })
    return rows


def summary_csv_rows(scores: Mapping[str, Any]) -> list[dict[str, str]]:
    """The rows of ``summary.csv``: :func:`summary_rows` for every denominator."""
    rows = []
    for name, group in scores["denominators"].items():
        rows += [{"denominator": name, **row} for row in summary_rows(scores, group["tools"])]
    return rows


def denominator_rows(scores: Mapping[str, Any]) -> list[dict[str, str]]:
    rows = []
    for name, group in scores["denominators"].items():
        for tool, s in group["tools"].items():
            rows.append({
                "denominator": f"{name}: {group['label']}",
                "tool": tool,
                "cases": str(len(group["cases"])),
                "detection": fmt_rate(s["detection"]),
                "false_alarm": fmt_rate(s["false_alarm"]),
                "youden_j": fmt_j(s["youden_j"]) if "youden_j" in s else DASH,
                "localization": fmt_rate(s["localization"]),
                "localization_exact": fmt_rate(s["localization_exact"]),
                "diagnosis": fmt_rate(s["diagnosis"]),
            })
    return rows


def denominator_table(scores: Mapping[str, Any]) -> Table:
    """The per-tool rates over every case set, one row per (set, tool)."""
    return Table(
        "denominators", "Rates over each set of cases",
        "real: pairs that separate on our data and have a real fault (the headline above); "
        "paper: the paper's 40 cases (50079585 excluded, as in the paper); all: every case of "
        "the run; control: the negative control, whose buggy and patched programs are the same "
        "(any detection there is a false alarm on both). Rates are over units (cases × seeds).",
        DENOMINATOR_COLUMNS, denominator_rows(scores))


def summary_tables(scores: Mapping[str, Any]) -> list[Table]:
    rows = summary_rows(scores)
    failed = [{c: "failed" for c in ("failed_buggy", "failed_patched", "failures")
               if r[c] != "0"} for r in rows]
    real = scores["denominators"]["real"]
    over = f"Over {len(real['cases'])} {real['label']} (see the last table for other sets). "
    return [
        Table("summary", "Detection and false alarms",
              over + "Units = one training run per (case, variant, seed). TP/FN on buggy runs, "
              "FP/TN (false alarms) on patched runs. Failed units (timeout, crash, OOM, error) "
              "stay in the denominators, as misses unless the tool had detected before the "
              "failure; missing units (planned, never recorded) do not.",
              SUMMARY_DETECTION_COLUMNS, rows, failed),
        Table("summary", "Localization, diagnosis, time and overhead",
              over + "Localized: the first finding names the ground truth's fault site (a "
              "faulty layer, or the layer with weights and the activation layers that apply "
              "its activation) or a non-layer target the case lists; exact: the faulty layer "
              "itself. A finding one layer off, outside the site, is adjacent, not localized. "
              "Diagnosis: the verdict names a fault category the case lists (or whose target, "
              "e.g. hyperparameter, the case lists); it never counts as localization. Times are "
              "to the first stop request (or finding) of detected buggy runs. Overhead: train "
              "time over the no-tool control of the same case, variant and seed, on comparable "
              "pairs only.",
              SUMMARY_LOCALIZATION_COLUMNS, rows),
        denominator_table(scores),
    ]


def score_table_markdown(scores: Mapping[str, Any], cases: Mapping[str, Any] | None = None) -> str:
    """The compact per-tool tables printed by ``deeplocalize run`` and ``score``: the headline
    set, then the rates over the paper's 40 cases and the negative control, then agreement
    with the paper per column (``deeplocalize reproduce`` lists the cases)."""
    columns = ("tool", "buggy_runs", "TP", "FN", "failed_buggy", "detection", "FP", "TN",
               "failed_patched", "false_alarm", "youden_j", "localized", "localized_exact",
               "diagnosis", "median_detect_s")
    parts = []
    for name in ("real", "paper", "control"):
        group = scores["denominators"][name]
        if not group["cases"]:
            continue
        parts.append(f"{name}: {group['label']} ({len(group['cases'])} cases)\n\n"
                     + markdown(columns, summary_rows(scores, group["tools"])))
    repro = (scores.get("reproduction") or {}).get("columns") or {}
    if repro:
        rows = [{"paper column": c, "agree": f"{s['agree']}/{s['cases']}",
                 "differ": str(s["differ"]), "unexplained": str(s["unexplained"]),
                 "undecided": str(s["undecided"])} for c, s in repro.items()]
        parts.append("reproduction: our verdicts against the paper's Tables VI/VII "
                     "(deeplocalize reproduce RUN lists every difference and its reason)\n\n"
                     + markdown(tuple(rows[0]), rows))
    return "\n\n".join(parts)
