"""`cases verify` on a few real cases: buggy and patched trained with no tool (issue #4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import records
from harness.cases import load_cases
from harness.executors.local import LocalExecutor
from harness.runner import RunConfig, plan, run_many
from harness.verify import verdicts

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
CASES = ["so-48385830", "so-45337371", "so-48221692"]


@pytest.mark.slow
def test_a_few_cases_separate_as_their_oracles_say(tmp_path: Path) -> None:
    """Each case's buggy and patched variants meet their oracle conditions (seed 0)."""
    cases = load_cases(REPO_ROOT, CASES)
    config = RunConfig(run_id="verify", case_ids=tuple(CASES), variants=("buggy", "patched"),
                       tools=("none",), seeds=(0,), profile="quick", semantics=None,
                       shared=False, timeout_s=600, memory_mb=6144, jobs=2, executor="local")
    run_many(plan(config, cases), tmp_path, LocalExecutor(), jobs=2)
    outcomes = {v.case_id: (v.outcome, [c.details for c in v.checks])
                for v in verdicts(cases, records.latest(tmp_path))}
    assert {case: outcome for case, (outcome, _) in outcomes.items()} == dict.fromkeys(
        CASES, "pass"), outcomes
