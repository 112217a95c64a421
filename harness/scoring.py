"""Scores from records and case metadata. Pure: never runs anything, never writes.

Per tool, over the latest record of every (case, variant, tool, seed):

- buggy runs: detected → TP, not detected → FN; patched runs: detected → FP (false alarm),
  not detected → TN. Units that did not complete (timeout, crashed, oom, error) are counted as
  ``failed`` and stay in the denominators (a tool that crashes a run did not detect anything).
- localized: a detected buggy run whose first finding names the ground truth: a faulty layer's
  index (target ``layer``) or a non-layer target the case lists (``loss``, ``data``, ...).
  ``adjacent`` counts first findings one layer away from a faulty layer (the paper admits such
  reports are common); they are not counted as localized.
- time/epoch/iteration of detection: medians over detected buggy runs of the first early stop
  request (or, for tools that never stop training, the first finding). Epochs are 0-based here.
- category: when a verdict names a fault ``category``, it is correct if the case lists it.
- overhead: a tool run's ``train_s`` over the ``train_s`` of the no-tool control (tool ``none``)
  of the same case, variant and seed, when the run has one. The per-tool median uses only
  comparable pairs (neither stopped early, same number of epochs).
- rates (detection, false alarm, localization) come with Wilson 95 % score intervals over units.
- per case and tool: the verdict of the majority of seeds (``yes``/``no``/``split``, ``failed``
  when no seed completed, ``missing`` when none ran), a flakiness flag when seeds disagree, and
  the comparison with the paper's published verdict for the matching tool.
- missing units (planned but without a record) are counted separately and are *not* in the
  denominators; failed units are.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.cases import Case

COMPLETED = "completed"
NO_TOOL = "none"
VARIANTS = ("buggy", "patched")
#: z for a two-sided 95 % interval.
Z95 = 1.959963984540054
#: Our tool name -> the paper's column (``case.meta["paper"][column]``). Tools not listed
#: (``deeplocalize_released``, third-party tools) have no published column.
PAPER_COLUMNS = {
    "terminate_on_nan": "terminate_on_nan",
    "early_stopping_loss": "early_stopping_loss",
    "early_stopping_accuracy": "early_stopping_accuracy",
    "keras_union": "keras_union",
    "deeplocalize": "deeplocalize",
}


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for ``k`` successes in ``n`` trials (``None`` when ``n == 0``)."""
    if n == 0:
        return None
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # The exact bounds at k = 0 and k = n are 0 and 1; rounding must not move them inside.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def rate(k: int, n: int) -> dict[str, Any]:
    """``{k, n, rate, low, high}``; rate and bounds are ``None`` when ``n == 0``."""
    interval = wilson(k, n)
    return {"k": k, "n": n, "rate": k / n if n else None,
            "low": interval[0] if interval else None, "high": interval[1] if interval else None}


def localization(case: Case, finding: Mapping[str, Any] | None) -> str:
    """``exact``, ``adjacent``, ``wrong`` or ``none`` (no finding) for a tool's first finding."""
    if not finding:
        return "none"
    target = finding.get("target")
    if target == "layer":
        index = finding.get("layer_index")
        faulty = {layer.index for layer in case.layers}
        if "layer" in case.targets and index in faulty:
            return "exact"
        if index is not None and any(abs(index - i) == 1 for i in faulty):
            return "adjacent"
        return "wrong"
    return "exact" if target in case.targets else "wrong"


@dataclass(frozen=True)
class UnitOutcome:
    """One record, scored."""

    case_id: str
    variant: str
    tool: str
    seed: int
    status: str
    detected: bool | None  # None when the unit did not complete
    localization: str
    wall_s: float | None
    iteration: int | None
    epoch: int | None
    train_s: float | None
    category: str | None = None  # the fault category the verdict names, if any
    category_correct: bool | None = None  # None: no category named, or not a detected buggy run
    stopped_early: bool | None = None
    control_train_s: float | None = None  # train_s of the matching no-tool control run
    overhead: float | None = None  # train_s / control_train_s
    overhead_comparable: bool = False  # neither run stopped early and both ran as many epochs


def _train_s(record: Mapping[str, Any]) -> float | None:
    value = (record.get("training") or {}).get("train_s")
    return value if value is not None else (record.get("timing") or {}).get("train_s")


def score_record(
    case: Case, record: Mapping[str, Any], control: Mapping[str, Any] | None = None
) -> UnitOutcome:
    """Score one tool record; ``control`` is the ``none`` record of the same unit, if any."""
    verdict = record.get("verdict") or {}
    training = record.get("training") or {}
    completed = record["status"] == COMPLETED
    detected = bool(verdict.get("detected")) if completed else None
    findings = verdict.get("findings") or []
    first = findings[0] if findings else None
    where = verdict.get("stop") or first or {}
    category = verdict.get("category") if detected and record["variant"] == "buggy" else None
    train_s = _train_s(record)
    control_s = overhead = None
    comparable = False
    if completed and train_s and control is not None and control["status"] == COMPLETED:
        control_s = _train_s(control)
        if control_s:
            overhead = train_s / control_s
            other = control.get("training") or {}
            comparable = (not training.get("stopped_early") and not other.get("stopped_early")
                          and training.get("epochs_run") == other.get("epochs_run"))
    return UnitOutcome(
        case_id=record["case_id"],
        variant=record["variant"],
        tool=record["tool"],
        seed=record["seed"],
        status=record["status"],
        detected=detected,
        localization=localization(case, first) if detected else "none",
        wall_s=where.get("wall_s") if detected else None,
        iteration=where.get("iteration") if detected else None,
        epoch=where.get("epoch") if detected else None,
        train_s=train_s,
        category=category,
        category_correct=None if category is None else category in case.categories,
        stopped_early=training.get("stopped_early") if completed else None,
        control_train_s=control_s,
        overhead=overhead,
        overhead_comparable=comparable,
    )


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass
class ToolScore:
    tool: str
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0
    failed_buggy: int = 0
    failed_patched: int = 0
    missing_buggy: int = 0  # planned but no record: not in the denominators
    missing_patched: int = 0
    localized: int = 0
    adjacent: int = 0
    category_named: int = 0
    category_correct: int = 0
    median_detect_s: float | None = None
    median_detect_epoch: float | None = None
    median_detect_iteration: float | None = None
    median_overhead: float | None = None
    overhead_units: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    _times: list[float] = field(default_factory=list, repr=False)
    _epochs: list[int] = field(default_factory=list, repr=False)
    _iterations: list[int] = field(default_factory=list, repr=False)
    _overheads: list[float] = field(default_factory=list, repr=False)

    @property
    def buggy_runs(self) -> int:
        return self.tp + self.fn + self.failed_buggy

    @property
    def patched_runs(self) -> int:
        return self.fp + self.tn + self.failed_patched

    def add(self, o: UnitOutcome) -> str:
        """Count one outcome; return its matrix cell."""
        buggy = o.variant == "buggy"
        if o.detected is None:
            self.failures[o.status] = self.failures.get(o.status, 0) + 1
            if buggy:
                self.failed_buggy += 1
            else:
                self.failed_patched += 1
            return o.status
        if o.overhead is not None and o.overhead_comparable:
            self._overheads.append(o.overhead)
        if not buggy:
            self.fp += o.detected
            self.tn += not o.detected
            return "FP" if o.detected else "TN"
        if not o.detected:
            self.fn += 1
            return "FN"
        self.tp += 1
        self.localized += o.localization == "exact"
        self.adjacent += o.localization == "adjacent"
        self.category_named += o.category is not None
        self.category_correct += bool(o.category_correct)
        for values, value in ((self._times, o.wall_s), (self._epochs, o.epoch),
                              (self._iterations, o.iteration)):
            if value is not None:
                values.append(value)
        return "TP+L" if o.localization == "exact" else "TP"

    def finish(self) -> None:
        self.median_detect_s = _median(self._times)
        self.median_detect_epoch = _median(self._epochs)
        self.median_detect_iteration = _median(self._iterations)
        self.median_overhead = _median(self._overheads)
        self.overhead_units = len(self._overheads)

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        data.update(
            buggy_runs=self.buggy_runs,
            patched_runs=self.patched_runs,
            detection=rate(self.tp, self.buggy_runs),
            false_alarm=rate(self.fp, self.patched_runs),
            localization=rate(self.localized, self.buggy_runs),
        )
        return data


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
    return {(c, v, t, s) for c in case_ids for v in planned["variants"] for t in tools
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


def score(cases: Mapping[str, Case], latest: Iterable[Mapping[str, Any]], *,
          planned: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Score the latest records of a run. Records of unknown cases are an error.

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
    tools: dict[str, ToolScore] = {}
    seeds: dict[tuple[str, str, str], dict[int, str]] = defaultdict(dict)
    for o in sorted(outcomes, key=lambda o: (o.tool, o.case_id, o.variant, o.seed)):
        cell = tools.setdefault(o.tool, ToolScore(o.tool)).add(o)
        seeds[(o.case_id, o.tool, o.variant)][o.seed] = cell
    present = {(o.case_id, o.variant, o.tool, o.seed) for o in outcomes}
    missing = sorted(_planned_units(cases, planned) - present)
    for case_id, variant, tool, seed in missing:
        s = tools.setdefault(tool, ToolScore(tool))
        if variant == "buggy":
            s.missing_buggy += 1
        else:
            s.missing_patched += 1
        seeds[(case_id, tool, variant)][seed] = "missing"
    for s in tools.values():
        s.finish()
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
    names = sorted(tools)
    return {
        "tools": {name: tools[name].to_json() for name in names},
        "matrix": {case: dict(row) for case, row in sorted(matrix.items())},
        "units": [asdict(o) for o in sorted(outcomes, key=lambda o: (
            o.case_id, o.variant, o.tool, o.seed))],
        "missing": ["/".join(map(str, unit)) for unit in missing],
        "cases": case_results,
        "paper": {name: paper_totals(case_results, name) for name in names},
        "categories": category_breakdown(cases, case_results, names),
    }
