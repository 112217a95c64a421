"""Scoring is a pure function of hand-written records and case metadata (issue #2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cases import load_case
from harness.scoring import localization, score


@pytest.fixture
def case(repo_root: Path):
    return load_case(repo_root, "so-48385830")  # faulty layers 1 and 0; targets layer, loss


def _rec(variant: str, tool: str, seed: int, status: str = "completed", detected=False,
         finding=None, stop=None) -> dict:
    verdict = {"detected": detected, "stop": stop, "findings": [finding] if finding else []}
    return {"key": f"so-48385830/{variant}/{tool}/{seed}", "case_id": "so-48385830",
            "variant": variant, "tool": tool, "seed": seed, "status": status,
            "verdict": verdict if status == "completed" else None,
            "training": {"train_s": 1.0}}


def test_detection_false_alarm_and_failures(case) -> None:
    """TP/FN on buggy, FP/TN on patched; crashed units stay in the denominator."""
    recs = [
        _rec("buggy", "t", 0, detected=True, stop={"wall_s": 2.0, "iteration": 10, "epoch": 0}),
        _rec("buggy", "t", 1, detected=False),
        _rec("buggy", "t", 2, status="crashed"),
        _rec("patched", "t", 0, detected=True, stop={"wall_s": 1.0, "iteration": 5, "epoch": 0}),
        _rec("patched", "t", 1, status="timeout"),
        _rec("patched", "t", 2),
    ]
    s = score({"so-48385830": case}, recs)["tools"]["t"]
    assert (s["tp"], s["fn"], s["failed_buggy"], s["buggy_runs"]) == (1, 1, 1, 3)
    assert (s["fp"], s["tn"], s["failed_patched"], s["patched_runs"]) == (1, 1, 1, 3)
    assert s["median_detect_s"] == 2.0 and s["median_detect_iteration"] == 10


def test_localization_exact_adjacent_wrong(case) -> None:
    """A first finding on a faulty layer is exact, one layer off is adjacent."""
    assert localization(case, {"target": "layer", "layer_index": 1}) == "exact"
    assert localization(case, {"target": "layer", "layer_index": 2}) == "adjacent"
    assert localization(case, {"target": "loss"}) == "exact"
    assert localization(case, {"target": "data"}) == "wrong"
    assert localization(case, None) == "none"


def test_localized_counts_only_detected_buggy_runs(case) -> None:
    """Localization is counted on detected buggy runs, from the first finding."""
    hit = {"target": "layer", "layer_index": 1, "wall_s": 3.0, "iteration": 4}
    near = {"target": "layer", "layer_index": 2, "wall_s": 3.0, "iteration": 4}
    recs = [
        _rec("buggy", "dl", 0, detected=True, finding=hit),
        _rec("buggy", "dl", 1, detected=True, finding=near),
        _rec("patched", "dl", 0, detected=False, finding=None),
    ]
    result = score({"so-48385830": case}, recs)
    s = result["tools"]["dl"]
    assert (s["tp"], s["localized"], s["adjacent"]) == (2, 1, 1)
    assert result["matrix"]["so-48385830"]["dl"] == {"buggy": ["TP+L", "TP"], "patched": ["TN"]}


def test_control_runs_are_not_scored(case) -> None:
    """Tool 'none' records (verify/overhead controls) do not appear as a tool."""
    assert score({"so-48385830": case}, [_rec("buggy", "none", 0)])["tools"] == {}


def test_record_of_unknown_case_is_an_error(case) -> None:
    """Scoring refuses records whose case is not in the benchmark."""
    rec = dict(_rec("buggy", "t", 0), case_id="so-1")
    with pytest.raises(KeyError, match="so-1"):
        score({"so-48385830": case}, [rec])
