"""``deeplocalize cases verify``: does each case's buggy/patched pair really differ?

Trains both variants with no tool attached (tool ``none``) for every seed through the normal
runner, then checks each variant's oracle conditions (``[oracle]`` in ``case.toml``) against the
training summary. Pure checking functions are separate from running so they can be tested.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from harness.cases import Case, Condition


def condition_holds(cond: Condition, metrics: dict[str, Any]) -> tuple[bool, str]:
    """Whether one condition holds on a training summary's ``metrics``; with an explanation."""
    if cond.metric not in metrics:
        return False, f"{cond.metric} missing (have: {', '.join(sorted(metrics)) or 'none'})"
    value = metrics[cond.metric]
    nonfinite = bool(metrics.get(f"{cond.metric}_nonfinite")) or (
        isinstance(value, float) and not math.isfinite(value)
    )
    shown = metrics.get(f"{cond.metric}_raw", value) if nonfinite else value
    if cond.nonfinite is not None and cond.nonfinite != nonfinite:
        want = "non-finite" if cond.nonfinite else "finite"
        return False, f"{cond.metric}={shown} is not {want}"
    if cond.min is not None and (nonfinite or value < cond.min):
        return False, f"{cond.metric}={shown} < min {cond.min}"
    if cond.max is not None and (nonfinite or value > cond.max):
        return False, f"{cond.metric}={shown} > max {cond.max}"
    return True, f"{cond.metric}={_fmt(shown)}"


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class SeedCheck:
    case_id: str
    variant: str
    seed: int
    status: str
    passed: bool
    details: tuple[str, ...]


def check_record(case: Case, record: dict[str, Any]) -> SeedCheck:
    """Check one control-run record against its variant's oracle."""
    variant = record["variant"]
    if record["status"] != "completed":
        message = (record.get("error") or {}).get("message", "")
        return SeedCheck(case.id, variant, record["seed"], record["status"], False,
                         (f"{record['status']}: {message}",))
    metrics = (record.get("training") or {}).get("metrics") or {}
    results = [condition_holds(c, metrics) for c in case.oracle[variant]]
    return SeedCheck(case.id, variant, record["seed"], record["status"],
                     all(ok for ok, _ in results), tuple(text for _, text in results))


@dataclass(frozen=True)
class CaseVerdict:
    case_id: str
    separates_declared: bool
    checks: tuple[SeedCheck, ...]

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def outcome(self) -> str:
        """``pass``, ``FAIL``, or for cases marked non-separating ``non-separating``
        (``separates-now`` if it unexpectedly passes: the mark should be revisited)."""
        if not self.separates_declared:
            return "separates-now" if self.passed else "non-separating"
        return "pass" if self.passed else "FAIL"


def verdicts(cases: list[Case], latest: dict[str, dict[str, Any]]) -> list[CaseVerdict]:
    """Per case, every seed check found in the records (tool ``none``)."""
    out = []
    for case in cases:
        checks = sorted(
            (check_record(case, r) for r in latest.values()
             if r["case_id"] == case.id and r["tool"] == "none"),
            key=lambda c: (c.variant, c.seed),
        )
        out.append(CaseVerdict(case.id, case.separates, tuple(checks)))
    return out
