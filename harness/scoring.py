"""Scores from records and case metadata. Pure: never runs anything, never writes.

Per tool, over the latest record of every (case, variant, tool, seed):

- buggy runs: detected → TP, not detected → FN; patched runs: detected → FP (false alarm),
  not detected → TN. Units that did not complete (timeout, crashed, oom, error) are counted as
  ``failed`` and stay in the denominators (a tool that crashes a run did not detect anything).
- localized: a detected buggy run whose first finding names the ground truth: a faulty layer's
  index (target ``layer``) or a non-layer target the case lists (``loss``, ``data``, ...).
  ``adjacent`` counts first findings one layer away from a faulty layer (the paper admits such
  reports are common); they are not counted as localized.
- time/iteration of detection: medians over detected buggy runs of the first early stop request
  (or, for tools that never stop training, the first finding).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.cases import Case

COMPLETED = "completed"


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


def score_record(case: Case, record: Mapping[str, Any]) -> UnitOutcome:
    verdict = record.get("verdict") or {}
    completed = record["status"] == COMPLETED
    detected = bool(verdict.get("detected")) if completed else None
    findings = verdict.get("findings") or []
    first = findings[0] if findings else None
    where = verdict.get("stop") or first or {}
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
        train_s=(record.get("training") or {}).get("train_s"),
    )


@dataclass
class ToolScore:
    tool: str
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0
    failed_buggy: int = 0
    failed_patched: int = 0
    localized: int = 0
    adjacent: int = 0
    median_detect_s: float | None = None
    median_detect_iteration: float | None = None
    _times: list[float] = field(default_factory=list, repr=False)
    _iterations: list[int] = field(default_factory=list, repr=False)

    @property
    def buggy_runs(self) -> int:
        return self.tp + self.fn + self.failed_buggy

    @property
    def patched_runs(self) -> int:
        return self.fp + self.tn + self.failed_patched

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        data.update(buggy_runs=self.buggy_runs, patched_runs=self.patched_runs)
        return data


def score(cases: Mapping[str, Case], latest: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Score the latest records of a run. Records of unknown cases are an error."""
    outcomes = []
    for record in latest:
        if record["case_id"] not in cases:
            raise KeyError(f"record {record['key']!r} names case {record['case_id']!r}, "
                           "which is not in the benchmark")
        if record["tool"] == "none":
            continue
        outcomes.append(score_record(cases[record["case_id"]], record))
    tools: dict[str, ToolScore] = {}
    matrix: dict[str, dict[str, dict[str, list[str]]]] = defaultdict(lambda: defaultdict(dict))
    for o in sorted(outcomes, key=lambda o: (o.tool, o.case_id, o.variant, o.seed)):
        s = tools.setdefault(o.tool, ToolScore(o.tool))
        buggy = o.variant == "buggy"
        if o.detected is None:
            cell = o.status
            if buggy:
                s.failed_buggy += 1
            else:
                s.failed_patched += 1
        elif buggy:
            cell = "TP" if o.detected else "FN"
            if o.detected:
                s.tp += 1
                s.localized += o.localization == "exact"
                s.adjacent += o.localization == "adjacent"
                if o.wall_s is not None:
                    s._times.append(o.wall_s)
                if o.iteration is not None:
                    s._iterations.append(o.iteration)
                if o.localization == "exact":
                    cell = "TP+L"
            else:
                s.fn += 1
        else:
            cell = "FP" if o.detected else "TN"
            s.fp += o.detected
            s.tn += not o.detected
        matrix[o.case_id][o.tool].setdefault(o.variant, []).append(cell)
    for s in tools.values():
        s.median_detect_s = statistics.median(s._times) if s._times else None
        s.median_detect_iteration = statistics.median(s._iterations) if s._iterations else None
    return {
        "tools": {name: s.to_json() for name, s in sorted(tools.items())},
        "matrix": {case: dict(row) for case, row in sorted(matrix.items())},
        "units": [asdict(o) for o in outcomes],
    }
