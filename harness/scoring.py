"""Scores from records and case metadata. Pure: never runs anything, never writes.

Per tool, over the latest record of every (case, variant, tool, seed):

- buggy runs: detected → TP, not detected → FN; patched runs: detected → FP (false alarm),
  not detected → TN. Units that did not complete (timeout, crashed, oom, error) are counted as
  ``failed`` and stay in the denominators (a tool that crashes a run did not detect anything),
  unless the tool had detected before the failure: then the findings streamed while the
  program ran (the record's ``partial_verdict``) count as its detection (TP or FP), and the
  unit is also listed under ``failures``.
- localized: a detected buggy run whose first finding names the ground truth's fault site (a
  faulty layer, or a layer of its site: the layer with weights and its activation layers) or a
  non-layer target the case lists; ``localized_exact`` the faulty layer itself. ``adjacent``
  counts first findings one layer away, outside the site; they are not localized. See
  :mod:`harness.tally`.
- diagnosis: a detected buggy run whose verdict names a correct fault category; its own column,
  never part of localization.
- denominators: the per-tool tallies are computed over several case sets (:data:`DENOMINATORS`):
  the headline over separating pairs with a real fault, the paper's 40, every case, and the
  negative control on its own.
- time/epoch/iteration of detection: medians over detected buggy runs of the first early stop
  request (or, for tools that never stop training, the first finding). Epochs are 0-based here.
- overhead: a tool run's ``train_s`` over the ``train_s`` of the no-tool control (tool ``none``)
  of the same case, variant and seed, when the run has one. The per-tool median uses only
  comparable pairs (neither stopped early, same number of epochs).
- rates (detection, false alarm, localization) come with Wilson 95 % score intervals over units.
- per case and tool: the verdict of the majority of seeds (``yes``/``no``/``split``, ``failed``
  when no seed completed, ``missing`` when none ran), a flakiness flag when seeds disagree, and
  the comparison with the paper's published verdict for the matching tool.
- missing units (planned but without a record) are counted separately and are *not* in the
  denominators; failed units are.
- reproduction: per case and paper column, our verdict, the paper's and the recorded reason
  for a disagreement (:mod:`harness.reproduction`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from harness.cases import Case, variants_to_run
from harness.operator_scores import operator_breakdown
from harness.reproduction import reproduction
from harness.spec import NO_TOOL
from harness.tally import (
    COMPLETED,
    ToolScore,
    UnitOutcome,
    _median,
    rate,
    score_record,
    wilson,
)
from harness.vocab import VARIANTS

__all__ = ["COMPLETED", "NO_TOOL", "VARIANTS", "majority", "rate", "score", "versus_paper",
           "wilson"]

#: Our tool name -> the paper's column (``case.meta["paper"][column]``). Tools not listed
#: (``deeplocalize_released``, third-party tools) have no published column.
PAPER_COLUMNS = {
    "terminate_on_nan": "terminate_on_nan",
    "early_stopping_loss": "early_stopping_loss",
    "early_stopping_accuracy": "early_stopping_accuracy",
    "keras_union": "keras_union",
    "deeplocalize": "deeplocalize",
}


def majority(hits: int, completed: int, attempted: int) -> str:
    """Verdict of the seeds: ``yes``/``no`` by strict majority of the attempted seeds (failed
    seeds count as no), ``split`` on a tie, ``failed`` if none completed, ``missing`` if none
    ran."""
    if attempted == 0:
        return "missing"
    if completed == 0:
        return "failed"
    if 2 * hits == attempted:
        return "split"
    return "yes" if 2 * hits > attempted else "no"


def versus_paper(ours: str, paper: bool | None) -> str:
    """``agree``/``differ`` for a decided verdict, ``undecided`` if not, ``n/a`` without paper."""
    if paper is None:
        return "n/a"
    if ours not in ("yes", "no"):
        return "undecided"
    return "agree" if (ours == "yes") == paper else "differ"


def paper_result(case: Case, tool: str) -> tuple[str | None, dict[str, Any] | None]:
    """The paper column matching ``tool`` and the case's published result in it (or ``None``)."""
    column = PAPER_COLUMNS.get(tool)
    if column is None:
        return None, None
    return column, (case.meta.get("paper") or {}).get(column)


def _paper_status(column: str | None, paper: Mapping[str, Any] | None) -> str | None:
    if column is None:
        return "no paper column"
    if paper is None or ("detected" not in paper and paper.get("run", True)):
        return "not published"
    return "not run by the paper" if paper.get("run") is False else None


def case_result(case: Case, tool: str, cells: Mapping[str, list[str]],
                outcomes: Sequence[UnitOutcome]) -> dict[str, Any]:
    """Majority verdicts, flakiness and the paper comparison of one (case, tool)."""
    buggy, patched = cells.get("buggy", []), cells.get("patched", [])
    hit = {"TP", "TP+L"}
    done_b = [c for c in buggy if c in hit or c == "FN"]
    done_p = [c for c in patched if c in ("FP", "TN")]
    ran_b = [c for c in buggy if c != "missing"]
    ran_p = [c for c in patched if c != "missing"]
    detected = majority(sum(c in hit for c in buggy), len(done_b), len(ran_b))
    localized = majority(buggy.count("TP+L"), len(done_b), len(ran_b))
    false_alarm = majority(patched.count("FP"), len(done_p), len(ran_p))
    reasons = []
    if len({"detected" if c in hit else c for c in ran_b}) > 1:
        reasons.append("buggy seeds: " + " / ".join(ran_b))
    elif len(set(c for c in ran_b if c in hit)) > 1:
        reasons.append("localization: " + " / ".join(ran_b))
    if len(set(ran_p)) > 1:
        reasons.append("patched seeds: " + " / ".join(ran_p))
    found = [o for o in outcomes if o.variant == "buggy" and o.detected]
    column, paper = paper_result(case, tool)
    status = _paper_status(column, paper)
    return {
        "buggy": list(buggy),
        "patched": list(patched),
        "detected": detected,
        "localized": localized,
        "false_alarm": false_alarm,
        "flaky": bool(reasons),
        "flaky_reasons": reasons,
        "median_detect_s": _median([o.wall_s for o in found if o.wall_s is not None]),
        "median_detect_epoch": _median([o.epoch for o in found if o.epoch is not None]),
        "median_detect_iteration": _median(
            [o.iteration for o in found if o.iteration is not None]),
        "paper_column": column,
        "paper": dict(paper) if paper is not None else None,
        "detection_vs_paper": status or versus_paper(detected, paper.get("detected")),
        "localization_vs_paper": status or versus_paper(localized, paper.get("localized")),
    }


def _planned_units(cases: Mapping[str, Case], planned: Mapping[str, Any] | None
                   ) -> set[tuple[str, str, str, int]]:
    if planned is None:
        return set()
    case_ids = [c for c in planned.get("case_ids", cases) if c in cases]
    tools = [t for t in planned["tools"] if t != NO_TOOL]
    variants = variants_to_run([cases[c] for c in case_ids], planned["variants"])
    return {(c, v, t, s) for c in case_ids for v in variants[c] for t in tools
            for s in planned["seeds"]}


def paper_totals(case_results: Mapping[str, Mapping[str, Any]], tool: str) -> dict[str, Any]:
    """Our majority verdicts and the paper's, over the cases of the run that have ``tool``."""
    rows = [r["tools"][tool] for r in case_results.values() if tool in r["tools"]]
    ran = [r["paper"] for r in rows if r["paper"] and r["paper"].get("run", True)
           and "detected" in r["paper"]]
    with_loc = [p for p in ran if "localized" in p]
    return {
        "cases": len(rows),
        "ours_detected": sum(r["detected"] == "yes" for r in rows),
        "ours_localized": sum(r["localized"] == "yes" for r in rows),
        "ours_undecided": sum(r["detected"] not in ("yes", "no") for r in rows),
        "paper_column": PAPER_COLUMNS.get(tool),
        "paper_cases": len(ran),
        "paper_detected": sum(bool(p["detected"]) for p in ran),
        "paper_localized": sum(bool(p["localized"]) for p in with_loc) if with_loc else None,
        "agree": sum(r["detection_vs_paper"] == "agree" for r in rows),
        "differ": sum(r["detection_vs_paper"] == "differ" for r in rows),
        "localization_agree": sum(r["localization_vs_paper"] == "agree" for r in rows),
        "localization_differ": sum(r["localization_vs_paper"] == "differ" for r in rows),
    }


def category_breakdown(cases: Mapping[str, Case], case_results: Mapping[str, Mapping[str, Any]],
                       tools: Iterable[str]) -> dict[str, dict[str, dict[str, int]]]:
    """Per fault category (a case counts in every category it lists) and tool: cases, and cases
    detected / localized by the majority of seeds."""
    from harness.vocab import CATEGORIES

    out: dict[str, dict[str, dict[str, int]]] = {}
    for case_id, result in case_results.items():
        for category in cases[case_id].categories:
            for tool in tools:
                r = result["tools"].get(tool)
                if r is None:
                    continue
                cell = out.setdefault(category, {}).setdefault(
                    tool, {"cases": 0, "detected": 0, "localized": 0})
                cell["cases"] += 1
                cell["detected"] += r["detected"] == "yes"
                cell["localized"] += r["localized"] == "yes"
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return {c: out[c] for c in sorted(out, key=lambda c: (order.get(c, len(order)), c))}


def _real_fault(case: Case) -> bool:
    return case.separates and not is_control(case)


def is_control(case: Case) -> bool:
    """The negative control: buggy and patched are the same program (category ``none``)."""
    return "none" in case.categories


def in_paper(case: Case) -> bool:
    """One of the paper's 40 cases: it has a ``[paper]`` table and the paper ran DeepLocalize on
    it (50079585 it could not). A case added later (``deeplocalize cases new``) has none."""
    paper = case.meta.get("paper")
    if not paper:
        return False
    return (paper.get("deeplocalize") or {}).get("run", True) is not False


#: The case sets the per-tool tallies are computed over: name -> (label, membership).
#: ``real`` is the headline (``score()["tools"]``).
DENOMINATORS = {
    "real": ("separating pairs with a real fault", _real_fault),
    "paper": ("the paper's 40 cases", in_paper),
    "all": ("every case of the run", lambda case: True),
    "control": ("negative control (buggy = patched)", is_control),
}
HEADLINE = "real"


def score(cases: Mapping[str, Case], latest: Iterable[Mapping[str, Any]], *,
          planned: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Score the latest records of a run. Records of unknown cases are an error.

    Per-tool tallies are computed over each set of :data:`DENOMINATORS`
    (``score()["denominators"][name]["tools"]``); ``score()["tools"]`` is the headline set:
    pairs that separate on our data and have a real fault (no negative control). Per-case
    results, the matrix and the paper comparison cover every case of the run.

    ``planned`` is the run's configuration (``run.json["config"]``: ``tools``, ``variants``,
    ``seeds`` and optionally ``case_ids``); planned units without a record are reported as
    ``missing``. Without it nothing is missing.
    """
    records = list(latest)
    for record in records:
        if record["case_id"] not in cases:
            raise KeyError(f"record {record['key']!r} names case {record['case_id']!r}, "
                           "which is not in the benchmark")
    controls = {(r["case_id"], r["variant"], r["seed"]): r for r in records
                if r["tool"] == NO_TOOL}
    outcomes = [
        score_record(cases[r["case_id"]], r, controls.get((r["case_id"], r["variant"], r["seed"])))
        for r in records if r["tool"] != NO_TOOL
    ]
    groups = {name: {c for c in cases if member(cases[c])}
              for name, (_, member) in DENOMINATORS.items()}
    tallies: dict[str, dict[str, ToolScore]] = {name: {} for name in DENOMINATORS}
    seeds: dict[tuple[str, str, str], dict[int, str]] = defaultdict(dict)
    for o in sorted(outcomes, key=lambda o: (o.tool, o.case_id, o.variant, o.seed)):
        for name, tools in tallies.items():
            if o.case_id in groups[name]:
                cell = tools.setdefault(o.tool, ToolScore(o.tool)).add(o)
        seeds[(o.case_id, o.tool, o.variant)][o.seed] = cell
    present = {(o.case_id, o.variant, o.tool, o.seed) for o in outcomes}
    missing = sorted(_planned_units(cases, planned) - present)
    for case_id, variant, tool, seed in missing:
        for name, tools in tallies.items():
            if case_id in groups[name]:
                s = tools.setdefault(tool, ToolScore(tool))
                if variant == "buggy":
                    s.missing_buggy += 1
                else:
                    s.missing_patched += 1
        seeds[(case_id, tool, variant)][seed] = "missing"
    names = sorted({o.tool for o in outcomes} | {unit[2] for unit in missing})
    for tools in tallies.values():
        for name in names:
            tools.setdefault(name, ToolScore(name)).finish()
    matrix: dict[str, dict[str, dict[str, list[str]]]] = defaultdict(lambda: defaultdict(dict))
    for (case_id, tool, variant), by_seed in sorted(seeds.items()):
        matrix[case_id][tool][variant] = [by_seed[k] for k in sorted(by_seed)]
    by_case_tool: dict[tuple[str, str], list[UnitOutcome]] = defaultdict(list)
    for o in outcomes:
        by_case_tool[(o.case_id, o.tool)].append(o)
    case_results = {
        case_id: {
            "separates": cases[case_id].separates,
            "tools": {tool: case_result(cases[case_id], tool, row[tool],
                                        by_case_tool[(case_id, tool)]) for tool in sorted(row)},
        }
        for case_id, row in sorted(matrix.items())
    }
    in_run = {o.case_id for o in outcomes} | {unit[0] for unit in missing}
    denominators = {
        name: {
            "label": DENOMINATORS[name][0],
            "cases": sorted(groups[name] & in_run),
            "tools": {tool: tallies[name][tool].to_json() for tool in names},
        }
        for name in DENOMINATORS
    }
    return {
        "tools": denominators[HEADLINE]["tools"],
        "denominators": denominators,
        "matrix": {case: dict(row) for case, row in sorted(matrix.items())},
        "units": [asdict(o) for o in sorted(outcomes, key=lambda o: (
            o.case_id, o.variant, o.tool, o.seed))],
        "missing": ["/".join(map(str, unit)) for unit in missing],
        "cases": case_results,
        "paper": {name: paper_totals(case_results, name) for name in names},
        "categories": category_breakdown(cases, case_results, names),
        "operators": operator_breakdown(cases, outcomes),
        "reproduction": reproduction(cases, case_results, records),
    }
