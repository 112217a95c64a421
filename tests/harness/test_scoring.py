"""Scoring is a pure function of hand-written records and case metadata (issue #2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cases import load_case
from harness.scoring import score
from harness.tally import localization


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


def _with(case, **changes):
    import dataclasses

    return dataclasses.replace(case, **changes)


def test_fault_site_counts_as_localized_exact_stays_strict(case) -> None:
    """The ground truth is a separate Activation layer (7) behind a Dense layer (6): a finding
    on the Dense layer localizes the site, not the exact layer; one layer outside the site is
    adjacent."""
    from harness.cases import FaultyLayer

    site = _with(case, targets=("layer",), layers=(FaultyLayer(7, "Activation", None),),
                 site_layers=frozenset({6, 7}))
    assert localization(site, {"target": "layer", "layer_index": 7}) == "exact"
    assert localization(site, {"target": "layer", "layer_index": 6}) == "site"
    assert localization(site, {"target": "layer", "layer_index": 5}) == "adjacent"
    assert localization(site, {"target": "layer", "layer_index": 8}) == "adjacent"
    assert localization(site, {"target": "layer", "layer_index": 3}) == "wrong"
    recs = [
        _rec("buggy", "dl", 0, detected=True, finding={"target": "layer", "layer_index": 6}),
        _rec("buggy", "dl", 1, detected=True, finding={"target": "layer", "layer_index": 7}),
        _rec("buggy", "dl", 2, detected=True, finding={"target": "layer", "layer_index": 5}),
    ]
    s = score({"so-48385830": site}, recs)["tools"]["dl"]
    assert (s["localized"], s["localized_exact"], s["adjacent"]) == (2, 1, 1)
    assert s["localization"]["k"] == 2 and s["localization_exact"]["k"] == 1


def test_diagnosis_is_its_own_column(case) -> None:
    """A named category is a diagnosis (right when the case lists it, or when its target is a
    non-layer target the case lists); it never turns a localization miss into a hit."""
    from harness.tally import diagnosis_correct

    lr = _with(case, categories=("learning_rate",), targets=("hyperparameter",))
    assert diagnosis_correct(lr, "learning_rate") is True
    assert diagnosis_correct(lr, "batch_size") is True  # also a hyperparameter
    assert diagnosis_correct(lr, "wrong_activation") is False
    assert diagnosis_correct(lr, None) is None
    rec = _rec("buggy", "dl", 0, detected=True, finding={"target": "layer", "layer_index": 0})
    rec["verdict"]["category"] = "learning_rate"
    s = score({"so-48385830": lr}, [rec])["tools"]["dl"]
    assert (s["localized"], s["category_correct"], s["diagnosis"]["k"]) == (0, 1, 1)


def test_headline_excludes_non_separating_pairs_and_the_control(case) -> None:
    """Headline rates are over separating pairs with a real fault; the paper's 40, every case
    and the negative control are tallied apart, and per-case results keep every case."""
    real = _with(case, id="so-1")
    flat = _with(case, id="so-2", separates=False)
    control = _with(case, id="so-3", categories=("none",), targets=("none",), layers=(),
                    site_layers=frozenset())
    unrun = _with(case, id="so-4", meta={"paper": {"deeplocalize": {"run": False}}})
    cases = {c.id: c for c in (real, flat, control, unrun)}
    recs = []
    for c in cases:
        for variant in ("buggy", "patched"):
            r = _rec(variant, "t", 0, detected=True)
            r.update(case_id=c, key=f"{c}/{variant}/t/0")
            recs.append(r)
    result = score(cases, recs)
    d = result["denominators"]
    assert d["real"]["cases"] == ["so-1", "so-4"]
    assert d["paper"]["cases"] == ["so-1", "so-2", "so-3"]
    assert d["all"]["cases"] == ["so-1", "so-2", "so-3", "so-4"]
    assert d["control"]["cases"] == ["so-3"]
    assert result["tools"] == d["real"]["tools"]
    assert (d["real"]["tools"]["t"]["tp"], d["real"]["tools"]["t"]["fp"]) == (2, 2)
    assert (d["control"]["tools"]["t"]["tp"], d["control"]["tools"]["t"]["fp"]) == (1, 1)
    assert d["all"]["tools"]["t"]["buggy_runs"] == 4
    assert sorted(result["cases"]) == ["so-1", "so-2", "so-3", "so-4"]


def test_finding_before_a_failure_counts_as_a_detection(case) -> None:
    """A unit that timed out after the tool had found something: its streamed (partial)
    verdict is a detection, localized like any other; a failed unit with nothing streamed stays
    a failure in the denominator."""
    hit = {"target": "layer", "layer_index": 1, "wall_s": 3.0, "iteration": 4}
    late = _rec("buggy", "dl", 0, status="timeout")
    late["partial_verdict"] = {"partial": True, "detected": True, "stop": None,
                               "findings": [hit], "stops": [], "category": None, "raw": {}}
    empty = _rec("buggy", "dl", 1, status="crashed")
    empty["partial_verdict"] = {"partial": True, "detected": False, "stop": None,
                                "findings": [], "stops": [], "category": None, "raw": {}}
    alarm = _rec("patched", "dl", 0, status="oom")
    alarm["partial_verdict"] = dict(late["partial_verdict"])
    result = score({"so-48385830": case}, [late, empty, alarm])
    s = result["tools"]["dl"]
    assert (s["tp"], s["failed_buggy"], s["buggy_runs"], s["localized"]) == (1, 1, 2, 1)
    assert (s["fp"], s["failed_patched"]) == (1, 0)
    assert s["detected_before_failure"] == 2
    assert s["failures"] == {"timeout": 1, "crashed": 1, "oom": 1}
    assert result["matrix"]["so-48385830"]["dl"] == {"buggy": ["TP+L", "crashed"],
                                                     "patched": ["FP"]}


def test_a_case_without_a_paper_table_is_not_one_of_the_papers_cases(repo_root: Path) -> None:
    """A case added later (no ``[paper]``) counts in ``all`` but never in the paper's 40."""
    import dataclasses

    from harness.scoring import in_paper

    original = load_case(repo_root, "so-48385830")
    meta = {k: v for k, v in original.meta.items() if k != "paper"}
    added = dataclasses.replace(original, meta=meta)
    assert in_paper(original) is True
    assert in_paper(added) is False


def test_youden_j_is_detection_minus_false_alarm_with_a_conservative_interval() -> None:
    from harness.tally import rate, youden

    det, fa = rate(9, 10), rate(1, 10)
    j = youden(det, fa)
    assert j["rate"] == pytest.approx(0.8)
    assert j["low"] == pytest.approx(det["low"] - fa["high"])
    assert j["high"] == pytest.approx(det["high"] - fa["low"])
    assert j["low"] < j["rate"] < j["high"]
    assert youden(rate(0, 0), fa) == {"rate": None, "low": None, "high": None}
