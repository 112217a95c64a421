"""Per-unit scoring and per-tool tallies: the pure pieces :mod:`harness.scoring` adds up.

A tool record becomes a :class:`UnitOutcome` (detected? localized where? which category?), and
the outcomes of one tool over a set of cases add up to a :class:`ToolScore` (confusion matrix,
localization and diagnosis counts, medians, Wilson intervals).

Localization (of a tool's *first* finding on a detected buggy run) is graded against the case's
ground truth (``bugs/README.md``):

- ``exact``: the finding names a faulty layer itself, or a non-layer target the case lists;
- ``site``: it names another layer of a faulty layer's *fault site* (the layer with weights and
  the activation layers that directly apply its activation);
- ``adjacent``: one layer away from a faulty layer, outside its site;
- ``wrong``, or ``none`` when the tool names nothing.

``exact`` and ``site`` count as localized (the headline, as the paper's Algorithm 1 treats a
layer and its activation as one layer L); ``exact`` alone is the stricter column.

Diagnosis is separate from localization: a verdict's fault ``category`` (for DeepLocalize, the
heuristic hint of its first finding) is correct when the case lists that category, or when the
category's own target (e.g. ``learning_rate`` → ``hyperparameter``) is a non-layer target the
case lists. A diagnosis never turns a localization miss into a hit.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.cases import Case
from harness.vocab import CATEGORY_TARGETS

COMPLETED = "completed"
#: Confidence level of the intervals.
CONFIDENCE = 0.95
LOCALIZED = ("exact", "site")


def wilson(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """Wilson score interval for ``k`` successes in ``n`` trials (``None`` when ``n == 0``).

    SciPy's (``binomtest(k, n).proportion_ci(method="wilson")``); the bounds at ``k = 0`` and
    ``k = n`` are exactly 0 and 1.
    """
    if n == 0:
        return None
    from scipy.stats import binomtest  # ~1 s to import: only when something is scored

    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    low = 0.0 if k == 0 else max(0.0, float(ci.low))
    high = 1.0 if k == n else min(1.0, float(ci.high))
    return low, high


def rate(k: int, n: int) -> dict[str, Any]:
    """``{k, n, rate, low, high}``; rate and bounds are ``None`` when ``n == 0``."""
    interval = wilson(k, n)
    return {"k": k, "n": n, "rate": k / n if n else None,
            "low": interval[0] if interval else None, "high": interval[1] if interval else None}


def youden(detection: dict[str, Any], false_alarm: dict[str, Any]) -> dict[str, Any]:
    """Youden's J = detection rate − false-alarm rate, with a conservative interval: the low
    end is detection's Wilson low minus false alarm's Wilson high, the high end the reverse
    (two 95 % intervals: at least 90 % joint coverage). ``None`` values without runs."""
    if detection["rate"] is None or false_alarm["rate"] is None:
        return {"rate": None, "low": None, "high": None}
    return {"rate": detection["rate"] - false_alarm["rate"],
            "low": detection["low"] - false_alarm["high"],
            "high": detection["high"] - false_alarm["low"]}


def localization(case: Case, finding: Mapping[str, Any] | None) -> str:
    """``exact``, ``site``, ``adjacent``, ``wrong`` or ``none`` (no finding) for a tool's first
    finding (see the module docstring)."""
    if not finding:
        return "none"
    target = finding.get("target")
    if target == "layer":
        index = finding.get("layer_index")
        if "layer" not in case.targets or index is None:
            return "wrong"
        faulty = {layer.index for layer in case.layers}
        if index in faulty:
            return "exact"
        if index in case.site_layers:
            return "site"
        if any(abs(index - i) == 1 for i in faulty | set(case.site_layers)):
            return "adjacent"
        return "wrong"
    return "exact" if target in case.targets else "wrong"


def diagnosis_correct(case: Case, category: str | None) -> bool | None:
    """Whether a named fault ``category`` diagnoses the case (``None``: nothing named)."""
    if category is None:
        return None
    if category in case.categories:
        return True
    target = CATEGORY_TARGETS.get(category)
    return target is not None and target != "layer" and target in case.targets


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
    partial: bool = False  # a failed unit, detected before it failed (its partial verdict)
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
    """Score one tool record; ``control`` is the ``none`` record of the same unit, if any.

    A unit that did not complete is a detection when the tool had found something (or asked
    to stop early) before the failure: its ``partial_verdict`` (streamed while the program
    ran) is scored like a verdict. Otherwise it has no verdict (``detected`` is ``None``).
    """
    training = record.get("training") or {}
    completed = record["status"] == COMPLETED
    partial = None if completed else record.get("partial_verdict")
    if completed:
        verdict = record.get("verdict") or {}
        detected: bool | None = bool(verdict.get("detected"))
    elif partial and partial.get("detected"):
        verdict, detected = partial, True
    else:
        verdict, detected = {}, None
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
        partial=bool(detected and not completed),
        localization=localization(case, first) if detected else "none",
        wall_s=where.get("wall_s") if detected else None,
        iteration=where.get("iteration") if detected else None,
        epoch=where.get("epoch") if detected else None,
        train_s=train_s,
        category=category,
        category_correct=diagnosis_correct(case, category),
        stopped_early=training.get("stopped_early") if completed else None,
        control_train_s=control_s,
        overhead=overhead,
        overhead_comparable=comparable,
    )


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass
class ToolScore:
    """One tool's tallies over a set of units (see :meth:`add`); rates in :meth:`to_json`."""

    tool: str
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0
    failed_buggy: int = 0
    failed_patched: int = 0
    missing_buggy: int = 0  # planned but no record: not in the denominators
    missing_patched: int = 0
    localized: int = 0  # by fault site (exact layer included)
    localized_exact: int = 0  # the faulty layer itself (or a listed non-layer target)
    adjacent: int = 0
    category_named: int = 0
    category_correct: int = 0
    median_detect_s: float | None = None
    median_detect_epoch: float | None = None
    median_detect_iteration: float | None = None
    median_overhead: float | None = None
    overhead_units: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    detected_before_failure: int = 0  # failed units counted as TP/FP from their partial verdict
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
        if o.partial:  # failed, but only after the tool had detected: a detection
            self.failures[o.status] = self.failures.get(o.status, 0) + 1
            self.detected_before_failure += 1
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
        self.localized += o.localization in LOCALIZED
        self.localized_exact += o.localization == "exact"
        self.adjacent += o.localization == "adjacent"
        self.category_named += o.category is not None
        self.category_correct += bool(o.category_correct)
        for values, value in ((self._times, o.wall_s), (self._epochs, o.epoch),
                              (self._iterations, o.iteration)):
            if value is not None:
                values.append(value)
        return "TP+L" if o.localization in LOCALIZED else "TP"

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
            localization_exact=rate(self.localized_exact, self.buggy_runs),
            diagnosis=rate(self.category_correct, self.buggy_runs),
        )
        data["youden_j"] = youden(data["detection"], data["false_alarm"])
        return data


