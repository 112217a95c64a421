"""Rows for the per-case, paper, time, overhead and failure tables (pure).

One source of truth: the ``*_table`` functions here and in :mod:`reports.summary` turn the
output of
:func:`harness.scoring.score` (plus, for failures, the records) into :class:`Table` objects of
plain string cells. HTML (``reports/render.py``), Markdown and CSV all render those same rows;
no number is computed anywhere else and templates do no arithmetic.
"""

from __future__ import annotations

import statistics
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from reports.cells import (
    DASH,
    HIT,
    KNOWN_CELLS,
    Table,
    fmt_epoch,
    fmt_j,
    fmt_num,
    fmt_plain,
    fmt_rate,
)
from reports.reproduction import cases_table, reproduction_tables
from reports.summary import summary_tables

#: The paper's headline totals (data, transcribed from the paper; package data of ``reports``).
PAPER_TOTALS = Path(__file__).with_name("paper_totals.toml")
# -- paper headline totals (data file) -----------------------------------------------------------

def load_paper_headline() -> dict[str, Any]:
    """``reports/paper_totals.toml``: the paper's headline totals, transcribed from the paper."""
    return tomllib.loads(PAPER_TOTALS.read_text(encoding="utf-8"))


# -- per case ------------------------------------------------------------------------------------

def _failed_cells(cells: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in cells:
        if c not in KNOWN_CELLS:
            out[c] = out.get(c, 0) + 1
    return out


def paper_mark(result: Mapping[str, Any]) -> str:
    """The paper's verdict for a (case, tool): ``✓``, ``✓L``, ``✗``, ``–`` (not run), or ``""``
    when there is nothing published to compare with."""
    paper = result["paper"]
    if paper is None or result["paper_column"] is None:
        return ""
    if paper.get("run") is False:
        return DASH
    if "detected" not in paper:
        return ""
    if not paper["detected"]:
        return "✗"
    return "✓L" if paper.get("localized") else "✓"


def matrix_cell(result: Mapping[str, Any]) -> dict[str, str]:
    """One (case, tool) cell in parts: ``mark`` (majority verdict on buggy), ``seeds``
    (detections / buggy seeds run), ``loc`` (localized seeds, when not a majority), ``fa``
    (false alarms / patched seeds run), ``failures`` (failed and missing units),
    ``paper`` (the paper's mark), ``vs`` (``differs`` when ours and the paper's disagree),
    ``cls`` (CSS class) and ``text`` (all parts as one string, for Markdown and CSV)."""
    buggy, patched = result["buggy"], result["patched"]
    ran_b = [c for c in buggy if c != "missing"]
    ran_p = [c for c in patched if c != "missing"]
    failures = _failed_cells(buggy + patched)
    missing = (buggy + patched).count("missing")
    verdict = result["detected"]
    if verdict == "yes":
        mark = "✓L" if result["localized"] == "yes" else "✓"
    else:
        mark = {"no": "✗", "split": "split", "failed": "failed", "missing": "missing"}[verdict]
    localized = buggy.count("TP+L")
    parts = {
        "mark": mark,
        "seeds": f"{sum(c in HIT for c in buggy)}/{len(ran_b)}" if ran_b else "",
        "loc": f"L {localized}/{len(ran_b)}" if localized and result["localized"] != "yes"
        else "",
        "fa": f"FA {patched.count('FP')}/{len(ran_p)}" if ran_p else "",
        "failures": ", ".join([f"{v} {k}" for k, v in sorted(failures.items())]
                              + ([f"{missing} missing"] if missing else [])),
        "paper": paper_mark(result),
        "vs": "differs" if "differ" in (result["detection_vs_paper"],
                                         result["localization_vs_paper"]) else "",
    }
    ours = " ".join(p for p in (parts["mark"], parts["seeds"]) if p)
    paper = f"paper {parts['paper']}" + (" (differs)" if parts["vs"] else "")
    text = [ours, parts["loc"], parts["fa"], parts["failures"], paper if parts["paper"] else ""]
    parts["text"] = " · ".join(p for p in text if p)
    parts["cls"] = " ".join(filter(None, [verdict, "differ" if parts["vs"] else "",
                                          "flaky" if result["flaky"] else ""]))
    return parts


def case_flags(case_id: str, scores: Mapping[str, Any]) -> str:
    info = scores["cases"][case_id]
    flags = [] if info["separates"] else ["non-separating"]
    flaky = [t for t, r in info["tools"].items() if r["flaky"]]
    if flaky:
        flags.append("flaky: " + ", ".join(flaky))
    return "; ".join(flags)


def matrix_rows(scores: Mapping[str, Any]) -> tuple[list[str], list[dict[str, str]]]:
    """Case × tool cells (see :func:`matrix_cell`), plus a ``flags`` column per case."""
    tools = list(scores["tools"])
    rows = []
    for case_id, info in scores["cases"].items():
        row = {"case": case_id, "flags": case_flags(case_id, scores)}
        for tool in tools:
            result = info["tools"].get(tool)
            row[tool] = matrix_cell(result)["text"] if result else DASH
        rows.append(row)
    return ["case", "flags", *tools], rows


def matrix_table(scores: Mapping[str, Any], link: str = "cases/{case}.html") -> Table:
    columns, rows = matrix_rows(scores)
    classes, links = [], []
    for row in rows:
        info = scores["cases"][row["case"]]
        cls = {t: matrix_cell(r)["cls"] for t, r in info["tools"].items()}
        cls["case"] = "" if info["separates"] else "nonsep"
        classes.append(cls)
        links.append({"case": link.format(case=row["case"])})
    return Table(
        "matrix", "Case × tool",
        "Cell: our verdict by majority of seeds on the buggy program (✓ detected, ✓L detected "
        "and localized, ✗ missed, split = tie between seeds, failed = no seed completed), "
        "detections / buggy seeds run, L = localized seeds when not a majority, FA = false "
        "alarms / patched seeds run, failed and missing units, then the paper's verdict for "
        "the same tool (– = not run by the paper). Non-separating: buggy and patched do not "
        "differ on our data, so detection there is not meaningful.",
        tuple(columns), rows, classes, links)


def _paper_bool(paper: Mapping[str, Any] | None, key: str) -> str:
    if paper is None:
        return ""
    if paper.get("run") is False:
        return DASH
    if key not in paper:
        return ""
    return "✓" if paper[key] else "✗"


def _seed_count(result: Mapping[str, Any], hits: Sequence[str]) -> str:
    ran = [c for c in result["buggy"] if c != "missing"]
    return f" ({sum(c in hits for c in ran)}/{len(ran)})" if ran else ""


def paper_cases_table(scores: Mapping[str, Any]) -> Table:
    """Per case and tool: our majority verdicts next to the paper's published ones."""
    rows, classes = [], []
    for case_id, info in scores["cases"].items():
        flags = "" if info["separates"] else "non-separating"
        for tool, r in info["tools"].items():
            paper = r["paper"] or {}
            rows.append({
                "case": case_id, "tool": tool,
                "paper_column": r["paper_column"] or DASH,
                "ours_detected": r["detected"] + _seed_count(r, HIT),
                "paper_detected": _paper_bool(r["paper"], "detected") or DASH,
                "detection_vs_paper": r["detection_vs_paper"],
                "ours_localized": r["localized"] + _seed_count(r, ("TP+L",)),
                "paper_localized": _paper_bool(r["paper"], "localized") or DASH,
                "localization_vs_paper": r["localization_vs_paper"],
                "our_time_s": fmt_num(r["median_detect_s"]),
                "paper_time_s": fmt_num(paper.get("time_s")),
                "our_epoch": fmt_epoch(r["median_detect_epoch"]),
                "paper_epoch": fmt_plain(paper.get("epoch")),
                "our_iteration": fmt_plain(r["median_detect_iteration"]),
                "paper_iteration": fmt_plain(paper.get("iteration")),
                "flags": "; ".join(filter(None, [flags, "flaky" if r["flaky"] else ""])),
            })
            classes.append({k: r[k] for k in ("detection_vs_paper", "localization_vs_paper")})
    columns = ("case", "tool", "paper_column", "ours_detected", "paper_detected",
               "detection_vs_paper", "ours_localized", "paper_localized",
               "localization_vs_paper", "our_time_s", "paper_time_s", "our_epoch", "paper_epoch",
               "our_iteration", "paper_iteration", "flags")
    return Table(
        "paper_cases", "Our verdicts next to the paper's, per case",
        "Ours: majority of seeds (detections / seeds run). Our times are medians over the "
        "detected buggy seeds on this run's hardware; the paper's are from its Tables VI/VII "
        "(different hardware, data and Keras version). The paper's epochs count from 1; so do "
        "ours here. undecided: a tie between seeds or no completed seed.",
        columns, rows, classes)


def _frac(k: int | None, n: int) -> str:
    return DASH if k is None or not n else f"{k}/{n}"


def paper_totals_table(scores: Mapping[str, Any], headline: Mapping[str, Any]) -> Table:
    """Per tool: our case totals, the paper's totals over the same cases, its headline totals."""
    methods = {m["column"]: m for m in headline["method"]}
    rows = []
    for tool, t in scores["paper"].items():
        method = methods.get(t["paper_column"] or "")
        flaky = sum(r["tools"][tool]["flaky"] for r in scores["cases"].values()
                    if tool in r["tools"])
        rows.append({
            "tool": tool, "paper_column": t["paper_column"] or DASH, "cases": str(t["cases"]),
            "ours_detected": _frac(t["ours_detected"], t["cases"]),
            "paper_detected": _frac(t["paper_detected"], t["paper_cases"]),
            "agree": str(t["agree"]), "differ": str(t["differ"]),
            "undecided": str(t["ours_undecided"]),
            "ours_localized": _frac(t["ours_localized"], t["cases"]),
            "paper_localized": _frac(t["paper_localized"], t["paper_cases"]),
            "localization_agree": str(t["localization_agree"]),
            "localization_differ": str(t["localization_differ"]),
            "flaky": str(flaky),
            "headline_detected": _frac(method["detected"], method["of"]) if method else DASH,
            "headline_localized": _frac(method["localized"], method["of"]) if method else DASH,
        })
    columns = ("tool", "paper_column", "cases", "ours_detected", "paper_detected", "agree",
               "differ", "undecided", "ours_localized", "paper_localized", "localization_agree",
               "localization_differ", "flaky", "headline_detected", "headline_localized")
    return Table(
        "paper_totals", "Totals next to the paper's",
        "Cases of this run, counted by the majority verdict of their seeds, next to the paper's "
        "count over the same cases (those it ran the tool on) and its headline totals over its "
        "whole benchmark.", columns, rows)


def paper_headline_table(scores: Mapping[str, Any], headline: Mapping[str, Any]) -> Table:
    """The paper's headline totals (``reports/paper_totals.toml``), with this run beside them."""
    rows = []
    for m in headline["method"]:
        ours = scores["paper"].get(m["column"])
        rows.append({
            "method": m["label"], "paper_column": m["column"],
            "headline_detected": _frac(m["detected"], m["of"]),
            "headline_localized": _frac(m["localized"], m["of"]),
            "mean_stop_s": fmt_num(m.get("mean_stop_s")), "scope": m.get("mean_stop_scope", DASH),
            "in_run": (f"detected {ours['ours_detected']}/{ours['cases']}, localized "
                       f"{ours['ours_localized']}/{ours['cases']}") if ours else "not in this run",
            "note": m.get("note", ""),
        })
    return Table(
        "paper_headline", "The paper's headline totals",
        f"{headline['source']}. Hardware: {headline['hardware']}. Transcribed into "
        "reports/paper_totals.toml.",
        ("method", "paper_column", "headline_detected", "headline_localized", "mean_stop_s",
         "scope", "in_run", "note"), rows)


def categories_table(scores: Mapping[str, Any]) -> Table:
    tools = list(scores["tools"])
    rows = []
    for category, by_tool in scores["categories"].items():
        row = {"category": category}
        for tool in tools:
            c = by_tool.get(tool)
            row[tool] = (f"detected {c['detected']}/{c['cases']} · localized "
                         f"{c['localized']}/{c['cases']}") if c else DASH
        rows.append(row)
    return Table(
        "categories", "Cases per fault category and tool",
        "Cases detected / localized by the majority of their seeds. A case counts in every "
        "category its patch fixes, so columns add up to more than the number of cases.",
        ("category", *tools), rows)


def operators_table(scores: Mapping[str, Any]) -> Table:
    """Per mutation operator and tool (a mutant suite's run; empty otherwise)."""
    rows = []
    for operator, by_tool in (scores.get("operators") or {}).items():
        for tool, s in by_tool.items():
            rows.append({
                "operator": operator, "tool": tool, "mutants": str(s["mutants"]),
                "parents": str(s["parents"]), "detection": fmt_rate(s["detection"]),
                "false_alarm": fmt_rate(s["false_alarm"]),
                "youden_j": fmt_j(s["youden_j"]), "localization": fmt_rate(s["localization"]),
                "diagnosis": fmt_rate(s["diagnosis"]),
                "median_detect_s": fmt_num(s["median_detect_s"]),
            })
    return Table(
        "operators", "Per mutation operator and tool",
        "Detection, localization (fault site) and diagnosis over the buggy runs of the "
        "operator's mutants; false alarms over the patched runs of their parents (a mutant's "
        "patched variant is its parent, trained once per parent and seed). Youden's J = "
        "detection − false alarm, its interval from the two Wilson intervals.",
        ("operator", "tool", "mutants", "parents", "detection", "false_alarm", "youden_j",
         "localization", "diagnosis", "median_detect_s"), rows)


def _units(scores: Mapping[str, Any], tool: str) -> list[Mapping[str, Any]]:
    return [u for u in scores["units"] if u["tool"] == tool]


def time_table(scores: Mapping[str, Any]) -> Table:
    rows = []
    for tool in scores["tools"]:
        found = [u for u in _units(scores, tool) if u["variant"] == "buggy" and u["detected"]]
        times = [u["wall_s"] for u in found if u["wall_s"] is not None]
        epochs = [u["epoch"] for u in found if u["epoch"] is not None]
        iterations = [u["iteration"] for u in found if u["iteration"] is not None]
        paper = [r["tools"][tool]["paper"]["time_s"] for r in scores["cases"].values()
                 if tool in r["tools"] and (r["tools"][tool]["paper"] or {}).get("detected")
                 and "time_s" in r["tools"][tool]["paper"]]
        rows.append({
            "tool": tool, "detections": str(len(found)),
            "min_s": fmt_num(min(times) if times else None),
            "median_s": fmt_num(statistics.median(times) if times else None),
            "max_s": fmt_num(max(times) if times else None),
            "median_epoch": fmt_epoch(statistics.median(epochs) if epochs else None),
            "median_iteration": fmt_plain(statistics.median(iterations) if iterations else None),
            "paper_median_s": fmt_num(statistics.median(paper) if paper else None),
        })
    return Table(
        "time_to_detection", "Time to detection",
        "Over detected buggy runs: seconds from the start of the first fit to the first stop "
        "request (or finding). The paper's median is over the cases of this run it detected.",
        ("tool", "detections", "min_s", "median_s", "max_s", "median_epoch", "median_iteration",
         "paper_median_s"), rows)


def overhead_table(scores: Mapping[str, Any]) -> Table:
    rows = []
    for tool in scores["tools"]:
        pairs = [u for u in _units(scores, tool) if u["overhead"] is not None]
        ratios = [u["overhead"] for u in pairs if u["overhead_comparable"]]
        if not pairs:
            continue
        rows.append({
            "tool": tool, "pairs": str(len(pairs)), "comparable": str(len(ratios)),
            "median_ratio": fmt_num(statistics.median(ratios) if ratios else None),
            "min_ratio": fmt_num(min(ratios) if ratios else None),
            "max_ratio": fmt_num(max(ratios) if ratios else None),
        })
    return Table(
        "overhead", "Training overhead against the no-tool control",
        "Ratio of a run's training time to that of the control run (tool none) of the same case, "
        "variant and seed. Comparable pairs: neither run stopped early and both ran as many "
        "epochs (a tool that stops training early is faster, not cheaper). Empty without "
        "control runs (add the tool none to the run).",
        ("tool", "pairs", "comparable", "median_ratio", "min_ratio", "max_ratio"), rows)


def _error_text(error: Mapping[str, Any] | None) -> str:
    if not error:
        return ""
    message = (str(error.get("message") or "").strip().splitlines() or [""])[0]
    text = f"{error.get('type', '')}: {message}".strip(": ")
    return text if len(text) <= 160 else text[:159] + "…"


def failures_table(scores: Mapping[str, Any], latest: Mapping[str, Mapping[str, Any]]) -> Table:
    """Units that did not complete, and planned units with no record."""
    rows = []
    for record in sorted(latest.values(), key=lambda r: r["key"]):
        if record["status"] != "completed":
            rows.append({"case": record["case_id"], "variant": record["variant"],
                         "tool": record["tool"], "seed": str(record["seed"]),
                         "status": record["status"], "error": _error_text(record.get("error")),
                         "log_dir": record.get("log_dir") or ""})
    for key in scores["missing"]:
        case, variant, tool, seed = key.split("/")
        rows.append({"case": case, "variant": variant, "tool": tool, "seed": seed,
                     "status": "missing", "error": "planned in run.json, no record",
                     "log_dir": ""})
    return Table(
        "failures", "Failed and missing units",
        "Failed units stay in the denominators of every rate; missing ones do not.",
        ("case", "variant", "tool", "seed", "status", "error", "log_dir"), rows,
        [{"status": "failed"} for _ in rows])


def build_tables(scores: Mapping[str, Any], latest: Mapping[str, Mapping[str, Any]],
                 headline: Mapping[str, Any]) -> dict[str, Table | list[Table]]:
    """Every table of a report, keyed by section; the one source of the report's numbers."""
    return {
        "summary": summary_tables(scores),
        "matrix": matrix_table(scores),
        "paper_totals": paper_totals_table(scores, headline),
        "paper_headline": paper_headline_table(scores, headline),
        "paper_cases": paper_cases_table(scores),
        "categories": categories_table(scores),
        "operators": operators_table(scores),
        "time": time_table(scores),
        "overhead": overhead_table(scores),
        "failures": failures_table(scores, latest),
        **reproduction_tables(scores),
        "reproduction_differences": cases_table(
            scores.get("reproduction") or {"rows": []}, differences_only=True),
    }
