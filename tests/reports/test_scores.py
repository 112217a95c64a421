"""Scoring for the reports (issue "Scoring and comparison reports"): pure, on hand-written
records — Wilson intervals, failed and missing units, majority and flakiness over seeds,
categories, overhead against the no-tool control, and the comparison with the paper."""

from __future__ import annotations

import math

import pytest

from harness.scoring import majority, score, versus_paper
from harness.tally import wilson

CASE, NONSEP = "so-10000001", "gh-report-nonsep"
STOP = {"epoch": 0, "iteration": 20, "wall_s": 2.0}
EXACT = {"target": "layer", "layer_index": 1, "code": "EBDW"}
ADJACENT = {"target": "layer", "layer_index": 2, "code": "EBDW"}
PLAN = {"case_ids": [CASE], "tools": ["t", "none"], "variants": ["buggy", "patched"],
        "seeds": [0, 1]}


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (81, 263, 0.2553, 0.3662),  # Newcombe (1998), Stat. Med. 17:857, Table I, method 3
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
    (10, 10, 0.7225, 1.0),
])
def test_wilson_interval_matches_published_values(k, n, low, high) -> None:
    """Wilson 95 % score intervals reproduce Newcombe's published bounds to 4 decimals."""
    lo, hi = wilson(k, n)
    assert (round(lo, 4), round(hi, 4)) == (low, high)


def test_wilson_interval_without_trials_is_none() -> None:
    """No runs, no interval (instead of a division by zero)."""
    assert wilson(0, 0) is None


def test_rates_carry_interval_and_denominator(cases, rec) -> None:
    """A tool's detection rate reports k, n and the Wilson bounds."""
    recs = [rec(seed=0, detected=True, stop=STOP), rec(seed=1)]
    detection = score(cases, recs)["tools"]["t"]["detection"]
    assert (detection["k"], detection["n"], detection["rate"]) == (1, 2, 0.5)
    assert detection["low"] == pytest.approx(0.0945, abs=1e-4)
    assert detection["high"] == pytest.approx(0.9055, abs=1e-4)


def test_failed_units_stay_in_denominator_and_are_counted_by_status(cases, rec) -> None:
    """Timeout/crash/oom/error units count as runs (not detections) and per status."""
    recs = [rec(seed=0, detected=True, stop=STOP), rec(seed=1, status="timeout"),
            rec(seed=2, status="oom"), rec(variant="patched", seed=0, status="crashed")]
    s = score(cases, recs)["tools"]["t"]
    assert (s["detection"]["k"], s["detection"]["n"]) == (1, 3)
    assert s["failures"] == {"crashed": 1, "oom": 1, "timeout": 1}
    assert (s["failed_buggy"], s["failed_patched"]) == (2, 1)


def test_missing_seed_is_reported_but_not_in_denominator(cases, rec) -> None:
    """A planned unit without a record is 'missing', outside every denominator."""
    recs = [rec(seed=0, detected=True, stop=STOP), rec(variant="patched", seed=0),
            rec(variant="patched", seed=1)]
    result = score(cases, recs, planned=PLAN)
    s = result["tools"]["t"]
    assert (s["missing_buggy"], s["missing_patched"], s["buggy_runs"]) == (1, 0, 1)
    assert result["missing"] == [f"{CASE}/buggy/t/1"]
    assert result["matrix"][CASE]["t"]["buggy"] == ["TP", "missing"]


def test_without_a_plan_nothing_is_missing(cases, rec) -> None:
    """Missing units are only known from the run's plan."""
    assert score(cases, [rec(seed=0), rec(seed=3)])["missing"] == []


@pytest.mark.parametrize(("hits", "completed", "attempted", "verdict"), [
    (2, 2, 2, "yes"), (0, 2, 2, "no"), (1, 2, 2, "split"), (1, 1, 2, "split"),
    (1, 1, 3, "no"), (0, 0, 2, "failed"), (0, 0, 0, "missing"),
])
def test_majority_over_seeds(hits, completed, attempted, verdict) -> None:
    """Strict majority of attempted seeds; failed seeds count as not detected."""
    assert majority(hits, completed, attempted) == verdict


def test_seeds_that_disagree_flag_the_case_flaky(cases, rec) -> None:
    """One seed detects, one does not: the case is flaky and the verdict is split."""
    r = score(cases, [rec(seed=0, detected=True, stop=STOP), rec(seed=1)])
    result = r["cases"][CASE]["tools"]["t"]
    assert result["flaky"] and result["detected"] == "split"
    assert result["flaky_reasons"] == ["buggy seeds: TP / FN"]


def test_seeds_that_agree_are_not_flaky(cases, rec) -> None:
    """Identical outcomes on every seed: not flaky."""
    recs = [rec(seed=s, detected=True, stop=STOP) for s in (0, 1)]
    assert not score(cases, recs)["cases"][CASE]["tools"]["t"]["flaky"]


def test_localization_that_differs_between_seeds_is_flaky(cases, rec) -> None:
    """Both seeds detect, only one localizes exactly: flaky, localization split."""
    recs = [rec(seed=0, detected=True, finding=EXACT), rec(seed=1, detected=True,
                                                           finding=ADJACENT)]
    result = score(cases, recs)["cases"][CASE]["tools"]["t"]
    assert result["flaky"] and (result["detected"], result["localized"]) == ("yes", "split")


def test_a_crash_next_to_a_detection_is_flaky(cases, rec) -> None:
    """A failed seed disagrees with a completed one."""
    recs = [rec(seed=0, detected=True, stop=STOP), rec(seed=1, status="crashed")]
    assert score(cases, recs)["cases"][CASE]["tools"]["t"]["flaky"]


def test_category_is_correct_when_the_case_lists_it(cases, rec) -> None:
    """A named category counts as correct iff the case's ground truth lists it."""
    recs = [rec(seed=0, detected=True, stop=STOP, category="wrong_loss"),
            rec(seed=1, detected=True, stop=STOP, category="learning_rate"),
            rec(seed=2, detected=True, stop=STOP)]
    s = score(cases, recs)["tools"]["t"]
    assert (s["category_named"], s["category_correct"]) == (2, 1)


def test_detection_time_epoch_and_iteration_are_medians(cases, rec) -> None:
    """Time, epoch and iteration of detection are medians over detected buggy runs."""
    recs = [rec(seed=0, detected=True, stop={"epoch": 0, "iteration": 10, "wall_s": 1.0}),
            rec(seed=1, detected=True, stop={"epoch": 2, "iteration": 30, "wall_s": 3.0}),
            rec(seed=2)]
    s = score(cases, recs)["tools"]["t"]
    assert (s["median_detect_s"], s["median_detect_epoch"], s["median_detect_iteration"]) == (
        2.0, 1.0, 20.0)


def test_overhead_is_train_time_over_the_control(cases, rec) -> None:
    """Overhead = tool train_s / train_s of the 'none' run of the same case/variant/seed."""
    recs = [rec(variant="patched", seed=0, train_s=15.0), rec(variant="patched", tool="none",
                                                             seed=0, train_s=10.0)]
    result = score(cases, recs)
    unit = result["units"][0]
    assert (unit["overhead"], unit["overhead_comparable"]) == (1.5, True)
    assert result["tools"]["t"]["median_overhead"] == 1.5


def test_overhead_of_a_run_stopped_early_is_not_comparable(cases, rec) -> None:
    """A tool that stopped training early gets a ratio, but not in the median."""
    recs = [rec(seed=0, detected=True, stop=STOP, train_s=2.0, stopped_early=True,
                epochs_run=1), rec(tool="none", seed=0, train_s=10.0)]
    result = score(cases, recs)
    assert result["units"][0]["overhead"] == 0.2
    assert result["tools"]["t"]["median_overhead"] is None


def test_without_control_runs_there_is_no_overhead(cases, rec) -> None:
    """No 'none' record: overhead is absent, not zero."""
    result = score(cases, [rec(seed=0)])
    assert result["units"][0]["overhead"] is None
    assert result["tools"]["t"]["median_overhead"] is None


def test_nonfinite_loss_does_not_change_detection(cases, rec) -> None:
    """A NaN loss (null + loss_nonfinite) scores like any completed run."""
    recs = [rec(seed=0, detected=True, stop=STOP, loss=None), rec(seed=1, loss=None)]
    s = score(cases, recs)["tools"]["t"]
    assert (s["tp"], s["fn"], s["failed_buggy"]) == (1, 1, 0)


@pytest.mark.parametrize(("ours", "paper", "expected"), [
    ("yes", True, "agree"), ("no", False, "agree"), ("yes", False, "differ"),
    ("no", True, "differ"), ("split", True, "undecided"), ("failed", False, "undecided"),
    ("yes", None, "n/a"),
])
def test_versus_paper(ours, paper, expected) -> None:
    """Only decided verdicts agree or differ with the paper."""
    assert versus_paper(ours, paper) == expected


def test_paper_comparison_uses_the_matching_column(cases, rec) -> None:
    """deeplocalize on the fixture case: the paper detected and localized; so do we."""
    recs = [rec(tool="deeplocalize", seed=s, detected=True, finding=EXACT) for s in (0, 1)]
    r = score(cases, recs)["cases"][CASE]["tools"]["deeplocalize"]
    assert (r["paper_column"], r["detection_vs_paper"], r["localization_vs_paper"]) == (
        "deeplocalize", "agree", "agree")


def test_paper_disagreement_is_reported(cases, rec) -> None:
    """keras_union: the paper did not detect the fixture case; we do → differ."""
    r = score(cases, [rec(tool="keras_union", detected=True, stop=STOP)])
    assert r["cases"][CASE]["tools"]["keras_union"]["detection_vs_paper"] == "differ"


def test_case_the_paper_did_not_run(cases, rec) -> None:
    """run = false in the paper table: no agreement either way."""
    r = score(cases, [rec(NONSEP, tool="deeplocalize")])["cases"][NONSEP]["tools"]
    assert r["deeplocalize"]["detection_vs_paper"] == "not run by the paper"


def test_tool_without_paper_column(cases, rec) -> None:
    """deeplocalize_released has no column in the paper."""
    r = score(cases, [rec(tool="deeplocalize_released")])["cases"][CASE]["tools"]
    assert r["deeplocalize_released"]["detection_vs_paper"] == "no paper column"


def test_paper_totals_count_only_cases_in_the_run(cases, rec) -> None:
    """The paper's totals are over the run's cases the paper ran the tool on."""
    recs = [rec(CASE, tool="deeplocalize", detected=True, finding=EXACT),
            rec(NONSEP, tool="deeplocalize")]
    totals = score(cases, recs)["paper"]["deeplocalize"]
    assert (totals["cases"], totals["paper_cases"], totals["paper_detected"]) == (2, 1, 1)
    assert (totals["ours_detected"], totals["ours_localized"], totals["agree"]) == (1, 1, 1)


def test_non_separating_case_is_marked(cases, rec) -> None:
    """The scores say which cases do not separate buggy from patched."""
    result = score(cases, [rec(CASE), rec(NONSEP)])
    assert (result["cases"][CASE]["separates"], result["cases"][NONSEP]["separates"]) == (
        True, False)


def test_category_breakdown_counts_a_case_in_each_of_its_categories(cases, rec) -> None:
    """A case with two categories is counted under both."""
    result = score(cases, [rec(detected=True, stop=STOP)])
    assert list(result["categories"]) == ["missing_activation", "wrong_loss"]
    assert result["categories"]["wrong_loss"]["t"] == {"cases": 1, "detected": 1,
                                                       "localized": 0}


def _wilson_formula(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The hand-written Wilson interval the harness used before SciPy's (the reference)."""
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def test_wilson_interval_equals_the_closed_form_on_a_grid() -> None:
    """SciPy's Wilson interval equals the closed form to 1e-12 for every k of n = 1..60, 100,
    263 and 1000, 0/n and n/n included."""
    for n in [*range(1, 61), 100, 263, 1000]:
        for k in range(n + 1):
            assert wilson(k, n) == pytest.approx(_wilson_formula(k, n), abs=1e-12, rel=0), (k, n)


@pytest.mark.parametrize("n", [1, 3, 7, 40])
def test_wilson_interval_contains_the_rate_at_the_extremes(n) -> None:
    """0/n and n/n give bounds exactly 0 and 1 (rounding once gave 5.6e-17 > 0; plots crashed)."""
    assert wilson(0, n)[0] == 0.0
    assert wilson(n, n)[1] == 1.0
